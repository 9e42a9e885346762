"""Households and their members through the services, on a real database: each rule, each operation."""

import pytest
from sqlalchemy import select

from core.audit.models import AuditEntry
from core.errors import UserError
from plugins.residents import services
from plugins.residents.models import Household, Person
from plugins.residents.tests.conftest import TODAY

pytestmark = pytest.mark.plugins("residents")


async def register(scoped, ward, data):
    async with scoped(ward) as session:
        household = await services.register_household(session, data, today=TODAY)
        people = await services.members(session, household.id)
        return household, people


async def test_register_a_household_with_members_is_audited(scoped, ward, people):
    household, members = await register(scoped, ward, people.family("HK-001", 4, neighbourhood_id=None))
    assert household.code == "HK-001" and household.tenant_id == ward.id
    assert [m.relation for m in members] == ["head", "spouse", "child", "child"]
    async with scoped(ward) as session:
        entries = (await session.execute(select(AuditEntry).where(AuditEntry.entity == "residents_persons"))).scalars()
        assert {e.entity_id for e in entries} == {str(m.id) for m in members}


async def test_exactly_one_head(scoped, ward, people):
    data = people.family("HK-002", 3)
    data["members"][1]["relation"] = "head"
    with pytest.raises(UserError) as caught:
        await register(scoped, ward, data)
    assert caught.value.fields.keys() == {"members"}
    data["members"][0]["relation"] = data["members"][1]["relation"] = "child"
    with pytest.raises(UserError) as caught:
        await register(scoped, ward, data)
    assert "exactly one head" in caught.value.render("en")["fields"]["members"]


async def test_member_errors_name_their_field(scoped, ward, people):
    data = people.family("HK-003", 3)
    data["members"][2]["id_number"] = "079085001234"  # a child born in 2005 cannot have a 1985 number
    data["members"][1]["birth_date"] = "01/01/2099"
    with pytest.raises(UserError) as caught:
        await register(scoped, ward, data)
    assert set(caught.value.fields) == {"members.2.id_number", "members.1.birth_date"}
    async with scoped(ward) as session:  # nothing was written
        assert (await session.execute(select(Household))).first() is None


async def test_household_code_is_unique_in_the_ward(scoped, ward, people):
    await register(scoped, ward, people.family("HK-004", 1))
    with pytest.raises(UserError) as caught:
        await register(scoped, ward, people.family("HK-004", 1))
    assert set(caught.value.fields) == {"code"}


async def test_same_number_twice_in_one_household(scoped, ward, people):
    data = people.family("HK-005", 2)
    data["members"][1] = {**data["members"][0], "relation": "spouse"}
    with pytest.raises(UserError) as caught:
        await register(scoped, ward, data)
    assert "members.1.id_number" in caught.value.fields


async def test_add_move_and_remove_members(scoped, ward, people):
    first, members = await register(scoped, ward, people.family("HK-010", 3))
    second, _ = await register(scoped, ward, people.family("HK-011", 2))
    async with scoped(ward) as session:
        baby = await services.add_member(session, first.id, people.member("grandchild", "female", 2025), today=TODAY)
        with pytest.raises(UserError) as caught:
            await services.add_member(session, first.id, people.member("head"), today=TODAY)
        assert "relation" in caught.value.fields
    async with scoped(ward) as session:
        child = members[2]
        moved = await services.move_member(session, child.id, {"household_id": second.id, "relation": "child_in_law"})
        assert moved.household_id == second.id
        assert len(await services.members(session, first.id)) == 3  # head, spouse, baby
        assert len(await services.members(session, second.id)) == 3
    async with scoped(ward) as session:
        gone = await services.remove_member(session, baby.id, {"reason": "moved_away", "destination": "Nhật Bản"},
                                            today=TODAY)
        assert (gone.status, gone.moved_to, gone.status_date) == ("moved_away", "Nhật Bản", TODAY)
        assert await services.remove_member(session, moved.id, {"reason": "entered_in_error"}) is None
        assert await session.get(Person, (ward.id, moved.id)) is None


async def test_a_leaving_head_names_a_successor(scoped, ward, people):
    first, members = await register(scoped, ward, people.family("HK-020", 3))
    second, _ = await register(scoped, ward, people.family("HK-021", 1))
    head, spouse, _child = members
    with pytest.raises(UserError) as caught:
        async with scoped(ward) as session:
            await services.move_member(session, head.id, {"household_id": second.id, "relation": "relative"})
    assert set(caught.value.fields) == {"new_head_id"}
    with pytest.raises(UserError) as caught:
        async with scoped(ward) as session:
            await services.move_member(session, head.id, {"household_id": second.id, "relation": "relative",
                                                          "new_head_id": str(head.id)})
    assert set(caught.value.fields) == {"new_head_id"}
    async with scoped(ward) as session:
        await services.move_member(session, head.id, {"household_id": second.id, "relation": "relative",
                                                      "new_head_id": str(spouse.id)})
        assert services.head_of(await services.members(session, first.id)).id == spouse.id


async def test_change_head(scoped, ward, people):
    household, (head, spouse, child) = await register(scoped, ward, people.family("HK-030", 3))
    version = household.version
    async with scoped(ward) as session:
        with pytest.raises(UserError) as caught:
            await services.change_head(session, household.id, {"new_head_id": str(child.id)})
        assert "former_head_relation" in caught.value.fields
    async with scoped(ward) as session:
        changed = await services.change_head(session, household.id, {
            "new_head_id": str(child.id), "former_head_relation": "parent",
            "relations": {str(spouse.id): "parent"}})
        assert changed.version > version
        relations = {p.id: p.relation for p in await services.members(session, household.id)}
        assert relations == {child.id: "head", head.id: "parent", spouse.id: "parent"}
    async with scoped(ward) as session:
        with pytest.raises(UserError):
            await services.change_head(session, household.id, {"new_head_id": str(child.id)})


