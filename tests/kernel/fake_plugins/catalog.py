"""Plugin objects (instances carrying a manifest and hook methods) for the manager's scenarios."""

import asyncio
from pathlib import Path

from sqlalchemy import select, text

from core.toolkit import PluginManifest, TenantRef, hookimpl
from tests.kernel.fake_plugins import host_specs


def manifest(name: str, version: str = "1.0.0", **extra) -> PluginManifest:
    return PluginManifest(name=name, version=version, title_vi=f"Phân hệ {name}", title_en=f"Plugin {name}",
                          **extra)


class Plugin:
    """A manifest and nothing else; subclasses add hook implementations."""

    def __init__(self, manifest: PluginManifest) -> None:
        self.manifest = manifest


class Beta(Plugin):
    """Async hooks."""

    @hookimpl
    def wardhub_routes(self):
        return []

    @hookimpl
    async def wardhub_export_tenant_data(self, tenant: TenantRef, session):
        await asyncio.sleep(0)
        return {"items": [{"tenant": tenant.code, "async": True}]}

    @hookimpl
    async def wardhub_purge_tenant_data(self, tenant: TenantRef, session):
        await asyncio.sleep(0)
        return 3


class Gamma(Plugin):
    """An async hook that raises after awaiting; a sync one that works."""

    @hookimpl
    async def wardhub_export_tenant_data(self, tenant: TenantRef, session):
        await asyncio.sleep(0)
        raise ValueError("gamma cannot export")

    @hookimpl
    def wardhub_purge_tenant_data(self, tenant: TenantRef, session):
        return 7


class Delta(Plugin):
    @hookimpl
    def wardhub_export_tenant_data(self, tenant: TenantRef, session):
        return {"deltas": []}


class Typo(Plugin):
    @hookimpl
    def wardhub_rotes(self):  # misspelt wardhub_routes
        return []


class BadArgs(Plugin):
    @hookimpl
    def wardhub_tenant_enabled(self, tenant, sesion):  # misspelt argument
        return None


class RoutesBroken(Plugin):
    @hookimpl
    def wardhub_routes(self):
        raise RuntimeError("routes table is corrupt")


class RoutesAsync(Plugin):
    @hookimpl
    async def wardhub_routes(self):
        return []


class Guest(Plugin):
    @hookimpl
    def wardhub_host_sections(self, person_id):
        return {"guest": person_id}


beta = Beta(manifest("beta", depends={"alpha": ">=1.0"}))
gamma = Gamma(manifest("gamma", depends={"beta": "", "alpha": ">=1,<2"}))
zebra = Plugin(manifest("zebra"))
aardvark = Plugin(manifest("aardvark", depends={"zebra": ">=1"}))  # sorts first, must load second
delta_rc = Delta(manifest("delta_rc", version="2.0.0rc1"))
needs_delta = Plugin(manifest("needs_delta", depends={"delta_rc": ">=1.0"}))
needs_ghost = Plugin(manifest("needs_ghost", depends={"ghost": ">=1"}))
needs_new_alpha = Plugin(manifest("needs_new_alpha", depends={"alpha": ">=2"}))
cycle_a = Plugin(manifest("cycle_a", depends={"cycle_b": ""}))
cycle_b = Plugin(manifest("cycle_b", depends={"cycle_c": ""}))
cycle_c = Plugin(manifest("cycle_c", depends={"cycle_a": ""}))
future_core = Plugin(manifest("future_core", requires_core=">=99"))
old_core = Plugin(manifest("old_core", requires_core="<0.1"))
typo = Typo(manifest("typo"))
badargs = BadArgs(manifest("badargs"))
after_explodes = Plugin(manifest("after_explodes", depends={"explodes": ""}))
after_after = Plugin(manifest("after_after", depends={"after_explodes": ""}))
routes_broken = RoutesBroken(manifest("routes_broken"))
needs_routes_broken = Plugin(manifest("needs_routes_broken", depends={"routes_broken": ""}))
routes_async = RoutesAsync(manifest("routes_async"))
host = Plugin(manifest("host", hookspecs=host_specs))
guest = Guest(manifest("guest", depends={"host": ">=1"}))
with_migrations = Plugin(manifest("with_migrations", migrations=Path(__file__).parent))


class SqlBroken(Plugin):
    """A hook whose SQL fails: on PostgreSQL that aborts the transaction unless it ran in a savepoint."""

    @hookimpl
    async def wardhub_export_tenant_data(self, tenant: TenantRef, session):
        await session.execute(text("SELECT missing_column FROM no_such_table"))


class SqlReader(Plugin):
    @hookimpl
    async def wardhub_export_tenant_data(self, tenant: TenantRef, session):
        from tenants.models import Tenant

        code = await session.scalar(select(Tenant.code).where(Tenant.id == tenant.id))
        return {"tenant": [{"code": code}]}


sql_broken = SqlBroken(manifest("sql_broken"))
sql_reader = SqlReader(manifest("sql_reader"))
