"""REST JSON endpoints and console pages under ``/t/{tenant}/military_service``: thin over :mod:`.services`.

Bodies are JSON objects the services check; client mistakes come back as ``400 BAD_USER_INPUT`` with
``fields``, ``404 NOT_FOUND`` or ``409 CONFLICT``, and change nothing. Every handler is guarded by its
permission (``plugin.py``). The health class and the ground of a deferment or exemption are shown only to
holders of ``military_service.record.health:read``, and each such read is audited.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from core.toolkit import Access, DbSession, UserError, audit, bad_input, parse_year, requires, uploaded_file
from plugins.military_service import imports, services
from plugins.military_service import reference as ref
from plugins.military_service.models import CallUp, ServiceRecord
from plugins.military_service.plugin import HEALTH, IMPORT, RECORD_READ, RECORD_WRITE, ROSTER_READ, ROSTER_WRITE
from plugins.residents.models import Person

Body = JSONBody[dict[str, Any]]
READ, WRITE = requires(RECORD_READ), requires(RECORD_WRITE)
R_READ, R_WRITE = requires(ROSTER_READ), requires(ROSTER_WRITE)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def record_json(record: ServiceRecord, person: Person | None, *, health: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(record.id),
        "person_id": str(record.person_id),
        "full_name": person.full_name if person else None,
        "birth_year": person.birth_year if person else None,
        "status": record.status,
        "registered_on": record.registered_on.isoformat(),
        "deferred_until_year": record.deferred_until_year,
        "enlisted_on": record.enlisted_on.isoformat() if record.enlisted_on else None,
        "discharged_on": record.discharged_on.isoformat() if record.discharged_on else None,
    }
    if health:
        ground = ref.BY_CODE.get(record.ground_code or "")
        data |= {
            "health_class": record.health_class,
            "health_checked_on": record.health_checked_on.isoformat() if record.health_checked_on else None,
            "ground_code": record.ground_code,
            "ground_article": ground.article if ground else None,
            "decided_on": record.decided_on.isoformat() if record.decided_on else None,
            "study_deferred": record.study_deferred,
        }
    return data


async def _audit_health(session, records: list[ServiceRecord]) -> None:
    """One audit entry per read of health classes and grounds (the ids read)."""
    if records:
        await audit(session, tenant_id=records[0].tenant_id, action="read", entity=ServiceRecord.__tablename__,
                    entity_id=str(records[0].id) if len(records) == 1 else "*",
                    after={"fields": ["health_class", "ground_code"], "ids": [str(r.id) for r in records]})


async def _shown(session, access, pairs: list[tuple[ServiceRecord, Person | None]]) -> list[dict[str, Any]]:
    health = access.allows(HEALTH)
    if health:
        await _audit_health(session, [r for r, _ in pairs])
    return [record_json(r, p, health=health) for r, p in pairs]


async def _one(session, access, record: ServiceRecord) -> dict[str, Any]:
    persons = await services.persons_by_id(session, [record.person_id])
    return (await _shown(session, access, [(record, persons.get(record.person_id))]))[0]


def _year(value: str | None) -> int:
    return services.today().year if value in (None, "") else parse_year(value, "year")


# -- the register ----------------------------------------------------------------------------------------

@get("/records", guards=[READ])
async def list_records(db_session: DbSession, access: Access, status: FromQuery[str | None] = None,
                       limit: FromQuery[int] = 100, offset: FromQuery[int] = 0) -> list[dict[str, Any]]:
    if not 1 <= limit <= 500 or offset < 0:
        raise bad_input("limit", "limit từ 1 đến 500, offset không âm", "limit is 1 to 500, offset not negative")
    return await _shown(db_session, access, await services.list_register(db_session, status, limit, offset))


@post("/records", status_code=201, guards=[WRITE])
async def register(db_session: DbSession, access: Access, data: Body) -> dict[str, Any]:
    return await _one(db_session, access, await services.register(db_session, data))


@get("/records/{person_id:uuid}", guards=[READ])
async def show_record(db_session: DbSession, access: Access, person_id: FromPath[uuid.UUID]) -> dict[str, Any]:
    return await _one(db_session, access, await services.get_record(db_session, person_id))


ACTIONS = {
    "health": services.record_health,
    "deferment": services.defer,
    "exemption": services.exempt,
    "enlistment": services.enlist,
    "discharge": services.discharge,
}


@post("/records/{person_id:uuid}/{action:str}", status_code=200, guards=[WRITE])
async def act(db_session: DbSession, access: Access, person_id: FromPath[uuid.UUID], action: FromPath[str],
              data: Body) -> dict[str, Any]:
    """``health`` (health_class, health_checked_on), ``deferment`` (ground_code, until_year, decided_on),
    ``exemption`` (ground_code, decided_on), ``enlistment`` (enlisted_on), ``discharge`` (discharged_on)."""
    handler = ACTIONS.get(action)
    if handler is None:
        raise UserError("NOT_FOUND", ("Không có thao tác này", "No such action"))
    return await _one(db_session, access, await handler(db_session, person_id, data))


@get("/grounds", guards=[READ])
async def grounds() -> list[dict[str, Any]]:
    return [{"code": g.code, "kind": g.kind, "article": g.article, "title_vi": g.title_vi, "title_en": g.title_en}
            for g in ref.GROUNDS]


# -- the annual cycle ------------------------------------------------------------------------------------

@get("/due", guards=[READ])
async def due(db_session: DbSession, year: FromQuery[str | None] = None) -> dict[str, Any]:
    """Who must register in ``year`` (default this year), computed from residents."""
    year_ = _year(year)
    rows = await services.must_register(db_session, year_)
    return {"year": year_, "persons": [
        {"person_id": str(d.person.id), "full_name": d.person.full_name, "birth_year": d.person.birth_year,
         "registered": d.registered} for d in rows]}


def callup_json(entry: CallUp, person: Person) -> dict[str, Any]:
    return {"id": str(entry.id), "year": entry.year, "person_id": str(entry.person_id),
            "full_name": person.full_name, "birth_year": person.birth_year, "status": entry.status,
            "status_date": entry.status_date.isoformat() if entry.status_date else None}


@get("/callups", guards=[R_READ])
async def list_callups(db_session: DbSession, year: FromQuery[str | None] = None,
                       status: FromQuery[str | None] = None) -> dict[str, Any]:
    year_ = _year(year)
    if status and status not in ref.ROSTER_STATUSES:
        raise bad_input("status", "Tình trạng không hợp lệ", "Not a valid status")
    return {"year": year_, "entries": [callup_json(c, p) for c, p in await services.roster(db_session, year_, status)]}


@post("/callups", status_code=201, guards=[R_WRITE])
async def draw_up(db_session: DbSession, data: Body) -> dict[str, Any]:
    """Lists the year's candidates not yet on its roster: ``{"year": 2027, "on": "2027-02-01"}``."""
    added = await services.draw_up_roster(db_session, data.get("year"), data.get("on"))
    return {"added": len(added)}


