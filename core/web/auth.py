"""Sign-in over HTTP: who is calling (session cookie or bearer token), the sign-in/out routes, CSRF.

* A browser signs in at ``POST /auth/login`` (form or JSON) and gets a server-side session: the cookie is
  HttpOnly, SameSite=Lax, Secure (and ``__Host-`` prefixed) in production. ``POST /auth/logout`` ends it.
* An integrator sends ``Authorization: Bearer wht_…`` on every request; cookies are then ignored.
* Every unsafe request that is not a bearer-token call must carry the CSRF token (litestar's double-submit
  cookie ``csrftoken``: the ``X-CSRFToken`` header or the ``_csrf_token`` form field). A bearer call cannot
  be forged by another site, so it is exempt.

:func:`authenticate` is called once per request (by the guards and the tenant resolution) and also binds
the audit actor and the log context.
"""

from __future__ import annotations

import html
import uuid
from dataclasses import dataclass
from typing import Any

import structlog
from litestar import MediaType, Request, Response, get, post
from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.csrf import CSRFMiddleware
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from litestar.types import ASGIApp, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from core.access.enforcer import AccessControl
from core.audit.context import bind_actor
from core.auth import users
from core.auth.models import User
from core.auth.principal import Principal
from core.auth.sessions import DatabaseSessionStore, Sessions
from core.auth.throttle import RateLimited, Throttle
from core.auth.tokens import authenticate as authenticate_token
from core.auth.tokens import unauthenticated
from core.db.engine import Database
from core.db.scoping import SYSTEM
from core.errors import UserError, bad_input, language, pick
from core.settings import Settings
from core.web.errors import user_error_handler

log = structlog.get_logger("wardhub.auth")
PRINCIPAL_KEY = "wardhub_principal"
CSRF_COOKIE = "csrftoken"
CSRF_HEADER = "x-csrftoken"


@dataclass
class Auth:
    """What the auth routes need, kept in ``app.state.auth``."""

    settings: Settings
    db: Database
    sessions: Sessions
    throttle: Throttle

    async def housekeeping(self) -> None:
        """At start-up: drop expired sessions (database store) and stale sign-in counters."""
        try:
            store = self.sessions.store
            removed = await store.delete_expired() if isinstance(store, DatabaseSessionStore) else 0
            forgotten = await self.throttle.forget_stale()
        except Exception as exc:  # not migrated yet: /ready says so
            log.warning("auth_housekeeping_skipped", error=f"{type(exc).__name__}: {exc}")
            return
        if removed or forgotten:
            log.info("auth_housekeeping", expired_sessions=removed, stale_throttle_rows=forgotten)


def _auth(connection: ASGIConnection) -> Auth:
    return connection.app.state.auth


def client_address(connection: ASGIConnection) -> str | None:
    return connection.client.host if connection.client else None


# -- who is calling ------------------------------------------------------------------------------------
async def authenticate(connection: ASGIConnection) -> Principal | None:
    """The request's principal (None: anonymous). A bad bearer token is ``UNAUTHENTICATED``, never
    anonymous. Computed once per request; also makes sure the access policy is current."""
    state = connection.state
    if PRINCIPAL_KEY in state:
        return state[PRINCIPAL_KEY]
    access: AccessControl = connection.app.state.access
    await access.ensure_fresh()
    auth = _auth(connection)
    principal: Principal | None = None
    header = connection.headers.get("authorization")
    if header is not None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise unauthenticated("Cần khóa API dạng 'Bearer'", "Use 'Authorization: Bearer <token>'")
        token = await authenticate_token(auth.db, auth.settings.secret_key, value.strip())
        principal = Principal("token", token.id, f"token:{token.name}", token.user_id, tenant_id=token.tenant_id)
    else:
        cookie = connection.cookies.get(auth.sessions.cookie_name)
        record = await auth.sessions.find(cookie)
        if record is not None:
            user = record.user
            if user is None:  # Redis holds the record: the user's row (active? same epoch?) is read now
                async with auth.db.lookup() as session:
                    user = await session.get(User, record.user_id)
            if user is None or not user.is_active or user.session_epoch != record.epoch:
                await auth.sessions.end(cookie)
            else:
                principal = Principal("user", user.id, user.username, user.id,
                                      must_change_password=user.must_change_password, session_key=record.key)
    state[PRINCIPAL_KEY] = principal
    connection.scope["user"] = principal
    if principal is not None:
        bind_actor(principal.user_id, principal.label)
    return principal


async def require_principal(connection: ASGIConnection) -> Principal:
    principal = await authenticate(connection)
    if principal is None:
        raise UserError("UNAUTHENTICATED", ("Cần đăng nhập", "Sign-in required"))
    return principal


