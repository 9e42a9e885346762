"""GraphQL of ``residents``: ``residents { households, household, persons, person, statistics,
districtStatistics, neighbourhoods, incomingMoves }`` and the ``residents…`` mutations, thin over
:mod:`.services`.

Access is the REST routes' own: each field and mutation requires the permission its route does; lists
and lookups are narrowed by the caller's row filters (a neighbourhood head sees their neighbourhood, a
resident their household). ``idNumber``, ``ethnicity`` and ``religion`` need
``residents.person.identity:read``, and each batch of such reads is written to the audit log.

A household's members, a person's household and the other plugins' sections come through data loaders:
listing 50 households with their members and their sections costs the same statements as listing 5.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from datetime import date
from typing import Any

import strawberry
from sqlalchemy import Select, select
from strawberry.permission import PermissionExtension
from strawberry.types.nodes import SelectedField

from core.toolkit import (
    Connection,
    GraphQLContribution,
    Requires,
    TenantScope,
    audit,
    bad_input,
    paginate,
    request_access,
    rescoped,
    units_scope,
)
from plugins.residents import reference as ref
from plugins.residents import services, statistics
from plugins.residents.models import Household, Move, Neighbourhood, Person
from plugins.residents.normalize import normalize
from plugins.residents.plugin import IDENTITY
from plugins.residents.search import _prefix, _within, person_query
from plugins.residents.sections import household_sections_for, sections_for
from plugins.residents.services import Ward
from plugins.residents.validation import BirthDate

HOUSEHOLD_READ, HOUSEHOLD_WRITE = "residents.household:read", "residents.household:write"
PERSON_READ, PERSON_WRITE = "residents.person:read", "residents.person:write"
STATISTICS_READ = "residents.statistics:read"
POLICY_FAMILIES_HOOK = "wardhub_residents_policy_family_counts"


def needs(permission: str) -> list:
    return [PermissionExtension([Requires(permission)])]


async def _narrow(info: strawberry.Info, query: Select, resource: str) -> Select:
    access = await request_access(info.context.request)
    return access.filter(query, resource)


def _masked(number: str | None) -> str | None:
    return None if not number else "•" * 9 + number[-3:]


async def _audited_identity(info: strawberry.Info, person_id: uuid.UUID) -> None:
    """One audit entry per batch of persons whose identity fields were read."""
    async def load(ids):
        # The gateway commits a query's transaction (even one with errors elsewhere): the read stays recorded.
        tenant_id = info.context.tenant.tenant.id
        async with info.context.session.exclusive() as session:
            await audit(session, tenant_id=tenant_id, action="read", entity=Person.__tablename__,
                        entity_id=str(ids[0]) if len(ids) == 1 else "*",
                        after={"fields": ["id_number", "ethnicity", "religion"], "ids": [str(i) for i in ids]})
        return [None] * len(ids)

    await info.context.loader("residents.identity_audit", load).load(person_id)


# -- types -----------------------------------------------------------------------------------------------

@strawberry.type(name="ResidentsSectionItem")
class SectionItem:
    label_vi: str
    label_en: str
    value: str
    value_en: str | None = None


@strawberry.type(name="ResidentsPersonSection")
class PersonSection:
    plugin: str
    key: str
    title_vi: str
    title_en: str
    items: list[SectionItem]


def _section(data: dict[str, Any]) -> PersonSection:
    return PersonSection(plugin=data["plugin"], key=data["key"], title_vi=data["title_vi"], title_en=data["title_en"],
                         items=[SectionItem(label_vi=i["label_vi"], label_en=i["label_en"], value=str(i["value"]),
                                            value_en=i.get("value_en")) for i in data.get("items") or []])


@strawberry.type(name="ResidentsNeighbourhoodNode")
class NeighbourhoodNode:
    id: uuid.UUID
    code: str
    name: str
    kind: str
    parent_id: uuid.UUID | None


def neighbourhood_node(n: Neighbourhood) -> NeighbourhoodNode:
    return NeighbourhoodNode(id=n.id, code=n.code, name=n.name, kind=n.kind, parent_id=n.parent_id)


@strawberry.type(name="ResidentsPersonNode")
class PersonNode:
    id: uuid.UUID
    full_name: str
    birth_date: str
    birth_year: int
    sex: str
    household_id: uuid.UUID | None
    relation: str | None
    status: str
    status_date: date | None
    nationality: str
    occupation: str | None
    phone: str | None
    moved_to: str | None
    version: int
    id_number_masked: str | None
    _id_number: strawberry.Private[str | None]
    _ethnicity: strawberry.Private[str]
    _religion: strawberry.Private[str]

    # Nullable: a caller without the permission gets an error on these fields only, and the rest of the
    # answer (resolved alongside, on the same session) completes before the gateway ends the transaction.
    @strawberry.field(extensions=needs(IDENTITY))
    async def id_number(self, info: strawberry.Info) -> str | None:
        await _audited_identity(info, self.id)
        return self._id_number

    @strawberry.field(extensions=needs(IDENTITY))
    async def ethnicity(self, info: strawberry.Info) -> str | None:
        await _audited_identity(info, self.id)
        return self._ethnicity

    @strawberry.field(extensions=needs(IDENTITY))
    async def religion(self, info: strawberry.Info) -> str | None:
        await _audited_identity(info, self.id)
        return self._religion

    @strawberry.field(extensions=needs(HOUSEHOLD_READ))
    async def household(self, info: strawberry.Info) -> HouseholdNode | None:
        if self.household_id is None:
            return None
        return await _household_loader(info).load(self.household_id)

    @strawberry.field
    async def sections(self, info: strawberry.Info) -> list[PersonSection]:
        """What other plugins show about this person (military service, allowances…), batched per page."""
        return await _sections_loader(info).load(self.id)


# What a PersonNode is made of, in the order person_row_node unpacks them. A page of households has a few
# hundred members: selected as these columns (still an ORM statement: the session's tenant criteria and the
# caller's row filters apply as to select(Person)) and unpacked by position, they cost a fraction of ORM
# objects or of reading a row's fields by name (~2 µs each here, against ~30 ns by position).
PERSON_NODE_COLUMNS = (Person.id, Person.full_name, Person.birth_year, Person.birth_month, Person.birth_day,
                       Person.sex, Person.household_id, Person.relation, Person.status, Person.status_date,
                       Person.nationality, Person.occupation, Person.phone, Person.moved_to, Person.version,
                       Person.id_number, Person.ethnicity, Person.religion)
_PERSON_NODE_KEYS = tuple(c.key for c in PERSON_NODE_COLUMNS)


def person_row_node(row: Any) -> PersonNode:
    """A PersonNode from a row of PERSON_NODE_COLUMNS."""
    (id_, full_name, birth_year, birth_month, birth_day, sex, household_id, relation, status, status_date,
     nationality, occupation, phone, moved_to, version, id_number, ethnicity, religion) = row
    return PersonNode(
        id=id_, full_name=full_name, birth_date=str(BirthDate(birth_year, birth_month, birth_day)),
        birth_year=birth_year, sex=sex, household_id=household_id, relation=relation, status=status,
        status_date=status_date, nationality=nationality, occupation=occupation, phone=phone, moved_to=moved_to,
        version=version, id_number_masked=_masked(id_number), _id_number=id_number, _ethnicity=ethnicity,
        _religion=religion)


def person_node(p: Person) -> PersonNode:
    return person_row_node([getattr(p, key) for key in _PERSON_NODE_KEYS])


@strawberry.type(name="ResidentsHouseholdNode")
class HouseholdNode:
    id: uuid.UUID
    code: str
    address: str
    neighbourhood_id: uuid.UUID | None
    status: str
    version: int

    @strawberry.field(extensions=needs(PERSON_READ))
    async def members(self, info: strawberry.Info) -> list[PersonNode]:
        """Present members, head first, then eldest first (only those the caller may see)."""
        return await _members_loader(info).load(self.id)

    @strawberry.field(extensions=needs(PERSON_READ))
    async def head(self, info: strawberry.Info) -> PersonNode | None:
        people = await _members_loader(info).load(self.id)
        return next((p for p in people if p.relation == ref.HEAD), None)

    @strawberry.field
    async def sections(self, info: strawberry.Info) -> list[PersonSection]:
        """What other plugins show about this household (policy family, poverty standing…), batched per page."""
        return await _household_sections_loader(info).load(self.id)


def household_node(h: Household) -> HouseholdNode:
    return HouseholdNode(id=h.id, code=h.code, address=h.address, neighbourhood_id=h.neighbourhood_id,
                         status=h.status, version=h.version)


def _member_order(p: Person | PersonNode) -> tuple:
    return (p.relation != ref.HEAD, p.birth_year, p.full_name)


def _members_loader(info: strawberry.Info):
    async def load(ids):
        query = select(*PERSON_NODE_COLUMNS).where(Person.household_id.in_(ids), Person.status == ref.PRESENT)
        query = await _narrow(info, query, "residents.person")
        grouped: dict[uuid.UUID, list[PersonNode]] = defaultdict(list)
        for row in await info.context.session.execute(query):
            node = person_row_node(row)
            grouped[node.household_id].append(node)
        return [sorted(grouped[i], key=_member_order) for i in ids]

    return info.context.loader("residents.members", load)


def _household_loader(info: strawberry.Info):
    async def load(ids):
        query = await _narrow(info, select(Household).where(Household.id.in_(ids)), "residents.household")
        found = {h.id: h for h in (await info.context.session.execute(query)).scalars()}
        return [household_node(found[i]) if i in found else None for i in ids]

    return info.context.loader("residents.household", load)


def _sections_loader(info: strawberry.Info):
    async def load(ids):
        current = info.context.tenant
        manager = info.context.request.app.state.plugins
        # The hooks run savepoints and their own statements: hold the request's session for the whole batch.
        access = await request_access(info.context.request)
        async with info.context.session.exclusive() as session:
            found = await sections_for(manager, current.plugins, current.tenant, session, list(ids), access.allows,
                                       info.context.request.app.state.access.catalog.sensitive())
        return [[_section(s) for s in found.get(i, [])] for i in ids]

    return info.context.loader("residents.sections", load)


def _household_sections_loader(info: strawberry.Info):
    async def load(ids):
        current = info.context.tenant
        manager = info.context.request.app.state.plugins
        access = await request_access(info.context.request)
        sensitive = info.context.request.app.state.access.catalog.sensitive()
        async with info.context.session.exclusive() as session:
            found = await household_sections_for(manager, current.plugins, current.tenant, session, list(ids),
                                                 access.allows, sensitive)
        return [[_section(s) for s in found.get(i, [])] for i in ids]

    return info.context.loader("residents.household_sections", load)


@strawberry.type(name="ResidentsMoveNode")
class MoveNode:
    id: uuid.UUID
    direction: str
    status: str
    other_unit: str
    person_id: uuid.UUID | None
    full_name: str | None
    birth_year: int | None
    sex: str | None
    id_number_masked: str | None
    move_date: date
    note: str | None
    reason: str | None


def move_node(m: Move) -> MoveNode:
    summary = m.summary or {}
    return MoveNode(id=m.id, direction=m.direction, status=m.status, other_unit=m.other_tenant_key,
                    person_id=m.person_id, full_name=summary.get("full_name"), birth_year=summary.get("birth_year"),
                    sex=summary.get("sex"), id_number_masked=_masked(summary.get("id_number")), move_date=m.move_date,
                    note=m.note, reason=m.reason)


@strawberry.type(name="ResidentsCount")
class Count:
    code: str
    label_vi: str
    label_en: str
    persons: int


@strawberry.type(name="ResidentsUnitCount")
class UnitCount:
    tenant_id: uuid.UUID
    unit: str | None
    households: int
    persons: int


@strawberry.type(name="ResidentsNeighbourhoodCount")
class NeighbourhoodCount:
    tenant_id: uuid.UUID
    id: uuid.UUID | None
    code: str | None
    name: str | None
    households: int
    persons: int


@strawberry.type(name="ResidentsPolicyFamily")
class PolicyFamily:
    code: str
    title_vi: str
    title_en: str
    households: int


@strawberry.type(name="ResidentsStatistics")
class Statistics:
    as_of: date
    households: int
    persons: int
    by_unit: list[UnitCount]
    by_sex: list[Count]
    by_age_band: list[Count]
    by_ethnicity: list[Count]
    by_religion: list[Count]
    by_neighbourhood: list[NeighbourhoodCount]
    policy_families: list[PolicyFamily] | None


def _count(row: dict[str, Any]) -> Count:
    return Count(code=row["code"], label_vi=row.get("vi", ""), label_en=row.get("en", ""), persons=row["persons"])


def statistics_node(figures: dict[str, Any]) -> Statistics:
    families = figures["policy_families"]
    return Statistics(
        as_of=date.fromisoformat(figures["as_of"]), households=figures["households"], persons=figures["persons"],
        by_unit=[UnitCount(tenant_id=r["tenant_id"], unit=r["unit"], households=r["households"],
                           persons=r["persons"]) for r in figures["by_unit"]],
        by_sex=[_count(r) for r in figures["by_sex"]],
        by_age_band=[_count(r) for r in figures["by_age_band"]],
        by_ethnicity=[_count(r) for r in figures["by_ethnicity"]],
        by_religion=[_count(r) for r in figures["by_religion"]],
        by_neighbourhood=[NeighbourhoodCount(tenant_id=r["tenant_id"], id=r["id"], code=r["code"], name=r["name"],
                                             households=r["households"], persons=r["persons"])
                          for r in figures["by_neighbourhood"]],
        policy_families=None if families is None else [PolicyFamily(**f) for f in families],
    )


def wanted_figures(info: strawberry.Info) -> set[str] | None:
    """The figures a ``Statistics`` selection asks for (None, meaning all, when it uses fragments)."""
    wanted = set()
    for field in info.selected_fields:
        for selection in field.selections:
            if not isinstance(selection, SelectedField):
                return None
            wanted.add(_SNAKE.sub(r"_\1", selection.name).lower())
    return wanted


_SNAKE = re.compile(r"(?<=[a-z])([A-Z])")


async def compute_statistics(request: Any, current: Any, session: Any,
                             figures: set[str] | None = None) -> dict[str, Any]:
    """The figures over ``session``'s scope, with the policy families of ``current``'s enabled plugins
    (``figures``: only these, see :func:`statistics.compute`)."""
    manager = request.app.state.plugins

    async def policy_families() -> list:
        results = await manager.call_each(POLICY_FAMILIES_HOOK, current.plugins, tenant=current.tenant,
                                          session=session)
        return [r.value for r in results if r.error is None]

    return await statistics.compute(session, policy_families=policy_families, figures=figures)


async def district_statistics(request: Any, gateway_session: Any = None,
                              figures: set[str] | None = None) -> dict[str, Any]:
    """The request's unit and every unit below it that the caller reaches (a district's wards), summed.

    From GraphQL pass the request's session (``info.context.session``): the figures are read in its
    transaction, widened to the units below, instead of through a second connection."""
    current = await request_access(request)
    if gateway_session is None:
        async with request.app.state.db.session(await units_scope(request)) as session:
            return await compute_statistics(request, current.tenant, session)
    async with gateway_session.exclusive() as session:
        scope = await units_scope(request, session)
        async with rescoped(session, scope):
            return await compute_statistics(request, current.tenant, session, figures)


# -- query -------------------------------------------------------------------------------------------------

@strawberry.type
class ResidentsQuery:
    @strawberry.field(extensions=needs(HOUSEHOLD_READ))
    async def households(self, info: strawberry.Info, search: str | None = None,
                         neighbourhood_id: uuid.UUID | None = None, status: str | None = "active",
                         first: int | None = None, after: str | None = None) -> Connection[HouseholdNode]:
        """Households whose code starts with ``search`` (accent-insensitive), in a neighbourhood (with its
        residential groups) if given."""
        query = select(Household)
        text = normalize(search)
        if text:
            query = query.where(_prefix(Household.search_code, text))
        areas = await _within(info.context.session, neighbourhood_id)
        if areas is not None:
            query = query.where(Household.neighbourhood_id.in_(areas))
        if status:
            query = query.where(Household.status == status)
        query = await _narrow(info, query, "residents.household")
        return await paginate(info.context.session, query, Household.id, first=first, after=after,
                              to_node=household_node)

    @strawberry.field(extensions=needs(HOUSEHOLD_READ))
    async def household(self, info: strawberry.Info, id: uuid.UUID) -> HouseholdNode | None:
        return await _household_loader(info).load(id)

    @strawberry.field(extensions=needs(PERSON_READ))
    async def persons(self, info: strawberry.Info, search: str | None = None, neighbourhood_id: uuid.UUID | None = None,
                      household_id: uuid.UUID | None = None, sex: str | None = None, status: str | None = ref.PRESENT,
                      first: int | None = None, after: str | None = None) -> Connection[PersonNode]:
        """Persons by a prefix of the name or given name (accent-insensitive), or of the identification
        number (which needs ``residents.person.identity:read``: it would tell who holds a number)."""
        text = normalize(search)
        if text.replace(" ", "").isdigit():
            (await request_access(info.context.request)).require(IDENTITY)
        if status and status not in {t.code for t in ref.STATUSES}:
            raise bad_input("status", "Tình trạng không hợp lệ", "Not a valid status")
        query = person_query(text, status).with_only_columns(Person)
        areas = await _within(info.context.session, neighbourhood_id)
        if areas is not None:
            query = query.where(Household.neighbourhood_id.in_(areas))
        if household_id is not None:
            query = query.where(Person.household_id == household_id)
        if sex:
            query = query.where(Person.sex == sex)
        query = await _narrow(info, query, "residents.person")
        return await paginate(info.context.session, query, Person.id, first=first, after=after, to_node=person_node)

    @strawberry.field(extensions=needs(PERSON_READ))
    async def person(self, info: strawberry.Info, id: uuid.UUID) -> PersonNode | None:
        query = await _narrow(info, select(Person).where(Person.id == id), "residents.person")
        found = await info.context.session.scalar(query)
        return person_node(found) if found else None

    @strawberry.field(extensions=needs(HOUSEHOLD_READ))
    async def neighbourhoods(self, info: strawberry.Info) -> list[NeighbourhoodNode]:
        return [neighbourhood_node(n) for n in await services.list_neighbourhoods(info.context.session)]

    @strawberry.field(extensions=needs(PERSON_WRITE))
    async def incoming_moves(self, info: strawberry.Info, status: str | None = "pending", first: int | None = None,
                             after: str | None = None) -> Connection[MoveNode]:
        """Moves from other wards waiting for this ward to accept (or, with ``status``, decided ones), paged by
        id, that is oldest request first (``GET /moves`` lists newest first)."""
        query = services.moves_query(direction="in", status=status)
        return await paginate(info.context.session, query, Move.id, first=first, after=after, to_node=move_node)

    @strawberry.field(extensions=needs(STATISTICS_READ))
    async def statistics(self, info: strawberry.Info) -> Statistics:
        """This unit's figures (a ward's own; a district's own rows, which are none: see districtStatistics)."""
        return statistics_node(await compute_statistics(info.context.request, info.context.tenant,
                                                        info.context.session, wanted_figures(info)))

    @strawberry.field(extensions=needs(STATISTICS_READ))
    async def district_statistics(self, info: strawberry.Info) -> Statistics:
        """The figures summed over this unit and the units below it (a district's wards), ``byUnit`` per ward."""
        return statistics_node(await district_statistics(info.context.request, info.context.session,
                                                         wanted_figures(info)))