@post("/callups/{entry_id:uuid}/status", status_code=200, guards=[R_WRITE])
async def set_status(db_session: DbSession, access: Access, entry_id: FromPath[uuid.UUID],
                     data: Body) -> dict[str, Any]:
    if data.get("status") in ("enlisted", "deferred", "exempt"):
        access.require(RECORD_WRITE)
    entry = await services.set_roster_status(db_session, entry_id, data)
    person = (await services.persons_by_id(db_session, [entry.person_id]))[entry.person_id]
    return callup_json(entry, person)


@get("/counts", guards=[READ])
async def counts(db_session: DbSession, year: FromQuery[str | None] = None) -> dict[str, Any]:
    return await services.counts(db_session, _year(year))


# -- import ----------------------------------------------------------------------------------------------

@get("/imports/template", guards=[requires(IMPORT)])
async def import_template() -> Response:
    return Response(imports.template(), media_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="mau-nghia-vu-quan-su.xlsx"'})


@post("/imports", status_code=201, guards=[requires(IMPORT)])
async def import_upload(request: Request, db_session: DbSession) -> dict[str, Any]:
    """An .xlsx file as multipart field ``file`` or as the raw body. All rows valid: 201 with the count;
    otherwise 400 with a field ``rows.<row>.<column>`` per problem, and nothing written."""
    content, _name = await uploaded_file(request)
    return {"imported": await imports.import_xlsx(db_session, content)}


ROUTES = [list_records, register, show_record, act, grounds, due, list_callups, draw_up, set_status, counts,
          import_template, import_upload]
