"""What the admin pages share: who is calling, forms and their errors, rank checks, page rendering.

The pages are thin over the services (``tenants.subscriptions``, ``core.access.policy``,
``core.auth.users``, ``core.auth.tokens``): each handler opens its own session for the writes and closes it
before rendering (on SQLite a transaction holds the write lock; the page's own context reads after it).
A service's :class:`~core.errors.UserError` becomes inline field errors on the re-rendered form, in the
page's language, and nothing is written.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.utils.scope.state import ScopeState

from core.access.enforcer import AccessGrant
from core.access.guards import platform_grant
from core.access.roles import BUILT_IN_ROLES
from core.auth.principal import Principal
from core.errors import Message, UserError, pick
from core.graphql.admin import RANK
from core.web.auth import authenticate
from core.web.i18n import request_language
from core.web.tenancy import RequestTenant, must_change_password, resolve_tenant
from core.web.ui import render

NO_STORE = {"Cache-Control": "no-store"}


def signed_in_user(principal: Principal | None) -> Principal:
    """The console is for people: a signed-in account that has no temporary password left to change."""
    if principal is None:
        raise UserError("UNAUTHENTICATED", ("Cần đăng nhập", "Sign-in required"))
    if principal.is_token:
        raise UserError("FORBIDDEN", ("Khóa API không dùng được trang quản trị",
                                      "An API token cannot use the admin pages"))
    if principal.must_change_password:
        raise must_change_password()
    return principal


async def console_guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    """Route guard of the pages every signed-in person may open (what they show depends on their roles)."""
    signed_in_user(await authenticate(connection))


async def current_tenant(request: Request) -> RequestTenant:
    current = await resolve_tenant(request)
    if current is None:  # the path always names one
        raise UserError("NOT_FOUND", ("Không có đơn vị này", "No such unit"))
    return current


def is_platform_admin(request: Request, principal: Principal | None) -> bool:
    return "platform_admin" in platform_grant(request, principal).roles


def held_rank(request: Request, principal: Principal | None, grant: AccessGrant | None) -> int:
    """The highest rank the caller holds where ``grant`` applies (a platform administrator: the top)."""
    if is_platform_admin(request, principal):
        return RANK["platform_admin"]
    roles = grant.roles if grant is not None else frozenset()
    return max((RANK.get(r, 0) for r in roles), default=0)


def grantable_roles(rank: int, *, exclude: frozenset[str] = frozenset()) -> list[str]:
    """Roles of at most ``rank``, in the built-in order: nobody hands out more than they hold."""
    return [name for name in BUILT_IN_ROLES if RANK.get(name, 99) <= rank and name not in exclude]


def check_rank(rank: int, role: str, field_name: str = "role") -> None:
    """Like the GraphQL admin mutations: a role above the caller's rank is refused (on the role field)."""
    if role not in BUILT_IN_ROLES:
        raise UserError("BAD_USER_INPUT", ("Chọn một vai trò trong danh sách", "Choose a role from the list"),
                        {field_name: ("Chọn một vai trò trong danh sách", "Choose a role from the list")})
    if RANK[role] > rank:
        message = (f"Bạn không thể trao vai trò {BUILT_IN_ROLES[role].title_vi}: vai trò này cao hơn vai trò của bạn",
                   f"You cannot hand out the role {BUILT_IN_ROLES[role].title_en}: it ranks above yours")
        raise UserError("FORBIDDEN", message, {field_name: message})


def csrf_token(request: Request) -> str:
    token = ScopeState.from_scope(request.scope).csrf_token
    return token if isinstance(token, str) else ""


async def form_data(request: Request) -> dict[str, Any]:
    """The posted form: single values as text, repeated ones (checkboxes) as lists."""
    form = await request.form()
    data: dict[str, Any] = {}
    for key in form:
        values = [v for v in form.getall(key) if isinstance(v, str)]
        data[key] = values if len(values) > 1 else (values[0] if values else "")
    return data


def text(data: Mapping[str, Any], key: str, limit: int = 500) -> str:
    value = data.get(key, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).strip()[:limit]


def values(data: Mapping[str, Any], key: str) -> list[str]:
    value = data.get(key)
    if value is None or value == "":
        return []
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def parse_uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (TypeError, ValueError):
        raise UserError("NOT_FOUND", ("Không tìm thấy", "Not found")) from None


class FormErrors:
    """A form's errors in the page's language: ``errors.summary`` and ``errors.fields[name]``."""

    def __init__(self, error: UserError | None = None, lang: str = "vi", *, status: int = 400) -> None:
        self.summary = pick(error.message, lang) if error else ""
        self.fields = {name: pick(msg, lang) for name, msg in (error.fields if error else {}).items()}
        self.status = error.status if error else status

    def __bool__(self) -> bool:
        return bool(self.summary or self.fields)

    def get(self, name: str) -> str:
        return self.fields.get(name, "")


def field_error(field_name: str, message: Message, code: str = "BAD_USER_INPUT") -> UserError:
    return UserError(code, message, {field_name: message})


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


async def page(request: Request, name: str, context: Mapping[str, Any], *, status_code: int = 200,
               headers: Mapping[str, str] | None = None) -> Response:
    """Render an admin page (or an htmx fragment) with the shared context of the admin templates."""
    full = {"csrf": csrf_token(request), "errors": FormErrors(lang=request_language(request)), **context}
    response = await render(request, name, full, status_code=status_code)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response