# -- mutations -----------------------------------------------------------------------------------------------

@strawberry.input(name="ResidentsPersonInput")
class PersonInput:
    full_name: str
    sex: str
    birth_date: str | None = None
    birth_year: int | None = None
    id_number: str | None = None
    ethnicity: str | None = None
    religion: str | None = None
    nationality: str | None = None
    occupation: str | None = None
    phone: str | None = None
    relation: str | None = None


def _person_data(person: PersonInput) -> dict[str, Any]:
    return {k: v for k, v in vars(person).items() if v is not None}


@strawberry.input(name="ResidentsRelationInput")
class RelationInput:
    person_id: uuid.UUID
    relation: str


def _relations(rows: list[RelationInput] | None) -> dict[str, str] | None:
    return None if rows is None else {str(r.person_id): r.relation for r in rows}


@strawberry.input(name="ResidentsRegisterHouseholdInput")
class RegisterHouseholdInput:
    code: str
    address: str
    members: list[PersonInput]
    neighbourhood_id: uuid.UUID | None = None


@strawberry.type(name="ResidentsHouseholdPayload")
class HouseholdPayload:
    household: HouseholdNode


@strawberry.type(name="ResidentsPersonPayload")
class PersonPayload:
    person: PersonNode


@strawberry.mutation(extensions=needs(HOUSEHOLD_WRITE))
async def residents_register_household(info: strawberry.Info, input: RegisterHouseholdInput) -> HouseholdPayload:
    data = {"code": input.code, "address": input.address, "neighbourhood_id": input.neighbourhood_id,
            "members": [_person_data(m) for m in input.members]}
    return HouseholdPayload(household=household_node(await services.register_household(info.context.session, data)))


