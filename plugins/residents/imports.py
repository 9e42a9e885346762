"""Import households and persons from a spreadsheet (.xlsx) or .csv file, and export them the same way.

The template
============

One row per person, the first row holding the column titles (Vietnamese or English titles, or the keys
below, in any order; accents and case do not matter). Rows of one household share its code; the
household's address and neighbourhood may be given on its first row only.

=====================  ==========================  ========  ============================================
key                    Vietnamese title            required  values
=====================  ==========================  ========  ============================================
``household_code``     Mã hộ                       yes       letters, digits, ``. _ / -``; new in the ward
``address``            Địa chỉ                     yes       on the household's first row at least
``neighbourhood``      Khu dân cư                  no        the code of a neighbourhood of the ward
``relation``           Quan hệ với chủ hộ          yes       ``Chủ hộ`` (one per household), ``Vợ/chồng``,
                                                             ``Con``… (code or label of ``RELATIONS``)
``full_name``          Họ và tên                   yes
``birth_date``         Ngày sinh                   yes       ``dd/mm/yyyy``; ``mm/yyyy`` or ``yyyy`` for
                                                             people aged 60 or more
``sex``                Giới tính                   yes       ``Nam`` / ``Nữ``
``id_number``          Số định danh cá nhân        no        12 digits, consistent with sex and birth year
``ethnicity``          Dân tộc                     no        one of the 54 groups (default Kinh)
``religion``           Tôn giáo                    no        default ``Không``
``nationality``        Quốc tịch                   no        2 letters, default ``VN``
``occupation``         Nghề nghiệp                 no
``phone``              Số điện thoại               no        ``0…`` or ``+84…``
=====================  ==========================  ========  ============================================

:func:`template` writes an empty template (with a sheet of instructions and the reference lists in the
.xlsx form); :func:`export` writes the ward's present persons in the same columns, so an export can be
imported again.

All or nothing
==============

:func:`import_file` checks every row first and reports every problem as (row, field, message in vi and
en), row 1 being the titles. If there is any, nothing is written. Otherwise households, persons and
their identification numbers are inserted in bulk (``insert(Model)`` with a list of rows, which the
tenant scoping checks row by row); bulk inserts bypass the per-object audit, so one audit entry
summarises the import. Spreadsheets are read with python-calamine and written with openpyxl.
"""

from __future__ import annotations

import csv
import hashlib
import io
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.toolkit import audit, bad_input, new_id, utcnow
from plugins.residents import reference as ref
from plugins.residents import registry
from plugins.residents.models import Household, Neighbourhood, Person
from plugins.residents.normalize import normalize
from plugins.residents.validation import (
    Problem,
    clean_household,
    clean_person,
    clean_relation,
    text_value,
    today_in_vietnam,
)


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    vi: str
    en: str
    required: bool
    help_vi: str
    help_en: str


COLUMNS = (
    Column("household_code", "Mã hộ", "Household code", True, "Chữ, số, . _ / -", "Letters, digits, . _ / -"),
    Column("address", "Địa chỉ", "Address", True, "Ghi ở dòng đầu của hộ", "On the household's first row"),
    Column("neighbourhood", "Khu dân cư", "Neighbourhood", False, "Mã khu phố/ấp/tổ", "Neighbourhood code"),
    Column("relation", "Quan hệ với chủ hộ", "Relation to head", True, "Chủ hộ, Vợ/chồng, Con…",
           "Head of household, Spouse, Child…"),
    Column("full_name", "Họ và tên", "Full name", True, "", ""),
    Column("birth_date", "Ngày sinh", "Date of birth", True, "dd/mm/yyyy (mm/yyyy, yyyy: từ 60 tuổi)",
           "dd/mm/yyyy (mm/yyyy, yyyy: aged 60+)"),
    Column("sex", "Giới tính", "Sex", True, "Nam / Nữ", "Male / Female"),
    Column("id_number", "Số định danh cá nhân", "Personal ID number", False, "12 chữ số", "12 digits"),
    Column("ethnicity", "Dân tộc", "Ethnicity", False, "Mặc định: Kinh", "Default: Kinh"),
    Column("religion", "Tôn giáo", "Religion", False, "Mặc định: Không", "Default: None"),
    Column("nationality", "Quốc tịch", "Nationality", False, "Mã 2 chữ, mặc định VN", "2 letters, default VN"),
    Column("occupation", "Nghề nghiệp", "Occupation", False, "", ""),
    Column("phone", "Số điện thoại", "Phone", False, "0… hoặc +84…", "0… or +84…"),
)
KEYS = tuple(c.key for c in COLUMNS)
MAX_ROWS = 200_000
_HEADER_NAMES = {normalize(name): c.key for c in COLUMNS for name in (c.key, c.vi, c.en)}


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    field: str
    vi: str
    en: str

    @property
    def column(self) -> str:
        return self.field

    @property
    def message(self) -> tuple[str, str]:
        return self.vi, self.en

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message_vi": self.vi, "message_en": self.en}


