"""Imports from .xlsx files: allowance beneficiaries, policy families (people of merit) and poor or near-poor
households. All or nothing, every bad row reported.

Each kind (:data:`KINDS`) has its columns (first row of the first sheet; the Vietnamese keys below, in any
order). Persons are named by their identification number and households by their code in ``residents``: nothing
about them is typed again. Every row goes through the same service as the API and the forms, in a savepoint;
if any row is bad the savepoint is rolled back, nothing is written, and the answer is ``BAD_USER_INPUT`` with a
field ``rows.<row>.<column>`` per problem (row 1 being the titles), each message in Vietnamese and English.
A successful import is summarised in one audit entry besides the per-row entries of the writes.

=================== =================================================================================
kind                columns (required in bold in the template's guide)
=================== =================================================================================
``beneficiaries``   ``so_dinh_danh``, ``ma_doi_tuong`` (category of Decree 20/2021), ``tu_thang`` (YYYY-MM),
                    ``so_quyet_dinh``
``policy_families`` ``ma_ho``, ``loai`` (policy category), ``so_dinh_danh_nguoi_co_cong``, ``ngay_cong_nhan``,
                    ``ghi_chu``
``poverty``         ``ma_ho``, ``muc`` (``poor``/``near_poor``, or ``nghèo``/``cận nghèo``), ``giai_doan``
                    (``2022-2025``), ``nam``, ``ngay_ra_soat``
=================== =================================================================================
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.toolkit import UserError, apply_rows, audit, bad_input
from plugins.residents.models import Household, Person
from plugins.residents.normalize import normalize
from plugins.social_welfare import reference as ref
from plugins.social_welfare import services

MAX_ROWS = 20_000
Row = dict[str, Any]


@dataclass(frozen=True)
class Kind:
    name: str
    title: tuple[str, str]
    columns: dict[str, str]  # column → the service's field
    required: tuple[str, ...]
    example: tuple[Any, ...]
    apply: Callable[[AsyncSession, Row, dict[str, Any]], Awaitable[Any]]
    extra_fields: dict[str, str]  # a service field → the column its errors belong to

    @property
    def field_column(self) -> dict[str, str]:
        return {v: k for k, v in self.columns.items()} | self.extra_fields


def _not_found_person() -> UserError:
    return bad_input("id_number", "Không có nhân khẩu nào mang số định danh này trong phường",
                     "No resident of the ward has this identification number")


def _not_found_household() -> UserError:
    return bad_input("household_code", "Không có hộ gia đình nào mang mã này trong phường",
                     "No household of the ward has this code")


async def _beneficiary(session: AsyncSession, row: Row, found: dict[str, Any]) -> Any:
    person = found["persons"].get(_text(row.get("id_number")))
    if person is None:
        raise _not_found_person()
    return await services.add_beneficiary(session, {**row, "person_id": person.id})


async def _policy_family(session: AsyncSession, row: Row, found: dict[str, Any]) -> Any:
    household = found["households"].get(_text(row.get("household_code")))
    if household is None:
        raise _not_found_household()
    merit = _text(row.get("merit_id_number"))
    person_id = None
    if merit:
        person = found["persons"].get(merit)
        if person is None:
            raise bad_input("person_id", "Không có nhân khẩu nào mang số định danh này trong phường",
                            "No resident of the ward has this identification number")
        person_id = person.id
    return await services.add_policy_family(session, {**row, "household_id": household.id, "person_id": person_id})


LEVEL_NAMES = {normalize(vi): code for code, (vi, _en) in ref.POVERTY_LEVELS.items()} | {
    normalize(en): code for code, (_vi, en) in ref.POVERTY_LEVELS.items()} | {
    "ngheo": "poor", "can ngheo": "near_poor", "poor": "poor", "near_poor": "near_poor", "near poor": "near_poor"}


async def _poverty(session: AsyncSession, row: Row, found: dict[str, Any]) -> Any:
    household = found["households"].get(_text(row.get("household_code")))
    if household is None:
        raise _not_found_household()
    level = LEVEL_NAMES.get(normalize(_text(row.get("level"))), _text(row.get("level")))
    return await services.assess_household(session, {**row, "household_id": household.id, "level": level})


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("beneficiaries", ("Đối tượng trợ cấp hằng tháng", "Monthly allowance beneficiaries"),
         {"so_dinh_danh": "id_number", "ma_doi_tuong": "category_code", "tu_thang": "start_month",
          "so_quyet_dinh": "decision"},
         ("so_dinh_danh", "ma_doi_tuong", "tu_thang"),
         ("001206012345", "elderly_80", "2026-01", "QĐ 12/2026"), _beneficiary, {"person_id": "so_dinh_danh"}),
    Kind("policy_families", ("Gia đình chính sách, người có công", "Policy families, people of merit"),
         {"ma_ho": "household_code", "loai": "category_code", "so_dinh_danh_nguoi_co_cong": "merit_id_number",
          "ngay_cong_nhan": "recognised_on", "ghi_chu": "note"},
         ("ma_ho", "loai"),
         ("HK-001", "martyr_family", None, "2020-07-27", ""), _policy_family,
         {"household_id": "ma_ho", "person_id": "so_dinh_danh_nguoi_co_cong"}),
    Kind("poverty", ("Hộ nghèo, cận nghèo", "Poor and near-poor households"),
         {"ma_ho": "household_code", "muc": "level", "giai_doan": "period", "nam": "year",
          "ngay_ra_soat": "assessed_on"},
         ("ma_ho", "muc", "giai_doan", "nam"),
         ("HK-001", "near_poor", "2026-2030", 2026, "2026-11-15"), _poverty, {"household_id": "ma_ho"}),
)}


def kind_of(name: Any) -> Kind:
    kind = KINDS.get(str(name or "beneficiaries"))
    if kind is None:
        raise bad_input("kind", f"Loại tệp: {', '.join(KINDS)}", f"The kind of file: {', '.join(KINDS)}")
    return kind


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return value.strip() or None
    return value


def template(kind_name: str) -> bytes:
    kind = kind_of(kind_name)
    book = Workbook()
    sheet = book.active
    sheet.title = kind.name
    sheet.append(list(kind.columns))
    sheet.append(list(kind.example))
    guide = book.create_sheet("huong_dan")
    guide.append(["Cột / Column", "Bắt buộc / Required"])
    for column in kind.columns:
        guide.append([column, "x" if column in kind.required else ""])
    lists = book.create_sheet("danh_muc")
    lists.append(["Danh mục / List", "Mã / Code", "Tiếng Việt", "English"])
    if kind.name == "beneficiaries":
        lists_rows = [("ma_doi_tuong", c.code, c.title_vi, c.title_en) for c in ref.CATEGORIES]
    elif kind.name == "policy_families":
        lists_rows = [("loai", code, vi, en) for code, (vi, en) in ref.POLICY_CATEGORIES.items()]
    else:
        lists_rows = [("muc", code, vi, en) for code, (vi, en) in ref.POVERTY_LEVELS.items()]
        lists_rows += [("giai_doan", period, f"{a}–{b}", f"{a}–{b}") for period, (a, b) in ref.POVERTY_PERIODS.items()]
    for row in lists_rows:
        lists.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_rows(kind: Kind, content: bytes) -> list[tuple[int, Row]]:
    """The data rows as ``(row number, {field: value})``; a bad file or header is a ``file`` error."""
    if not content:
        raise bad_input("file", "Tệp trống", "The file is empty")
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise bad_input("file", "Không đọc được tệp .xlsx", "The file is not a readable .xlsx workbook") from exc
    rows = book.worksheets[0].iter_rows(values_only=True)
    header = [str(c).strip() if c is not None else "" for c in next(rows, ())]
    unknown = [h for h in header if h and h not in kind.columns]
    missing = [c for c in kind.required if c not in header]
    if unknown or missing:
        raise bad_input("file", f"Dòng tiêu đề phải gồm các cột: {', '.join(kind.columns)} (bắt buộc: "
                        f"{', '.join(kind.required)})", f"The header row must hold the columns: "
                        f"{', '.join(kind.columns)} (required: {', '.join(kind.required)})")
    out = []
    for number, values in enumerate(rows, start=2):
        if all(v in (None, "") for v in values):
            continue
        out.append((number, {kind.columns[h]: _cell(v) for h, v in zip(header, values, strict=False) if h}))
        if len(out) > MAX_ROWS:
            raise bad_input("file", f"Tối đa {MAX_ROWS} dòng mỗi tệp", f"At most {MAX_ROWS} rows a file")
    if not out:
        raise bad_input("file", "Tệp không có dòng dữ liệu nào", "The file has no data rows")
    return out


async def _lookups(session: AsyncSession, rows: list[tuple[int, Row]]) -> dict[str, Any]:
    numbers = {_text(r.get(k)) for _, r in rows for k in ("id_number", "merit_id_number")} - {""}
    codes = {_text(r.get("household_code")) for _, r in rows} - {""}
    persons = {p.id_number: p for p in (await session.execute(
        select(Person).where(Person.id_number.in_(numbers)))).scalars()} if numbers else {}
    households = {h.code: h for h in (await session.execute(
        select(Household).where(Household.code.in_(codes)))).scalars()} if codes else {}
    return {"persons": persons, "households": households}


async def import_rows(session: AsyncSession, kind: Kind, rows: list[tuple[int, Row]]) -> int:
    """Apply every row or none; returns the number of rows written."""
    found = await _lookups(session, rows)

    async def apply(row: Row) -> None:
        await kind.apply(session, row, found)

    return await apply_rows(session, rows, apply, field=kind.required[0], column=kind.field_column)


async def import_xlsx(session: AsyncSession, content: bytes, kind_name: str = "beneficiaries", *,
                      tenant_id: Any = None) -> int:
    kind = kind_of(kind_name)
    count = await import_rows(session, kind, read_rows(kind, content))
    if tenant_id is not None:
        digest = hashlib.sha256(content).hexdigest()
        await audit(session, tenant_id=tenant_id, action="import", entity=f"social_welfare_{kind.name}",
                    entity_id=digest[:32], after={"kind": kind.name, "rows": count, "sha256": digest})
    return count


def report(error: UserError) -> list[dict[str, Any]]:
    """A row-level report of an import refused: ``[{row, column, message_vi, message_en}]``, in row order."""
    out = []
    for key, (vi, en) in error.fields.items():
        parts = key.split(".", 2)
        if len(parts) == 3 and parts[0] == "rows" and parts[1].isdigit():
            out.append({"row": int(parts[1]), "column": parts[2], "message_vi": vi, "message_en": en})
        else:
            out.append({"row": None, "column": key, "message_vi": vi, "message_en": en})
    return sorted(out, key=lambda r: (r["row"] or 0, r["column"]))
