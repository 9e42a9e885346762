"""The rules through the services: capacity, one place per child, licences, staff qualifications, inspections
and follow-ups, alerts."""

from datetime import date

import pytest
from sqlalchemy import func, select

from core.toolkit import UserError
from plugins.kindergartens import services
from plugins.kindergartens.models import Enrolment
from plugins.kindergartens.tests.conftest import PLUGINS

pytestmark = pytest.mark.plugins(*PLUGINS)


async def test_enrolment_never_goes_above_capacity(scoped, ward, place):
    children = await place.children(4)
    async with scoped(ward) as session:
        facility = await services.save_facility(session, place.facility(capacity=3))
        for child in children[:3]:
            await services.enrol(session, facility.id, {"person_id": str(child)})
        with pytest.raises(UserError) as caught:
            await services.enrol(session, facility.id, {"person_id": str(children[3])})
        assert caught.value.code == "CONFLICT" and "facility_id" in caught.value.fields
        with pytest.raises(UserError) as caught:  # capacity cannot drop below the children there
            await services.save_facility(session, {"capacity": 2}, facility.id)
        assert set(caught.value.fields) == {"capacity"}
        first = (await services.enrolments(session, facility.id))[0]
        await services.leave(session, first.id, {})
        await services.enrol(session, facility.id, {"person_id": str(children[3])})  # a place came free
        assert await services.enrolled_count(session, facility.id) == 3


async def test_a_child_is_enrolled_in_one_place_at_a_time(scoped, ward, place):
    child = (await place.children(1))[0]
    async with scoped(ward) as session:
        a = await services.save_facility(session, place.facility())
        b = await services.save_facility(session, place.facility(kind="class"))
        enrolment = await services.enrol(session, a.id, {"person_id": child})
        with pytest.raises(UserError) as caught:
            await services.enrol(session, b.id, {"person_id": child})
        assert caught.value.code == "CONFLICT" and a.name in caught.value.message[1]
        await services.leave(session, enrolment.id, {})
        await services.enrol(session, b.id, {"person_id": child})  # after leaving, elsewhere
        assert await session.scalar(select(func.count()).select_from(Enrolment)) == 2


async def test_the_database_holds_one_open_enrolment_per_child(scoped, ward, place):
    child = (await place.children(1))[0]
    async with scoped(ward) as session:
        a = await services.save_facility(session, place.facility())
        await services.enrol(session, a.id, {"person_id": child})
    with pytest.raises(UserError) as caught:  # a race past the check meets the partial unique index
        async with scoped(ward) as session:
            session.add(Enrolment(facility_id=a.id, person_id=child, child_name="x", enrolled_on=date(2026, 1, 1)))
            await services.flush(session)
    assert caught.value.code == "CONFLICT"


async def test_only_persons_of_the_ward_can_be_enrolled(scoped, ward, make_tenant, place):
    child = (await place.children(1))[0]
    other = await make_tenant(plugins=PLUGINS)
    async with scoped(other) as session:
        facility = await services.save_facility(session, place.facility())
        with pytest.raises(UserError) as caught:
            await services.enrol(session, facility.id, {"person_id": child})
        assert set(caught.value.fields) == {"person_id"}
        with pytest.raises(UserError) as caught:
            await services.enrol(session, facility.id, {})
        assert set(caught.value.fields) == {"person_id"}


async def test_a_facility_without_a_valid_licence_takes_no_child(scoped, ward, place):
    child = (await place.children(1))[0]
    async with scoped(ward) as session:
        facility = await services.save_facility(session, place.facility(licence_status="suspended"))
        with pytest.raises(UserError) as caught:
            await services.enrol(session, facility.id, {"person_id": child})
        assert set(caught.value.fields) == {"facility_id"}


