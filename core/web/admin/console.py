"""What the console adds to every page: the signed-in person, the CSRF token, the tenant switcher, the
administration menu, and navigation filtered by permission.

* :func:`prefetch` (the app's ``before_request``) reads, once per page request of a signed-in person, their
  display name and the units where they hold a role. It runs before the handler opens its own session:
  on SQLite a second transaction during rendering would wait for the handler's write lock.
* :func:`console_context` (a context processor of :class:`~core.web.ui.WebUI`) fills ``user``,
  ``csrf_token``, ``signin_url``, ``tenant_switcher`` (the units where the person holds a role, when
  there are several) and ``admin_nav`` (the admin pages the person may use, here and platform-wide).
* :func:`permission_filter` (a navigation filter) drops the plugins' entries whose ``permission`` the
  person does not hold in the unit. Entries of plugins the unit has not enabled never get this far.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.utils.scope.state import ScopeState
from sqlalchemy import select

from core.access.guards import platform_grant
from core.access.models import RoleAssignment
from core.auth.models import User
from core.db.scoping import SYSTEM
from core.web.auth import PRINCIPAL_KEY, authenticate
from core.web.contributions import NavEntry
from core.web.i18n import request_language
from core.web.ui import WebUI, tenant_path

STATE_KEY = "wardhub_console"
# Requests that never render a console page: no need to read anything for them.
SKIP = ("/static/", "/graphql", "/api/", "/health", "/ready", "/metrics", "/schema", "/auth/")
WORKFLOW = ("core.change:propose", "core.change:review", "core.change:approve")
UNIT_PAGES = (  # (permission, path under /t/{unit}/, message id)
    ("core.plugin:manage", "admin/plugins", "admin.nav.plugins"),
    ("core.role:grant", "admin/roles", "admin.nav.roles"),
    ("core.token:manage", "admin/tokens", "admin.nav.tokens"),
    ("core.audit:read", "admin/audit", "admin.nav.audit"),
)


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    username: str
    display_name: str
    units: tuple[dict[str, str], ...]  # {key, name, url} where the person holds a role


async def prefetch(request: Request) -> None:
    """``before_request``: the signed-in person's name and role units, for the page's header."""
    if request.url.path.startswith(SKIP) or "authorization" in request.headers:
        return None
    if request.method != "GET" and not _renders(request):
        return None
    principal = await authenticate(request)
    if principal is None or principal.is_token:
        return None
    from tenants.models import Tenant

    db = request.app.state.db
    async with db.session(SYSTEM) as session:
        user = await session.get(User, principal.id)
        rows = (await session.execute(
            select(Tenant.scheme, Tenant.code, Tenant.name).join(RoleAssignment, RoleAssignment.tenant_id == Tenant.id)
            .where(RoleAssignment.user_id == principal.id, Tenant.status == "active")
            .distinct().order_by(Tenant.name)
        )).all()
    if user is None:
        return None
    units = tuple({"key": f"{s}:{c}", "name": n, "url": f"{tenant_path(f'{s}:{c}')}/"} for s, c, n in rows)
    request.state[STATE_KEY] = ConsoleUser(user.username, user.display_name, units)
    return None


def _renders(request: Request) -> bool:
    """Form posts of the console answer with a page too (errors shown inline)."""
    return "/admin/" in request.url.path or request.url.path.startswith("/admin")


def _entry(web: WebUI, lang: str, url: str, message: str, path: str) -> dict[str, Any]:
    return {"label": web.catalog.get(message, lang), "url": url,
            "current": path == url.rstrip("/") or path.startswith(url.rstrip("/") + "/")}


def console_context(request: Request) -> dict[str, Any]:
    web: WebUI = request.app.state.web
    lang = request_language(request)
    principal = request.state.get(PRINCIPAL_KEY)
    token = ScopeState.from_scope(request.scope).csrf_token
    context: dict[str, Any] = {"csrf_token": token if isinstance(token, str) else "", "admin_nav": []}
    if principal is None:
        context["signin_url"] = f"/auth/login?next={request.url.path}" if request.url.path != "/auth/login" else None
        return context
    known: ConsoleUser | None = request.state.get(STATE_KEY)
    if principal.is_token:
        return context
    context["user"] = {"username": principal.label,
                       "display_name": known.display_name if known else ""}
    if principal.must_change_password:
        return context
    units = known.units if known else ()
    context["tenant_switcher"] = list(units) if len(units) > 1 else None
    path = request.url.path.rstrip("/")
    nav = []
    current = request.state.get("wardhub_tenant")
    if current is not None and current.allowed:
        base = tenant_path(current.tenant.key)
        if any(current.allows(p) for p in WORKFLOW):
            nav.append(_entry(web, lang, f"{base}/inbox", "admin.nav.inbox", path))
        for permission, page, message in UNIT_PAGES:
            if current.allows(permission):
                nav.append(_entry(web, lang, f"{base}/{page}", message, path))
    platform = platform_grant(request, principal)
    if units or "platform_admin" in platform.roles:
        nav.append(_entry(web, lang, "/admin/units", "admin.nav.units", path))
    if platform.allows("core.user:manage"):
        nav.append(_entry(web, lang, "/admin/users", "admin.nav.users", path))
    context["admin_nav"] = nav
    return context


def permission_filter(request: Request, entries: list[NavEntry]) -> list[NavEntry]:
    """Only the entries whose permission the person holds in the unit (or that need none)."""
    current = request.state.get("wardhub_tenant")
    if current is None:
        return [e for e in entries if e.permission is None]
    return [e for e in entries if e.permission is None or current.allows(e.permission)]


def install(web: WebUI) -> None:
    """Plug the console into the web UI (once, at start-up)."""
    web.context_processors.append(console_context)
    web.nav_filters.append(permission_filter)
