"""Lodging: establishments, operators declaring stays (REST, GraphQL, web form; single and batch), the same
guest on the same night at two establishments (this ward or another), check-out, the police view."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from core.testing import page_through
from core.toolkit import TenantScope
from plugins.residence import services
from plugins.residence.models import GuestNight, Stay

pytestmark = pytest.mark.plugins("residents", "residence")

VN = services.VIETNAM


def base(ward) -> str:
    return f"/t/{ward.key}/residence"


def at(days: int, hour: int) -> str:
    """Today (Vietnam) + ``days`` at ``hour``:00, as an operator types it (local time, no offset)."""
    day = services.today_in_vietnam() + timedelta(days=days)
    return datetime.combine(day, time(hour)).isoformat(timespec="minutes")


def guest(document: str | None = None, **overrides) -> dict:
    """A guest; guests' nights are platform-wide, so each test's default guest has a fresh number."""
    document = document or f"0792{uuid.uuid4().int % 10**8:08d}"
    return {"guest_name": "Trần Thị Khách", "guest_document": document, "guest_nationality": "VN",
            "guest_birth_year": 1990, "room": "101", "arrival": at(-1, 14), "planned_departure": at(1, 12),
            **overrides}


async def gql(client, ward, query, variables=None):
    response = await client.post("/graphql", json={"query": query, "variables": variables},
                                 headers={"X-Tenant": ward.key, "Accept-Language": "en"})
    assert response.status_code == 200, response.text
    return response.json()


async def make_establishment(client, ward, code="KS-1", name="Khách sạn Hoa Mai", rooms=10) -> dict:
    response = await client.post(f"{base(ward)}/establishments", json={
        "code": code, "name": name, "kind": "hotel", "address": "10 Lê Lợi", "rooms": rooms})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
async def lodging(client, client_as, ward):
    first = await make_establishment(client, ward)
    second = await make_establishment(client, ward, "NN-2", "Nhà nghỉ Bình An", rooms=5)
    operator = await client_as("lodging_operator", ward, {"establishment": first["id"]})
    return {"first": first, "second": second, "operator": operator}


async def stays_in(db, ward) -> int:
    async with db.session(TenantScope.of(ward.id)) as session:
        return await session.scalar(select(func.count()).select_from(Stay))


async def test_an_operator_declares_a_guest_and_sees_only_their_own(client, ward, lodging, db):
    operator, first, second = lodging["operator"], lodging["first"], lodging["second"]
    response = await operator.post(f"{base(ward)}/establishments/{first['id']}/stays", json=guest("079203001234"))
    assert response.status_code == 201, response.text
    stay = response.json()
    assert stay["guest_document"] == "079203001234" and stay["room"] == "101"
    assert stay["arrival"].startswith(str(services.today_in_vietnam() - timedelta(days=1)))
    other = await client.post(f"{base(ward)}/establishments/{second['id']}/stays", json=guest("B1234567", room="7"))
    assert other.status_code == 201
    listed = (await operator.get(f"{base(ward)}/stays")).json()["items"]
    assert [s["id"] for s in listed] == [stay["id"]]
    assert [e["id"] for e in (await operator.get(f"{base(ward)}/establishments")).json()] == [first["id"]]
    # everything beyond their own declarations is FORBIDDEN
    for path in (f"/stays/{other.json()['id']}", f"/establishments/{second['id']}", "/police", "/registrations",
                 "/expiring", "/statistics/residents", "/statistics/occupancy", "/"):
        response = await operator.get(base(ward) + path)
        assert response.status_code == 403, path
        assert response.json()["error"]["code"] == "FORBIDDEN", path
    response = await operator.post(f"{base(ward)}/establishments/{second['id']}/stays", json=guest("C7654321"))
    assert response.status_code == 403 and response.json()["error"]["code"] == "FORBIDDEN"
    response = await operator.post(f"{base(ward)}/stays/{other.json()['id']}/checkout", json={})
    assert response.status_code == 403
    for query in ("{ residence { currentGuests { totalCount } } }", "{ residence { registrations { totalCount } } }",
                  "{ residence { occupancy(start: \"2026-01-01\", end: \"2026-01-02\") { guests } } }"):
        body = await gql(operator, ward, query)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", query
    body = await gql(operator, ward, "{ residence { stays { totalCount nodes { guestDocument } } } }")
    assert body["data"]["residence"]["stays"] == {"totalCount": 1, "nodes": [{"guestDocument": "079203001234"}]}
    declare = "mutation($i: DeclareStayInput!) { residenceDeclareStay(input: $i) { stay { id } } }"
    body = await gql(operator, ward, declare, {"i": {
        "establishmentId": second["id"], "guestName": "A B", "guestDocument": "D1234567", "room": "1",
        "arrival": at(0, 1) + ":00+07:00", "plannedDeparture": at(1, 1) + ":00+07:00"}})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await stays_in(db, ward) == 2


async def test_an_operator_without_an_establishment_declares_nothing(client_as, ward, lodging):
    stray = await client_as("lodging_operator", ward)
    assert (await stray.get(f"{base(ward)}/establishments")).json() == []
    response = await stray.post(f"{base(ward)}/establishments/{lodging['first']['id']}/stays", json=guest())
    assert response.status_code == 403


async def test_field_errors_and_nothing_written(ward, lodging, db):
    operator, first = lodging["operator"], lodging["first"]
    response = await operator.post(f"{base(ward)}/establishments/{first['id']}/stays", json=guest(
        planned_departure=at(-2, 12), guest_document="x", guest_nationality="Vietnam", room=""))
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"planned_departure", "guest_document", "guest_nationality", "room"}
    assert fields["planned_departure"] == "Ngày đi dự kiến phải sau giờ đến"
    response = await operator.post(f"{base(ward)}/establishments/{first['id']}/stays",
                                   json=guest(arrival="yesterday"), headers={"Accept-Language": "en"})
    assert response.json()["error"]["fields"]["arrival"].startswith("Not a date and time")
    assert await stays_in(db, ward) == 0


async def test_a_batch_is_all_or_nothing(ward, lodging, db):
    operator, first = lodging["operator"], lodging["first"]
    url = f"{base(ward)}/establishments/{first['id']}/stays"
    rows = [guest(f"P{n:07d}", room=str(100 + n)) for n in range(5)]
    rows[2]["planned_departure"] = rows[2]["arrival"]
    rows[4]["guest_document"] = rows[0]["guest_document"]  # the same guest twice in one batch
    response = await operator.post(url, json={"stays": rows})
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"stays.2.planned_departure", "stays.4.guest_document"}
    assert await stays_in(db, ward) == 0
    rows[2]["planned_departure"], rows[4]["guest_document"] = at(2, 12), "P9999999"
    response = await operator.post(url, json={"stays": rows})
    assert response.status_code == 201 and len(response.json()["stays"]) == 5
    assert await stays_in(db, ward) == 5


async def test_the_same_guest_for_the_same_night_at_two_establishments(client, client_as, ward, lodging, make_tenant,
                                                                      db):
    operator, first, second = lodging["operator"], lodging["first"], lodging["second"]
    someone = guest()
    assert (await operator.post(f"{base(ward)}/establishments/{first['id']}/stays", json=someone)).status_code == 201
    doc = someone["guest_document"]
    # another establishment of the same ward, one night overlapping
    response = await client.post(f"{base(ward)}/establishments/{second['id']}/stays",
                                 json=guest(doc, arrival=at(0, 20), planned_departure=at(3, 10)),
                                 headers={"Accept-Language": "en"})
    assert response.status_code == 400
    message = response.json()["error"]["fields"]["guest_document"]
    assert "already declared for the night of" in message and "Khách sạn Hoa Mai" in message
    # another ward
    elsewhere = await make_tenant(plugins=("residents", "residence"))
    hotel = await make_establishment(client, elsewhere, "KS-9", "Khách sạn Xa")
    response = await client.post(f"{base(elsewhere)}/establishments/{hotel['id']}/stays",
                                 json=guest(doc, arrival=at(0, 20), planned_departure=at(2, 10)),
                                 headers={"Accept-Language": "en"})
    assert response.status_code == 400
    message = response.json()["error"]["fields"]["guest_document"]
    assert f"unit {ward.code}" in message and "Hoa Mai" not in message  # the other ward's data stays private
    assert await stays_in(db, elsewhere) == 0
    # the nights after the guest's departure are freed; the night they left on is not re-used
    stay_id = (await operator.get(f"{base(ward)}/stays")).json()["items"][0]["id"]
    response = await operator.post(f"{base(ward)}/stays/{stay_id}/checkout", json={"departed_at": at(0, 9)})
    assert response.status_code == 200 and response.json()["departed_at"]
    response = await client.post(f"{base(elsewhere)}/establishments/{hotel['id']}/stays",
                                 json=guest(doc, arrival=at(0, 20), planned_departure=at(2, 10)))
    assert response.status_code == 201, response.text
    assert (await operator.post(f"{base(ward)}/stays/{stay_id}/checkout", json={})).status_code == 400


async def test_graphql_single_and_batch_declarations(ward, lodging, db):
    operator, first = lodging["operator"], lodging["first"]
    single = """mutation($i: DeclareStayInput!) { residenceDeclareStay(input: $i) {
        stay { id guestName guestDocument establishmentName room } } }"""
    body = await gql(operator, ward, single, {"i": {
        "establishmentId": first["id"], "guestName": "John Smith", "guestDocument": "n1234567",
        "guestNationality": "GB", "room": "201", "arrival": at(0, 2) + ":00+07:00",
        "plannedDeparture": at(2, 11) + ":00+07:00"}})
    assert body["data"]["residenceDeclareStay"]["stay"]["guestDocument"] == "N1234567"
    assert body["data"]["residenceDeclareStay"]["stay"]["establishmentName"] == "Khách sạn Hoa Mai"
    batch = """mutation($i: DeclareStaysInput!) { residenceDeclareStays(input: $i) { stays { id } } }"""
    stays = [{"guestName": f"Khách {n}", "guestDocument": f"07920300{n:04d}", "room": str(n),
              "arrival": at(0, 1) + ":00+07:00", "plannedDeparture": at(1, 11) + ":00+07:00"} for n in range(3)]
    stays[1]["plannedDeparture"] = at(-1, 11) + ":00+07:00"
    body = await gql(operator, ward, batch, {"i": {"establishmentId": first["id"], "stays": stays}})
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert list(error["extensions"]["fields"]) == ["stays.1.plannedDeparture"]
    assert await stays_in(db, ward) == 1
    stays[1]["plannedDeparture"] = at(1, 11) + ":00+07:00"
    body = await gql(operator, ward, batch, {"i": {"establishmentId": first["id"], "stays": stays}})
    assert len(body["data"]["residenceDeclareStays"]["stays"]) == 3
    assert await stays_in(db, ward) == 4


async def test_the_police_view(client, client_as, ward, lodging, db):
    operator, first = lodging["operator"], lodging["first"]
    url = f"{base(ward)}/establishments/{first['id']}/stays"
    await operator.post(url, json=guest("A0000001", arrival=at(-3, 10), planned_departure=at(-1, 12)))  # overdue
    await operator.post(url, json=guest("A0000002", arrival=at(0, 0), planned_departure=at(2, 12)))  # today
    gone = (await operator.post(url, json=guest("A0000003", arrival=at(-2, 10), planned_departure=at(0, 23)))).json()
    await operator.post(f"{base(ward)}/stays/{gone['id']}/checkout", json={"departed_at": at(0, 0)})
    police = await client_as("integrator", ward)
    view = (await police.get(f"{base(ward)}/police")).json()
    documents = {key: sorted(s["guest_document"] for s in rows) for key, rows in view.items()}
    assert documents == {"current": ["A0000001", "A0000002"], "arrivals": ["A0000002"], "overdue": ["A0000001"]}
    assert view["current"][0]["establishment"] == "Khách sạn Hoa Mai"
    officer = await client_as("neighborhood_head", ward)  # no residence.* for a neighbourhood head
    assert (await officer.get(f"{base(ward)}/police")).status_code == 403
    body = await gql(police, ward, "{ residence { currentGuests { totalCount } overdueDepartures { nodes { "
                                   "guestDocument establishmentName } } arrivals { totalCount } } }")
    data = body["data"]["residence"]
    assert data["currentGuests"]["totalCount"] == 2 and data["arrivals"]["totalCount"] == 1
    assert data["overdueDepartures"]["nodes"] == [
        {"guestDocument": "A0000001", "establishmentName": "Khách sạn Hoa Mai"}]
    page = await police.get(f"{base(ward)}/police", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "A0000002" in page.text
    # reads of guests' documents are in the audit log
    from core.audit.models import AuditEntry

    async with db.session(TenantScope.of(ward.id)) as session:
        reads = await session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "read", AuditEntry.entity == "residence_stays"))
    assert reads >= 3


async def test_the_web_form(client, ward, lodging, db):
    operator, first = lodging["operator"], lodging["first"]
    page = await operator.get(f"{base(ward)}/lodging")
    assert page.status_code == 200 and "Khách sạn Hoa Mai" in page.text and "Nhà nghỉ Bình An" not in page.text
    form = {**guest(), "guest_birth_year": "1990", "establishment_id": first["id"],
            "_csrf_token": operator.headers["x-csrftoken"]}
    response = await operator.post(f"{base(ward)}/lodging", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    done = await operator.get(response.headers["location"])
    assert "Trần Thị Khách" in done.text
    bad = await operator.post(f"{base(ward)}/lodging", data={**form, "guest_document": "12345678",
                                                            "planned_departure": at(-5, 1)})
    assert bad.status_code == 400 and "Ngày đi dự kiến phải sau giờ đến" in bad.text
    assert await stays_in(db, ward) == 1
    async with db.session(TenantScope.of(ward.id)) as session:
        nights = await session.scalar(
            select(func.count()).select_from(GuestNight).where(GuestNight.tenant_id == ward.id))
    assert nights == 2


async def test_an_operator_token_linked_to_its_establishment(client, anon_client, ward, lodging, make_token, db):
    first, second = lodging["first"], lodging["second"]
    token, value = await make_token(ward, roles=("lodging_operator",))
    bearer = {"Authorization": f"Bearer {value}"}
    url = f"{base(ward)}/establishments/{first['id']}/stays"
    assert (await anon_client.post(url, json=guest(), headers=bearer)).status_code == 403  # not linked yet
    response = await client.post(f"{base(ward)}/establishments/{first['id']}/tokens", json={"token_id": "x"})
    assert response.status_code == 400 and "token_id" in response.json()["error"]["fields"]
    integrator, _ = await make_token(ward, roles=("integrator",))
    tokens = f"{base(ward)}/establishments/{first['id']}/tokens"
    response = await client.post(tokens, json={"token_id": str(integrator.id)})
    assert response.status_code == 400
    response = await client.post(tokens, json={"token_id": str(token.id)})
    assert response.status_code == 201, response.text
    declared = await anon_client.post(url, json=guest(), headers=bearer)
    assert declared.status_code == 201, declared.text
    response = await anon_client.post(f"{base(ward)}/establishments/{second['id']}/stays", json=guest(),
                                      headers=bearer)
    assert response.status_code == 403 and response.json()["error"]["code"] == "FORBIDDEN"
    listed = (await anon_client.get(f"{base(ward)}/stays", headers=bearer)).json()["items"]
    assert [s["id"] for s in listed] == [declared.json()["id"]]
    assert (await anon_client.get(f"{base(ward)}/police", headers=bearer)).status_code == 403
    query = "{ residence { stays { totalCount } establishments { totalCount nodes { id } } } }"
    body = (await anon_client.post("/graphql", json={"query": query}, headers=bearer)).json()
    assert body["data"]["residence"] == {"stays": {"totalCount": 1},
                                         "establishments": {"totalCount": 1, "nodes": [{"id": first["id"]}]}}


async def test_an_operator_reads_nothing_beyond_their_own_declarations_over_graphql(client, ward, lodging, db):
    operator, first, second = lodging["operator"], lodging["first"], lodging["second"]
    mine = await operator.post(f"{base(ward)}/establishments/{first['id']}/stays", json=guest())
    theirs = await client.post(f"{base(ward)}/establishments/{second['id']}/stays", json=guest(room="9"))
    assert mine.status_code == theirs.status_code == 201
    body = await gql(operator, ward, "query($id: UUID!) { residence { stay(id: $id) { id guestDocument } } }",
                     {"id": mine.json()["id"]})
    assert body["data"]["residence"]["stay"] == {"id": mine.json()["id"],
                                                 "guestDocument": mine.json()["guest_document"]}
    for query, variables in (
            ("query($id: UUID!) { residence { stay(id: $id) { id } } }", {"id": theirs.json()["id"]}),
            ("query($id: UUID!) { residence { establishment(id: $id) { id } } }", {"id": second["id"]}),
            ("{ residence { arrivals { totalCount } } }", None),
            ("{ residence { overdueDepartures { totalCount } } }", None),
            ("{ residence { expiring { ending { id } } } }", None),
            ("{ residence { residentsByNeighbourhood { permanent } } }", None),
            ("query($p: UUID!) { residence { history(personId: $p) { id } } }", {"p": first["id"]}),
            ("mutation { residenceMarkExpired(input: {}) { marked } }", None)):
        body = await gql(operator, ward, query, variables)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", query
    body = await gql(operator, ward, "mutation($i: CheckOutInput!) { residenceCheckOut(input: $i) { stay { id } } }",
                     {"i": {"id": theirs.json()["id"]}})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await gql(operator, ward, "query($e: UUID!) { residence { stays(establishmentId: $e) { totalCount } } }",
                     {"e": second["id"]})
    assert body["data"]["residence"]["stays"]["totalCount"] == 0
    # the operator's reads of guests' documents over GraphQL are recorded
    from core.audit.models import AuditEntry

    async with db.session(TenantScope.of(ward.id)) as session:
        reads = (await session.execute(select(AuditEntry).where(
            AuditEntry.action == "read", AuditEntry.entity == "residence_stays"))).scalars().all()
    assert any(e.entity_id == mine.json()["id"] and e.after["via"] == "graphql" for e in reads)


async def test_an_operator_token_over_graphql(client, anon_client, ward, lodging, make_token, db):
    """A token bound to the ward with the lodging_operator role is linked to one establishment
    (``residenceLinkOperatorToken``): it declares for that one and reads its declarations only."""
    first, second = lodging["first"], lodging["second"]
    token, value = await make_token(ward, roles=("lodging_operator",))
    bearer = {"Authorization": f"Bearer {value}", "Accept-Language": "en"}
    link = """mutation($i: LinkOperatorTokenInput!) { residenceLinkOperatorToken(input: $i) {
        establishmentId tokenId } }"""

    async def as_token(query, variables=None):
        response = await anon_client.post("/graphql", json={"query": query, "variables": variables}, headers=bearer)
        assert response.status_code == 200, response.text
        return response.json()

    declare = "mutation($i: DeclareStayInput!) { residenceDeclareStay(input: $i) { stay { id guestDocument } } }"

    def stay_input(establishment, document):
        return {"i": {"establishmentId": establishment, "guestName": "Phạm Khách", "guestDocument": document,
                      "room": "3", "arrival": at(0, 1) + ":00+07:00", "plannedDeparture": at(1, 11) + ":00+07:00"}}

    body = await as_token(declare, stay_input(first["id"], "T1000001"))  # not linked yet: no establishment
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await as_token(link, {"i": {"establishmentId": first["id"], "tokenId": str(token.id)}})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # an operator cannot link itself
    body = await gql(client, ward, link, {"i": {"establishmentId": first["id"], "tokenId": str(token.id)}})
    assert body["data"]["residenceLinkOperatorToken"] == {"establishmentId": first["id"], "tokenId": str(token.id)}
    body = await gql(client, ward, link, {"i": {"establishmentId": second["id"], "tokenId": str(token.id)}})
    assert body["errors"][0]["extensions"]["fields"] == {"tokenId": "This token is already linked"}
    body = await as_token(declare, stay_input(first["id"], "T1000001"))
    stay = body["data"]["residenceDeclareStay"]["stay"]
    assert stay["guestDocument"] == "T1000001"
    body = await as_token(declare, stay_input(second["id"], "T1000002"))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    other = await client.post(f"{base(ward)}/establishments/{second['id']}/stays", json=guest())
    body = await as_token("query($id: UUID!) { residence { stay(id: $id) { id } } }", {"id": other.json()["id"]})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for query in ("{ residence { currentGuests { totalCount } } }", "{ residence { registrations { totalCount } } }"):
        body = await as_token(query)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", query
    body = await as_token("{ residence { stays { nodes { id } } establishments { totalCount nodes { id } } } }")
    assert body["data"]["residence"] == {"stays": {"nodes": [{"id": stay["id"]}]},
                                         "establishments": {"totalCount": 1, "nodes": [{"id": first["id"]}]}}
    batch = "mutation($i: DeclareStaysInput!) { residenceDeclareStays(input: $i) { stays { id } } }"
    body = await as_token(batch, {"i": {"establishmentId": first["id"], "stays": [
        {k: v for k, v in stay_input(first["id"], f"T20000{n:02d}")["i"].items() if k != "establishmentId"}
        for n in range(3)]}})
    assert len(body["data"]["residenceDeclareStays"]["stays"]) == 3
    assert await stays_in(db, ward) == 5


ESTABLISHMENTS = """query($first: Int, $after: String) { residence { establishments(first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id code name } } } } }"""


async def test_establishments_are_paged_by_id(client, ward, lodging):
    third = await make_establishment(client, ward, "AA-3", "Homestay An Nhiên", rooms=3)  # first by code, last by id
    made = [lodging["first"], lodging["second"], third]
    for first in (1, 2):
        found, total = await page_through(client, ward, ESTABLISHMENTS, "residence.establishments", first=first)
        assert total == 3 and [e["id"] for e in found] == sorted((e["id"] for e in made), key=uuid.UUID)
        assert {e["code"] for e in found} == {"KS-1", "NN-2", "AA-3"}
    # an operator's pages hold their own establishment only
    found, total = await page_through(lodging["operator"], ward, ESTABLISHMENTS, "residence.establishments", first=1)
    assert total == 1 and [e["id"] for e in found] == [lodging["first"]["id"]]
