"""The REST endpoints through real HTTP: thin over the services, client errors as 4xx, never 500."""

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core.audit.models import AuditEntry
from plugins.residents.samples import SampleMaker
from plugins.residents.tests.conftest import TODAY

pytestmark = pytest.mark.plugins("residents")
EN = {"Accept-Language": "en"}


def base(ward):
    return f"/t/{ward.key}/residents"


async def post_ok(client, url, body, status=201):
    response = await client.post(url, json=body, headers=EN)
    assert response.status_code == status, response.text
    return response.json()


async def test_register_show_and_search_a_household(client, ward, people):
    data = people.family("HK-1", 3)
    data["members"][0]["full_name"] = "Nguyễn Văn Đức"
    created = await post_ok(client, f"{base(ward)}/households", data)
    assert created["code"] == "HK-1" and len(created["members"]) == 3
    assert created["members"][0]["id_number_masked"].endswith(data["members"][0]["id_number"][-3:])
    assert "id_number" not in created["members"][0]  # lists show a masked number only
    shown = (await client.get(f"{base(ward)}/households/{created['id']}")).json()
    assert shown["head_id"] == created["members"][0]["id"]
    found = (await client.get(f"{base(ward)}/search", params={"q": "nguyen van duc"})).json()
    assert [p["full_name"] for p in found["persons"]] == ["Nguyễn Văn Đức"]
    assert found["persons"][0]["household_code"] == "HK-1"
    listed = (await client.get(f"{base(ward)}/households", params={"q": "hk"})).json()
    assert [h["code"] for h in listed["items"]] == ["HK-1"]
    assert (await client.get(f"{base(ward)}/households")).json()["items"][0]["code"] == "HK-1"


async def test_person_page_shows_identity_to_officers_and_audits_the_read(client, client_as, scoped, ward, people):
    created = await post_ok(client, f"{base(ward)}/households", people.family("HK-1", 1))
    person_id = created["members"][0]["id"]
    page = (await client.get(f"{base(ward)}/persons/{person_id}")).json()  # a platform administrator
    assert "id_number" not in page and "religion" not in page and page["id_number_masked"]
    assert "phone" in page and "occupation" in page  # contact details need no identity permission
    officer = await client_as("ward_officer", ward)
    page = (await officer.get(f"{base(ward)}/persons/{person_id}")).json()
    assert page["id_number"] and page["religion"] and page["sections"] == []
    async with scoped(ward) as session:
        reads = (await session.execute(select(AuditEntry.actor_id).where(
            AuditEntry.action == "read", AuditEntry.entity_id == person_id))).scalars().all()
    assert reads == [officer.user.id]  # only the read that showed the sensitive fields


async def test_bad_input_is_400_with_fields_in_the_request_language(client, ward, people):
    data = people.family("HK-1", 2)
    data["members"][1]["id_number"] = "123"
    response = await client.post(f"{base(ward)}/households", json=data, headers=EN)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "BAD_USER_INPUT"
    assert error["fields"] == {"members.1.id_number": "The personal identification number must be exactly 12 digits"}
    response = await client.post(f"{base(ward)}/households", json=data)  # Vietnamese by default
    assert response.json()["error"]["fields"]["members.1.id_number"].startswith("Số định danh cá nhân")
    for body in ([1, 2], "x", {"members": "x"}, {}):
        response = await client.post(f"{base(ward)}/households", json=body)
        assert response.status_code == 400, (body, response.text)
    response = await client.post(f"{base(ward)}/households/not-a-uuid/members", json={})
    assert response.status_code in (400, 404)
    response = await client.get(f"{base(ward)}/persons/01a20000-0000-7000-8000-000000000000", headers=EN)
    assert response.status_code == 404 and response.json()["error"]["code"] == "NOT_FOUND"


