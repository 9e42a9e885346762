"""The tenant dashboard: the enabled plugins' figures and navigation, and nothing of anyone else."""

import re

import pytest

from core.db.scoping import TenantScope

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def figures(html: str) -> dict[str, list[str]]:
    """``{plugin: [headline values]}`` of a dashboard page."""
    found: dict[str, list[str]] = {}
    pattern = r'<article class="figure" data-plugin="(\w+)">.*?<data value="([^"]*)"'
    for plugin, value in re.findall(pattern, html, re.S):
        found.setdefault(plugin, []).append(value)
    return found


def sections(html: str) -> list[str]:
    return re.findall(r'<section class="dashboard-section" data-plugin="(\w+)"', html)


def nav_links(html: str) -> list[tuple[str, str]]:
    nav = re.search(r'<nav class="main-nav".*?</nav>', html, re.S)
    return re.findall(r'<a href="([^"]*)"[^>]*>([^<]*)</a>', nav.group(0)) if nav else []


async def add_greetings(db, tenant, *texts):
    from wardhub_hello.models import Greeting

    async with db.session(TenantScope.of(tenant.id)) as session:
        session.add_all([Greeting(tenant_id=tenant.id, text=t) for t in texts])


@pytest.mark.plugins("hello", "tally")
async def test_dashboard_shows_the_enabled_plugins_figures_with_charts(make_tenant, viewer):
    ward = await make_tenant()
    client = await viewer(ward)
    response = await client.get(f"/t/{ward.key}/", headers=BROWSER)
    assert response.status_code == 200, response.text
    html = response.text
    assert figures(html) == {"hello": ["1"], "tally": ["12345"]}  # hello seeds one greeting when enabled
    assert "Số lời chào" in html and "12.345" in html  # titles and numbers in Vietnamese
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-bar"') == 1
    assert html.count('class="chart chart-donut"') == 1
    assert "&lt;KT3 &amp; co&gt;" in html and "<KT3" not in html  # a plugin's label is escaped
    assert ward.name in html and f'data-tenant="{ward.key}"' in html
    assert f'<a href="/t/{ward.key}/hello">Xem chi tiết' in html  # the figure's link, under the plugin


@pytest.mark.plugins("hello", "tally")
async def test_dashboard_and_navigation_follow_the_language(make_tenant, viewer):
    ward = await make_tenant()
    client = await viewer(ward)
    html = (await client.get(f"/t/{ward.key}/?lang=en")).text
    assert "Number of greetings" in html and "Households by kind" in html and "12,345" in html
    assert nav_links(html) == [(f"/t/{ward.key}/", "Dashboard"), (f"/t/{ward.key}/hello", "Greetings"),
                               (f"/t/{ward.key}/tally", "Tally")]


@pytest.mark.plugins("hello")
async def test_navigation_shows_only_enabled_plugins_and_marks_the_current_page(make_tenant, viewer):
    ward = await make_tenant()
    client = await viewer(ward)
    html = (await client.get(f"/t/{ward.key}/")).text
    assert nav_links(html) == [(f"/t/{ward.key}/", "Tổng quan"), (f"/t/{ward.key}/hello", "Lời chào")]
    assert re.search(rf'<a href="/t/{re.escape(ward.key)}/" aria-current="page">Tổng quan', html)
    page = (await client.get(f"/t/{ward.key}/hello")).text
    assert re.search(rf'<a href="/t/{re.escape(ward.key)}/hello" aria-current="page">Lời chào', page)


async def test_a_disabled_plugin_shows_no_figure_and_no_entry(make_tenant, viewer):
    ward = await make_tenant(plugins=("tally",))
    client = await viewer(ward)
    html = (await client.get(f"/t/{ward.key}/")).text
    assert figures(html) == {"tally": ["12345"]}
    assert "hello" not in sections(html) and "/hello" not in html
    bare = await make_tenant(plugins=())
    client = await viewer(bare)
    html = (await client.get(f"/t/{bare.key}/")).text
    assert figures(html) == {} and sections(html) == []
    assert "Chưa có số liệu" in html


@pytest.mark.plugins("hello")
async def test_another_tenants_figures_never_appear(make_tenant, viewer, db):
    ward_a, ward_b = await make_tenant(), await make_tenant()
    await add_greetings(db, ward_b, "Chào buổi sáng", "Chào buổi tối", "Tạm biệt")
    html_a = (await (await viewer(ward_a)).get(f"/t/{ward_a.key}/")).text
    html_b = (await (await viewer(ward_b)).get(f"/t/{ward_b.key}/")).text
    assert figures(html_a) == {"hello": ["1"]}
    assert figures(html_b) == {"hello": ["4"]}
    assert ward_b.key not in html_a


@pytest.mark.plugins("broken", "hello", "tally")
async def test_a_failing_plugin_gets_a_notice_and_the_others_still_show(make_tenant, viewer):
    """``broken`` fails inside the database transaction before ``tally`` runs (plugins run in load order):
    on PostgreSQL that aborts the transaction, so ``tally`` only works because each plugin has a savepoint."""
    ward = await make_tenant()
    client = await viewer(ward)
    response = await client.get(f"/t/{ward.key}/", headers=BROWSER)
    assert response.status_code == 200, response.text
    html = response.text
    assert sections(html) == ["hello", "broken", "tally"]
    assert figures(html) == {"hello": ["1"], "tally": ["12345"]}
    notice = re.search(r'data-plugin="broken".*?<p class="notice notice--error" role="status">([^<]*)', html, re.S)
    assert notice and "Phân hệ broken" in notice.group(1)
    assert "no_such_table" not in html and "RuntimeError" not in html
    assert [label for _, label in nav_links(html)] == ["Tổng quan", "Lời chào", "Kiểm đếm"]  # broken's are lost


@pytest.mark.plugins("hello")
async def test_the_plugin_page_renders_its_own_template_in_the_base_layout(make_tenant, viewer, db):
    ward = await make_tenant()
    await add_greetings(db, ward, "Chào buổi sáng")
    client = await viewer(ward)
    response = await client.get(f"/t/{ward.key}/hello", headers=BROWSER)
    assert response.status_code == 200, response.text
    html = response.text
    assert "<h1>Lời chào</h1>" in html and "Có 2 lời chào." in html
    assert "<li>Chào buổi sáng</li>" in html and "<li>Xin chào</li>" in html
    assert re.search(r'<link rel="stylesheet" href="/static/hello/hello.css\?v=\w+">', html)
    assert 'class="skip-link" href="#main"' in html  # the base layout around it


async def test_the_home_page_sends_a_named_tenant_to_its_dashboard(client):
    response = await client.get("/?tenant=current:26734", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/t/current:26734/"
    response = await client.get("/", headers={"X-Tenant": "26734"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/t/26734/"
    hostile = await client.get("/?tenant=//evil.example/x", follow_redirects=False)
    assert hostile.headers["location"].startswith("/t/%2F%2Fevil.example%2Fx")


async def test_pages_carry_security_headers_and_load_nothing_from_elsewhere(client):
    response = await client.get("/")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert not re.search(r'(src|href)="(https?:)?//', response.text)
