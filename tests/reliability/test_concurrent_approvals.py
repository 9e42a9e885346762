"""Concurrent clicks on one change request: applied exactly once, every other click a CONFLICT.

Three chairs click ``approve`` at once on each of several requests, two through REST and one through the
GraphQL mutation, against the real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest

from core.workflow.models import ChangeRequest
from tests.reliability.conftest import audit_entries, count, error_code, person_row, register

pytestmark = pytest.mark.plugins("residents")

APPROVE = "mutation($id: UUID!) { approveChange(input: {id: $id}) { changeRequest { id state } } }"


async def test_concurrent_approvals_apply_each_change_exactly_once(client, client_as, make_tenant, people, db):
    ward = await make_tenant()
    home = await register(client, ward, people, "HK-A1", size=4)
    resident = await client_as("resident", ward, {"household": home["id"]})
    officer = await client_as("ward_officer", ward)
    chairs = [await client_as("ward_chair", ward) for _ in range(3)]
    base = f"/t/{ward.key}/workflow/changes"
    targets = home["members"][1:4]
    before = {p["id"]: (await person_row(db, ward, p["id"])).version for p in targets}
    requests = []
    for i, person in enumerate(targets):
        proposed = await resident.post(base, json={"plugin": "residents", "change_type": "person_contact",
                                                   "target_id": person["id"], "values": {"phone": f"09130000{i:02d}"}})
        assert proposed.status_code == 201, proposed.text
        reviewed = await officer.post(f"{base}/{proposed.json()['id']}/review")
        assert reviewed.status_code == 200, reviewed.text
        requests.append(proposed.json()["id"])

    async def graphql_click(chair, request_id):
        return await chair.post("/graphql", json={"query": APPROVE, "variables": {"id": request_id}},
                                headers={"X-Tenant": ward.key})

    for request_id in requests:
        answers = await asyncio.gather(
            chairs[0].post(f"{base}/{request_id}/approve"),
            chairs[1].post(f"{base}/{request_id}/approve"),
            graphql_click(chairs[2], request_id),
        )
        won = []
        for answer in answers[:2]:
            assert answer.status_code in (200, 409), answer.text
            if answer.status_code == 200:
                won.append(answer)
            else:
                assert error_code(answer) == "CONFLICT"
        graphql = answers[2]
        assert graphql.status_code == 200, graphql.text
        if graphql.json().get("errors"):
            assert error_code(graphql) == "CONFLICT", graphql.text
            assert graphql.json()["data"] is None
        else:
            assert graphql.json()["data"]["approveChange"]["changeRequest"]["state"] == "approved"
            won.append(graphql)
        assert len(won) == 1, [a.text for a in answers]

    for i, person in enumerate(targets):
        row = await person_row(db, ward, person["id"])
        assert row.phone == f"09130000{i:02d}"
        assert row.version == before[person["id"]] + 1  # applied once
        assert len(await audit_entries(db, ward, "residents_persons", person["id"], "update")) == 1
    assert await count(db, ward, ChangeRequest, ChangeRequest.state == "approved") == len(requests)
    for request_id in requests:  # one audited transition to approved per request
        entries = await audit_entries(db, ward, "change_requests", request_id, "update")
        assert [e.after.get("state") for e in entries if "state" in (e.after or {})] == ["reviewed", "approved"]


async def test_approve_and_reject_at_once_decide_once(client, client_as, make_tenant, people, db):
    ward = await make_tenant()
    home = await register(client, ward, people, "HK-A2")
    resident = await client_as("resident", ward, {"household": home["id"]})
    officer, chair = await client_as("ward_officer", ward), await client_as("ward_chair", ward)
    other_chair = await client_as("ward_chair", ward)
    base = f"/t/{ward.key}/workflow/changes"
    person = home["members"][1]
    version = (await person_row(db, ward, person["id"])).version
    proposed = await resident.post(base, json={"plugin": "residents", "change_type": "person_contact",
                                               "target_id": person["id"], "values": {"phone": "0913999999"}})
    request_id = proposed.json()["id"]
    assert (await officer.post(f"{base}/{request_id}/review")).status_code == 200
    approve, reject, withdraw = await asyncio.gather(
        chair.post(f"{base}/{request_id}/approve"),
        other_chair.post(f"{base}/{request_id}/reject", json={"reason": "Sai số điện thoại"}),
        resident.post(f"{base}/{request_id}/withdraw"),
    )
    statuses = [approve.status_code, reject.status_code, withdraw.status_code]
    assert statuses.count(200) == 1 and statuses.count(409) == 2, [approve.text, reject.text, withdraw.text]
    state = (await chair.get(f"{base}/{request_id}")).json()["state"]
    row = await person_row(db, ward, person["id"])
    if approve.status_code == 200:
        assert state == "approved" and row.phone == "0913999999" and row.version == version + 1
    else:
        assert state in ("rejected", "withdrawn") and row.version == version and row.phone != "0913999999"
