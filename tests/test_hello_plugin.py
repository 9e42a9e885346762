"""A third-party plugin, installed by pip and found through its entry point, works end to end."""

import pytest


async def test_entry_point_plugin_is_discovered(plugin_manager):
    assert "hello" in plugin_manager.plugins
    assert plugin_manager.plugins["hello"].distribution == "wardhub-hello-test"


@pytest.mark.plugins("hello")
async def test_enabled_plugin_serves_its_routes(client, make_tenant):
    ward = await make_tenant()
    response = await client.get(f"/t/{ward.key}/hello/greetings")
    assert response.status_code == 200, response.text
    assert response.json() == ["Xin chào"]  # seeded by wardhub_tenant_enabled
    created = await client.post(f"/t/{ward.key}/hello/greetings", json={"text": "Chào buổi sáng"})
    assert created.status_code == 201, created.text
    listed = await client.get(f"/t/{ward.key}/hello/greetings")
    assert listed.json() == ["Chào buổi sáng", "Xin chào"]


async def test_plugin_not_enabled_answers_404_with_code(client, make_tenant):
    ward = await make_tenant(plugins=())
    response = await client.get(f"/t/{ward.key}/hello/greetings", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "PLUGIN_NOT_ENABLED"
    assert "not enabled" in response.json()["error"]["message"]
