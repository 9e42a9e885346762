"""GraphQL of ``military_service``: ``militaryService { register, mustRegister, callUpRoster, counts, grounds }``
and the ``militaryService…`` mutations, thin over :mod:`.services`.

``register``, ``mustRegister`` and ``callUpRoster`` are Relay connections (``first`` ≤ 500, ``after``,
``totalCount``), paged by id. People's names come with the rows (``mustRegister``, ``callUpRoster``: one joined
query a page) or through one batched loader per request (``register``), never one query per row.
``healthClass`` and ``groundCode`` need ``military_service.record.health:read``; each batch of such reads is
audited.
"""

from __future__ import annotations

import uuid
from datetime import date

import strawberry
from sqlalchemy import select
from strawberry.permission import PermissionExtension

from core.toolkit import Connection, GraphQLContribution, Requires, audit, paginate, paginate_rows, parse_year
from plugins.military_service import reference as ref
from plugins.military_service import services
from plugins.military_service.models import CallUp, ServiceRecord
from plugins.military_service.plugin import HEALTH, RECORD_READ, RECORD_WRITE, ROSTER_READ, ROSTER_WRITE
from plugins.residents.models import Person


def needs(permission: str) -> list:
    return [PermissionExtension([Requires(permission)])]


async def _person(info: strawberry.Info, person_id: uuid.UUID) -> Person | None:
    async def load(ids):
        found = await services.persons_by_id(info.context.session, ids)
        return [found.get(i) for i in ids]

    return await info.context.loader("military_service.person", load).load(person_id)


async def _audited_health(info: strawberry.Info, record_id: uuid.UUID) -> None:
    async def load(ids):
        await audit(info.context.session, tenant_id=info.context.tenant.tenant.id, action="read",
                    entity=ServiceRecord.__tablename__, entity_id=str(ids[0]) if len(ids) == 1 else "*",
                    after={"fields": ["health_class", "ground_code"], "ids": [str(i) for i in ids]})
        return [None] * len(ids)

    await info.context.loader("military_service.health_audit", load).load(record_id)


@strawberry.type
class Ground:
    code: str
    kind: str
    article: str
    title_vi: str
    title_en: str


@strawberry.type
class ServiceRecordNode:
    id: uuid.UUID
    person_id: uuid.UUID
    status: str
    registered_on: date
    deferred_until_year: int | None
    enlisted_on: date | None
    discharged_on: date | None
    _health_class: strawberry.Private[int | None]
    _ground_code: strawberry.Private[str | None]

    @strawberry.field
    async def full_name(self, info: strawberry.Info) -> str | None:
        person = await _person(info, self.person_id)
        return person.full_name if person else None

    @strawberry.field
    async def birth_year(self, info: strawberry.Info) -> int | None:
        person = await _person(info, self.person_id)
        return person.birth_year if person else None

    @strawberry.field(extensions=needs(HEALTH))
    async def health_class(self, info: strawberry.Info) -> int | None:
        await _audited_health(info, self.id)
        return self._health_class

    @strawberry.field(extensions=needs(HEALTH))
    async def ground_code(self, info: strawberry.Info) -> str | None:
        await _audited_health(info, self.id)
        return self._ground_code


def record_node(r: ServiceRecord) -> ServiceRecordNode:
    return ServiceRecordNode(id=r.id, person_id=r.person_id, status=r.status, registered_on=r.registered_on,
                             deferred_until_year=r.deferred_until_year, enlisted_on=r.enlisted_on,
                             discharged_on=r.discharged_on, _health_class=r.health_class, _ground_code=r.ground_code)


@strawberry.type
class DueNode:
    person_id: uuid.UUID
    full_name: str
    birth_year: int
    registered: bool


def due_node(p: Person, r: ServiceRecord | None) -> DueNode:
    return DueNode(person_id=p.id, full_name=p.full_name, birth_year=p.birth_year,
                   registered=services.MustRegister(p, r).registered)


@strawberry.type
class CallUpNode:
    id: uuid.UUID
    year: int
    person_id: uuid.UUID
    full_name: str
    birth_year: int
    status: str
    status_date: date | None


def callup_node(c: CallUp, p: Person) -> CallUpNode:
    return CallUpNode(id=c.id, year=c.year, person_id=c.person_id, full_name=p.full_name, birth_year=p.birth_year,
                      status=c.status, status_date=c.status_date)


@strawberry.type
class StatusCount:
    code: str
    title_vi: str
    title_en: str
    count: int


@strawberry.type
class Counts:
    year: int
    register: list[StatusCount]
    roster: list[StatusCount]
    must_register: int
    registered: int


@strawberry.type
class MilitaryServiceQuery:
    @strawberry.field(extensions=needs(RECORD_READ))
    async def register(self, info: strawberry.Info, status: str | None = None, first: int | None = None,
                       after: str | None = None) -> Connection[ServiceRecordNode]:
        query = select(ServiceRecord)
        if services.check_status(status):
            query = query.where(ServiceRecord.status == status)
        return await paginate(info.context.session, query, ServiceRecord.id, first=first, after=after,
                              to_node=record_node)

    @strawberry.field(extensions=needs(RECORD_READ))
    async def must_register(self, info: strawberry.Info, year: int, first: int | None = None,
                            after: str | None = None) -> Connection[DueNode]:
        """Paged by the person's id (the REST list and the page are by name)."""
        query = services.must_register_query(parse_year(year, "year"))
        return await paginate_rows(info.context.session, query, Person.id, first=first, after=after,
                                   to_node=due_node)

    @strawberry.field(extensions=needs(ROSTER_READ))
    async def call_up_roster(self, info: strawberry.Info, year: int, status: str | None = None,
                             first: int | None = None, after: str | None = None) -> Connection[CallUpNode]:
        """Paged by the roster entry's id (the REST list and the page are by name)."""
        query = services.roster_query(parse_year(year, "year"), status)
        return await paginate_rows(info.context.session, query, CallUp.id, first=first, after=after,
                                   to_node=callup_node)

    @strawberry.field(extensions=needs(RECORD_READ))
    async def counts(self, info: strawberry.Info, year: int) -> Counts:
        data = await services.counts(info.context.session, parse_year(year, "year"))

        def listed(values, titles):
            return [StatusCount(code=c, title_vi=titles[c][0], title_en=titles[c][1], count=n)
                    for c, n in values.items()]

        return Counts(year=data["year"], register=listed(data["register"], ref.STATUSES),
                      roster=listed(data["roster"], ref.ROSTER_STATUSES), must_register=data["must_register"],
                      registered=data["registered"])

    @strawberry.field(extensions=needs(RECORD_READ))
    def grounds(self, kind: str | None = None) -> list[Ground]:
        return [Ground(code=g.code, kind=g.kind, article=g.article, title_vi=g.title_vi, title_en=g.title_en)
                for g in ref.GROUNDS if kind in (None, g.kind)]


