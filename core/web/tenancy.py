"""The request's tenant: from the ``{tenant}`` path parameter, the ``X-Tenant`` header, or the one tenant
an API token is bound to.

Resolved once per request and kept in ``request.state``: the tenant, its effective plugins, the caller's
access there (:class:`~core.access.enforcer.AccessGrant`) and the :class:`TenantScope` every database
session of the request uses. The scope is the tenant only when the caller may be there — a role held in
the tenant or in a unit above it (a district reading its ward), or a route marked ``opt={"public":
True}`` — and empty otherwise, so that no tenant row is reachable even through a route that forgot a guard.
:func:`check_access` turns the same answer into ``UNAUTHENTICATED`` / ``FORBIDDEN``.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import structlog
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy.ext.asyncio import AsyncSession

from core.access.enforcer import AccessControl, AccessGrant, chain_of
from core.auth.principal import Principal
from core.db.engine import Database
from core.db.scoping import SYSTEM, TenantScope
from core.errors import UserError
from core.plugins.context import TenantRef
from core.web.auth import authenticate
from core.web.unit_cache import UnitCache, UnitContext


@dataclass(frozen=True, slots=True)
class RequestTenant:
    tenant: TenantRef
    plugins: frozenset[str]
    scope: TenantScope
    # The tenant's id and its ancestors' ids, nearest first (strings: the Casbin domains).
    chain: tuple[str, ...] = ()
    grant: AccessGrant | None = None
    principal: Principal | None = None
    wrong_token_tenant: bool = False

    @property
    def allowed(self) -> bool:
        """The caller may act in this tenant (a role reaches it, through the hierarchy or directly)."""
        return (self.grant is not None and self.grant.reaches and not self.wrong_token_tenant
                and not self.principal.must_change_password)

    def allows(self, permission: str) -> bool:
        return self.allowed and self.grant.allows(permission)


def tenant_key(connection: ASGIConnection) -> str | None:
    return connection.path_params.get("tenant") or connection.headers.get("x-tenant")


def is_public(connection: ASGIConnection) -> bool:
    handler = connection.scope.get("route_handler")
    return bool(handler is not None and handler.opt.get("public"))


async def resolve_tenant(connection: ASGIConnection) -> RequestTenant | None:
    state = connection.state
    if "wardhub_tenant" in state:
        return state["wardhub_tenant"]
    principal = await authenticate(connection)
    key = tenant_key(connection)
    token_tenant = principal.tenant_id if principal is not None and principal.is_token else None
    result = None
    if key or token_tenant:
        access: AccessControl = connection.app.state.access
        unit = await _unit_context(connection, key, token_tenant)
        if unit.status != "active":
            raise UserError("NOT_FOUND", ("Đơn vị đã được sáp nhập", "This unit has been merged"))
        tenant, plugins, chain = unit.tenant, unit.plugins, unit.chain
        grant = access.grant(principal.subject, chain, plugins) if principal is not None else None
        wrong = token_tenant is not None and token_tenant != tenant.id
        current = RequestTenant(tenant, plugins, TenantScope(), chain, grant, principal, wrong)
        if current.allowed or is_public(connection):
            current = RequestTenant(tenant, plugins, TenantScope.of(tenant.id), chain, grant, principal, wrong)
        result = current
        structlog.contextvars.bind_contextvars(tenant=result.tenant.key)
    state["wardhub_tenant"] = result
    return result


async def _unit_context(connection: ASGIConnection, key: str | None, tenant_id: uuid.UUID | None) -> UnitContext:
    """The unit named by ``key`` (else the token's unit), from the process's cache or the database."""
    from tenants import registry, subscriptions  # the registry is platform code beside core
    from tenants.models import Tenant

    state = connection.app.state
    db: Database = state.db
    cache: UnitCache | None = state.get("units")
    if cache is None:
        cache = state.units = UnitCache(state.access)
    found = None
    if not key:
        found = cache.get(tenant_id=tenant_id)
    else:
        with contextlib.suppress(UserError):  # a malformed key: registry.get below says so
            found = cache.get(key="{}:{}".format(*registry.parse_key(key, db.settings.tenant_scheme)))
    if found is not None:
        return found
    version = state.access.version
    async with db.session(SYSTEM) as session:
        tenant = await registry.get(session, key, db.settings.tenant_scheme) if key else await session.get(
            Tenant, tenant_id)
        if tenant is None:
            raise UserError("NOT_FOUND", ("Không có đơn vị của khóa API", "The token's unit does not exist"))
        plugins = await subscriptions.effective_plugins(session, tenant, state.plugins)
        chain = chain_of([tenant.id, *(a.id for a in await registry.ancestors(session, tenant))])
        unit = UnitContext(tenant.ref(), tenant.status, plugins, chain)
    cache.put(unit, version)
    return unit


def must_change_password() -> UserError:
    return UserError("FORBIDDEN", ("Hãy đổi mật khẩu tạm thời trước khi tiếp tục (POST /auth/password)",
                                   "Change your temporary password first (POST /auth/password)"))


def check_access(connection: ASGIConnection, current: RequestTenant) -> None:
    """``UNAUTHENTICATED`` for an anonymous caller, ``FORBIDDEN`` for one whose roles do not reach the
    tenant (or a token bound to another tenant, or a user who must first change a temporary password);
    nothing for public routes."""
    if current.allowed or is_public(connection):
        return
    if current.principal is None:
        raise UserError("UNAUTHENTICATED", ("Cần đăng nhập", "Sign-in required"))
    if current.principal.must_change_password:
        raise must_change_password()
    if current.wrong_token_tenant:
        raise UserError("FORBIDDEN", ("Khóa API không dùng được cho đơn vị này",
                                      "This API token is bound to another unit"))
    raise UserError("FORBIDDEN", (f"Bạn không có vai trò tại {current.tenant.name}",
                                  f"You hold no role in {current.tenant.name}"))


def plugin_guard(plugin: str):
    """Route guard: the request's tenant must have ``plugin`` enabled (else ``PLUGIN_NOT_ENABLED``) and
    the caller must hold a role reaching the tenant."""

    async def guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
        current = await resolve_tenant(connection)
        if current is None or plugin not in current.plugins:
            raise UserError(
                "PLUGIN_NOT_ENABLED",
                (f"Đơn vị chưa bật phân hệ {plugin}", f"The plugin {plugin} is not enabled for this unit"),
            )
        check_access(connection, current)

    return guard


async def units_scope(connection: ASGIConnection, session: AsyncSession | None = None) -> TenantScope:
    """The request's tenant and every unit below it (a district's wards), for figures summed over them.

    Empty unless the caller may act in the tenant: a role held at the district reaches its wards
    (never a sibling district's), so reading them together is what that role already grants. Pass the
    request's ``session`` when one is open (GraphQL): a second connection would wait for its lock on SQLite.
    """
    current = await resolve_tenant(connection)
    if current is None or not current.scope.tenant_ids:
        return TenantScope()
    if session is None:
        db: Database = connection.app.state.db
        async with db.session(SYSTEM) as own:
            return await _units_below(own, current.tenant.id)
    return await _units_below(session, current.tenant.id)


async def _units_below(session: AsyncSession, top: uuid.UUID) -> TenantScope:
    from sqlalchemy import select

    from tenants.models import Tenant

    ids = {top}
    frontier = {top}
    for _level in range(3):  # province → district → ward at most
        rows = await session.execute(select(Tenant.id).where(Tenant.parent_id.in_(frontier), Tenant.status == "active"))
        frontier = set(rows.scalars()) - ids
        if not frontier:
            break
        ids |= frontier
    return TenantScope.of(ids)


async def provide_tenant(request: Request) -> RequestTenant | None:
    current = await resolve_tenant(request)
    if current is not None:
        check_access(request, current)
    return current


async def provide_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for the request's tenant scope, committed when the handler returns without error."""
    current = await resolve_tenant(request)
    db: Database = request.app.state.db
    session = db.open(current.scope if current else SYSTEM)
    try:
        yield session
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    finally:
        await session.close()
