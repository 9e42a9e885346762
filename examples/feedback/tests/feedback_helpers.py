"""Helpers of the feedback tests: real images, a sample report, URLs and a GraphQL call."""

from __future__ import annotations

import io
import struct
import zlib

EN = {"Accept-Language": "en"}
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"


def png_bytes(size: tuple[int, int] = (4, 3)) -> bytes:
    """A real PNG (zlib-compressed rows, as any encoder writes it)."""
    width, height = size
    raw = b"".join(b"\x00" + b"\x10\x80\x30" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def files(*items: tuple[str, bytes]) -> list:
    return [("photo", (name, io.BytesIO(content), "application/octet-stream")) for name, content in items]


def url(ward, path: str = "") -> str:
    return f"/t/{ward.key}/feedback/{path}"


REPORT = {"category": "environment", "description": "Rác thải đổ trộm ở đầu hẻm 12 đã ba ngày.",
          "lat": 10.7769, "lng": 106.6869, "address": "Hẻm 12", "name": "Nguyễn Văn An", "contact": "0909123456"}


async def gql(client, ward, query: str, variables: dict | None = None, lang: str = "en") -> dict:
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}},
                                 headers={"X-Tenant": ward.key, "Accept-Language": lang})
    assert response.status_code == 200, response.text
    return response.json()