async def test_split_a_household(scoped, ward, people):
    household, (head, spouse, child1, child2) = await register(scoped, ward, people.family("HK-040", 4))
    async with scoped(ward) as session:
        with pytest.raises(UserError) as caught:
            await services.split_household(session, household.id, {
                "code": "HK-041", "member_ids": [str(p.id) for p in (head, spouse, child1, child2)],
                "new_head_id": str(head.id)})
        assert "member_ids" in caught.value.fields
        with pytest.raises(UserError) as caught:
            await services.split_household(session, household.id, {
                "code": "HK-041", "member_ids": [str(child1.id), str(child2.id)], "new_head_id": str(child1.id)})
        assert set(caught.value.fields) == {f"relations.{child2.id}"}
    async with scoped(ward) as session:
        new = await services.split_household(session, household.id, {
            "code": "HK-041", "member_ids": [str(child1.id), str(child2.id)], "new_head_id": str(child1.id),
            "relations": {str(child2.id): "sibling"}, "address": "99 Lê Lợi"})
        assert (new.code, new.address) == ("HK-041", "99 Lê Lợi")
        assert {(p.id, p.relation) for p in await services.members(session, new.id)} == {
            (child1.id, "head"), (child2.id, "sibling")}
        assert {p.id for p in await services.members(session, household.id)} == {head.id, spouse.id}


async def test_split_taking_the_head_needs_a_head_for_those_who_stay(scoped, ward, people):
    household, (head, spouse, _child) = await register(scoped, ward, people.family("HK-050", 3))
    async with scoped(ward) as session:
        with pytest.raises(UserError) as caught:
            await services.split_household(session, household.id, {
                "code": "HK-051", "member_ids": [str(head.id)], "new_head_id": str(head.id)})
        assert "remaining_head_id" in caught.value.fields
    async with scoped(ward) as session:
        await services.split_household(session, household.id, {
            "code": "HK-051", "member_ids": [str(head.id)], "new_head_id": str(head.id),
            "remaining_head_id": str(spouse.id)})
        assert services.head_of(await services.members(session, household.id)).id == spouse.id


async def test_death(scoped, ward, people):
    household, (head, spouse, child) = await register(scoped, ward, people.family("HK-060", 3))
    async with scoped(ward) as session:
        with pytest.raises(UserError) as caught:
            await services.record_death(session, head.id, {"date": "01/07/2026"}, today=TODAY)
        assert set(caught.value.fields) == {"date"}  # in the future
    async with scoped(ward) as session:
        with pytest.raises(UserError) as caught:
            await services.record_death(session, head.id, {"date": "01/06/2026"}, today=TODAY)
        assert set(caught.value.fields) == {"new_head_id"}
    async with scoped(ward) as session:
        dead = await services.record_death(session, head.id, {"date": "01/06/2026", "new_head_id": str(spouse.id)},
                                           today=TODAY)
        assert (dead.status, dead.relation) == ("deceased", "head")  # the relation stays as history
        remaining = await services.members(session, household.id)
        assert [p.id for p in remaining] == [spouse.id, child.id] and remaining[0].relation == "head"
        with pytest.raises(UserError):
            await services.record_death(session, head.id, {}, today=TODAY)  # already deceased


async def test_last_member_leaving_dissolves_the_household(scoped, ward, people):
    household, (alone,) = await register(scoped, ward, people.family("HK-070", 1))
    async with scoped(ward) as session:
        await services.record_death(session, alone.id, {}, today=TODAY)
        assert (await services.get_household(session, household.id)).status == "dissolved"
        with pytest.raises(UserError):
            await services.add_member(session, household.id, people.member("child"), today=TODAY)


async def test_update_person_with_versions(scoped, ward, people):
    _household, (head, *_rest) = await register(scoped, ward, people.family("HK-080", 2))
    async with scoped(ward) as session:
        updated = await services.update_person(session, head.id, {"phone": "0987654321", "occupation": "Kỹ sư"},
                                               expected_version=head.version, today=TODAY)
        assert updated.version == head.version + 1 and updated.phone == "0987654321"
    async with scoped(ward) as session:
        with pytest.raises(UserError) as caught:
            await services.update_person(session, head.id, {"phone": "0911111111"}, expected_version=head.version)
        assert caught.value.code == "CONFLICT"
        with pytest.raises(UserError) as caught:
            await services.update_person(session, head.id, {"household_id": "x"})
        assert set(caught.value.fields) == {"household_id"}
        with pytest.raises(UserError) as caught:
            await services.update_person(session, head.id, {"sex": "female"})  # the number says male
        assert set(caught.value.fields) == {"id_number"}


async def test_neighbourhoods_have_two_levels(scoped, ward):
    async with scoped(ward) as session:
        area = await services.create_neighbourhood(session, {"code": "KP1", "name": "Khu phố 1"})
        group = await services.create_neighbourhood(session, {"code": "KP1-T1", "name": "Tổ 1", "parent_id": area.id})
        assert (area.kind, group.kind) == ("khu_pho", "to_dan_pho")
        with pytest.raises(UserError) as caught:
            await services.create_neighbourhood(session, {"code": "X", "name": "X", "parent_id": group.id})
        assert "parent_id" in caught.value.fields
        with pytest.raises(UserError) as caught:
            await services.create_neighbourhood(session, {"code": "KP1", "name": "again"})
        assert "code" in caught.value.fields
        with pytest.raises(UserError) as caught:
            await services.create_neighbourhood(session, {"code": "KP2", "name": "x", "kind": "to_dan_pho"})
        assert "kind" in caught.value.fields
