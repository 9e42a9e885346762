"""The per-process cache of a request's unit: no unit-tree reads once warm, and never stale after a change."""

from core.db.scoping import TenantScope
from core.testing import counting_statements
from tenants import registry, subscriptions

TENANT = "{ tenant { key name } }"
PERMISSIONS = "{ me { permissions } }"


async def _ask(client, ward, query=TENANT):
    response = await client.post("/graphql", json={"query": query}, headers={"X-Tenant": ward.key})
    return response.json()


async def test_a_warm_request_reads_nothing_about_the_unit(client, app, make_tenant):
    ward = await make_tenant()
    await _ask(client, ward)
    with counting_statements(app.state.db.engine) as seen:
        body = await _ask(client, ward, PERMISSIONS)
    assert "core.audit:read" in body["data"]["me"]["permissions"], body
    assert not [s for s in seen if "plugin_subscriptions" in s or "FROM tenants" in s], seen
    assert app.state.units.hits >= 1


async def test_a_rename_and_a_plugin_switch_are_seen_by_the_next_request(client, app, db, make_tenant):
    ward = await make_tenant(plugins=())
    assert (await _ask(client, ward))["data"]["tenant"]["name"] == ward.name
    before = await _ask(client, ward, "{ hello { greetings { totalCount } } }")
    assert before["errors"][0]["extensions"]["code"] == "PLUGIN_NOT_ENABLED"
    async with db.session(TenantScope.of(ward.id)) as session:
        row = await registry.get(session, ward.key)
        await registry.rename(session, row, "Phường Đổi Tên")
        await subscriptions.enable(session, row, "hello", app.state.plugins)
    assert (await _ask(client, ward))["data"]["tenant"]["name"] == "Phường Đổi Tên"
    body = await _ask(client, ward, "{ hello { greetings { totalCount } } }")
    assert "errors" not in body and body["data"]["hello"]["greetings"]["totalCount"] >= 0, body
