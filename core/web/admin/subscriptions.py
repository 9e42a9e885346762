"""A unit's plugin subscriptions: ``GET /t/{tenant}/admin/plugins`` and
``POST /t/{tenant}/admin/plugins/{plugin}/enable|disable``.

Needs ``core.plugin:manage`` in the unit: a district administrator reaches its own wards through the
hierarchy, never a sibling district's. Thin over :mod:`tenants.subscriptions` (dependency and scope
rules, the plugin's enabled/disabled hook); each switch is recorded in the unit's audit log. A refused
switch shows its reason on the plugin's row, in the page's language, and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar import MediaType, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy import select

from core.access.guards import requires
from core.db.engine import Database
from core.db.scoping import SYSTEM, TenantScope
from core.errors import UserError, pick
from core.plugins.manager import PluginManager
from core.web.admin.common import current_tenant, page
from core.web.i18n import request_language
from core.web.ui import tenant_path

MANAGE = "core.plugin:manage"
ACTIONS = ("enable", "disable")


@dataclass
class PluginRow:
    name: str
    title: str
    version: str
    depends: list[str]
    scope: list[str]
    available: bool  # the unit's level is in the plugin's scope
    subscribed: bool
    effective: bool
    error: str = ""


async def plugin_rows(request: Request, key: str, lang: str, errors: dict[str, str] | None = None) -> list[PluginRow]:
    from tenants import registry, subscriptions
    from tenants.models import PluginSubscription

    db: Database = request.app.state.db
    manager: PluginManager = request.app.state.plugins
    async with db.session(SYSTEM) as session:
        tenant = await registry.get(session, key)
        subscribed = set((await session.execute(
            select(PluginSubscription.plugin).where(PluginSubscription.tenant_id == tenant.id,
                                                    PluginSubscription.enabled.is_(True))
        )).scalars())
        effective = await subscriptions.effective_plugins(session, tenant, manager)
        kind = "ward" if tenant.level == "ward" else "district"
    rows = []
    for name in manager.ordered():
        manifest = manager.manifest(name)
        rows.append(PluginRow(
            name=name, title=manifest.title(lang), version=manifest.version, depends=sorted(manifest.depends),
            scope=sorted(manifest.scope), available=kind in manifest.scope, subscribed=name in subscribed,
            effective=name in effective, error=(errors or {}).get(name, ""),
        ))
    return rows


@get("/t/{tenant:str}/admin/plugins", guards=[requires(MANAGE)], media_type=MediaType.HTML, name="admin-plugins")
async def plugins_page(request: Request) -> Response:
    """Every installed plugin with the unit's state, and a button to switch it."""
    current = await current_tenant(request)
    lang = request_language(request)
    done = request.query_params.get("done")
    return await page(request, "admin/plugins.html", {
        "rows": await plugin_rows(request, current.tenant.key, lang),
        "base": tenant_path(current.tenant.key),
        "done": done if done in ACTIONS else None, "done_plugin": request.query_params.get("plugin", ""),
        "failed": "", "failed_message": "",
    })


@post("/t/{tenant:str}/admin/plugins/{plugin:str}/{action:str}", guards=[requires(MANAGE)],
      media_type=MediaType.HTML, status_code=303, name="admin-plugins-switch")
async def switch_plugin(request: Request, plugin: FromPath[str], action: FromPath[str]) -> Response:
    from tenants import registry, subscriptions

    current = await current_tenant(request)
    if action not in ACTIONS:
        raise UserError("NOT_FOUND", ("Không có thao tác này", "No such action"))
    db: Database = request.app.state.db
    manager: PluginManager = request.app.state.plugins
    lang = request_language(request)
    try:
        # the plugin's enabled/disabled hook writes the unit's rows: the session is scoped to that unit
        async with db.session(TenantScope.of(current.tenant.id)) as session:
            tenant = await registry.get(session, current.tenant.key)
            change = subscriptions.enable if action == "enable" else subscriptions.disable
            await change(session, tenant, plugin, manager)  # audited by the service
    except UserError as error:
        if error.code not in ("BAD_USER_INPUT", "CONFLICT"):
            raise
        base = tenant_path(current.tenant.key)
        rows = await plugin_rows(request, current.tenant.key, lang, {plugin: pick(error.message, lang)})
        return await page(request, "admin/plugins.html", {
            "rows": rows, "base": base, "done": None, "done_plugin": "", "failed": plugin,
            "failed_message": pick(error.message, lang),
        }, status_code=error.status)
    return Redirect(path=f"{tenant_path(current.tenant.key)}/admin/plugins?done={action}&plugin={plugin}",
                    status_code=303)


ROUTES = [plugins_page, switch_plugin]
