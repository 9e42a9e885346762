"""The console forms and lists over real HTTP (inline vi/en field errors that change nothing, every write audited),
the imports of policy families and poverty assessments (a row-level report, all or nothing), sensitive data
kept to its readers on the residents pages, and the GraphQL added for them."""

import io
import re
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from core.audit.models import AuditEntry
from core.testing import field_error
from plugins.residents import services as residents
from plugins.social_welfare import services
from plugins.social_welfare.models import Beneficiary, PaymentList, PolicyFamily, PovertyAssessment

pytestmark = pytest.mark.plugins("residents", "social_welfare")


def _form(values, client):
    return {**values, "_csrf_token": client.cookies.get("csrftoken")}


def workbook(header, rows) -> bytes:
    book = Workbook()
    book.active.append(header)
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def count(scoped, ward, model) -> int:
    async with scoped(ward) as session:
        return await session.scalar(select(func.count()).select_from(model))


async def _updates(scoped, ward):
    async with scoped(ward) as session:
        return (await session.execute(select(AuditEntry.actor_id, AuditEntry.entity).where(
            AuditEntry.action == "update"))).all()


async def two_families(scoped, ward, people):
    async with scoped(ward) as session:
        first = await people.household(session, ("male", 1940), ("female", 1945), ("male", date(2015, 5, 5)))
        second = await people.household(session, ("female", 1950))
        codes = {}
        for members in (first, second):
            codes[members[0].household_id] = (await residents.get_household(session, members[0].household_id)).code
    return first, second, codes


async def test_policy_family_and_poverty_imports_are_all_or_nothing(client, scoped, ward, people):
    (old, _wife, _child), (widow,), codes = await two_families(scoped, ward, people)
    home, other = codes[old.household_id], codes[widow.household_id]
    base = f"/t/{ward.key}/social_welfare"
    header = ["ma_ho", "loai", "so_dinh_danh_nguoi_co_cong", "ngay_cong_nhan", "ghi_chu"]
    bad = await client.post(f"{base}/imports/policy_families", content=workbook(header, [
        [home, "martyr_family", None, "2020-07-27", None],
        [home, "war_invalid", widow.id_number, None, None],  # the person of merit is not of this household
        ["HK-NOPE", "martyr_family", None, None, None],
        [other, "nope", None, None, None],
        [home, "martyr_family", None, None, None],  # twice in the file
    ]), headers={"Accept-Language": "en"})
    assert bad.status_code == 400, bad.text
    fields = bad.json()["error"]["fields"]
    assert set(fields) == {"rows.3.so_dinh_danh_nguoi_co_cong", "rows.4.ma_ho", "rows.5.loai", "rows.6.ma_ho"}
    assert fields["rows.4.ma_ho"] == "No household of the ward has this code"
    assert await count(scoped, ward, PolicyFamily) == 0
    good = await client.post(f"{base}/imports?kind=policy_families", content=workbook(header, [
        [home, "martyr_family", None, date(2020, 7, 27), None],
        [home, "war_invalid", old.id_number, None, "Thương binh 2/4"],
        [other, "heroic_mother", widow.id_number, None, None],
    ]))
    assert good.status_code == 201 and good.json() == {"imported": 3}
    async with scoped(ward) as session:
        merit = await session.scalar(select(PolicyFamily).where(PolicyFamily.category_code == "war_invalid"))
        assert merit.person_id == old.id
        entries = await session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.entity == "social_welfare_policy_families", AuditEntry.action == "create"))
        assert entries == 3  # each row written is audited, and the import itself
        assert await session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.entity == "social_welfare_policy_families", AuditEntry.action == "import")) == 1

    header = ["ma_ho", "muc", "giai_doan", "nam", "ngay_ra_soat"]
    bad = await client.post(f"{base}/imports/poverty", content=workbook(header, [
        [home, "cận nghèo", "2026-2030", 2026, "2026-11-01"],
        [other, "rich", "2026-2030", 2026, None],
        [other, "poor", "2026-2030", 2024, None],
        [other, "poor", "1990-1995", 2026, None],
    ]))
    assert bad.status_code == 400
    fields = bad.json()["error"]["fields"]
    assert set(fields) == {"rows.3.muc", "rows.4.nam", "rows.5.giai_doan"}
    assert fields["rows.4.nam"].startswith("Năm")  # Vietnamese by default
    assert await count(scoped, ward, PovertyAssessment) == 0
    good = await client.post(f"{base}/imports/poverty", content=workbook(header, [
        [home, "cận nghèo", "2026-2030", 2026, "2026-11-01"], [other, "Hộ nghèo", "2026-2030", "2026", None]]))
    assert good.status_code == 201 and good.json() == {"imported": 2}
    async with scoped(ward) as session:
        levels = dict((await session.execute(select(PovertyAssessment.household_id, PovertyAssessment.level))).all())
    assert levels == {old.household_id: "near_poor", widow.household_id: "poor"}

    # a wrong header, a kind that does not exist, an empty file: one clear error on the file, nothing written
    wrong = await client.post(f"{base}/imports/poverty", content=workbook(["ma_ho", "level"], [[home, "poor"]]))
    assert wrong.status_code == 400 and set(wrong.json()["error"]["fields"]) == {"file"}
    assert (await client.post(f"{base}/imports/nope", content=b"x")).status_code == 400
    assert (await client.post(f"{base}/imports/poverty", content=b"")).status_code == 400
    template = await client.get(f"{base}/import-templates/policy_families")
    assert template.status_code == 200
    sheet = load_workbook(io.BytesIO(template.content)).worksheets[0]
    assert [c.value for c in sheet[1]][:2] == ["ma_ho", "loai"]


