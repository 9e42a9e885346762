"""Fixtures of the ornamental_plants tests: wards with residents and ornamental_plants on, a photo folder per
test, sample images."""

from __future__ import annotations

import io
from typing import Any

import pytest

from core.db.scoping import TenantScope

PLUGINS = ("residents", "ornamental_plants")


@pytest.fixture(autouse=True)
def photo_folder(tmp_path, monkeypatch):
    folder = tmp_path / "photos"
    monkeypatch.setenv("WARDHUB_ORNAMENTAL_PHOTOS", str(folder))
    return folder


@pytest.fixture
async def ward(make_tenant):
    return await make_tenant(plugins=PLUGINS)


@pytest.fixture
def scoped(db):
    def open_session(*wards: Any):
        return db.session(TenantScope.of(*(w.id for w in wards)))

    return open_session


def png_bytes(size: tuple[int, int] = (4, 3)) -> bytes:
    """A real PNG (zlib-compressed rows, as any encoder writes it)."""
    import struct
    import zlib

    width, height = size
    raw = b"".join(b"\x00" + b"\x10\x80\x30" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
WEBP = b"RIFF" + (30).to_bytes(4, "little") + b"WEBPVP8L" + b"\x00" * 22


@pytest.fixture
def png() -> bytes:
    return png_bytes()


def multipart(content: bytes, name: str) -> dict:
    return {"file": (name, io.BytesIO(content), "application/octet-stream")}
