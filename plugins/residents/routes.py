"""REST JSON endpoints under ``/t/{tenant}/residents``: thin over :mod:`plugins.residents.services`.

Bodies are JSON objects whose fields the services check; client mistakes come back as ``400
BAD_USER_INPUT`` with ``fields`` (field → message in the request's language), ``404 NOT_FOUND`` or
``409 CONFLICT``.

Access: each handler is guarded by the permission it needs (declared in ``plugin.py``); reads are
narrowed by the caller's row filters (a neighbourhood head sees their neighbourhood, a resident their
household). Lists show a masked identification number; a person's page shows the number, ethnicity and
religion to holders of ``residents.person.identity:read``, and records that read in the audit log.

Moves between wards open a session scoped to both wards (the request's own is scoped to one): the
sending ward's officer asks, the receiving ward's officer accepts or rejects.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.toolkit import (
    SYSTEM,
    Access,
    DbSession,
    TenantScope,
    UserError,
    audit,
    bad_input,
    not_found,
    requires,
    uploaded_file,
)
from plugins.residents import imports, services, statistics
from plugins.residents import reference as ref
from plugins.residents.models import Household, Move, Neighbourhood, Person
from plugins.residents.plugin import IDENTITY
from plugins.residents.search import search as run_search
from plugins.residents.sections import sections_for
from plugins.residents.services import Ward
from plugins.residents.validation import BirthDate

Body = JSONBody[dict[str, Any]]
CurrentTenant = NamedDependency[Any]  # core's RequestTenant: .tenant (TenantRef), .plugins (enabled names)
POLICY_FAMILIES_HOOK = "wardhub_residents_policy_family_counts"
HOUSEHOLD_READ, HOUSEHOLD_WRITE = requires("residents.household:read"), requires("residents.household:write")
PERSON_READ, PERSON_WRITE = requires("residents.person:read"), requires("residents.person:write")
STATISTICS_READ, IMPORT_WRITE = requires("residents.statistics:read"), requires("residents.import:write")
EXPORT = requires("residents.person:read", IDENTITY)
FILE_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


# -- JSON shapes ---------------------------------------------------------------------------------------

def _masked(number: str | None) -> str | None:
    return None if not number else "•" * 9 + number[-3:]


def person_json(person: Person, household: Household | None = None, *, detail: bool = False,
                identity: bool = False) -> dict[str, Any]:
    """A person; ``detail`` adds contact and residence fields, ``identity`` the sensitive ones (the
    number in full, ethnicity, religion) which lists only show masked."""
    data: dict[str, Any] = {
        "id": str(person.id),
        "full_name": person.full_name,
        "birth_date": str(BirthDate(person.birth_year, person.birth_month, person.birth_day)),
        "birth_year": person.birth_year,
        "birth_month": person.birth_month,
        "birth_day": person.birth_day,
        "sex": person.sex,
        "household_id": str(person.household_id) if person.household_id else None,
        "household_code": household.code if household else None,
        "relation": person.relation,
        "status": person.status,
        "status_date": person.status_date.isoformat() if person.status_date else None,
        "version": person.version,
    }
    if detail:
        data.update(nationality=person.nationality, occupation=person.occupation, phone=person.phone,
                    moved_to=person.moved_to)
    if identity:
        data.update(id_number=person.id_number, ethnicity=person.ethnicity, religion=person.religion)
    else:
        data["id_number_masked"] = _masked(person.id_number)
    return data


def _shown(person: Person, access: Any, household: Household | None = None) -> dict[str, Any]:
    return person_json(person, household, detail=True, identity=access.allows(IDENTITY))


async def _readable(session: AsyncSession, access: Any, model: type, record_id: uuid.UUID, resource: str) -> None:
    """Not found, rather than forbidden, for a record outside the caller's rows (nothing is revealed)."""
    if await session.scalar(access.filter(select(model.id).where(model.id == record_id), resource)) is None:
        raise not_found("Không tìm thấy", "Not found")


def household_json(household: Household, people: list[Person] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(household.id), "code": household.code, "address": household.address,
        "neighbourhood_id": str(household.neighbourhood_id) if household.neighbourhood_id else None,
        "status": household.status, "version": household.version,
    }
    if people is not None:
        head = services.head_of(people)
        data["head_id"] = str(head.id) if head else None
        data["members"] = [person_json(p, household) for p in people]
    return data


