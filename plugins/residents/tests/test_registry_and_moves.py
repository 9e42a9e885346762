"""One person, one active record on the whole platform: the ID registry, and moves between wards."""

import pytest
from sqlalchemy import func, select

from core.db.scoping import TenantScope
from core.errors import UserError
from plugins.residents import registry, services
from plugins.residents.models import IdRegistration, Move, Person
from plugins.residents.services import Ward
from plugins.residents.tests.conftest import TODAY

pytestmark = pytest.mark.plugins("residents")


async def register(scoped, ward, data):
    async with scoped(ward) as session:
        household = await services.register_household(session, data, today=TODAY)
        return household, await services.members(session, household.id)


async def owner(scoped, number):
    async with scoped() as session:  # the registry is platform-wide: no tenant needed to read it
        return (await registry.owners(session, [number])).get(number)


async def test_the_same_person_cannot_be_registered_in_two_wards(scoped, make_tenant, people):
    a, b = await make_tenant(plugins=("residents",)), await make_tenant(plugins=("residents",))
    data = people.family("HK-1", 1)
    _household, (person,) = await register(scoped, a, data)
    duplicate = {**people.family("HK-9", 2), "code": "HK-9"}
    duplicate["members"][1] = {**data["members"][0], "relation": "spouse"}
    with pytest.raises(UserError) as caught:
        await register(scoped, b, duplicate)
    assert set(caught.value.fields) == {"members.1.id_number"}
    message = caught.value.render("en")["fields"]["members.1.id_number"]
    assert a.code in message  # names the other ward by its code…
    assert person.full_name not in message and "HK-1" not in message  # …and nothing of its data
    assert caught.value.render("vi")["fields"]["members.1.id_number"].startswith("Số định danh này đang được")
    async with scoped(b) as session:
        assert await session.scalar(select(func.count()).select_from(Person)) == 0  # nothing written in b


async def test_the_same_number_twice_in_one_ward(scoped, ward, people):
    data = people.family("HK-1", 1)
    await register(scoped, ward, data)
    async with scoped(ward) as session:
        household, _ = await register(scoped, ward, people.family("HK-2", 1))
        with pytest.raises(UserError) as caught:
            await services.add_member(session, household.id, {**data["members"][0], "relation": "child"}, today=TODAY)
    assert "already in this unit" in caught.value.render("en")["fields"]["id_number"]


async def test_leaving_the_platform_frees_the_number_death_keeps_it(scoped, make_tenant, people):
    a, b = await make_tenant(plugins=("residents",)), await make_tenant(plugins=("residents",))
    data = people.family("HK-1", 2)
    _household, (head, spouse) = await register(scoped, a, data)
    async with scoped(a) as session:
        await services.remove_member(session, spouse.id, {"reason": "moved_away", "destination": "Úc"}, today=TODAY)
        await services.record_death(session, head.id, {"date": "01/01/2026"}, today=TODAY)
    assert await owner(scoped, spouse.id_number) is None
    assert (await owner(scoped, head.id_number)).person_id == head.id
    back = people.family("HK-7", 1)
    back["members"][0] = {**data["members"][1], "relation": "head"}  # the spouse comes back, to ward b
    _household, (returned,) = await register(scoped, b, back)
    assert returned.id_number == spouse.id_number
    assert (await owner(scoped, spouse.id_number)).tenant_id == b.id


async def test_correcting_a_number_moves_its_registration(scoped, ward, people):
    _household, (head,) = await register(scoped, ward, people.family("HK-1", 1))
    new_number = people.person("male", 1975)["id_number"]
    async with scoped(ward) as session:
        await services.update_person(session, head.id, {"id_number": new_number}, today=TODAY)
    assert await owner(scoped, head.id_number) is None
    assert (await owner(scoped, new_number)).person_id == head.id


async def test_a_merge_of_wards_carries_the_registrations(db, scoped, make_tenant, people):
    from tenants.registry import merge

    a, b = await make_tenant(plugins=("residents",)), await make_tenant(plugins=("residents",))
    _household, (person,) = await register(scoped, a, people.family("HK-A", 1))
    await register(scoped, b, people.family("HK-B", 1))
    await merge(db, a.key, b.key)
    registration = await owner(scoped, person.id_number)
    assert (registration.tenant_id, registration.person_id) == (b.id, person.id)


@pytest.fixture
async def two_wards(make_tenant):
    a, b = await make_tenant(plugins=("residents",)), await make_tenant(plugins=("residents",))
    return Ward(a.id, a.key), Ward(b.id, b.key)


async def present_records(scoped, a, b, number):
    async with scoped(a, b) as session:
        rows = await session.execute(select(Person.tenant_id).where(Person.id_number == number,
                                                                      Person.status == "present"))
        return list(rows.scalars())


