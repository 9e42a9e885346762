"""The web console's machinery: templates, messages, static files, page context and HTML responses.

Built once at start-up by :func:`build_web_ui` from the plugins' ``wardhub_templates``, ``wardhub_static``
and ``wardhub_messages`` hooks, and kept in ``app.state.web``. Route handlers, core's and plugins', answer
a page with :func:`render`::

    @get("/greetings/page")
    async def greetings_page(request: Request) -> Response:
        return await render(request, "hello/greetings.html", {"greetings": [...]})

Every page gets: ``lang``, ``_`` (``_("dashboard.title", tenant=…)``), ``pick`` (a ``(vi, en)`` pair in the
page's language), ``number`` (a localized number), ``static`` (a versioned ``/static/…`` URL), ``tenant``
(a ``TenantRef`` or None), ``nav`` (the enabled plugins' entries), ``lang_urls`` (this page in each
language), and the slots sign-in fills later: ``user``, ``csrf_token``, ``tenant_switcher``, ``signin_url``.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import structlog
from litestar import MediaType, Request, Response, Router
from litestar.connection import ASGIConnection
from litestar.datastructures import CacheControlHeader, Cookie
from litestar.static_files import create_static_files_router

import core
from core.errors import Message, pick
from core.plugins.manager import PluginError, PluginManager
from core.settings import Settings
from core.web.contributions import NavEntry
from core.web.i18n import (
    LANG_COOKIE,
    LANG_PARAM,
    Catalog,
    CatalogError,
    format_number,
    load_core_messages,
    load_messages,
    request_language,
    valid_lang,
)
from core.web.templating import CORE_TEMPLATES, Templates
from core.web.tenancy import RequestTenant, resolve_tenant, tenant_key

log = structlog.get_logger("wardhub.web")

CORE_STATIC = Path(__file__).parent / "static"
LANG_COOKIE_AGE = 365 * 24 * 3600
# Pages load nothing from elsewhere: the platform runs on closed networks, and this keeps injected
# markup from running scripts or styles. htmx is told not to add its inline style (base.html).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

ContextProcessor = Callable[[Request], Mapping[str, Any] | Awaitable[Mapping[str, Any]]]
NavFilter = Callable[[Request, list[NavEntry]], list[NavEntry] | Awaitable[list[NavEntry]]]


def tenant_path(key: str) -> str:
    return f"/t/{quote(key, safe=':')}"


def plugin_url(key: str, plugin: str, url: str) -> str:
    """A plugin's link: absolute paths as they are, others under ``/t/{tenant}/{plugin}/``."""
    if url.startswith("/"):
        return url
    base = f"{tenant_path(key)}/{plugin}"
    return f"{base}/{url}" if url else base


def _safe_url(url: object) -> bool:
    return isinstance(url, str) and "://" not in url and not url.startswith("//") and ":" not in url.split("/")[0]


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


class StaticFiles:
    """Core's files at ``/static/…``, each plugin's ``<folder>/<plugin>/…`` at ``/static/<plugin>/…``."""

    def __init__(self, core_dir: Path = CORE_STATIC, plugin_dirs: Mapping[str, Path] | None = None) -> None:
        self.core_dir = core_dir
        self.plugin_dirs = {name: Path(folder) / name for name, folder in (plugin_dirs or {}).items()}
        self._versions: dict[str, str] = {}

    def file(self, path: str) -> Path | None:
        head, _, rest = path.lstrip("/").partition("/")
        base, relative = (self.plugin_dirs[head], rest) if head in self.plugin_dirs else (self.core_dir, path)
        candidate = (base / relative.lstrip("/")).resolve()
        if base.resolve() not in candidate.parents or not candidate.is_file():
            return None
        return candidate

    def url(self, path: str) -> str:
        """``/static/<path>?v=<hash of the file>``: browsers may keep the file until it changes."""
        version = self._versions.get(path)
        if version is None:
            found = self.file(path)
            version = hashlib.sha256(found.read_bytes()).hexdigest()[:12] if found else core.__version__
            self._versions[path] = version
        return f"/static/{path.lstrip('/')}?v={version}"

    def routers(self) -> list[Router]:
        cache = CacheControlHeader(max_age=7 * 24 * 3600, public=True)
        routers = [create_static_files_router(
            path="/static", directories=[self.core_dir], name="static", cache_control=cache, opt={"public": True},
        )]
        for name, folder in self.plugin_dirs.items():
            routers.append(create_static_files_router(
                path=f"/static/{name}", directories=[folder], name=f"static-{name}", cache_control=cache,
                opt={"public": True},
            ))
        return routers