async def test_forms_show_field_errors_and_change_nothing(client_as, scoped, ward, people):
    (old, wife, _child), (widow,), codes = await two_families(scoped, ward, people)
    async with scoped(ward) as session:
        await residents.record_death(session, widow.id, {"date": "01/03/2026"}, today=date(2026, 6, 15))
    officer = await client_as("ward_officer", ward)
    base = f"/t/{ward.key}/social_welfare"
    form = await officer.get(f"{base}/web/beneficiary")
    assert form.status_code == 200 and 'name="category_code"' in form.text and 'class="sensitive"' in form.text

    # an allowance for a deceased person: the error beside the ID number, in vi and en
    dead = await officer.post(f"{base}/web/beneficiary?lang=vi", data=_form(
        {"id_number": widow.id_number, "category_code": "elderly_80", "start_month": "2026-07"}, officer))
    assert dead.status_code == 400 and "đã mất" in field_error(dead.text, "id_number")
    assert f'value="{widow.id_number}"' in dead.text
    dead_en = await officer.post(f"{base}/web/beneficiary?lang=en", data=_form(
        {"id_number": widow.id_number, "category_code": "elderly_80", "start_month": "2026-07"}, officer))
    assert "deceased" in field_error(dead_en.text, "id_number")
    unknown = await officer.post(f"{base}/web/beneficiary", data=_form(
        {"id_number": wife.id_number, "category_code": "nope", "start_month": "2026-07"}, officer))
    assert unknown.status_code == 400 and "20/2021" in field_error(unknown.text, "category_code")
    assert await count(scoped, ward, Beneficiary) == 0
    granted = await officer.post(f"{base}/web/beneficiary", data=_form(
        {"id_number": wife.id_number, "category_code": "elderly_80", "start_month": "2026-01"}, officer),
        follow_redirects=False)
    assert granted.status_code == 303 and granted.headers["location"] == f"{base}/"

    # a payment list for a month twice: the second is a field error on the month
    first = await officer.post(f"{base}/web/payment_list", data=_form({"month": "2026-02"}, officer),
                               follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == f"{base}/payment-lists/2026-02/page"
    again = await officer.post(f"{base}/web/payment_list?lang=en", data=_form({"month": "2026-02"}, officer))
    assert again.status_code == 400 and "already exists" in field_error(again.text, "month")
    assert await count(scoped, ward, PaymentList) == 1
    listing = await officer.get(f"{base}/payment-lists/2026-02/page")
    assert wife.full_name in listing.text and ("500.000" in listing.text or "500,000" in listing.text)
    payment_id = re.search(r"/web/paid\?id=([0-9a-f-]+)", listing.text).group(1)
    early = await officer.post(f"{base}/web/paid", data=_form({"id": payment_id, "paid_on": "2026-01-15"}, officer))
    assert early.status_code == 400 and field_error(early.text, "paid_on")
    paid = await officer.post(f"{base}/web/paid", data=_form({"id": payment_id, "paid_on": "2026-02-10",
                                                              "paid_to": "Bà " + wife.full_name}, officer),
                              follow_redirects=False)
    assert paid.status_code == 303

    # policy families and poverty by household code; a wrong code is an error on the code
    home = codes[old.household_id]
    wrong = await officer.post(f"{base}/web/policy_family", data=_form(
        {"household_code": "HK-NOPE", "category_code": "martyr_family"}, officer))
    assert wrong.status_code == 400 and field_error(wrong.text, "household_code")
    outsider = await officer.post(f"{base}/web/policy_family", data=_form(
        {"household_code": home, "category_code": "war_invalid", "merit_id_number": widow.id_number}, officer))
    assert outsider.status_code == 400 and field_error(outsider.text, "merit_id_number")
    done = await officer.post(f"{base}/web/policy_family", data=_form(
        {"household_code": home, "category_code": "war_invalid", "merit_id_number": old.id_number}, officer),
        follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"{base}/pages/policy-families"
    bad_year = await officer.post(f"{base}/web/poverty", data=_form(
        {"household_code": home, "level": "poor", "period": "2026-2030", "year": "2024"}, officer))
    assert bad_year.status_code == 400 and "2026-2030" in field_error(bad_year.text, "year")
    assessed = await officer.post(f"{base}/web/poverty", data=_form(
        {"household_code": home, "level": "poor", "period": "2026-2030", "year": "2026"}, officer),
        follow_redirects=False)
    assert assessed.status_code == 303 and assessed.headers["location"] == f"{base}/pages/poverty?year=2026"
    page = await officer.get(f"{base}/pages/poverty", params={"year": 2026, "lang": "vi"})
    assert home in page.text and "Hộ nghèo" in page.text and 'class="sensitive"' in page.text
    page = await officer.get(f"{base}/pages/policy-families")
    assert home in page.text and old.full_name in page.text

    # the base level: only the chair; a bad amount is a field error; a new level is data
    assert (await officer.get(f"{base}/web/base_level")).status_code == 403
    chair = await client_as("ward_chair", ward)
    bad = await chair.post(f"{base}/web/base_level", data=_form({"effective_from": "2026-09-01", "amount": "-5"},
                                                                chair))
    assert bad.status_code == 400 and field_error(bad.text, "amount")
    added = await chair.post(f"{base}/web/base_level", data=_form(
        {"effective_from": "2026-09-01", "amount": "600.000", "source": "Nghị định mới"}, chair),
        follow_redirects=False)
    assert added.status_code == 303
    async with scoped(ward) as session:
        assert await services.base_level_on(session, date(2026, 8, 1)) == 500_000
        assert await services.base_level_on(session, date(2026, 9, 1)) == 600_000
        # every write through the forms is in the audit log, with who made it
        created = (await session.execute(select(AuditEntry.actor_id, AuditEntry.entity).where(
            AuditEntry.action == "create"))).all()
    by_actor: dict = {}
    for actor, entity in created:
        by_actor.setdefault(actor, set()).add(entity)
    assert by_actor[officer.user.id] >= {"social_welfare_beneficiaries", "social_welfare_payment_lists",
                                         "social_welfare_payments", "social_welfare_policy_families",
                                         "social_welfare_poverty"}
    assert "social_welfare_base_levels" in by_actor[chair.user.id]
    updated = {e for a, e in (await _updates(scoped, ward)) if a == officer.user.id}
    assert "social_welfare_payments" in updated  # the payment recorded

    # the import form: a row-level report, nothing written
    content = workbook(["ma_ho", "muc", "giai_doan", "nam"], [[home, "poor", "2026-2030", 2027],
                                                              ["HK-NOPE", "poor", "2026-2030", 2027]])
    report = await officer.post(f"{base}/web/import", data={"_csrf_token": officer.cookies.get("csrftoken"),
                                                            "kind": "poverty"},
                                files={"file": ("ngheo.xlsx", content, "application/octet-stream")})
    assert report.status_code == 400 and 'class="import-report"' in report.text
    assert re.findall(r"<tr><td>(\d+)</td><td>([a-z_]+)</td>", report.text) == [("3", "ma_ho")]
    assert await count(scoped, ward, PovertyAssessment) == 1


async def test_sensitive_standing_is_kept_to_its_readers(client, client_as, scoped, ward, people):
    (old, wife, _child), _second, _codes = await two_families(scoped, ward, people)
    async with scoped(ward) as session:
        await services.add_policy_family(session, {"household_id": old.household_id, "category_code": "war_invalid",
                                                   "person_id": old.id})
        await services.assess_household(session, {"household_id": old.household_id, "level": "poor",
                                                   "period": "2026-2030", "year": 2026})
        await services.add_beneficiary(session, {"person_id": wife.id, "category_code": "elderly_80"})
    household_page = f"/t/{ward.key}/residents/web/households/{old.household_id}"
    officer = await client_as("ward_officer", ward)
    shown = await officer.get(household_page)
    assert 'data-key="policy_family"' in shown.text and 'data-key="poverty"' in shown.text
    assert 'data-key="merit"' in shown.text and 'data-key="allowances"' in shown.text
    english = await officer.get(household_page, params={"lang": "en"})
    assert "Poor household" in english.text and "Hộ nghèo" not in english.text  # values in the page's language
    async with scoped(ward) as session:  # showing them was a read of sensitive data: recorded
        read = (await session.execute(select(AuditEntry.entity, AuditEntry.after).where(
            AuditEntry.action == "read", AuditEntry.actor_id == officer.user.id,
            AuditEntry.entity.like("residents_%_sections")))).all()
    after = {entity: data for entity, data in read}
    assert after["residents_household_sections"]["sections"] == ["social_welfare.policy_family",
                                                                 "social_welfare.poverty"]
    assert after["residents_household_sections"]["ids"] == [str(old.household_id)]
    assert set(after["residents_person_sections"]["sections"]) == {"social_welfare.allowances",
                                                                   "social_welfare.merit"}
    resident = await client_as("resident", ward, {"household": str(old.household_id)})
    own = await resident.get(f"/t/{ward.key}/residents/web/my-household")
    assert own.status_code == 200 and old.full_name in own.text
    assert 'data-plugin="social_welfare"' not in own.text and "Hộ nghèo" not in own.text
    base = f"/t/{ward.key}/social_welfare"
    for path in ("/pages/policy-families", "/pages/poverty", "/policy-families", "/poverty"):
        assert (await resident.get(base + path)).status_code == 403, path
    district = await client_as("district_admin", ward)
    assert (await district.get(f"{base}/pages/poverty", params={"year": 2026})).status_code == 200
    assert (await district.get(f"{base}/web/poverty")).status_code == 403  # reads, never writes
    async with scoped(ward) as session:
        reads = dict((await session.execute(select(AuditEntry.entity, func.count()).where(
            AuditEntry.action == "read", AuditEntry.actor_id == district.user.id).group_by(AuditEntry.entity))).all())
    assert reads == {"social_welfare_poverty": 1}

    # GraphQL: the lists and the new mutations, reads audited, bad input a field error
    headers = {"X-Tenant": ward.key, "Accept-Language": "en"}
    query = """query($id: UUID!) { socialWelfare { policyFamilies { nodes { householdCode categoryCode personId } }
      poverty(year: 2026) { nodes { level } } paymentLists { nodes { month } } }
      residents { household(id: $id) { sections { key } } } }"""
    answer = (await client.post("/graphql", json={"query": query, "variables": {"id": str(old.household_id)}},
                                headers=headers)).json()
    assert "errors" not in answer, answer
    data = answer["data"]
    assert data["socialWelfare"]["policyFamilies"]["nodes"][0]["personId"] == str(old.id)
    assert data["socialWelfare"]["poverty"] == {"nodes": [{"level": "poor"}]}
    assert [s["key"] for s in data["residents"]["household"]["sections"]] == ["policy_family", "poverty"]
    async with scoped(ward) as session:
        assert await session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "read", AuditEntry.entity == "social_welfare_policy_families",
            AuditEntry.actor_id == client.user.id)) == 1
    mutation = """mutation($input: AssessHouseholdInput!) { socialWelfareAssessHousehold(input: $input) {
      assessment { level year householdCode } } }"""
    bad = (await client.post("/graphql", headers=headers, json={"query": mutation, "variables": {"input": {
        "householdId": str(old.household_id), "level": "poor", "period": "2026-2030", "year": 2031}}})).json()
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert bad["errors"][0]["extensions"]["fields"] == {"year": "The year must fall in 2026-2030"}
    good = (await client.post("/graphql", headers=headers, json={"query": mutation, "variables": {"input": {
        "householdId": str(old.household_id), "level": "near_poor", "period": "2026-2030", "year": 2027}}})).json()
    assert good["data"]["socialWelfareAssessHousehold"]["assessment"]["level"] == "near_poor"
    reader = await client_as("neighborhood_head", ward, {"neighborhood": "00000000-0000-0000-0000-000000000000"})
    denied = (await reader.post("/graphql", headers=headers, json={
        "query": "{ socialWelfare { poverty(year: 2026) { nodes { level } } } }"})).json()
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
