"""Social welfare rules: each refusal a field error in vi and en that changes nothing; amounts from the base level
in force for the month; the residents statistics hook and person sections; GraphQL, pages, import, access."""

import io
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from core.audit.models import AuditEntry
from core.testing import counting_statements, page_through
from core.toolkit import UserError
from plugins.residents import services as residents
from plugins.social_welfare import services
from plugins.social_welfare.models import Beneficiary, Payment, PaymentList
from plugins.social_welfare.plugin import PERMISSIONS

pytestmark = pytest.mark.plugins("residents", "social_welfare")


async def family(scoped, ward, people):
    async with scoped(ward) as session:
        return await people.household(session, ("male", 1940), ("female", 1945), ("male", date(2015, 5, 5)))


async def refused(scoped, ward, call, *args) -> UserError:
    async with scoped(ward) as session:
        with pytest.raises(UserError) as caught:
            await call(session, *args)
    return caught.value


async def count(scoped, ward, model) -> int:
    async with scoped(ward) as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_the_national_base_levels_are_seeded_as_data(scoped, ward):
    async with scoped(ward) as session:
        assert [(b.effective_from, b.amount) for b in await services.base_levels(session)] == [
            (date(2021, 7, 1), 360_000), (date(2025, 1, 1), 500_000)]
        assert await services.base_level_on(session, date(2024, 12, 1)) == 360_000
        assert await services.base_level_on(session, date(2025, 1, 1)) == 500_000
        assert await services.seed_base_levels(session, ward.id) == 0  # idempotent


async def test_a_base_level_change_applies_from_its_effective_date_only(scoped, ward, people, client):
    old, _wife, _child = await family(scoped, ward, people)
    async with scoped(ward) as session:
        await services.add_beneficiary(session, {"person_id": old.id, "category_code": "elderly_poor_80",
                                                 "start_month": "2024-11"})
        december = await services.draw_up_payment_list(session, "2024-12")
        assert (december.base_level, december.total) == (360_000, 720_000)  # 2.0 × 360,000
    added = await client.post(f"/t/{ward.key}/social_welfare/base-levels",
                              json={"effective_from": "2026-03-01", "amount": 600_000, "source": "Nghị định mới"})
    assert added.status_code == 201
    async with scoped(ward) as session:
        february = await services.draw_up_payment_list(session, "2026-02")
        march = await services.draw_up_payment_list(session, "2026-03")
        assert (february.base_level, february.total) == (500_000, 1_000_000)
        assert (march.base_level, march.total) == (600_000, 1_200_000)
        assert await services.base_level_on(session, date(2026, 2, 28)) == 500_000
        december = (await services.get_payment_list(session, "2024-12"))[0]
        assert december.total == 720_000  # earlier lists keep their amounts
    # a level cannot start in a month whose list is drawn up, nor mid-month
    late = await client.post(f"/t/{ward.key}/social_welfare/base-levels", json={"effective_from": "2026-02-01",
                                                                                "amount": 700_000})
    assert late.status_code == 400 and set(late.json()["error"]["fields"]) == {"effective_from"}
    mid = await client.post(f"/t/{ward.key}/social_welfare/base-levels", json={"effective_from": "2026-06-15",
                                                                               "amount": 700_000})
    assert mid.status_code == 400 and set(mid.json()["error"]["fields"]) == {"effective_from"}


async def test_no_allowance_for_a_deceased_person(scoped, ward, people, client):
    old, _wife, _child = await family(scoped, ward, people)
    async with scoped(ward) as session:
        await residents.record_death(session, old.id, {"date": "01/03/2026", "new_head_id": str(_wife.id)},
                                     today=date(2026, 6, 15))
    error = await refused(scoped, ward, services.add_beneficiary, {"person_id": old.id,
                                                                   "category_code": "elderly_poor_80"})
    assert error.code == "BAD_USER_INPUT" and error.fields == {
        "person_id": ("Không thể trợ cấp cho người đã mất", "No allowance for a deceased person")}
    answer = await client.post(f"/t/{ward.key}/social_welfare/beneficiaries", headers={"Accept-Language": "en"},
                               json={"person_id": str(old.id), "category_code": "elderly_poor_80"})
    assert answer.status_code == 400
    assert answer.json()["error"]["fields"] == {"person_id": "No allowance for a deceased person"}
    assert await count(scoped, ward, Beneficiary) == 0


