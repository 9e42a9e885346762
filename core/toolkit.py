"""What plugins may import from core. Everything else in core is private and may change."""

import uuid
from collections.abc import Iterable
from typing import Any

import pluggy
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from core.access.enforcer import AccessGrant
from core.access.filters import RowFilter
from core.access.graphql import Requires
from core.access.guards import RequestAccess, request_access, requires
from core.access.permissions import Permission
from core.access.roles import BUILT_IN_ROLES
from core.audit import bind_actor
from core.audit.recorder import record as audit
from core.auth.principal import Principal
from core.db.base import Base, TenantOwned, Timestamped, tenant_fk, utcnow
from core.db.engine import Database
from core.db.ids import new_id
from core.db.rls import enable_rls
from core.db.scoping import SYSTEM, TenantScope, rescoped, session_scope
from core.errors import UserError, bad_input, conflict, language, not_found
from core.fields import (
    FieldErrors,
    apply_rows,
    flush_or_conflict,
    parse_date,
    parse_id,
    parse_year,
    read_body,
    read_choice,
    read_date,
    read_int,
    read_text,
)
from core.graphql.contribution import GraphQLContribution
from core.graphql.relay import Connection, paginate, paginate_rows
from core.plugins.context import TenantRef
from core.plugins.manifest import PluginManifest
from core.settings import load_settings
from core.uploads import PhotoStore
from core.web.auth import CSRF_HEADER
from core.web.charts import bar_chart
from core.web.contributions import Figure, NavEntry
from core.web.forms import Field, Form, form_pages, import_report, plugin_base, uploaded_file
from core.web.i18n import format_number
from core.web.tenancy import RequestTenant, units_scope
from core.web.ui import render, tenant_path
from core.workflow.routes import propose_from_page as propose_change
from core.workflow.types import ChangeType

hookimpl = pluggy.HookimplMarker("wardhub")

DbSession = NamedDependency[AsyncSession]
"""Type of a route handler's ``db_session`` parameter: a session scoped to the request's tenant."""

Access = NamedDependency[RequestAccess]
"""Type of a route handler's ``access`` parameter: the caller's permissions in the request's tenant,
``access.allows("…")``, ``access.require("…")`` and ``access.filter(select(...), "<plugin>.<resource>")``."""



def session_tenant(session: AsyncSession) -> uuid.UUID | None:
    """The tenant of a session scoped to one; None for a session over several tenants (or ``SYSTEM``)."""
    return session_scope(session.sync_session).single


def load_plugins(settings: Any) -> Any:
    """The deployment's plugins, loaded as the app loads them: for a command run outside any request
    (``wardhub_cli_commands``), the ``manager`` that ``plugin_enabled`` asks for. With ``load_settings()`` and
    ``Database(settings)`` (sessions: ``database.session(TenantScope.of(ward.id))``, ``SYSTEM`` for the units
    themselves; ``await database.dispose()`` at the end) and ``bind_actor(None, "job:<plugin>.<job>")``."""
    from core.app import load_plugins as load

    return load(settings)


async def export_rows(session: AsyncSession, models: Iterable[type]) -> dict[str, list[dict[str, Any]]]:
    """Every row of ``models`` in the session's tenant scope, by table name, without ``tenant_id``: the
    usual body of ``wardhub_export_tenant_data``."""
    from sqlalchemy import inspect, select

    def row(obj: object) -> dict[str, Any]:
        return {a.key: getattr(obj, a.key) for a in inspect(obj).mapper.column_attrs if a.key != "tenant_id"}

    return {
        model.__tablename__: [row(obj) for obj in (await session.execute(select(model))).scalars()]
        for model in models
    }


async def purge_rows(session: AsyncSession, models: Iterable[type]) -> int:
    """Delete every row of ``models`` (children first: give them in that order) in the session's tenant scope;
    the number of rows deleted. The usual body of ``wardhub_purge_tenant_data``."""
    from sqlalchemy import delete

    deleted = 0
    for model in models:
        result = await session.execute(delete(model), execution_options={"synchronize_session": False})
        deleted += result.rowcount or 0
    return deleted


async def tenant_by_key(session: AsyncSession, key: str) -> TenantRef:
    """A unit by ``CODE`` or ``SCHEME:CODE`` (``NOT_FOUND`` otherwise), as plugins see it."""
    from tenants import registry

    return (await registry.get(session, key)).ref()