async def test_a_move_between_wards(scoped, people, two_wards):
    a, b = two_wards
    household, (head, spouse, child) = await register(scoped, a, people.family("HK-1", 3))
    async with scoped(a, b) as session:
        move = await services.request_move(session, child.id, source=a, target=b,
                                           data={"date": "01/06/2026", "note": "Đi làm"}, today=TODAY)
    async with scoped(b) as session:  # the receiving ward sees an incoming move to accept
        (incoming,) = await services.list_moves(session, direction="in", status="pending")
        assert incoming.id == move.id and incoming.summary["full_name"] == child.full_name
        assert incoming.other_tenant_key == a.key
    assert await present_records(scoped, a, b, child.id_number) == [a.id]  # still here until accepted
    async with scoped(a, b) as session:
        arrived = await services.accept_move(session, move.id, target=b, data={
            "household": {"code": "HK-NEW", "address": "5 Lê Lợi"}})
        assert (arrived.tenant_id, arrived.relation, arrived.status) == (b.id, "head", "present")
    assert await present_records(scoped, a, b, child.id_number) == [b.id]
    registration = await owner(scoped, child.id_number)
    assert (registration.tenant_id, registration.person_id) == (b.id, arrived.id)
    async with scoped(a) as session:
        left = await services.get_person(session, child.id)
        assert (left.status, left.moved_to, left.status_date) == ("moved_away", b.key, TODAY.replace(day=1))
        assert [p.id for p in await services.members(session, household.id)] == [head.id, spouse.id]
        (outgoing,) = await services.list_moves(session, direction="out")
        assert outgoing.status == "accepted" and outgoing.decided_at is not None
    async with scoped(a, b) as session:
        with pytest.raises(UserError) as caught:
            await services.accept_move(session, move.id, target=b, data={"household": {"code": "X", "address": "y"}})
        assert caught.value.code == "CONFLICT"


async def test_accepting_into_an_existing_household(scoped, people, two_wards):
    a, b = two_wards
    _household, (single,) = await register(scoped, a, people.family("HK-1", 1))
    target, _ = await register(scoped, b, people.family("HK-2", 2))
    async with scoped(a, b) as session:
        move = await services.request_move(session, single.id, source=a, target=b, data={}, today=TODAY)
    async with scoped(a, b) as session:
        with pytest.raises(UserError) as caught:
            await services.accept_move(session, move.id, target=b, data={"household_id": str(target.id)})
        assert "relation" in caught.value.fields
    async with scoped(a, b) as session:
        arrived = await services.accept_move(session, move.id, target=b,
                                             data={"household_id": str(target.id), "relation": "parent"})
        assert arrived.household_id == target.id
    async with scoped(a) as session:
        assert (await services.get_household(session, single.household_id)).status == "dissolved"


async def test_reject_and_cancel(scoped, people, two_wards):
    a, b = two_wards
    _household, (head, spouse) = await register(scoped, a, people.family("HK-1", 2))
    async with scoped(a, b) as session:
        with pytest.raises(UserError) as caught:  # a head with other members hands over first
            await services.request_move(session, head.id, source=a, target=b, data={}, today=TODAY)
        assert "person_id" in caught.value.fields
        move = await services.request_move(session, spouse.id, source=a, target=b, data={}, today=TODAY)
        with pytest.raises(UserError):  # one pending move at a time
            await services.request_move(session, spouse.id, source=a, target=b, data={}, today=TODAY)
    async with scoped(a, b) as session:
        with pytest.raises(UserError) as caught:
            await services.reject_move(session, move.id, target=b, reason="")
        assert "reason" in caught.value.fields
        rejected = await services.reject_move(session, move.id, target=b, reason="Không có chỗ ở")
        assert rejected.status == "rejected"
    async with scoped(a, b) as session:
        statuses = set((await session.execute(select(Move.tenant_id, Move.status))).all())
        assert statuses == {(a.id, "rejected"), (b.id, "rejected")}
        assert (await services.get_person(session, spouse.id)).status == "present"
        again = await services.request_move(session, spouse.id, source=a, target=b, data={}, today=TODAY)
    async with scoped(a, b) as session:
        with pytest.raises(UserError):  # the sending ward cannot accept its own request
            await services.accept_move(session, again.id, target=a, data={})
        cancelled = await services.cancel_move(session, again.id, source=a, reason=None)
        assert cancelled.status == "cancelled"
    assert await present_records(scoped, a, b, spouse.id_number) == [a.id]


async def test_a_ward_session_cannot_write_the_other_wards_side(db, people, two_wards):
    from core.db.scoping import TenantScopeError

    a, b = two_wards
    async with db.session(TenantScope.of(a.id)) as session:
        household = await services.register_household(session, people.family("HK-1", 1), today=TODAY)
        (person,) = await services.members(session, household.id)
    with pytest.raises(TenantScopeError):
        async with db.session(TenantScope.of(a.id)) as session:
            await services.request_move(session, person.id, source=a, target=b, data={}, today=TODAY)


async def test_registry_rows_hold_no_personal_data():
    assert {c.name for c in IdRegistration.__table__.columns} == {"id_number", "tenant_id", "person_id",
                                                                   "registered_at"}


async def test_a_number_claimed_in_between_is_a_conflict(db, make_tenant, people):
    """Ward b checked the number (free), then ward a registered it first: b's claim meets the registry's
    key and ends as a CONFLICT, never as a second active record."""
    from core.toolkit import new_id

    a, b = await make_tenant(plugins=("residents",)), await make_tenant(plugins=("residents",))
    data = people.family("HK-1", 1)
    number = data["members"][0]["id_number"]
    async with db.session(TenantScope.of(b.id)) as late:
        assert await registry.taken(late, b.id, {"id_number": number}) == []
    async with db.session(TenantScope.of(a.id)) as first:
        await services.register_household(first, data, today=TODAY)
    with pytest.raises(UserError) as caught:
        async with db.session(TenantScope.of(b.id)) as late:
            person = Person(id=new_id(), full_name="Lê Văn Tám", search_name="le van tam", search_given="tam",
                            birth_year=1975, sex="male", status="present")
            late.add(person)
            await late.flush()
            await registry.claim(late, [{"id_number": number, "tenant_id": b.id, "person_id": person.id}])
    assert caught.value.code == "CONFLICT"
    async with db.session(TenantScope.of(b.id)) as session:
        assert await session.scalar(select(func.count()).select_from(Person)) == 0  # rolled back