@dataclass(slots=True)
class ImportReport:
    rows: int = 0
    households: int = 0
    persons: int = 0
    errors: list[RowError] = field(default_factory=list)
    written: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "written": self.written, "rows": self.rows, "households": self.households,
                "persons": self.persons, "seconds": self.seconds, "errors": [e.as_dict() for e in self.errors]}


# -- reading files -------------------------------------------------------------------------------------

def _is_xlsx(content: bytes, filename: str) -> bool:
    return filename.lower().endswith((".xlsx", ".xlsm")) or content[:4] == b"PK\x03\x04"


def read_rows(content: bytes, filename: str = "") -> Iterator[tuple[Any, ...]]:
    """The file's rows as tuples of cell values (titles first); raises ``BAD_USER_INPUT`` on ``file``."""
    if _is_xlsx(content, filename):
        from python_calamine import CalamineError, CalamineWorkbook

        try:  # calamine (Rust) reads 10,000 rows in ~0.1 s, openpyxl in ~1.2 s
            sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
            yield from (tuple(row) for row in sheet.to_python(skip_empty_area=False))
        except (CalamineError, IndexError) as exc:
            raise bad_input("file", "Không đọc được tệp Excel (.xlsx)",
                            "The Excel (.xlsx) file cannot be read") from exc
        return
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise bad_input("file", "Tệp CSV phải được lưu theo mã UTF-8", "The CSV file must be saved as UTF-8") from exc
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    yield from (tuple(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter))


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def parse(content: bytes, filename: str = "") -> tuple[list[dict[str, Any]], list[RowError]]:
    """Rows as ``{key: value, "_row": number}`` (blank rows skipped), and problems with the titles."""
    rows = read_rows(content, filename)
    header = next(rows, None)
    if header is None:
        return [], [RowError(1, "file", "Tệp trống", "The file is empty")]
    keys: list[str | None] = []
    errors = []
    for title in header:
        title = _cell(title)
        key = _HEADER_NAMES.get(normalize(str(title))) if title is not None else None
        if title is not None and key is None:
            errors.append(RowError(1, str(title), f"Cột không có trong mẫu: {title}",
                                   f"Not a template column: {title}"))
        keys.append(key)
    for column in COLUMNS:
        if column.required and column.key not in keys:
            errors.append(RowError(1, column.key, f"Thiếu cột {column.vi}", f"The column {column.en} is missing"))
    parsed = []
    for number, row in enumerate(rows, start=2):
        values = {k: _cell(v) for k, v in zip(keys, row, strict=False) if k is not None}
        if not any(v is not None for v in values.values()):
            continue
        if len(parsed) >= MAX_ROWS:
            errors.append(RowError(number, "file", f"Tệp có quá {MAX_ROWS} dòng", f"The file has over {MAX_ROWS} rows"))
            break
        values["_row"] = number
        parsed.append(values)
    return parsed, errors


# -- checking and loading ------------------------------------------------------------------------------

@dataclass(slots=True)
class _Household:
    first_row: int
    values: dict[str, Any]
    neighbourhood_id: Any
    heads: list[int] = field(default_factory=list)
    persons: list[dict[str, Any]] = field(default_factory=list)


