"""Routes under ``/t/{tenant}/feedback``: REST JSON over :mod:`services`, and the pages.

Public (anonymous visitors too; marked ``opt={"public": True}``): ``GET /categories``, ``POST /reports`` (JSON,
or multipart with up to three ``photo`` files), ``GET /tracking/{code}``, and the pages ``GET|POST /new`` and
``GET /track/{code}``. Everything else needs a permission of the ward (see ``plugin.PERMISSIONS``).
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from litestar import MediaType, Request, Response, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect
from litestar.utils.scope.state import ScopeState

from core.toolkit import Access, DbSession, UserError, audit, bad_input, render, requires
from wardhub_feedback import services, storage
from wardhub_feedback.models import Photo, Report, Update
from wardhub_feedback.services import CATEGORIES, STATUSES, Actor

PUBLIC = {"public": True}
PUBLIC_JSON = {"public": True, "csrf_exempt": True}  # JSON only: a browser cannot forge it cross-site
READ, FILE = requires("feedback.report:read"), requires("feedback.report:file")
ASSIGN, HANDLE = requires("feedback.report:assign"), requires("feedback.report:handle")
STATS, SETTINGS = requires("feedback.stats:read"), requires("feedback.settings:write")


def actor_of(access: Any) -> Actor:
    principal = access.principal
    if principal is None:
        return services.ANONYMOUS
    return Actor(principal.user_id, principal.label, frozenset(access.grant.permissions))


def tenant_id_of(access: Any) -> Any:
    return access.tenant.tenant.id


def _iso(value: Any) -> str | None:
    value = services.aware(value)
    return value.isoformat(timespec="seconds") if value is not None else None


def public_update(update: Update) -> dict[str, Any]:
    return {"kind": update.kind, "from_status": update.from_status, "to_status": update.to_status,
            "message": update.message, "at": _iso(update.created_at)}


def report_json(report: Report) -> dict[str, Any]:
    return {"id": str(report.id), "code": report.code, "category": report.category, "status": report.status,
            "description": report.description, "lat": report.lat, "lng": report.lng, "address": report.address,
            "anonymous": report.reporter_user_id is None, "created_at": _iso(report.created_at),
            "resolved_at": _iso(report.resolved_at), "closed_at": _iso(report.closed_at),
            "assignee": report.assignee_name}


def tracking_json(report: Report, updates: list[Update]) -> dict[str, Any]:
    """What the reporter sees with the tracking code: no officer, no reporter details, no internal notes."""
    return {"code": report.code, "category": report.category, "status": report.status,
            "description": report.description, "created_at": _iso(report.created_at),
            "resolved_at": _iso(report.resolved_at),
            "updates": [public_update(u) for u in updates if u.kind in ("filed", "status", "reply")]}


def photo_json(photo: Photo) -> dict[str, Any]:
    return {"id": str(photo.id), "content_type": photo.content_type, "size": photo.size, "sha256": photo.sha256}


async def _form(request: Request) -> tuple[dict[str, Any], list[tuple[bytes, str | None]]]:
    """The fields and ``photo`` files of a multipart or urlencoded form."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    uploads = []
    for value in form.getall("photo", []):
        if value is None or isinstance(value, str) or not hasattr(value, "read"):
            continue
        content = await value.read()
        if not content and not value.filename:
            continue  # an empty file input
        uploads.append((content, value.filename))
    return fields, uploads


async def _body(request: Request) -> tuple[Any, list[tuple[bytes, str | None]]]:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        return await _form(request)
    try:
        return await request.json(), []
    except Exception:  # not JSON at all
        raise bad_input("body", "Dữ liệu phải là JSON hoặc biểu mẫu", "The body must be JSON or a form") from None


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


# -- JSON -----------------------------------------------------------------------------------------------
@get("/categories", opt=PUBLIC)
async def categories() -> list[dict[str, str]]:
    return [{"code": c, "title_vi": vi, "title_en": en} for c, (vi, en) in CATEGORIES.items()]


@post("/reports", status_code=201, opt=PUBLIC_JSON, request_max_body_size=20 * 1024 * 1024)
async def file_report(request: Request, db_session: DbSession, access: Access) -> dict[str, Any]:
    """File a report (anyone). Signed-in residents file as themselves; others anonymously, rate limited."""
    data, uploads = await _body(request)
    report = await services.file_report(db_session, tenant_id_of(access), data, actor_of(access),
                                        client=_client(request), photos=uploads)
    return {**report_json(report), "photos": [photo_json(p) for p in await services.photos(db_session, report)]}


@get("/tracking/{code:str}", opt=PUBLIC)
async def tracking(db_session: DbSession, code: FromPath[str]) -> dict[str, Any]:
    report = await services.by_code(db_session, code)
    return tracking_json(report, await services.updates(db_session, report))


@get("/reports", guards=[READ])
async def list_reports(db_session: DbSession, status: FromQuery[str | None] = None,
                       category: FromQuery[str | None] = None) -> list[dict[str, Any]]:
    return [report_json(r) for r in await services.reports(db_session, status=status, category=category)]


@get("/mine", guards=[FILE])
async def my_reports(db_session: DbSession, access: Access) -> list[dict[str, Any]]:
    """The caller's own reports (filed while signed in), with their public history."""
    mine = await services.reports(db_session, reporter=access.principal.user_id)
    return [tracking_json(r, await services.updates(db_session, r)) for r in mine]


