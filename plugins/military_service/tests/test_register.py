"""The register's rules, through the services and through HTTP: each refusal is a field error in vi and en,
and changes nothing."""

from datetime import date

import pytest
from sqlalchemy import func, select

from core.toolkit import UserError
from plugins.military_service import services
from plugins.military_service.models import CallUp, ServiceRecord
from plugins.residents import services as residents

pytestmark = pytest.mark.plugins("residents", "military_service")


async def young_man(scoped, ward, people, born=date(2006, 5, 10)):
    async with scoped(ward) as session:
        _head, son = await people.household(session, ("male", 1975), ("male", born))
        return son.id


async def refused(scoped, ward, call, *args) -> UserError:
    async with scoped(ward) as session:
        with pytest.raises(UserError) as caught:
            await call(session, *args)
    return caught.value


async def test_register_then_defer_exempt_enlist_discharge(scoped, ward, people):
    son = await young_man(scoped, ward, people)
    async with scoped(ward) as session:
        record = await services.register(session, {"person_id": son, "registered_on": "2023-04-10"})
        assert record.status == "registered" and record.registered_on == date(2023, 4, 10)
        await services.record_health(session, son, {"health_class": 2, "health_checked_on": "2024-12-01"})
        record = await services.defer(session, son, {"ground_code": "d_study", "until_year": 2026,
                                                     "decided_on": "2025-01-10"})
        assert (record.status, record.deferred_until_year, record.study_deferred) == ("deferred", 2026, True)
        assert not services.callable_in(record, 2026) and services.callable_in(record, 2027)
        record = await services.enlist(session, son, {"enlisted_on": "2027-02-15"})
        assert record.status == "enlisted"
        record = await services.discharge(session, son, {"discharged_on": "2029-02-15"})
        assert record.status == "reserve"


async def test_a_deferment_without_grounds_is_refused_and_changes_nothing(scoped, ward, people, client):
    son = await young_man(scoped, ward, people)
    async with scoped(ward) as session:
        await services.register(session, {"person_id": son, "registered_on": "2023-04-10"})
    error = await refused(scoped, ward, services.defer, son, {"until_year": 2027})
    assert error.code == "BAD_USER_INPUT" and set(error.fields) == {"ground_code"}
    assert "căn cứ" in error.fields["ground_code"][0] and "ground" in error.fields["ground_code"][1]
    # an exemption ground is no deferment ground, and the other way round
    assert set((await refused(scoped, ward, services.defer, son, {"ground_code": "e_martyr_child",
                                                                   "until_year": 2027})).fields) == {"ground_code"}
    assert set((await refused(scoped, ward, services.exempt, son, {"ground_code": "d_study"})).fields) == {
        "ground_code"}
    assert set((await refused(scoped, ward, services.exempt, son, {})).fields) == {"ground_code"}
    # over HTTP, in both languages
    url = f"/t/{ward.key}/military_service/records/{son}/deferment"
    vi = await client.post(url, json={"until_year": 2027})
    en = await client.post(url, json={"until_year": 2027, "ground_code": ""}, headers={"Accept-Language": "en"})
    assert vi.status_code == en.status_code == 400
    assert vi.json()["error"]["fields"]["ground_code"].startswith("Tạm hoãn phải có căn cứ")
    assert en.json()["error"]["fields"]["ground_code"].startswith("A deferment needs its legal ground")
    async with scoped(ward) as session:
        record = await services.get_record(session, son)
        assert (record.status, record.ground_code, record.deferred_until_year) == ("registered", None, None)


