"""The change workflow through GraphQL: the same rules as REST, on core fields and mutations."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.plugins("residents")

PROPOSE = """mutation($input: ProposeChangeInput!) { proposeChange(input: $input) {
  changeRequest { id state tiers title actions values } } }"""
STEP = """mutation($input: ChangeStepInput!) { %s(input: $input) { changeRequest { id state reason actions } } }"""
INBOX = "{ inbox(unread: true) { totalCount edges { node { id kind changeRequestId read } } } }"
REQUESTS = "query($state: String) { changeRequests(state: $state) { totalCount edges { node { id state proposer } } } }"


async def gql(client, ward, query, variables=None, lang="vi"):
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}},
                                 headers={"X-Tenant": ward.key, "Accept-Language": lang})
    assert response.status_code == 200, response.text
    return response.json()


def code(body) -> str | None:
    return body["errors"][0]["extensions"]["code"] if body.get("errors") else None


async def test_propose_review_approve_and_inbox(world):
    person = world.home["members"][1]["id"]
    body = await gql(world.resident, world.ward, PROPOSE, {"input": {
        "plugin": "residents", "changeType": "person_contact", "targetId": person,
        "values": {"phone": "0912345678"}}})
    assert body.get("errors") is None, body
    created = body["data"]["proposeChange"]["changeRequest"]
    assert created["state"] == "submitted" and created["actions"] == ["withdraw"]
    assert created["title"] == "Sửa số điện thoại, nghề nghiệp"

    inbox = (await gql(world.officer, world.ward, INBOX))["data"]["inbox"]
    assert inbox["totalCount"] == 1 and inbox["edges"][0]["node"]["kind"] == "submitted"
    listed = (await gql(world.officer, world.ward, REQUESTS, {"state": "submitted"}))["data"]["changeRequests"]
    assert [e["node"]["id"] for e in listed["edges"]] == [created["id"]]

    early = await gql(world.chair, world.ward, STEP % "approveChange", {"input": {"id": created["id"]}})
    assert code(early) == "CONFLICT"
    reviewed = await gql(world.officer, world.ward, STEP % "reviewChange", {"input": {"id": created["id"]}})
    assert reviewed["data"]["reviewChange"]["changeRequest"]["state"] == "reviewed"
    chair_inbox = (await gql(world.chair, world.ward, INBOX))["data"]["inbox"]["edges"]
    note = chair_inbox[0]["node"]
    assert note["kind"] == "reviewed"
    marked = await gql(world.chair, world.ward,
                       "mutation($input: NotificationInput!) { markNotificationRead(input: $input) "
                       "{ notification { read } } }", {"input": {"id": note["id"]}})
    assert marked["data"]["markNotificationRead"]["notification"]["read"] is True
    approved = await gql(world.chair, world.ward, STEP % "approveChange", {"input": {"id": created["id"]}})
    assert approved["data"]["approveChange"]["changeRequest"]["state"] == "approved"
    person_after = await world.officer.get(f"/t/{world.ward.key}/residents/persons/{person}")
    assert person_after.json()["phone"] == "0912345678"


async def test_forbidden_bad_input_and_reject(world):
    stranger = world.other["members"][0]["id"]
    denied = await gql(world.resident, world.ward, PROPOSE, {"input": {
        "plugin": "residents", "changeType": "person_contact", "targetId": stranger,
        "values": {"phone": "0912345678"}}})
    assert code(denied) == "FORBIDDEN"
    bad = await gql(world.resident, world.ward, PROPOSE, {"input": {
        "plugin": "residents", "changeType": "person_contact", "targetId": world.home["members"][1]["id"],
        "values": {"phone": "12"}}}, lang="en")
    assert code(bad) == "BAD_USER_INPUT" and "values.phone" in bad["errors"][0]["extensions"]["fields"]
    ok = await gql(world.resident, world.ward, PROPOSE, {"input": {
        "plugin": "residents", "changeType": "person_contact", "targetId": world.home["members"][1]["id"],
        "values": {"occupation": "Thợ may"}}})
    request_id = ok["data"]["proposeChange"]["changeRequest"]["id"]
    no_reason = await gql(world.officer, world.ward, STEP % "rejectChange", {"input": {"id": request_id}})
    assert code(no_reason) == "BAD_USER_INPUT"
    rejected = await gql(world.officer, world.ward, STEP % "rejectChange",
                         {"input": {"id": request_id, "reason": "Trùng đề xuất"}})
    assert rejected["data"]["rejectChange"]["changeRequest"] == {
        "id": request_id, "state": "rejected", "reason": "Trùng đề xuất", "actions": []}
    tiers = await gql(world.chair, world.ward,
                      "mutation { setApprovalTiers(input: {tiers: 2}) { tiers } }")
    assert tiers["data"]["setApprovalTiers"]["tiers"] == 2
    refused = await gql(world.resident, world.ward, "mutation { setApprovalTiers(input: {tiers: 3}) { tiers } }")
    assert code(refused) == "FORBIDDEN"
