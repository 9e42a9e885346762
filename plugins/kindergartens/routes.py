"""Routes under ``/t/{tenant}/kindergartens``: REST JSON over :mod:`services`, and the page with alerts."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, patch, post
from litestar.params import FromPath, JSONBody
from sqlalchemy import func, select

from core.toolkit import Access, DbSession, language, render, requires
from plugins.kindergartens import services
from plugins.kindergartens.models import Enrolment, Facility, Inspection, Staff

Body = JSONBody[dict[str, Any]]
READ, WRITE = requires("kindergartens.facility:read"), requires("kindergartens.facility:write")
CHILDREN_READ, CHILDREN_WRITE = requires("kindergartens.enrolment:read"), requires("kindergartens.enrolment:write")


def _d(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def facility_json(f: Facility, enrolled: int | None = None) -> dict[str, Any]:
    return {"id": str(f.id), "kind": f.kind, "name": f.name, "owner_name": f.owner_name,
            "owner_person_id": str(f.owner_person_id) if f.owner_person_id else None, "address": f.address,
            "capacity": f.capacity, "enrolled": enrolled, "licence_number": f.licence_number,
            "licence_issued": _d(f.licence_issued), "licence_expires": _d(f.licence_expires),
            "licence_status": f.licence_status}


def enrolment_json(e: Enrolment) -> dict[str, Any]:
    return {"id": str(e.id), "facility_id": str(e.facility_id), "person_id": str(e.person_id),
            "child_name": e.child_name, "enrolled_on": _d(e.enrolled_on), "left_on": _d(e.left_on)}


def staff_json(s: Staff) -> dict[str, Any]:
    return {"id": str(s.id), "full_name": s.full_name, "role": s.role, "qualification": s.qualification,
            "qualification_note": s.qualification_note}


def inspection_json(i: Inspection) -> dict[str, Any]:
    return {"id": str(i.id), "facility_id": str(i.facility_id), "inspected_on": _d(i.inspected_on),
            "result": i.result, "findings": i.findings, "follow_up_due": _d(i.follow_up_due),
            "follow_up_done_on": _d(i.follow_up_done_on), "follow_up_note": i.follow_up_note}


def alert_json(a: services.Alert, lang: str) -> dict[str, Any]:
    message = a.message()
    return {"kind": a.kind, "facility_id": str(a.facility_id), "facility_name": a.facility_name, "due": _d(a.due),
            "days": a.days, "inspection_id": str(a.inspection_id) if a.inspection_id else None,
            "message": message[1] if lang == "en" else message[0]}


def _lang(request: Request) -> str:
    return "en" if request.query_params.get("lang") == "en" else language(request.headers.get("accept-language"))


async def _counts(db_session: Any) -> dict[Any, int]:
    rows = await db_session.execute(select(Enrolment.facility_id, func.count()).where(Enrolment.left_on.is_(None))
                                    .group_by(Enrolment.facility_id))
    return dict(rows.all())


@get("/facilities", guards=[READ])
async def list_facilities(db_session: DbSession) -> list[dict[str, Any]]:
    counts = await _counts(db_session)
    rows = await db_session.execute(select(Facility).order_by(Facility.name))
    return [facility_json(f, counts.get(f.id, 0)) for f in rows.scalars()]


@post("/facilities", status_code=201, guards=[WRITE])
async def create_facility(db_session: DbSession, data: Body) -> dict[str, Any]:
    return facility_json(await services.save_facility(db_session, data), 0)


@get("/facilities/{facility_id:str}", guards=[READ])
async def show_facility(db_session: DbSession, access: Access, facility_id: FromPath[str]) -> dict[str, Any]:
    facility = await services.get_facility(db_session, facility_id)
    staff = await db_session.execute(select(Staff).where(Staff.facility_id == facility.id).order_by(Staff.full_name))
    inspections = await db_session.execute(select(Inspection).where(Inspection.facility_id == facility.id)
                                           .order_by(Inspection.inspected_on.desc()))
    data = facility_json(facility, await services.enrolled_count(db_session, facility.id))
    data["staff"] = [staff_json(s) for s in staff.scalars()]
    data["inspections"] = [inspection_json(i) for i in inspections.scalars()]
    if access.allows("kindergartens.enrolment:read"):  # children's names only for the ward's staff
        data["children"] = [enrolment_json(e) for e in await services.enrolments(db_session, facility.id)]
    return data


@patch("/facilities/{facility_id:str}", guards=[WRITE])
async def update_facility(db_session: DbSession, facility_id: FromPath[str], data: Body) -> dict[str, Any]:
    facility = await services.save_facility(db_session, data, facility_id)
    return facility_json(facility, await services.enrolled_count(db_session, facility.id))


@post("/facilities/{facility_id:str}/enrolments", status_code=201, guards=[CHILDREN_WRITE])
async def enrol(db_session: DbSession, facility_id: FromPath[str], data: Body) -> dict[str, Any]:
    return enrolment_json(await services.enrol(db_session, facility_id, data))


@post("/enrolments/{enrolment_id:str}/leave", status_code=200, guards=[CHILDREN_WRITE])
async def leave(db_session: DbSession, enrolment_id: FromPath[str], data: Body) -> dict[str, Any]:
    return enrolment_json(await services.leave(db_session, enrolment_id, data))


@post("/facilities/{facility_id:str}/staff", status_code=201, guards=[WRITE])
async def add_staff(db_session: DbSession, facility_id: FromPath[str], data: Body) -> dict[str, Any]:
    return staff_json(await services.add_staff(db_session, facility_id, data))


@post("/facilities/{facility_id:str}/inspections", status_code=201, guards=[WRITE])
async def record_inspection(db_session: DbSession, facility_id: FromPath[str], data: Body) -> dict[str, Any]:
    return inspection_json(await services.record_inspection(db_session, facility_id, data))


@post("/inspections/{inspection_id:str}/follow-up", status_code=200, guards=[WRITE])
async def complete_follow_up(db_session: DbSession, inspection_id: FromPath[str], data: Body) -> dict[str, Any]:
    return inspection_json(await services.complete_follow_up(db_session, inspection_id, data))


@get("/alerts", guards=[READ])
async def list_alerts(request: Request, db_session: DbSession) -> list[dict[str, Any]]:
    lang = _lang(request)
    return [alert_json(a, lang) for a in await services.alerts(db_session)]


@get("/", guards=[READ])
async def page(request: Request, db_session: DbSession) -> Response:
    lang = _lang(request)
    counts = await _counts(db_session)
    facilities = list((await db_session.execute(select(Facility).order_by(Facility.name))).scalars())
    return await render(request, "kindergartens/index.html", {
        "facilities": facilities, "counts": counts, "statuses": services.LICENCE_STATUSES,
        "alerts": [alert_json(a, lang) for a in await services.alerts(db_session)],
    })


ROUTES = [list_facilities, create_facility, show_facility, update_facility, enrol, leave, add_staff,
          record_inspection, complete_follow_up, list_alerts, page]