def neighbourhood_json(area: Neighbourhood) -> dict[str, Any]:
    return {"id": str(area.id), "code": area.code, "name": area.name, "kind": area.kind,
            "parent_id": str(area.parent_id) if area.parent_id else None}


def move_json(move: Move) -> dict[str, Any]:
    return {
        "id": str(move.id), "direction": move.direction, "status": move.status, "other_unit": move.other_tenant_key,
        "person_id": str(move.person_id) if move.person_id else None,
        "summary": {**move.summary, "id_number": _masked(move.summary.get("id_number"))} if move.summary else {},
        "move_date": move.move_date.isoformat(), "note": move.note, "reason": move.reason,
        "requested_at": move.requested_at.isoformat(),
        "decided_at": move.decided_at.isoformat() if move.decided_at else None,
    }


def _limit(value: int | None, default: int = 50) -> int:
    return min(max(value or default, 1), 500)


# -- reference, neighbourhoods -------------------------------------------------------------------------

@get("/reference", sync_to_thread=False)
def reference_lists() -> dict[str, Any]:
    """Ethnic groups, religions, relations, statuses… in Vietnamese and English (any role in the unit)."""
    return ref.as_json()


@get("/neighbourhoods", guards=[HOUSEHOLD_READ])
async def list_neighbourhoods(db_session: DbSession) -> list[dict[str, Any]]:
    return [neighbourhood_json(n) for n in await services.list_neighbourhoods(db_session)]


@post("/neighbourhoods", status_code=201, guards=[HOUSEHOLD_WRITE])
async def create_neighbourhood(db_session: DbSession, data: Body) -> dict[str, Any]:
    return neighbourhood_json(await services.create_neighbourhood(db_session, data))


# -- households ----------------------------------------------------------------------------------------

@get("/households", guards=[HOUSEHOLD_READ])
async def list_households(db_session: DbSession, access: Access, q: FromQuery[str | None] = None,
                          neighbourhood: FromQuery[uuid.UUID | None] = None, limit: FromQuery[int | None] = None,
                          offset: FromQuery[int] = 0) -> dict[str, Any]:
    """Households whose code starts with ``q`` (all when empty), in a neighbourhood if given."""
    if q:
        found = await run_search(db_session, q, neighbourhood_id=neighbourhood, limit=_limit(limit),
                                 offset=offset, narrow=access.filter)
        return {"items": [household_json(h) for h in found.households]}
    query = select(Household).order_by(Household.code).limit(_limit(limit)).offset(max(offset, 0))
    if neighbourhood:
        query = query.where(Household.neighbourhood_id == neighbourhood)
    query = access.filter(query, "residents.household")
    return {"items": [household_json(h) for h in (await db_session.execute(query)).scalars()]}


async def _household_view(session: AsyncSession, household: Household) -> dict[str, Any]:
    return household_json(household, await services.members(session, household.id))


@post("/households", status_code=201, guards=[HOUSEHOLD_WRITE])
async def register_household(db_session: DbSession, data: Body) -> dict[str, Any]:
    return await _household_view(db_session, await services.register_household(db_session, data))


@get("/households/{household_id:uuid}", guards=[HOUSEHOLD_READ])
async def show_household(db_session: DbSession, access: Access, household_id: FromPath[uuid.UUID]) -> dict[str, Any]:
    await _readable(db_session, access, Household, household_id, "residents.household")
    return await _household_view(db_session, await services.get_household(db_session, household_id))


@post("/households/{household_id:uuid}/members", status_code=201, guards=[HOUSEHOLD_WRITE])
async def add_member(db_session: DbSession, access: Access, household_id: FromPath[uuid.UUID],
                     data: Body) -> dict[str, Any]:
    return _shown(await services.add_member(db_session, household_id, data), access)


@post("/households/{household_id:uuid}/head", status_code=200, guards=[HOUSEHOLD_WRITE])
async def change_head(db_session: DbSession, household_id: FromPath[uuid.UUID], data: Body) -> dict[str, Any]:
    return await _household_view(db_session, await services.change_head(db_session, household_id, data))


@post("/households/{household_id:uuid}/split", status_code=201, guards=[HOUSEHOLD_WRITE])
async def split_household(db_session: DbSession, household_id: FromPath[uuid.UUID], data: Body) -> dict[str, Any]:
    return await _household_view(db_session, await services.split_household(db_session, household_id, data))