async def tenant_by_id(session: AsyncSession, tenant_id: object) -> TenantRef | None:
    from tenants.models import Tenant

    row = await session.get(Tenant, tenant_id)
    return row.ref() if row is not None else None


async def plugin_enabled(session: AsyncSession, tenant: TenantRef, plugin: str, manager: object) -> bool:
    """Whether ``plugin`` is on for ``tenant`` now (scope, district cascade and dependencies applied)."""
    from tenants import subscriptions
    from tenants.models import Tenant

    row = await session.get(Tenant, tenant.id)
    return row is not None and plugin in await subscriptions.effective_plugins(session, row, manager)


async def api_token_grant(session: AsyncSession, token_id: object) -> tuple[uuid.UUID | None, list[str]] | None:
    """``(tenant id, roles)`` of the API token ``token_id``, None when there is none (read only): for a plugin
    that ties a token to rows of its own (residence: a lodging operator's establishment)."""
    from core.auth.models import ApiToken

    token = await session.get(ApiToken, token_id)
    return None if token is None else (token.tenant_id, list(token.roles or []))


async def tenants_with_plugin(session: AsyncSession, plugin: str, manager: object) -> list[TenantRef]:
    """The active units that have ``plugin`` on now (their own subscription, with the district cascade and
    dependencies applied), by code: the wards a command works on. ``session`` a ``SYSTEM`` one."""
    from sqlalchemy import select

    from tenants.models import PluginSubscription, Tenant

    candidates = (await session.execute(
        select(Tenant).join(PluginSubscription, PluginSubscription.tenant_id == Tenant.id)
        .where(PluginSubscription.plugin == plugin, PluginSubscription.enabled.is_(True), Tenant.status == "active")
        .order_by(Tenant.code))).scalars().all()
    return [t.ref() for t in candidates if await plugin_enabled(session, t.ref(), plugin, manager)]


async def staff_member(connection: Any, session: AsyncSession, username: str,
                       permission: str) -> tuple[Any, str] | None:
    """``(user id, display name)`` of the active account ``username`` when it holds ``permission`` in the
    request's tenant through a role reaching it (e.g. an officer to assign work to); None otherwise. Pass the
    request's own session (in GraphQL ``info.context.session``): no second connection is opened."""
    from sqlalchemy import select

    from core.access.store import user_subject
    from core.auth.models import User
    from core.web.tenancy import resolve_tenant

    current = await resolve_tenant(connection)
    name = (username or "").strip().lower()
    if current is None or not name:
        return None
    user = (await session.execute(select(User).where(User.username == name))).scalar_one_or_none()
    if user is None or not user.is_active:
        return None
    grant = connection.app.state.access.grant(user_subject(user.id), current.chain, current.plugins)
    if not grant.reaches or permission not in grant.permissions:
        return None
    return user.id, user.display_name or user.username


__all__ = [
    "BUILT_IN_ROLES",
    "CSRF_HEADER",
    "SYSTEM",
    "Access",
    "AccessGrant",
    "Base",
    "ChangeType",
    "Connection",
    "Database",
    "DbSession",
    "Field",
    "FieldErrors",
    "Figure",
    "Form",
    "GraphQLContribution",
    "NavEntry",
    "Permission",
    "PhotoStore",
    "PluginManifest",
    "Principal",
    "RequestTenant",
    "Requires",
    "RowFilter",
    "TenantOwned",
    "TenantRef",
    "TenantScope",
    "Timestamped",
    "UserError",
    "api_token_grant",
    "apply_rows",
    "audit",
    "bad_input",
    "bar_chart",
    "bind_actor",
    "conflict",
    "enable_rls",
    "export_rows",
    "flush_or_conflict",
    "form_pages",
    "format_number",
    "hookimpl",
    "import_report",
    "language",
    "load_plugins",
    "load_settings",
    "new_id",
    "not_found",
    "paginate",
    "paginate_rows",
    "parse_date",
    "parse_id",
    "parse_year",
    "plugin_base",
    "plugin_enabled",
    "propose_change",
    "purge_rows",
    "read_body",
    "read_choice",
    "read_date",
    "read_int",
    "read_text",
    "render",
    "request_access",
    "requires",
    "rescoped",
    "session_tenant",
    "staff_member",
    "tenant_by_id",
    "tenant_by_key",
    "tenant_fk",
    "tenant_path",
    "tenants_with_plugin",
    "units_scope",
    "uploaded_file",
    "utcnow",
]