async def test_household_operations(client, ward, people):
    created = await post_ok(client, f"{base(ward)}/households", people.family("HK-1", 4))
    head, spouse, child, child2 = (m["id"] for m in created["members"])
    url = f"{base(ward)}/households/{created['id']}"
    baby = await post_ok(client, f"{url}/members", people.member("grandchild", "female", 2025))
    changed = await post_ok(client, f"{url}/head", {"new_head_id": spouse, "former_head_relation": "spouse"}, 200)
    assert changed["head_id"] == spouse
    split = await post_ok(client, f"{url}/split", {"code": "HK-2", "member_ids": [child, child2],
                                                   "new_head_id": child, "relations": {child2: "sibling"}})
    assert {m["id"] for m in split["members"]} == {child, child2}
    moved = await post_ok(client, f"{base(ward)}/persons/{baby['id']}/household",
                          {"household_id": split["id"], "relation": "nephew_niece"}, 200)
    assert moved["household_id"] == split["id"]
    dead = await post_ok(client, f"{base(ward)}/persons/{head}/death", {"date": "01/06/2026"}, 200)
    assert dead["status"] == "deceased"
    gone = await post_ok(client, f"{base(ward)}/persons/{baby['id']}/remove",
                         {"reason": "moved_away", "destination": "Hàn Quốc"}, 200)
    assert gone["person"]["status"] == "moved_away"


async def test_edit_with_a_stale_version_is_a_conflict(client, ward, people):
    created = await post_ok(client, f"{base(ward)}/households", people.family("HK-1", 1))
    person = created["members"][0]
    url = f"{base(ward)}/persons/{person['id']}"
    edited = (await client.patch(url, json={"phone": "0901234567", "version": person["version"]})).json()
    assert edited["phone"] == "0901234567" and edited["version"] == person["version"] + 1
    response = await client.patch(url, json={"phone": "0907654321", "version": person["version"]}, headers=EN)
    assert response.status_code == 409 and response.json()["error"]["code"] == "CONFLICT"
    response = await client.patch(url, json={"version": "one"})
    assert response.status_code == 400


async def test_a_move_between_wards_over_http(client, client_as, make_tenant, people):
    a, b = await make_tenant(plugins=("residents",)), await make_tenant(plugins=("residents",))
    family = people.family("HK-1", 2)
    spouse_number = family["members"][1]["id_number"]
    created = await post_ok(client, f"{base(a)}/households", family)
    spouse = created["members"][1]
    response = await client.post(f"{base(a)}/persons/{spouse['id']}/moves", json={"to": "local:nowhere"}, headers=EN)
    assert response.status_code == 400 and "to" in response.json()["error"]["fields"]
    move = await post_ok(client, f"{base(a)}/persons/{spouse['id']}/moves", {"to": b.key, "note": "Lấy chồng"})
    incoming = (await client.get(f"{base(b)}/moves", params={"direction": "in"})).json()["items"]
    assert [m["id"] for m in incoming] == [move["id"]] and incoming[0]["other_unit"] == a.key
    assert incoming[0]["summary"]["full_name"] == spouse["full_name"]
    officer_b = await client_as("ward_officer", b)
    arrived = await post_ok(officer_b, f"{base(b)}/moves/{move['id']}/accept",
                            {"household": {"code": "HK-B1", "address": "7 Hai Bà Trưng"}}, 200)
    assert arrived["relation"] == "head" and arrived["id_number"] == spouse_number
    left = (await client.get(f"{base(a)}/persons/{spouse['id']}")).json()
    assert left["status"] == "moved_away" and left["moved_to"] == b.key
    response = await client.post(f"{base(b)}/moves/{move['id']}/accept", json={}, headers=EN)
    assert response.status_code == 409
    outgoing = (await client.get(f"{base(a)}/moves", params={"direction": "out"})).json()["items"]
    assert outgoing[0]["status"] == "accepted"
    not_enabled = await make_tenant(plugins=())
    response = await client.post(f"{base(a)}/persons/{created['members'][0]['id']}/moves",
                                 json={"to": not_enabled.key}, headers=EN)
    assert response.status_code == 400 and "residents" in response.json()["error"]["fields"]["to"]


async def test_reject_and_cancel_over_http(client, make_tenant, people):
    a, b = await make_tenant(plugins=("residents",)), await make_tenant(plugins=("residents",))
    created = await post_ok(client, f"{base(a)}/households", people.family("HK-1", 2))
    spouse = created["members"][1]["id"]
    move = await post_ok(client, f"{base(a)}/persons/{spouse}/moves", {"to": b.key})
    response = await client.post(f"{base(b)}/moves/{move['id']}/reject", json={})
    assert response.status_code == 400
    rejected = await post_ok(client, f"{base(b)}/moves/{move['id']}/reject", {"reason": "Sai địa chỉ"}, 200)
    assert rejected["status"] == "rejected"
    move = await post_ok(client, f"{base(a)}/persons/{spouse}/moves", {"to": b.key})
    response = await client.post(f"{base(b)}/moves/{move['id']}/cancel", json={})
    assert response.status_code == 404  # only the sending ward cancels
    cancelled = await post_ok(client, f"{base(a)}/moves/{move['id']}/cancel", {}, 200)
    assert cancelled["status"] == "cancelled"


