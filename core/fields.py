"""Reading a client's input field by field, collecting every problem before answering.

``FieldErrors`` gathers ``field → (vi, en)`` messages; the readers take one field from a JSON object, add
a message when it is missing or malformed, and return the cleaned value (or None). ``raise_if_any`` then
answers ``BAD_USER_INPUT`` naming every field at once, and nothing has been written. The parsers
(``parse_id``, ``parse_date``, ``parse_year``) take one value and raise ``BAD_USER_INPUT`` for its field at
once. ``flush_or_conflict`` turns a unique or foreign-key clash found at flush time into ``CONFLICT``.
``apply_rows`` applies an imported file's rows all or none, every bad row's problems reported at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import UserError, bad_input, conflict

Message = tuple[str, str]


class FieldErrors:
    def __init__(self) -> None:
        self.fields: dict[str, Message] = {}

    def add(self, field: str, vi: str, en: str) -> None:
        self.fields.setdefault(field, (vi, en))

    def raise_if_any(self) -> None:
        if self.fields:
            message = next(iter(self.fields.values())) if len(self.fields) == 1 else (
                f"{len(self.fields)} trường chưa hợp lệ", f"{len(self.fields)} fields are not valid")
            raise UserError("BAD_USER_INPUT", message, dict(self.fields))


def read_body(data: Any) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise bad_input("body", "Dữ liệu phải là một đối tượng JSON", "The body must be a JSON object")
    return dict(data)


def read_text(data: dict, errors: FieldErrors, field: str, limit: int, required: bool = False) -> str | None:
    value = data.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.add(field, "Không được để trống", "Required")
        return None
    if not isinstance(value, str | int):
        errors.add(field, "Phải là chuỗi ký tự", "Must be text")
        return None
    value = str(value).strip()
    if len(value) > limit:
        errors.add(field, f"Tối đa {limit} ký tự", f"At most {limit} characters")
        return None
    return value


def read_choice(data: dict, errors: FieldErrors, field: str, allowed: dict, default: str | None = None) -> str | None:
    value = data.get(field)
    if value in (None, ""):
        if default is None:
            errors.add(field, "Không được để trống", "Required")
        return default
    if not isinstance(value, str) or value not in allowed:  # a list or an object is no choice (nor hashable)
        options = ", ".join(allowed)
        errors.add(field, f"Phải là một trong: {options}", f"Must be one of: {options}")
        return None
    return str(value)


def read_date(data: dict, errors: FieldErrors, field: str, required: bool = False) -> date | None:
    value = data.get(field)
    if value in (None, ""):
        if required:
            errors.add(field, "Không được để trống", "Required")
        return None
    if isinstance(value, datetime):  # a spreadsheet's cell: the day it names
        return value.date()
    if isinstance(value, date):
        return value
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(str(value).strip(), fmt).date()
        except ValueError:
            continue
    errors.add(field, "Ngày không hợp lệ (dd/mm/yyyy)", "Not a valid date (dd/mm/yyyy)")
    return None


def read_int(data: dict, errors: FieldErrors, field: str, low: int, high: int, required: bool = False) -> int | None:
    value = data.get(field)
    if value in (None, ""):
        if required:
            errors.add(field, "Không được để trống", "Required")
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
        errors.add(field, "Phải là số nguyên", "Must be a whole number")
        return None
    number = int(value)
    if not low <= number <= high:
        errors.add(field, f"Phải từ {low} đến {high}", f"Must be from {low} to {high}")
        return None
    return number


def parse_id(value: Any, field: str = "id") -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        raise bad_input(field, "Mã định danh bản ghi không hợp lệ", "Not a valid record id") from None


def parse_date(value: Any, field: str, *, default: date | None = None) -> date:
    """An ISO date (``2026-03-01``), a ``date`` or a ``datetime``; ``default`` when blank (required without one)."""
    if value in (None, ""):
        if default is None:
            raise bad_input(field, "Hãy nhập ngày", "Enter a date")
        return default
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise bad_input(field, "Ngày không hợp lệ (YYYY-MM-DD)", "Not a valid date (YYYY-MM-DD)") from None


def parse_year(value: Any, field: str) -> int:
    """A year from 1900 to 2200, as a number or its digits; required."""
    if isinstance(value, bool) or value in (None, ""):
        raise bad_input(field, "Hãy nhập năm", "Enter a year")
    try:
        year = int(str(value).strip())
    except ValueError:
        raise bad_input(field, "Năm không hợp lệ", "Not a valid year") from None
    if not 1900 <= year <= 2200:
        raise bad_input(field, "Năm không hợp lệ", "Not a valid year")
    return year


async def flush_or_conflict(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        raise conflict("Dữ liệu vừa bị thay đổi bởi thao tác khác; hãy thử lại",
                       "The data was changed by another operation at the same time; try again") from exc


async def apply_rows(session: AsyncSession, rows: Iterable[tuple[int, Any]], apply: Callable[[Any], Awaitable[Any]], *,
                     field: str, column: Mapping[str, str] | None = None) -> int:
    """Apply an imported file's ``(row number, row)`` pairs all or none; the number of rows.

    Every ``apply(row)`` runs in one savepoint. A row's ``UserError`` is kept as ``rows.<row>.<column>`` errors
    (``column`` maps a service's field to the file's column; an error naming no field falls on ``field``) and
    the next row is tried; if any row failed, the savepoint is rolled back and ``BAD_USER_INPUT`` names them
    all (shown as a table by the console's forms)."""
    column = column or {}
    fields: dict[str, Message] = {}
    bad_rows: set[int] = set()
    count = 0
    async with session.begin_nested() as savepoint:
        for number, row in rows:
            count += 1
            try:
                await apply(row)
            except UserError as error:
                bad_rows.add(number)
                for name, message in (error.fields or {field: error.message}).items():
                    fields.setdefault(f"rows.{number}.{column.get(name, name)}", message)
        if fields:
            await savepoint.rollback()
    if fields:
        raise UserError("BAD_USER_INPUT", (f"{len(bad_rows)} dòng có lỗi; chưa ghi dòng nào",
                                           f"{len(bad_rows)} rows have errors; nothing was written"), fields)
    return count
