"""Photos that plugins keep on disk for their rows, checked by content and tied to the database transaction.

A plugin makes one :class:`PhotoStore` (its folder and size limit come from its own environment variables) and
keeps a row per photo (id, content type, size…); the file is ``<folder>/<tenant id>/<photo id>.<ext>``.

* :meth:`PhotoStore.check` accepts a photo by its first bytes (JPEG ``FF D8 FF``, PNG ``89 50 4E 47 0D 0A 1A 0A``,
  WebP ``RIFF····WEBP``), never by its name or the content type the client declared, and refuses an empty or
  too large one: ``BAD_USER_INPUT`` on the store's field, in Vietnamese and English.
* :meth:`PhotoStore.save` writes a file atomically (a temporary file in the same folder, then a rename) and ties
  it to the session's transaction: if the transaction (or the savepoint it was written in) rolls back, or the
  session is closed without committing, the file is removed. Write it after flushing its row.
* :meth:`PhotoStore.delete` and :meth:`PhotoStore.delete_tenant` (a purge) remove files only once the
  transaction commits; a rolled-back deletion leaves them in place. :meth:`PhotoStore.move_tenant` (a merge)
  moves a tenant's files to another's folder, also only once the transaction commits.

The hooks are ``after_commit``, ``after_soft_rollback`` and ``after_transaction_end`` of
:class:`core.db.scoping.WardSession`, the sync session behind every ``AsyncSession`` of the app. A failure to
remove a file after the fact is logged, never raised: the transaction's outcome stands. A process killed between
writing a file and ending its transaction can still leave a file without a row; purging the tenant removes it.
"""

from __future__ import annotations

import math
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import structlog
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from core.db.scoping import WardSession
from core.errors import bad_input

log = structlog.get_logger("wardhub.uploads")

PENDING_KEY = "wardhub_pending_files"
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
LABELS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP"}


