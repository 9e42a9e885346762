"""The toolkit's PhotoStore: photos checked by their content, written atomically, and tied to the transaction of
real sessions of core.testing's database (committed, rolled back, savepoints, a session closed without a commit).
The plugins' own tests drive the same store through the app (plugins/ornamental_plants, examples/feedback)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import structlog
from sqlalchemy import text

from core.db.scoping import SYSTEM
from core.errors import UserError
from core.uploads import PhotoStore

STORE = PhotoStore("WARDHUB_TEST_PHOTOS", "var/test/photos", "WARDHUB_TEST_PHOTO_MAX_BYTES", field="picture")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 60
WEBP = b"RIFF" + (30).to_bytes(4, "little") + b"WEBPVP8L" + b"\x00" * 22
WARD, OTHER = uuid.UUID("0190a1b2-0000-7000-8000-00000000000a"), uuid.UUID("0190a1b2-0000-7000-8000-00000000000b")


@pytest.fixture(autouse=True)
def folder(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("WARDHUB_TEST_PHOTOS", str(tmp_path / "photos"))
    monkeypatch.delenv("WARDHUB_TEST_PHOTO_MAX_BYTES", raising=False)
    return tmp_path / "photos"


def on_disk(folder: Path) -> list[str]:
    """Every file under the folder (temporary files included), as ``<tenant>/<name>``."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def name(tenant: uuid.UUID, photo: uuid.UUID, ext: str = "png") -> str:
    return f"{tenant}/{photo}.{ext}"


async def begin(session) -> None:
    await session.execute(text("SELECT 1"))  # a real transaction on the connection


def refusal(content: bytes, lang: str) -> dict:
    with pytest.raises(UserError) as refused:
        STORE.check(content)
    return refused.value.render(lang)


@pytest.mark.parametrize(("content", "limit", "vi", "en"), [
    (b"", None, "Tệp ảnh trống", "The photo file is empty"),
    (b"%PDF-1.7 a document named photo.png", None,
     "Tệp không phải ảnh JPEG, PNG hay WebP (kiểm tra theo nội dung, không theo tên tệp)",
     "The file is not a JPEG, PNG or WebP image (checked by its content, not its name)"),
    (b"GIF89a" + b"\x00" * 20, None,
     "Tệp không phải ảnh JPEG, PNG hay WebP (kiểm tra theo nội dung, không theo tên tệp)",
     "The file is not a JPEG, PNG or WebP image (checked by its content, not its name)"),
    (PNG, "40", "Ảnh quá lớn: 108 byte, tối đa 40 byte", "The photo is too large: 108 bytes, at most 40 bytes"),
    (PNG + b"\x00" * (5 * 1024 * 1024), None, "Ảnh quá lớn: 5.1 MB, tối đa 5.0 MB",
     "The photo is too large: 5.1 MB, at most 5.0 MB"),
], ids=["empty", "pdf", "gif", "over_a_set_limit", "over_the_default"])
def test_a_bad_photo_is_refused_on_the_field_in_both_languages(content, limit, vi, en, monkeypatch):
    if limit:
        monkeypatch.setenv("WARDHUB_TEST_PHOTO_MAX_BYTES", limit)
    assert refusal(content, "vi") == {"code": "BAD_USER_INPUT", "message": vi, "fields": {"picture": vi}}
    assert refusal(content, "en") == {"code": "BAD_USER_INPUT", "message": en, "fields": {"picture": en}}


def test_photos_are_known_by_content_and_a_store_may_accept_fewer_types(monkeypatch):
    assert [STORE.check(c) for c in (PNG, JPEG, WEBP)] == ["image/png", "image/jpeg", "image/webp"]
    monkeypatch.setenv("WARDHUB_TEST_PHOTO_MAX_BYTES", "not a number")  # ignored: the default applies
    assert STORE.max_bytes() == 5 * 1024 * 1024
    png_only = PhotoStore("WARDHUB_TEST_PHOTOS", "x", "WARDHUB_TEST_PHOTO_MAX_BYTES", types=("image/png",))
    assert png_only.check(PNG) == "image/png"
    with pytest.raises(UserError) as refused:
        png_only.check(JPEG)
    assert refused.value.render("en")["fields"] == {
        "file": "The file is not a PNG image (checked by its content, not its name)"}
    with pytest.raises(ValueError, match="image/gif"):
        PhotoStore("A", "a", "B", types=("image/gif",))


async def test_a_photo_stays_only_if_its_transaction_commits(db, folder):
    kept, crashed, closed = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with db.session(SYSTEM) as session:
        await begin(session)
        path = STORE.save(session, WARD, kept, "image/png", PNG)
        assert path.read_bytes() == PNG and STORE.read(WARD, kept, "image/png") == PNG  # readable at once
        umask = os.umask(0o022)
        os.umask(umask)
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # as any file the app writes, not a private temp file
    with pytest.raises(RuntimeError):
        async with db.session(SYSTEM) as session:
            await begin(session)
            STORE.save(session, WARD, crashed, "image/jpeg", JPEG)
            assert name(WARD, crashed, "jpg") in on_disk(folder)
            raise RuntimeError("a crash after the file was written")
    session = db.open(SYSTEM)  # closed without committing
    await begin(session)
    STORE.save(session, WARD, closed, "image/webp", WEBP)
    await session.close()
    assert on_disk(folder) == [name(WARD, kept)]
    assert STORE.read(WARD, crashed, "image/jpeg") is None