@strawberry.input(name="ResidentsAddMemberInput")
class AddMemberInput:
    household_id: uuid.UUID
    person: PersonInput


@strawberry.mutation(extensions=needs(HOUSEHOLD_WRITE))
async def residents_add_member(info: strawberry.Info, input: AddMemberInput) -> PersonPayload:
    person = await services.add_member(info.context.session, input.household_id, _person_data(input.person))
    return PersonPayload(person=person_node(person))


@strawberry.input(name="ResidentsMoveMemberInput")
class MoveMemberInput:
    person_id: uuid.UUID
    household_id: uuid.UUID
    relation: str
    new_head_id: uuid.UUID | None = None


@strawberry.mutation(extensions=needs(PERSON_WRITE))
async def residents_move_member(info: strawberry.Info, input: MoveMemberInput) -> PersonPayload:
    data = {"household_id": input.household_id, "relation": input.relation, "new_head_id": input.new_head_id}
    return PersonPayload(person=person_node(await services.move_member(info.context.session, input.person_id, data)))


@strawberry.input(name="ResidentsRemoveMemberInput")
class RemoveMemberInput:
    person_id: uuid.UUID
    reason: str
    destination: str | None = None
    date: str | None = None
    new_head_id: uuid.UUID | None = None


@strawberry.type(name="ResidentsRemoveMemberPayload")
class RemoveMemberPayload:
    removed_id: uuid.UUID
    person: PersonNode | None