async def test_statistics_over_http(client, ward, people):
    await post_ok(client, f"{base(ward)}/households", people.family("HK-1", 3))
    figures = (await client.get(f"{base(ward)}/statistics")).json()
    assert (figures["households"], figures["persons"]) == (1, 3)
    assert figures["policy_families"] is None
    assert sum(r["persons"] for r in figures["by_age_band"]) == 3


async def test_import_and_export_files(client, client_as, ward):
    rows = SampleMaker(ward.id, TODAY).persons(50)
    template = await client.get(f"{base(ward)}/import-template", params={"format": "csv"})
    assert template.status_code == 200 and template.headers["content-type"].startswith("text/csv")
    lines = [template.content.decode("utf-8-sig").strip()]
    from plugins.residents.imports import KEYS

    lines += [",".join(str(r[k] or "") for k in KEYS) for r in rows]
    content = "\n".join(lines).encode("utf-8")
    checked = await client.post(f"{base(ward)}/imports", params={"dry_run": "true"},
                                files={"file": ("nhan-khau.csv", content, "text/csv")})
    assert checked.status_code == 200 and checked.json()["written"] is False, checked.text
    loaded = await client.post(f"{base(ward)}/imports", files={"file": ("nhan-khau.csv", content, "text/csv")})
    assert loaded.status_code == 201 and loaded.json()["persons"] == 50, loaded.text
    again = await client.post(f"{base(ward)}/imports", params={"filename": "again.csv"}, content=content,
                              headers={"Content-Type": "text/csv", **EN})
    assert again.status_code == 400
    error = again.json()["error"]
    assert error["code"] == "BAD_USER_INPUT" and "nothing was written" in error["message"]
    assert any(key.startswith("rows.2.") for key in error["fields"])
    assert (await client.get(f"{base(ward)}/export")).status_code == 403  # the file holds ID numbers
    officer = await client_as("ward_officer", ward)
    exported = await officer.get(f"{base(ward)}/export", params={"format": "xlsx"})
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.content), read_only=True).worksheets[0]
    assert sum(1 for _ in sheet.iter_rows()) == 51
    response = await officer.get(f"{base(ward)}/export", params={"format": "pdf"})
    assert response.status_code == 400
    response = await client.post(f"{base(ward)}/imports", content=b"")
    assert response.status_code == 400


async def test_reference_and_neighbourhoods(client, ward):
    lists = (await client.get(f"{base(ward)}/reference")).json()
    assert len(lists["ethnicities"]) == 54 and lists["ethnicities"][0] == {"code": "01", "vi": "Kinh",
                                                                            "en": "Kinh (Viet)"}
    area = await post_ok(client, f"{base(ward)}/neighbourhoods", {"code": "KP1", "name": "Khu phố 1"})
    await post_ok(client, f"{base(ward)}/neighbourhoods", {"code": "KP1-T1", "name": "Tổ 1", "parent_id": area["id"]})
    assert [n["code"] for n in (await client.get(f"{base(ward)}/neighbourhoods")).json()] == ["KP1", "KP1-T1"]


async def test_a_ward_without_the_plugin(client, make_tenant):
    other = await make_tenant(plugins=())
    response = await client.get(f"{base(other)}/statistics")
    assert response.status_code == 404 and response.json()["error"]["code"] == "PLUGIN_NOT_ENABLED"


async def test_an_object_or_a_list_where_text_is_expected_is_a_field_error(client, ward, people):
    family = people.family("HK-TYPE", 2)
    family["address"] = ["12", "Nguyễn Trãi"]
    family["members"][1]["full_name"] = {"ho": "Nguyễn", "ten": "An"}
    response = await client.post(f"{base(ward)}/households", json=family, headers={"Accept-Language": "en"})
    assert response.status_code == 400, response.text
    fields = response.json()["error"]["fields"]
    must = "Must be text or a number, not a list or an object"
    assert fields["address"] == must and [v for k, v in fields.items() if k.endswith("full_name")] == [must], fields
    assert (await client.get(f"{base(ward)}/households", params={"q": "HK-TYPE"})).json()["items"] == []