async def test_a_savepoint_that_rolls_back_takes_its_photos_with_it(db, folder):
    first, undone, released, lost = (uuid.uuid4() for _ in range(4))
    async with db.session(SYSTEM) as session:
        await begin(session)
        STORE.save(session, WARD, first, "image/png", PNG)
        savepoint = await session.begin_nested()
        STORE.save(session, WARD, undone, "image/png", PNG)
        await savepoint.rollback()
        assert on_disk(folder) == [name(WARD, first)]  # at once, while the transaction goes on
        async with session.begin_nested():
            STORE.save(session, WARD, released, "image/png", PNG)
    assert on_disk(folder) == sorted([name(WARD, first), name(WARD, released)])
    with pytest.raises(RuntimeError):
        async with db.session(SYSTEM) as session:
            await begin(session)
            async with session.begin_nested():  # released, then the transaction around it rolls back
                STORE.save(session, WARD, lost, "image/png", PNG)
            raise RuntimeError("a conflict later in the transaction")
    assert on_disk(folder) == sorted([name(WARD, first), name(WARD, released)])


async def test_a_deleted_photo_goes_only_when_the_deletion_commits(db, folder):
    photo, other = uuid.uuid4(), uuid.uuid4()
    async with db.session(SYSTEM) as session:
        await begin(session)
        STORE.save(session, WARD, photo, "image/png", PNG)
        STORE.save(session, WARD, other, "image/png", PNG)
    with pytest.raises(RuntimeError):
        async with db.session(SYSTEM) as session:
            await begin(session)
            STORE.delete(session, WARD, photo, "image/png")
            raise RuntimeError("the deletion fails")
    async with db.session(SYSTEM) as session:
        await begin(session)
        async with session.begin_nested() as savepoint:
            STORE.delete(session, WARD, other, "image/png")
            await savepoint.rollback()  # only the savepoint: the deletion in it is forgotten
        STORE.delete(session, WARD, photo, "image/png")
        assert on_disk(folder) == sorted([name(WARD, photo), name(WARD, other)])  # not before the commit
    assert on_disk(folder) == [name(WARD, other)]


async def test_purging_a_tenant_removes_its_folder_once_the_purge_commits(db, folder):
    old, other, new = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with db.session(SYSTEM) as session:
        await begin(session)
        STORE.save(session, WARD, old, "image/png", PNG)
        STORE.save(session, OTHER, other, "image/png", PNG)
    with pytest.raises(RuntimeError):
        async with db.session(SYSTEM) as session:
            await begin(session)
            STORE.delete_tenant(session, WARD)
            raise RuntimeError("another plugin's purge fails")
    assert on_disk(folder) == sorted([name(WARD, old), name(OTHER, other)])
    async with db.session(SYSTEM) as session:
        await begin(session)
        STORE.delete_tenant(session, WARD)
    assert on_disk(folder) == [name(OTHER, other)] and not (folder / str(WARD)).exists()
    async with db.session(SYSTEM) as session:  # a purge, then a new photo in the same transaction: it stays
        await begin(session)
        STORE.save(session, OTHER, old, "image/png", PNG)
        STORE.delete_tenant(session, OTHER)
        STORE.save(session, OTHER, new, "image/png", PNG)
    assert on_disk(folder) == [name(OTHER, new)]


async def test_a_failed_write_leaves_nothing_and_a_failed_removal_is_logged(db, folder, monkeypatch):
    photo = uuid.uuid4()
    async with db.session(SYSTEM) as session:
        await begin(session)
        with monkeypatch.context() as patched:
            patched.setattr("core.uploads.os.replace", lambda *_: (_ for _ in ()).throw(OSError("disk full")))
            with pytest.raises(OSError, match="disk full"):
                STORE.save(session, WARD, photo, "image/png", PNG)
        assert on_disk(folder) == []  # no temporary file either
        path = STORE.save(session, WARD, photo, "image/png", PNG)
        with pytest.raises(FileExistsError):  # rolling back must never remove an older file
            STORE.save(session, WARD, photo, "image/png", PNG)
        with pytest.raises(ValueError, match="image/jpeg"):
            STORE.save(session, WARD, uuid.uuid4(), "image/jpeg", PNG)
        with pytest.raises(ValueError):
            STORE.path_of(WARD, "../../etc/passwd", "image/png")  # type: ignore[arg-type]
    real_unlink = Path.unlink

    def refused(self, *args, **kwargs):
        if self == path:
            raise PermissionError("read-only")
        return real_unlink(self, *args, **kwargs)

    monkeypatch.setattr(Path, "unlink", refused)
    with structlog.testing.capture_logs() as logs:
        async with db.session(SYSTEM) as session:  # the commit stands; the failure is logged
            await begin(session)
            STORE.delete(session, WARD, photo, "image/png")
    assert path.exists() and [e["event"] for e in logs] == ["photo_file_not_removed"]