@dataclass
class WebUI:
    settings: Settings
    manager: PluginManager
    templates: Templates
    catalog: Catalog
    static: StaticFiles
    # Sign-in and access plug in here: processors add to every page's context (``user``, ``csrf_token``,
    # ``tenant_switcher``…); filters drop the navigation entries the user may not use.
    context_processors: list[ContextProcessor] = field(default_factory=list)
    nav_filters: list[NavFilter] = field(default_factory=list)

    # -- context -----------------------------------------------------------------------------------
    def base_context(self, request: Request, lang: str, current: RequestTenant | None) -> dict[str, Any]:
        state = request.scope.get("state", {})
        return {
            "request": request,
            "lang": lang,
            "lang_urls": self.lang_urls(request),
            "_": self.catalog.bind(lang),
            "pick": partial(pick, lang=lang),
            "number": partial(format_number, lang=lang),
            "static": self.static.url,
            "tenant": current.tenant if current else None,
            "tenant_url": tenant_path(current.tenant.key) if current else None,
            "plugins": current.plugins if current else frozenset(),
            "nav": [],
            "user": None,
            "csrf_token": "",
            "tenant_switcher": None,
            "signin_url": None,
            "request_id": state.get("request_id", ""),
            "version": core.__version__,
        }

    async def page_context(self, request: Request) -> dict[str, Any]:
        lang = request_language(request)
        current = await resolve_tenant(request) if tenant_key(request) else None
        context = self.base_context(request, lang, current)
        context["nav"] = await self.navigation(request, current, lang)
        for processor in self.context_processors:
            context.update(await _maybe_await(processor(request)))
        return context

    @staticmethod
    def lang_urls(request: ASGIConnection) -> dict[str, str]:
        params = [(k, v) for k, v in request.query_params.multi_items() if k != LANG_PARAM]
        return {lang: f"{request.url.path}?{urlencode([*params, (LANG_PARAM, lang)])}" for lang in ("vi", "en")}

    # -- navigation --------------------------------------------------------------------------------
    async def navigation(self, request: Request, current: RequestTenant | None, lang: str) -> list[dict[str, Any]]:
        """Core's entries and those of the tenant's enabled plugins, as ``{label, url, current}``."""
        if current is None:
            return []
        key = current.tenant.key
        entries: list[tuple[int, int, NavEntry]] = [
            (0, 0, NavEntry(label=("Tổng quan", "Dashboard"), url=f"{tenant_path(key)}/", order=0)),
        ]
        order = {name: i for i, name in enumerate(self.manager.ordered(), start=1)}
        results = await self.manager.call_each("wardhub_navigation", current.plugins, tenant=current.tenant, lang=lang)
        for result in results:
            if result.error:
                continue
            values = result.value if isinstance(result.value, list | tuple) else [result.value]
            for entry in values:
                if entry is None:
                    continue
                if not isinstance(entry, NavEntry) or not _safe_url(entry.url):
                    log.warning("navigation_entry_ignored", plugin=result.plugin, entry=repr(entry)[:200])
                    continue
                resolved = NavEntry(entry.label, plugin_url(key, result.plugin, entry.url), entry.permission,
                                    entry.order)
                entries.append((entry.order, order.get(result.plugin, 0), resolved))
        chosen = [entry for _, _, entry in sorted(entries, key=lambda item: (item[0], item[1]))]
        for nav_filter in self.nav_filters:
            chosen = list(await _maybe_await(nav_filter(request, chosen)))
        path = request.url.path.rstrip("/") or "/"
        return [
            {"label": pick(e.label, lang), "url": e.url, "current": (e.url.rstrip("/") or "/") == path}
            for e in chosen
        ]

    # -- responses ---------------------------------------------------------------------------------
    def html_response(self, request: ASGIConnection, body: str, status_code: int = 200) -> Response:
        cookies = []
        chosen = valid_lang(request.query_params.get(LANG_PARAM))
        if chosen and chosen != request.cookies.get(LANG_COOKIE):
            cookies.append(Cookie(
                key=LANG_COOKIE, value=chosen, max_age=LANG_COOKIE_AGE, path="/", samesite="lax", httponly=True,
                secure=self.settings.environment == "production",
            ))
        return Response(
            body, status_code=status_code, media_type=MediaType.HTML, headers=dict(SECURITY_HEADERS), cookies=cookies,
        )

    async def render(self, request: Request, name: str, context: Mapping[str, Any] | None = None, *,
                     status_code: int = 200) -> Response:
        page = await self.page_context(request)
        page.update(context or {})
        tenant = page.get("tenant")
        body = self.templates.render(name, page, tenant.key if tenant else None)
        return self.html_response(request, body, status_code)

    def error_page(self, request: Request, status: int, code: str, message: Message | str) -> Response:
        """An HTML error page, built without awaiting anything (exception handlers are synchronous).

        The tenant is shown when it was resolved before the error; navigation is left out.
        """
        lang = request_language(request)
        current = request.scope.get("state", {}).get("wardhub_tenant")
        context = self.base_context(request, lang, current)
        title_key = f"error.{status}.title"
        context.update({
            "status": status,
            "code": code,
            "title": self.catalog.get(title_key if title_key in self.catalog.messages else "error.title", lang),
            "message": message if isinstance(message, str) else pick(message, lang),
        })
        body = self.templates.render("errors/error.html", context, current.tenant.key if current else None)
        return self.html_response(request, body, status)


