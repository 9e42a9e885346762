"""Import of the register from an .xlsx file: all or nothing, every bad row reported.

The first sheet's first row holds the column names of :data:`COLUMNS` (Vietnamese, as the template has
them). Each row names a citizen by their personal identification number (who must already be in the
ward's ``residents`` register) and their registration; a status other than ``registered`` brings its
decision (a deferment needs its ground and last year, an exemption its ground). The rows go through the
same rules as the API, in a savepoint: one bad row and nothing is written, with a field
``rows.<row>.<column>`` per problem.
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.toolkit import apply_rows, bad_input
from plugins.military_service import services
from plugins.residents.models import Person

# column → the service field it feeds
COLUMNS: dict[str, str] = {
    "so_dinh_danh": "id_number",
    "ngay_dang_ky": "registered_on",
    "phan_loai_suc_khoe": "health_class",
    "ngay_kham": "health_checked_on",
    "tinh_trang": "status",
    "can_cu": "ground_code",
    "tam_hoan_den_nam": "until_year",
    "ngay_quyet_dinh": "decided_on",
    "ngay_nhap_ngu": "enlisted_on",
    "ngay_xuat_ngu": "discharged_on",
    "ghi_chu": "note",
}
FIELD_COLUMN = {v: k for k, v in COLUMNS.items()} | {"person_id": "so_dinh_danh"}
MAX_ROWS = 20_000


def template() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "nghia_vu_quan_su"
    sheet.append(list(COLUMNS))
    sheet.append(["001206012345", "2023-04-10", 2, "2024-01-15", "deferred", "d_study", 2027, "2024-01-20",
                  None, None, "Sinh viên năm 1"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_rows(content: bytes) -> list[tuple[int, dict[str, Any]]]:
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise bad_input("file", "Không đọc được tệp .xlsx", "The file is not a readable .xlsx workbook") from exc
    rows = book.worksheets[0].iter_rows(values_only=True)
    header = [str(c).strip() if c is not None else "" for c in next(rows, ())]
    unknown = [h for h in header if h and h not in COLUMNS]
    if "so_dinh_danh" not in header or unknown:
        raise bad_input("file", f"Dòng tiêu đề phải gồm các cột: {', '.join(COLUMNS)}",
                        f"The header row must hold the columns: {', '.join(COLUMNS)}")
    out = []
    for number, values in enumerate(rows, start=2):
        if all(v in (None, "") for v in values):
            continue
        row = {COLUMNS[h]: v for h, v in zip(header, values, strict=False) if h}
        out.append((number, {k: (v.strip() if isinstance(v, str) else v) for k, v in row.items()}))
        if len(out) > MAX_ROWS:
            raise bad_input("file", f"Tối đa {MAX_ROWS} dòng mỗi tệp", f"At most {MAX_ROWS} rows a file")
    return out


async def _apply(session: AsyncSession, person: Person, row: dict[str, Any]) -> None:
    await services.register(session, {**row, "person_id": person.id})
    status = row.get("status") or "registered"
    if status == "deferred":
        await services.defer(session, person.id, row)
    elif status == "exempt":
        await services.exempt(session, person.id, row)
    elif status in ("enlisted", "reserve"):
        await services.enlist(session, person.id, row)
        if status == "reserve":
            await services.discharge(session, person.id, row)
    elif status != "registered":
        raise bad_input("status", "Tình trạng không hợp lệ", "Not a valid status")


async def import_rows(session: AsyncSession, rows: list[tuple[int, dict[str, Any]]]) -> int:
    """Apply every row or none; returns the number of citizens registered."""
    if not rows:
        raise bad_input("file", "Tệp không có dòng dữ liệu nào", "The file has no data rows")
    numbers = {str(r.get("id_number") or "").strip() for _, r in rows}
    persons = {p.id_number: p for p in (await session.execute(
        select(Person).where(Person.id_number.in_(numbers - {""})))).scalars()}
    seen: set[str] = set()

    async def apply(row: dict[str, Any]) -> None:
        key = str(row.get("id_number") or "").strip()
        person = persons.get(key)
        if person is None:
            raise bad_input("id_number", "Không có nhân khẩu nào mang số định danh này trong phường",
                            "No resident of the ward has this identification number")
        if key in seen:
            raise bad_input("id_number", "Số định danh lặp lại trong tệp", "The number appears twice in the file")
        seen.add(key)
        await _apply(session, person, row)

    return await apply_rows(session, rows, apply, field="id_number", column=FIELD_COLUMN)


async def import_xlsx(session: AsyncSession, content: bytes) -> int:
    if not content:
        raise bad_input("file", "Tệp trống", "The file is empty")
    return await import_rows(session, read_rows(content))
