"""Registrations through HTTP and GraphQL, statistics, the plugin's hooks (export, purge, dashboard, the
person page of residents), declared permissions and the migration matching the models."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core.testing import counting_statements
from core.toolkit import TenantScope
from plugins.residence import services
from plugins.residence.models import GuestNight, PermanentRegistry, Registration
from plugins.residence.plugin import GUEST_IDENTITY, PERMISSIONS
from plugins.residence.tests.access_matrix import EXPECTED

pytestmark = pytest.mark.plugins("residents", "residence")


def base(ward) -> str:
    return f"/t/{ward.key}/residence"


async def gql(client, ward, query, variables=None):
    response = await client.post("/graphql", json={"query": query, "variables": variables},
                                 headers={"X-Tenant": ward.key, "Accept-Language": "en"})
    assert response.status_code == 200, response.text
    return response.json()


def test_declared_permissions_match_the_reviewed_table():
    by_name = {p.name: p for p in PERMISSIONS}
    assert {name: set(p.grants) for name, p in by_name.items()} == EXPECTED
    assert by_name[GUEST_IDENTITY].sensitive
    assert all(p.title_vi and p.title_en for p in PERMISSIONS)


async def test_registrations_over_http(client, client_as, ward, populate):
    data = await populate(ward)
    person = str(data["persons"][0])
    response = await client.post(f"{base(ward)}/permanent", json={"person_id": person})
    assert response.status_code == 201 and response.json()["address"] == "1 Nguyễn Trãi"
    again = await client.post(f"{base(ward)}/permanent", json={"person_id": person})
    assert again.status_code == 400 and set(again.json()["error"]["fields"]) == {"person_id"}
    response = await client.post(f"{base(ward)}/temporary", json={
        "person_id": str(data["persons"][3]), "start_date": "2026-07-01", "end_date": "2026-06-01"},
        headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"end_date": "The end date is before the start date"}
    temporary = await client.post(f"{base(ward)}/temporary", json={
        "person_id": str(data["persons"][3]), "start_date": "2026-07-01", "end_date": "2027-06-30"})
    assert temporary.status_code == 201
    renewed = await client.post(f"{base(ward)}/registrations/{temporary.json()['id']}/renew",
                                json={"end_date": "2028-01-31"})
    assert renewed.status_code == 201 and renewed.json()["start_date"] == "2027-07-01"
    history = (await client.get(f"{base(ward)}/persons/{data['persons'][3]}/history")).json()
    assert [h["status"] for h in history] == ["renewed", "active"]
    listed = (await client.get(f"{base(ward)}/registrations?kind=temporary")).json()
    assert listed["total"] == 2
    assert (await client.post(f"{base(ward)}/permanent", json=["x"])).status_code == 400
    # the person's page in residents shows the active registrations
    page = (await client.get(f"/t/{ward.key}/residents/persons/{person}")).json()
    sections = [s for s in page["sections"] if s["plugin"] == "residence"]
    assert sections and sections[0]["items"][0]["label_en"] == "Permanent residence"
    resident = await client_as("resident", ward, {"household": str(data["persons"][0])})
    assert (await resident.get(f"{base(ward)}/registrations")).status_code == 403


async def test_registrations_over_graphql(client, ward, populate, db):
    data = await populate(ward)
    declare = """mutation($i: TemporaryResidenceInput!) { residenceDeclareTemporaryResidence(input: $i) {
        registration { id kind endDate personName status } } }"""
    body = await gql(client, ward, declare, {"i": {"personId": str(data["persons"][4]), "startDate": "2026-07-01",
                                                   "endDate": "2029-07-01"}})
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "fields": {
        "endDate": "A temporary residence lasts at most 2 years (it can be renewed)"}}
    body = await gql(client, ward, declare, {"i": {"personId": str(data["persons"][4]), "startDate": "2026-07-01",
                                                   "endDate": "2027-07-01"}})
    node = body["data"]["residenceDeclareTemporaryResidence"]["registration"]
    assert node["kind"] == "temporary" and node["personName"] and node["endDate"] == "2027-07-01"
    body = await gql(client, ward, """mutation($i: PermanentResidenceInput!) {
        residenceRegisterPermanentResidence(input: $i) { registration { id } } }""",
                     {"i": {"personId": "01900000-0000-7000-8000-000000000000", "address": "1 Lê Lợi"}})
    assert body["errors"][0]["extensions"]["fields"] == {"personId": "No such person in the ward's register"}
    absence = """mutation($i: AbsenceInput!) { residenceNoticeAbsence(input: $i) { registration { id status } } }"""
    body = await gql(client, ward, absence, {"i": {"personId": str(data["persons"][0]), "startDate": "2026-08-01",
                                                   "endDate": "2026-09-01", "destination": "Huế"}})
    absence_id = body["data"]["residenceNoticeAbsence"]["registration"]["id"]
    body = await gql(client, ward, """mutation($i: EndRegistrationInput!) { residenceEndRegistration(input: $i) {
        registration { status closedOn } } }""", {"i": {"id": absence_id, "closedOn": "2026-08-20"}})
    assert body["data"]["residenceEndRegistration"]["registration"] == {"status": "ended", "closedOn": "2026-08-20"}
    query = """query($p: UUID!) { residence { registrations(first: 1) { totalCount pageInfo { hasNextPage }
        nodes { personName } } history(personId: $p) { kind } } }"""
    body = await gql(client, ward, query, {"p": str(data["persons"][4])})
    assert body["data"]["residence"]["registrations"]["totalCount"] == 2
    assert body["data"]["residence"]["registrations"]["pageInfo"]["hasNextPage"] is True
    assert body["data"]["residence"]["history"] == [{"kind": "temporary"}]
    body = await gql(client, ward, "mutation { residenceMarkExpired(input: {}) { marked } }")
    assert body["data"]["residenceMarkExpired"]["marked"] == 0


async def test_person_names_come_through_one_query(client, ward, populate, db):
    data = await populate(ward)
    async with db.session(TenantScope.of(ward.id)) as session:
        for person in data["persons"]:
            await services.declare_temporary(session, {"person_id": person, "start_date": "2026-01-01",
                                                       "end_date": "2026-12-31"})
    with counting_statements(client.app.state.db.engine) as statements:
        body = await gql(client, ward, "{ residence { registrations { nodes { personName } } } }")
    assert len(body["data"]["residence"]["registrations"]["nodes"]) == 6
    assert len([s for s in statements if "residents_persons" in s]) == 1


async def test_statistics(client, ward, populate, scoped):
    data = await populate(ward)
    persons = data["persons"]
    async with scoped(ward) as session:
        for person in persons[:2]:  # KP1
            await services.register_permanent(session, {"person_id": person})
        await services.register_permanent(session, {"person_id": persons[3]})  # KP2
        await services.declare_temporary(session, {"person_id": persons[4], "start_date": "2026-01-01",
                                                   "end_date": "2026-12-31"})
        await services.declare_temporary(session, {"person_id": persons[5], "start_date": "2026-01-01",
                                                   "end_date": "2026-12-31", "neighbourhood_id": data["kp1"]})
    rows = (await client.get(f"{base(ward)}/statistics/residents")).json()
    assert [(r["name"], r["permanent"], r["temporary"]) for r in rows] == [("Khu phố 1", 2, 1), ("Khu phố 2", 1, 1)]
    hotel = (await client.post(f"{base(ward)}/establishments", json={
        "code": "KS", "name": "KS", "address": "1 A", "rooms": 4, "kind": "hotel"})).json()
    day = services.today_in_vietnam()
    for n, (nights, room) in enumerate(((2, "1"), (1, "1"), (3, "2"))):
        response = await client.post(f"{base(ward)}/establishments/{hotel['id']}/stays", json={
            "guest_name": f"G {n}", "guest_document": f"S{day:%y%m%d}{n}", "room": room,
            "arrival": f"{day}T08:00", "planned_departure": f"{day + timedelta(days=nights)}T11:00"})
        assert response.status_code == 201, response.text
    occupancy = (await client.get(f"{base(ward)}/statistics/occupancy",
                                  params={"start": str(day), "end": str(day + timedelta(days=3))})).json()
    assert [(d["guests"], d["rooms"]) for d in occupancy] == [(3, 2), (2, 2), (1, 1), (0, 0)]
    assert occupancy[0]["capacity"] == 4 and occupancy[0]["rate"] == 0.5
    bad = await client.get(f"{base(ward)}/statistics/occupancy", params={"start": "2026-02-01", "end": "2026-01-01"})
    assert bad.status_code == 400


async def test_pages_navigation_and_dashboard(client, ward, populate, scoped):
    data = await populate(ward)
    today = date.today()
    async with scoped(ward) as session:
        await services.declare_temporary(session, {"person_id": data["persons"][0], "start_date": today,
                                                   "end_date": today + timedelta(days=5), "address": "8 Hàng Bạc"})
    page = await client.get(f"{base(ward)}/", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "8 Hàng Bạc" in page.text
    dashboard = await client.get(f"/t/{ward.key}/", headers={"Accept": "text/html"})
    assert dashboard.status_code == 200 and "Tạm trú sắp hết hạn" in dashboard.text
    assert f"{base(ward)}/police" in dashboard.text
    assert f"{base(ward)}/web/expiring" in dashboard.text  # the figure and the navigation lead to the page


async def test_export_and_purge(client, ward, populate, scoped, plugin_manager):
    from plugins.residence import plugin

    data = await populate(ward)
    async with scoped(ward) as session:
        first = await services.declare_temporary(session, {"person_id": data["persons"][0],
                                                           "start_date": "2025-01-01", "end_date": "2025-12-31"})
        await services.renew_temporary(session, first.id, {"end_date": "2026-12-31"})
        await services.register_permanent(session, {"person_id": data["persons"][1]})
        hotel = await services.create_establishment(session, {"code": "A", "name": "A", "address": "A"})
        await services.declare_stay(session, hotel.id, {
            "guest_name": "X Y", "guest_document": f"E{ward.code[1:9]}", "room": "1",
            "arrival": "2026-01-01T10:00", "planned_departure": "2026-01-03T10:00"})
    async with scoped(ward) as session:
        exported = await plugin.wardhub_export_tenant_data(ward, session)
        assert {k: len(v) for k, v in exported.items()} == {
            "residence_registrations": 3, "residence_establishments": 1, "residence_stays": 1,
            "residence_operator_tokens": 0}
        assert await plugin.wardhub_purge_tenant_data(ward, session) == 3 + 1 + 1 + 1 + 2
    async with scoped(ward) as session:
        assert await session.scalar(select(func.count()).select_from(Registration)) == 0
        for model in (PermanentRegistry, GuestNight):
            assert await session.scalar(select(func.count()).select_from(model).where(
                model.tenant_id == ward.id)) == 0


async def test_the_migration_matches_the_models(db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from core.toolkit import Base

    def differences(conn):
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return [d for d in compare_metadata(context, Base.metadata) if "residence_" in repr(d)]

    async with db.engine.connect() as conn:
        assert await conn.run_sync(differences) == []


async def test_ready_reports_migrations_current(anon_client):
    response = await anon_client.get("/ready")
    assert response.status_code == 200, response.text