async def render(request: Request, name: str, context: Mapping[str, Any] | None = None, *,
                 status_code: int = 200) -> Response:
    """Answer with the page ``name`` (looked up tenant override → plugin → core) in the request's language."""
    ui: WebUI = request.app.state.web
    return await ui.render(request, name, context, status_code=status_code)


# -- start-up ---------------------------------------------------------------------------------------
def _folder(plugin: str, hook: str, value: object) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str | Path):
        raise PluginError(f"plugin {plugin!r}: {hook} must return a folder path, not {value!r}")
    folder = Path(value)
    if not (folder / plugin).is_dir():
        raise PluginError(f"plugin {plugin!r}: {hook} names {folder}, which has no {plugin}/ folder inside")
    return folder


def _messages(plugin: str, value: object) -> dict[str, Message]:
    if value is None:
        return {}
    try:
        if isinstance(value, str | Path):
            return load_messages(value)
        if isinstance(value, Mapping):
            return dict(value)
    except (OSError, ValueError) as exc:
        raise PluginError(f"plugin {plugin!r}: wardhub_messages: {exc}") from exc
    raise PluginError(f"plugin {plugin!r}: wardhub_messages must return a mapping or a JSON file path")


def build_web_ui(settings: Settings, manager: PluginManager) -> WebUI:
    """Collect the plugins' templates, static files and messages; raise ``PluginError`` naming a bad one."""
    template_dirs = {
        name: folder for name, value in manager.collect("wardhub_templates").items()
        if (folder := _folder(name, "wardhub_templates", value)) is not None
    }
    static_dirs = {
        name: folder for name, value in manager.collect("wardhub_static").items()
        if (folder := _folder(name, "wardhub_static", value)) is not None
    }
    reserved = {p.name for p in CORE_STATIC.iterdir()}
    for name in static_dirs:
        if name in reserved:
            raise PluginError(f"plugin {name!r}: /static/{name}/ is core's; the plugin's static files cannot go there")
    plugin_messages = {name: _messages(name, value) for name, value in manager.collect("wardhub_messages").items()}
    try:
        catalog = Catalog(load_core_messages(), plugin_messages)
    except CatalogError as exc:
        raise PluginError(f"interface messages: {exc}") from exc
    static = StaticFiles(CORE_STATIC, static_dirs)
    templates = Templates(
        CORE_TEMPLATES, template_dirs, settings.template_overrides, auto_reload=settings.environment == "development",
    )
    return WebUI(settings, manager, templates, catalog, static)
