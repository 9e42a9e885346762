"""Who may do what: the permissions residents declares, its guards, and row filters for limited roles."""

import pytest

from plugins.residents.plugin import IDENTITY, PERMISSIONS

pytestmark = pytest.mark.plugins("residents")


def base(ward):
    return f"/t/{ward.key}/residents"


def test_declared_permissions():
    by_name = {p.name: p for p in PERMISSIONS}
    assert set(by_name) == {
        "residents.household:read", "residents.household:write", "residents.person:read",
        "residents.person:write", IDENTITY, "residents.statistics:read", "residents.import:write"}
    assert by_name[IDENTITY].sensitive and by_name[IDENTITY].grants == {"ward_chair", "ward_officer"}
    assert "resident" in by_name["residents.person:read"].grants
    assert "resident" not in by_name["residents.person:write"].grants
    assert all(p.title_vi and p.title_en for p in PERMISSIONS)


@pytest.fixture
async def area_ward(client, ward, people):
    """A ward with two households in two neighbourhoods (one in a tổ of KP1)."""
    kp1 = (await client.post(f"{base(ward)}/neighbourhoods", json={"code": "KP1", "name": "Khu phố 1"})).json()
    tdp = (await client.post(f"{base(ward)}/neighbourhoods",
                             json={"code": "KP1-T1", "name": "Tổ 1", "parent_id": kp1["id"]})).json()
    kp2 = (await client.post(f"{base(ward)}/neighbourhoods", json={"code": "KP2", "name": "Khu phố 2"})).json()
    first = people.family("HK-1", 2, neighbourhood_id=tdp["id"])
    first["members"][0]["full_name"] = "Nguyễn Văn Một"
    second = people.family("HK-2", 2, neighbourhood_id=kp2["id"])
    second["members"][0]["full_name"] = "Nguyễn Văn Hai"
    one = (await client.post(f"{base(ward)}/households", json=first)).json()
    two = (await client.post(f"{base(ward)}/households", json=second)).json()
    return {"kp1": kp1, "kp2": kp2, "one": one, "two": two, "number": first["members"][0]["id_number"]}


async def test_anonymous_and_foreign_callers_are_refused(anon_client, client_as, make_tenant, ward, area_ward):
    response = await anon_client.get(f"{base(ward)}/households")
    assert response.status_code == 401 and response.json()["error"]["code"] == "UNAUTHENTICATED"
    elsewhere = await make_tenant(plugins=("residents",))
    stranger = await client_as("ward_officer", elsewhere)
    response = await stranger.get(f"{base(ward)}/households")
    assert response.status_code == 403
    person = area_ward["one"]["members"][0]["id"]
    response = await stranger.post(f"{base(ward)}/persons/{person}/moves", json={"to": elsewhere.key})
    assert response.status_code == 403  # only the person's own ward asks for a move


async def test_an_integrator_reads_figures_but_writes_nothing(client_as, ward, area_ward, people):
    integrator = await client_as("integrator", ward)
    assert (await integrator.get(f"{base(ward)}/statistics")).json()["persons"] == 4
    response = await integrator.post(f"{base(ward)}/households", json=people.family("HK-9", 1))
    assert response.status_code == 403 and response.json()["error"]["code"] == "FORBIDDEN"
    assert (await integrator.get(f"{base(ward)}/export")).status_code == 403
    page = (await integrator.get(f"{base(ward)}/persons/{area_ward['one']['members'][0]['id']}")).json()
    assert "id_number" not in page


async def test_searching_by_number_needs_the_identity_permission(client, client_as, ward, area_ward):
    response = await client.get(f"{base(ward)}/search", params={"q": area_ward["number"]})
    assert response.status_code == 403  # a platform administrator does not read identities
    officer = await client_as("ward_officer", ward)
    found = (await officer.get(f"{base(ward)}/search", params={"q": area_ward["number"]})).json()
    assert [p["full_name"] for p in found["persons"]] == ["Nguyễn Văn Một"]


async def test_a_resident_sees_their_own_household_only(client_as, ward, area_ward):
    own, other = area_ward["one"], area_ward["two"]
    resident = await client_as("resident", ward, {"household": own["id"]})
    listed = (await resident.get(f"{base(ward)}/households")).json()["items"]
    assert [h["code"] for h in listed] == ["HK-1"]
    found = (await resident.get(f"{base(ward)}/search", params={"q": "nguyen van"})).json()
    assert [p["full_name"] for p in found["persons"]] == ["Nguyễn Văn Một"]
    assert [h["code"] for h in (await resident.get(f"{base(ward)}/search", params={"q": "hk"})).json()["households"]] \
        == ["HK-1"]
    assert (await resident.get(f"{base(ward)}/households/{own['id']}")).status_code == 200
    assert (await resident.get(f"{base(ward)}/households/{other['id']}")).status_code == 404
    assert (await resident.get(f"{base(ward)}/persons/{other['members'][0]['id']}")).status_code == 404
    assert (await resident.get(f"{base(ward)}/statistics")).status_code == 403
    response = await resident.patch(f"{base(ward)}/persons/{own['members'][0]['id']}", json={"phone": "0901234567"})
    assert response.status_code == 403  # residents propose changes through the workflow, later


async def test_a_neighbourhood_head_sees_their_neighbourhood(client_as, ward, area_ward):
    head = await client_as("neighborhood_head", ward, {"neighborhood": area_ward["kp1"]["id"]})
    listed = (await head.get(f"{base(ward)}/households")).json()["items"]
    assert [h["code"] for h in listed] == ["HK-1"]  # in a tổ of their khu phố
    assert (await head.get(f"{base(ward)}/households/{area_ward['two']['id']}")).status_code == 404
    broken = await client_as("neighborhood_head", ward, {"neighborhood": "not-an-id"})
    assert (await broken.get(f"{base(ward)}/households")).json()["items"] == []


async def test_a_district_administrator_reads_the_ward_below(client_as, ward, area_ward):
    district = await client_as("district_admin", ward.parent_id)
    figures = (await district.get(f"{base(ward)}/statistics")).json()
    assert figures["persons"] == 4
    page = (await district.get(f"{base(ward)}/persons/{area_ward['two']['members'][0]['id']}")).json()
    assert "id_number" not in page and page["full_name"] == "Nguyễn Văn Hai"