@strawberry.mutation(extensions=needs(PERSON_WRITE))
async def residents_remove_member(info: strawberry.Info, input: RemoveMemberInput) -> RemoveMemberPayload:
    data = {k: v for k, v in vars(input).items() if k != "person_id" and v is not None}
    person = await services.remove_member(info.context.session, input.person_id, data)
    return RemoveMemberPayload(removed_id=input.person_id, person=person_node(person) if person else None)


@strawberry.input(name="ResidentsChangeHeadInput")
class ChangeHeadInput:
    household_id: uuid.UUID
    new_head_id: uuid.UUID
    former_head_relation: str | None = None
    relations: list[RelationInput] | None = None


@strawberry.mutation(extensions=needs(HOUSEHOLD_WRITE))
async def residents_change_head(info: strawberry.Info, input: ChangeHeadInput) -> HouseholdPayload:
    data = {"new_head_id": input.new_head_id, "former_head_relation": input.former_head_relation,
            "relations": _relations(input.relations)}
    data = {k: v for k, v in data.items() if v is not None}
    household = await services.change_head(info.context.session, input.household_id, data)
    return HouseholdPayload(household=household_node(household))


@strawberry.input(name="ResidentsSplitHouseholdInput")
class SplitHouseholdInput:
    household_id: uuid.UUID
    member_ids: list[uuid.UUID]
    new_head_id: uuid.UUID
    code: str
    address: str | None = None
    neighbourhood_id: uuid.UUID | None = None
    relations: list[RelationInput] | None = None
    remaining_head_id: uuid.UUID | None = None


