"""Photos of reports on disk, checked by content (magic bytes), never by name or declared type.

The folder is ``WARDHUB_FEEDBACK_PHOTOS`` (default ``var/feedback/photos``); a photo is stored as
``<folder>/<tenant id>/<photo id>.<ext>``. Accepted: JPEG (``FF D8 FF``), PNG (``89 50 4E 47 0D 0A 1A 0A``) and
WebP (``RIFF····WEBP``), at most ``WARDHUB_FEEDBACK_PHOTO_MAX_BYTES`` each (default 5 MiB). Anything else is a
``BAD_USER_INPUT`` on ``photo`` saying why, in Vietnamese and English.
"""

from __future__ import annotations

import math
import os
import uuid
from pathlib import Path

from core.toolkit import bad_input

DEFAULT_MAX = 5 * 1024 * 1024
TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def folder() -> Path:
    return Path(os.environ.get("WARDHUB_FEEDBACK_PHOTOS") or "var/feedback/photos")


def max_bytes() -> int:
    raw = os.environ.get("WARDHUB_FEEDBACK_PHOTO_MAX_BYTES", "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_MAX


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
    rounding = math.ceil if up else math.floor
    if size >= 1024 * 1024:
        return f"{rounding(size / 1048576 * 10) / 10:.1f} MB"
    return f"{rounding(size / 1024)} KB" if size >= 1024 else f"{size} bytes"


def check(content: bytes, field: str = "photo") -> str:
    """The content type of an acceptable photo; a clear field error otherwise."""
    limit = max_bytes()
    if not content:
        raise bad_input(field, "Tệp ảnh trống", "The photo file is empty")
    if len(content) > limit:
        size, most = human(len(content), up=True), human(limit)
        raise bad_input(field, f"Ảnh quá lớn: {size}, tối đa {most}".replace("bytes", "byte"),
                        f"The photo is too large: {size}, at most {most}")
    kind = sniff(content)
    if kind is None:
        raise bad_input(field, "Tệp không phải ảnh JPEG, PNG hay WebP (kiểm tra theo nội dung, không theo tên tệp)",
                        "The file is not a JPEG, PNG or WebP image (checked by its content, not its name)")
    return kind


def path_of(tenant_id: uuid.UUID, photo_id: uuid.UUID, content_type: str) -> Path:
    return folder() / str(tenant_id) / f"{photo_id}.{TYPES[content_type]}"


def write(tenant_id: uuid.UUID, photo_id: uuid.UUID, content_type: str, content: bytes) -> Path:
    path = path_of(tenant_id, photo_id, content_type)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".part")
    temporary.write_bytes(content)
    temporary.replace(path)
    return path


def remove(tenant_id: uuid.UUID, photo_id: uuid.UUID, content_type: str) -> None:
    path_of(tenant_id, photo_id, content_type).unlink(missing_ok=True)