@get("/reports/{report_id:str}", guards=[READ])
async def show_report(db_session: DbSession, access: Access, report_id: FromPath[str]) -> dict[str, Any]:
    """A report with its history and photos; the reporter's details only for ``feedback.report.reporter:read``,
    and that read is audited."""
    report = await services.get_report(db_session, report_id)
    updates = await services.updates(db_session, report)
    body = {**report_json(report),
            "updates": [{**public_update(u), "author": u.author_label} for u in updates],
            "photos": [photo_json(p) for p in await services.photos(db_session, report)]}
    if access.allows("feedback.report.reporter:read"):
        body["reporter"] = {"user_id": str(report.reporter_user_id) if report.reporter_user_id else None,
                            "name": report.reporter_name, "contact": report.reporter_contact}
        await audit(db_session, tenant_id=report.tenant_id, action="read", entity="feedback_reports.reporter",
                    entity_id=str(report.id))
    return body


@post("/reports/{report_id:str}/assign", status_code=200, guards=[ASSIGN])
async def assign(request: Request, db_session: DbSession, access: Access, report_id: FromPath[str],
                 data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
    report = await services.get_report(db_session, report_id)
    return report_json(await services.assign_to(request, db_session, report, data, actor_of(access)))


@post("/reports/{report_id:str}/status", status_code=200, guards=[HANDLE])
async def change_status(db_session: DbSession, access: Access, report_id: FromPath[str],
                        data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
    report = await services.get_report(db_session, report_id)
    return report_json(await services.change_status(db_session, report, data, actor_of(access)))


@post("/reports/{report_id:str}/replies", status_code=201, guards=[HANDLE])
async def add_reply(db_session: DbSession, access: Access, report_id: FromPath[str],
                    data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
    report = await services.get_report(db_session, report_id)
    return public_update(await services.reply(db_session, report, data, actor_of(access)))


@get("/photos/{photo_id:str}", guards=[READ])
async def download_photo(db_session: DbSession, photo_id: FromPath[str]) -> Response:
    photo = await services.get_photo(db_session, photo_id)
    content = storage.photos.read(photo.tenant_id, photo.id, photo.content_type)
    if content is None:
        raise UserError("NOT_FOUND", ("Tệp ảnh không còn", "The photo file is missing"))
    return Response(content, media_type=photo.content_type,
                    headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"})


def stats_json(figures: dict[str, Any]) -> dict[str, Any]:
    return {**figures, "overdue": [report_json(r) for r in figures["overdue"]]}


@get("/stats", guards=[STATS])
async def stats(db_session: DbSession) -> dict[str, Any]:
    return stats_json(await services.stats(db_session))


@get("/settings", guards=[STATS])
async def show_settings(db_session: DbSession) -> dict[str, int]:
    return await services.settings(db_session)


@put("/settings", guards=[SETTINGS])
async def save_settings(db_session: DbSession, data: JSONBody[dict[str, Any]]) -> dict[str, int]:
    return await services.update_settings(db_session, data)


# -- pages ----------------------------------------------------------------------------------------------
@get("/", guards=[READ])
async def page(request: Request, db_session: DbSession, status: FromQuery[str | None] = None) -> Response:
    figures = await services.stats(db_session)
    overdue = {r.id for r in figures["overdue"]}
    return await render(request, "feedback/index.html", {
        "reports": await services.reports(db_session, status=status or None), "stats": figures,
        "overdue": overdue, "categories": CATEGORIES, "statuses": STATUSES, "status": status or "",
    })


def _csrf(request: Request) -> str:
    token = ScopeState.from_scope(request.scope).csrf_token
    return token if isinstance(token, str) else ""


async def _form_page(request: Request, values: dict[str, Any], errors: dict[str, tuple[str, str]],
                     status_code: int = 200) -> Response:
    tiles = os.environ.get("WARDHUB_MAP_TILES", "")  # e.g. https://tiles.example.vn/{z}/{x}/{y}.png; none: a grid
    response = await render(request, "feedback/new.html", {
        "categories": CATEGORIES, "values": values, "errors": errors, "csrf": _csrf(request), "tiles": tiles,
    }, status_code=status_code)
    if tiles and urlsplit(tiles).netloc:  # let the page load the configured tiles, and nothing else
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(tiles.replace("{s}", "a")))
        csp = response.headers.get("Content-Security-Policy", "")
        response.headers["Content-Security-Policy"] = csp.replace("img-src 'self' data:",
                                                                  f"img-src 'self' data: {origin}")
    return response


@get("/new", opt=PUBLIC, media_type=MediaType.HTML)
async def new_page(request: Request) -> Response:
    return await _form_page(request, {}, {})


@post("/new", opt=PUBLIC, status_code=303, request_max_body_size=20 * 1024 * 1024)
async def new_submit(request: Request, db_session: DbSession, access: Access) -> Response:
    fields, uploads = await _form(request)
    try:
        report = await services.file_report(db_session, tenant_id_of(access), fields, actor_of(access),
                                            client=_client(request), photos=uploads)
    except UserError as exc:
        if exc.code != "BAD_USER_INPUT":
            raise
        return await _form_page(request, fields, exc.fields, status_code=400)  # (vi, en) pairs: the page picks
    return Redirect(path=f"/t/{access.tenant.tenant.key}/feedback/track/{report.code}?new=1", status_code=303)


@get("/track/{code:str}", opt=PUBLIC)
async def track_page(request: Request, db_session: DbSession, code: FromPath[str]) -> Response:
    report = await services.by_code(db_session, code)
    updates = [u for u in await services.updates(db_session, report) if u.kind in ("filed", "status", "reply")]
    return await render(request, "feedback/track.html", {
        "report": report, "updates": updates, "categories": CATEGORIES, "statuses": STATUSES,
        "new": request.query_params.get("new") == "1",
    })


ROUTES = [categories, file_report, tracking, list_reports, my_reports, show_report, assign, change_status, add_reply,
          download_photo, stats, show_settings, save_settings, page, new_page, new_submit, track_page]