async def authenticated_guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    """Route guard: any signed-in user or valid token."""
    await require_principal(connection)


async def provide_principal(request: Request) -> Principal | None:
    return await authenticate(request)


# -- CSRF ----------------------------------------------------------------------------------------------
def csrf_config(settings: Settings) -> CSRFConfig:
    return CSRFConfig(
        secret=settings.secret_key, cookie_name=CSRF_COOKIE, header_name=CSRF_HEADER,
        cookie_secure=settings.environment == "production", cookie_samesite="lax", cookie_httponly=False,
    )


def _exempt(scope: Scope) -> bool:
    """Calls with an ``Authorization`` header: they are authenticated by it alone (a bearer token; any
    other scheme is refused), never by the ambient session cookie, so there is nothing to forge. And JSON
    calls to routes marked ``opt={"csrf_exempt": True}`` (GraphQL): a browser cannot send
    ``Content-Type: application/json`` to another site without a CORS preflight, which this app never
    grants. A form or ``text/plain`` post to such a route is still checked."""
    headers = dict(scope.get("headers") or ())
    if b"authorization" in headers:
        return True
    handler = scope.get("route_handler")
    if handler is not None and handler.opt.get("csrf_exempt"):
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        return content_type == b"application/json"
    return False


def csrf_middleware(settings: Settings):
    """Litestar's CSRF middleware (double-submit cookie), except for the calls :func:`_exempt` names."""
    config = csrf_config(settings)

    def factory(app: ASGIApp) -> ASGIApp:
        protected = CSRFMiddleware(app, config)

        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and _exempt(scope):
                await app(scope, receive, send)
                return
            try:
                await protected(scope, receive, send)
            except PermissionDeniedException as exc:
                if "CSRF" not in str(exc.detail):
                    raise
                raise UserError(
                    "FORBIDDEN",
                    ("Thiếu hoặc sai mã chống giả mạo (CSRF); hãy tải lại trang",
                     "Missing or wrong CSRF token; reload the page"),
                ) from None

        return middleware

    return factory


def rate_limited_handler(request: Request, exc: RateLimited) -> Response:
    response = user_error_handler(request, exc)
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


# -- routes --------------------------------------------------------------------------------------------
LOGIN_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title></head>
<body><main><h1>{title}</h1>{error}
<form method="post" action="/auth/login">
<input type="hidden" name="_csrf_token" value="{csrf}">
<input type="hidden" name="next" value="{next}">
<p><label>{username_label} <input name="username" autocomplete="username" required></label></p>
<p><label>{password_label} <input name="password" type="password" autocomplete="current-password" required></label></p>
<p><button type="submit">{submit}</button></p>
</form></main></body></html>
"""


def _safe_next(value: Any) -> str:
    """Only a local path: never an open redirect."""
    target = value if isinstance(value, str) else "/"
    if not target.startswith("/") or target.startswith("//") or "\\" in target or len(target) > 500:
        return "/"
    return target


def _lang(request: Request) -> str:
    return language(request.headers.get("accept-language"))


@get("/auth/login", opt={"public": True}, media_type=MediaType.HTML, sync_to_thread=False)
def login_page(request: Request, next: FromQuery[str] = "/") -> Response:
    """The sign-in form (also sets the CSRF cookie it posts back)."""
    lang = _lang(request)
    token = ScopeState.from_scope(request.scope).csrf_token
    body = LOGIN_PAGE.format(
        lang=lang, title=pick(("Đăng nhập WardHub", "Sign in to WardHub"), lang), error="",
        csrf=html.escape(str(token) if isinstance(token, str) else ""), next=html.escape(_safe_next(next)),
        username_label=pick(("Tên đăng nhập", "Username"), lang), password_label=pick(("Mật khẩu", "Password"), lang),
        submit=pick(("Đăng nhập", "Sign in"), lang),
    )
    return Response(body, media_type=MediaType.HTML, headers={"Cache-Control": "no-store"})


async def _credentials(request: Request) -> tuple[dict[str, Any], bool]:
    content_type, _ = request.content_type
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        return {k: form.get(k) for k in ("username", "password", "next", "current_password", "new_password")}, True
    try:
        data = await request.json()
    except Exception:
        data = None
    if not isinstance(data, dict):
        raise bad_input("body", "Cần dữ liệu JSON hoặc biểu mẫu", "Send JSON or a form")
    return data, False


def _me(user: User) -> dict[str, Any]:
    return {"id": str(user.id), "username": user.username, "display_name": user.display_name,
            "must_change_password": user.must_change_password}


@post("/auth/login", opt={"public": True}, status_code=200)
async def login(request: Request) -> Response:
    """Check username and password (throttled) and start a new session; the old one, if any, ends."""
    auth = _auth(request)
    data, is_form = await _credentials(request)
    username, password = data.get("username"), data.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        raise bad_input("username", "Cần tên đăng nhập và mật khẩu", "Username and password are required")
    user = await users.sign_in(auth.db, auth.throttle, username, password, client_address(request))
    await auth.sessions.end(request.cookies.get(auth.sessions.cookie_name))
    value = await auth.sessions.start(user.id, user.session_epoch, client_address(request),
                                      request.headers.get("user-agent"))
    bind_actor(user.id, user.username)
    response: Response = (
        Redirect(_safe_next(data.get("next")), status_code=303) if is_form else Response({"user": _me(user)})
    )
    response.set_cookie(auth.sessions.cookie(value))
    return response


@post("/auth/logout", opt={"public": True}, status_code=200)
async def logout(request: Request) -> Response:
    """End this browser's session (the stored record is deleted; the cookie is cleared)."""
    auth = _auth(request)
    await auth.sessions.end(request.cookies.get(auth.sessions.cookie_name))
    content_type, _ = request.content_type
    is_form = content_type in ("application/x-www-form-urlencoded", "multipart/form-data")
    response: Response = Redirect("/auth/login", status_code=303) if is_form else Response({"signed_out": True})
    response.set_cookie(auth.sessions.cookie(None))
    return response


