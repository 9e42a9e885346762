"""The console: every list and form over real HTTP, field errors beside their field in vi and en that change
nothing, sensitive columns marked and shown only to holders, every write audited."""

import io
import re
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from core.audit.models import AuditEntry
from core.testing import field_error
from plugins.military_service import services
from plugins.military_service.models import CallUp, ServiceRecord

pytestmark = pytest.mark.plugins("residents", "military_service")


def _form(values, client):
    return {**values, "_csrf_token": client.cookies.get("csrftoken")}


async def young_men(scoped, ward, people):
    year = services.today().year
    async with scoped(ward) as session:
        _head, due, older = await people.household(session, ("male", 1970), ("male", date(year - 17, 3, 1)),
                                                   ("male", date(year - 20, 5, 1)))
        return due, older


async def record_of(scoped, ward, person_id):
    async with scoped(ward) as session:
        return await session.scalar(select(ServiceRecord).where(ServiceRecord.person_id == person_id))


async def test_register_and_defer_through_the_forms(client_as, scoped, ward, people):
    due, _older = await young_men(scoped, ward, people)
    officer = await client_as("ward_officer", ward)
    base = f"/t/{ward.key}/military_service"
    page = await officer.get(f"{base}/")
    assert page.status_code == 200 and due.full_name in page.text
    assert f"/web/register?person_id={due.id}" in page.text  # who must register links to the form
    form = await officer.get(f"{base}/web/register", params={"person_id": str(due.id)})
    assert form.status_code == 200 and 'name="_csrf_token"' in form.text and due.full_name in form.text
    assert 'class="sensitive"' in form.text  # the health class is marked
    year = services.today().year
    early = await officer.post(f"{base}/web/register", data=_form(
        {"person_id": str(due.id), "registered_on": f"{year - 2}-01-10"}, officer))
    assert early.status_code == 400 and "text/html" in early.headers["content-type"]
    assert "17" in field_error(early.text, "registered_on")
    assert f'value="{year - 2}-01-10"' in early.text  # what was typed stays
    assert await record_of(scoped, ward, due.id) is None
    english = await officer.post(f"{base}/web/register?lang=en", data=_form(
        {"person_id": str(due.id), "registered_on": f"{year - 2}-01-10"}, officer))
    assert "turns 17" in field_error(english.text, "registered_on")
    done = await officer.post(f"{base}/web/register", data=_form(
        {"person_id": str(due.id), "registered_on": f"{year}-01-10", "health_class": "2"}, officer),
        follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"{base}/"
    record = await record_of(scoped, ward, due.id)
    assert record.status == "registered" and record.health_class == 2

    # a deferment without grounds: the error beside the ground, nothing changed
    bare = await officer.post(f"{base}/web/deferment?lang=vi", data=_form(
        {"person_id": str(due.id), "until_year": str(year + 2)}, officer))
    assert bare.status_code == 400 and "căn cứ" in field_error(bare.text, "ground_code").lower()
    bare_en = await officer.post(f"{base}/web/deferment?lang=en", data=_form(
        {"person_id": str(due.id), "until_year": str(year + 2)}, officer))
    assert "legal ground" in field_error(bare_en.text, "ground_code")
    assert (await record_of(scoped, ward, due.id)).status == "registered"
    deferred = await officer.post(f"{base}/web/deferment", data=_form(
        {"person_id": str(due.id), "ground_code": "d_study", "until_year": str(year + 2)}, officer),
        follow_redirects=False)
    assert deferred.status_code == 303
    record = await record_of(scoped, ward, due.id)
    assert (record.status, record.ground_code, record.study_deferred) == ("deferred", "d_study", True)

    # every write through the forms is in the audit log, with who did it
    async with scoped(ward) as session:
        entries = (await session.execute(select(AuditEntry.action, AuditEntry.actor_id).where(
            AuditEntry.entity == ServiceRecord.__tablename__, AuditEntry.entity_id == str(record.id))
            .order_by(AuditEntry.at))).all()
    assert [a for a, _ in entries if a != "read"] == ["create", "update"]
    assert {actor for a, actor in entries if a != "read"} == {officer.user.id}


async def test_forms_refuse_unknown_people_and_missing_rights(client_as, scoped, ward, people):
    due, _older = await young_men(scoped, ward, people)
    base = f"/t/{ward.key}/military_service"
    district = await client_as("district_admin", ward)  # reads the register, writes nothing
    assert (await district.get(f"{base}/web/register", params={"person_id": str(due.id)})).status_code == 403
    assert (await district.post(f"{base}/web/register", data=_form({"person_id": str(due.id)}, district))
            ).status_code == 403
    officer = await client_as("ward_officer", ward)
    assert (await officer.get(f"{base}/web/nope")).status_code == 404
    missing = await officer.get(f"{base}/web/health", params={"person_id": "00000000-0000-7000-8000-000000000000"})
    assert missing.status_code == 404
    not_registered = await officer.post(f"{base}/web/health", data=_form(
        {"person_id": str(due.id), "health_class": "9"}, officer))
    assert not_registered.status_code == 404  # not on the register: nothing to record health on
    async with scoped(ward) as session:
        await services.register(session, {"person_id": due.id})
    bad_class = await officer.post(f"{base}/web/health", data=_form(
        {"person_id": str(due.id), "health_class": "9"}, officer))
    assert bad_class.status_code == 400 and "1" in field_error(bad_class.text, "health_class")
    assert (await record_of(scoped, ward, due.id)).health_class is None
    anon = await client_as(None)
    assert (await anon.get(f"{base}/web/register")).status_code in (401, 403)


async def test_sensitive_columns_only_for_holders(client_as, scoped, ward, people):
    due, _older = await young_men(scoped, ward, people)
    async with scoped(ward) as session:
        await services.register(session, {"person_id": due.id, "health_class": 5})
        await services.defer(session, due.id, {"ground_code": "d_health", "until_year": services.today().year + 1})
    base = f"/t/{ward.key}/military_service"
    officer = await client_as("ward_officer", ward)
    page = await officer.get(f"{base}/")
    assert '<th scope="col" class="sensitive">' in page.text and "Điều 41 khoản 1 điểm a" in page.text
    district = await client_as("district_admin", ward)  # reads the register, not health classes
    page = await district.get(f"{base}/")
    assert page.status_code == 200 and due.full_name in page.text
    assert 'class="sensitive"' not in page.text and "Điều 41" not in page.text
    async with scoped(ward) as session:  # the officer's read of health classes was recorded
        reads = await session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "read", AuditEntry.entity == ServiceRecord.__tablename__,
            AuditEntry.actor_id == officer.user.id))
    assert reads >= 1