async def test_a_death_stops_payments_from_the_next_month(scoped, ward, people):
    _old, wife, _child = await family(scoped, ward, people)
    async with scoped(ward) as session:
        await services.add_beneficiary(session, {"person_id": wife.id, "category_code": "elderly_80",
                                                 "start_month": "2026-01"})
        await residents.record_death(session, wife.id, {"date": "10/03/2026"}, today=date(2026, 6, 15))
        assert len(await services.payable(session, date(2026, 3, 1))) == 1  # the month of death is paid
        assert await services.payable(session, date(2026, 4, 1)) == []


async def test_a_payment_list_for_a_month_twice_is_refused(scoped, ward, people, client):
    old, _wife, child = await family(scoped, ward, people)
    async with scoped(ward) as session:
        await services.add_beneficiary(session, {"person_id": old.id, "category_code": "elderly_poor_80",
                                                 "start_month": "2026-01"})
        await services.add_beneficiary(session, {"person_id": child.id, "category_code": "orphan_4_16",
                                                 "start_month": "2026-01"})
    url = f"/t/{ward.key}/social_welfare/payment-lists"
    first = await client.post(url, json={"month": "2026-04"})
    assert first.status_code == 201 and first.json()["total"] == 1_000_000 + 750_000
    again = await client.post(url, json={"month": "2026-04"})
    assert again.status_code == 400
    assert again.json()["error"]["fields"] == {"month": "Đã lập danh sách chi trả tháng 04/2026"}
    english = await client.post(url, json={"month": "2026-04"}, headers={"Accept-Language": "en"})
    assert english.json()["error"]["fields"] == {"month": "A payment list for 04/2026 already exists"}
    assert await count(scoped, ward, PaymentList) == 1 and await count(scoped, ward, Payment) == 2
    shown = (await client.get(f"{url}/2026-04")).json()
    assert sorted(p["amount"] for p in shown["payments"]) == [750_000, 1_000_000]
    payment = shown["payments"][0]["id"]
    paid = await client.post(f"/t/{ward.key}/social_welfare/payments/{payment}/paid",
                             json={"paid_on": "2026-04-05", "paid_to": "Người nhận"})
    assert paid.status_code == 200 and paid.json()["paid_on"] == "2026-04-05"
    twice = await client.post(f"/t/{ward.key}/social_welfare/payments/{payment}/paid", json={})
    assert twice.status_code == 400 and set(twice.json()["error"]["fields"]) == {"paid_on"}
    page = await client.get(f"{url}/2026-04/page")
    assert page.status_code == 200 and ("1.000.000" in page.text or "1,000,000" in page.text)


async def test_other_field_errors(scoped, ward, people):
    old, _wife, _child = await family(scoped, ward, people)
    assert set((await refused(scoped, ward, services.add_beneficiary,
                              {"person_id": old.id, "category_code": "nope"})).fields) == {"category_code"}
    assert set((await refused(scoped, ward, services.add_beneficiary,
                              {"person_id": old.id, "category_code": "elderly_80", "start_month": "3/2026"})
                ).fields) == {"start_month"}
    assert set((await refused(scoped, ward, services.draw_up_payment_list, "2026-13")).fields) == {"month"}
    assert set((await refused(scoped, ward, services.draw_up_payment_list, "2020-01")).fields) == {"month"}
    assert set((await refused(scoped, ward, services.assess_household,
                              {"household_id": old.household_id, "level": "poor", "period": "2022-2025",
                               "year": 2026})).fields) == {"year"}
    assert set((await refused(scoped, ward, services.add_policy_family,
                              {"household_id": old.household_id, "category_code": "x"})).fields) == {"category_code"}


