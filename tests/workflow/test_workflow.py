"""The 3-tier change workflow through HTTP, with residents' change types (DESIGN §6)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select

from core.audit.models import AuditEntry
from core.db.scoping import TenantScope
from core.workflow.models import ChangeRequest as ChangeRequestRow
from plugins.residents.models import Person
from tests.workflow.conftest import contact, wf

pytestmark = pytest.mark.plugins("residents")


async def person_row(db, ward, person_id) -> Person:
    async with db.session(TenantScope.of(ward.id)) as session:
        return (await session.execute(select(Person).where(Person.id == uuid.UUID(str(person_id))))).scalar_one()


async def propose(world, body) -> dict:
    response = await world.resident.post(f"{wf(world.ward)}/changes", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def step(client, ward, request_id, action, **body):
    return await client.post(f"{wf(ward)}/changes/{request_id}/{action}", json=body or None)


async def test_resident_proposes_officer_reviews_chair_approves(world, db):
    person = world.home["members"][1]
    before = await person_row(db, world.ward, person["id"])
    created = await propose(world, contact(person["id"], phone="0912345678", occupation="Giáo viên"))
    assert created["state"] == "submitted" and created["tiers"] == 3
    assert created["target_version"] == before.version and created["actions"] == ["withdraw"]

    # the chair cannot skip the officer with 3 tiers
    early = await step(world.chair, world.ward, created["id"], "approve")
    assert early.status_code == 409 and early.json()["error"]["code"] == "CONFLICT"

    reviewed = await step(world.officer, world.ward, created["id"], "review")
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["state"] == "reviewed"
    assert (await person_row(db, world.ward, person["id"])).phone == before.phone  # not applied yet

    approved = await step(world.chair, world.ward, created["id"], "approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "approved"
    after = await person_row(db, world.ward, person["id"])
    assert (after.phone, after.occupation) == ("0912345678", "Giáo viên")
    assert after.version == before.version + 1

    again = await step(world.chair, world.ward, created["id"], "approve")
    assert again.status_code == 409


async def test_two_tiers_the_officer_approves_directly(world, db):
    response = await world.chair.put(f"{wf(world.ward)}/settings", json={"tiers": 2})
    assert response.status_code == 200 and response.json() == {"tiers": 2}
    assert (await world.officer.get(f"{wf(world.ward)}/settings")).json() == {"tiers": 2}
    denied = await world.officer.put(f"{wf(world.ward)}/settings", json={"tiers": 3})
    assert denied.status_code == 403
    person = world.home["members"][2]
    created = await propose(world, contact(person["id"], phone="0987654321"))
    assert created["tiers"] == 2
    review = await step(world.officer, world.ward, created["id"], "review")
    assert review.status_code == 409
    approved = await step(world.officer, world.ward, created["id"], "approve")
    assert approved.status_code == 200, approved.text
    assert (await person_row(db, world.ward, person["id"])).phone == "0987654321"


async def test_bad_tiers_are_refused(world):
    response = await world.chair.put(f"{wf(world.ward)}/settings", json={"tiers": 4},
                                     headers={"accept-language": "en"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"tiers": "The number of tiers must be 2 or 3"}


async def test_reject_needs_a_reason(world, db):
    person = world.home["members"][1]
    created = await propose(world, contact(person["id"]))
    response = await step(world.officer, world.ward, created["id"], "reject")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"reason": "Hãy ghi lý do từ chối"}
    response = await step(world.officer, world.ward, created["id"], "reject", reason="Số điện thoại không đúng")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"] == "rejected" and body["reason"] == "Số điện thoại không đúng"
    assert (await person_row(db, world.ward, person["id"])).phone != "0912345678"
    # the proposer hears about it
    inbox = (await world.resident.get(f"{wf(world.ward)}/notifications")).json()["items"]
    assert [n["kind"] for n in inbox] == ["rejected"]


async def test_withdraw_by_the_proposer_only_before_a_decision(world):
    person = world.home["members"][1]
    created = await propose(world, contact(person["id"]))
    response = await step(world.officer, world.ward, created["id"], "withdraw")
    assert response.status_code == 403
    response = await step(world.resident, world.ward, created["id"], "withdraw")
    assert response.status_code == 200 and response.json()["state"] == "withdrawn"
    assert (await step(world.officer, world.ward, created["id"], "review")).status_code == 409
    decided = await propose(world, contact(person["id"], phone="0911111111"))
    assert (await step(world.officer, world.ward, decided["id"], "reject", reason="Không rõ")).status_code == 200
    assert (await step(world.resident, world.ward, decided["id"], "withdraw")).status_code == 409


async def test_a_resident_proposes_only_for_their_own_household(world):
    stranger = world.other["members"][0]["id"]
    response = await world.resident.post(f"{wf(world.ward)}/changes", json=contact(stranger))
    assert response.status_code == 403 and response.json()["error"]["code"] == "FORBIDDEN"
    member = {"plugin": "residents", "change_type": "add_member", "target_id": world.other["id"],
              "values": {"full_name": "Lê Văn Mới", "birth_date": "01/01/2020", "sex": "male", "relation": "child"}}
    response = await world.resident.post(f"{wf(world.ward)}/changes", json=member)
    assert response.status_code == 403
    # nor reviews or approves anything
    own = await propose(world, contact(world.home["members"][1]["id"]))
    assert (await step(world.resident, world.ward, own["id"], "review")).status_code == 403


async def test_nobody_decides_on_their_own_proposal(world, client_as):
    officer_proposes = await world.officer.post(f"{wf(world.ward)}/changes",
                                                json=contact(world.home["members"][1]["id"]))
    assert officer_proposes.status_code == 201
    response = await step(world.officer, world.ward, officer_proposes.json()["id"], "review")
    assert response.status_code == 403


async def test_approval_meeting_a_conflict_applies_nothing(world, client, db):
    person = world.home["members"][1]
    created = await propose(world, contact(person["id"], phone="0912345678"))
    assert (await step(world.officer, world.ward, created["id"], "review")).status_code == 200
    # an officer edits the person directly in between (to a value no sample person has, so it changes)
    edit = await client.patch(f"/t/{world.ward.key}/residents/persons/{person['id']}",
                              json={"occupation": "Kỹ sư cầu đường"})
    assert edit.status_code == 200, edit.text
    changed = await person_row(db, world.ward, person["id"])
    assert changed.version == created["target_version"] + 1
    response = await step(world.chair, world.ward, created["id"], "approve")
    assert response.status_code == 409 and response.json()["error"]["code"] == "CONFLICT"
    english = await world.chair.post(f"{wf(world.ward)}/changes/{created['id']}/approve",
                                     headers={"accept-language": "en"})
    assert english.json()["error"]["message"].startswith("The record changed since the proposal")
    after = await person_row(db, world.ward, person["id"])
    assert (after.phone, after.version) == (changed.phone, changed.version)
    state = (await world.chair.get(f"{wf(world.ward)}/changes/{created['id']}")).json()["state"]
    assert state == "reviewed"  # still open: it can be rejected, and proposed again


async def test_two_concurrent_approvals_apply_once(world, client_as, db):
    person = world.home["members"][1]
    created = await propose(world, contact(person["id"], phone="0912345678"))
    assert (await step(world.officer, world.ward, created["id"], "review")).status_code == 200
    other_chair = await client_as("ward_chair", world.ward)
    before = await person_row(db, world.ward, person["id"])
    first, second = await asyncio.gather(
        step(world.chair, world.ward, created["id"], "approve"),
        step(other_chair, world.ward, created["id"], "approve"),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409], (first.text, second.text)
    after = await person_row(db, world.ward, person["id"])
    assert after.version == before.version + 1 and after.phone == "0912345678"
    async with db.session(TenantScope.of(world.ward.id)) as session:
        updates = (await session.execute(select(AuditEntry).where(
            AuditEntry.entity == "residents_persons", AuditEntry.entity_id == person["id"],
            AuditEntry.action == "update"))).scalars().all()
    assert len(updates) == 1


async def test_inbox_shows_the_next_actors_items(world):
    person = world.home["members"][1]
    created = await propose(world, contact(person["id"]))
    officer_inbox = (await world.officer.get(f"{wf(world.ward)}/notifications?unread=true")).json()["items"]
    assert [(n["kind"], n["change_request_id"]) for n in officer_inbox] == [("submitted", created["id"])]
    assert (await world.chair.get(f"{wf(world.ward)}/notifications")).json()["items"] == []
    assert (await step(world.officer, world.ward, created["id"], "review")).status_code == 200
    assert (await world.officer.get(f"{wf(world.ward)}/notifications?unread=true")).json()["items"] == []
    chair_inbox = (await world.chair.get(f"{wf(world.ward)}/notifications")).json()["items"]
    assert [n["kind"] for n in chair_inbox] == ["reviewed"] and not chair_inbox[0]["read"]
    marked = await world.chair.post(f"{wf(world.ward)}/notifications/{chair_inbox[0]['id']}/read")
    assert marked.status_code == 200 and marked.json()["read"]
    assert (await world.resident.post(f"{wf(world.ward)}/notifications/{chair_inbox[0]['id']}/read")).status_code == 404
    assert (await step(world.chair, world.ward, created["id"], "approve")).status_code == 200
    mine = (await world.resident.get(f"{wf(world.ward)}/notifications")).json()["items"]
    assert [n["kind"] for n in mine] == ["approved"]


async def test_the_inbox_page_lists_pending_requests_with_buttons(world, db):
    person = world.home["members"][1]
    created = await propose(world, contact(person["id"], phone="0912345678"))
    page = await world.officer.get(f"/t/{world.ward.key}/inbox", headers={"accept": "text/html"})
    assert page.status_code == 200, page.text
    assert created["id"] in page.text and 'name="_csrf_token"' in page.text
    assert f'/inbox/{created["id"]}/review' in page.text and f'/inbox/{created["id"]}/reject' in page.text
    assert "Sửa số điện thoại, nghề nghiệp" in page.text
    csrf = world.officer.cookies.get("csrftoken")
    response = await world.officer.post(f"/t/{world.ward.key}/inbox/{created['id']}/review",
                                        data={"_csrf_token": csrf}, headers={"x-csrftoken": ""},
                                        follow_redirects=False)
    assert response.status_code == 303, response.text
    chair_page = await world.chair.get(f"/t/{world.ward.key}/inbox?lang=en")
    assert f'/inbox/{created["id"]}/approve' in chair_page.text and "Approve" in chair_page.text
    response = await world.chair.post(f"/t/{world.ward.key}/inbox/{created['id']}/approve",
                                      data={"_csrf_token": world.chair.cookies.get("csrftoken")},
                                      follow_redirects=False)
    assert response.status_code == 303
    assert (await person_row(db, world.ward, person["id"])).phone == "0912345678"
    # without the CSRF token a form post is refused
    other = await propose(world, contact(person["id"], phone="0911111111"))
    world.officer.headers.pop("x-csrftoken", None)
    response = await world.officer.post(f"/t/{world.ward.key}/inbox/{other['id']}/review", data={},
                                        follow_redirects=False)
    assert response.status_code == 403


async def test_bad_input_names_the_fields_in_both_languages(world):
    person = world.home["members"][1]["id"]
    for lang, message in (("vi", "Số điện thoại"), ("en", "phone")):
        response = await world.resident.post(f"{wf(world.ward)}/changes", json=contact(person, phone="12"),
                                             headers={"accept-language": lang})
        assert response.status_code == 400, response.text
        fields = response.json()["error"]["fields"]
        assert list(fields) == ["values.phone"] and message.lower() in fields["values.phone"].lower()
    response = await world.resident.post(f"{wf(world.ward)}/changes", json=contact(person, full_name="X"),
                                         headers={"accept-language": "en"})
    assert response.json()["error"]["fields"] == {"values.full_name": "This field cannot be changed through a proposal"}
    response = await world.resident.post(f"{wf(world.ward)}/changes", json={
        "plugin": "residents", "change_type": "no_such", "target_id": person, "values": {}})
    assert response.status_code == 400 and "change_type" in response.json()["error"]["fields"]


async def test_add_member_and_moved_away(world, db, people):
    household = world.home["id"]
    newborn = {"full_name": "Trần Thị Bé", "birth_date": "01/02/2024", "sex": "female", "relation": "child"}
    created = await propose(world, {"plugin": "residents", "change_type": "add_member", "target_id": household,
                                    "values": newborn})
    for client, action in ((world.officer, "review"), (world.chair, "approve")):
        assert (await step(client, world.ward, created["id"], action)).status_code == 200
    members = (await world.officer.get(f"/t/{world.ward.key}/residents/households/{household}")).json()["members"]
    assert "Trần Thị Bé" in [m["full_name"] for m in members]
    leaving = world.home["members"][2]["id"]
    moved = await propose(world, {"plugin": "residents", "change_type": "member_moved_away", "target_id": leaving,
                                  "values": {"destination": "Hà Nội", "date": "01/03/2026"}})
    for client, action in ((world.officer, "review"), (world.chair, "approve")):
        response = await step(client, world.ward, moved["id"], action)
        assert response.status_code == 200, response.text
    assert (await person_row(db, world.ward, leaving)).status == "moved_away"


async def test_every_transition_is_audited_with_its_actor(world, db):
    person = world.home["members"][1]
    created = await propose(world, contact(person["id"]))
    await step(world.officer, world.ward, created["id"], "review")
    await step(world.chair, world.ward, created["id"], "approve")
    async with db.session(TenantScope.of(world.ward.id)) as session:
        rows = (await session.execute(select(AuditEntry).where(
            AuditEntry.entity == "change_requests", AuditEntry.entity_id == created["id"]
        ).order_by(AuditEntry.at))).scalars().all()
    assert [(r.action, (r.after or {}).get("state")) for r in rows] == [
        ("create", "submitted"), ("update", "reviewed"), ("update", "approved")]
    assert [r.actor_id for r in rows] == [world.resident.user.id, world.officer.user.id, world.chair.user.id]


async def test_callers_outside_the_unit_are_refused(world, anon_client, client_as, make_tenant):
    response = await anon_client.get(f"{wf(world.ward)}/changes")
    assert response.status_code == 401
    elsewhere = await make_tenant(plugins=("residents",))
    stranger = await client_as("ward_chair", elsewhere)
    assert (await stranger.get(f"{wf(world.ward)}/changes")).status_code == 403
    assert (await stranger.get(f"/t/{world.ward.key}/inbox")).status_code == 403
    integrator = await client_as("integrator", world.ward)
    assert (await integrator.get(f"{wf(world.ward)}/changes")).status_code == 403


async def test_a_merge_keeps_requests_and_the_receiving_units_tiers(world, db, make_tenant, plugin_manager):
    from tenants import registry
    from tenants.models import Tenant

    created = await propose(world, contact(world.home["members"][1]["id"]))
    assert (await world.chair.put(f"{wf(world.ward)}/settings", json={"tiers": 2})).status_code == 200
    async with db.session(TenantScope()) as session:
        parent = (await registry.get(session, world.ward.key)).parent_id
        province = await session.get(Tenant, parent)
        province_key = province.key
    receiving = await make_tenant(plugins=("residents",), parent_key=province_key)
    moved = await registry.merge(db, world.ward.key, receiving.key, manager=plugin_manager)
    assert moved.get("change_requests") == 1 and "workflow_settings" not in moved
    async with db.session(TenantScope.of(receiving.id)) as session:
        from core.workflow import services as workflow

        assert await workflow.get_tiers(session) == 3
        rows = (await session.execute(select(ChangeRequestRow))).scalars().all()
    assert [str(r.id) for r in rows] == [created["id"]]
