"""Admins query the audit log by unit, entity, user and time; writes made over HTTP carry their actor."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.db.base import utcnow
from core.db.scoping import SYSTEM

pytestmark = pytest.mark.plugins("hello")


async def test_writes_are_recorded_with_their_actor_and_admins_query_them(client_as, make_tenant):
    ward = await make_tenant()
    officer = await client_as("ward_officer", ward)
    created = await officer.post(f"/t/{ward.key}/hello/greetings", json={"text": "Chào", "neighborhood": "T1"})
    assert created.status_code == 201
    chair = await client_as("ward_chair", ward)
    url = f"/api/audit/{ward.key}"
    response = await chair.get(url, params={"entity": "hello_greetings", "user": officer.user.username})
    assert response.status_code == 200, response.text
    (entry,) = response.json()["entries"]
    assert entry["action"] == "create" and entry["entity_id"] == created.json()["id"]
    assert entry["actor"] == officer.user.username and entry["actor_id"] == str(officer.user.id)
    assert entry["request_id"] == created.headers["x-request-id"]
    assert entry["after"]["text"] == "Chào" and entry["tenant"] == ward.key
    by_id = await chair.get(url, params={"entity_id": created.json()["id"], "user": str(officer.user.id)})
    assert [e["id"] for e in by_id.json()["entries"]] == [entry["id"]]
    later = await chair.get(url, params={"since": (utcnow() + timedelta(minutes=5)).isoformat()})
    assert later.json()["entries"] == []
    earlier = await chair.get(url, params={"until": (utcnow() - timedelta(days=1)).isoformat()})
    assert earlier.json()["entries"] == []
    # reading the log is itself recorded
    reads = await chair.get(url, params={"entity": "audit_log", "user": chair.user.username})
    assert {e["action"] for e in reads.json()["entries"]} == {"read"}


async def test_pages_and_bad_cursors(client_as, make_tenant):
    ward = await make_tenant()
    officer = await client_as("ward_officer", ward)
    for i in range(3):
        await officer.post(f"/t/{ward.key}/hello/greetings", json={"text": f"g{i}"})
    chair = await client_as("ward_chair", ward)
    url = f"/api/audit/{ward.key}"
    seen, cursor = [], None
    while True:
        params = {"entity": "hello_greetings", "limit": 2} | ({"after": cursor} if cursor else {})
        body = (await chair.get(url, params=params)).json()
        seen += [e["after"]["text"] for e in body["entries"]]
        if not (cursor := body["next"]):
            break
    assert sorted(seen) == ["Xin chào", "g0", "g1", "g2"] and len(seen) == len(set(seen))
    assert seen[:3] == ["g2", "g1", "g0"]  # newest first
    assert (await chair.get(url, params={"after": "%%%"})).json()["error"]["code"] == "BAD_USER_INPUT"
    assert (await chair.get(url, params={"limit": 501})).status_code == 400


async def test_only_holders_of_audit_read_in_that_unit(client_as, make_tenant, db):
    from tenants import registry

    district = await make_tenant(level="district")
    async with db.session(SYSTEM) as session:
        province_key = (await session.get(registry.Tenant, district.parent_id)).key
    other_district = await make_tenant(level="district", parent_key=province_key)
    ward = await make_tenant(parent_key=district.key)
    officer = await client_as("ward_officer", ward)
    await officer.post(f"/t/{ward.key}/hello/greetings", json={"text": "ở phường"})
    assert (await officer.get(f"/api/audit/{ward.key}")).json()["error"]["code"] == "FORBIDDEN"
    admin = await client_as("district_admin", district)
    assert (await admin.get(f"/api/audit/{ward.key}")).status_code == 200  # through the hierarchy
    below = await admin.get(f"/api/audit/{district.key}", params={"below": "true", "entity": "hello_greetings"})
    assert {e["tenant"] for e in below.json()["entries"]} == {ward.key}
    stranger = await client_as("district_admin", other_district)
    assert (await stranger.get(f"/api/audit/{ward.key}")).status_code == 403
    assert (await stranger.get(f"/api/audit/{district.key}", params={"below": "true"})).status_code == 403


async def test_role_grants_and_overrides_are_audited(client_as, make_tenant, make_user, grant_role, app, db):
    from core.access import policy
    from core.db.scoping import TenantScope

    ward = await make_tenant()
    user = await make_user()
    await grant_role(user, "resident", ward, {"household": "H9"})
    async with db.session(TenantScope.of(ward.id)) as session:
        await policy.set_override(session, app.state.permissions, "resident", "hello.greeting:write", ward.id, "allow")
    chair = await client_as("ward_chair", ward)
    entries = (await chair.get(f"/api/audit/{ward.key}", params={"entity": "role_assignments"})).json()["entries"]
    granted = [e for e in entries if e["after"] and e["after"]["user"] == user.username]
    assert granted and granted[0]["action"] == "grant" and granted[0]["after"]["attrs"] == {"household": "H9"}
    overrides = (await chair.get(f"/api/audit/{ward.key}", params={"entity": "access_policies"})).json()["entries"]
    assert overrides[0]["after"] == {"role": "resident", "permission": "hello.greeting:write", "effect": "allow"}
