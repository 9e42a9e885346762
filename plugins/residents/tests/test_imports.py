"""Import from .xlsx/.csv: every bad row reported and nothing written, or every row written; export."""

import csv
import io
import time

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from core.audit.models import AuditEntry
from plugins.residents import imports, registry, services
from plugins.residents.models import Household, Person
from plugins.residents.plugin import wardhub_purge_tenant_data
from plugins.residents.samples import SampleMaker, renumber_taken
from plugins.residents.tests.conftest import TODAY

pytestmark = pytest.mark.plugins("residents")
TITLES = [c.vi for c in imports.COLUMNS]


def csv_file(rows, titles=TITLES):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(titles)
    writer.writerows([[row.get(key) for key in imports.KEYS] for row in rows])
    return out.getvalue().encode("utf-8")


def xlsx_file(rows, titles=TITLES):
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(titles)
    for row in rows:
        sheet.append([row.get(key) for key in imports.KEYS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def counts(scoped, ward):
    async with scoped(ward) as session:
        return (await session.scalar(select(func.count()).select_from(Household)),
                await session.scalar(select(func.count()).select_from(Person)))


async def run(scoped, ward, content, name, **kwargs):
    async with scoped(ward) as session:
        return await imports.import_file(session, ward.id, content, name, today=TODAY, **kwargs)


async def sample_persons(scoped, maker, count):
    """``count`` sample persons whose numbers no ward of the test database holds yet."""
    rows = maker.persons(count)
    async with scoped() as session:
        await renumber_taken(session, maker, rows)
    return rows


async def test_ten_thousand_persons_load_all(scoped, ward, backend):
    rows = await sample_persons(scoped, SampleMaker(ward.id, TODAY), 10_000)
    content = xlsx_file(rows)
    started = time.perf_counter()
    report = await run(scoped, ward, content, "nhan-khau.xlsx")
    seconds = time.perf_counter() - started
    print(f"\n[{backend}] imported {report.persons} persons in {report.households} households "
          f"from .xlsx in {seconds:.2f} s ({report.persons / seconds:.0f} rows/s)")
    assert report.ok and report.written, report.errors[:5]
    assert report.persons == 10_000
    assert await counts(scoped, ward) == (report.households, 10_000)
    async with scoped(ward) as session:
        numbers = [r["id_number"] for r in rows[:500]]
        assert {o.tenant_id for o in (await registry.owners(session, numbers)).values()} == {ward.id}
        (entry,) = (await session.execute(select(AuditEntry).where(AuditEntry.action == "import"))).scalars()
        assert entry.after["persons"] == 10_000 and entry.after["file"] == "nhan-khau.xlsx"
    assert seconds < 120


async def test_ten_thousand_persons_with_bad_rows_load_none(scoped, ward, make_tenant, backend):
    other = await make_tenant(plugins=("residents",))
    maker = SampleMaker(ward.id, TODAY)
    elsewhere = maker.persons(1, prefix="EL")
    async with scoped(other) as session:  # someone already registered in another ward
        await imports.import_rows(session, other.id, [{**elsewhere[0], "_row": 2}], today=TODAY)
    rows = await sample_persons(scoped, maker, 10_000)
    head_rows = [i for i, r in enumerate(rows) if r["relation"] == "Chủ hộ"]
    bad = {  # row index → (field, what is wrong)
        10: ("id_number", lambda r: {**r, "id_number": "079" + r["id_number"][3:-1]}),  # 11 digits
        2000: ("id_number", lambda r: {**r, "id_number": rows[1999]["id_number"]}),  # repeats the row before
        3000: ("sex", lambda r: {**r, "sex": "Không rõ"}),
        4000: ("birth_date", lambda r: {**r, "birth_date": "01/01/2030"}),
        5000: ("ethnicity", lambda r: {**r, "ethnicity": "Sao Hỏa"}),
        6000: ("full_name", lambda r: {**r, "full_name": None}),
        7000: ("id_number", lambda r: {**r, "id_number": elsewhere[0]["id_number"], "sex": elsewhere[0]["sex"],
                                       "birth_date": elsewhere[0]["birth_date"]}),
        8000: ("phone", lambda r: {**r, "phone": "12345"}),
    }
    for index, (_field, change) in bad.items():
        rows[index] = change(rows[index])
    two_heads = next(i for i in head_rows if i > 9000 and rows[i + 1]["household_code"] == rows[i]["household_code"])
    rows[two_heads + 1] = {**rows[two_heads + 1], "relation": "Chủ hộ"}
    no_head = next(i for i in head_rows if i > 9500 and rows[i + 1]["household_code"] == rows[i]["household_code"])
    rows[no_head] = {**rows[no_head], "relation": "Con"}
    expected = {(i + 2, field) for i, (field, _change) in bad.items()}
    expected |= {(two_heads + 3, "relation"), (no_head + 2, "relation")}

    started = time.perf_counter()
    report = await run(scoped, ward, csv_file(rows), "nhan-khau.csv")
    seconds = time.perf_counter() - started
    print(f"\n[{backend}] checked 10000 rows of .csv with {len(report.errors)} problems in {seconds:.2f} s")
    assert not report.ok and not report.written
    assert {(e.row, e.field) for e in report.errors} == expected
    assert all(e.vi and e.en and e.vi != e.en for e in report.errors)
    taken = next(e for e in report.errors if e.row == 7002)
    assert other.code in taken.en and elsewhere[0]["full_name"] not in taken.en
    assert await counts(scoped, ward) == (0, 0)
    async with scoped(ward) as session:
        assert not await registry.owners(session, [rows[0]["id_number"]])


async def test_titles_in_english_or_as_keys_and_problems_with_them(scoped, ward):
    rows = SampleMaker(ward.id, TODAY).persons(3)
    report = await run(scoped, ward, csv_file(rows, [c.en.upper() for c in imports.COLUMNS]), "a.csv", dry_run=True)
    assert report.ok and not report.written and report.persons == 3
    assert await counts(scoped, ward) == (0, 0)
    report = await run(scoped, ward, csv_file(rows, list(imports.KEYS)).replace(b",", b";"), "b.csv", dry_run=True)
    assert report.ok, report.errors
    titles = [*TITLES[:4], "Biệt danh", *TITLES[5:]]  # no full name column, an unknown one
    report = await run(scoped, ward, csv_file(rows, titles), "c.csv")
    assert {(e.row, e.field) for e in report.errors if e.row == 1} == {(1, "Biệt danh"), (1, "full_name")}
    report = await run(scoped, ward, xlsx_file([], TITLES), "empty.xlsx")
    assert [e.field for e in report.errors] == ["file"]


async def test_spreadsheet_quirks(scoped, ward):
    from datetime import date

    rows = SampleMaker(ward.id, TODAY).households(1)
    head = rows[0]
    day, month, year = (int(part) for part in head["birth_date"].split("/")) if head["birth_date"].count("/") == 2 \
        else (1, 1, int(head["birth_date"]))
    rows[0] = {**head, "id_number": int(head["id_number"]),  # number cells: the leading 0 is lost
               "phone": int("0912345678"), "birth_date": date(year, month, day)}  # a date cell
    rows = [{**row, "household_code": 101} for row in rows]  # a code typed as a number
    report = await run(scoped, ward, xlsx_file(rows), "quirks.xlsx")
    assert report.ok, report.errors
    async with scoped(ward) as session:
        person = (await session.execute(select(Person).where(Person.id_number == head["id_number"]))).scalar_one()
        assert person.phone == "0912345678" and (person.birth_year, person.birth_month) == (year, month)
        assert (await services.get_household(session, person.household_id)).code == "101"


async def test_broken_files_are_client_errors(scoped, ward):
    from core.errors import UserError

    with pytest.raises(UserError) as caught:
        await run(scoped, ward, b"PK\x03\x04 not really a zip", "broken.xlsx")
    assert set(caught.value.fields) == {"file"}
    with pytest.raises(UserError) as caught:
        await run(scoped, ward, "Mã hộ\n".encode("utf-16"), "utf16.csv")
    assert set(caught.value.fields) == {"file"}


async def test_existing_household_codes_and_neighbourhoods(scoped, ward, people):
    async with scoped(ward) as session:
        await services.create_neighbourhood(session, {"code": "KP1", "name": "Khu phố 1"})
        await services.register_household(session, people.family("HK-00001", 1), today=TODAY)
    maker = SampleMaker(ward.id, TODAY)
    rows = maker.households(2, neighbourhoods=("KP1",))
    second = rows.index(next(r for r in rows if r["household_code"] == "HK-00002"))
    rows[second] = {**rows[second], "neighbourhood": "KP9"}
    if second + 1 < len(rows):
        rows[second + 1] = {**rows[second + 1], "address": "Nơi khác"}
    report = await run(scoped, ward, csv_file(rows), "x.csv")
    problems = {(e.row, e.field) for e in report.errors}
    assert (2, "household_code") in problems  # HK-00001 exists already
    assert (second + 2, "neighbourhood") in problems
    if second + 1 < len(rows):
        assert (second + 3, "address") in problems


async def test_export_then_import_again(scoped, ward):
    rows = SampleMaker(ward.id, TODAY).households(20)
    for number, row in enumerate(rows, start=2):
        row["_row"] = number
    async with scoped(ward) as session:
        assert (await imports.import_rows(session, ward.id, rows, today=TODAY)).written
    for fmt in ("csv", "xlsx"):
        async with scoped(ward) as session:
            content = await imports.export(session, fmt)
            await wardhub_purge_tenant_data(ward, session)
        assert await counts(scoped, ward) == (0, 0)
        report = await run(scoped, ward, content, f"export.{fmt}")
        assert report.ok and report.persons == len(rows), report.errors[:3]
    book = load_workbook(io.BytesIO(content), read_only=True)
    header = next(book.worksheets[0].iter_rows(values_only=True))
    assert list(header) == TITLES


def test_template_files():
    book = load_workbook(io.BytesIO(imports.template("xlsx")), read_only=True)
    assert book.sheetnames == ["Nhân khẩu", "Hướng dẫn", "Danh mục"]
    assert list(next(book.worksheets[0].iter_rows(values_only=True))) == TITLES
    rows, errors = imports.parse(imports.template("csv", "en"), "template.csv")
    assert rows == [] and errors == []