def sniff(content: bytes) -> str | None:
    """The image type by its first bytes, or None."""
    if content[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if content[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if len(content) >= 12 and content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return None


def human(size: int, *, up: bool = False) -> str:
    """``5.1 MB``, ``12 KB``, ``100 bytes``; ``up`` rounds up (a file just over the limit never reads as equal)."""
    rounding = math.ceil if up else math.floor
    if size >= 1024 * 1024:
        return f"{rounding(size / 1048576 * 10) / 10:.1f} MB"
    return f"{rounding(size / 1024)} KB" if size >= 1024 else f"{size} bytes"


def _either(labels: list[str], word: str) -> str:
    """``JPEG, PNG or WebP``."""
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} {word} {labels[-1]}"


@dataclass(frozen=True)
class PhotoStore:
    """A plugin's photos on disk, e.g. ``PhotoStore("WARDHUB_NOTES_PHOTOS", "var/notes/photos",
    "WARDHUB_NOTES_PHOTO_MAX_BYTES", field="photo")``. The environment is read at each use, so a deployment (or a
    test) may change it without re-importing the plugin. Give every store a folder of its own: purging a tenant
    removes the tenant's whole folder."""

    folder_env: str
    default_folder: str
    max_bytes_env: str
    default_max_bytes: int = DEFAULT_MAX_BYTES
    types: tuple[str, ...] = ("image/jpeg", "image/png", "image/webp")
    field: str = "file"

    def __post_init__(self) -> None:
        object.__setattr__(self, "types", tuple(self.types))
        unknown = [t for t in self.types if t not in EXTENSIONS]
        if unknown or not self.types:
            raise ValueError(f"PhotoStore types must be some of {', '.join(EXTENSIONS)}, not {unknown or 'none'}")

    def folder(self) -> Path:
        return Path(os.environ.get(self.folder_env) or self.default_folder)

    def max_bytes(self) -> int:
        raw = os.environ.get(self.max_bytes_env, "").strip()
        return int(raw) if raw.isdigit() and int(raw) > 0 else self.default_max_bytes

    def check(self, content: bytes) -> str:
        """The content type of an acceptable photo, by its content; ``BAD_USER_INPUT`` on :attr:`field` saying
        why otherwise (empty, too large, not one of :attr:`types`)."""
        limit = self.max_bytes()
        if not content:
            raise bad_input(self.field, "Tệp ảnh trống", "The photo file is empty")
        if len(content) > limit:
            size, most = human(len(content), up=True), human(limit)
            raise bad_input(self.field, f"Ảnh quá lớn: {size}, tối đa {most}".replace("bytes", "byte"),
                            f"The photo is too large: {size}, at most {most}")
        kind = sniff(content)
        if kind not in self.types:
            labels = [LABELS[t] for t in self.types]
            raise bad_input(
                self.field,
                f"Tệp không phải ảnh {_either(labels, 'hay')} (kiểm tra theo nội dung, không theo tên tệp)",
                f"The file is not a {_either(labels, 'or')} image (checked by its content, not its name)",
            )
        return kind

    def path_of(self, tenant_id: uuid.UUID, photo_id: uuid.UUID, content_type: str) -> Path:
        """``<folder>/<tenant id>/<photo id>.<ext>``; the ids are UUIDs, so no name can leave the folder."""
        return self.folder() / _uuid(tenant_id) / f"{_uuid(photo_id)}.{EXTENSIONS[content_type]}"

    def read(self, tenant_id: uuid.UUID, photo_id: uuid.UUID, content_type: str) -> bytes | None:
        """The stored file, or None when it is missing."""
        try:
            return self.path_of(tenant_id, photo_id, content_type).read_bytes()
        except FileNotFoundError:
            return None

    def save(self, session: Any, tenant_id: uuid.UUID, photo_id: uuid.UUID, content_type: str,
             content: bytes) -> Path:
        """Write a new photo (checked again: ``content_type`` must be what :meth:`check` said) atomically, in
        ``session``'s transaction: it stays only if the transaction commits."""
        if self.check(content) != content_type:
            raise ValueError(f"the content is not {content_type}")
        path = self.path_of(tenant_id, photo_id, content_type)
        if path.exists():
            raise FileExistsError(path)  # a new id each time: rolling back must never remove an older file
        _track(session, "written", path)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")  # same folder: the rename is atomic
        try:
            with temporary.open("xb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        return path

    def delete(self, session: Any, tenant_id: uuid.UUID, photo_id: uuid.UUID, content_type: str) -> None:
        """Remove the photo's file once ``session``'s transaction commits (its row is deleted in it)."""
        _track(session, "delete", self.path_of(tenant_id, photo_id, content_type))

    def delete_tenant(self, session: Any, tenant_id: uuid.UUID) -> None:
        """Remove the tenant's folder of this store once ``session``'s transaction commits (a purge)."""
        _track(session, "delete_tree", self.folder() / _uuid(tenant_id))

    def move_tenant(self, session: Any, source_id: uuid.UUID, target_id: uuid.UUID) -> None:
        """Move the source tenant's files into the target's folder once ``session``'s transaction commits (a
        merge moved their rows; call it from ``wardhub_tenant_merged``). Photo ids are unique, so no name
        clashes; a rolled-back merge moves nothing."""
        _track(session, "move_tree", self.folder() / _uuid(source_id), self.folder() / _uuid(target_id))


def _uuid(value: uuid.UUID) -> str:
    return str(uuid.UUID(str(value)))  # a str that is not a UUID is refused (ValueError)


# -- the transaction's files ------------------------------------------------------------------------------------
Action = Literal["written", "delete", "delete_tree", "move_tree"]


@dataclass(frozen=True, slots=True)
class _Pending:
    transaction: SessionTransaction  # the innermost transaction (a savepoint or the session's own) at the time
    action: Action
    path: Path
    to: Path | None = None  # where ``move_tree`` moves the folder's files


def _track(session: Any, action: Action, path: Path, to: Path | None = None) -> None:
    sync: Session = getattr(session, "sync_session", session)
    if not isinstance(sync, WardSession):
        raise TypeError("photos are tied to a WardHub session (an AsyncSession of the app or of core.testing)")
    transaction = sync.get_nested_transaction() or sync.get_transaction() or sync.begin()
    sync.info.setdefault(PENDING_KEY, []).append(_Pending(transaction, action, path, to))


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


def _remove(path: Path, *, keep: frozenset[Path] = frozenset()) -> None:
    """Remove a file, or a folder but for the files in ``keep``; a failure is logged (the transaction has ended)."""
    try:
        if not path.is_dir():
            path.unlink()
        elif not any(path in kept.parents for kept in keep):
            shutil.rmtree(path)
        else:
            for child in path.iterdir():
                if child not in keep:
                    _remove(child, keep=keep)
    except FileNotFoundError:
        pass
    except OSError as error:
        log.warning("photo_file_not_removed", path=str(path), error=str(error))


def _move(folder: Path, to: Path) -> None:
    """Move the files of ``folder`` into ``to``, then remove ``folder``; a failure is logged (after the commit)."""
    try:
        files = list(folder.iterdir())
    except FileNotFoundError:
        return
    try:
        to.mkdir(parents=True, exist_ok=True)
        for item in files:
            if (to / item.name).exists():  # never overwrite: photo ids are unique, so this is someone else's file
                log.warning("photo_file_not_moved", path=str(item), to=str(to), error="exists")
                continue
            os.replace(item, to / item.name)
        folder.rmdir()
    except OSError as error:
        log.warning("photo_files_not_moved", path=str(folder), to=str(to), error=str(error))


def _not_committed(session: Session, ended: SessionTransaction) -> None:
    """``ended`` (a savepoint, or the session's own transaction) ended without a commit: the files written in it
    go, the deletions made in it are forgotten."""
    pending = session.info.get(PENDING_KEY)
    if not pending:
        return
    whole = ended.parent is None
    undone = [p for p in pending if whole or _within(p.transaction, ended)]
    session.info[PENDING_KEY] = [p for p in pending if not any(p is u for u in undone)]
    for item in undone:
        if item.action == "written":
            _remove(item.path)


@event.listens_for(WardSession, "after_commit")
def _committed(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released: the enclosing transaction decides
    written_later: set[Path] = set()  # a purge, then new photos in the same transaction: those stay
    for item in reversed(session.info.pop(PENDING_KEY, [])):
        if item.action == "written":
            written_later.add(item.path)
        elif item.action == "move_tree" and item.to is not None:
            _move(item.path, item.to)
        else:
            _remove(item.path, keep=frozenset(written_later))


@event.listens_for(WardSession, "after_soft_rollback")
def _rolled_back(session: Session, previous: SessionTransaction) -> None:
    _not_committed(session, previous)


@event.listens_for(WardSession, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # a commit has emptied the list already: a rollback, or a close without one
        _not_committed(session, transaction)