async def test_facility_fields_are_checked_together(scoped, ward, place):
    async with scoped(ward) as session:
        with pytest.raises(UserError) as caught:
            await services.save_facility(session, place.facility(kind="school", capacity=0, name="",
                                                                 licence_issued="2026-02-30",
                                                                 licence_status="maybe"))
        assert set(caught.value.fields) == {"kind", "capacity", "name", "licence_issued", "licence_status"}
        with pytest.raises(UserError) as caught:
            await services.save_facility(session, place.facility(licence_expires="2024-01-01"))
        assert set(caught.value.fields) == {"licence_expires"}
        first = await services.save_facility(session, place.facility())
        with pytest.raises(UserError) as caught:
            await services.save_facility(session, place.facility(licence_number=first.licence_number))
        assert caught.value.code == "CONFLICT" and "licence_number" in caught.value.fields


async def test_teachers_need_a_preschool_teaching_qualification(scoped, ward, place):
    async with scoped(ward) as session:
        facility = await services.save_facility(session, place.facility())
        with pytest.raises(UserError) as caught:
            await services.add_staff(session, facility.id, {"full_name": "Lê Lan", "role": "teacher",
                                                            "qualification": "certificate"})
        assert set(caught.value.fields) == {"qualification"}
        await services.add_staff(session, facility.id, {"full_name": "Lê Lan", "role": "teacher",
                                                        "qualification": "intermediate"})
        await services.add_staff(session, facility.id, {"full_name": "Bà Tư", "role": "cook", "qualification": "none"})
        with pytest.raises(UserError) as caught:
            await services.add_staff(session, facility.id, {"role": "pilot"})
        assert set(caught.value.fields) == {"full_name", "role", "qualification"}


async def test_inspections_with_issues_need_findings_and_a_follow_up(scoped, ward, place):
    today = date(2026, 6, 15)
    async with scoped(ward) as session:
        facility = await services.save_facility(session, place.facility())
        with pytest.raises(UserError) as caught:
            await services.record_inspection(session, facility.id, {"inspected_on": "2026-06-01",
                                                                    "result": "issues"}, today=today)
        assert set(caught.value.fields) == {"findings", "follow_up_due"}
        with pytest.raises(UserError) as caught:
            await services.record_inspection(session, facility.id, {"inspected_on": "2026-07-01", "result": "pass"},
                                             today=today)
        assert set(caught.value.fields) == {"inspected_on"}
        passed = await services.record_inspection(session, facility.id, {"inspected_on": "2026-06-01",
                                                                         "result": "pass"}, today=today)
        with pytest.raises(UserError):  # nothing to follow up
            await services.complete_follow_up(session, passed.id, {}, today=today)
        issue = await services.record_inspection(session, facility.id, {
            "inspected_on": "2026-06-01", "result": "issues", "findings": "Thiếu bình chữa cháy",
            "follow_up_due": "2026-06-10"}, today=today)
        alerts = await services.alerts(session, today=today)
        assert [(a.kind, a.days) for a in alerts] == [("follow_up_overdue", -5)]
        await services.complete_follow_up(session, issue.id, {"done_on": "2026-06-14", "note": "Đã trang bị"},
                                          today=today)
        assert await services.alerts(session, today=today) == []
        with pytest.raises(UserError) as caught:
            await services.complete_follow_up(session, issue.id, {}, today=today)
        assert caught.value.code == "CONFLICT"


async def test_licence_alerts_within_60_days(scoped, ward, place):
    today = date(2026, 6, 15)
    async with scoped(ward) as session:
        await services.save_facility(session, place.facility(name="Sắp hết hạn", licence_expires="2026-08-14"))
        await services.save_facility(session, place.facility(name="Còn xa", licence_expires="2026-08-15"))
        await services.save_facility(session, place.facility(name="Đã hết hạn", licence_expires="2026-06-01"))
        await services.save_facility(session, place.facility(name="Thu hồi", licence_expires="2026-07-01",
                                                             licence_status="revoked"))
        await services.save_facility(session, place.facility(name="Vô thời hạn", licence_expires=None))
        alerts = await services.alerts(session, today=today)
    assert [(a.facility_name, a.kind, a.days) for a in alerts] == [
        ("Đã hết hạn", "licence_expired", -14), ("Sắp hết hạn", "licence_expiring", 60)]
    assert "60" in alerts[1].message()[1] and "14/08/2026" in alerts[1].message()[0]
