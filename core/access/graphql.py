"""A strawberry permission class for GraphQL fields and mutations.

    from strawberry.permission import PermissionExtension
    from core.toolkit import Requires

    @strawberry.field(extensions=[PermissionExtension([Requires("residents.person:read")])])
    def people(self, info) -> list[Person]: ...

The check reads the request's access from ``info.context``: an ``access`` attribute or key (a
:class:`~core.access.guards.RequestAccess`), else a ``tenant`` one (a
:class:`~core.web.tenancy.RequestTenant`, as the gateway's context carries). Denials are GraphQL errors
with ``extensions.code`` ``UNAUTHENTICATED`` or ``FORBIDDEN`` (the original
:class:`~core.errors.UserError` is kept, so the gateway localizes the message), in the context's
``lang``.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from strawberry.permission import BasePermission

from core.errors import UserError, pick


def _get(context: Any, name: str) -> Any:
    if isinstance(context, dict):
        return context.get(name)
    return getattr(context, name, None)


def caller_access(context: Any) -> tuple[Any, frozenset[str]]:
    """``(principal, permissions)`` of the request behind a GraphQL context."""
    access = _get(context, "access")
    if access is not None:
        return access.principal, access.grant.permissions
    tenant = _get(context, "tenant")
    if tenant is not None and getattr(tenant, "grant", None) is not None and tenant.allowed:
        return tenant.principal, tenant.grant.permissions
    return (tenant.principal if tenant is not None else _get(context, "principal")), frozenset()


class Requires(BasePermission):
    """The caller must hold ``permission`` in the request's tenant."""

    def __init__(self, permission: str) -> None:
        self.permission = permission

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        principal, permissions = caller_access(info.context)
        if self.permission in permissions:
            return True
        if principal is None:
            error = UserError("UNAUTHENTICATED", ("Cần đăng nhập", "Sign-in required"))
        else:
            error = UserError("FORBIDDEN", (f"Bạn không có quyền {self.permission}",
                                            f"You lack the permission {self.permission}"))
        lang = _get(info.context, "lang") or "vi"
        raise GraphQLError(pick(error.message, lang), extensions={"code": error.code}, original_error=error)