# -- mutations -------------------------------------------------------------------------------------------

@strawberry.type
class RecordPayload:
    record: ServiceRecordNode


@strawberry.input
class RegisterInput:
    person_id: uuid.UUID
    registered_on: date | None = None
    health_class: int | None = None
    note: str | None = None


@strawberry.input
class HealthInput:
    person_id: uuid.UUID
    health_class: int
    health_checked_on: date | None = None


@strawberry.input
class DeferInput:
    person_id: uuid.UUID
    ground_code: str | None = None
    until_year: int | None = None
    decided_on: date | None = None
    note: str | None = None


@strawberry.input
class ExemptInput:
    person_id: uuid.UUID
    ground_code: str | None = None
    decided_on: date | None = None
    note: str | None = None


@strawberry.input
class EnlistInput:
    person_id: uuid.UUID
    enlisted_on: date | None = None


@strawberry.input
class DischargeInput:
    person_id: uuid.UUID
    discharged_on: date | None = None


def _data(input: object) -> dict:
    return {k: v for k, v in vars(input).items() if k != "person_id"}


@strawberry.mutation(extensions=needs(RECORD_WRITE))
async def military_service_register(info: strawberry.Info, input: RegisterInput) -> RecordPayload:
    return RecordPayload(record=record_node(await services.register(info.context.session, vars(input))))


@strawberry.mutation(extensions=needs(RECORD_WRITE))
async def military_service_record_health(info: strawberry.Info, input: HealthInput) -> RecordPayload:
    record = await services.record_health(info.context.session, input.person_id, _data(input))
    return RecordPayload(record=record_node(record))


@strawberry.mutation(extensions=needs(RECORD_WRITE))
async def military_service_defer(info: strawberry.Info, input: DeferInput) -> RecordPayload:
    return RecordPayload(record=record_node(await services.defer(info.context.session, input.person_id, _data(input))))


@strawberry.mutation(extensions=needs(RECORD_WRITE))
async def military_service_exempt(info: strawberry.Info, input: ExemptInput) -> RecordPayload:
    return RecordPayload(record=record_node(await services.exempt(info.context.session, input.person_id, _data(input))))


@strawberry.mutation(extensions=needs(RECORD_WRITE))
async def military_service_enlist(info: strawberry.Info, input: EnlistInput) -> RecordPayload:
    return RecordPayload(record=record_node(await services.enlist(info.context.session, input.person_id, _data(input))))


@strawberry.mutation(extensions=needs(RECORD_WRITE))
async def military_service_discharge(info: strawberry.Info, input: DischargeInput) -> RecordPayload:
    record = await services.discharge(info.context.session, input.person_id, _data(input))
    return RecordPayload(record=record_node(record))


@strawberry.input
class DrawUpRosterInput:
    year: int
    on: date | None = None


@strawberry.type
class DrawUpRosterPayload:
    added: int


@strawberry.mutation(extensions=needs(ROSTER_WRITE))
async def military_service_draw_up_roster(info: strawberry.Info, input: DrawUpRosterInput) -> DrawUpRosterPayload:
    return DrawUpRosterPayload(added=len(await services.draw_up_roster(info.context.session, input.year, input.on)))


@strawberry.input
class SetRosterStatusInput:
    id: uuid.UUID
    status: str
    on: date | None = None
    ground_code: str | None = None
    until_year: int | None = None
    note: str | None = None


@strawberry.type
class CallUpPayload:
    entry: CallUpNode


@strawberry.mutation(extensions=needs(ROSTER_WRITE))
async def military_service_set_roster_status(info: strawberry.Info, input: SetRosterStatusInput) -> CallUpPayload:
    """listed → summoned → enlisted, or deferred, exempt, unfit; enlisting, deferring and exempting also need
    ``military_service.record:write`` and follow the register's rules (a ground is required)."""
    from core.toolkit import request_access

    if input.status in ("enlisted", "deferred", "exempt"):
        (await request_access(info.context.request)).require(RECORD_WRITE)
    session = info.context.session
    data = {"status": input.status, "date": input.on, "ground_code": input.ground_code,
            "until_year": input.until_year, "note": input.note}
    entry = await services.set_roster_status(session, input.id, data)
    person = (await services.persons_by_id(session, [entry.person_id]))[entry.person_id]
    return CallUpPayload(entry=callup_node(entry, person))


contribution = GraphQLContribution(
    query=MilitaryServiceQuery,
    mutations=[military_service_register, military_service_record_health, military_service_defer,
               military_service_exempt, military_service_enlist, military_service_discharge,
               military_service_draw_up_roster, military_service_set_roster_status],
)
