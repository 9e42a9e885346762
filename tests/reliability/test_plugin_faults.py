"""A plugin raising in a hook: that plugin's part fails, the page does not (status 200, the other plugins'
parts still there). On PostgreSQL the failing plugin also breaks its SQL statement first, which aborts a
transaction unless core isolates each plugin (savepoints)."""

from __future__ import annotations

import pytest

from core.app import load_plugins
from core.plugins.manager import LoadedPlugin
from tests.reliability.conftest import register
from tests.reliability.faulty_plugins import EXTRA, STEADY_FIGURE, STEADY_MARK

pytestmark = pytest.mark.plugins("residents", "boom", "steady")


@pytest.fixture
def plugin_manager(settings):
    manager = load_plugins(settings)
    manager.add([LoadedPlugin(p.manifest, p, None) for p in EXTRA])
    return manager


@pytest.fixture
async def world(client, client_as, make_tenant, people):
    ward = await make_tenant()
    household = await register(client, ward, people, "HK-F1")
    officer = await client_as("ward_officer", ward)
    return ward, household, officer


async def test_pages_render_with_the_failing_plugins_part_failed_and_the_rest_shown(world):
    ward, household, officer = world
    # the dashboard: boom's section marked failed, steady's figure and navigation entry there
    for lang in ("vi", "en"):
        page = await officer.get(f"/t/{ward.key}/?lang={lang}", headers={"accept": "text/html"})
        assert page.status_code == 200, page.text[:500]
        assert "notice--error" in page.text
        assert "Plugin boom" in page.text or "Phân hệ boom" in page.text
        assert any(f in page.text for f in (str(STEADY_FIGURE), f"{STEADY_FIGURE:,}", "424.242"))
        assert "Steady" in page.text or "Ổn định" in page.text

    # a person (REST): boom's sections left out, steady's there
    person = household["members"][0]
    answer = await officer.get(f"/t/{ward.key}/residents/persons/{person['id']}")
    assert answer.status_code == 200, answer.text
    sections = answer.json()["sections"]
    assert [s["plugin"] for s in sections if s["plugin"] in ("boom", "steady")] == ["steady"]
    assert sections[-1]["items"][0]["value"] == STEADY_MARK

    # a household's page (HTML)
    page = await officer.get(f"/t/{ward.key}/residents/web/households/{household['id']}",
                             headers={"accept": "text/html"})
    assert page.status_code == 200, page.text[:500]
    assert STEADY_MARK in page.text

    # GraphQL: the household's and its members' sections, no error for the caller
    query = """query($id: UUID!) { residents { household(id: $id) { code sections { plugin key }
        members { fullName sections { plugin items { value } } } } } }"""
    answer = await officer.post("/graphql", json={"query": query, "variables": {"id": household["id"]}},
                                headers={"X-Tenant": ward.key})
    body = answer.json()
    assert answer.status_code == 200 and "errors" not in body, body
    found = body["data"]["residents"]["household"]
    assert found["code"] == "HK-F1"
    assert {s["plugin"] for s in found["sections"]} == {"steady"}
    for member in found["members"]:
        assert [s["items"][0]["value"] for s in member["sections"] if s["plugin"] == "steady"] == [STEADY_MARK]
        assert not [s for s in member["sections"] if s["plugin"] == "boom"]
