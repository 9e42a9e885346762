"""Import from .xlsx (all or nothing, every bad row reported) and export in the same columns."""

import io

import pytest
from openpyxl import Workbook, load_workbook

from plugins.economic_units.imports import COLUMNS
from plugins.economic_units.plugin import demo_tax_code
from plugins.economic_units.tests.conftest import PLUGINS

pytestmark = pytest.mark.plugins(*PLUGINS)
EN = {"Accept-Language": "en"}


def xlsx(rows, titles=None):
    book = Workbook()
    sheet = book.active
    sheet.append(titles or [vi for _, vi, _ in COLUMNS])
    for row in rows:
        sheet.append([row.get(key) for key, _, _ in COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, ward, content, **params):
    return client.post(f"/t/{ward.key}/economic_units/imports", params=params, headers=EN,
                       files={"file": ("don-vi.xlsx", content, "application/octet-stream")})


async def test_a_valid_file_is_imported_and_exported_back(client, ward, units):
    rows = [units.body(section="C", labour=15), units.body(kind="household", tax_code=None, section="I"),
            units.body(status="suspended", vsic_code="4711", section=None)]
    rows[0]["tax_code"] = int(demo_tax_code(12345))  # a code typed as a number in the sheet is read back as text
    dry = await upload(client, ward, xlsx(rows), dry_run="true")
    assert dry.status_code == 200 and dry.json() == {"rows": 3, "created": 0}
    assert (await client.get(f"/t/{ward.key}/economic_units/units")).json()["total"] == 0
    response = await upload(client, ward, xlsx(rows))
    assert response.status_code == 201, response.text
    assert response.json() == {"rows": 3, "created": 3}
    listed = (await client.get(f"/t/{ward.key}/economic_units/units")).json()["items"]
    assert sorted(u["status"] for u in listed) == ["active", "active", "suspended"]
    assert {u["section"] for u in listed} == {"C", "I", "G"}
    assert demo_tax_code(12345) in {u["tax_code"] for u in listed}
    exported = await client.get(f"/t/{ward.key}/economic_units/export", params={"lang": "en"})
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.content)).active
    values = list(sheet.values)
    assert values[0][0] == "Tax code" and len(values) == 4
    again = await upload(client, ward, exported.content)  # the export reads back, as duplicates
    assert again.status_code == 400
    fields = again.json()["error"]["fields"]
    assert all(key.endswith(".tax_code") for key in fields) and len(fields) == 2


async def test_every_bad_row_is_reported_and_nothing_is_written(client, ward, units):
    good = units.body()
    rows = [good, units.body(tax_code="0100109107"), units.body(latitude=50, longitude=2),
            units.body(tax_code=good["tax_code"]), units.body(section="Z", labour="nhiều"), units.body(status="gone")]
    response = await upload(client, ward, xlsx(rows))
    assert response.status_code == 400
    error = response.json()["error"]
    assert "5 rows" in error["message"]
    assert set(error["fields"]) == {"rows.3.tax_code", "rows.4.latitude", "rows.4.longitude", "rows.5.tax_code",
                                    "rows.6.section", "rows.6.labour", "rows.7.status"}
    assert "row 2" in error["fields"]["rows.5.tax_code"]
    assert (await client.get(f"/t/{ward.key}/economic_units/units")).json()["total"] == 0


async def test_unreadable_or_empty_files_are_clear_errors(client, ward):
    for content in (b"PK\x03\x04 not really a workbook", b"\xff\xfe\x00garbage"):
        response = await upload(client, ward, content)
        assert response.status_code == 400 and "file" in response.json()["error"]["fields"]
    response = await upload(client, ward, xlsx([], titles=["Something else"]))
    assert response.status_code == 400 and "file" in response.json()["error"]["fields"]
    template = await client.get(f"/t/{ward.key}/economic_units/import-template")
    assert template.status_code == 200
    assert (await upload(client, ward, template.content)).json() == {"rows": 0, "created": 0}


async def test_only_editors_import(client_as, ward, units):
    integrator = await client_as("integrator", ward)
    assert (await upload(integrator, ward, xlsx([units.body()]))).status_code == 403
