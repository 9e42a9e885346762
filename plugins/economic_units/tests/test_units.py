"""Registering and changing units through the services: size class, status history, duplicate tax codes,
an owner from the residents register."""

from datetime import date

import pytest
from sqlalchemy import func, select

from core.toolkit import UserError
from plugins.economic_units import services
from plugins.economic_units.models import EconomicUnit, StatusChange
from plugins.economic_units.tests.conftest import PLUGINS
from plugins.residents import services as residents
from plugins.residents.tests.conftest import TODAY, People

pytestmark = pytest.mark.plugins(*PLUGINS)


async def test_size_class_is_computed_and_recomputed(scoped, ward, units):
    async with scoped(ward) as session:
        unit = await services.create_unit(session, units.body(section="C", labour=8, revenue=2))
        assert unit.size_class == "micro" and unit.status == "active"
        unit = await services.update_unit(session, unit.id, {"labour": 150, "revenue": 150})
        assert unit.size_class == "medium"


async def test_status_history_and_transitions(scoped, ward, units):
    async with scoped(ward) as session:
        unit = await services.create_unit(session, units.body(), today=date(2026, 1, 5))
        await services.change_status(session, unit.id, {"status": "suspended", "date": "2026-03-01", "note": "nghỉ"})
        await services.change_status(session, unit.id, {"status": "active", "date": "01/06/2026"})
        await services.change_status(session, unit.id, {"status": "closed", "date": "2026-09-30"})
        history = await services.history(session, unit.id)
        assert [(h.from_status, h.to_status) for h in history] == [
            (None, "active"), ("active", "suspended"), ("suspended", "active"), ("active", "closed")]
        with pytest.raises(UserError) as caught:  # a closed unit stays closed
            await services.change_status(session, unit.id, {"status": "active"})
        assert set(caught.value.fields) == {"status"}
        assert unit.status == "closed" and unit.status_date == date(2026, 9, 30)


async def test_a_status_change_cannot_go_back_in_time_or_be_unknown(scoped, ward, units):
    async with scoped(ward) as session:
        unit = await services.create_unit(session, units.body(), today=date(2026, 5, 1))
        with pytest.raises(UserError) as caught:
            await services.change_status(session, unit.id, {"status": "suspended", "date": "2026-04-01"})
        assert set(caught.value.fields) == {"date"}
        with pytest.raises(UserError) as caught:
            await services.change_status(session, unit.id, {"status": "bankrupt"})
        assert set(caught.value.fields) == {"status"}
        with pytest.raises(UserError):  # the status has its own action
            await services.update_unit(session, unit.id, {"status": "closed"})


async def test_a_tax_code_is_registered_once_per_ward_and_a_failed_write_changes_nothing(
        scoped, ward, make_tenant, units):
    body = units.body()
    async with scoped(ward) as session:
        await services.create_unit(session, body)
    with pytest.raises(UserError) as caught:
        async with scoped(ward) as session:
            await services.create_unit(session, units.body(tax_code=body["tax_code"]))
    assert caught.value.code == "CONFLICT" and "tax_code" in caught.value.fields
    async with scoped(ward) as session:
        assert await session.scalar(select(func.count()).select_from(EconomicUnit)) == 1
        assert await session.scalar(select(func.count()).select_from(StatusChange)) == 1
    other = await make_tenant(plugins=PLUGINS)  # another ward may hold its own record of the same code
    async with scoped(other) as session:
        await services.create_unit(session, units.body(tax_code=body["tax_code"]))


async def test_owner_may_be_a_person_of_the_ward(scoped, ward, make_tenant, units):
    people = People()
    async with scoped(ward) as session:
        household = await residents.register_household(session, people.family("HK-1", 1), today=TODAY)
        person = (await residents.members(session, household.id))[0]
        unit = await services.create_unit(session, units.body(kind="household", tax_code=None,
                                                              owner_person_id=str(person.id)))
        assert unit.owner_person_id == person.id and unit.owner_name == person.full_name
    other = await make_tenant(plugins=PLUGINS)
    async with scoped(other) as session:  # a person of another ward is not found here
        with pytest.raises(UserError) as caught:
            await services.create_unit(session, units.body(owner_person_id=str(person.id)))
        assert set(caught.value.fields) == {"owner_person_id"}
        with pytest.raises(UserError) as caught:
            await services.create_unit(session, units.body(owner_person_id="not-an-id"))
        assert set(caught.value.fields) == {"owner_person_id"}