@get("/auth/me")
async def me(request: Request) -> dict[str, Any]:
    """The caller: a user (with the roles they hold, by unit) or a token (its unit and roles)."""
    from core.access import policy
    from tenants.models import Tenant

    principal = await require_principal(request)
    auth = _auth(request)
    async with auth.db.session(SYSTEM) as session:
        if principal.is_token:
            from core.auth.models import ApiToken

            token = await session.get(ApiToken, principal.id)
            tenant = await session.get(Tenant, token.tenant_id)
            return {"kind": "token", "id": str(token.id), "name": token.name, "tenant": tenant.key,
                    "roles": list(token.roles), "expires_at": token.expires_at.isoformat()}
        user = await session.get(User, principal.id)
        roles = []
        for row in await policy.roles_of(session, user.id):
            tenant = await session.get(Tenant, row.tenant_id) if row.tenant_id else None
            roles.append({"role": row.role, "tenant": tenant.key if tenant else "*", "attrs": row.attrs})
    return {"kind": "user", **_me(user), "roles": roles}


@post("/auth/password", status_code=200)
async def change_password(request: Request) -> Response:
    """Change one's own password: every session ends, this browser gets a new one."""
    principal = await require_principal(request)
    if principal.is_token:
        raise UserError("FORBIDDEN", ("Khóa API không có mật khẩu", "An API token has no password"))
    auth = _auth(request)
    data, _ = await _credentials(request)
    current, new = data.get("current_password"), data.get("new_password")
    if not isinstance(current, str) or not isinstance(new, str):
        raise bad_input("new_password", "Cần mật khẩu hiện tại và mật khẩu mới",
                        "The current and the new password are required")
    async with auth.db.session(SYSTEM) as session:
        user = await users.change_own_password(session, await users.get(session, principal.id), current, new)
    await auth.sessions.end(request.cookies.get(auth.sessions.cookie_name))
    value = await auth.sessions.start(user.id, user.session_epoch, client_address(request),
                                      request.headers.get("user-agent"))
    response = Response({"user": _me(user)})
    response.set_cookie(auth.sessions.cookie(value))
    return response


@post("/admin/users/{user_id:uuid}/password-reset", status_code=200)
async def admin_reset_password(request: Request, user_id: FromPath[uuid.UUID]) -> dict[str, Any]:
    """An administrator (``core.user:manage`` platform-wide) resets a password: a temporary one, shown
    once, that the user must change; the user's sessions end."""
    from core.access.guards import platform_grant

    principal = await require_principal(request)
    grant = platform_grant(request, principal)
    if principal.must_change_password:
        from core.web.tenancy import must_change_password

        raise must_change_password()
    if not grant.allows("core.user:manage"):
        raise UserError("FORBIDDEN", ("Không có quyền quản lý tài khoản", "You may not manage accounts"))
    auth = _auth(request)
    data: dict[str, Any] = {}
    if await request.body():
        data, _ = await _credentials(request)
    given = data.get("password")
    async with auth.db.session(SYSTEM) as session:
        user = await users.get(session, user_id)
        temporary = await users.reset_password(session, user, given if isinstance(given, str) else None)
    return {"user": _me(user), "temporary_password": temporary}


ROUTES = [login_page, login, logout, me, change_password, admin_reset_password]