async def test_policy_family_statistics_and_sections(client, scoped, ward, people):
    old, wife, child = await family(scoped, ward, people)
    async with scoped(ward) as session:
        other = await people.household(session, ("female", 1950))
        await services.add_policy_family(session, {"household_id": old.household_id, "category_code": "martyr_family"})
        await services.add_policy_family(session, {"household_id": old.household_id, "category_code": "war_invalid",
                                                    "person_id": old.id})
        await services.add_policy_family(session, {"household_id": other[0].household_id,
                                                   "category_code": "martyr_family"})
        await services.assess_household(session, {"household_id": old.household_id, "level": "near_poor",
                                                   "period": "2022-2025", "year": 2025})
        await services.add_beneficiary(session, {"person_id": wife.id, "category_code": "elderly_80",
                                                 "start_month": "2026-01"})
    stats = (await client.get(f"/t/{ward.key}/residents/statistics")).json()
    families = {f["code"]: f["households"] for f in stats["policy_families"]}
    assert families["martyr_family"] == 2 and families["war_invalid"] == 1 and families["heroic_mother"] == 0
    page = (await client.get(f"/t/{ward.key}/residents/persons/{wife.id}")).json()
    mine = {s["key"]: s for s in page["sections"] if s["plugin"] == "social_welfare"}
    assert [i["label_en"] for i in mine["allowances"]["items"]] == [
        "Person aged 80 or more with no pension or monthly social insurance allowance"]
    assert set(mine) == {"allowances"}  # the household's standing is on the household's page
    page = (await client.get(f"/t/{ward.key}/residents/persons/{old.id}")).json()
    merit = next(s for s in page["sections"] if s["key"] == "merit")
    assert [i["label_vi"] for i in merit["items"]] == ["Thương binh"]
    page = (await client.get(f"/t/{ward.key}/residents/persons/{child.id}")).json()
    assert [s["key"] for s in page["sections"] if s["plugin"] == "social_welfare"] == []
    household = await client.get(f"/t/{ward.key}/residents/web/households/{old.household_id}")
    assert 'data-plugin="social_welfare" data-key="policy_family"' in household.text
    assert 'data-key="poverty"' in household.text and "Hộ cận nghèo" in household.text


async def test_graphql(client, scoped, ward, people):
    old, _wife, _child = await family(scoped, ward, people)
    headers = {"X-Tenant": ward.key, "Accept-Language": "en"}
    add = """mutation($input: AddBeneficiaryInput!) { socialWelfareAddBeneficiary(input: $input) {
      beneficiary { categoryCode startMonth } } }"""
    done = await client.post("/graphql", headers=headers, json={"query": add, "variables": {"input": {
        "personId": str(old.id), "categoryCode": "elderly_poor_80", "startMonth": "2026-01"}}})
    assert done.json()["data"]["socialWelfareAddBeneficiary"]["beneficiary"] == {
        "categoryCode": "elderly_poor_80", "startMonth": "2026-01"}
    draw = """mutation { socialWelfareDrawUpPaymentList(input: {month: "2026-02"}) {
      paymentList { month baseLevel total payments { fullName amount } } } }"""
    listed = (await client.post("/graphql", headers=headers, json={"query": draw})).json()
    assert listed["data"]["socialWelfareDrawUpPaymentList"]["paymentList"] == {
        "month": "2026-02", "baseLevel": 500_000, "total": 1_000_000,
        "payments": [{"fullName": old.full_name, "amount": 1_000_000}]}
    again = (await client.post("/graphql", headers=headers, json={"query": draw})).json()
    assert again["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert again["errors"][0]["extensions"]["fields"] == {"month": "A payment list for 02/2026 already exists"}
    query = """{ socialWelfare { baseLevelOn(month: "2024-06") beneficiaries { nodes { fullName } }
      categories { code coefficient } policyFamilyCounts { code households } } }"""
    data = (await client.post("/graphql", headers=headers, json={"query": query})).json()["data"]["socialWelfare"]
    assert data["baseLevelOn"] == 360_000 and data["beneficiaries"] == {"nodes": [{"fullName": old.full_name}]}
    assert {"code": "orphan_under_4", "coefficient": "2.5"} in data["categories"]


async def test_xlsx_import_is_all_or_nothing(client, scoped, ward, people):
    old, wife, _child = await family(scoped, ward, people)

    def workbook(rows):
        book = Workbook()
        book.active.append(["so_dinh_danh", "ma_doi_tuong", "tu_thang", "so_quyet_dinh"])
        for row in rows:
            book.active.append(row)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    url = f"/t/{ward.key}/social_welfare/imports"
    bad = await client.post(url, content=workbook([[old.id_number, "elderly_poor_80", "2026-01", "QĐ 1"],
                                                   [wife.id_number, "nope", "2026-01", None]]))
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"rows.3.ma_doi_tuong"}
    assert await count(scoped, ward, Beneficiary) == 0
    good = await client.post(url, content=workbook([[old.id_number, "elderly_poor_80", "2026-01", "QĐ 1"],
                                                    [wife.id_number, "elderly_80", "2026-02", None]]))
    assert good.status_code == 201 and good.json() == {"imported": 2}
    assert await count(scoped, ward, Beneficiary) == 2


