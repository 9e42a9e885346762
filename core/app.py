"""``create_app(settings)``: the Litestar application, its plugins and its database."""

from __future__ import annotations

import gc
from pathlib import Path

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController

import core
from core.access.audit import ROUTES as AUDIT_ROUTES
from core.access.enforcer import AccessControl
from core.access.filters import RowFilters
from core.access.guards import provide_access
from core.access.permissions import PermissionCatalog, build_catalog
from core.auth import redis as shared_redis
from core.auth.sessions import DatabaseSessionStore, RedisSessionStore, Sessions
from core.auth.throttle import RateLimited, Throttle
from core.db.engine import Database
from core.graphql.routes import graphiql, graphql_endpoint
from core.graphql.schema import SchemaRegistry
from core.logging import configure_logging
from core.plugins.manager import PluginManager
from core.settings import Settings, load_settings
from core.web.admin import ROUTES as ADMIN_ROUTES
from core.web.admin import install as install_console
from core.web.admin import prefetch as console_prefetch
from core.web.auth import ROUTES as AUTH_ROUTES
from core.web.auth import Auth, csrf_middleware, provide_principal, rate_limited_handler
from core.web.errors import EXCEPTION_HANDLERS
from core.web.health import health, ready
from core.web.middleware import RequestContextMiddleware
from core.web.pages import ROUTES as PAGE_ROUTES
from core.web.ratelimit import RequestRateLimit
from core.web.tenancy import plugin_guard, provide_session, provide_tenant
from core.web.ui import build_web_ui
from core.web.unit_cache import UnitCache
from core.workflow.routes import ROUTES as WORKFLOW_ROUTES
from core.workflow.schema import MUTATIONS as WORKFLOW_MUTATIONS
from core.workflow.types import ChangeTypes

MAX_BODY = 10 * 1024 * 1024


def load_plugins(settings: Settings) -> PluginManager:
    """Discover and register the allowed plugins; raise ``PluginError`` for a broken set."""
    manager = PluginManager(settings.plugins)
    manager.load()
    return manager


def migration_dirs(manager: PluginManager) -> list[Path]:
    return [p.manifest.migrations for p in manager.plugins.values() if p.manifest.migrations]


def _check_guarded_permissions(plugin: str, handlers: list, catalog: PermissionCatalog) -> None:
    """A ``requires("…")`` naming an undeclared permission would deny everyone: refuse it at start-up."""
    from core.plugins.manager import PluginError

    for handler in handlers:
        for guard in getattr(handler, "guards", None) or ():
            for permission in getattr(guard, "permissions", ()):
                if permission not in catalog:
                    raise PluginError(f"plugin {plugin!r}: a route requires {permission!r}, which nobody declares")


def plugin_routers(manager: PluginManager, catalog: PermissionCatalog | None = None) -> list[Router]:
    routers = []
    for name, handlers in manager.collect("wardhub_routes").items():
        if handlers and catalog is not None:
            _check_guarded_permissions(name, handlers, catalog)
        if handlers:
            routers.append(
                Router(path=f"/t/{{tenant:str}}/{name}", route_handlers=handlers, guards=[plugin_guard(name)])
            )
    return routers


class MetricsController(PrometheusController):
    path = "/metrics"
    opt = {"public": True}  # noqa: RUF012


def create_app(settings: Settings | None = None, manager: PluginManager | None = None) -> Litestar:
    settings = settings or load_settings()
    configure_logging(settings)
    manager = manager or load_plugins(settings)
    db = Database(settings)
    web = build_web_ui(settings, manager)  # templates, static files, messages: before the routes
    install_console(web)  # the signed-in person, the tenant switcher, navigation by permission
    catalog = build_catalog(manager.collect("wardhub_permissions"))
    row_filters = RowFilters(manager.collect("wardhub_row_filters"))
    redis = shared_redis.connect(settings)
    prefix = shared_redis.namespace(settings)
    access = AccessControl(db, catalog, redis=redis, prefix=prefix)
    secure = settings.environment == "production"
    session_store = DatabaseSessionStore(db)  # with Redis: where sessions go while Redis is away
    if redis is not None:
        session_store = RedisSessionStore(redis, prefix, fallback=session_store)
    auth = Auth(settings, db, Sessions(session_store, secure=secure), Throttle(db, redis, prefix))

    async def start_access() -> None:
        await access.start()
        await auth.housekeeping()

    async def stop_access() -> None:
        await access.stop()
        if redis is not None:
            await redis.aclose()

    async def freeze_heap() -> None:
        """Put what start-up left alive (modules, schemas, policies: a large heap) out of the cyclic
        collector's reach. Otherwise every full collection walks all of it — measured at ~0.3-0.9 s each,
        every ~20 GraphQL requests on a 2-core machine — while requests wait. Not in tests, which make
        many apps in one process."""
        if settings.environment != "test":
            gc.collect()
            gc.freeze()

    metrics = PrometheusConfig(app_name="wardhub", prefix="wardhub", group_path=True, exclude_unhandled_paths=True)
    return Litestar(
        route_handlers=[
            health, ready, graphql_endpoint, graphiql, MetricsController, *AUTH_ROUTES, *AUDIT_ROUTES, *PAGE_ROUTES,
            *WORKFLOW_ROUTES, *ADMIN_ROUTES, *web.static.routers(),
            *plugin_routers(manager, catalog),
        ],
        middleware=[RequestContextMiddleware(), metrics.middleware, csrf_middleware(settings)],
        before_request=console_prefetch,
        exception_handlers={**EXCEPTION_HANDLERS, RateLimited: rate_limited_handler},  # type: ignore[arg-type]
        dependencies={
            "db_session": Provide(provide_session), "current_tenant": Provide(provide_tenant),
            "access": Provide(provide_access), "principal": Provide(provide_principal),
        },
        state=State({
            "settings": settings, "db": db, "plugins": manager, "migration_dirs": migration_dirs(manager),
            "graphql": SchemaRegistry(manager, WORKFLOW_MUTATIONS), "web": web, "access": access,
            "units": UnitCache(access), "row_filters": row_filters,
            "permissions": catalog, "auth": auth,
            "change_types": ChangeTypes(manager.collect("wardhub_change_types")),
            "graphql_rate": RequestRateLimit("graphql", settings.graphql_rate_per_minute, redis, prefix),
            "redis": redis,
        }),
        on_startup=[db.check_role, start_access, freeze_heap],
        on_shutdown=[stop_access, db.dispose],
        openapi_config=OpenAPIConfig(title="WardHub", version=core.__version__, path="/schema"),
        request_max_body_size=MAX_BODY,
        debug=False,
        logging_config=None,
    )
