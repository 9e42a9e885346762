"""REST JSON endpoints and web pages under ``/t/{tenant}/residence``: thin over :mod:`plugins.residence.services`.

JSON bodies are objects whose fields the services check; client mistakes come back as ``400
BAD_USER_INPUT`` with ``fields`` (field → message in the request's language), ``403 FORBIDDEN``,
``404 NOT_FOUND`` or ``409 CONFLICT``, and nothing is written.

Access: every handler is guarded by the permission it needs (declared in ``plugin.py``); lists of
establishments and stays are narrowed by the caller's row filters (a lodging operator sees their own
establishment's declarations only). Guests' document numbers are shown to holders of
``residence.stay.guest:read`` and each such read is recorded in the audit log; others see them masked.

Web pages are in :mod:`plugins.residence.pages`, except ``/police`` (current guests, arrivals of the day,
overdue departures), which answers a page to browsers and JSON to API clients.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import func, select

from core.toolkit import Access, DbSession, UserError, audit, render, requires
from plugins.residence import services
from plugins.residence.models import Establishment, Registration, Stay
from plugins.residence.pages import PAGE_MESSAGES, PAGES
from plugins.residence.plugin import GUEST_IDENTITY

Body = JSONBody[Any]
CurrentTenant = NamedDependency[Any]  # core's RequestTenant: .tenant (TenantRef)
REG_READ, REG_WRITE = requires("residence.registration:read"), requires("residence.registration:write")
EST_READ, EST_WRITE = requires("residence.establishment:read"), requires("residence.establishment:write")
STAY_READ, STAY_DECLARE = requires("residence.stay:read"), requires("residence.stay:declare")
POLICE, STATISTICS = requires("residence.police:read"), requires("residence.statistics:read")

MESSAGES: dict[str, tuple[str, str]] = {
    "residence.title": ("Cư trú", "Residence"),
    "residence.expiring.heading": ("Tạm trú sắp hết hạn (30 ngày tới)", "Temporary residences ending within 30 days"),
    "residence.expired.heading": ("Tạm trú đã hết hạn", "Expired temporary residences"),
    "residence.none": ("Không có.", "None."),
    "residence.address": ("Địa chỉ", "Address"),
    "residence.end_date": ("Ngày hết hạn", "End date"),
    "residence.lodging.heading": ("Khai báo lưu trú", "Declare a guest's stay"),
    "residence.lodging.establishment": ("Cơ sở lưu trú", "Establishment"),
    "residence.lodging.no_establishment": ("Tài khoản chưa gắn với cơ sở lưu trú nào.",
                                           "This account operates no lodging establishment."),
    "residence.guest.name": ("Họ tên khách", "Guest's full name"),
    "residence.guest.document": ("Số CCCD/hộ chiếu", "ID card or passport number"),
    "residence.guest.nationality": ("Quốc tịch (VN, US…)", "Nationality (VN, US…)"),
    "residence.guest.birth_year": ("Năm sinh", "Year of birth"),
    "residence.room": ("Phòng", "Room"),
    "residence.arrival": ("Giờ đến", "Arrival"),
    "residence.planned_departure": ("Dự kiến đi", "Planned departure"),
    "residence.submit": ("Khai báo", "Declare"),
    "residence.declared": ("Đã khai báo khách {name}.", "Guest {name} declared."),
    "residence.recent": ("Khai báo gần đây", "Recent declarations"),
    "residence.police.heading": ("Tình hình lưu trú", "Lodging overview"),
    "residence.police.current": ("Khách đang lưu trú", "Current guests"),
    "residence.police.arrivals": ("Khách đến hôm nay", "Arrivals of the day"),
    "residence.police.overdue": ("Quá hạn chưa trả phòng", "Overdue departures"),
    **PAGE_MESSAGES,
}


# -- JSON shapes ---------------------------------------------------------------------------------------

def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    return services.from_db(value).isoformat() if isinstance(value, datetime) else value.isoformat()


def registration_json(row: Registration) -> dict[str, Any]:
    return {
        "id": str(row.id), "kind": row.kind, "person_id": str(row.person_id), "address": row.address,
        "neighbourhood_id": str(row.neighbourhood_id) if row.neighbourhood_id else None,
        "start_date": _iso(row.start_date), "end_date": _iso(row.end_date), "status": row.status,
        "renewed_from_id": str(row.renewed_from_id) if row.renewed_from_id else None,
        "destination": row.destination, "reason": row.reason, "closed_on": _iso(row.closed_on),
    }


def establishment_json(row: Establishment) -> dict[str, Any]:
    return {"id": str(row.id), "code": row.code, "name": row.name, "kind": row.kind, "address": row.address,
            "neighbourhood_id": str(row.neighbourhood_id) if row.neighbourhood_id else None, "rooms": row.rooms,
            "status": row.status}


def masked(document: str) -> str:
    return "•" * max(len(document) - 3, 0) + document[-3:]


def stay_json(row: Stay, identity: bool, names: dict[uuid.UUID, str] | None = None) -> dict[str, Any]:
    data = {
        "id": str(row.id), "establishment_id": str(row.establishment_id), "guest_name": row.guest_name,
        "guest_nationality": row.guest_nationality, "room": row.room, "arrival": _iso(row.arrival),
        "planned_departure": _iso(row.planned_departure), "departed_at": _iso(row.departed_at),
    }
    if names is not None:
        data["establishment"] = names.get(row.establishment_id)
    if identity:
        data.update(guest_document=row.guest_document, guest_birth_year=row.guest_birth_year)
    else:
        data["guest_document_masked"] = masked(row.guest_document)
    return data


async def stays_out(session, access, rows: list[Stay], tenant_id: uuid.UUID, *, names: bool = False) -> list[dict]:
    """Stays as JSON; a read of guests' documents is recorded in the audit log."""
    identity = access.allows(GUEST_IDENTITY)
    if identity and rows:
        await audit(session, tenant_id=tenant_id, action="read", entity=Stay.__tablename__,
                    entity_id=",".join(str(r.id) for r in rows[:50]) + ("…" if len(rows) > 50 else ""),
                    after={"fields": ["guest_document", "guest_birth_year"], "count": len(rows)})
    labels = await services.establishment_names(session, (r.establishment_id for r in rows)) if names else None
    return [stay_json(r, identity, labels) for r in rows]