# -- persons -------------------------------------------------------------------------------------------

@get("/persons/{person_id:uuid}", guards=[PERSON_READ])
async def show_person(request: Request, db_session: DbSession, access: Access, current_tenant: CurrentTenant,
                      person_id: FromPath[uuid.UUID]) -> dict[str, Any]:
    """A person (identity fields for those allowed, the read audited) and the sections other plugins add."""
    await _readable(db_session, access, Person, person_id, "residents.person")
    person = await services.get_person(db_session, person_id)
    household = await services.get_household(db_session, person.household_id) if person.household_id else None
    if access.allows(IDENTITY):
        await audit(db_session, tenant_id=person.tenant_id, action="read", entity=Person.__tablename__,
                    entity_id=str(person.id), after={"fields": ["id_number", "ethnicity", "religion"]})
    found = await sections_for(request.app.state.plugins, current_tenant.plugins, current_tenant.tenant,
                               db_session, [person.id], access.allows, request.app.state.access.catalog.sensitive())
    return {**_shown(person, access, household), "sections": found[person.id]}


@patch("/persons/{person_id:uuid}", guards=[PERSON_WRITE])
async def update_person(db_session: DbSession, access: Access, person_id: FromPath[uuid.UUID],
                        data: Body) -> dict[str, Any]:
    """Correct details; ``version`` (optional) is the version the edit was made on: a newer one is a CONFLICT."""
    changes = {k: v for k, v in data.items() if k != "version"}
    version = data.get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise bad_input("version", "Phiên bản phải là số nguyên", "The version must be an integer")
    return _shown(await services.update_person(db_session, person_id, changes, version), access)


@post("/persons/{person_id:uuid}/household", status_code=200, guards=[PERSON_WRITE])
async def move_member(db_session: DbSession, person_id: FromPath[uuid.UUID], data: Body) -> dict[str, Any]:
    return person_json(await services.move_member(db_session, person_id, data))


@post("/persons/{person_id:uuid}/remove", status_code=200, guards=[PERSON_WRITE])
async def remove_member(db_session: DbSession, person_id: FromPath[uuid.UUID], data: Body) -> dict[str, Any]:
    person = await services.remove_member(db_session, person_id, data)
    return {"removed": str(person_id), "person": person_json(person) if person else None}


@post("/persons/{person_id:uuid}/death", status_code=200, guards=[PERSON_WRITE])
async def record_death(db_session: DbSession, person_id: FromPath[uuid.UUID], data: Body) -> dict[str, Any]:
    return person_json(await services.record_death(db_session, person_id, data))


# -- moves between wards -------------------------------------------------------------------------------

@asynccontextmanager
async def _both_wards(request: Request, *ids: uuid.UUID) -> AsyncIterator[AsyncSession]:
    """A session over both wards of a move, committed when the block ends without error."""
    async with request.app.state.db.session(TenantScope.of(*ids)) as session:
        yield session


async def _receiving_ward(request: Request, key: Any, session: AsyncSession | None = None) -> Ward:
    """The ward named by ``to``: an active ward that has this plugin enabled (read in ``session`` when the
    request already has one open, else in a session of its own)."""
    from tenants import registry as units
    from tenants.subscriptions import effective_plugins

    if not isinstance(key, str) or not key.strip():
        raise bad_input("to", "Hãy chọn đơn vị chuyển đến", "Choose the unit to move to")
    if session is None:
        async with request.app.state.db.session(SYSTEM) as own:
            return await _receiving_ward(request, key, own)
    try:
        unit = await units.get(session, key, request.app.state.settings.tenant_scheme)
    except UserError:
        raise bad_input("to", f"Không có đơn vị {key}", f"No unit {key}") from None
    if unit.status != "active" or unit.level != "ward":
        raise bad_input("to", "Chỉ chuyển đến một phường, xã đang hoạt động", "Moves go to an active ward")
    if "residents" not in await effective_plugins(session, unit, request.app.state.plugins):
        raise bad_input("to", "Đơn vị chuyển đến chưa dùng phân hệ nhân khẩu",
                        "The receiving unit does not use the residents plugin")
    return Ward(unit.id, unit.key)


