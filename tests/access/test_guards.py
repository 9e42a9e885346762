"""Guards over HTTP on the hello plugin's routes: tenant reach through the hierarchy, permissions, row
filters in SQL, and the empty scope of a caller who may not be there."""

from __future__ import annotations

import pytest
from wardhub_hello.models import Greeting

from core.db.scoping import TenantScope

pytestmark = pytest.mark.plugins("hello")


def url(tenant, path="greetings"):
    return f"/t/{tenant.key}/hello/{path}"


async def test_anonymous_caller_is_unauthenticated(anon_client, make_tenant):
    ward = await make_tenant()
    response = await anon_client.get(url(ward), headers={"Accept-Language": "en"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHENTICATED"
    assert response.json()["error"]["message"] == "Sign-in required"


async def test_caller_without_a_role_there_is_forbidden_before_any_handler(client_as, make_tenant):
    ward, other = await make_tenant(), await make_tenant()
    officer = await client_as("ward_officer", other)
    for response in (await officer.get(url(ward)), await officer.get(url(ward, "boom")),
                     await officer.post(url(ward), json={"text": "x"})):
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "FORBIDDEN"
    # no role at all: same answer
    nobody = await client_as(None)
    assert (await nobody.get(url(ward))).json()["error"]["code"] == "FORBIDDEN"


async def test_role_reaches_own_ward_not_its_sibling(client_as, make_tenant):
    ward = await make_tenant()
    sibling = await make_tenant(parent_key=None)
    officer = await client_as("ward_officer", ward)
    assert (await officer.get(url(ward))).json() == ["Xin chào"]
    assert (await officer.get(url(sibling))).status_code == 403


async def test_district_role_reads_its_wards_never_the_next_district(client_as, make_tenant, db):
    from tenants import registry

    district = await make_tenant(level="district")
    async with db.session(TenantScope()) as session:
        province_key = (await registry.get(session, district.key)).parent_id
        province = await session.get(registry.Tenant, province_key)
        province_key = province.key
    other_district = await make_tenant(level="district", parent_key=province_key)
    ward = await make_tenant(parent_key=district.key)
    cousin = await make_tenant(parent_key=other_district.key)
    admin = await client_as("district_admin", district)
    assert (await admin.get(url(ward))).status_code == 200
    assert (await admin.get(url(cousin))).status_code == 403
    # reading is a default grant of district_admin; writing in a ward is not
    denied = await admin.post(url(ward), json={"text": "từ huyện"}, headers={"Accept-Language": "en"})
    assert denied.status_code == 403
    assert denied.json()["error"] == {
        "code": "FORBIDDEN", "message": "You lack the permission hello.greeting:write",
        "request_id": denied.headers["x-request-id"],
    }


async def test_permission_guard_per_route(client_as, make_tenant):
    ward = await make_tenant()
    resident = await client_as("resident", ward, {"household": "H1"})
    assert (await resident.get(url(ward))).status_code == 200
    assert (await resident.post(url(ward), json={"text": "x"})).json()["error"]["code"] == "FORBIDDEN"
    officer = await client_as("ward_officer", ward)
    assert (await officer.post(url(ward), json={"text": "x"})).status_code == 201


async def test_row_filters_narrow_lists_in_sql(client_as, make_tenant, db):
    ward = await make_tenant()
    async with db.session(TenantScope.of(ward.id)) as session:
        session.add_all([
            Greeting(text="t1-h1", neighborhood="T1", household="H1"),
            Greeting(text="t1-h2", neighborhood="T1", household="H2"),
            Greeting(text="t2-h3", neighborhood="T2", household="H3"),
        ])
    everything = ["Xin chào", "t1-h1", "t1-h2", "t2-h3"]
    officer = await client_as("ward_officer", ward)
    assert (await officer.get(url(ward))).json() == everything
    head = await client_as("neighborhood_head", ward, {"neighborhood": "T1"})
    assert (await head.get(url(ward))).json() == ["t1-h1", "t1-h2"]
    resident = await client_as("resident", ward, {"household": "H3"})
    assert (await resident.get(url(ward))).json() == ["t2-h3"]
    unplaced = await client_as("resident", ward)  # no household attribute: sees nothing
    assert (await unplaced.get(url(ward))).json() == []


async def test_row_filters_union_over_roles_and_unlimited_role_lifts_them(client_as, make_tenant, db, grant_role):
    ward = await make_tenant()
    async with db.session(TenantScope.of(ward.id)) as session:
        session.add_all([Greeting(text="a", neighborhood="T1", household="H1"),
                         Greeting(text="b", neighborhood="T2", household="H2"),
                         Greeting(text="c", neighborhood="T3", household="H3")])
    both = await client_as("resident", ward, {"household": "H1"})
    await grant_role(both.user, "neighborhood_head", ward, {"neighborhood": "T2"})
    assert (await both.get(url(ward))).json() == ["a", "b"]
    await grant_role(both.user, "ward_officer", ward)
    assert (await both.get(url(ward))).json() == ["Xin chào", "a", "b", "c"]


async def test_caller_who_may_not_be_there_gets_no_rows_through_graphql(client_as, make_tenant):
    ward, other = await make_tenant(), await make_tenant()
    stranger = await client_as("ward_officer", other)
    query = "{ hello { greetings(first: 10) { totalCount edges { node { text } } } } }"
    response = await stranger.post("/graphql", json={"query": query}, headers={"X-Tenant": ward.key})
    assert "Xin chào" not in response.text
    body = response.json()
    if body.get("data") and body["data"].get("hello"):
        assert body["data"]["hello"]["greetings"]["totalCount"] == 0
    else:
        assert body["errors"][0]["extensions"]["code"] in ("FORBIDDEN", "UNAUTHENTICATED")
    member = await client_as("ward_officer", ward)
    mine = await member.post("/graphql", json={"query": query}, headers={"X-Tenant": ward.key})
    assert mine.json()["data"]["hello"]["greetings"]["totalCount"] == 1
