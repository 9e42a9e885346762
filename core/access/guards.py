"""Guards: what routes (and handlers) use to check permissions.

* ``@get("/households", guards=[requires("residents.household:read")])`` — on a plugin route (mounted
  under ``/t/{tenant}/{plugin}``) or any route with ``X-Tenant``: the caller needs the permission in
  the request's tenant (``UNAUTHENTICATED`` when anonymous, ``FORBIDDEN`` otherwise). On a route with no
  tenant the permission must be held platform-wide.
* The ``access`` dependency (:class:`RequestAccess`) inside a handler: ``access.allows(...)`` for
  optional parts (sensitive fields), ``access.require(...)``, and ``access.filter(stmt, resource)`` to
  narrow a list query in SQL by the caller's row filters.

Decisions come from :class:`core.access.enforcer.AccessControl`'s cache: one check is a set lookup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy.sql import Select

from core.access.enforcer import NO_GRANT, AccessControl, AccessGrant
from core.access.filters import RowFilters
from core.access.models import ALL_TENANTS
from core.auth.principal import Principal
from core.errors import UserError
from core.web.auth import authenticate
from core.web.tenancy import RequestTenant, check_access, must_change_password, resolve_tenant

S = TypeVar("S", bound=Select)
PLATFORM_CHAIN = (ALL_TENANTS,)


def unauthenticated() -> UserError:
    return UserError("UNAUTHENTICATED", ("Cần đăng nhập", "Sign-in required"))


def forbidden(permission: str) -> UserError:
    return UserError("FORBIDDEN", (f"Bạn không có quyền {permission}", f"You lack the permission {permission}"))


def platform_grant(connection: ASGIConnection, principal: Principal | None) -> AccessGrant:
    """The caller's platform-wide roles and core permissions (held with no tenant)."""
    if principal is None or principal.is_token or principal.must_change_password:
        return NO_GRANT
    access: AccessControl = connection.app.state.access
    return access.grant(principal.subject, PLATFORM_CHAIN, frozenset())


@dataclass(frozen=True, slots=True)
class RequestAccess:
    """The caller's access for this request (the ``access`` dependency of route handlers)."""

    principal: Principal | None
    tenant: RequestTenant | None
    grant: AccessGrant
    filters: RowFilters

    def allows(self, permission: str) -> bool:
        return permission in self.grant.permissions

    def require(self, *permissions: str) -> None:
        if self.principal is None:
            raise unauthenticated()
        if self.principal.must_change_password:
            raise must_change_password()
        for permission in permissions:
            if permission not in self.grant.permissions:
                raise forbidden(permission)

    def filter(self, statement: S, resource: str) -> S:
        """``statement`` narrowed to the rows the caller's roles may see (row filters, in SQL)."""
        return self.filters.apply(statement, resource, self.grant)


async def request_access(connection: ASGIConnection) -> RequestAccess:
    """Computed once per request and kept in its state."""
    state = connection.state
    found = state.get("wardhub_access")
    if found is not None:
        return found
    principal = await authenticate(connection)
    current = await resolve_tenant(connection)
    if current is not None:
        grant = current.grant if current.allowed and current.grant is not None else AccessGrant(current.chain[0])
    else:
        grant = platform_grant(connection, principal)
    found = RequestAccess(principal, current, grant, connection.app.state.row_filters)
    state["wardhub_access"] = found
    return found


async def provide_access(request: Request) -> RequestAccess:
    return await request_access(request)


def requires(*permissions: str):
    """A route guard: the caller must hold every one of ``permissions`` in the request's tenant."""
    if not permissions:
        raise ValueError("requires() needs at least one permission")

    async def guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
        current = await resolve_tenant(connection)
        if current is not None:
            check_access(connection, current)
        (await request_access(connection)).require(*permissions)

    guard.__name__ = f"requires({', '.join(permissions)})"
    guard.permissions = permissions  # type: ignore[attr-defined]  # for introspection and tests
    return guard
