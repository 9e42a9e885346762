"""The rules of ``feedback``, callable without HTTP: routes, GraphQL and hooks all go through here."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.toolkit import UserError, bad_input, not_found
from wardhub_feedback.models import Entry

TITLE_MAX = 200
BODY_MAX = 4000


def _text(data: Mapping[str, Any], field: str, limit: int, errors: dict[str, tuple[str, str]],
          required: bool = False) -> str | None:
    value = data.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[field] = ("Không được để trống", "Required")
        return None
    if not isinstance(value, str):
        errors[field] = ("Phải là chuỗi ký tự", "Must be text")
        return None
    value = value.strip()
    if len(value) > limit:
        errors[field] = (f"Tối đa {limit} ký tự", f"At most {limit} characters")
        return None
    return value


async def add_entry(session: AsyncSession, data: Any) -> Entry:
    """Add an entry; ``BAD_USER_INPUT`` naming each bad field (vi, en) otherwise, and nothing is written."""
    if not isinstance(data, Mapping):
        raise bad_input("body", "Dữ liệu phải là một đối tượng JSON", "The body must be a JSON object")
    errors: dict[str, tuple[str, str]] = {}
    title = _text(data, "title", TITLE_MAX, errors, required=True)
    body = _text(data, "body", BODY_MAX, errors)
    if errors:
        first = next(iter(errors.values()))
        raise UserError("BAD_USER_INPUT", first, errors)
    entry = Entry(title=title, body=body)
    session.add(entry)
    await session.flush()  # assigns the tenant; core's audit log records the write
    return entry


async def get_entry(session: AsyncSession, entry_id: Any) -> Entry:
    try:
        key = entry_id if isinstance(entry_id, uuid.UUID) else uuid.UUID(str(entry_id))
    except ValueError:
        raise bad_input("id", "Mã không hợp lệ", "Not a valid id") from None
    entry = await session.scalar(select(Entry).where(Entry.id == key))
    if entry is None:
        raise not_found("Không tìm thấy mục này", "No such entry")
    return entry


async def entries(session: AsyncSession) -> list[Entry]:
    return list((await session.execute(select(Entry).order_by(Entry.created_at, Entry.id))).scalars())


async def count(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(Entry)) or 0