async def test_access(client_as, scoped, ward, people):
    old, _wife, _child = await family(scoped, ward, people)
    base = f"/t/{ward.key}/social_welfare"
    head = await client_as("neighborhood_head", ward, {"neighborhood": "00000000-0000-0000-0000-000000000000"})
    assert (await head.get(f"{base}/beneficiaries")).status_code == 403
    officer = await client_as("ward_officer", ward)
    assert (await officer.post(f"{base}/base-levels", json={"effective_from": "2027-01-01",
                                                            "amount": 600_000})).status_code == 403
    assert (await officer.post(f"{base}/beneficiaries", json={"person_id": str(old.id),
                                                              "category_code": "elderly_80"})).status_code == 201
    district = await client_as("district_admin", ward)
    assert (await district.get(f"{base}/beneficiaries")).status_code == 200
    assert (await district.post(f"{base}/payment-lists", json={"month": "2026-05"})).status_code == 403
    assert (await district.get(f"{base}/")).status_code == 200
    assert {p.name for p in PERMISSIONS if p.sensitive} == {"social_welfare.beneficiary:read",
                                                            "social_welfare.policy_family:read",
                                                            "social_welfare.poverty:read"}


async def test_export_purge_and_migration(db, scoped, ward, people, plugin_manager):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from core.toolkit import Base
    from tenants.lifecycle import export_tenant, purge_plugin_data

    old, _wife, _child = await family(scoped, ward, people)
    async with scoped(ward) as session:
        await services.add_beneficiary(session, {"person_id": old.id, "category_code": "elderly_80",
                                                 "start_month": "2026-01"})
        await services.draw_up_payment_list(session, "2026-01")
    exported = (await export_tenant(db, plugin_manager, ward.key))["plugins"]["social_welfare"]
    assert len(exported["social_welfare_payments"]) == 1 and len(exported["social_welfare_base_levels"]) == 2
    assert await purge_plugin_data(db, plugin_manager, ward.key, "social_welfare") == 2 + 1 + 1 + 1

    def differences(conn):
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return [d for d in compare_metadata(context, Base.metadata) if "social_welfare_" in repr(d)]

    async with db.engine.connect() as conn:
        assert await conn.run_sync(differences) == []


async def test_demo_data(db, ward):
    from core.db.scoping import TenantScope
    from plugins.residents.plugin import wardhub_demo_data as residents_demo
    from plugins.social_welfare.plugin import wardhub_demo_data

    async with db.session(TenantScope.of(ward.id)) as session:
        await residents_demo(ward, session)
        assert "beneficiaries" in await wardhub_demo_data(ward, session)
        assert await wardhub_demo_data(ward, session) is None
        listing = (await services.payment_lists(session))[0]
        payments = await session.scalar(select(func.count()).select_from(Payment))
        assert listing.total == payments * listing.base_level  # coefficient 1.0 × the level in force
        assert sum((await services.policy_family_counts(session)).values()) == 10


async def test_stopping_an_allowance_and_the_lists_over_http(client, scoped, ward, people):
    old, _wife, _child = await family(scoped, ward, people)
    base = f"/t/{ward.key}/social_welfare"
    created = (await client.post(f"{base}/beneficiaries", json={"person_id": str(old.id),
                                                                "category_code": "disability_severe",
                                                                "start_month": "2026-01"})).json()
    early = await client.post(f"{base}/beneficiaries/{created['id']}/stop", json={"end_month": "2025-12"})
    assert early.status_code == 400 and set(early.json()["error"]["fields"]) == {"end_month"}
    stopped = await client.post(f"{base}/beneficiaries/{created['id']}/stop", json={"end_month": "2026-03"})
    assert stopped.status_code == 200 and stopped.json()["end_month"] == "2026-03"
    async with scoped(ward) as session:
        assert len(await services.payable(session, date(2026, 3, 1))) == 1
        assert await services.payable(session, date(2026, 4, 1)) == []
    listed = (await client.get(f"{base}/beneficiaries")).json()
    assert [(b["category_code"], b["coefficient"]) for b in listed] == [("disability_severe", "1.5")]
    assert (await client.post(f"{base}/policy-families", json={"household_id": str(old.household_id),
                                                               "category_code": "heroic_mother"})).status_code == 201
    assert (await client.post(f"{base}/poverty", json={"household_id": str(old.household_id), "level": "poor",
                                                       "period": "2026-2030", "year": 2026})).status_code == 201
    again = await client.post(f"{base}/poverty", json={"household_id": str(old.household_id), "level": "poor",
                                                       "period": "2026-2030", "year": 2026})
    assert again.status_code == 409
    assert [f["category_code"] for f in (await client.get(f"{base}/policy-families")).json()] == ["heroic_mother"]
    assert [a["level"] for a in (await client.get(f"{base}/poverty", params={"year": 2026})).json()] == ["poor"]
    page = await client.get(f"{base}/", params={"lang": "en"})
    assert page.status_code == 200 and old.full_name in page.text and "Base level" in page.text



