"""GraphQL, pages, xlsx import, access and the hooks (person sections, export, purge, migration)."""

import io
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from core.audit.models import AuditEntry
from core.testing import counting_statements, page_through
from plugins.military_service import services
from plugins.military_service.models import ServiceRecord
from plugins.military_service.plugin import PERMISSIONS

pytestmark = pytest.mark.plugins("residents", "military_service")


async def two_young_men(scoped, ward, people):
    async with scoped(ward) as session:
        _head, a, b = await people.household(session, ("male", 1970), ("male", date(2005, 6, 1)),
                                             ("male", date(2006, 7, 1)))
        return a, b


async def gql(client, ward, query, variables=None, lang=None):
    headers = {"X-Tenant": ward.key} | ({"Accept-Language": lang} if lang else {})
    return (await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)).json()


REGISTER = """mutation($input: RegisterInput!) { militaryServiceRegister(input: $input) {
  record { id status registeredOn fullName } } }"""
DEFER = """mutation($input: DeferInput!) { militaryServiceDefer(input: $input) {
  record { status deferredUntilYear } } }"""
LIST = """query { militaryService { register(first: 10) { totalCount nodes { fullName birthYear status healthClass
  groundCode } } mustRegister(year: 2023) { nodes { fullName registered } }
  counts(year: 2026) { register { code count } } grounds(kind: "exemption") { code article } } }"""


async def test_graphql_register_defer_and_read(client, scoped, ward, people, client_as, db):
    a, b = await two_young_men(scoped, ward, people)
    done = await gql(client, ward, REGISTER, {"input": {"personId": str(a.id), "registeredOn": "2022-04-01"}})
    assert done["data"]["militaryServiceRegister"]["record"]["status"] == "registered"
    assert done["data"]["militaryServiceRegister"]["record"]["fullName"] == a.full_name
    await gql(client, ward, REGISTER, {"input": {"personId": str(b.id), "registeredOn": "2023-04-01"}})
    refused = await gql(client, ward, DEFER, {"input": {"personId": str(a.id), "untilYear": 2027}}, lang="en")
    error = refused["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fields"]["ground_code"].startswith("A deferment needs its legal ground")
    deferred = await gql(client, ward, DEFER, {"input": {"personId": str(a.id), "untilYear": 2027,
                                                         "groundCode": "d_study"}})
    assert deferred["data"]["militaryServiceDefer"]["record"] == {"status": "deferred", "deferredUntilYear": 2027}

    officer = await client_as("ward_officer", ward)
    data = (await gql(officer, ward, LIST))["data"]["militaryService"]
    assert data["register"]["totalCount"] == 2
    assert {n["groundCode"] for n in data["register"]["nodes"]} == {"d_study", None}
    assert data["mustRegister"]["nodes"] == [{"fullName": b.full_name, "registered": True}]
    assert {c["code"]: c["count"] for c in data["counts"]["register"]}["deferred"] == 1
    assert {g["code"] for g in data["grounds"]} == {"e_martyr_child", "e_martyr_sibling", "e_invalid_child",
                                                     "e_cipher", "e_posted"}

    # a district admin reads the register, not the health classes and grounds
    district = await client_as("district_admin", ward)
    answer = await gql(district, ward, LIST)
    nodes = answer["data"]["militaryService"]["register"]["nodes"]
    assert {(n["healthClass"], n["groundCode"]) for n in nodes} == {(None, None)}
    assert {e["extensions"]["code"] for e in answer["errors"]} == {"FORBIDDEN"}
    plain = await gql(district, ward, "{ militaryService { register { nodes { status } } } }")
    assert len(plain["data"]["militaryService"]["register"]["nodes"]) == 2


async def test_access_by_role(scoped, ward, people, client_as):
    a, _ = await two_young_men(scoped, ward, people)
    base = f"/t/{ward.key}/military_service"
    head = await client_as("neighborhood_head", ward, {"neighborhood": "00000000-0000-0000-0000-000000000000"})
    assert (await head.get(f"{base}/records")).status_code == 403
    assert (await head.get(f"{base}/callups")).status_code == 403
    district = await client_as("district_admin", ward)
    assert (await district.post(f"{base}/records", json={"person_id": str(a.id)})).status_code == 403
    officer = await client_as("ward_officer", ward)
    created = await officer.post(f"{base}/records", json={"person_id": str(a.id), "registered_on": "2023-04-01",
                                                          "health_class": 1})
    assert created.status_code == 201 and created.json()["health_class"] == 1
    assert (await officer.get(f"{base}/records")).json()[0]["health_class"] == 1
    async with scoped(ward) as session:  # the officer's reads of health classes and grounds were audited
        reads = (await session.execute(select(AuditEntry).where(
            AuditEntry.entity == "military_service_records", AuditEntry.action == "read"))).scalars().all()
        assert len(reads) == 2 and reads[0].after["fields"] == ["health_class", "ground_code"]
    shown = (await district.get(f"{base}/records/{a.id}")).json()
    assert shown["status"] == "registered" and "health_class" not in shown and "ground_code" not in shown
    integrator = await client_as("integrator", ward)
    assert (await integrator.get(f"{base}/records")).status_code == 403
    names = {p.name for p in PERMISSIONS}
    assert {p.name for p in PERMISSIONS if p.sensitive} == {"military_service.record.health:read"}
    assert all(n.startswith("military_service.") for n in names)