@strawberry.mutation(extensions=needs(HOUSEHOLD_WRITE))
async def residents_split_household(info: strawberry.Info, input: SplitHouseholdInput) -> HouseholdPayload:
    data = {"member_ids": [str(i) for i in input.member_ids], "new_head_id": input.new_head_id, "code": input.code,
            "address": input.address, "relations": _relations(input.relations),
            "remaining_head_id": input.remaining_head_id}
    if input.neighbourhood_id is not None:
        data["neighbourhood_id"] = input.neighbourhood_id
    data = {k: v for k, v in data.items() if v is not None}
    household = await services.split_household(info.context.session, input.household_id, data)
    return HouseholdPayload(household=household_node(household))


@strawberry.input(name="ResidentsRecordDeathInput")
class RecordDeathInput:
    person_id: uuid.UUID
    date: str | None = None
    new_head_id: uuid.UUID | None = None


@strawberry.mutation(extensions=needs(PERSON_WRITE))
async def residents_record_death(info: strawberry.Info, input: RecordDeathInput) -> PersonPayload:
    data = {k: v for k, v in vars(input).items() if k != "person_id" and v is not None}
    return PersonPayload(person=person_node(await services.record_death(info.context.session, input.person_id, data)))


@strawberry.input(name="ResidentsRequestMoveInput")
class RequestMoveInput:
    person_id: uuid.UUID
    to: str
    date: str | None = None
    note: str | None = None


