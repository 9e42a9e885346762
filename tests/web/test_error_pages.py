"""Browsers get HTML error pages in their language; API clients keep the JSON errors."""

import re

import pytest

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def is_html(response) -> bool:
    return response.headers["content-type"].startswith("text/html")


async def test_unknown_page_is_an_html_404_for_a_browser(client):
    response = await client.get("/no/such/page", headers=BROWSER)
    assert response.status_code == 404 and is_html(response)
    assert '<html lang="vi">' in response.text and "Không tìm thấy trang" in response.text
    assert 'data-code="NOT_FOUND"' in response.text
    assert "default-src 'self'" in response.headers["content-security-policy"]


async def test_error_pages_follow_the_page_language(client):
    english = await client.get("/no/such/page?lang=en", headers=BROWSER)
    assert '<html lang="en">' in english.text and "Page not found" in english.text
    by_header = await client.get("/no/such/page", headers={**BROWSER, "Accept-Language": "en"})
    assert "Page not found" in by_header.text


@pytest.mark.parametrize("accept", [None, "application/json", "*/*", "application/json, text/html;q=0.5"])
async def test_api_clients_keep_json_errors(client, accept):
    headers = {"Accept": accept} if accept else {}
    response = await client.get("/no/such/page", headers={**headers, "Accept-Language": "en"})
    assert response.status_code == 404
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("NOT_FOUND", "Not found")


@pytest.mark.plugins("tally")
async def test_forbidden_is_an_html_403_for_a_browser_and_json_for_an_api(make_tenant, viewer):
    ward = await make_tenant()
    client = await viewer(ward)
    page = await client.get(f"/t/{ward.key}/tally/secret", headers=BROWSER)
    assert page.status_code == 403 and is_html(page)
    assert "Không có quyền truy cập" in page.text and 'data-code="FORBIDDEN"' in page.text
    assert ward.name in page.text  # the tenant resolved before the error is still shown
    api = await client.get(f"/t/{ward.key}/tally/secret", headers={"Accept": "application/json"})
    assert api.status_code == 403 and api.json()["error"]["code"] == "FORBIDDEN"


@pytest.mark.plugins("hello")
async def test_internal_error_is_an_html_500_without_internals(make_tenant, viewer):
    ward = await make_tenant()
    client = await viewer(ward)
    response = await client.get(f"/t/{ward.key}/hello/boom?lang=en", headers=BROWSER)
    assert response.status_code == 500 and is_html(response)
    assert "Internal error" in response.text and "give the request id to an administrator" in response.text
    assert "hunter2" not in response.text and "Traceback" not in response.text and "RuntimeError" not in response.text
    assert response.headers["x-request-id"] in response.text  # to give to an administrator


async def test_a_user_error_keeps_its_own_message_on_the_page(make_tenant, viewer):
    ward = await make_tenant(plugins=())
    client = await viewer(ward)
    page = await client.get(f"/t/{ward.key}/hello/greetings?lang=en", headers=BROWSER)
    assert page.status_code == 404 and is_html(page)
    assert 'data-code="PLUGIN_NOT_ENABLED"' in page.text
    assert "The plugin hello is not enabled for this unit" in page.text


async def test_an_unknown_tenant_dashboard_is_an_html_404(client):
    response = await client.get("/t/current:no-such-unit/", headers=BROWSER)
    assert response.status_code == 404 and is_html(response)
    assert re.search(r"Không có đơn vị current:no-such-unit", response.text)


async def test_a_broken_error_page_falls_back_to_json(client, app):
    def explode(*_args, **_kwargs):
        raise RuntimeError("template broke")

    app.state.web.error_page = explode
    response = await client.get("/no/such/page", headers=BROWSER)
    assert response.status_code == 404 and response.json()["error"]["code"] == "NOT_FOUND"