async def test_other_refusals_name_their_field(scoped, ward, people):
    son = await young_man(scoped, ward, people)
    too_young = await young_man(scoped, ward, people, born=date(2012, 1, 1))
    error = await refused(scoped, ward, services.register, {"person_id": too_young, "registered_on": "2026-04-01"})
    assert set(error.fields) == {"registered_on"}
    error = await refused(scoped, ward, services.register, {"person_id": son, "registered_on": "23/04/2023"})
    assert set(error.fields) == {"registered_on"}
    error = await refused(scoped, ward, services.register, {"person_id": son, "health_class": 7,
                                                            "registered_on": "2024-04-01"})
    assert set(error.fields) == {"health_class"}
    async with scoped(ward) as session:
        assert await session.scalar(select(func.count()).select_from(ServiceRecord)) == 0
        await services.register(session, {"person_id": son, "registered_on": "2024-04-01"})
    assert (await refused(scoped, ward, services.register, {"person_id": son})).code == "CONFLICT"
    error = await refused(scoped, ward, services.defer, son, {"ground_code": "d_study", "until_year": 2020,
                                                              "decided_on": "2025-01-01"})
    assert set(error.fields) == {"until_year"}
    error = await refused(scoped, ward, services.discharge, son, {})
    assert set(error.fields) == {"person_id"}
    async with scoped(ward) as session:
        await services.exempt(session, son, {"ground_code": "e_martyr_sibling", "decided_on": "2025-01-01"})
    error = await refused(scoped, ward, services.enlist, son, {"enlisted_on": "2026-02-01"})
    assert set(error.fields) == {"person_id"}
    error = await refused(scoped, ward, services.defer, son, {"ground_code": "d_study", "until_year": 2027})
    assert set(error.fields) == {"person_id"}  # exempt: no deferment on top


async def test_a_deceased_citizen_cannot_be_registered(scoped, ward, people):
    son = await young_man(scoped, ward, people)
    async with scoped(ward) as session:
        await residents.record_death(session, son, {"date": "01/01/2026"}, today=date(2026, 6, 15))
    error = await refused(scoped, ward, services.register, {"person_id": son, "registered_on": "2024-04-01"})
    assert set(error.fields) == {"person_id"}


async def test_who_must_register_is_computed_from_residents(scoped, ward, people):
    async with scoped(ward) as session:
        a = await people.household(session, ("male", 1978), ("male", date(2009, 12, 31)), ("female", date(2009, 3, 1)),
                                   ("male", date(2008, 1, 1)))
        b = await people.household(session, ("male", date(2009, 1, 1)))
        due = await services.must_register(session, 2026)
        assert {d.person.id for d in due} == {a[1].id, b[0].id}
        assert not any(d.registered for d in due)
        await services.register(session, {"person_id": b[0].id, "registered_on": "2026-04-01"})
        due = {d.person.id: d.registered for d in await services.must_register(session, 2026)}
        assert due == {a[1].id: False, b[0].id: True}
        counts = await services.counts(session, 2026)
        assert counts["must_register"] == 2 and counts["registered"] == 1 and counts["register"]["registered"] == 1


async def test_roster_statuses_follow_the_register(scoped, ward, people):
    son = await young_man(scoped, ward, people, born=date(2005, 3, 3))
    other = await young_man(scoped, ward, people, born=date(2004, 3, 3))
    async with scoped(ward) as session:
        for pid in (son, other):
            await services.register(session, {"person_id": pid, "registered_on": "2023-04-10"})
        added = await services.draw_up_roster(session, 2026)
        assert {e.person_id for e in added} == {son, other}
        assert await services.draw_up_roster(session, 2026) == []  # nobody twice
        entry = next(e for e in added if e.person_id == son)
        with pytest.raises(UserError) as caught:
            await services.set_roster_status(session, entry.id, {"status": "enlisted"})  # not summoned yet
        assert set(caught.value.fields) == {"status"}
        await services.set_roster_status(session, entry.id, {"status": "summoned", "date": "2026-01-10"})
        await services.set_roster_status(session, entry.id, {"status": "enlisted", "date": "2026-02-15"})
        assert (await services.get_record(session, son)).status == "enlisted"
        second = next(e for e in added if e.person_id == other)
        with pytest.raises(UserError) as caught:
            await services.set_roster_status(session, second.id, {"status": "deferred", "until_year": 2027})
        assert set(caught.value.fields) == {"ground_code"}
    async with scoped(ward) as session:
        counts = await services.counts(session, 2026)
        assert counts["roster"]["enlisted"] == 1 and counts["roster"]["listed"] == 1
        assert counts["register"]["enlisted"] == 1
        assert await session.scalar(select(func.count()).select_from(CallUp)) == 2