@strawberry.type(name="ResidentsMovePayload")
class MovePayload:
    move: MoveNode


def _this_ward(info: strawberry.Info) -> Ward:
    return Ward(info.context.tenant.tenant.id, info.context.tenant.tenant.key)


@strawberry.mutation(extensions=needs(PERSON_WRITE))
async def residents_request_move(info: strawberry.Info, input: RequestMoveInput) -> MovePayload:
    """Ask another ward (``to``: its code) to take the person in; they stay here until it accepts. Written in
    a transaction over both wards, committed when this mutation succeeds."""
    from plugins.residents.routes import _receiving_ward

    request = info.context.request
    async with info.context.session.exclusive() as session:
        target = await _receiving_ward(request, input.to, session)
    source = _this_ward(info)
    data = {k: v for k, v in vars(input).items() if k not in ("person_id", "to") and v is not None}
    async with info.context.session.exclusive(TenantScope.of(source.id, target.id)) as session:
        move = await services.request_move(session, input.person_id, source=source, target=target, data=data)
        return MovePayload(move=move_node(move))


@strawberry.input(name="ResidentsNewHouseholdInput")
class NewHouseholdInput:
    code: str
    address: str
    neighbourhood_id: uuid.UUID | None = None


@strawberry.input(name="ResidentsAcceptMoveInput")
class AcceptMoveInput:
    move_id: uuid.UUID
    household_id: uuid.UUID | None = None
    relation: str | None = None
    household: NewHouseholdInput | None = None


@strawberry.mutation(extensions=needs(PERSON_WRITE))
async def residents_accept_move(info: strawberry.Info, input: AcceptMoveInput) -> PersonPayload:
    """Take the person in: ``householdId`` and ``relation``, or ``household`` (a new one they head)."""
    ward = _this_ward(info)
    move = await services.get_move(info.context.session, ward.id, input.move_id)
    data: dict[str, Any] = {"household_id": input.household_id, "relation": input.relation}
    if input.household is not None:
        data = {"household": {k: v for k, v in vars(input.household).items() if v is not None}}
    async with info.context.session.exclusive(TenantScope.of(ward.id, move.other_tenant_id)) as session:
        person = await services.accept_move(session, input.move_id, target=ward, data=data)
        household = await services.get_household(session, person.household_id)
    _household_loader(info).prime(household.id, household_node(household))
    return PersonPayload(person=person_node(person))


contribution = GraphQLContribution(
    query=ResidentsQuery,
    mutations=[residents_register_household, residents_add_member, residents_move_member, residents_remove_member,
               residents_change_head, residents_split_household, residents_record_death, residents_request_move,
               residents_accept_move],
)