def _this_ward(current_tenant: Any) -> Ward:
    return Ward(current_tenant.tenant.id, current_tenant.tenant.key)


@post("/persons/{person_id:uuid}/moves", status_code=201, guards=[PERSON_WRITE])
async def request_move(request: Request, current_tenant: CurrentTenant, person_id: FromPath[uuid.UUID],
                       data: Body) -> dict[str, Any]:
    """Ask another ward (``to``: its code) to take the person in; they stay here until it accepts."""
    source, target = _this_ward(current_tenant), await _receiving_ward(request, data.get("to"))
    async with _both_wards(request, source.id, target.id) as session:
        return move_json(await services.request_move(session, person_id, source=source, target=target, data=data))


@get("/moves", guards=[PERSON_WRITE])
async def list_moves(db_session: DbSession, direction: FromQuery[str | None] = None,
                     status: FromQuery[str | None] = None, limit: FromQuery[int | None] = None) -> dict[str, Any]:
    """Moves of this ward: ``direction=in`` for incoming ones to accept, ``out`` for requests it sent."""
    if direction not in (None, "in", "out"):
        raise bad_input("direction", "Hướng phải là in hoặc out", "The direction must be in or out")
    moves = await services.list_moves(db_session, direction=direction, status=status, limit=_limit(limit, 100))
    return {"items": [move_json(m) for m in moves]}


async def _decide(request: Request, current_tenant: Any, move_id: uuid.UUID, decide: Any) -> Any:
    ward = _this_ward(current_tenant)
    async with request.app.state.db.session(TenantScope.of(ward.id)) as session:
        move = await services.get_move(session, ward.id, move_id)
        other = move.other_tenant_id
    async with _both_wards(request, ward.id, other) as session:
        return await decide(session, ward)


@post("/moves/{move_id:uuid}/accept", status_code=200, guards=[PERSON_WRITE])
async def accept_move(request: Request, access: Access, current_tenant: CurrentTenant,
                      move_id: FromPath[uuid.UUID], data: Body) -> dict[str, Any]:
    """Take the person in: ``household_id`` and ``relation``, or ``household`` (a new one they head)."""
    async def decide(session: AsyncSession, ward: Ward) -> dict[str, Any]:
        return _shown(await services.accept_move(session, move_id, target=ward, data=data), access)

    return await _decide(request, current_tenant, move_id, decide)


@post("/moves/{move_id:uuid}/reject", status_code=200, guards=[PERSON_WRITE])
async def reject_move(request: Request, current_tenant: CurrentTenant, move_id: FromPath[uuid.UUID],
                      data: Body) -> dict[str, Any]:
    async def decide(session: AsyncSession, ward: Ward) -> dict[str, Any]:
        return move_json(await services.reject_move(session, move_id, target=ward, reason=data.get("reason")))

    return await _decide(request, current_tenant, move_id, decide)


@post("/moves/{move_id:uuid}/cancel", status_code=200, guards=[PERSON_WRITE])
async def cancel_move(request: Request, current_tenant: CurrentTenant, move_id: FromPath[uuid.UUID],
                      data: JSONBody[dict[str, Any] | None] = None) -> dict[str, Any]:
    async def decide(session: AsyncSession, ward: Ward) -> dict[str, Any]:
        reason = (data or {}).get("reason")
        return move_json(await services.cancel_move(session, move_id, source=ward, reason=reason))

    return await _decide(request, current_tenant, move_id, decide)


# -- search, statistics --------------------------------------------------------------------------------

@get("/search", guards=[PERSON_READ, HOUSEHOLD_READ])
async def search(db_session: DbSession, access: Access, q: FromQuery[str] = "",
                 neighbourhood: FromQuery[uuid.UUID | None] = None, limit: FromQuery[int | None] = None,
                 offset: FromQuery[int] = 0) -> dict[str, Any]:
    """Accent-insensitive: persons by name or identification number, households by code, neighbourhoods.
    Searching by number needs ``residents.person.identity:read`` (it would tell who holds a number)."""
    if q.replace(" ", "").isdigit():
        access.require(IDENTITY)
    found = await run_search(db_session, q, neighbourhood_id=neighbourhood, limit=_limit(limit, 20), offset=offset,
                             narrow=access.filter)
    return {
        "persons": [person_json(p, h) for p, h in found.persons],
        "households": [household_json(h) for h in found.households],
        "neighbourhoods": [neighbourhood_json(n) for n in found.neighbourhoods],
    }