async def check(session: AsyncSession, tenant_id: Any, rows: list[dict[str, Any]],
                today: date) -> tuple[dict[str, _Household], list[RowError]]:
    """Validate every row and the file as a whole; nothing is written."""
    errors: list[RowError] = []

    def add(row: int, problem: Problem) -> None:
        errors.append(RowError(row, problem.field, problem.vi, problem.en))

    neighbourhoods = dict((await session.execute(select(Neighbourhood.code, Neighbourhood.id))).all())
    households: dict[str, _Household] = {}
    numbers: dict[str, int] = {}
    for row in rows:
        number = row["_row"]
        person, problems = clean_person(row, today)
        for problem in problems:
            add(number, problem)
        relation = clean_relation(row.get("relation"))
        if isinstance(relation, Problem):
            add(number, relation)
        code = text_value(row.get("household_code"))
        household = households.get(code)
        if household is None:
            values, problems = clean_household({"code": code, "address": row.get("address")})
            for problem in problems:
                add(number, Problem("household_code" if problem.field == "code" else problem.field,
                                    problem.vi, problem.en))
            household = _Household(number, values, None)
            if code and not any(p.field == "code" for p in problems):
                households[code] = household
        else:
            address = text_value(row.get("address"))
            if address and address != household.values.get("address"):
                add(number, Problem("address", f"Địa chỉ khác với dòng {household.first_row} của cùng hộ",
                                    f"The address differs from row {household.first_row} of the same household"))
        area = text_value(row.get("neighbourhood"))
        if area:
            found = neighbourhoods.get(area)
            if found is None:
                add(number, Problem("neighbourhood", f"Không có khu dân cư mã {area}",
                                    f"No neighbourhood with code {area}"))
            elif household.neighbourhood_id is None and household.first_row == number:
                household.neighbourhood_id = found
            elif found != household.neighbourhood_id:
                add(number, Problem("neighbourhood", f"Khu dân cư khác với dòng {household.first_row} của cùng hộ",
                                    f"The neighbourhood differs from row {household.first_row} of the same household"))
        if relation == ref.HEAD:
            household.heads.append(number)
        id_number = person.get("id_number")
        if id_number:
            if id_number in numbers:
                add(number, Problem("id_number", f"Số định danh trùng với dòng {numbers[id_number]}",
                                    f"The identification number repeats row {numbers[id_number]}"))
            else:
                numbers[id_number] = number
        if not problems and not isinstance(relation, Problem):
            household.persons.append({**person, "relation": relation, "_row": number})
    for code, household in households.items():
        if not household.heads:
            add(household.first_row, Problem("relation", f"Hộ {code} chưa có chủ hộ", f"Household {code} has no head"))
        for extra in household.heads[1:]:
            add(extra, Problem("relation", f"Hộ {code} đã có chủ hộ ở dòng {household.heads[0]}",
                               f"Household {code} already has its head on row {household.heads[0]}"))
    codes = list(households)
    for start in range(0, len(codes), registry.CHUNK):
        chunk = codes[start:start + registry.CHUNK]
        for code in (await session.execute(select(Household.code).where(Household.code.in_(chunk)))).scalars():
            add(households[code].first_row, Problem("household_code", f"Mã hộ {code} đã có trong đơn vị",
                                                    f"The household code {code} is already used in this unit"))
    for problem in await registry.taken(session, tenant_id, {str(row): n for n, row in numbers.items()}):
        add(int(problem.field), Problem("id_number", problem.vi, problem.en))
    errors.sort(key=lambda e: (e.row, KEYS.index(e.field) if e.field in KEYS else len(KEYS)))
    return households, errors


async def import_file(session: AsyncSession, tenant_id: Any, content: bytes, filename: str = "", *,
                      dry_run: bool = False, today: date | None = None) -> ImportReport:
    """Check the file and, if every row is valid and ``dry_run`` is false, load it (see the module's docstring)."""
    started = time.perf_counter()
    rows, errors = parse(content, filename)
    digest = hashlib.sha256(content).hexdigest()
    report = await import_rows(session, tenant_id, rows, title_errors=errors, dry_run=dry_run, today=today,
                               source={"file": filename[:200], "sha256": digest})
    report.seconds = round(time.perf_counter() - started, 3)
    return report


async def import_rows(session: AsyncSession, tenant_id: Any, rows: list[dict[str, Any]], *,
                      title_errors: list[RowError] | None = None, dry_run: bool = False, today: date | None = None,
                      source: dict[str, Any] | None = None) -> ImportReport:
    """:func:`import_file` for rows already read (``{key: value, "_row": number}``)."""
    started = time.perf_counter()
    report = ImportReport(rows=len(rows))
    households, row_errors = await check(session, tenant_id, rows, today or today_in_vietnam())
    report.errors = list(title_errors or []) + row_errors
    report.households = len(households)
    report.persons = sum(len(h.persons) for h in households.values())
    if not rows and not report.errors:
        report.errors.append(RowError(2, "file", "Tệp không có dòng dữ liệu nào", "The file has no data rows"))
    if report.ok and not dry_run:
        await _load(session, tenant_id, households)
        summary = {**(source or {}), "rows": report.rows, "households": report.households, "persons": report.persons}
        entity_id = str(summary.get("sha256", new_id()))[:32]
        await audit(session, tenant_id=tenant_id, action="import", entity="residents_import", entity_id=entity_id,
                    after=summary)
        report.written = True
    report.seconds = round(time.perf_counter() - started, 3)
    return report


