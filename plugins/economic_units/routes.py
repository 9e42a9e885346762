"""Routes under ``/t/{tenant}/economic_units``: REST JSON (thin over :mod:`services`), the map page, the
GeoJSON and spreadsheet exports, and the import.

Reads, the map and the figures cover the request's unit and, for a district, every ward below it that has
the plugin on (``units_scope``: a district role already reaches its wards). Writes stay in one ward.
Client mistakes answer ``400 BAD_USER_INPUT`` with ``fields``; ``404``; ``409 CONFLICT``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

from litestar import Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.toolkit import (
    Access,
    DbSession,
    UserError,
    audit,
    bad_input,
    bar_chart,
    language,
    plugin_enabled,
    render,
    requires,
    tenant_by_id,
    units_scope,
    uploaded_file,
)
from plugins.economic_units import imports, services
from plugins.economic_units import reference as ref
from plugins.economic_units.models import EconomicUnit

PLUGIN = "economic_units"
Body = JSONBody[dict[str, Any]]
CurrentTenant = NamedDependency[Any]
READ, WRITE = requires("economic_units.unit:read"), requires("economic_units.unit:write")
IMPORT = requires("economic_units.import:write")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def map_tiles() -> tuple[str | None, str]:
    """The tile URL template (``WARDHUB_MAP_TILES``, e.g. ``https://tiles.example.vn/{z}/{x}/{y}.png``) and its
    attribution (``WARDHUB_MAP_ATTRIBUTION``); no tiles by default (points over a blank map)."""
    url = os.environ.get("WARDHUB_MAP_TILES", "").strip() or None
    if url and not (url.startswith("/") or urlsplit(url).scheme in ("http", "https")):
        url = None
    return url, os.environ.get("WARDHUB_MAP_ATTRIBUTION", "").strip()


def unit_json(unit: EconomicUnit, lang: str = "vi") -> dict[str, Any]:
    return {
        "id": str(unit.id), "ward_id": str(unit.tenant_id), "kind": unit.kind, "tax_code": unit.tax_code,
        "name": unit.name, "owner_name": unit.owner_name,
        "owner_person_id": str(unit.owner_person_id) if unit.owner_person_id else None,
        "address": unit.address, "latitude": unit.latitude, "longitude": unit.longitude,
        "section": unit.section, "section_title": ref.label(ref.SECTIONS, unit.section, lang),
        "vsic_code": unit.vsic_code, "labour": unit.labour, "revenue": unit.revenue, "capital": unit.capital,
        "size_class": unit.size_class, "status": unit.status,
        "status_date": unit.status_date.isoformat() if unit.status_date else None, "note": unit.note,
    }


def _lang(request: Request) -> str:
    return "en" if request.query_params.get("lang") == "en" else language(request.headers.get("accept-language"))


# -- the unit and the wards below it -------------------------------------------------------------------

@asynccontextmanager
async def area_session(request: Request, current_tenant: Any) -> AsyncIterator[tuple[AsyncSession, dict]]:
    """A read session over the unit and its wards that have the plugin on, and their names by id."""
    scope = await units_scope(request)
    manager = request.app.state.plugins
    async with request.app.state.db.session(scope) as session:
        names: dict[uuid.UUID, str] = {}
        for tenant_id in scope.tenant_ids:
            ref_ = await tenant_by_id(session, tenant_id)
            if ref_ is not None and (tenant_id == current_tenant.tenant.id
                                     or await plugin_enabled(session, ref_, PLUGIN, manager)):
                names[tenant_id] = ref_.name
        yield session, names


def _filters(names: dict, ward: str | None, section: str | None, size: str | None, status: str | None,
             kind: str | None = None) -> services.Filters:
    filters = services.Filters.parse(ward, section, size, status, kind)
    if filters.wards and filters.wards[0] not in names:
        raise bad_input("ward", "Phường không thuộc đơn vị này", "That ward is not in this unit")
    wards = filters.wards or tuple(names)
    return services.Filters(wards, filters.section, filters.size, filters.status, filters.kind)


# -- reference and units -------------------------------------------------------------------------------

@get("/reference", guards=[READ], sync_to_thread=False)
def reference_lists() -> dict[str, Any]:
    return ref.as_json()


@get("/units", guards=[READ])
async def list_units(request: Request, current_tenant: CurrentTenant, ward: FromQuery[str | None] = None,
                     section: FromQuery[str | None] = None, size: FromQuery[str | None] = None,
                     status: FromQuery[str | None] = None, kind: FromQuery[str | None] = None,
                     limit: FromQuery[int | None] = None, offset: FromQuery[int] = 0) -> dict[str, Any]:
    lang = _lang(request)
    async with area_session(request, current_tenant) as (session, names):
        filters = _filters(names, ward, section, size, status, kind)
        from sqlalchemy import func

        total = await session.scalar(filters.apply(select(func.count()).select_from(EconomicUnit)))
        page = min(max(limit or 50, 1), 500)
        rows = await session.execute(services.units_query(filters).limit(page).offset(max(offset, 0)))
        return {"total": total, "items": [unit_json(u, lang) for u in rows.scalars()]}


@post("/units", status_code=201, guards=[WRITE])
async def create_unit(request: Request, db_session: DbSession, current_tenant: CurrentTenant,
                      data: Body) -> dict[str, Any]:
    unit = await services.create_unit(db_session, data, persons="residents" in current_tenant.plugins)
    return unit_json(unit, _lang(request))


@get("/units/{unit_id:str}", guards=[READ])
async def show_unit(request: Request, db_session: DbSession, unit_id: FromPath[str]) -> dict[str, Any]:
    unit = await services.get_unit(db_session, unit_id)
    history = await services.history(db_session, unit.id)
    return {**unit_json(unit, _lang(request)), "history": [
        {"from": h.from_status, "to": h.to_status, "date": h.changed_on.isoformat(), "note": h.note} for h in history]}


@patch("/units/{unit_id:str}", guards=[WRITE])
async def update_unit(request: Request, db_session: DbSession, current_tenant: CurrentTenant, unit_id: FromPath[str],
                      data: Body) -> dict[str, Any]:
    unit = await services.update_unit(db_session, unit_id, data, persons="residents" in current_tenant.plugins)
    return unit_json(unit, _lang(request))


@post("/units/{unit_id:str}/status", status_code=200, guards=[WRITE])
async def change_status(request: Request, db_session: DbSession, unit_id: FromPath[str],
                        data: Body) -> dict[str, Any]:
    return unit_json(await services.change_status(db_session, unit_id, data), _lang(request))


# -- map, figures, GeoJSON ----------------------------------------------------------------------------

@get("/geojson", guards=[READ])
async def geojson(request: Request, current_tenant: CurrentTenant, ward: FromQuery[str | None] = None,
                  section: FromQuery[str | None] = None, size: FromQuery[str | None] = None,
                  status: FromQuery[str | None] = None) -> Response:
    async with area_session(request, current_tenant) as (session, names):
        body = await services.geojson(session, _filters(names, ward, section, size, status), _lang(request), names)
    return Response(body, media_type="application/geo+json")


def _figures_json(figures: dict, names: dict, lang: str) -> dict[str, Any]:
    def label(key: str, value: Any) -> str:
        if key == "by_ward":
            return names.get(value, str(value))
        if key == "by_section":
            return f"{value} · {ref.label(ref.SECTIONS, value, lang)}"
        return ref.label(ref.SIZES if key == "by_size" else ref.STATUSES, value, lang)

    return {key: [{"key": str(k), "label": label(key, k), "units": n, "labour": lab} for k, n, lab in rows]
            for key, rows in figures.items()}


@get("/figures", guards=[READ])
async def figures(request: Request, current_tenant: CurrentTenant, ward: FromQuery[str | None] = None,
                  section: FromQuery[str | None] = None, size: FromQuery[str | None] = None,
                  status: FromQuery[str | None] = None) -> dict[str, Any]:
    async with area_session(request, current_tenant) as (session, names):
        data = await services.figures(session, _filters(names, ward, section, size, status))
    return _figures_json(data, names, _lang(request))


@get("/", guards=[READ])
async def index(request: Request) -> Redirect:
    return Redirect(path=f"{request.url.path.rstrip('/')}/map")


@get("/map", guards=[READ])
async def map_page(request: Request, current_tenant: CurrentTenant, access: Access,
                   ward: FromQuery[str | None] = None, section: FromQuery[str | None] = None,
                   size: FromQuery[str | None] = None, status: FromQuery[str | None] = None) -> Response:
    """The dashboard: filters, a map of the units (GeoJSON over tiles or a blank map), charts and a list."""
    lang = _lang(request)
    try:
        async with area_session(request, current_tenant) as (session, names):
            filters = _filters(names, ward, section, size, status)
            data = _figures_json(await services.figures(session, filters), names, lang)
            units = list((await session.execute(services.units_query(filters).limit(500))).scalars())
        problem = None
    except UserError as exc:
        problem, units, data = exc, [], {"by_section": [], "by_ward": [], "by_size": [], "by_status": []}
    tiles, attribution = map_tiles()
    query = {k: v for k, v in {"ward": ward, "section": section, "size": size, "status": status}.items() if v}

    def chart(key: str, measure: str, title: tuple[str, str]) -> Any:
        points = [(row["label"], row[measure]) for row in data[key]]
        text = title[1] if lang == "en" else title[0]
        return (text, bar_chart(points, title=text, id_prefix=f"eu-{key}-{measure}")) if points else None

    charts = [
        chart("by_section", "units", ("Số đơn vị theo ngành", "Units by sector")),
        chart("by_section", "labour", ("Lao động theo ngành", "Labour by sector")),
        chart("by_ward", "units", ("Số đơn vị theo phường", "Units by ward")),
        chart("by_ward", "labour", ("Lao động theo phường", "Labour by ward")),
    ]
    from urllib.parse import urlencode

    base = request.url.path.rsplit("/", 1)[0]
    response = await render(request, "economic_units/map.html", {
        "units": units, "names": names if problem is None else {}, "problem": problem,
        "charts": [c for c in charts if c is not None], "filters": query, "ref": ref,
        "geojson_url": f"{base}/geojson?{urlencode(query)}", "export_url": f"{base}/export?{urlencode(query)}",
        "tiles": tiles, "attribution": attribution, "can_import": access.allows("economic_units.import:write"),
        "total_labour": sum(u.labour for u in units),
    }, status_code=400 if problem else 200)
    if tiles and urlsplit(tiles).netloc:  # let the page load the configured tiles, and nothing else
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(tiles.replace("{s}", "a")))
        csp = response.headers.get("Content-Security-Policy", "")
        response.headers["Content-Security-Policy"] = csp.replace("img-src 'self' data:",
                                                                  f"img-src 'self' data: {origin}")
    return response


# -- import and export ----------------------------------------------------------------------------------

def _download(content: bytes, name: str) -> Response:
    return Response(content, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})


@get("/import-template", guards=[IMPORT])
async def import_template(request: Request) -> Response:
    return _download(imports.template(_lang(request)), "mau-nhap-don-vi-kinh-te")


@post("/imports", status_code=201, guards=[IMPORT])
async def import_upload(request: Request, db_session: DbSession, dry_run: FromQuery[bool] = False) -> Response:
    """A file as multipart field ``file`` or as the raw body (``filename`` query parameter); all rows or none."""
    content, filename = await uploaded_file(request)
    if not content:
        raise bad_input("file", "Tệp trống", "The file is empty")
    report = await imports.import_file(db_session, content, filename, dry_run=dry_run)
    report.raise_if_bad()
    return Response(report.as_dict(), status_code=200 if dry_run else 201)


@get("/export", guards=[READ])
async def export(request: Request, db_session: DbSession, current_tenant: CurrentTenant,
                 ward: FromQuery[str | None] = None, section: FromQuery[str | None] = None,
                 size: FromQuery[str | None] = None, status: FromQuery[str | None] = None) -> Response:
    async with area_session(request, current_tenant) as (session, names):
        content = await imports.export(session, _filters(names, ward, section, size, status), _lang(request))
    await audit(db_session, tenant_id=current_tenant.tenant.id, action="export", entity=EconomicUnit.__tablename__,
                entity_id="*", after={"filters": {"ward": ward, "section": section, "size": size, "status": status}})
    return _download(content, "don-vi-kinh-te")


ROUTES = [reference_lists, list_units, create_unit, show_unit, update_unit, change_status, geojson, figures, index,
          map_page, import_template, import_upload, export]