def paged(field: str, node: str, variables: str = "") -> str:
    """A query of the connection ``socialWelfare.<field>`` (its own arguments in ``field``), ``first``/``after``."""
    name, _, args = field.partition("(")
    args = args.rstrip(")") + ", " if args else ""
    return (f"query($first: Int, $after: String{variables}) {{ socialWelfare {{ {name}({args}first: $first, "
            f"after: $after) {{ totalCount pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {node} }} }} "
            "} } }")


async def test_the_lists_are_paged_by_id(client, scoped, ward, people, app):
    async with scoped(ward) as session:
        elders = [(await people.household(session, ("male", 1940 + n)))[0] for n in range(3)]
        beneficiaries = [await services.add_beneficiary(session, {
            "person_id": p.id, "category_code": "elderly_poor_80" if n else "elderly_80", "start_month": "2024-11"})
            for n, p in enumerate(elders)]
        lists = [await services.draw_up_payment_list(session, month) for month in ("2024-12", "2025-02", "2025-01")]
        families = [await services.add_policy_family(session, {"household_id": p.household_id,
                                                               "category_code": "martyr_family"}) for p in elders]
        assessed = [await services.assess_household(session, {"household_id": p.household_id, "level": "poor",
                                                               "period": "2026-2030", "year": 2026}) for p in elders]
        codes = {p.household_id: (await residents.get_household(session, p.household_id)).code for p in elders}

    def by_id(rows):
        return [str(r.id) for r in sorted(rows, key=lambda r: r.id)]

    for first in (1, 2):
        found, total = await page_through(client, ward, paged("beneficiaries", "id fullName"),
                                          "socialWelfare.beneficiaries", first=first)
        assert total == 3 and [b["id"] for b in found] == by_id(beneficiaries)
        assert {b["fullName"] for b in found} == {p.full_name for p in elders}
        found, total = await page_through(client, ward, paged("beneficiaries(category: $category)", "id",
                                                              ", $category: String"),
                                          "socialWelfare.beneficiaries", {"category": "elderly_poor_80"}, first=first)
        assert total == 2 and [b["id"] for b in found] == by_id(beneficiaries[1:])
        found, total = await page_through(client, ward, paged("paymentLists", "id month total"),
                                          "socialWelfare.paymentLists", first=first)
        assert total == 3 and [x["id"] for x in found] == by_id(lists)  # the order they were drawn up
        assert [x["month"] for x in found] == [f"{x.month:%Y-%m}" for x in sorted(lists, key=lambda x: x.id)]
        found, total = await page_through(client, ward, paged("policyFamilies", "id householdCode"),
                                          "socialWelfare.policyFamilies", first=first)
        assert total == 3 and [f["id"] for f in found] == by_id(families)
        assert {f["householdCode"] for f in found} == set(codes.values())
        found, total = await page_through(client, ward, paged("poverty(year: 2026)", "id householdCode level"),
                                          "socialWelfare.poverty", first=first)
        assert total == 3 and [a["id"] for a in found] == by_id(assessed)
        assert {a["householdCode"] for a in found} == set(codes.values())

    # each page read is one audit entry naming the page's rows
    async with scoped(ward) as session:
        entries = (await session.execute(select(AuditEntry).where(
            AuditEntry.action == "read", AuditEntry.entity == "social_welfare_poverty",
            AuditEntry.actor_id == client.user.id))).scalars().all()
    assert sorted(len(e.after["ids"]) for e in entries) == [1, 1, 1, 1, 2]  # 3 pages of 1, then 2 + 1; errors: none

    # a page costs the same statements whatever its size: names and codes come with the rows
    query = paged("beneficiaries", "id fullName")
    with counting_statements(app.state.db.engine) as statements:
        counts = []
        for first in (1, 3):
            statements.clear()
            answer = (await client.post("/graphql", headers={"X-Tenant": ward.key},
                                        json={"query": query, "variables": {"first": first}})).json()
            assert len(answer["data"]["socialWelfare"]["beneficiaries"]["edges"]) == first, answer
            counts.append(len(statements))
    assert counts[0] == counts[1]