async def test_pages_in_both_languages(client, scoped, ward, people):
    a, _ = await two_young_men(scoped, ward, people)
    async with scoped(ward) as session:
        await services.register(session, {"person_id": a.id, "registered_on": "2023-04-01"})
        await services.draw_up_roster(session, 2026)
    page = await client.get(f"/t/{ward.key}/military_service/", params={"year": 2026})
    assert page.status_code == 200 and "Sổ đăng ký nghĩa vụ quân sự" in page.text and a.full_name in page.text
    roster = await client.get(f"/t/{ward.key}/military_service/roster", params={"year": 2026, "lang": "en"})
    assert roster.status_code == 200 and "Call-up roster 2026" in roster.text and a.full_name in roster.text
    assert (await client.get(f"/t/{ward.key}/military_service/", params={"status": "nope"})).status_code == 400


def workbook(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["so_dinh_danh", "ngay_dang_ky", "phan_loai_suc_khoe", "tinh_trang", "can_cu", "tam_hoan_den_nam",
                  "ngay_quyet_dinh"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_xlsx_import_is_all_or_nothing(client, scoped, ward, people):
    a, b = await two_young_men(scoped, ward, people)
    url = f"/t/{ward.key}/military_service/imports"
    bad = workbook([[a.id_number, date(2023, 4, 1), 2, "registered", None, None, None],
                    [b.id_number, "2024-04-01", None, "deferred", None, 2027, "2025-01-10"],
                    ["000000000000", "2024-04-01", None, "registered", None, None, None]])
    answer = await client.post(url, content=bad, headers={"Accept-Language": "en"})
    assert answer.status_code == 400
    fields = answer.json()["error"]["fields"]
    assert set(fields) == {"rows.3.can_cu", "rows.4.so_dinh_danh"}
    assert fields["rows.3.can_cu"].startswith("A deferment needs its legal ground")
    async with scoped(ward) as session:
        assert await session.scalar(select(func.count()).select_from(ServiceRecord)) == 0
    good = workbook([[a.id_number, date(2023, 4, 1), 2, "registered", None, None, None],
                     [b.id_number, "2024-04-01", None, "deferred", "d_study", 2027, "2025-01-10"]])
    answer = await client.post(url, files={"file": ("nvqs.xlsx", good)})
    assert answer.status_code == 201 and answer.json() == {"imported": 2}
    async with scoped(ward) as session:
        record = await services.get_record(session, b.id)
        assert (record.status, record.ground_code, record.deferred_until_year) == ("deferred", "d_study", 2027)
    template = await client.get(f"{url}/template")
    assert template.status_code == 200 and template.content[:2] == b"PK"
    assert (await client.post(url, content=b"not a workbook")).status_code == 400


async def test_person_sections_export_purge(client, db, scoped, ward, people, plugin_manager):
    from tenants.lifecycle import export_tenant, purge_plugin_data

    a, b = await two_young_men(scoped, ward, people)
    async with scoped(ward) as session:
        await services.register(session, {"person_id": a.id, "registered_on": "2023-04-01"})
        await services.record_health(session, a.id, {"health_class": 5})
        await services.defer(session, a.id, {"ground_code": "d_health", "until_year": 2027})
    page = (await client.get(f"/t/{ward.key}/residents/persons/{a.id}")).json()
    section = next(s for s in page["sections"] if s["plugin"] == "military_service")
    values = {i["label_en"]: i["value"] for i in section["items"]}
    assert values["Status"] == "Tạm hoãn" and values["Deferred until the end of"] == "2027"
    assert {i["label_en"]: i.get("value_en") for i in section["items"]}["Status"] == "Deferred"
    assert "5" not in values.values() and "d_health" not in str(section)  # no health class, no ground
    other = (await client.get(f"/t/{ward.key}/residents/persons/{b.id}")).json()
    assert [s for s in other["sections"] if s["plugin"] == "military_service"] == []

    async with scoped(ward) as session:  # the batched form answers a page of persons at once
        from plugins.military_service.plugin import sections

        assert set(await sections(session, [a.id, b.id])) == {a.id}
    exported = await export_tenant(db, plugin_manager, ward.key)
    assert len(exported["plugins"]["military_service"]["military_service_records"]) == 1
    assert await purge_plugin_data(db, plugin_manager, ward.key, "military_service") == 1
    async with scoped(ward) as session:
        assert await session.scalar(select(func.count()).select_from(ServiceRecord)) == 0


async def test_the_migration_matches_the_models(db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from core.toolkit import Base

    def differences(conn):
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return [d for d in compare_metadata(context, Base.metadata) if "military_service_" in repr(d)]

    async with db.engine.connect() as conn:
        assert await conn.run_sync(differences) == []


async def test_demo_data_registers_young_men_and_draws_up_the_roster(db, ward):
    from core.db.scoping import TenantScope
    from plugins.military_service.plugin import wardhub_demo_data
    from plugins.residents.plugin import wardhub_demo_data as residents_demo

    async with db.session(TenantScope.of(ward.id)) as session:
        await residents_demo(ward, session)
        summary = await wardhub_demo_data(ward, session)
        assert "citizens registered" in summary
        assert await wardhub_demo_data(ward, session) is None  # once only
        year = services.today().year
        listed = len(await services.roster(session, year))
        assert listed == len(await services.call_up_candidates(session, year))


async def test_roster_status_over_http(client, scoped, ward, people, client_as):
    a, _ = await two_young_men(scoped, ward, people)
    async with scoped(ward) as session:
        await services.register(session, {"person_id": a.id, "registered_on": "2023-04-01"})
    base = f"/t/{ward.key}/military_service"
    assert (await client.post(f"{base}/callups", json={"year": 2026})).json() == {"added": 1}
    entry = (await client.get(f"{base}/callups", params={"year": 2026})).json()["entries"][0]
    moved = await client.post(f"{base}/callups/{entry['id']}/status", json={"status": "exempt"},
                              headers={"Accept-Language": "en"})
    assert moved.status_code == 400 and set(moved.json()["error"]["fields"]) == {"ground_code"}
    moved = await client.post(f"{base}/callups/{entry['id']}/status",
                              json={"status": "exempt", "ground_code": "e_cipher", "date": "2026-01-20"})
    assert moved.status_code == 200 and moved.json()["status"] == "exempt"
    assert (await client.get(f"{base}/records/{a.id}")).json()["status"] == "exempt"
    bad_year = await client.post(f"{base}/callups", json={"year": "twenty"})
    assert bad_year.status_code == 400 and set(bad_year.json()["error"]["fields"]) == {"year"}


PAGED = """query($first: Int, $after: String, $status: String) { militaryService {
  mustRegister(year: 2026, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { personId fullName birthYear registered } } }
  callUpRoster(year: 2026, status: $status, first: $first, after: $after) { totalCount
    pageInfo { hasNextPage endCursor } edges { cursor node { id personId fullName status } } } } }"""


async def test_must_register_and_the_roster_are_paged_by_id(client, scoped, ward, people, app):
    async with scoped(ward) as session:
        _father, *young, _sister = await people.household(
            session, ("male", 1975), ("male", date(2009, 1, 5)), ("male", date(2009, 6, 5)),
            ("male", date(2009, 11, 5)), ("female", date(2009, 3, 5)))
        await services.register(session, {"person_id": young[0].id, "registered_on": "2026-01-10"})
        _head, *callable_men = await people.household(session, ("male", 1960), ("male", date(2001, 3, 1)),
                                                      ("male", date(2003, 3, 1)), ("male", date(2005, 3, 1)))
        for man in callable_men:
            await services.register(session, {"person_id": man.id, "registered_on": "2024-01-10"})
        entries = await services.draw_up_roster(session, 2026, "2026-02-01")
        await services.set_roster_status(session, entries[0].id, {"status": "summoned", "date": "2026-02-10"})

    def by_id(ids):
        return [str(i) for i in sorted(ids)]

    for first in (1, 2):
        due, total = await page_through(client, ward, PAGED, "militaryService.mustRegister", first=first)
        assert total == 3 and [d["personId"] for d in due] == by_id(p.id for p in young)
        assert {d["personId"]: d["registered"] for d in due} == {str(p.id): p is young[0] for p in young}
        assert {d["fullName"] for d in due} == {p.full_name for p in young} and {d["birthYear"] for d in due} == {2009}
        roster, total = await page_through(client, ward, PAGED, "militaryService.callUpRoster", first=first)
        assert total == 3 and [r["id"] for r in roster] == by_id(e.id for e in entries)
        assert {r["personId"]: r["fullName"] for r in roster} == {str(p.id): p.full_name for p in callable_men}
        listed, total = await page_through(client, ward, PAGED, "militaryService.callUpRoster", {"status": "listed"},
                                           first=first)
        assert total == 2 and [r["id"] for r in listed] == by_id(e.id for e in entries[1:])
        assert {r["status"] for r in listed} == {"listed"}

    # a page costs the same statements whatever its size: names come with the rows
    with counting_statements(app.state.db.engine) as statements:
        counts = []
        for first in (1, 3):
            statements.clear()
            answer = await gql(client, ward, PAGED, {"first": first})
            assert "errors" not in answer, answer
            assert len(answer["data"]["militaryService"]["callUpRoster"]["edges"]) == first
            counts.append(len(statements))
    assert counts[0] == counts[1]
