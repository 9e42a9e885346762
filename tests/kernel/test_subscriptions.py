"""Plugin subscriptions: run-time enable/disable, dependencies both ways, scope rules, data kept."""

import types

import pytest
from sqlalchemy import func, select
from wardhub_hello.models import Greeting

from core.db.scoping import SYSTEM, TenantScope
from core.errors import UserError
from core.plugins.manager import LoadedPlugin, PluginManager
from core.plugins.manifest import PluginManifest
from tenants import registry, subscriptions


def fake(name, *, scope=("ward",), depends=None):
    manifest = PluginManifest(name=name, version="1.0", title_vi=name, title_en=name,
                              scope=frozenset(scope), depends=depends or {})
    return LoadedPlugin(manifest, types.SimpleNamespace(manifest=manifest), None)


@pytest.fixture
def manager():
    m = PluginManager(allowlist=())
    m.add([
        fake("base"),
        fake("addon", depends={"base": ">=1"}),
        fake("shared", scope=("ward", "district")),
        fake("upper_only", scope=("district",)),
    ])
    return m


async def change(db, key, name, manager, enable=True):
    async with db.session(SYSTEM) as session:
        tenant = await registry.get(session, key)
    async with db.session(TenantScope.of(tenant.id)) as session:
        tenant = await registry.get(session, key)
        fn = subscriptions.enable if enable else subscriptions.disable
        return await fn(session, tenant, name, manager)


async def effective(db, key, manager):
    async with db.session(SYSTEM) as session:
        return await subscriptions.effective_plugins(session, await registry.get(session, key), manager)


async def expect_error(coro, *words):
    with pytest.raises(UserError) as exc_info:
        await coro
    vi, en = exc_info.value.message
    for word in words:
        assert word in en and word in vi
    return exc_info.value


async def test_dependencies_are_checked_both_ways(db, make_tenant, manager):
    ward = await make_tenant(plugins=())
    err = await expect_error(change(db, ward.key, "addon", manager), "base")
    assert err.code == "BAD_USER_INPUT" and "plugin" in err.fields
    assert await change(db, ward.key, "base", manager) == {"base"}
    assert await change(db, ward.key, "addon", manager) == {"base", "addon"}
    await expect_error(change(db, ward.key, "base", manager, enable=False), "addon")
    assert await effective(db, ward.key, manager) == {"base", "addon"}
    assert await change(db, ward.key, "addon", manager, enable=False) == {"base"}
    assert await change(db, ward.key, "base", manager, enable=False) == frozenset()


async def test_scope_rules_and_district_cascade(db, make_tenant, manager):
    district = await make_tenant(level="district", plugins=())
    ward = await make_tenant(parent_key=district.key, plugins=())
    await expect_error(change(db, district.key, "base", manager), "base")  # ward-only plugin
    await expect_error(change(db, ward.key, "upper_only", manager), "upper_only")
    await expect_error(change(db, ward.key, "shared", manager), "shared")  # district must subscribe first
    assert await change(db, district.key, "shared", manager) == {"shared"}
    assert await change(db, ward.key, "shared", manager) == {"shared"}
    assert await change(db, district.key, "upper_only", manager) == {"shared", "upper_only"}
    await change(db, district.key, "shared", manager, enable=False)
    assert await effective(db, ward.key, manager) == frozenset()  # cascades at once
    await change(db, district.key, "shared", manager)
    assert await effective(db, ward.key, manager) == {"shared"}  # the ward's own choice was kept
    await expect_error(change(db, ward.key, "no_such_plugin", manager), "no_such_plugin")


@pytest.mark.plugins("hello")
async def test_enable_and_disable_at_run_time_keep_data(db, client, make_tenant, plugin_manager):
    ward = await make_tenant()
    url = f"/t/{ward.key}/hello/greetings"
    assert (await client.post(url, json={"text": "Giữ lại"})).status_code == 201
    await change(db, ward.key, "hello", plugin_manager, enable=False)
    hidden = await client.get(url)  # same app, no restart
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "PLUGIN_NOT_ENABLED"
    async with db.session(TenantScope.of(ward.id)) as session:
        assert (await session.execute(select(func.count()).select_from(Greeting))).scalar_one() == 2
    await change(db, ward.key, "hello", plugin_manager)
    shown = await client.get(url)
    assert shown.status_code == 200 and shown.json() == ["Giữ lại", "Xin chào"]  # not seeded twice


async def test_unknown_tenant_is_a_clear_404(client):
    response = await client.get("/t/local:nowhere/hello/greetings", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "NOT_FOUND", "message": "No unit local:nowhere", "request_id": response.headers["x-request-id"],
    }
    vi = await client.get("/t/local:nowhere/hello/greetings")
    assert vi.json()["error"]["message"] == "Không có đơn vị local:nowhere"
