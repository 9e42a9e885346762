"""GraphQL of ``kindergartens``: ``kindergartens { facilities(...) alerts }`` and ``kindergartensEnrolChild``,
thin over :mod:`plugins.kindergartens.services`."""

from __future__ import annotations

import uuid
from datetime import date

import strawberry
from strawberry.permission import PermissionExtension

from core.toolkit import Connection, GraphQLContribution, Requires, paginate
from plugins.kindergartens import services
from plugins.kindergartens.models import Facility

READ = [PermissionExtension([Requires("kindergartens.facility:read")])]
ENROL = [PermissionExtension([Requires("kindergartens.enrolment:write")])]


@strawberry.type(name="KindergartensFacility")
class FacilityNode:
    id: uuid.UUID
    kind: str
    name: str
    owner_name: str
    address: str
    capacity: int
    licence_number: str
    licence_issued: date
    licence_expires: date | None
    licence_status: str

    @strawberry.field
    async def enrolled(self, info: strawberry.Info) -> int:
        return await services.enrolled_count(info.context.session, self.id)


def node(f: Facility) -> FacilityNode:
    return FacilityNode(id=f.id, kind=f.kind, name=f.name, owner_name=f.owner_name, address=f.address,
                        capacity=f.capacity, licence_number=f.licence_number, licence_issued=f.licence_issued,
                        licence_expires=f.licence_expires, licence_status=f.licence_status)


@strawberry.type(name="KindergartensAlert")
class AlertNode:
    kind: str
    facility_id: uuid.UUID
    facility_name: str
    due: date
    days: int
    message: str


@strawberry.type
class KindergartensQuery:
    @strawberry.field(extensions=READ)
    async def facilities(self, info: strawberry.Info, first: int | None = None,
                         after: str | None = None) -> Connection[FacilityNode]:
        return await paginate(info.context.session, services.select(Facility), Facility.id, first=first,
                              after=after, to_node=node)

    @strawberry.field(extensions=READ)
    async def alerts(self, info: strawberry.Info) -> list[AlertNode]:
        lang = info.context.lang
        return [AlertNode(kind=a.kind, facility_id=a.facility_id, facility_name=a.facility_name, due=a.due,
                          days=a.days, message=a.message()[1 if lang == "en" else 0])
                for a in await services.alerts(info.context.session)]


@strawberry.input(name="KindergartensEnrolChildInput")
class EnrolChildInput:
    facility_id: uuid.UUID
    person_id: uuid.UUID
    enrolled_on: date | None = None


@strawberry.type(name="KindergartensEnrolmentPayload")
class EnrolmentPayload:
    enrolment_id: uuid.UUID
    facility: FacilityNode


@strawberry.mutation(extensions=ENROL)
async def kindergartens_enrol_child(info: strawberry.Info, input: EnrolChildInput) -> EnrolmentPayload:
    session = info.context.session
    enrolment = await services.enrol(session, input.facility_id, {"person_id": input.person_id,
                                                                  "enrolled_on": input.enrolled_on})
    return EnrolmentPayload(enrolment_id=enrolment.id, facility=node(await services.get_facility(session,
                                                                                                  input.facility_id)))


contribution = GraphQLContribution(query=KindergartensQuery, mutations=[kindergartens_enrol_child])
