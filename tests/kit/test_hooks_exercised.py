"""Hooks that only the platform's own operations call, driven here through those operations."""

from __future__ import annotations

import pytest

from tenants import registry

pytestmark = pytest.mark.plugins("feedback")
REPORT = {"category": "other", "description": "Biển báo bị che khuất tại ngã ba."}


async def test_a_merge_runs_the_plugins_tenant_merged_hook(client, anon_client, db, make_tenant, plugin_manager):
    source, target = await make_tenant(), await make_tenant()
    assert (await client.put(f"/t/{target.key}/feedback/settings", json={"overdue_days": 20})).status_code == 200
    saved = await client.put(f"/t/{source.key}/feedback/settings", json={"overdue_days": 7, "anonymous_per_hour": 2})
    assert saved.status_code == 200  # saved last: it wins
    filed = await anon_client.post(f"/t/{source.key}/feedback/reports", json=REPORT)
    assert filed.status_code == 201, filed.text

    moved = await registry.merge(db, source.key, target.key, note="Nghị quyết sáp nhập", manager=plugin_manager)
    assert moved["feedback_reports"] == 1 and moved["feedback_settings"] == 1  # the source's rows

    # without the hook the target would now hold two settings rows; it keeps the most recently saved one
    assert (await client.get(f"/t/{target.key}/feedback/settings")).json() == {"overdue_days": 7,
                                                                               "anonymous_per_hour": 2}
    export = await client.get(f"/t/{target.key}/feedback/stats")
    assert export.json()["overdue_days"] == 7 and export.json()["total"] == 1
    tracked = await anon_client.get(f"/t/{target.key}/feedback/tracking/{filed.json()['code']}")
    assert tracked.status_code == 200 and tracked.json()["status"] == "received"  # the code still works
