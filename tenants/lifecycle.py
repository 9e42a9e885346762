"""Export a tenant's data, and purge it, through every plugin's hooks without knowing the plugins."""

from __future__ import annotations

from typing import Any

from core.audit.recorder import jsonable, record
from core.db.engine import Database
from core.db.scoping import SYSTEM, TenantScope
from core.errors import UserError, bad_input
from core.plugins.manager import PluginManager
from tenants import registry


async def _tenant(db: Database, key: str):
    async with db.session(SYSTEM) as session:
        return await registry.get(session, key, db.settings.tenant_scheme)


async def export_tenant(db: Database, manager: PluginManager, key: str) -> dict[str, Any]:
    """All data every loaded plugin holds for the tenant (disabled plugins keep data, so they count)."""
    tenant = await _tenant(db, key)
    ref = tenant.ref()
    async with db.session(TenantScope.of(tenant.id)) as session:
        results = await manager.call_each("wardhub_export_tenant_data", tenant=ref, session=session)
        await record(session, tenant_id=tenant.id, action="export", entity="tenant", entity_id=ref.key)
    return {
        "tenant": {"key": ref.key, "name": ref.name, "level": ref.level},
        "plugins": {r.plugin: jsonable(r.value) for r in results if r.error is None},
        "errors": {r.plugin: r.error for r in results if r.error is not None},
    }


async def purge_plugin_data(db: Database, manager: PluginManager, key: str, plugin: str) -> int:
    """Delete what ``plugin`` holds for the tenant: explicit, audited, all or nothing."""
    if plugin not in manager.plugins:
        raise bad_input("plugin", f"Không có phân hệ {plugin!r}", f"No plugin named {plugin!r}")
    tenant = await _tenant(db, key)
    async with db.session(TenantScope.of(tenant.id)) as session:
        deleted = await manager.call_one(plugin, "wardhub_purge_tenant_data", tenant=tenant.ref(), session=session)
        await record(session, tenant_id=tenant.id, action="purge", entity="plugin", entity_id=plugin,
                     after={"rows": deleted or 0})
    return deleted or 0


async def purge_tenant(db: Database, manager: PluginManager, key: str) -> dict[str, int]:
    """Delete every plugin's data for the tenant in one transaction; the audit log itself is kept."""
    tenant = await _tenant(db, key)
    counts: dict[str, int] = {}
    async with db.session(TenantScope.of(tenant.id)) as session:
        for name in reversed(manager.ordered()):  # dependents before what they depend on
            counts[name] = await manager.call_one(
                name, "wardhub_purge_tenant_data", tenant=tenant.ref(), session=session
            ) or 0
        await record(session, tenant_id=tenant.id, action="purge", entity="tenant", entity_id=tenant.key,
                     after=counts)
    if not counts and not manager.plugins:
        raise UserError("NOT_FOUND", ("Không có phân hệ nào", "No plugins are loaded"))
    return counts
