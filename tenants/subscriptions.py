"""Which plugins a tenant uses: enable and disable at run time, with scope and dependency rules.

A plugin is *effective* for a tenant when the tenant's subscription is enabled, the tenant's level is
in the plugin's scope ("ward" for wards and communes, "district" for any unit above), for a plugin
scoped to both levels the nearest unit above the ward (district, or province in the 2-level model)
has it effective too, and every plugin it depends on is effective. A district disabling such a plugin
therefore switches it off for its wards at once, and their rows stay for when it comes back.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.access.store import bump_version
from core.audit.recorder import record_for_unit
from core.errors import UserError, bad_input
from core.plugins.manager import PluginManager
from tenants.models import PluginSubscription, Tenant
from tenants.registry import ancestors


def _level_kind(tenant: Tenant) -> str:
    return "ward" if tenant.level == "ward" else "district"


async def _subscribed(session: AsyncSession, tenant_ids: list) -> dict:
    rows = (
        await session.execute(
            select(PluginSubscription.tenant_id, PluginSubscription.plugin).where(
                PluginSubscription.tenant_id.in_(tenant_ids), PluginSubscription.enabled.is_(True)
            )
        )
    ).all()
    result: dict = {t: set() for t in tenant_ids}
    for tenant_id, plugin in rows:
        result[tenant_id].add(plugin)
    return result


async def effective_plugins(session: AsyncSession, tenant: Tenant, manager: PluginManager) -> frozenset[str]:
    """The plugins ``tenant`` uses now (two small queries: the unit chain and its subscriptions)."""
    chain = [tenant, *await ancestors(session, tenant)]
    subscribed = await _subscribed(session, [t.id for t in chain])
    upper = next((t for t in chain[1:] if t.level != "ward"), None)
    upper_effective = _effective(upper, subscribed.get(upper.id, set()), manager, None) if upper else frozenset()
    return _effective(tenant, subscribed[tenant.id], manager, upper_effective)


def _effective(tenant: Tenant, subscribed: set[str], manager: PluginManager, upper: frozenset[str] | None):
    kind = _level_kind(tenant)
    candidates = set()
    for name in subscribed:
        if name not in manager.plugins:
            continue
        scope = manager.manifest(name).scope
        if kind not in scope:
            continue
        if kind == "ward" and "district" in scope and (upper is None or name not in upper):
            continue
        candidates.add(name)
    changed = True
    while changed:  # drop plugins whose dependencies are not effective, until stable
        changed = False
        for name in list(candidates):
            if any(dep not in candidates for dep in manager.manifest(name).depends):
                candidates.discard(name)
                changed = True
    return frozenset(candidates)


def _unknown(name: str) -> UserError:
    return bad_input("plugin", f"Không có phân hệ {name!r}", f"No plugin named {name!r}")


async def enable(session: AsyncSession, tenant: Tenant, name: str, manager: PluginManager) -> frozenset[str]:
    """Enable ``name`` for ``tenant`` and run its ``wardhub_tenant_enabled`` hook, in one transaction."""
    if name not in manager.plugins:
        raise _unknown(name)
    manifest = manager.manifest(name)
    kind = _level_kind(tenant)
    if kind not in manifest.scope:
        raise bad_input(
            "plugin",
            f"Phân hệ {name} không dùng cho đơn vị cấp {tenant.level}",
            f"Plugin {name} is not available to a {tenant.level}",
        )
    effective = await effective_plugins(session, tenant, manager)
    if kind == "ward" and "district" in manifest.scope:
        chain = await ancestors(session, tenant)
        upper = next((t for t in chain if t.level != "ward"), None)
        if upper is None or name not in await effective_plugins(session, upper, manager):
            raise bad_input(
                "plugin",
                f"Đơn vị cấp trên phải đăng ký phân hệ {name} trước",
                f"The unit above must subscribe to {name} first",
            )
    missing = sorted(dep for dep in manifest.depends if dep not in effective)
    if missing:
        raise bad_input(
            "plugin",
            f"Cần bật trước các phân hệ: {', '.join(missing)}",
            f"Enable these plugins first: {', '.join(missing)}",
        )
    sub = await session.get(PluginSubscription, (tenant.id, name))
    if sub is None:
        session.add(PluginSubscription(tenant_id=tenant.id, plugin=name, enabled=True, config={}))
    else:
        sub.enabled = True
    await session.flush()
    await manager.call_one(name, "wardhub_tenant_enabled", tenant=tenant.ref(), session=session)
    await bump_version(session)  # what roles may do in the unit changed; cached unit contexts too
    after = await effective_plugins(session, tenant, manager)
    await record_for_unit(session, tenant_id=tenant.id, action="enable", entity="plugin_subscriptions",
                          entity_id=name, before={"effective": sorted(effective)}, after={"effective": sorted(after)})
    return after


async def disable(session: AsyncSession, tenant: Tenant, name: str, manager: PluginManager) -> frozenset[str]:
    """Disable ``name`` for ``tenant``; refused while an enabled plugin depends on it. Data is kept."""
    if name not in manager.plugins:
        raise _unknown(name)
    effective = await effective_plugins(session, tenant, manager)
    dependents = sorted(p for p in effective if name in manager.manifest(p).depends)
    if dependents:
        raise bad_input(
            "plugin",
            f"Các phân hệ sau cần {name}, hãy tắt chúng trước: {', '.join(dependents)}",
            f"These plugins need {name}; disable them first: {', '.join(dependents)}",
        )
    sub = await session.get(PluginSubscription, (tenant.id, name))
    if sub is not None and sub.enabled:
        sub.enabled = False
        await session.flush()
        await manager.call_one(name, "wardhub_tenant_disabled", tenant=tenant.ref(), session=session)
        await bump_version(session)
        after = await effective_plugins(session, tenant, manager)
        await record_for_unit(session, tenant_id=tenant.id, action="disable", entity="plugin_subscriptions",
                              entity_id=name, before={"effective": sorted(effective)},
                              after={"effective": sorted(after)})
        return after
    return effective