async def _load(session: AsyncSession, tenant_id: Any, households: dict[str, _Household]) -> None:
    now = utcnow()
    household_rows, person_rows, registrations = [], [], []
    for household in households.values():
        household_id = new_id()
        household_rows.append({"tenant_id": tenant_id, "id": household_id, **household.values,
                               "neighbourhood_id": household.neighbourhood_id, "status": "active", "version": 1,
                               "created_at": now, "updated_at": now})
        for person in household.persons:
            person_id = new_id()
            values = {k: v for k, v in person.items() if k != "_row"}
            person_rows.append({"tenant_id": tenant_id, "id": person_id, **values, "household_id": household_id,
                                "status": ref.PRESENT, "status_date": None, "moved_to": None, "version": 1,
                                "created_at": now, "updated_at": now})
            if values.get("id_number"):
                registrations.append({"id_number": values["id_number"], "tenant_id": tenant_id,
                                      "person_id": person_id, "registered_at": now})
    # render_nulls: rows with blanks in different columns still go out in the same batches
    options = {"render_nulls": True}
    await session.execute(insert(Household), household_rows, execution_options=options)
    await session.execute(insert(Person), person_rows, execution_options=options)
    await registry.claim(session, registrations)


# -- writing files -------------------------------------------------------------------------------------

def _write(rows: Iterable[Iterable[Any]], fmt: str, extra_sheets: dict[str, list[list[Any]]] | None = None) -> bytes:
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerows(rows)
        return ("\ufeff" + out.getvalue()).encode("utf-8")  # a BOM: Excel then reads the accents right
    if fmt != "xlsx":
        raise bad_input("format", "Định dạng phải là xlsx hoặc csv", "The format must be xlsx or csv")
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Nhân khẩu")
    id_column = KEYS.index("id_number")
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            cell = WriteOnlyCell(sheet, value=value)
            if i == id_column:
                cell.number_format = "@"  # text: keeps the leading zeros of identification numbers
            cells.append(cell)
        sheet.append(cells)
    for title, sheet_rows in (extra_sheets or {}).items():
        extra = book.create_sheet(title)
        for row in sheet_rows:
            extra.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template(fmt: str = "xlsx", lang: str = "vi") -> bytes:
    """An empty import file: the titles, and for .xlsx the instructions and the reference lists."""
    titles = [c.en if lang == "en" else c.vi for c in COLUMNS]
    guide = [["Cột / Column", "Khóa / Key", "Bắt buộc / Required", "Hướng dẫn", "Notes"]]
    guide += [[f"{c.vi} / {c.en}", c.key, "x" if c.required else "", c.help_vi, c.help_en] for c in COLUMNS]
    lists = [["Danh mục / List", "Mã / Code", "Tiếng Việt", "English"]]
    for name, terms in (("relation", ref.RELATIONS), ("sex", ref.SEXES), ("ethnicity", ref.ETHNICITIES),
                        ("religion", ref.RELIGIONS)):
        lists += [[name, t.code, t.vi, t.en] for t in terms]
    return _write([titles], fmt, {"Hướng dẫn": guide, "Danh mục": lists})


async def export(session: AsyncSession, fmt: str = "xlsx", lang: str = "vi") -> bytes:
    """The present persons of the session's scope, in the template's columns (importable again)."""
    areas = dict((await session.execute(select(Neighbourhood.id, Neighbourhood.code))).all())
    query = (
        select(Person, Household)
        .join(Household, Household.id == Person.household_id)
        .where(Person.status == ref.PRESENT)
        .order_by(Household.code, Person.relation != ref.HEAD, Person.birth_year, Person.id)
    )
    label = "en" if lang == "en" else "vi"
    relations, sexes = ref.by_code(ref.RELATIONS), ref.by_code(ref.SEXES)
    ethnicities, religions = ref.by_code(ref.ETHNICITIES), ref.by_code(ref.RELIGIONS)

    def rows() -> Iterator[list[Any]]:
        yield [getattr(c, label) for c in COLUMNS]
        for person, household in result:
            birth = (f"{person.birth_day:02d}/{person.birth_month:02d}/{person.birth_year}" if person.birth_day
                     else f"{person.birth_month:02d}/{person.birth_year}" if person.birth_month
                     else str(person.birth_year))
            yield [household.code, household.address, areas.get(household.neighbourhood_id),
                   relations[person.relation].label(label), person.full_name, birth,
                   sexes[person.sex].label(label), person.id_number, ethnicities[person.ethnicity].label(label),
                   religions[person.religion].label(label), person.nationality, person.occupation, person.phone]

    result = (await session.execute(query)).all()
    return _write(rows(), fmt)