@get("/statistics", guards=[STATISTICS_READ])
async def show_statistics(request: Request, db_session: DbSession, current_tenant: CurrentTenant) -> dict[str, Any]:
    """Population figures of this unit; policy families as counted by the plugins that know them."""
    manager = request.app.state.plugins

    async def policy_families() -> list:
        results = await manager.call_each(POLICY_FAMILIES_HOOK, current_tenant.plugins,
                                          tenant=current_tenant.tenant, session=db_session)
        return [r.value for r in results if r.error is None]

    return _jsonable_figures(await statistics.compute(db_session, policy_families=policy_families))


@get("/statistics/district", guards=[STATISTICS_READ])
async def show_district_statistics(request: Request) -> dict[str, Any]:
    """This unit's figures summed with the units below it that the caller reaches (a district's wards, never a
    sibling district's), ``by_unit`` per ward."""
    from plugins.residents.schema import district_statistics

    return _jsonable_figures(await district_statistics(request))


def _jsonable_figures(figures: dict[str, Any]) -> dict[str, Any]:
    for row in figures["by_unit"] + figures["by_neighbourhood"]:
        row["tenant_id"] = str(row["tenant_id"])
        if row.get("id") is not None:
            row["id"] = str(row["id"])
    return figures


# -- import and export ---------------------------------------------------------------------------------

def _format(value: str | None) -> str:
    fmt = (value or "xlsx").lower()
    if fmt not in FILE_TYPES:
        raise bad_input("format", "Định dạng phải là xlsx hoặc csv", "The format must be xlsx or csv")
    return fmt


def _download(content: bytes, fmt: str, name: str) -> Response:
    return Response(content, media_type=FILE_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


@get("/import-template", guards=[IMPORT_WRITE])
async def import_template(format: FromQuery[str | None] = None, lang: FromQuery[str] = "vi") -> Response:
    fmt = _format(format)
    return _download(imports.template(fmt, lang), fmt, "mau-nhap-nhan-khau")


@post("/imports", status_code=201, guards=[IMPORT_WRITE])
async def import_upload(request: Request, db_session: DbSession, current_tenant: CurrentTenant,
                        dry_run: FromQuery[bool] = False) -> Response:
    """A template file, as multipart field ``file`` or as the raw body (``filename`` query parameter).

    All rows valid: 201 with the counts (200 for ``dry_run``, which writes nothing). Otherwise 400
    ``BAD_USER_INPUT`` with a field ``rows.<row>.<column>`` per problem, and nothing written.
    """
    content, filename = await uploaded_file(request)
    if not content:
        raise bad_input("file", "Tệp trống", "The file is empty")
    report = await imports.import_file(db_session, current_tenant.tenant.id, content, filename, dry_run=dry_run)
    if not report.ok:
        bad_rows = len({e.row for e in report.errors})
        fields = {}
        for error in report.errors:
            fields.setdefault(f"rows.{error.row}.{error.field}", (error.vi, error.en))
        message = (f"{bad_rows} dòng có lỗi; chưa ghi dòng nào", f"{bad_rows} rows have errors; nothing was written")
        raise UserError("BAD_USER_INPUT", message, fields)
    return Response(report.as_dict(), status_code=200 if dry_run else 201)


@get("/export", guards=[EXPORT])
async def export(db_session: DbSession, current_tenant: CurrentTenant, format: FromQuery[str | None] = None,
                 lang: FromQuery[str] = "vi") -> Response:
    """Present persons in the import template's columns; the export is recorded in the audit log."""
    fmt = _format(format)
    content = await imports.export(db_session, fmt, lang)
    await audit(db_session, tenant_id=current_tenant.tenant.id, action="export", entity=Person.__tablename__,
                entity_id="*", after={"format": fmt})
    return _download(content, fmt, "nhan-khau")


ROUTES = [
    reference_lists, list_neighbourhoods, create_neighbourhood, list_households, register_household,
    show_household, add_member, change_head, split_household, show_person, update_person, move_member,
    remove_member, record_death, request_move, list_moves, accept_move, reject_move, cancel_move, search,
    show_statistics, show_district_statistics, import_template, import_upload, export,
]