async def test_roster_forms(client_as, scoped, ward, people):
    _due, older = await young_men(scoped, ward, people)
    year = services.today().year
    async with scoped(ward) as session:
        await services.register(session, {"person_id": older.id, "registered_on": f"{year - 3}-04-01"})
    base = f"/t/{ward.key}/military_service"
    officer = await client_as("ward_officer", ward)
    bad = await officer.post(f"{base}/web/roster", data=_form({"year": "twenty"}, officer))
    assert bad.status_code == 400 and field_error(bad.text, "year")
    drawn = await officer.post(f"{base}/web/roster", data=_form({"year": str(year + 1)}, officer),
                               follow_redirects=False)
    assert drawn.status_code == 303 and drawn.headers["location"].endswith(f"/roster?year={year + 1}")
    roster = await officer.get(f"{base}/roster", params={"year": year + 1})
    assert older.full_name in roster.text
    async with scoped(ward) as session:
        entry = await session.scalar(select(CallUp).where(CallUp.person_id == older.id))
    assert f"/web/roster_status?id={entry.id}" in roster.text
    no_ground = await officer.post(f"{base}/web/roster_status", data=_form(
        {"id": str(entry.id), "status": "deferred", "until_year": str(year + 2)}, officer))
    assert no_ground.status_code == 400 and field_error(no_ground.text, "ground_code")
    summoned = await officer.post(f"{base}/web/roster_status", data=_form(
        {"id": str(entry.id), "status": "summoned"}, officer), follow_redirects=False)
    assert summoned.status_code == 303
    async with scoped(ward) as session:
        assert (await session.get(CallUp, (ward.id, entry.id))).status == "summoned"
    english = await officer.get(f"{base}/roster", params={"year": year + 1, "lang": "en"})
    assert "Summoned" in english.text


async def test_the_import_form_reports_every_bad_row(client_as, scoped, ward, people):
    due, older = await young_men(scoped, ward, people)
    year = services.today().year
    book = Workbook()
    book.active.append(["so_dinh_danh", "ngay_dang_ky", "tinh_trang", "can_cu", "tam_hoan_den_nam"])
    book.active.append([older.id_number, f"{year - 2}-04-01", "registered", None, None])
    book.active.append([due.id_number, f"{year}-04-01", "deferred", None, year + 1])
    book.active.append(["000000000000", f"{year}-04-01", "registered", None, None])
    out = io.BytesIO()
    book.save(out)
    officer = await client_as("ward_officer", ward)
    base = f"/t/{ward.key}/military_service"
    form = await officer.get(f"{base}/web/import")
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
    bad = await officer.post(f"{base}/web/import", data={"_csrf_token": officer.cookies.get("csrftoken")},
                             files={"file": ("so.xlsx", out.getvalue(), "application/octet-stream")})
    assert bad.status_code == 400 and 'class="import-report"' in bad.text
    rows = re.findall(r"<tr><td>(\d+)</td><td>([a-z_]+)</td>", bad.text)
    assert rows == [("3", "can_cu"), ("4", "so_dinh_danh")]
    async with scoped(ward) as session:
        assert await session.scalar(select(func.count()).select_from(ServiceRecord)) == 0


async def test_roster_status_over_graphql(client, scoped, ward, people):
    _due, older = await young_men(scoped, ward, people)
    year = services.today().year
    async with scoped(ward) as session:
        await services.register(session, {"person_id": older.id, "registered_on": f"{year - 3}-04-01"})
        [entry] = await services.draw_up_roster(session, year + 1)
    mutation = """mutation($input: SetRosterStatusInput!) { militaryServiceSetRosterStatus(input: $input) {
      entry { status fullName year } } }"""
    headers = {"X-Tenant": ward.key, "Accept-Language": "en"}
    bare = (await client.post("/graphql", headers=headers, json={"query": mutation, "variables": {"input": {
        "id": str(entry.id), "status": "deferred", "untilYear": year + 2}}})).json()
    assert bare["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert set(bare["errors"][0]["extensions"]["fields"]) == {"ground_code"}
    async with scoped(ward) as session:
        assert (await session.get(CallUp, (ward.id, entry.id))).status == "listed"
    assert (await record_of(scoped, ward, older.id)).status == "registered"
    done = (await client.post("/graphql", headers=headers, json={"query": mutation, "variables": {"input": {
        "id": str(entry.id), "status": "summoned", "on": f"{year + 1}-02-10"}}})).json()
    assert done["data"]["militaryServiceSetRosterStatus"]["entry"] == {
        "status": "summoned", "fullName": older.full_name, "year": year + 1}
