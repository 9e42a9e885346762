"""Import of allowance beneficiaries from an .xlsx file: all or nothing, every bad row reported.

Columns (first row): ``so_dinh_danh`` (the person's identification number in ``residents``), ``ma_doi_tuong``
(a category code of Decree 20/2021, see ``reference.py``), ``tu_thang`` (first month, YYYY-MM) and
``so_quyet_dinh`` (the decision). Every row goes through :func:`services.add_beneficiary` in a savepoint;
one bad row and nothing is written, with a field ``rows.<row>.<column>`` per problem.
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.toolkit import UserError, bad_input
from plugins.residents.models import Person
from plugins.social_welfare import services

COLUMNS = {"so_dinh_danh": "id_number", "ma_doi_tuong": "category_code", "tu_thang": "start_month",
           "so_quyet_dinh": "decision"}
FIELD_COLUMN = {v: k for k, v in COLUMNS.items()} | {"person_id": "so_dinh_danh"}


def read_rows(content: bytes) -> list[tuple[int, dict[str, Any]]]:
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise bad_input("file", "Không đọc được tệp .xlsx", "The file is not a readable .xlsx workbook") from exc
    rows = book.worksheets[0].iter_rows(values_only=True)
    header = [str(c).strip() if c is not None else "" for c in next(rows, ())]
    if set(COLUMNS) - set(header) - {"so_quyet_dinh"}:
        raise bad_input("file", f"Dòng tiêu đề phải gồm các cột: {', '.join(COLUMNS)}",
                        f"The header row must hold the columns: {', '.join(COLUMNS)}")
    out = []
    for number, values in enumerate(rows, start=2):
        if all(v in (None, "") for v in values):
            continue
        out.append((number, {COLUMNS[h]: (str(v).strip() if isinstance(v, str | int) else v)
                             for h, v in zip(header, values, strict=False) if h in COLUMNS}))
    return out


async def import_xlsx(session: AsyncSession, content: bytes) -> int:
    if not content:
        raise bad_input("file", "Tệp trống", "The file is empty")
    rows = read_rows(content)
    if not rows:
        raise bad_input("file", "Tệp không có dòng dữ liệu nào", "The file has no data rows")
    numbers = {str(r.get("id_number") or "") for _, r in rows} - {""}
    persons = {p.id_number: p for p in (await session.execute(select(Person).where(Person.id_number.in_(numbers))))
               .scalars()}
    fields: dict[str, tuple[str, str]] = {}
    bad_rows = set()
    async with session.begin_nested() as savepoint:
        for number, row in rows:
            person = persons.get(str(row.get("id_number") or ""))
            try:
                if person is None:
                    raise bad_input("id_number", "Không có nhân khẩu nào mang số định danh này trong phường",
                                    "No resident of the ward has this identification number")
                await services.add_beneficiary(session, {**row, "person_id": person.id})
            except UserError as error:
                bad_rows.add(number)
                for field, message in (error.fields or {"id_number": error.message}).items():
                    fields.setdefault(f"rows.{number}.{FIELD_COLUMN.get(field, field)}", message)
        if fields:
            await savepoint.rollback()
    if fields:
        raise UserError("BAD_USER_INPUT", (f"{len(bad_rows)} dòng có lỗi; chưa ghi dòng nào",
                                           f"{len(bad_rows)} rows have errors; nothing was written"), fields)
    return len(rows)
