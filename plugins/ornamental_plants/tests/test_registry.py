"""Associations and members, specimens, events with entries and awards, traders — services and HTTP."""

import pytest

from core.toolkit import UserError
from plugins.ornamental_plants import services
from plugins.ornamental_plants.tests.conftest import PLUGINS
from plugins.residents import services as residents
from plugins.residents.tests.conftest import TODAY, People

pytestmark = pytest.mark.plugins(*PLUGINS)
EN = {"Accept-Language": "en"}


def base(ward):
    return f"/t/{ward.key}/ornamental_plants"


async def persons(scoped, ward, count):
    async with scoped(ward) as session:
        household = await residents.register_household(session, People().family("HK-OP", count), today=TODAY)
        return [p.id for p in await residents.members(session, household.id)]


async def test_members_are_persons_of_the_ward_once_at_a_time(scoped, ward, make_tenant):
    a, _b = await persons(scoped, ward, 2)
    async with scoped(ward) as session:
        club = await services.create_association(session, {"name": "Hội Bonsai Phú Thọ"})
        member = await services.add_member(session, club.id, {"person_id": str(a), "role": "chair"})
        with pytest.raises(UserError) as caught:
            await services.add_member(session, club.id, {"person_id": str(a)})
        assert caught.value.code == "CONFLICT"
        await services.member_leaves(session, member.id, {})
        again = await services.add_member(session, club.id, {"person_id": str(a)})  # rejoining after leaving
        assert again.role == "member"
        with pytest.raises(UserError) as caught:
            await services.create_association(session, {"name": "Hội Bonsai Phú Thọ"})
        assert caught.value.code == "CONFLICT"
    other = await make_tenant(plugins=PLUGINS)
    async with scoped(other) as session:
        club = await services.create_association(session, {"name": "Hội khác"})
        with pytest.raises(UserError) as caught:
            await services.add_member(session, club.id, {"person_id": str(a), "role": "boss"})
        assert set(caught.value.fields) == {"person_id", "role"}


async def test_specimens_events_entries_and_awards_over_http(client, ward, scoped):
    (owner,) = await persons(scoped, ward, 1)
    club = (await client.post(f"{base(ward)}/associations", json={"name": "Hội Cá cảnh"})).json()
    bad = await client.post(f"{base(ward)}/specimens", json={"code": "", "kind": "dragon", "name": "x",
                                                             "association_id": "0190a1b2-0000-7000-8000-0000000000aa"},
                            headers=EN)
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"code", "kind", "association_id", "owner_name"}
    fish = await client.post(f"{base(ward)}/specimens", json={
        "code": "CA-01", "kind": "fish", "name": "Cá La Hán", "owner_person_id": str(owner),
        "association_id": club["id"]})
    assert fish.status_code == 201 and fish.json()["owner_name"]
    duplicate = await client.post(f"{base(ward)}/specimens", json={"code": "CA-01", "kind": "fish", "name": "y",
                                                                   "owner_name": "z"})
    assert duplicate.status_code == 409
    wrong = await client.post(f"{base(ward)}/events", json={"name": "Triển lãm Xuân", "kind": "exhibition",
                                                            "starts_on": "2027-02-10", "ends_on": "2027-02-01"})
    assert wrong.status_code == 400 and "ends_on" in wrong.json()["error"]["fields"]
    event = (await client.post(f"{base(ward)}/events", json={
        "name": "Triển lãm Xuân", "kind": "exhibition", "starts_on": "2027-02-01", "ends_on": "2027-02-10"})).json()
    entry = await client.post(f"{base(ward)}/events/{event['id']}/entries", json={"specimen_id": fish.json()["id"]})
    assert entry.status_code == 201
    twice = await client.post(f"{base(ward)}/events/{event['id']}/entries", json={"specimen_id": fish.json()["id"]})
    assert twice.status_code == 409
    assert (await client.post(f"{base(ward)}/entries/{entry.json()['id']}/award",
                              json={"award": "platinum"})).status_code == 400
    won = await client.post(f"{base(ward)}/entries/{entry.json()['id']}/award", json={"award": "gold"})
    assert won.status_code == 200 and won.json()["award"] == "gold"
    assert (await client.get(f"{base(ward)}/events/{event['id']}/entries")).json()[0]["award"] == "gold"
    page = await client.get(f"{base(ward)}/", headers=EN)
    assert page.status_code == 200 and "Cá La Hán" in page.text and "Triển lãm Xuân" in page.text


async def test_traders(client, ward):
    bad = await client.post(f"{base(ward)}/traders", json={"name": "Vườn kiểng", "owner_name": "Tâm",
                                                           "address": "x", "kinds": ["bonsai", "cars"],
                                                           "phone": "09x"})
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"kinds", "phone"}
    ok = await client.post(f"{base(ward)}/traders", json={"name": "Vườn kiểng", "owner_name": "Tâm", "address": "x",
                                                          "kinds": ["rock", "bonsai"], "phone": "0909 123 456"})
    assert ok.status_code == 201 and ok.json()["kinds"] == ["bonsai", "rock"]
    assert len((await client.get(f"{base(ward)}/traders")).json()) == 1


async def test_access(client_as, ward):
    integrator = await client_as("integrator", ward)
    assert (await integrator.get(f"{base(ward)}/specimens")).status_code == 200
    assert (await integrator.post(f"{base(ward)}/traders", json={})).status_code == 403
    resident = await client_as("resident", ward, {"household": "0190a1b2-0000-7000-8000-000000000000"})
    assert (await resident.get(f"{base(ward)}/specimens")).status_code == 403
