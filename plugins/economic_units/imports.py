"""Import of units from a spreadsheet (.xlsx, or UTF-8 .csv), all or nothing; export in the same columns.

The first row holds the column titles — the Vietnamese titles of the template or the field names
(``tax_code``, ``name``…). Every row is checked with the same rules as a single registration, tax codes
also against each other and against the ward's register. If any row is wrong, nothing is written and the
report lists every problem as ``rows.<row number>.<field>``; otherwise every row is inserted in one go.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.toolkit import UserError, bad_input, flush_or_conflict
from plugins.economic_units import reference as ref
from plugins.economic_units import services
from plugins.economic_units.models import EconomicUnit, StatusChange

COLUMNS: tuple[tuple[str, str, str], ...] = (  # field, Vietnamese title, English title
    ("tax_code", "Mã số thuế", "Tax code"),
    ("name", "Tên đơn vị", "Name"),
    ("kind", "Loại hình", "Kind"),
    ("owner_name", "Chủ sở hữu", "Owner"),
    ("address", "Địa chỉ", "Address"),
    ("latitude", "Vĩ độ", "Latitude"),
    ("longitude", "Kinh độ", "Longitude"),
    ("section", "Ngành cấp 1", "Section"),
    ("vsic_code", "Mã ngành VSIC", "VSIC code"),
    ("labour", "Số lao động", "Labour"),
    ("revenue", "Doanh thu (tỷ đồng)", "Revenue (billion VND)"),
    ("capital", "Nguồn vốn (tỷ đồng)", "Capital (billion VND)"),
    ("status", "Trạng thái", "Status"),
)
TITLES = {title.lower(): key for key, vi, en in COLUMNS for title in (key, vi, en)}
MAX_ROWS = 20_000


@dataclass
class Report:
    rows: int = 0
    created: int = 0
    errors: list[tuple[int, str, tuple[str, str]]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "created": self.created}

    def raise_if_bad(self) -> None:
        if self.errors:
            bad = len({row for row, _, _ in self.errors})
            fields: dict[str, tuple[str, str]] = {}
            for row, name, message in self.errors:
                fields.setdefault(f"rows.{row}.{name}", message)
            raise UserError("BAD_USER_INPUT", (f"{bad} dòng có lỗi; chưa ghi dòng nào",
                                               f"{bad} rows have errors; nothing was written"), fields)


def read_rows(content: bytes, filename: str = "") -> Iterator[tuple[Any, ...]]:
    if filename.lower().endswith(".xlsx") or content[:4] == b"PK\x03\x04":
        from python_calamine import CalamineError, CalamineWorkbook

        try:
            sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
            rows = sheet.to_python(skip_empty_area=False)
        except (CalamineError, IndexError, ValueError) as exc:
            raise bad_input("file", "Không đọc được tệp Excel (.xlsx)",
                            "The Excel (.xlsx) file cannot be read") from exc
        yield from (tuple(row) for row in rows)
        return
    try:
        decoded = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise bad_input("file", "Tệp phải là .xlsx hoặc .csv UTF-8", "The file must be .xlsx or UTF-8 .csv") from exc
    delimiter = max(",;\t", key=decoded.split("\n", 1)[0].count)
    yield from (tuple(row) for row in csv.reader(io.StringIO(decoded), delimiter=delimiter))


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1e6:
        return str(int(value))  # a tax code typed as a number
    return value


def parse(content: bytes, filename: str = "") -> list[tuple[int, dict[str, Any]]]:
    rows = iter(read_rows(content, filename))
    header = next(rows, None)
    if not header:
        raise bad_input("file", "Tệp trống", "The file is empty")
    keys = [TITLES.get(str(title).strip().lower()) if title not in (None, "") else None for title in header]
    missing = [vi for key, vi, _ in COLUMNS if key in ("name", "address") and key not in keys]
    if missing:
        raise bad_input("file", f"Thiếu cột: {', '.join(missing)}", "Missing columns: name, address")
    out = []
    for number, row in enumerate(rows, start=2):
        values = {k: _cell(v) for k, v in zip(keys, row, strict=False) if k is not None}
        if all(v in (None, "") for v in values.values()):
            continue
        if len(out) >= MAX_ROWS:
            raise bad_input("file", f"Tối đa {MAX_ROWS} dòng mỗi tệp", f"At most {MAX_ROWS} rows a file")
        out.append((number, values))
    return out


async def import_file(session: AsyncSession, content: bytes, filename: str = "", *, dry_run: bool = False,
                      today: date | None = None) -> Report:
    rows = parse(content, filename)
    report = Report(rows=len(rows))
    taken = set((await session.execute(select(EconomicUnit.tax_code).where(EconomicUnit.tax_code.is_not(None))))
                .scalars())
    seen: dict[str, int] = {}
    cleaned: list[tuple[dict[str, Any], str]] = []
    for number, values in rows:
        status = values.pop("status", None) or "active"
        problems: dict[str, tuple[str, str]] = {}
        try:
            data = await services.clean(session, values)
        except UserError as exc:
            problems.update(exc.fields)
            data = None
        if status not in ref.STATUSES:
            problems["status"] = ("Phải là active, suspended hoặc closed", "Must be active, suspended or closed")
        if data is not None and data["tax_code"]:
            code = data["tax_code"]
            if code in taken:
                problems["tax_code"] = ("Mã số thuế đã được đăng ký trong phường", "Already registered in this ward")
            elif code in seen:
                problems["tax_code"] = (f"Trùng với dòng {seen[code]}", f"Same as row {seen[code]}")
            else:
                seen[code] = number
        if problems:
            report.errors.extend((number, name, message) for name, message in problems.items())
        elif data is not None:
            cleaned.append((data, status))
    if report.errors or dry_run:
        return report
    since = today or date.today()
    units = [EconomicUnit(**data, status=status, status_date=since) for data, status in cleaned]
    session.add_all(units)
    await flush_or_conflict(session)
    session.add_all([StatusChange(unit_id=u.id, from_status=None, to_status=u.status, changed_on=since,
                                  note="imported") for u in units])
    await flush_or_conflict(session)
    report.created = len(units)
    return report


def _workbook(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("don-vi-kinh-te")
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def header(lang: str = "vi") -> list[str]:
    return [en if lang == "en" else vi for _, vi, en in COLUMNS]


def template(lang: str = "vi") -> bytes:
    return _workbook([header(lang)])


async def export(session: AsyncSession, filters: services.Filters, lang: str = "vi") -> bytes:
    rows: list[list[Any]] = [header(lang)]
    for unit in (await session.execute(services.units_query(filters))).scalars():
        rows.append([getattr(unit, key) for key, _, _ in COLUMNS])
    return _workbook(rows)
