"""What the console's layout shows a signed-in person: navigation they may use, the tenant switcher, the
tree of units within their reach."""

import re

import pytest

from tests.web.test_admin_pages import admin_nav, district_tree, main_nav


def switcher(page: str) -> list[str]:
    menu = re.search(r'<details class="tenant-switcher">.*?</details>', page, re.S)
    return re.findall(r'data-unit="([^"]+)"', menu.group(0)) if menu else []


def tree_units(page: str) -> list[str]:
    return re.findall(r'<li class="unit[^"]*" data-unit="([^"]+)"', page)


# -- navigation -------------------------------------------------------------------------------------------
@pytest.mark.plugins("hello", "tally")
async def test_plugin_entries_need_the_permission_they_name(make_tenant, client_as):
    ward = await make_tenant()
    officer = await client_as("ward_officer", ward)
    lodging = await client_as("lodging_operator", ward)  # holds a role here, not hello.greeting:read
    base = f"/t/{ward.key}"
    assert main_nav((await officer.get(f"{base}/")).text) == [f"{base}/", f"{base}/hello", f"{base}/tally"]
    assert main_nav((await lodging.get(f"{base}/")).text) == [f"{base}/", f"{base}/tally"]


async def test_admin_entries_only_for_those_holding_the_permission(make_tenant, client_as, client):
    ward = await make_tenant(plugins=())
    base = f"/t/{ward.key}"
    officer = await client_as("ward_officer", ward)
    assert admin_nav((await officer.get(f"{base}/")).text) == [f"{base}/inbox", "/admin/units"]
    chair = await client_as("ward_chair", ward)
    assert admin_nav((await chair.get(f"{base}/")).text) == [
        f"{base}/inbox", f"{base}/admin/roles", f"{base}/admin/audit", "/admin/units"]
    district_admin = await client_as("district_admin", ward)
    assert admin_nav((await district_admin.get(f"{base}/")).text) == [
        f"{base}/admin/plugins", f"{base}/admin/roles", f"{base}/admin/tokens", f"{base}/admin/audit",
        "/admin/units"]
    page = (await client.get(f"{base}/admin/plugins")).text  # a platform administrator, on one of them
    assert admin_nav(page) == [
        f"{base}/inbox", f"{base}/admin/plugins", f"{base}/admin/roles", f"{base}/admin/tokens",
        f"{base}/admin/audit", "/admin/units", "/admin/users"]
    assert re.search(rf'<a href="{re.escape(base)}/admin/plugins" aria-current="page">Phân hệ</a>', page)
    resident = await client_as("resident", ward)
    assert admin_nav((await resident.get(f"{base}/")).text) == [f"{base}/inbox", "/admin/units"]  # proposes


async def test_the_header_names_the_person_and_offers_to_sign_out(make_tenant, client_as, anon_client):
    ward = await make_tenant(plugins=())
    officer = await client_as("ward_officer", ward)
    page = (await officer.get(f"/t/{ward.key}/?lang=en")).text
    assert f'<span class="user-name">{officer.user.username}</span>' in page
    assert re.search(r'<form class="signout" method="post" action="/auth/logout">\s*'
                     r'<input type="hidden" name="_csrf_token" value="[0-9a-f]+">', page)
    assert "Sign out" in page and "Work and administration" in page
    anonymous = (await anon_client.get("/")).text
    assert 'href="/auth/login?next=/"' in anonymous and "signout" not in anonymous and "admin-nav" not in anonymous


# -- tenant switcher ----------------------------------------------------------------------------------------
async def test_the_switcher_lists_only_the_units_where_the_person_holds_a_role(make_tenant, client_as, grant_role):
    ward_a, ward_b, ward_c = [await make_tenant(plugins=()) for _ in range(3)]
    caller = await client_as("ward_officer", ward_a)
    assert switcher((await caller.get(f"/t/{ward_a.key}/")).text) == []  # one unit: nothing to switch
    await grant_role(caller.user, "resident", ward_b)
    page = (await caller.get(f"/t/{ward_a.key}/")).text
    assert sorted(switcher(page)) == sorted([ward_a.key, ward_b.key]) and ward_c.key not in page
    assert f'<a href="/t/{ward_a.key}/" data-unit="{ward_a.key}" aria-current="page">' in page
    assert f'<a href="/t/{ward_b.key}/" data-unit="{ward_b.key}">' in page
    assert (await caller.get(f"/t/{ward_b.key}/")).status_code == 200  # the link works
    assert (await caller.get(f"/t/{ward_c.key}/")).status_code == 403


# -- the tree of units ----------------------------------------------------------------------------------------
async def test_a_district_admin_sees_its_district_and_wards_never_the_siblings(make_tenant, db, client_as):
    district, ward, sibling, other_ward = await district_tree(make_tenant, db)
    admin = await client_as("district_admin", district)
    page = await admin.get("/admin/units")
    assert page.status_code == 200
    assert tree_units(page.text) == [district.key, ward.key]
    assert f'href="/t/{ward.key}/admin/plugins"' in page.text  # what its roles allow there
    found = await admin.get("/admin/units", params={"q": "thu nghiem"})  # no diacritics, any case
    assert sorted(tree_units(found.text)) == sorted([district.key, ward.key])
    assert tree_units((await admin.get("/admin/units", params={"q": other_ward.key})).text) == []
    hidden = await admin.get("/admin/units", params={"unit": sibling.key})
    assert "Không có đơn vị này trong phạm vi của bạn." in hidden.text and other_ward.key not in hidden.text
    opened = await admin.get("/admin/units", params={"unit": district.key})
    assert tree_units(opened.text) == [district.key, ward.key]


async def test_an_officer_sees_no_admin_links_and_a_platform_admin_finds_any_unit(make_tenant, db, client_as,
                                                                                   client):
    district, ward, _sibling, other_ward = await district_tree(make_tenant, db)
    officer = await client_as("ward_officer", ward)
    page = (await officer.get("/admin/units")).text
    assert tree_units(page) == [ward.key] and "/admin/plugins" not in page
    found = (await client.get("/admin/units", params={"q": other_ward.key})).text
    assert tree_units(found) == [other_ward.key]
    assert district.name in found  # the path above it


async def test_the_search_answers_htmx_with_the_results_only(make_tenant, client_as):
    ward = await make_tenant(plugins=())
    officer = await client_as("ward_officer", ward)
    response = await officer.get("/admin/units", params={"q": "PHƯỜNG"},
                                 headers={"HX-Request": "true", "HX-Target": "unit-results"})
    assert response.status_code == 200 and "<html" not in response.text
    assert tree_units(response.text) == [ward.key]
    full = (await officer.get("/admin/units")).text
    assert 'hx-get="/admin/units" hx-target="#unit-results"' in full and 'aria-live="polite"' in full
