"""The residents GraphQL: households with members and sections in constant statements, access, mutations."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from core.db.scoping import TenantScope
from core.plugins.manager import LoadedPlugin
from core.testing import counting_statements, page_through
from core.toolkit import PluginManifest, hookimpl
from plugins.residents.models import Person
from plugins.residents.plugin import wardhub_demo_data
from plugins.residents.samples import SampleMaker
from plugins.residents.validation import today_in_vietnam

pytestmark = pytest.mark.plugins("residents")

HOUSEHOLDS = """query($first: Int, $after: String, $search: String) {
  residents { households(first: $first, after: $after, search: $search) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { code members { fullName relation idNumberMasked idNumber ethnicity
      household { code } sections { plugin key items { value } } } } } } } }"""


async def gql(client, tenant, query, variables=None, lang=None, status=200):
    headers = {"X-Tenant": tenant.key}
    if lang:
        headers["Accept-Language"] = lang
    response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code == status, response.text
    return response.json()


class Ages:
    """A plugin answering the batched sections hook with one query for a whole page of persons."""

    manifest = PluginManifest(name="ages_test", version="0.1", title_vi="Tuổi", title_en="Ages",
                              depends={"residents": ">=0.1"})

    @staticmethod
    @hookimpl
    async def wardhub_residents_persons_sections(tenant, session, person_ids):
        rows = await session.execute(select(Person.id, Person.birth_year).where(Person.id.in_(person_ids)))
        return {pid: [{"key": "born", "title_vi": "Năm sinh", "title_en": "Born",
                       "items": [{"label_vi": "Năm", "label_en": "Year", "value": str(year)}]}]
                for pid, year in rows}


async def demo_ward(db, make_tenant, plugins=("residents",)):
    ward = await make_tenant(plugins=plugins)
    async with db.session(TenantScope.of(ward.id)) as session:
        assert await wardhub_demo_data(ward, session)
    return ward


async def test_households_with_members_and_sections_cost_the_same_statements_for_5_and_50(
        client_as, app, db, make_tenant, plugin_manager):
    plugin_manager.add([LoadedPlugin(Ages.manifest, Ages, None)])
    ward = await demo_ward(db, make_tenant, ("residents", "ages_test"))
    officer = await client_as("ward_officer", ward)
    assert "errors" not in await gql(officer, ward, HOUSEHOLDS, {"first": 1})  # sign-in and access caches warm
    with counting_statements(app.state.db.engine) as statements:
        counts = []
        for size in (5, 50):
            statements.clear()
            body = await gql(officer, ward, HOUSEHOLDS, {"first": size})
            assert "errors" not in body, body
            edges = body["data"]["residents"]["households"]["edges"]
            assert len(edges) == size
            members = [m for e in edges for m in e["node"]["members"]]
            assert len(members) > size
            assert all(m["sections"][0]["plugin"] == "ages_test" for m in members)
            assert all(m["household"]["code"] == e["node"]["code"] for e in edges for m in e["node"]["members"])
            counts.append(len(statements))
    assert counts[0] == counts[1], counts
    assert body["data"]["residents"]["households"]["totalCount"] == 100


async def test_paging_search_and_a_person_lookup(client_as, db, make_tenant):
    ward = await demo_ward(db, make_tenant)
    client = await client_as("ward_officer", ward)
    first = (await gql(client, ward, HOUSEHOLDS, {"first": 30}))["data"]["residents"]["households"]
    rest = (await gql(client, ward, HOUSEHOLDS, {"first": 500, "after": first["pageInfo"]["endCursor"]}))
    codes = [e["node"]["code"] for e in first["edges"] + rest["data"]["residents"]["households"]["edges"]]
    assert len(codes) == len(set(codes)) == 100
    found = (await gql(client, ward, HOUSEHOLDS, {"search": codes[0].lower()}))["data"]["residents"]["households"]
    assert codes[0] in [e["node"]["code"] for e in found["edges"]]
    head = first["edges"][0]["node"]["members"][0]
    family, *_ = head["fullName"].split()
    persons = await gql(client, ward, """query($q: String) { residents { persons(search: $q, first: 500) {
        totalCount nodes { id fullName household { code } } } } }""", {"q": family.lower()})
    nodes = persons["data"]["residents"]["persons"]["nodes"]
    assert head["fullName"] in [n["fullName"] for n in nodes]
    one = await gql(client, ward, "query($id: UUID!) { residents { person(id: $id) { fullName sex } } }",
                    {"id": nodes[0]["id"]})
    assert one["data"]["residents"]["person"]["fullName"] == nodes[0]["fullName"]


async def test_identity_fields_need_the_permission_and_their_reads_are_audited(client, client_as, db, make_tenant):
    from core.audit.models import AuditEntry

    ward = await demo_ward(db, make_tenant)
    officer = await client_as("ward_officer", ward)
    body = await gql(officer, ward, HOUSEHOLDS, {"first": 3})
    assert "errors" not in body
    members = [m for e in body["data"]["residents"]["households"]["edges"] for m in e["node"]["members"]]
    assert all(len(m["idNumber"]) == 12 and m["idNumberMasked"].endswith(m["idNumber"][-3:]) for m in members)
    async with db.session(TenantScope.of(ward.id)) as session:
        reads = (await session.execute(select(AuditEntry).where(AuditEntry.action == "read",
                                                                AuditEntry.entity == "residents_persons"))).scalars()
        audited = [r.after for r in reads]
    assert len(audited) == 1, audited
    assert len(audited[0]["ids"]) == len(members)
    head_of_area = await client_as("integrator", ward)
    denied = await gql(head_of_area, ward, HOUSEHOLDS, {"first": 3}, lang="en")
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "residents.person.identity:read" in denied["errors"][0]["message"]
    plain = await gql(head_of_area, ward,
                      "{ residents { households(first: 2) { nodes { members { idNumberMasked } } } } }")
    assert "errors" not in plain


async def test_a_resident_sees_their_own_household_only(client, client_as, db, make_tenant):
    ward = await demo_ward(db, make_tenant)
    listed = (await gql(client, ward, "{ residents { households(first: 2) { nodes { id code } } } }"))
    mine, other = listed["data"]["residents"]["households"]["nodes"]
    resident = await client_as("resident", ward, {"household": mine["id"]})
    seen = await gql(resident, ward, "{ residents { households { totalCount nodes { code members { fullName } } } } }")
    assert seen["data"]["residents"]["households"]["totalCount"] == 1
    assert seen["data"]["residents"]["households"]["nodes"][0]["code"] == mine["code"]
    hidden = await gql(resident, ward, "query($id: UUID!) { residents { household(id: $id) { code } } }",
                       {"id": other["id"]})
    assert hidden["data"]["residents"]["household"] is None
    persons = await gql(resident, ward, "{ residents { persons(first: 500) { nodes { household { code } } } } }")
    assert {n["household"]["code"] for n in persons["data"]["residents"]["persons"]["nodes"]} == {mine["code"]}
    stranger = await client_as("ward_officer", await make_tenant())
    refused = await gql(stranger, ward, "{ residents { households { totalCount } } }", lang="en", status=403)
    assert refused["data"] is None and refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


REGISTER = """mutation($input: ResidentsRegisterHouseholdInput!) { residentsRegisterHousehold(input: $input) {
  household { id code members { id fullName relation } } } }"""


def member(maker, relation, sex="male", year=1980):
    data = maker.person(sex, year)
    return {"fullName": data["full_name"], "sex": data["sex"], "birthDate": data["birth_date"],
            "idNumber": data["id_number"], "relation": relation}


async def test_mutations_register_add_split_and_die(client, db, make_tenant):
    ward = await make_tenant()
    maker = SampleMaker(ward.id, today_in_vietnam())
    wrong = member(maker, "head")
    wrong["idNumber"] = "123"
    bad = await gql(client, ward, REGISTER, {"input": {"code": "HK-9", "address": "1 Lê Lợi", "members": [wrong]}},
                    lang="en")
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", bad
    assert any("id_number" in f for f in bad["errors"][0]["extensions"]["fields"])
    ok = await gql(client, ward, REGISTER, {"input": {"code": "HK-1", "address": "1 Lê Lợi", "members": [
        member(maker, "head"), member(maker, "spouse", "female"), member(maker, "child", "male", 2004)]}})
    household = ok["data"]["residentsRegisterHousehold"]["household"]
    head, spouse, child = household["members"]
    added = await gql(client, ward, """mutation($input: ResidentsAddMemberInput!) { residentsAddMember(input: $input)
        { person { fullName relation household { code } } } }""",
                      {"input": {"householdId": household["id"], "person": member(maker, "child", "female", 2010)}})
    assert added["data"]["residentsAddMember"]["person"]["household"]["code"] == "HK-1"
    split = await gql(client, ward, """mutation($input: ResidentsSplitHouseholdInput!) {
        residentsSplitHousehold(input: $input) { household { code head { id } members { id } } } }""",
                      {"input": {"householdId": household["id"], "memberIds": [child["id"]], "newHeadId": child["id"],
                                 "code": "HK-2"}})
    assert "errors" not in split, split
    assert split["data"]["residentsSplitHousehold"]["household"]["head"]["id"] == child["id"]
    dead = await gql(client, ward, """mutation($input: ResidentsRecordDeathInput!) { residentsRecordDeath(input: $input)
        { person { status } } }""", {"input": {"personId": head["id"], "newHeadId": spouse["id"]}})
    assert dead["data"]["residentsRecordDeath"]["person"]["status"] == "deceased"
    after = await gql(client, ward, "query($id: UUID!) { residents { household(id: $id) { head { id } } } }",
                      {"id": household["id"]})
    assert after["data"]["residents"]["household"]["head"]["id"] == spouse["id"]


async def test_a_move_between_wards_requested_and_accepted(client, db, make_tenant):
    source, target = await make_tenant(), await make_tenant()
    maker = SampleMaker(source.id, today_in_vietnam())
    ok = await gql(client, source, REGISTER, {"input": {"code": "HK-1", "address": "1 Lê Lợi", "members": [
        member(maker, "head"), member(maker, "child", "female", 2000)]}})
    assert "errors" not in ok, ok
    leaving = ok["data"]["residentsRegisterHousehold"]["household"]["members"][1]
    asked = await gql(client, source, """mutation($input: ResidentsRequestMoveInput!) {
        residentsRequestMove(input: $input) { move { id status direction } } }""",
                      {"input": {"personId": leaving["id"], "to": target.key}})
    assert "errors" not in asked, asked
    move = asked["data"]["residentsRequestMove"]["move"]
    incoming = await gql(client, target, "{ residents { incomingMoves { totalCount nodes { id fullName status } } } }")
    assert incoming["data"]["residents"]["incomingMoves"] == {"totalCount": 1, "nodes": [
        {"id": move["id"], "fullName": leaving["fullName"], "status": "pending"}]}
    taken = await gql(client, target, """mutation($input: ResidentsAcceptMoveInput!) {
        residentsAcceptMove(input: $input) { person { fullName relation household { code } } } }""",
                      {"input": {"moveId": move["id"], "household": {"code": "HK-NEW", "address": "5 Hai Bà Trưng"}}})
    assert taken["data"]["residentsAcceptMove"]["person"] == {"fullName": leaving["fullName"], "relation": "head",
                                                             "household": {"code": "HK-NEW"}}
    gone = await gql(client, source, "query($id: UUID!) { residents { person(id: $id) { status } } }",
                     {"id": leaving["id"]})
    assert gone["data"]["residents"]["person"]["status"] == "moved_away"


INCOMING = """query($first: Int, $after: String, $status: String) { residents {
  incomingMoves(status: $status, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id fullName status } } } } }"""


async def test_incoming_moves_are_paged_by_id(client, make_tenant):
    source, target = await make_tenant(), await make_tenant()
    maker = SampleMaker(source.id, today_in_vietnam())
    ok = await gql(client, source, REGISTER, {"input": {"code": "HK-1", "address": "1 Lê Lợi", "members": [
        member(maker, "head"), *(member(maker, "child", "female", 2000 + n) for n in range(3))]}})
    assert "errors" not in ok, ok
    children = ok["data"]["residentsRegisterHousehold"]["household"]["members"][1:]
    moves = []
    for child in children:
        asked = await gql(client, source, """mutation($input: ResidentsRequestMoveInput!) {
            residentsRequestMove(input: $input) { move { id } } }""", {"input": {"personId": child["id"],
                                                                            "to": target.key}})
        assert "errors" not in asked, asked
        moves.append((asked["data"]["residentsRequestMove"]["move"]["id"], child["fullName"]))
    moves.sort(key=lambda move: uuid.UUID(move[0]))
    for first in (1, 2):
        found, total = await page_through(client, target, INCOMING, "residents.incomingMoves", first=first)
        assert total == 3 and [(m["id"], m["fullName"]) for m in found] == moves
    taken = await gql(client, target, """mutation($input: ResidentsAcceptMoveInput!) {
        residentsAcceptMove(input: $input) { person { id } } }""",
                      {"input": {"moveId": moves[1][0], "household": {"code": "HK-NEW", "address": "5 Hai Bà Trưng"}}})
    assert "errors" not in taken, taken
    found, total = await page_through(client, target, INCOMING, "residents.incomingMoves", first=1)
    assert total == 2 and [m["id"] for m in found] == [moves[0][0], moves[2][0]]
    found, total = await page_through(client, target, INCOMING, "residents.incomingMoves", {"status": "accepted"},
                                      first=2)
    assert total == 1 and [(m["id"], m["status"]) for m in found] == [(moves[1][0], "accepted")]
    _, total = await page_through(client, source, INCOMING, "residents.incomingMoves", first=2)
    assert total == 0  # the source's side of the moves is outgoing


async def test_statistics_compute_only_the_figures_asked_for(client_as, app, db, make_tenant):
    ward = await demo_ward(db, make_tenant)
    officer = await client_as("ward_officer", ward)
    full = await gql(officer, ward, "{ residents { statistics { persons bySex { code persons } "
                                    "byReligion { code persons } byUnit { persons } } } }")
    assert "errors" not in full, full
    with counting_statements(app.state.db.engine) as seen:
        body = await gql(officer, ward, "{ residents { statistics { bySex { code persons } } } }")
    by_sex = body["data"]["residents"]["statistics"]["bySex"]
    assert by_sex == full["data"]["residents"]["statistics"]["bySex"]
    assert sum(r["persons"] for r in by_sex) == full["data"]["residents"]["statistics"]["persons"] > 0
    figures = [s for s in seen if "residents_persons" in s or "residents_households" in s]
    assert len(figures) == 1 and "UNION" not in figures[0].upper() and "religion" not in figures[0], figures
