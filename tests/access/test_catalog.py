"""Permissions and row filters are data checked at start-up; defaults re-sync without touching overrides."""

from __future__ import annotations

import types

import pytest
from sqlalchemy import select

from core.access import policy
from core.access.filters import RowFilter, RowFilters
from core.access.models import AccessPolicy
from core.access.permissions import CORE_PERMISSIONS, DeclarationError, Permission, build_catalog
from core.access.store import current_version, sync_defaults
from core.app import create_app
from core.db.scoping import SYSTEM, TenantScope
from core.plugins.manager import LoadedPlugin, PluginError, PluginManager
from core.toolkit import PluginManifest, hookimpl, requires


def perm(name: str, grants=("resident",), **kw) -> Permission:
    return Permission(name, "Tiêu đề", "Title", frozenset(grants), **kw)


@pytest.mark.parametrize(("declared", "message"), [
    ({"farm": [perm("farm.cow:milk"), perm("farm.cow:milk")]}, "'farm.cow:milk' is declared twice"),
    ({"farm": [perm("barn.cow:milk")]}, "must start with 'farm.'"),
    ({"farm": [perm("farm.Cow:milk")]}, "is not named <plugin>.<resource>:<action>"),
    ({"farm": [perm("farm.cow")]}, "is not named"),
    ({"farm": [perm("farm.cow:milk:twice")]}, "is not named"),
    ({"farm": [perm("farm.cow:milk", grants=("farmer",))]}, "grants unknown roles farmer"),
    ({"farm": [Permission("farm.cow:milk", "", "Milk")]}, "needs title_vi and title_en"),
    ({"farm": ["farm.cow:milk"]}, "must return Permission objects"),
    ({"core": [perm("core.x:y")]}, "cannot be named 'core'"),
])
def test_bad_declarations_stop_start_up_naming_the_plugin(declared, message):
    with pytest.raises(DeclarationError) as caught:
        build_catalog(declared)
    assert message in str(caught.value)
    assert isinstance(caught.value, PluginError)  # the CLI and start-up report it like any plugin error


def test_catalog_indexes_core_and_plugins():
    catalog = build_catalog({"farm": [perm("farm.cow:milk"), perm("farm.cow.health:read", sensitive=True)]})
    assert "farm.cow:milk" in catalog and catalog["farm.cow:milk"].obj == "farm.cow"
    assert catalog["farm.cow.health:read"].act == "read"
    assert catalog.sensitive() >= {"farm.cow.health:read", "core.audit:read"}
    assert [p.name for p in catalog.of_plugins(["farm"])][: len(CORE_PERMISSIONS)] == [
        p.name for p in CORE_PERMISSIONS]
    assert "farm.cow:milk" not in {p.name for p in catalog.of_plugins([])}


def test_bad_row_filters_are_refused():
    good = RowFilter("farm.cow", {"resident": lambda a: None})
    with pytest.raises(DeclarationError, match="declared twice"):
        RowFilters({"farm": [good, good]})
    with pytest.raises(DeclarationError, match=r"must be named farm\.<resource>"):
        RowFilters({"farm": [RowFilter("barn.cow", {})]})
    with pytest.raises(DeclarationError, match="unknown roles farmer"):
        RowFilters({"farm": [RowFilter("farm.cow", {"farmer": lambda a: None})]})
    with pytest.raises(LookupError):
        RowFilters({}).clause("farm.cow", None)


def _fake_plugin(name: str, **hooks) -> LoadedPlugin:
    manifest = PluginManifest(name=name, version="1.0", title_vi="Thử", title_en="Test")
    return LoadedPlugin(manifest, types.SimpleNamespace(manifest=manifest, **{
        hook: hookimpl(fn) for hook, fn in hooks.items()}), None)


def test_app_refuses_duplicate_permissions_and_undeclared_route_permissions(settings):
    from litestar import get

    manager = PluginManager(())
    manager.add([_fake_plugin("farm", wardhub_permissions=lambda: [perm("farm.cow:milk"), perm("farm.cow:milk")])])
    with pytest.raises(PluginError, match=r"plugin 'farm': permission 'farm\.cow:milk' is declared twice"):
        create_app(settings, manager)

    @get("/cows", guards=[requires("farm.cow:milk")])
    async def cows() -> list[str]:
        return []

    manager = PluginManager(())
    manager.add([_fake_plugin("farm", wardhub_routes=lambda: [cows], wardhub_permissions=lambda: [])])
    with pytest.raises(PluginError, match=r"requires 'farm\.cow:milk', which nobody declares"):
        create_app(settings, manager)


def test_new_hookspecs_are_documented():
    from core.plugins import hookspecs

    for name in ("wardhub_permissions", "wardhub_row_filters"):
        doc = getattr(hookspecs, name).__doc__
        assert doc and "Called once at start-up" in doc and "Returns" in doc


async def test_defaults_resync_keeps_overrides(db, make_tenant):
    ward = await make_tenant()
    v1 = build_catalog({"farm": [perm("farm.cow:milk", grants=("resident", "ward_officer"))]})
    async with db.session(SYSTEM) as session:
        before = await current_version(session)
        assert await sync_defaults(session, v1) is True
    async with db.session(TenantScope.of(ward.id)) as session:
        await policy.set_override(session, v1, "resident", "farm.cow:milk", ward.id, "deny")
    # the plugin's next version no longer grants ward_officer and grants ward_chair
    v2 = build_catalog({"farm": [perm("farm.cow:milk", grants=("resident", "ward_chair"))]})
    async with db.session(SYSTEM) as session:
        assert await sync_defaults(session, v2) is True
        assert await sync_defaults(session, v2) is False  # idempotent
        assert await current_version(session) == before + 3
        rows = (await session.execute(select(AccessPolicy).where(AccessPolicy.plugin == "farm"))).scalars().all()
    defaults = {(r.role, r.effect) for r in rows if r.source == "default"}
    overrides = {(r.role, r.tenant_id, r.effect) for r in rows if r.source == "override"}
    assert defaults == {("resident", "allow"), ("ward_chair", "allow")}
    assert overrides == {("resident", ward.id, "deny")}
    async with db.session(SYSTEM) as session:  # leave no farm rows for other tests' catalogs
        for row in rows:
            await session.delete(await session.get(AccessPolicy, row.id))


async def test_overrides_change_one_tenant_only(app, client_as, make_tenant, db):
    ward = await make_tenant(plugins=("hello",))
    other = await make_tenant(plugins=("hello",), parent_key=None)
    here, there = await client_as("resident", ward, {"household": "H"}), await client_as("resident", other)
    url = "/t/{}/hello/greetings"
    assert (await here.get(url.format(ward.key))).status_code == 200
    catalog = app.state.permissions
    async with db.session(TenantScope.of(ward.id)) as session:
        await policy.set_override(session, catalog, "resident", "hello.greeting:read", ward.id, "deny")
    assert (await here.get(url.format(ward.key))).status_code == 403
    assert (await there.get(url.format(other.key))).status_code == 200
    async with db.session(TenantScope.of(ward.id)) as session:  # grant what the default does not
        await policy.set_override(session, catalog, "resident", "hello.greeting:write", ward.id, "allow")
        await policy.set_override(session, catalog, "resident", "hello.greeting:read", ward.id, None)
    assert (await here.post(url.format(ward.key), json={"text": "ok"})).status_code == 201
    assert (await there.post(url.format(other.key), json={"text": "no"})).status_code == 403
    with pytest.raises(Exception, match="No permission"):
        async with db.session(TenantScope.of(ward.id)) as session:
            await policy.set_override(session, catalog, "resident", "hello.nothing:read", ward.id, "allow")
