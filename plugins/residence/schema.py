"""GraphQL of residence: the ``residence`` root field and the ``residence…`` mutations, thin over services.

Lists are Relay connections (``first`` ≤ 500). A registration's person name and a stay's establishment
name come through request-scoped data loaders (one query per list, never one per row). Guests'
document numbers are shown to holders of ``residence.stay.guest:read`` and masked for others. Field
errors name the input's fields in camelCase (``endDate``, ``stays.2.guestDocument``).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from sqlalchemy import select
from strawberry.permission import PermissionExtension

from core.toolkit import Connection, GraphQLContribution, Requires, UserError, audit, paginate, request_access
from plugins.residence import services
from plugins.residence.models import Establishment, Registration, Stay
from plugins.residence.plugin import GUEST_IDENTITY
from plugins.residents.models import Person

T = TypeVar("T")


def guarded(permission: str) -> list:
    return [PermissionExtension([Requires(permission)])]


def _camel(name: str) -> str:
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)


async def _translated(call: Awaitable[T]) -> T:
    """Services name fields in snake_case; GraphQL clients see their input's camelCase names."""
    try:
        return await call
    except UserError as error:
        if error.fields:
            error.fields = {_camel(k): v for k, v in error.fields.items()}
        raise


def _snake(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


class _Caller:
    """The request's access with residence's narrowing (row filters, or a linked operator token)."""

    def __init__(self, access) -> None:
        self.access = access
        self.filter = services.operator_narrow(access.filter, access.principal, access.grant.roles)
        self.principal = access.principal

    def allows(self, permission: str) -> bool:
        return self.access.allows(permission)


async def _access(info: strawberry.Info) -> _Caller:
    return _Caller(await request_access(info.context.request))


# -- types ---------------------------------------------------------------------------------------------

@strawberry.type
class RegistrationNode:
    id: uuid.UUID
    kind: str
    person_id: uuid.UUID
    address: str
    neighbourhood_id: uuid.UUID | None
    start_date: dt.date
    end_date: dt.date | None
    status: str
    renewed_from_id: uuid.UUID | None
    destination: str | None
    closed_on: dt.date | None

    @strawberry.field
    async def person_name(self, info: strawberry.Info) -> str | None:
        async def load(ids):
            rows = await info.context.session.execute(select(Person.id, Person.full_name).where(Person.id.in_(ids)))
            names = {key: name for key, name in rows}
            return [names.get(i) for i in ids]

        return await info.context.loader("residence.person_name", load).load(self.person_id)

    @classmethod
    def of(cls, row: Registration) -> RegistrationNode:
        return cls(id=row.id, kind=row.kind, person_id=row.person_id, address=row.address,
                   neighbourhood_id=row.neighbourhood_id, start_date=row.start_date, end_date=row.end_date,
                   status=row.status, renewed_from_id=row.renewed_from_id, destination=row.destination,
                   closed_on=row.closed_on)


@strawberry.type
class EstablishmentNode:
    id: uuid.UUID
    code: str
    name: str
    kind: str
    address: str
    rooms: int
    status: str

    @classmethod
    def of(cls, row: Establishment) -> EstablishmentNode:
        return cls(id=row.id, code=row.code, name=row.name, kind=row.kind, address=row.address, rooms=row.rooms,
                   status=row.status)


@strawberry.type
class StayNode:
    id: uuid.UUID
    establishment_id: uuid.UUID
    guest_name: str
    guest_nationality: str
    guest_document: str | None
    guest_document_masked: str
    guest_birth_year: int | None
    room: str
    arrival: dt.datetime
    planned_departure: dt.datetime
    departed_at: dt.datetime | None

    @strawberry.field
    async def establishment_name(self, info: strawberry.Info) -> str | None:
        async def load(ids):
            names = await services.establishment_names(info.context.session, ids)
            return [names.get(i) for i in ids]

        return await info.context.loader("residence.establishment_name", load).load(self.establishment_id)

    @classmethod
    def of(cls, row: Stay, identity: bool) -> StayNode:
        return cls(id=row.id, establishment_id=row.establishment_id, guest_name=row.guest_name,
                   guest_nationality=row.guest_nationality,
                   guest_document=row.guest_document if identity else None,
                   guest_document_masked="•" * max(len(row.guest_document) - 3, 0) + row.guest_document[-3:],
                   guest_birth_year=row.guest_birth_year if identity else None, room=row.room,
                   arrival=services.from_db(row.arrival), planned_departure=services.from_db(row.planned_departure),
                   departed_at=services.from_db(row.departed_at))


@strawberry.type
class Expiring:
    ending: list[RegistrationNode]
    expired: list[RegistrationNode]


@strawberry.type
class NeighbourhoodCount:
    neighbourhood_id: uuid.UUID | None
    name: str | None
    permanent: int
    temporary: int


@strawberry.type
class OccupancyDay:
    night: dt.date
    guests: int
    rooms: int
    capacity: int
    rate: float


async def _record_read(info: strawberry.Info, ids: list[uuid.UUID]) -> None:
    """Guests' document numbers were shown: recorded in the audit log, as the REST routes do."""
    tenant = info.context.tenant
    if not ids or tenant is None:
        return
    async with info.context.session.exclusive() as session:
        await audit(session, tenant_id=tenant.tenant.id, action="read", entity=Stay.__tablename__,
                    entity_id=",".join(str(i) for i in ids[:50]) + ("…" if len(ids) > 50 else ""),
                    after={"fields": ["guest_document", "guest_birth_year"], "count": len(ids), "via": "graphql"})


async def _stays(info: strawberry.Info, query, first: int | None, after: str | None) -> Connection[StayNode]:
    access = await _access(info)
    identity = access.allows(GUEST_IDENTITY)
    query = access.filter(query.order_by(None), "residence.stay")
    connection = await paginate(info.context.session, query, Stay.id, first=first, after=after,
                                to_node=lambda row: StayNode.of(row, identity))
    if identity:
        await _record_read(info, [edge.node.id for edge in connection.edges])
    return connection


@strawberry.type
class ResidenceQuery:
    @strawberry.field(extensions=guarded("residence.registration:read"))
    async def registrations(self, info: strawberry.Info, kind: str | None = None, status: str | None = None,
                            person_id: uuid.UUID | None = None, first: int | None = None,
                            after: str | None = None) -> Connection[RegistrationNode]:
        query = services.registrations_query(kind=kind, status=status, person_id=person_id)
        return await paginate(info.context.session, query, Registration.id, first=first, after=after,
                              to_node=RegistrationNode.of)

    @strawberry.field(extensions=guarded("residence.registration:read"))
    async def history(self, info: strawberry.Info, person_id: uuid.UUID) -> list[RegistrationNode]:
        return [RegistrationNode.of(r) for r in await services.history(info.context.session, person_id)]

    @strawberry.field(extensions=guarded("residence.registration:read"))
    async def expiring(self, info: strawberry.Info, days: int = services.EXPIRY_WINDOW_DAYS) -> Expiring:
        found = await services.expiring(info.context.session, days=min(max(days, 1), 366))
        return Expiring(ending=[RegistrationNode.of(r) for r in found["ending"]],
                        expired=[RegistrationNode.of(r) for r in found["expired"]])

    @strawberry.field(extensions=guarded("residence.establishment:read"))
    async def establishments(self, info: strawberry.Info, first: int | None = None,
                             after: str | None = None) -> Connection[EstablishmentNode]:
        """The establishments the caller sees (an operator: its own), paged by id (REST and the pages list
        them by code)."""
        access = await _access(info)
        return await paginate(info.context.session, services.establishments_query(access.filter), Establishment.id,
                              first=first, after=after, to_node=EstablishmentNode.of)

    @strawberry.field(extensions=guarded("residence.stay:read"))
    async def stays(self, info: strawberry.Info, establishment_id: uuid.UUID | None = None, first: int | None = None,
                    after: str | None = None) -> Connection[StayNode]:
        return await _stays(info, services.stays_query(establishment_id=establishment_id), first, after)

    @strawberry.field(extensions=guarded("residence.stay:read"))
    async def stay(self, info: strawberry.Info, id: uuid.UUID) -> StayNode:
        """One declaration: ``FORBIDDEN`` for an operator asking for another establishment's."""
        access = await _access(info)
        row = await _translated(services.get_stay(info.context.session, id, access.filter))
        identity = access.allows(GUEST_IDENTITY)
        if identity:
            await _record_read(info, [row.id])
        return StayNode.of(row, identity)

    @strawberry.field(extensions=guarded("residence.establishment:read"))
    async def establishment(self, info: strawberry.Info, id: uuid.UUID) -> EstablishmentNode:
        access = await _access(info)
        return EstablishmentNode.of(await _translated(services.get_establishment(info.context.session, id,
                                                                                 access.filter)))

    @strawberry.field(extensions=guarded("residence.registration:read"))
    async def registration(self, info: strawberry.Info, id: uuid.UUID) -> RegistrationNode:
        return RegistrationNode.of(await services.get_registration(info.context.session, id))

    @strawberry.field(extensions=guarded("residence.police:read"))
    async def current_guests(self, info: strawberry.Info, first: int | None = None,
                             after: str | None = None) -> Connection[StayNode]:
        return await _stays(info, services.current_guests_query(services.now_utc()), first, after)

    @strawberry.field(extensions=guarded("residence.police:read"))
    async def arrivals(self, info: strawberry.Info, day: dt.date | None = None, first: int | None = None,
                       after: str | None = None) -> Connection[StayNode]:
        day = day or services.today_in_vietnam()
        return await _stays(info, services.arrivals_query(day), first, after)

    @strawberry.field(extensions=guarded("residence.police:read"))
    async def overdue_departures(self, info: strawberry.Info, first: int | None = None,
                                 after: str | None = None) -> Connection[StayNode]:
        return await _stays(info, services.overdue_query(services.now_utc()), first, after)

    @strawberry.field(extensions=guarded("residence.statistics:read"))
    async def residents_by_neighbourhood(self, info: strawberry.Info) -> list[NeighbourhoodCount]:
        return [NeighbourhoodCount(**r) for r in await services.residents_by_neighbourhood(info.context.session)]

    @strawberry.field(extensions=guarded("residence.statistics:read"))
    async def occupancy(self, info: strawberry.Info, start: dt.date, end: dt.date) -> list[OccupancyDay]:
        if end < start or (end - start).days > 366:
            raise UserError("BAD_USER_INPUT", ("Khoảng ngày không hợp lệ (tối đa 366 ngày)",
                                               "Not a valid range of days (at most 366)"),
                            {"end": ("Ngày cuối trước ngày đầu hoặc quá xa", "Before the start or too far")})
        return [OccupancyDay(**d) for d in await services.occupancy_by_day(info.context.session, start, end)]


# -- mutations -----------------------------------------------------------------------------------------

@strawberry.input
class PermanentResidenceInput:
    person_id: uuid.UUID
    address: str | None = None
    neighbourhood_id: uuid.UUID | None = None
    start_date: dt.date | None = None
    reason: str | None = None


@strawberry.input
class TemporaryResidenceInput:
    person_id: uuid.UUID
    start_date: dt.date
    end_date: dt.date
    address: str | None = None
    neighbourhood_id: uuid.UUID | None = None
    reason: str | None = None


@strawberry.input
class RenewTemporaryResidenceInput:
    id: uuid.UUID
    end_date: dt.date


@strawberry.input
class AbsenceInput:
    person_id: uuid.UUID
    start_date: dt.date
    end_date: dt.date
    destination: str
    address: str | None = None
    reason: str | None = None


@strawberry.input
class EndRegistrationInput:
    id: uuid.UUID
    closed_on: dt.date | None = None


@strawberry.type
class RegistrationPayload:
    registration: RegistrationNode


@strawberry.input
class EstablishmentInput:
    code: str
    name: str
    address: str
    kind: str = "guesthouse"
    rooms: int = 1
    neighbourhood_id: uuid.UUID | None = None


@strawberry.type
class EstablishmentPayload:
    establishment: EstablishmentNode


@strawberry.input
class GuestStayInput:
    guest_name: str
    guest_document: str
    room: str
    arrival: dt.datetime
    planned_departure: dt.datetime
    guest_nationality: str = "VN"
    guest_birth_year: int | None = None


@strawberry.input
class DeclareStayInput(GuestStayInput):
    establishment_id: uuid.UUID


@strawberry.input
class DeclareStaysInput:
    establishment_id: uuid.UUID
    stays: list[GuestStayInput]


@strawberry.input
class CheckOutInput:
    id: uuid.UUID
    departed_at: dt.datetime | None = None


@strawberry.input
class MarkExpiredInput:
    dry_run: bool = False


@strawberry.input
class LinkOperatorTokenInput:
    establishment_id: uuid.UUID
    token_id: uuid.UUID


@strawberry.type
class OperatorTokenPayload:
    establishment_id: uuid.UUID
    token_id: uuid.UUID


@strawberry.type
class StayPayload:
    stay: StayNode


@strawberry.type
class StaysPayload:
    stays: list[StayNode]


@strawberry.type
class MarkExpiredPayload:
    marked: int


def _registration(call: Callable[..., Awaitable[Registration]]):
    async def run(info: strawberry.Info, input: Any, *args: Any) -> RegistrationPayload:
        data = _snake(strawberry.asdict(input))
        row = await _translated(call(info.context.session, *args, data))
        return RegistrationPayload(registration=RegistrationNode.of(row))

    return run


@strawberry.mutation(extensions=guarded("residence.registration:write"))
async def residence_register_permanent_residence(info: strawberry.Info,
                                                 input: PermanentResidenceInput) -> RegistrationPayload:
    return await _registration(services.register_permanent)(info, input)


@strawberry.mutation(extensions=guarded("residence.registration:write"))
async def residence_declare_temporary_residence(info: strawberry.Info,
                                                input: TemporaryResidenceInput) -> RegistrationPayload:
    return await _registration(services.declare_temporary)(info, input)


@strawberry.mutation(extensions=guarded("residence.registration:write"))
async def residence_renew_temporary_residence(info: strawberry.Info,
                                              input: RenewTemporaryResidenceInput) -> RegistrationPayload:
    row = await _translated(services.renew_temporary(info.context.session, input.id, {"end_date": input.end_date}))
    return RegistrationPayload(registration=RegistrationNode.of(row))


@strawberry.mutation(extensions=guarded("residence.registration:write"))
async def residence_notice_absence(info: strawberry.Info, input: AbsenceInput) -> RegistrationPayload:
    return await _registration(services.notice_absence)(info, input)


@strawberry.mutation(extensions=guarded("residence.registration:write"))
async def residence_end_registration(info: strawberry.Info, input: EndRegistrationInput) -> RegistrationPayload:
    row = await _translated(services.end_registration(info.context.session, input.id,
                                                      _snake({"closed_on": input.closed_on})))
    return RegistrationPayload(registration=RegistrationNode.of(row))


@strawberry.mutation(extensions=guarded("residence.registration:write"))
async def residence_mark_expired(info: strawberry.Info, input: MarkExpiredInput) -> MarkExpiredPayload:
    """What the scheduled job does, for this ward, now (idempotent). ``dryRun`` counts without marking."""
    return MarkExpiredPayload(marked=await services.mark_expired(info.context.session, dry_run=input.dry_run))


@strawberry.mutation(extensions=guarded("residence.establishment:write"))
async def residence_register_establishment(info: strawberry.Info, input: EstablishmentInput) -> EstablishmentPayload:
    row = await _translated(services.create_establishment(info.context.session, _snake(strawberry.asdict(input))))
    return EstablishmentPayload(establishment=EstablishmentNode.of(row))


@strawberry.mutation(extensions=guarded("residence.establishment:write"))
async def residence_link_operator_token(info: strawberry.Info, input: LinkOperatorTokenInput) -> OperatorTokenPayload:
    """Link an API token of this ward holding ``lodging_operator`` to the one establishment it declares for."""
    row = await _translated(services.link_token(info.context.session, input.establishment_id,
                                                {"token_id": input.token_id}))
    return OperatorTokenPayload(establishment_id=row.establishment_id, token_id=row.token_id)


async def _declare(info: strawberry.Info, establishment_id: uuid.UUID, rows: list[dict[str, Any]]) -> list[StayNode]:
    access = await _access(info)
    who = access.principal.label[:80] if access.principal else None
    stays = await _translated(services.declare_stays(info.context.session, establishment_id, rows,
                                                     narrow=access.filter, declared_by=who))
    return [StayNode.of(s, True) for s in stays]


@strawberry.mutation(extensions=guarded("residence.stay:declare"))
async def residence_declare_stay(info: strawberry.Info, input: DeclareStayInput) -> StayPayload:
    data = strawberry.asdict(input)
    establishment_id = data.pop("establishment_id")
    return StayPayload(stay=(await _declare(info, establishment_id, [data]))[0])


@strawberry.mutation(extensions=guarded("residence.stay:declare"))
async def residence_declare_stays(info: strawberry.Info, input: DeclareStaysInput) -> StaysPayload:
    """A batch, all or nothing: every bad guest is reported as ``stays.<n>.<field>``."""
    return StaysPayload(stays=await _declare(info, input.establishment_id,
                                             [strawberry.asdict(s) for s in input.stays]))


@strawberry.mutation(extensions=guarded("residence.stay:declare"))
async def residence_check_out(info: strawberry.Info, input: CheckOutInput) -> StayPayload:
    access = await _access(info)
    stay = await _translated(services.check_out(info.context.session, input.id,
                                                _snake({"departed_at": input.departed_at}), narrow=access.filter))
    return StayPayload(stay=StayNode.of(stay, True))


contribution = GraphQLContribution(
    query=ResidenceQuery,
    mutations=[
        residence_register_permanent_residence, residence_declare_temporary_residence,
        residence_renew_temporary_residence, residence_notice_absence, residence_end_registration,
        residence_mark_expired, residence_register_establishment, residence_link_operator_token,
        residence_declare_stay, residence_declare_stays, residence_check_out,
    ],
)