def _limit(value: int | None) -> int:
    return min(max(value or 100, 1), 500)


def _body(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise UserError("BAD_USER_INPUT", ("Cần một đối tượng JSON", "A JSON object is expected"))
    return data


def _narrow(access: Any) -> services.Narrow:
    return services.operator_narrow(access.filter, access.principal, access.grant.roles)


def _who(access: Any) -> str | None:
    return access.principal.label[:80] if access.principal else None


# -- registrations -------------------------------------------------------------------------------------

@get("/registrations", guards=[REG_READ])
async def list_registrations(db_session: DbSession, kind: FromQuery[str | None] = None,
                             status: FromQuery[str | None] = None, person_id: FromQuery[uuid.UUID | None] = None,
                             limit: FromQuery[int | None] = None, offset: FromQuery[int] = 0) -> dict[str, Any]:
    query = services.registrations_query(kind=kind, status=status, person_id=person_id)
    total = await db_session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await db_session.execute(query.order_by(Registration.start_date.desc(), Registration.id)
                                    .limit(_limit(limit)).offset(max(offset, 0)))
    return {"total": total, "items": [registration_json(r) for r in rows.scalars()]}


@post("/permanent", status_code=201, guards=[REG_WRITE])
async def register_permanent(db_session: DbSession, data: Body) -> dict[str, Any]:
    return registration_json(await services.register_permanent(db_session, _body(data)))


@post("/temporary", status_code=201, guards=[REG_WRITE])
async def declare_temporary(db_session: DbSession, data: Body) -> dict[str, Any]:
    return registration_json(await services.declare_temporary(db_session, _body(data)))


@post("/absences", status_code=201, guards=[REG_WRITE])
async def notice_absence(db_session: DbSession, data: Body) -> dict[str, Any]:
    return registration_json(await services.notice_absence(db_session, _body(data)))


@post("/registrations/{registration_id:uuid}/renew", status_code=201, guards=[REG_WRITE])
async def renew(db_session: DbSession, registration_id: FromPath[uuid.UUID], data: Body) -> dict[str, Any]:
    return registration_json(await services.renew_temporary(db_session, registration_id, _body(data)))


@post("/registrations/{registration_id:uuid}/end", status_code=200, guards=[REG_WRITE])
async def end(db_session: DbSession, registration_id: FromPath[uuid.UUID], data: Body) -> dict[str, Any]:
    return registration_json(await services.end_registration(db_session, registration_id, _body(data)))


@get("/persons/{person_id:uuid}/history", guards=[REG_READ])
async def person_history(db_session: DbSession, person_id: FromPath[uuid.UUID]) -> list[dict[str, Any]]:
    return [registration_json(r) for r in await services.history(db_session, person_id)]


@get("/expiring", guards=[REG_READ])
async def expiring(db_session: DbSession, days: FromQuery[int] = services.EXPIRY_WINDOW_DAYS) -> dict[str, Any]:
    found = await services.expiring(db_session, days=min(max(days, 1), 366))
    return {key: [registration_json(r) for r in rows] for key, rows in found.items()}


@post("/expiry/run", status_code=200, guards=[REG_WRITE])
async def run_expiry(db_session: DbSession) -> dict[str, int]:
    """What the scheduled job does, on demand for this ward (idempotent)."""
    return {"marked": await services.mark_expired(db_session)}


# -- establishments and stays --------------------------------------------------------------------------

@get("/establishments", guards=[EST_READ])
async def list_establishments(db_session: DbSession, access: Access) -> list[dict[str, Any]]:
    return [establishment_json(e) for e in await services.list_establishments(db_session, _narrow(access))]


@post("/establishments", status_code=201, guards=[EST_WRITE])
async def create_establishment(db_session: DbSession, data: Body) -> dict[str, Any]:
    return establishment_json(await services.create_establishment(db_session, _body(data)))


@get("/establishments/{establishment_id:uuid}", guards=[EST_READ])
async def show_establishment(db_session: DbSession, access: Access,
                             establishment_id: FromPath[uuid.UUID]) -> dict[str, Any]:
    return establishment_json(await services.get_establishment(db_session, establishment_id, _narrow(access)))


@post("/establishments/{establishment_id:uuid}/tokens", status_code=201, guards=[EST_WRITE])
async def link_token(db_session: DbSession, establishment_id: FromPath[uuid.UUID], data: Body) -> dict[str, Any]:
    """Link an API token (``wardhub tokens create … --role lodging_operator``) to this establishment."""
    row = await services.link_token(db_session, establishment_id, _body(data))
    return {"id": str(row.id), "token_id": str(row.token_id), "establishment_id": str(row.establishment_id)}


@post("/establishments/{establishment_id:uuid}/stays", status_code=201, guards=[STAY_DECLARE])
async def declare_stays(db_session: DbSession, access: Access, current_tenant: CurrentTenant,
                        establishment_id: FromPath[uuid.UUID], data: Body) -> dict[str, Any]:
    """One guest (an object with the guest's fields) or a batch (``{"stays": [...]}``), all or nothing."""
    body = _body(data)
    batch = body.get("stays") if "stays" in body else None
    if batch is not None and not isinstance(batch, list):
        raise UserError("BAD_USER_INPUT", ("stays phải là một danh sách", "stays must be a list"),
                        {"stays": ("Cần một danh sách", "A list is expected")})
    stays = await services.declare_stays(db_session, establishment_id, batch if batch is not None else [body],
                                         narrow=_narrow(access), declared_by=_who(access))
    out = [stay_json(s, True) for s in stays]  # the declarer's own input, echoed
    return {"stays": out} if batch is not None else out[0]


@get("/stays", guards=[STAY_READ])
async def list_stays(db_session: DbSession, access: Access, current_tenant: CurrentTenant,
                     establishment: FromQuery[uuid.UUID | None] = None, limit: FromQuery[int | None] = None,
                     offset: FromQuery[int] = 0) -> dict[str, Any]:
    query = services.stays_query(_narrow(access), establishment_id=establishment)
    rows = list((await db_session.execute(query.order_by(Stay.arrival.desc(), Stay.id).limit(_limit(limit))
                                          .offset(max(offset, 0)))).scalars())
    return {"items": await stays_out(db_session, access, rows, current_tenant.tenant.id)}


@get("/stays/{stay_id:uuid}", guards=[STAY_READ])
async def show_stay(db_session: DbSession, access: Access, current_tenant: CurrentTenant,
                    stay_id: FromPath[uuid.UUID]) -> dict[str, Any]:
    stay = await services.get_stay(db_session, stay_id, _narrow(access))
    return (await stays_out(db_session, access, [stay], current_tenant.tenant.id))[0]


@post("/stays/{stay_id:uuid}/checkout", status_code=200, guards=[STAY_DECLARE])
async def check_out(db_session: DbSession, access: Access, stay_id: FromPath[uuid.UUID], data: Body) -> dict[str, Any]:
    return stay_json(await services.check_out(db_session, stay_id, _body(data), narrow=_narrow(access)), True)


# -- police view ---------------------------------------------------------------------------------------

async def _police_lists(session, access, tenant_id: uuid.UUID, day: date | None = None) -> dict[str, list]:
    now = services.now_utc()
    day = day or services.local_day(now)
    lists = {"current": services.current_guests_query(now), "arrivals": services.arrivals_query(day),
             "overdue": services.overdue_query(now)}
    out = {}
    for key, query in lists.items():
        rows = list((await session.execute(query.limit(500))).scalars())
        out[key] = await stays_out(session, access, rows, tenant_id, names=True)
    return out


@get("/police", guards=[POLICE], media_type="application/json")
async def police_view(request: Request, db_session: DbSession, access: Access, current_tenant: CurrentTenant,
                      day: FromQuery[date | None] = None) -> Response:
    """Current guests, arrivals of ``day`` (today in Vietnam) and overdue departures: JSON for API
    clients, a page for browsers."""
    lists = await _police_lists(db_session, access, current_tenant.tenant.id, day)
    if "text/html" in request.headers.get("accept", ""):
        return await render(request, "residence/police.html", {"lists": lists})
    return Response(lists)


# -- statistics ----------------------------------------------------------------------------------------

@get("/statistics/residents", guards=[STATISTICS])
async def residents_statistics(db_session: DbSession) -> list[dict[str, Any]]:
    rows = await services.residents_by_neighbourhood(db_session)
    return [{**r, "neighbourhood_id": str(r["neighbourhood_id"]) if r["neighbourhood_id"] else None} for r in rows]


@get("/statistics/occupancy", guards=[STATISTICS])
async def occupancy(db_session: DbSession, start: FromQuery[date | None] = None,
                    end: FromQuery[date | None] = None) -> list[dict[str, Any]]:
    end = end or services.today_in_vietnam()
    start = start or end - timedelta(days=6)
    if end < start or (end - start).days > 366:
        raise UserError("BAD_USER_INPUT", ("Khoảng ngày không hợp lệ (tối đa 366 ngày)",
                                           "Not a valid range of days (at most 366)"),
                        {"end": ("Ngày cuối trước ngày đầu hoặc quá xa", "Before the start or too far")})
    return [{**d, "night": d["night"].isoformat()} for d in await services.occupancy_by_day(db_session, start, end)]


ROUTES = [
    list_registrations, register_permanent, declare_temporary, notice_absence, renew, end, person_history,
    expiring, run_expiry, list_establishments, create_establishment, show_establishment, link_token, declare_stays,
    list_stays, show_stay, check_out, police_view, residents_statistics, occupancy, *PAGES,
]
