"""The import page: a file through the browser form (htmx or plain post), the validation report with every
bad row, nothing written unless every row is valid, "check only" writing nothing, and who may use it."""

import re

import pytest
from sqlalchemy import func, select

from plugins.residents.models import Person
from plugins.residents.samples import SampleMaker
from plugins.residents.tests.conftest import TODAY
from plugins.residents.tests.test_imports import csv_file, sample_persons, xlsx_file

pytestmark = pytest.mark.plugins("residents")


async def _form(client, ward) -> tuple[str, str]:
    page = await client.get(f"/t/{ward.key}/residents/web/import?lang=vi")
    assert page.status_code == 200, page.text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
    return page.text, token


async def _persons(scoped, ward) -> int:
    async with scoped(ward) as session:
        return await session.scalar(select(func.count()).select_from(Person))


async def test_the_page_uploads_with_progress_and_reports_every_bad_row(client_as, ward, scoped):
    officer = await client_as("ward_officer", ward)
    html, token = await _form(officer, ward)
    assert 'hx-encoding="multipart/form-data"' in html and '<progress id="import-progress"' in html
    assert "residents/import.js" in html and '<label for="file">' in html
    rows = await sample_persons(scoped, SampleMaker(ward.id, TODAY), 30)
    rows[4] = {**rows[4], "id_number": "123"}
    rows[9] = {**rows[9], "sex": "Không rõ"}
    response = await officer.post(f"/t/{ward.key}/residents/web/import?lang=en", headers={"HX-Request": "true"},
                                  data={"_csrf_token": token},
                                  files={"file": ("nhan-khau.csv", csv_file(rows), "text/csv")})
    assert response.status_code == 200, response.text  # htmx swaps the report in
    assert "2 of 30 rows have errors; nothing was written" in response.text
    assert response.text.count("<tr><td>") == 2 and "<html" not in response.text  # a fragment, one row each
    assert await _persons(scoped, ward) == 0


async def test_check_only_then_import_and_a_plain_post_without_javascript(client_as, ward, scoped):
    officer = await client_as("ward_officer", ward)
    _html, token = await _form(officer, ward)
    rows = await sample_persons(scoped, SampleMaker(ward.id, TODAY), 12)
    content = xlsx_file(rows)
    checked = await officer.post(f"/t/{ward.key}/residents/web/import?lang=en", headers={"HX-Request": "true"},
                                 data={"_csrf_token": token, "dry_run": "1"},
                                 files={"file": ("a.xlsx", content, "application/octet-stream")})
    assert "The file is valid: 12 rows" in checked.text and "Nothing was written" in checked.text
    assert await _persons(scoped, ward) == 0
    del officer.headers["x-csrftoken"]  # post the way the plain form does: the token in a form field
    done = await officer.post(f"/t/{ward.key}/residents/web/import?lang=vi", data={"_csrf_token": token},
                              files={"file": ("a.xlsx", content, "application/octet-stream")})
    assert done.status_code == 200 and "<html" in done.text and "Đã nhập 12 dòng" in done.text
    assert await _persons(scoped, ward) == 12
    empty = await officer.post(f"/t/{ward.key}/residents/web/import?lang=en", data={"_csrf_token": token},
                               files={"file": ("b.csv", b"", "text/csv")})
    assert empty.status_code == 400 and "The file is empty" in empty.text


async def test_only_those_who_may_import_see_the_page(client_as, ward):
    resident = await client_as("resident", ward)
    assert (await resident.get(f"/t/{ward.key}/residents/web/import")).status_code == 403
    officer = await client_as("ward_officer", ward)
    _html, _token = await _form(officer, ward)
    del officer.headers["x-csrftoken"]
    missing_csrf = await officer.post(f"/t/{ward.key}/residents/web/import",
                                      files={"file": ("a.csv", b"x", "text/csv")})
    assert missing_csrf.status_code == 403
