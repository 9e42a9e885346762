"""Core's pages: the home page and a tenant's dashboard, whose figures the enabled plugins contribute."""

from __future__ import annotations

from dataclasses import dataclass, field

import structlog
from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.response import Redirect
from markupsafe import Markup

from core.db.engine import Database
from core.errors import pick
from core.plugins.manager import PluginManager
from core.web.charts import bar_chart, donut_chart
from core.web.contributions import Figure
from core.web.i18n import format_number, request_language
from core.web.tenancy import RequestTenant, tenant_key
from core.web.ui import WebUI, plugin_url, tenant_path

log = structlog.get_logger("wardhub.web")


@dataclass
class FigureView:
    title: str
    value: str
    raw: str
    unit: str | None = None
    url: str | None = None
    chart: Markup | None = None


@dataclass
class Section:
    plugin: str
    title: str
    figures: list[FigureView] = field(default_factory=list)
    error: bool = False


def _may_see(current: RequestTenant, permission: str | None) -> bool:
    """Whether the caller may see something guarded by ``permission``, once access control tells it."""
    allows = getattr(current, "allows", None)
    return permission is None or allows is None or allows(permission)


def figure_view(figure: Figure, plugin: str, tenant_key_: str, lang: str, ident: str) -> FigureView:
    figure.check()
    title = pick(figure.title, lang)
    chart = None
    if figure.series:
        points = [(pick(label, lang) if isinstance(label, tuple) else str(label), value)
                  for label, value in figure.series]
        draw = donut_chart if figure.chart == "donut" else bar_chart
        chart = draw(points, title=title, id_prefix=ident, fmt=lambda v: format_number(_tidy(v), lang))
    return FigureView(
        title=title,
        value=format_number(figure.value, lang),
        raw=str(figure.value),
        unit=pick(figure.unit, lang) if figure.unit else None,
        url=plugin_url(tenant_key_, plugin, figure.url) if figure.url is not None else None,
        chart=chart,
    )


def _tidy(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


async def dashboard_sections(ui: WebUI, db: Database, current: RequestTenant, lang: str) -> list[Section]:
    """Each enabled plugin's figures, plugin by plugin in dependency order.

    Every plugin runs in its own savepoint of one read-only session: a plugin whose query fails (which
    on PostgreSQL aborts the transaction) is rolled back to its savepoint and shown as an error notice,
    and the plugins after it still run. Nothing is committed.
    """
    manager: PluginManager = ui.manager
    implementers = {impl.plugin_name for impl in manager.pm.hook.wardhub_dashboard.get_hookimpls()}
    sections: list[Section] = []
    session = db.open(current.scope)
    try:
        for name in manager.ordered():
            if name not in current.plugins or name not in implementers:
                continue
            section = Section(name, manager.manifest(name).title(lang))
            sections.append(section)
            try:
                async with session.begin_nested():
                    value = await manager.call_one(
                        name, "wardhub_dashboard", tenant=current.tenant, session=session, lang=lang
                    )
                figures = [] if value is None else list(value) if isinstance(value, list | tuple) else [value]
                for index, figure in enumerate(figures):
                    if not isinstance(figure, Figure):
                        raise TypeError(f"wardhub_dashboard returned {type(figure).__name__}, not a Figure")
                    if _may_see(current, figure.permission):
                        section.figures.append(
                            figure_view(figure, name, current.tenant.key, lang, f"chart-{name}-{index}")
                        )
            except Exception:
                log.exception("dashboard_figures_failed", plugin=name)
                section.figures, section.error = [], True
    finally:
        await session.rollback()
        await session.close()
    return sections


@get("/", name="home", opt={"public": True})
async def home(request: Request) -> Response:
    """The home page; a request naming a tenant (``?tenant=`` or ``X-Tenant``) goes to its dashboard."""
    ui: WebUI = request.app.state.web
    key = (request.query_params.get("tenant") or "").strip() or tenant_key(request)
    if key:
        return Redirect(path=f"{tenant_path(key)}/", status_code=303)
    return await ui.render(request, "index.html")


@get("/t/{tenant:str}", name="dashboard")
async def dashboard(request: Request, current_tenant: NamedDependency[RequestTenant | None]) -> Response:
    """A tenant's dashboard: figures and charts from the plugins it has enabled."""
    ui: WebUI = request.app.state.web
    if current_tenant is None:  # the path always names one; kept for type checkers
        raise NotFoundException()
    sections = await dashboard_sections(ui, request.app.state.db, current_tenant, request_language(request))
    return await ui.render(request, "dashboard.html", {"sections": sections})


ROUTES = [home, dashboard]
