"""GraphQL of ``economic_units``: ``economicUnits { units(...) unit(id) figures }`` and two mutations, thin
over :mod:`plugins.economic_units.services` (same checks, same errors: ``BAD_USER_INPUT`` with fields)."""

from __future__ import annotations

import uuid
from datetime import date

import strawberry
from strawberry.permission import PermissionExtension

from core.toolkit import Connection, GraphQLContribution, Requires, paginate
from plugins.economic_units import reference as ref
from plugins.economic_units import services
from plugins.economic_units.models import EconomicUnit

READ = [PermissionExtension([Requires("economic_units.unit:read")])]
WRITE = [PermissionExtension([Requires("economic_units.unit:write")])]


@strawberry.type
class StatusChangeNode:
    from_status: str | None
    to_status: str
    changed_on: date
    note: str | None


@strawberry.type
class EconomicUnitNode:
    id: uuid.UUID
    kind: str
    tax_code: str | None
    name: str
    owner_name: str | None
    owner_person_id: uuid.UUID | None
    address: str
    latitude: float | None
    longitude: float | None
    section: str
    section_title: str
    vsic_code: str | None
    labour: int
    revenue: float | None
    capital: float | None
    size_class: str
    status: str
    status_date: date | None

    @strawberry.field
    async def history(self, info: strawberry.Info) -> list[StatusChangeNode]:
        rows = await services.history(info.context.session, self.id)
        return [StatusChangeNode(from_status=r.from_status, to_status=r.to_status, changed_on=r.changed_on,
                                 note=r.note) for r in rows]


def node(unit: EconomicUnit, lang: str = "vi") -> EconomicUnitNode:
    return EconomicUnitNode(
        id=unit.id, kind=unit.kind, tax_code=unit.tax_code, name=unit.name, owner_name=unit.owner_name,
        owner_person_id=unit.owner_person_id, address=unit.address, latitude=unit.latitude,
        longitude=unit.longitude, section=unit.section, section_title=ref.label(ref.SECTIONS, unit.section, lang),
        vsic_code=unit.vsic_code, labour=unit.labour, revenue=unit.revenue, capital=unit.capital,
        size_class=unit.size_class, status=unit.status, status_date=unit.status_date)


@strawberry.type
class FigureRow:
    key: str
    units: int
    labour: int


@strawberry.type
class Figures:
    by_section: list[FigureRow]
    by_size: list[FigureRow]
    by_status: list[FigureRow]


@strawberry.type
class EconomicUnitsQuery:
    @strawberry.field(extensions=READ)
    async def units(self, info: strawberry.Info, first: int | None = None, after: str | None = None,
                    section: str | None = None, size: str | None = None, status: str | None = None,
                    kind: str | None = None) -> Connection[EconomicUnitNode]:
        filters = services.Filters.parse(None, section, size, status, kind)
        lang = info.context.lang
        return await paginate(info.context.session, filters.apply(services.select(EconomicUnit)), EconomicUnit.id,
                              first=first, after=after, to_node=lambda u: node(u, lang))

    @strawberry.field(extensions=READ)
    async def unit(self, info: strawberry.Info, id: uuid.UUID) -> EconomicUnitNode:
        return node(await services.get_unit(info.context.session, id), info.context.lang)

    @strawberry.field(extensions=READ)
    async def figures(self, info: strawberry.Info) -> Figures:
        data = await services.figures(info.context.session, services.Filters())

        def rows(key: str) -> list[FigureRow]:
            return [FigureRow(key=str(k), units=n, labour=lab) for k, n, lab in data[key]]

        return Figures(by_section=rows("by_section"), by_size=rows("by_size"), by_status=rows("by_status"))


@strawberry.input
class RegisterUnitInput:
    name: str
    address: str
    section: str | None = None
    kind: str = "enterprise"
    tax_code: str | None = None
    owner_name: str | None = None
    owner_person_id: uuid.UUID | None = None
    latitude: float | None = None
    longitude: float | None = None
    vsic_code: str | None = None
    labour: int = 0
    revenue: float | None = None
    capital: float | None = None


@strawberry.type
class UnitPayload:
    unit: EconomicUnitNode


@strawberry.mutation(extensions=WRITE)
async def economic_units_register_unit(info: strawberry.Info, input: RegisterUnitInput) -> UnitPayload:
    data = {k: v for k, v in strawberry.asdict(input).items() if v is not None}
    persons = "residents" in info.context.tenant.plugins
    unit = await services.create_unit(info.context.session, data, persons=persons)
    return UnitPayload(unit=node(unit, info.context.lang))


@strawberry.input
class ChangeStatusInput:
    id: uuid.UUID
    status: str
    date: date | None = None
    note: str | None = None


@strawberry.mutation(extensions=WRITE)
async def economic_units_change_status(info: strawberry.Info, input: ChangeStatusInput) -> UnitPayload:
    data = {"status": input.status, "date": input.date, "note": input.note}
    unit = await services.change_status(info.context.session, input.id, data)
    return UnitPayload(unit=node(unit, info.context.lang))


contribution = GraphQLContribution(query=EconomicUnitsQuery,
                                   mutations=[economic_units_register_unit, economic_units_change_status])
