"""Handling: assignment to an officer, allowed status transitions only, public replies, who may do what, the
reporter's details (sensitive, audited), statistics and per-ward settings, audit of every write."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from feedback_helpers import EN, url

from core.toolkit import utcnow
from wardhub_feedback.models import Report

pytestmark = pytest.mark.plugins("feedback")


@pytest.fixture
async def staff(client_as, ward):
    """A ward chair (assigns), two officers and an integrator, each a signed-in client."""
    class Staff:
        pass

    team = Staff()
    team.chair = await client_as("ward_chair", ward)
    team.officer = await client_as("ward_officer", ward)
    team.other = await client_as("ward_officer", ward)
    team.integrator = await client_as("integrator", ward)
    return team


async def post(client, ward, path, body, lang="en"):
    return await client.post(url(ward, path), json=body, headers={"Accept-Language": lang})


async def test_assign_progress_resolve_with_public_replies_and_audit(anon_client, client, staff, ward, file):
    report = await file()
    rid = report["id"]
    assigned = await post(staff.chair, ward, f"reports/{rid}/assign", {"assignee": staff.officer.user.username})
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["status"] == "assigned" and assigned.json()["assignee"]
    started = await post(staff.officer, ward, f"reports/{rid}/status",
                         {"status": "in_progress", "reply": "Đã cử người kiểm tra hiện trường."})
    assert started.status_code == 200 and started.json()["status"] == "in_progress"
    replied = await post(staff.officer, ward, f"reports/{rid}/replies", {"message": "Đã liên hệ đội vệ sinh."})
    assert replied.status_code == 201 and replied.json()["kind"] == "reply"
    resolved = await post(staff.officer, ward, f"reports/{rid}/status",
                          {"status": "resolved", "reply": "Đã thu gom rác, xử phạt người đổ trộm."})
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved" and resolved.json()["resolved_at"]
    tracked = (await anon_client.get(url(ward, f"tracking/{report['code']}"))).json()
    assert tracked["status"] == "resolved"
    assert [(u["kind"], u["to_status"]) for u in tracked["updates"]] == [
        ("filed", "received"), ("status", "in_progress"), ("reply", None), ("status", "resolved")]
    assert tracked["updates"][-1]["message"] == "Đã thu gom rác, xử phạt người đổ trộm."
    assert staff.officer.user.username not in str(tracked)  # the reporter does not see who handles it
    page = await anon_client.get(url(ward, f"track/{report['code']}"), headers=EN)
    assert "Resolved" in page.text and "Đã liên hệ đội vệ sinh." in page.text
    audit = (await client.get(f"/api/audit/{ward.key}", params={"entity": "feedback_reports",
                                                               "entity_id": rid})).json()["entries"]
    assert sorted(e["action"] for e in audit) == ["create", "update", "update", "update", "update"]
    assert {e["after"].get("status") for e in audit} >= {"received", "assigned", "in_progress", "resolved"}
    updates = (await client.get(f"/api/audit/{ward.key}", params={"entity": "feedback_updates"})).json()["entries"]
    assert len(updates) == 5 and all(e["action"] == "create" for e in updates)


@pytest.mark.parametrize(("path", "moves"), [
    ("received", []),
    ("assigned", ["assign"]),
    ("in_progress", ["assign", "in_progress"]),
    ("resolved", ["assign", "in_progress", "resolved"]),
    ("rejected", ["rejected"]),
])
async def test_only_allowed_transitions(client, staff, ward, file, path, moves):
    rid = (await file())["id"]
    for move in moves:
        if move == "assign":
            response = await post(staff.chair, ward, f"reports/{rid}/assign", {"assignee": staff.officer.user.username})
        else:
            response = await post(staff.chair, ward, f"reports/{rid}/status", {"status": move, "reply": "Trả lời"})
        assert response.status_code == 200, response.text
    allowed = {"received": {"rejected"}, "assigned": {"in_progress", "rejected"},
               "in_progress": {"resolved", "rejected"}, "resolved": set(), "rejected": set()}[path]
    for target in ("in_progress", "resolved", "rejected", "received"):
        if target in allowed:
            continue
        refused = await post(staff.chair, ward, f"reports/{rid}/status", {"status": target, "reply": "x"})
        assert refused.status_code == 409, (path, target, refused.text)
        assert refused.json()["error"]["code"] == "CONFLICT" and "status" in refused.json()["error"]["fields"]
    vi = await post(staff.chair, ward, f"reports/{rid}/status", {"status": "received", "reply": "x"}, lang="vi")
    assert vi.json()["error"]["message"].startswith("Không thể chuyển phản ánh từ")
    assert (await client.get(url(ward, f"reports/{rid}"))).json()["status"] == path  # nothing changed
    reassign = await post(staff.chair, ward, f"reports/{rid}/assign", {"assignee": staff.other.user.username})
    assert reassign.status_code == (200 if path in ("received", "assigned", "in_progress") else 409)


async def test_status_input_errors(staff, ward, file):
    rid = (await file())["id"]
    await post(staff.chair, ward, f"reports/{rid}/assign", {"assignee": staff.officer.user.username})
    await post(staff.officer, ward, f"reports/{rid}/status", {"status": "in_progress"})
    for body, field, message in (
        ({"status": "done"}, "status", "Must be one of: received, assigned, in_progress, resolved, rejected"),
        ({"status": "resolved"}, "reply", "Reply to the reporter (the outcome or the reason)"),
        ({"status": "rejected", "reply": "  "}, "reply", "Reply to the reporter (the outcome or the reason)"),
        ({"status": "assigned"}, "status", "Assign the report to an officer instead"),
    ):
        response = await post(staff.officer, ward, f"reports/{rid}/status", body)
        assert response.status_code == 400 and response.json()["error"]["fields"] == {field: message}, response.text
    empty = await post(staff.officer, ward, f"reports/{rid}/replies", {"message": ""}, lang="vi")
    assert empty.status_code == 400 and empty.json()["error"]["fields"] == {"message": "Không được để trống"}
    missing = await post(staff.officer, ward, "reports/0190a1b2-0000-7000-8000-000000000000/status",
                         {"status": "resolved", "reply": "x"})
    assert missing.status_code == 404
    junk = await post(staff.officer, ward, "reports/not-an-id/status", {"status": "resolved", "reply": "x"})
    assert junk.status_code == 400 and junk.json()["error"]["fields"] == {"report_id": "Not a valid id"}


async def test_who_may_assign_and_handle(client_as, make_tenant, staff, ward, file):
    rid = (await file())["id"]
    for body, vi in (({"assignee": "nobody-here"}, "'nobody-here' không phải cán bộ xử lý phản ánh của đơn vị"),
                     ({}, "Hãy chọn cán bộ (tên đăng nhập)")):
        refused = await post(staff.chair, ward, f"reports/{rid}/assign", body, lang="vi")
        assert refused.status_code == 400 and refused.json()["error"]["fields"] == {"assignee": vi}
    resident = await client_as("resident", ward)
    not_officer = await post(staff.chair, ward, f"reports/{rid}/assign", {"assignee": resident.user.username})
    assert not_officer.status_code == 400  # a resident does not handle reports
    elsewhere = await client_as("ward_officer", await make_tenant(plugins=("feedback",)))
    outsider = await post(staff.chair, ward, f"reports/{rid}/assign", {"assignee": elsewhere.user.username})
    assert outsider.status_code == 400  # an officer of another ward
    assert (await post(staff.officer, ward, f"reports/{rid}/assign",
                       {"assignee": staff.officer.user.username})).status_code == 403  # officers do not assign
    assert (await post(staff.integrator, ward, f"reports/{rid}/status", {"status": "rejected"})).status_code == 403
    await post(staff.chair, ward, f"reports/{rid}/assign", {"assignee": staff.officer.user.username})
    other = await post(staff.other, ward, f"reports/{rid}/status", {"status": "in_progress"})
    assert other.status_code == 403 and other.json()["error"]["message"] == (
        "Only the officer it is assigned to (or who assigns) handles this report")
    assert (await post(staff.other, ward, f"reports/{rid}/replies", {"message": "hi"})).status_code == 403
    assert (await post(staff.officer, ward, f"reports/{rid}/status", {"status": "in_progress"})).status_code == 200
    assert (await post(staff.chair, ward, f"reports/{rid}/status",
                       {"status": "rejected", "reply": "Không thuộc thẩm quyền"})).status_code == 200


async def test_reporter_details_are_sensitive_and_their_reads_audited(client, client_as, staff, ward, file):
    rid = (await file())["id"]
    shown = await staff.officer.get(url(ward, f"reports/{rid}"))
    assert shown.json()["reporter"] == {"user_id": None, "name": "Nguyễn Văn An", "contact": "0909123456"}
    integrator = await staff.integrator.get(url(ward, f"reports/{rid}"))
    assert integrator.status_code == 200 and "reporter" not in integrator.json() and "0909" not in integrator.text
    reads = (await client.get(f"/api/audit/{ward.key}", params={"entity": "feedback_reports.reporter"})).json()
    assert [(e["action"], e["entity_id"], e["actor"]) for e in reads["entries"]] == [
        ("read", rid, staff.officer.user.username)]


async def test_statistics_and_overdue_follow_the_ward_settings(client, staff, ward, file, scoped, client_as):
    ids = [(await file(category=c))["id"] for c in ("environment", "environment", "traffic", "security")]
    now = utcnow()
    async with scoped(ward) as session:  # backdate the filings: 20, 10, 3 and 1 days ago
        for rid, days in zip(ids, (20, 10, 3, 1), strict=True):
            report = await session.get(Report, (ward.id, uuid.UUID(rid)))
            report.created_at = now - timedelta(days=days)
    for rid in ids[:2]:
        await post(staff.chair, ward, f"reports/{rid}/assign", {"assignee": staff.officer.user.username})
        await post(staff.officer, ward, f"reports/{rid}/status", {"status": "in_progress"})
        await post(staff.officer, ward, f"reports/{rid}/status", {"status": "resolved", "reply": "Xong"})
    await post(staff.chair, ward, f"reports/{ids[2]}/status", {"status": "rejected", "reply": "Trùng lặp"})
    stats = (await staff.integrator.get(url(ward, "stats"))).json()
    assert stats["total"] == 4
    assert stats["by_category"] == {"construction": 0, "urban_order": 0, "environment": 2, "traffic": 1,
                                    "security": 1, "other": 0}
    assert stats["by_status"] == {"received": 1, "assigned": 0, "in_progress": 0, "resolved": 2, "rejected": 1}
    assert stats["resolved_share"] == 0.5
    assert stats["median_days_to_resolve"] == pytest.approx(15.0, abs=0.01)  # resolved after 20 and 10 days
    assert stats["overdue_days"] == 15 and stats["overdue"] == []  # the only open one is a day old
    saved = await client.put(url(ward, "settings"), json={"overdue_days": 1})
    assert saved.status_code == 200 and saved.json() == {"overdue_days": 1, "anonymous_per_hour": 5}
    overdue = (await client.get(url(ward, "stats"))).json()["overdue"]
    assert [r["id"] for r in overdue] == [ids[3]]
    page = await client.get(url(ward), headers=EN)
    assert page.status_code == 200 and "Overdue (over 1 days)" in page.text and page.text.count("fb-overdue") >= 2
    for body, field, message in (({"overdue_days": 0}, "overdue_days", "Must be from 1 to 365"),
                                 ({"anonymous_per_hour": "many"}, "anonymous_per_hour", "Must be a whole number"),
                                 ({"colour": "red"}, "colour", "No such setting")):
        refused = await client.put(url(ward, "settings"), json=body, headers=EN)
        assert refused.status_code == 400 and refused.json()["error"]["fields"] == {field: message}
    assert (await client.get(url(ward, "settings"))).json()["overdue_days"] == 1  # unchanged by refusals
    assert (await staff.officer.put(url(ward, "settings"), json={"overdue_days": 3})).status_code == 403
    dashboard = await client.get(f"/t/{ward.key}/", headers=EN)
    assert "Open reports" in dashboard.text
