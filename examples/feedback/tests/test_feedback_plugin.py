"""Tests of ``feedback`` on WardHub's ``core.testing`` fixtures: the real app over HTTP, a real database
(SQLite, and PostgreSQL too when WARDHUB_TEST_POSTGRES is set), no mocks."""

from __future__ import annotations

import pytest

from core.toolkit import TenantScope

pytestmark = pytest.mark.plugins("feedback")
EN = {"Accept-Language": "en"}


def url(ward, path: str = "") -> str:
    return f"/t/{ward.key}/feedback/{path}"


async def gql(client, ward, query: str, variables: dict | None = None, lang: str = "en") -> dict:
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}},
                                 headers={"X-Tenant": ward.key, "Accept-Language": lang})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
async def ward(make_tenant):
    return await make_tenant()


async def test_the_plugin_is_installed_and_loads(plugin_manager):
    assert "feedback" in plugin_manager.plugins, plugin_manager.failed
    assert plugin_manager.manifest("feedback").title_en == "Citizen feedback"


async def test_add_list_page_and_audit_over_http(client, ward):
    created = await client.post(url(ward, "entries"), json={"title": "  First  ", "body": "Hello"})
    assert created.status_code == 201, created.text
    assert created.json()["title"] == "First"
    listed = await client.get(url(ward, "entries"))
    assert listed.status_code == 200 and [e["title"] for e in listed.json()] == ["First"]
    page = await client.get(url(ward), headers=EN)
    assert page.status_code == 200 and "First" in page.text and "There are 1 entries." in page.text
    audit = await client.get(f"/api/audit/{ward.key}", params={"entity": "feedback_entries"})
    assert [(e["action"], e["entity_id"]) for e in audit.json()["entries"]] == [("create", created.json()["id"])]


async def test_bad_input_is_a_field_error_in_vietnamese_and_english(client, ward):
    for body, field in (({}, "title"), ({"title": "x" * 201}, "title"), ({"title": "ok", "body": 5}, "body")):
        english = await client.post(url(ward, "entries"), json=body, headers=EN)
        assert english.status_code == 400, english.text
        assert english.json()["error"]["code"] == "BAD_USER_INPUT" and field in english.json()["error"]["fields"]
    vietnamese = await client.post(url(ward, "entries"), json={})
    assert vietnamese.json()["error"]["fields"]["title"] == "Không được để trống"
    assert (await client.post(url(ward, "entries"), json=[1, 2])).status_code == 400
    assert (await client.get(url(ward, "entries"))).json() == []  # nothing was written


async def test_graphql_root_field_and_prefixed_mutation(client, ward):
    added = await gql(client, ward, """mutation($t: String!) {
        feedbackAddEntry(input: {title: $t}) { entry { id title } } }""", {"t": "Via GraphQL"})
    assert added.get("errors") is None, added
    assert added["data"]["feedbackAddEntry"]["entry"]["title"] == "Via GraphQL"
    listed = await gql(client, ward, "{ feedback { entries(first: 10) { totalCount edges { node { title } } } } }")
    assert listed["data"]["feedback"]["entries"]["totalCount"] == 1
    empty = await gql(client, ward, 'mutation { feedbackAddEntry(input: {title: " "}) { entry { id } } }')
    assert empty["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert empty["errors"][0]["extensions"]["fields"] == {"title": "Required"}


async def test_who_may_read_and_write(client_as, anon_client, ward):
    officer = await client_as("ward_officer", ward)
    assert (await officer.post(url(ward, "entries"), json={"title": "By an officer"})).status_code == 201
    integrator = await client_as("integrator", ward)
    assert (await integrator.get(url(ward, "entries"))).status_code == 200
    assert (await integrator.post(url(ward, "entries"), json={"title": "no"})).status_code == 403
    resident = await client_as("resident", ward)
    assert (await resident.get(url(ward, "entries"))).status_code == 403
    anonymous = await anon_client.get(url(ward, "entries"))
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "UNAUTHENTICATED"


async def test_a_ward_without_the_plugin_sees_nothing_of_it(client, make_tenant):
    neighbour = await make_tenant(plugins=())
    response = await client.get(url(neighbour, "entries"), headers=EN)
    assert response.status_code == 404 and response.json()["error"]["code"] == "PLUGIN_NOT_ENABLED"
    direct = await gql(client, neighbour, "{ feedback { entries { totalCount } } }")
    assert direct["errors"][0]["extensions"]["code"] == "PLUGIN_NOT_ENABLED"
    fields = await gql(client, neighbour, "{ __schema { queryType { fields { name } } } }")
    assert "feedback" not in {f["name"] for f in fields["data"]["__schema"]["queryType"]["fields"]}
    dashboard = await client.get(f"/t/{neighbour.key}/", headers=EN)
    assert dashboard.status_code == 200 and "/feedback/" not in dashboard.text


async def test_export_and_purge_hooks(client, ward, db, plugin_manager):
    assert (await client.post(url(ward, "entries"), json={"title": "Kept"})).status_code == 201
    async with db.session(TenantScope.of(ward.id)) as session:
        exported = await plugin_manager.call_one("feedback", "wardhub_export_tenant_data", tenant=ward,
                                                 session=session)
    assert [row["title"] for row in exported["feedback_entries"]] == ["Kept"]
    async with db.session(TenantScope.of(ward.id)) as session:
        assert await plugin_manager.call_one("feedback", "wardhub_purge_tenant_data", tenant=ward,
                                             session=session) == 1
    assert (await client.get(url(ward, "entries"))).json() == []


async def test_the_migration_matches_the_models(db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from core.toolkit import Base

    def differences(conn):
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return [d for d in compare_metadata(context, Base.metadata) if "feedback_" in repr(d)]

    async with db.engine.connect() as conn:
        assert await conn.run_sync(differences) == []
