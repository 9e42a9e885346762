"""GraphQL (root field ``feedback``, mutations ``feedback…``), a neighbour ward without the plugin seeing nothing
of it, and the lifecycle hooks (export, purge, disable keeps data, demo data, migration matches models)."""

from __future__ import annotations

import pytest
from feedback_helpers import EN, REPORT, gql, url

from core.toolkit import TenantScope

pytestmark = pytest.mark.plugins("feedback")

FILE = """mutation($i: FeedbackFileReportInput!) { feedbackFileReport(input: $i) {
  report { id code status anonymous category lat lng updates { kind toStatus } } } }"""


async def test_graphql_file_assign_handle_and_read(client_as, ward):
    resident = await client_as("resident", ward)
    chair = await client_as("ward_chair", ward)
    officer = await client_as("ward_officer", ward)
    filed = await gql(resident, ward, FILE, {"i": {"category": "traffic", "description": "Đèn giao thông ngã tư hỏng",
                                                    "lat": 10.78, "lng": 106.7}})
    assert filed.get("errors") is None, filed
    report = filed["data"]["feedbackFileReport"]["report"]
    assert report["status"] == "received" and report["anonymous"] is False
    assert report["updates"] == [{"kind": "filed", "toStatus": "received"}]
    assigned = await gql(chair, ward, """mutation($r: UUID!, $a: String!) {
        feedbackAssignReport(input: {reportId: $r, assignee: $a}) { report { status assignee } } }""",
                         {"r": report["id"], "a": officer.user.username})
    assert assigned["data"]["feedbackAssignReport"]["report"]["status"] == "assigned", assigned
    status = """mutation($r: UUID!, $s: String!, $m: String) {
        feedbackUpdateStatus(input: {reportId: $r, status: $s, reply: $m}) { report { status resolvedAt } } }"""
    skipped = await gql(officer, ward, status, {"r": report["id"], "s": "resolved", "m": "Đã sửa"})
    assert skipped["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert skipped["errors"][0]["message"] == "A report cannot go from Assigned to Resolved"
    assert (await gql(officer, ward, status, {"r": report["id"], "s": "in_progress"}))["data"] is not None
    no_reply = await gql(officer, ward, status, {"r": report["id"], "s": "resolved"}, lang="vi")
    assert no_reply["errors"][0]["extensions"] == {
        "code": "BAD_USER_INPUT", "fields": {"reply": "Hãy trả lời người phản ánh (kết quả hoặc lý do)"}}
    done = await gql(officer, ward, status, {"r": report["id"], "s": "resolved", "m": "Đã thay đèn"})
    assert done["data"]["feedbackUpdateStatus"]["report"]["resolvedAt"]
    replied = await gql(officer, ward, """mutation($r: UUID!) {
        feedbackReply(input: {reportId: $r, message: "Cảm ơn bạn"}) { update { kind message } } }""",
                        {"r": report["id"]})
    assert replied["data"]["feedbackReply"]["update"] == {"kind": "reply", "message": "Cảm ơn bạn"}
    tracked = await gql(resident, ward, """query($c: String!) { feedback { track(code: $c) {
        status assignee updates { kind toStatus message } } } }""", {"c": report["code"]})
    track = tracked["data"]["feedback"]["track"]
    assert track["status"] == "resolved" and track["assignee"] is None
    assert [u["kind"] for u in track["updates"]] == ["filed", "status", "status", "reply"]
    mine = await gql(resident, ward, "{ feedback { mine { code } } }")
    assert mine["data"]["feedback"]["mine"] == [{"code": report["code"]}]
    listed = await gql(officer, ward, """{ feedback { categories { code title }
        reports(first: 10, status: "resolved") { totalCount edges { node { code assignee } } }
        stats { total resolvedShare byStatus { key count } overdueDays } settings { overdueDays } } }""")
    data = listed["data"]["feedback"]
    assert data["categories"][0] == {"code": "construction", "title": "Construction"}
    assert data["reports"]["totalCount"] == 1 and data["reports"]["edges"][0]["node"]["assignee"]
    assert data["stats"]["total"] == 1 and data["stats"]["resolvedShare"] == 1.0
    assert {"key": "resolved", "count": 1} in data["stats"]["byStatus"]
    forbidden = await gql(resident, ward, "{ feedback { reports { totalCount } } }")
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_graphql_bad_input_and_settings(client, client_as, ward):
    bad = await gql(client, ward, FILE, {"i": {"category": "noise", "description": "ngắn"}})
    assert bad["errors"][0]["extensions"]["fields"] == {
        "category": "Must be one of: construction, urban_order, environment, traffic, security, other",
        "description": "At least 10 characters"}
    assert (await gql(client, ward, "{ feedback { reports { totalCount } } }"))["data"]["feedback"]["reports"][
        "totalCount"] == 0
    saved = await gql(client, ward, """mutation { feedbackUpdateSettings(input: {overdueDays: 30}) {
        settings { overdueDays anonymousPerHour } } }""")
    assert saved["data"]["feedbackUpdateSettings"]["settings"] == {"overdueDays": 30, "anonymousPerHour": 5}
    refused = await gql(client, ward, "mutation { feedbackUpdateSettings(input: {overdueDays: 999}) { settings "
                                      "{ overdueDays } } }", lang="vi")
    assert refused["errors"][0]["extensions"]["fields"] == {"overdue_days": "Phải từ 1 đến 365"}
    officer = await client_as("ward_officer", ward)
    denied = await gql(officer, ward, "mutation { feedbackUpdateSettings(input: {overdueDays: 2}) { settings "
                                      "{ overdueDays } } }")
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


SWITCH = "mutation($i: PluginSwitchInput!) { %s(input: $i) { tenant enabledPlugins } }"


async def switch(client, ward, enable: bool) -> None:
    name = "enablePlugin" if enable else "disablePlugin"
    body = await gql(client, ward, SWITCH % name, {"i": {"tenant": ward.key, "plugin": "feedback"}})
    assert body.get("errors") is None, body


async def test_a_neighbour_without_feedback_sees_nothing_of_it(client, anon_client, client_as, make_tenant, file):
    district = await make_tenant(level="district", plugins=())
    ward = await make_tenant(parent_key=district.key, plugins=("feedback",))
    neighbour = await make_tenant(parent_key=district.key, plugins=())  # next door, feedback off
    report = await file(target=ward)
    # GraphQL: no root field, no mutation, PLUGIN_NOT_ENABLED on a direct call
    introspect = "{ __schema { queryType { fields { name } } mutationType { fields { name } } } }"
    schema = await gql(client, neighbour, introspect)
    assert "feedback" not in {f["name"] for f in schema["data"]["__schema"]["queryType"]["fields"]}
    assert not any(f["name"].startswith("feedback") for f in schema["data"]["__schema"]["mutationType"]["fields"])
    direct = await gql(client, neighbour, "{ feedback { reports { totalCount } } }")
    assert direct["data"] is None and direct["errors"][0]["extensions"]["code"] == "PLUGIN_NOT_ENABLED"
    mutation = await gql(client, neighbour, FILE, {"i": {"category": "other", "description": "Thử ở phường bên"}})
    assert mutation["errors"][0]["extensions"]["code"] == "PLUGIN_NOT_ENABLED"
    enabled = await gql(client, ward, "{ __schema { queryType { fields { name } } } }")
    assert "feedback" in {f["name"] for f in enabled["data"]["__schema"]["queryType"]["fields"]}
    # pages and REST, signed in or not
    for caller in (client, anon_client, await client_as("resident", neighbour)):
        for path in ("", "new", "reports", "categories", f"tracking/{report['code']}", f"track/{report['code']}"):
            response = await caller.get(url(neighbour, path), headers={**EN, "Accept": "application/json"})
            assert response.status_code == 404, (path, response.text)
            assert response.json()["error"]["code"] == "PLUGIN_NOT_ENABLED"
        posted = await caller.post(url(neighbour, "reports"), json=REPORT)
        assert posted.status_code in (403, 404) and posted.json()["error"]["code"] in ("PLUGIN_NOT_ENABLED",
                                                                                       "FORBIDDEN")
    # navigation and dashboard
    assert "/feedback/" not in (await client.get(f"/t/{neighbour.key}/", headers=EN)).text
    own = (await client.get(f"/t/{ward.key}/", headers=EN)).text
    assert f"/t/{ward.key}/feedback/" in own and f"/t/{ward.key}/feedback/new" in own
    # enabled later (through the platform's GraphQL), the neighbour still sees none of the first ward's reports
    await switch(client, neighbour, True)
    assert (await client.get(url(neighbour, "reports"))).json() == []
    assert (await anon_client.get(url(neighbour, f"tracking/{report['code']}"))).status_code == 404
    assert (await client.get(url(neighbour, f"reports/{report['id']}"))).status_code == 404


async def test_staff_pages_need_a_role(anon_client, client_as, ward, file):
    await file()
    anonymous = await anon_client.get(url(ward, "reports"), headers=EN)
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "UNAUTHENTICATED"
    resident = await client_as("resident", ward)
    assert (await resident.get(url(ward, "reports"))).status_code == 403
    assert (await resident.get(url(ward, "stats"))).status_code == 403
    assert (await anon_client.get(url(ward, "categories"))).json()[0]["code"] == "construction"


async def test_export_purge_disable_and_demo_hooks(client, ward, file, db, plugin_manager, photo_folder):
    await file()
    await file(category="security")
    async with db.session(TenantScope.of(ward.id)) as session:
        exported = await plugin_manager.call_one("feedback", "wardhub_export_tenant_data", tenant=ward,
                                                 session=session)
    assert sorted(r["category"] for r in exported["feedback_reports"]) == ["environment", "security"]
    assert len(exported["feedback_updates"]) == 2 and exported["feedback_photos"] == []
    assert all("tenant_id" not in row for row in exported["feedback_reports"])
    await switch(client, ward, False)  # disabling hides the plugin and keeps the data
    assert (await client.get(url(ward, "reports"))).status_code == 404
    await switch(client, ward, True)
    assert len((await client.get(url(ward, "reports"))).json()) == 2
    async with db.session(TenantScope.of(ward.id)) as session:
        deleted = await plugin_manager.call_one("feedback", "wardhub_purge_tenant_data", tenant=ward, session=session)
    assert deleted == 4
    assert (await client.get(url(ward, "reports"))).json() == []
    async with db.session(TenantScope.of(ward.id)) as session:
        assert await plugin_manager.call_one("feedback", "wardhub_demo_data", tenant=ward, session=session)
        assert await plugin_manager.call_one("feedback", "wardhub_demo_data", tenant=ward, session=session) is None
    assert len((await client.get(url(ward, "reports"))).json()) == 1


async def test_the_migration_matches_the_models(db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from core.toolkit import Base

    def differences(conn):
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return [d for d in compare_metadata(context, Base.metadata) if "feedback_" in repr(d)]

    async with db.engine.connect() as conn:
        assert await conn.run_sync(differences) == []
