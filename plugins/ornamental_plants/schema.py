"""GraphQL of ``ornamental_plants``: ``ornamentalPlants { specimens(...) events }`` and
``ornamentalPlantsRegisterSpecimen``, thin over :mod:`plugins.ornamental_plants.services`."""

from __future__ import annotations

import uuid
from datetime import date

import strawberry
from sqlalchemy import select
from strawberry.permission import PermissionExtension

from core.graphql.contribution import GraphQLContribution
from core.graphql.relay import Connection, paginate
from core.toolkit import Requires
from plugins.ornamental_plants import services
from plugins.ornamental_plants.models import Event, Specimen

READ = [PermissionExtension([Requires("ornamental_plants.registry:read")])]
WRITE = [PermissionExtension([Requires("ornamental_plants.registry:write")])]


@strawberry.type(name="OrnamentalPlantsSpecimen")
class SpecimenNode:
    id: uuid.UUID
    code: str
    kind: str
    name: str
    species: str | None
    owner_name: str


def node(s: Specimen) -> SpecimenNode:
    return SpecimenNode(id=s.id, code=s.code, kind=s.kind, name=s.name, species=s.species, owner_name=s.owner_name)


@strawberry.type(name="OrnamentalPlantsEvent")
class EventNode:
    id: uuid.UUID
    name: str
    kind: str
    starts_on: date
    ends_on: date


@strawberry.type
class OrnamentalPlantsQuery:
    @strawberry.field(extensions=READ)
    async def specimens(self, info: strawberry.Info, first: int | None = None, after: str | None = None,
                        kind: str | None = None) -> Connection[SpecimenNode]:
        query = select(Specimen)
        if kind is not None:
            if kind not in services.KINDS:
                raise services.bad_input("kind", "Loại không hợp lệ", "Unknown kind")
            query = query.where(Specimen.kind == kind)
        return await paginate(info.context.session, query, Specimen.id, first=first, after=after, to_node=node)

    @strawberry.field(extensions=READ)
    async def events(self, info: strawberry.Info) -> list[EventNode]:
        rows = await info.context.session.execute(select(Event).order_by(Event.starts_on))
        return [EventNode(id=e.id, name=e.name, kind=e.kind, starts_on=e.starts_on, ends_on=e.ends_on)
                for e in rows.scalars()]


@strawberry.input(name="OrnamentalPlantsRegisterSpecimenInput")
class RegisterSpecimenInput:
    code: str
    kind: str
    name: str
    owner_name: str | None = None
    owner_person_id: uuid.UUID | None = None
    species: str | None = None
    description: str | None = None


@strawberry.type(name="OrnamentalPlantsSpecimenPayload")
class SpecimenPayload:
    specimen: SpecimenNode


@strawberry.mutation(extensions=WRITE)
async def ornamental_plants_register_specimen(info: strawberry.Info, input: RegisterSpecimenInput) -> SpecimenPayload:
    data = {k: v for k, v in strawberry.asdict(input).items() if v is not None}
    return SpecimenPayload(specimen=node(await services.register_specimen(info.context.session, data)))


contribution = GraphQLContribution(query=OrnamentalPlantsQuery, mutations=[ornamental_plants_register_specimen])
