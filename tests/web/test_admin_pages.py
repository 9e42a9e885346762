"""The console's admin pages over real HTTP and a real database: who may open them, what their forms
change (and refuse, with field errors in Vietnamese and English), the audit trail they leave."""

import html
import re
import uuid

import pytest
from sqlalchemy import select

from core.access.models import RoleAssignment
from core.audit.models import AuditEntry
from core.db.scoping import SYSTEM, TenantScope

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


# -- helpers ------------------------------------------------------------------------------------------------
async def key_of(db, tenant_id) -> str:
    from tenants.models import Tenant

    async with db.session(SYSTEM) as session:
        return (await session.get(Tenant, tenant_id)).key


async def district_tree(make_tenant, db):
    """A province with two districts, each with one ward: (district, ward, sibling district, its ward)."""
    district = await make_tenant(level="district", plugins=())
    province_key = await key_of(db, district.parent_id)
    sibling = await make_tenant(level="district", parent_key=province_key, plugins=())
    ward = await make_tenant(parent_key=district.key, plugins=())
    other_ward = await make_tenant(parent_key=sibling.key, plugins=())
    return district, ward, sibling, other_ward


async def effective(db, plugin_manager, tenant) -> frozenset[str]:
    from tenants import registry, subscriptions

    async with db.session(SYSTEM) as session:
        return await subscriptions.effective_plugins(session, await registry.get(session, tenant.key), plugin_manager)


async def audit_entries(db, tenant, entity: str) -> list[AuditEntry]:
    async with db.session(TenantScope.of(tenant.id)) as session:
        return list((await session.execute(select(AuditEntry).where(AuditEntry.entity == entity))).scalars())


def csrf_of(page: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]*)"', page).group(1)


def field_error(page: str, name: str) -> str | None:
    found = re.search(rf'<p id="f-{name}-error" class="field-error">([^<]*)</p>', page)
    return html.unescape(found.group(1)) if found else None


def admin_nav(page: str) -> list[str]:
    nav = re.search(r'<nav class="admin-nav".*?</nav>', page, re.S)
    return re.findall(r'<a href="([^"]*)"', nav.group(0)) if nav else []


def main_nav(page: str) -> list[str]:
    nav = re.search(r'<nav class="main-nav".*?</nav>', page, re.S)
    return re.findall(r'<a href="([^"]*)"', nav.group(0)) if nav else []


# -- who may open which page -----------------------------------------------------------------------------------
PAGES = ["plugins", "roles", "tokens", "audit"]


@pytest.mark.parametrize(("role", "allowed"), [
    ("district_admin", {"plugins", "roles", "tokens", "audit"}),
    ("ward_chair", {"roles", "audit"}),
    ("ward_officer", set()),
    ("resident", set()),
])
async def test_each_unit_page_renders_for_the_roles_that_may_use_it_and_is_403_for_the_others(
        make_tenant, client_as, role, allowed):
    ward = await make_tenant(plugins=())
    caller = await client_as(role, ward)
    for name in PAGES:
        response = await caller.get(f"/t/{ward.key}/admin/{name}", headers=BROWSER)
        expected = 200 if name in allowed else 403
        assert response.status_code == expected, (name, response.text[:300])
        if expected == 200:
            assert '<div class="admin-page">' in response.text and ward.name in response.text
        else:
            assert 'data-status="403"' in response.text  # the HTML error page, in Vietnamese
            assert "Không có quyền truy cập" in response.text


async def test_anonymous_callers_are_asked_to_sign_in(make_tenant, anon_client):
    ward = await make_tenant(plugins=())
    for path in [*(f"/t/{ward.key}/admin/{name}" for name in PAGES), "/admin/units", "/admin/users"]:
        assert (await anon_client.get(path)).status_code == 401, path


async def test_the_accounts_page_is_for_platform_administrators_only(make_tenant, client, client_as):
    ward = await make_tenant(plugins=())
    assert (await client.get("/admin/users")).status_code == 200
    for role in ("district_admin", "ward_chair"):
        assert (await (await client_as(role, ward)).get("/admin/users")).status_code == 403


async def test_a_role_held_in_a_sibling_district_never_reaches_the_page(make_tenant, db, client_as):
    district, ward, sibling, other_ward = await district_tree(make_tenant, db)
    admin = await client_as("district_admin", district)
    assert (await admin.get(f"/t/{ward.key}/admin/plugins")).status_code == 200
    for name in PAGES:
        assert (await admin.get(f"/t/{other_ward.key}/admin/{name}")).status_code == 403
        assert (await admin.get(f"/t/{sibling.key}/admin/{name}")).status_code == 403


# -- plugin subscriptions ----------------------------------------------------------------------------------------
async def test_a_district_admin_enables_a_plugin_for_its_ward_and_not_for_a_sibling_districts(
        make_tenant, db, client_as, plugin_manager):
    district, ward, _sibling, other_ward = await district_tree(make_tenant, db)
    admin = await client_as("district_admin", district)
    page = (await admin.get(f"/t/{ward.key}/admin/plugins")).text
    assert re.search(r'data-plugin="hello"\s+data-enabled="false"', page)
    del admin.headers["x-csrftoken"]  # post the way the page's form does: the token in a form field
    response = await admin.post(f"/t/{ward.key}/admin/plugins/hello/enable", data={"_csrf_token": csrf_of(page)},
                                follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/t/{ward.key}/admin/plugins?done=enable&plugin=hello"
    page = (await admin.get(response.headers["location"])).text
    assert re.search(r'data-plugin="hello"\s+data-enabled="true"', page)
    assert "Đã bật phân hệ Lời chào." in page
    assert "hello" in await effective(db, plugin_manager, ward)
    [entry] = await audit_entries(db, ward, "plugin_subscriptions")
    assert (entry.action, entry.entity_id, entry.actor_label) == ("enable", "hello", admin.user.username)
    assert "hello" in entry.after["effective"]

    refused = await admin.post(f"/t/{other_ward.key}/admin/plugins/hello/enable",
                               data={"_csrf_token": csrf_of(page)}, follow_redirects=False)
    assert refused.status_code == 403
    assert "hello" not in await effective(db, plugin_manager, other_ward)
    assert await audit_entries(db, other_ward, "plugin_subscriptions") == []


async def test_a_form_post_without_the_csrf_token_is_refused(make_tenant, client_as, db, plugin_manager):
    ward = await make_tenant(plugins=())
    admin = await client_as("district_admin", ward)
    del admin.headers["x-csrftoken"]
    response = await admin.post(f"/t/{ward.key}/admin/plugins/hello/enable", data={}, headers=BROWSER)
    assert response.status_code == 403 and "CSRF" in response.text
    assert "hello" not in await effective(db, plugin_manager, ward)


async def test_a_dependency_error_shows_on_the_plugins_row_in_either_language(make_tenant, client_as, db,
                                                                             plugin_manager):
    ward = await make_tenant(plugins=())
    admin = await client_as("district_admin", ward)
    response = await admin.post(f"/t/{ward.key}/admin/plugins/kindergartens/enable")
    assert response.status_code == 400
    row = re.search(r'id="plugin-kindergartens".*?</li>', response.text, re.S).group(0)
    assert "Cần bật trước các phân hệ: residents" in row and 'role="alert"' in row
    english = await admin.post(f"/t/{ward.key}/admin/plugins/kindergartens/enable?lang=en")
    assert "Enable these plugins first: residents" in english.text
    assert "kindergartens" not in await effective(db, plugin_manager, ward)
    assert await audit_entries(db, ward, "plugin_subscriptions") == []


async def test_disabling_from_the_page_keeps_the_plugin_listed_and_switchable(make_tenant, client, db, plugin_manager):
    ward = await make_tenant(plugins=("hello",))
    response = await client.post(f"/t/{ward.key}/admin/plugins/hello/disable", follow_redirects=False)
    assert response.status_code == 303
    assert "hello" not in await effective(db, plugin_manager, ward)
    page = (await client.get(response.headers["location"] + "&lang=en")).text
    assert "The plugin Greetings is disabled; its data is kept." in page
    assert (await client.post(f"/t/{ward.key}/admin/plugins/hello/frobnicate")).status_code == 404
    unknown = await client.post(f"/t/{ward.key}/admin/plugins/no_such_plugin/enable")
    assert unknown.status_code == 400 and "No plugin named &#39;no_such_plugin&#39;" in unknown.text  # lang cookie


# -- roles -------------------------------------------------------------------------------------------------------
async def test_a_grant_above_the_granters_rank_is_refused_with_a_field_error(make_tenant, client_as, make_user, db):
    ward = await make_tenant(plugins=())
    chair = await client_as("ward_chair", ward)
    target = await make_user()
    response = await chair.post(f"/t/{ward.key}/admin/roles", data={"username": target.username,
                                                                    "role": "district_admin"})
    assert response.status_code == 403
    assert "vai trò này cao hơn vai trò của bạn" in field_error(response.text, "role")
    assert 'aria-invalid="true" aria-describedby="f-role-hint f-role-error"' in response.text
    english = await chair.post(f"/t/{ward.key}/admin/roles?lang=en", data={"username": target.username,
                                                                          "role": "platform_admin"})
    assert "it ranks above yours" in field_error(english.text, "role")
    async with db.session(SYSTEM) as session:
        held = (await session.execute(select(RoleAssignment).where(RoleAssignment.user_id == target.id))).all()
    assert held == []
    # the form offers only the roles the chair may hand out
    page = (await chair.get(f"/t/{ward.key}/admin/roles")).text
    offered = re.findall(r'<option value="(\w+)"', page)
    assert "ward_officer" in offered and "ward_chair" in offered
    assert "district_admin" not in offered and "platform_admin" not in offered


async def test_grant_and_revoke_from_the_page_are_audited(make_tenant, client_as, make_user, db):
    ward = await make_tenant(plugins=())
    chair = await client_as("ward_chair", ward)
    officer = await make_user(display_name="Nguyễn Văn Cán")
    response = await chair.post(f"/t/{ward.key}/admin/roles", data={"username": officer.username,
                                                                    "role": "ward_officer"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    page = (await chair.get(response.headers["location"])).text
    assert "Đã trao vai trò." in page
    assert f'data-username="{officer.username}" data-role="ward_officer"' in page
    assert (await chair.post(f"/t/{ward.key}/admin/roles/revoke", data={"username": officer.username,
                                                                        "role": "ward_officer"},
                             follow_redirects=False)).status_code == 303
    actions = [e.action for e in await audit_entries(db, ward, "role_assignments")]
    assert actions.count("grant") == 2 and actions.count("revoke") == 1  # the chair's own, the officer's


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"username": "", "role": "ward_officer"}, "username", "Nhập tên đăng nhập"),
    ({"username": "nobody-here", "role": "ward_officer"}, "username", "Không có tài khoản 'nobody-here'"),
    ({"username": "x", "role": "emperor"}, "role", "Chọn một vai trò trong danh sách"),
])
async def test_bad_grants_get_field_errors_and_change_nothing(make_tenant, client, db, data, field, message):
    ward = await make_tenant(plugins=())
    response = await client.post(f"/t/{ward.key}/admin/roles", data=data)
    assert response.status_code in (400, 403, 404), response.text
    assert field_error(response.text, field) == message
    assert 'role="alert"' in response.text and f'href="#f-{field}"' in response.text  # the summary links to it
    assert await audit_entries(db, ward, "role_assignments") == []


# -- API tokens --------------------------------------------------------------------------------------------------
async def test_a_token_made_on_the_page_is_shown_once_works_on_graphql_and_stops_when_revoked(
        make_tenant, client_as, anon_client, db):
    ward = await make_tenant(plugins=())
    admin = await client_as("district_admin", ward)
    response = await admin.post(f"/t/{ward.key}/admin/tokens",
                                data={"name": "Cổng dịch vụ công", "roles": "integrator", "days": "30"})
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    value = re.search(r'value="(wht_[A-Za-z0-9_-]{43})"', response.text).group(1)
    listed = (await admin.get(f"/t/{ward.key}/admin/tokens")).text
    assert value not in listed and value[:10] in listed and "Cổng dịch vụ công" in listed
    assert "Chưa dùng" in listed

    query = {"query": "{ me { kind username tenantKey } }"}
    answer = await anon_client.post("/graphql", json=query, headers={"Authorization": f"Bearer {value}"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["me"] == {"kind": "token", "username": "Cổng dịch vụ công", "tenantKey": ward.key}
    listed = (await admin.get(f"/t/{ward.key}/admin/tokens")).text
    assert "Chưa dùng" not in listed  # the last use is shown

    token_id = re.search(r'data-token="([0-9a-f-]{36})"', listed).group(1)
    revoked = await admin.post(f"/t/{ward.key}/admin/tokens/{token_id}/revoke", follow_redirects=False)
    assert revoked.status_code == 303
    answer = await anon_client.post("/graphql", json=query, headers={"Authorization": f"Bearer {value}"})
    assert answer.status_code == 401
    assert "revoked" in answer.text or "thu hồi" in answer.text
    actions = sorted(e.action for e in await audit_entries(db, ward, "api_tokens"))
    assert actions == ["create", "revoke"]
    assert all(value not in str(e.after) for e in await audit_entries(db, ward, "api_tokens"))


@pytest.mark.parametrize(("data", "field", "vi"), [
    ({"name": "", "roles": "integrator", "days": "30"}, "name", "Khóa API cần một tên"),
    ({"name": "x", "days": "30"}, "roles", "Chọn ít nhất một vai trò"),
    ({"name": "x", "roles": "integrator", "days": "9999"}, "days", "Số ngày hiệu lực là số nguyên từ 1 đến 366"),
    ({"name": "x", "roles": "integrator", "days": "abc"}, "days", "Số ngày hiệu lực là số nguyên từ 1 đến 366"),
    ({"name": "x", "roles": "platform_admin", "days": "30"}, "roles", "Vai trò không dùng được cho khóa API"),
])
async def test_bad_token_forms_get_field_errors_and_make_no_token(make_tenant, client, db, data, field, vi):
    from core.auth import tokens

    ward = await make_tenant(plugins=())
    response = await client.post(f"/t/{ward.key}/admin/tokens", data=data)
    assert response.status_code == 400, response.text
    assert field_error(response.text, field).startswith(vi)
    assert "wht_" not in response.text
    async with db.session(SYSTEM) as session:
        assert await tokens.list_tokens(session, ward.id) == []


async def test_a_token_role_above_ones_own_is_refused_and_another_units_token_is_not_found(
        make_tenant, client_as, make_token):
    ward, other = await make_tenant(plugins=()), await make_tenant(plugins=())
    admin = await client_as("district_admin", ward)
    response = await admin.post(f"/t/{ward.key}/admin/tokens", data={"name": "x", "roles": ["integrator", "ward_chair"],
                                                                     "days": "10"})
    assert response.status_code == 201  # ward_chair ranks below district_admin
    token, _ = await make_token(other)
    revoke = await admin.post(f"/t/{ward.key}/admin/tokens/{token.id}/revoke")
    assert revoke.status_code == 404
    assert (await admin.post(f"/t/{ward.key}/admin/tokens/not-a-uuid/revoke")).status_code == 404


# -- audit log ---------------------------------------------------------------------------------------------------
async def test_the_audit_page_lists_the_writes_and_filters_them(make_tenant, client, make_user):
    ward = await make_tenant(plugins=())
    officer = await make_user()
    await client.post(f"/t/{ward.key}/admin/plugins/hello/enable")
    await client.post(f"/t/{ward.key}/admin/roles", data={"username": officer.username, "role": "ward_officer"})
    await client.post(f"/t/{ward.key}/admin/tokens", data={"name": "Kho dữ liệu", "roles": "integrator", "days": "5"})
    page = await client.get(f"/t/{ward.key}/admin/audit")
    assert page.status_code == 200
    found = re.findall(r'data-entity="(\w+)" data-action="(\w+)"', page.text)
    for pair in [("plugin_subscriptions", "enable"), ("role_assignments", "grant"), ("api_tokens", "create")]:
        assert pair in found
    assert client.user.username in page.text
    only = await client.get(f"/t/{ward.key}/admin/audit", params={"entity": "api_tokens"})
    assert set(re.findall(r'data-entity="(\w+)"', only.text)) == {"api_tokens"}
    nobody = await client.get(f"/t/{ward.key}/admin/audit", params={"user": "someone-else"})
    assert re.findall(r'data-entity="(\w+)" data-action', nobody.text) == []
    today = await client.get(f"/t/{ward.key}/admin/audit", params={"since": "2000-01-01", "until": "2999-12-31"})
    assert ("api_tokens", "create") in re.findall(r'data-entity="(\w+)" data-action="(\w+)"', today.text)


async def test_bad_audit_filters_get_field_errors(make_tenant, client):
    ward = await make_tenant(plugins=())
    response = await client.get(f"/t/{ward.key}/admin/audit", params={"since": "31/01/2026", "until": "2026-01-01"})
    assert response.status_code == 400
    assert field_error(response.text, "since").startswith("Ngày theo dạng NNNN-TT-NN")
    english = await client.get(f"/t/{ward.key}/admin/audit",
                               params={"since": "2026-02-01", "until": "2026-01-01", "lang": "en"})
    assert field_error(english.text, "until") == "The end date must not be before the start date"
    assert (await client.get(f"/t/{ward.key}/admin/audit", params={"after": "garbage"})).status_code == 400


async def test_the_audit_page_pages_through_older_entries(make_tenant, client, db):
    from core.audit.recorder import record

    ward = await make_tenant(plugins=())
    async with db.session(TenantScope.of(ward.id)) as session:
        for i in range(57):
            await record(session, tenant_id=ward.id, action="update", entity="households", entity_id=f"h{i}")
    first = await client.get(f"/t/{ward.key}/admin/audit", params={"entity": "households"})
    assert len(re.findall(r'class="admin-card audit-entry"', first.text)) == 50
    older = re.search(r'<a href="([^"]+)" rel="next">', first.text).group(1)
    second = await client.get(html.unescape(older))
    assert len(re.findall(r'class="admin-card audit-entry"', second.text)) == 7
    shown = set(re.findall(r"<code>(h\d+)</code>", first.text)) | set(re.findall(r"<code>(h\d+)</code>", second.text))
    assert len(shown) == 57


async def test_a_district_reads_its_wards_log_below_it_but_a_ward_never_sees_anothers(make_tenant, db, client_as):
    district, ward, _sibling, other_ward = await district_tree(make_tenant, db)
    from core.audit.recorder import record

    for unit, marker in ((ward, "mine"), (other_ward, "theirs")):
        async with db.session(TenantScope.of(unit.id)) as session:
            await record(session, tenant_id=unit.id, action="update", entity="households", entity_id=marker)
    admin = await client_as("district_admin", district)
    page = (await admin.get(f"/t/{district.key}/admin/audit", params={"below": "1"})).text
    assert "<code>mine</code>" in page and "<code>theirs</code>" not in page


# -- accounts ----------------------------------------------------------------------------------------------------
async def test_an_admin_creates_an_account_with_a_temporary_password_shown_once(client, anon_client, sign_in):
    name = f"canbo-{uuid.uuid4().hex[:6]}"
    response = await client.post("/admin/users", data={"username": name, "display_name": "Trần Thị Bình",
                                                       "email": "", "password": ""})
    assert response.status_code == 201, response.text
    temporary = html.unescape(re.search(r'id="temporary-password"[^>]*value="([^"]+)"', response.text).group(1))
    listed = (await client.get("/admin/users", params={"q": name})).text
    assert temporary not in listed and "Trần Thị Bình" in listed and "Chờ đổi mật khẩu tạm thời" in listed
    signed = await sign_in(anon_client, name, temporary)
    assert signed.status_code == 200 and signed.json()["user"]["must_change_password"] is True


@pytest.mark.parametrize(("data", "field", "status", "message"), [
    ({"username": "A B"}, "username", 400, "Tên đăng nhập gồm 3–80 ký tự"),
    ({"username": "okname", "email": "not-an-address"}, "email", 400, "Địa chỉ thư điện tử không hợp lệ"),
    ({"username": "okname2", "password": "short"}, "password", 400, "Mật khẩu cần ít nhất"),
])
async def test_bad_account_forms_get_field_errors(client, data, field, status, message):
    response = await client.post("/admin/users", data=data)
    assert response.status_code == status, response.text
    assert field_error(response.text, field).startswith(message)
    assert 'id="temporary-password"' not in response.text


async def test_a_taken_username_is_a_field_error_too(client, make_user):
    user = await make_user()
    response = await client.post("/admin/users?lang=en", data={"username": user.username})
    assert response.status_code == 409
    assert field_error(response.text, "username") == f"The username '{user.username}' is taken"


async def test_disable_and_reset_from_the_page(client, make_user, anon_client, sign_in):
    from core.testing import TEST_PASSWORD

    user = await make_user()
    page = (await client.get("/admin/users", params={"q": user.username})).text
    assert f'action="/admin/users/{user.id}/disable"' in page
    assert (await client.post(f"/admin/users/{user.id}/disable", follow_redirects=False)).status_code == 303
    assert (await sign_in(anon_client, user, TEST_PASSWORD)).status_code == 401
    assert (await client.post(f"/admin/users/{user.id}/enable", follow_redirects=False)).status_code == 303
    reset = await client.post(f"/admin/users/{user.id}/temporary-password")
    assert reset.status_code == 200 and reset.headers["cache-control"] == "no-store"
    temporary = html.unescape(re.search(r'id="temporary-password"[^>]*value="([^"]+)"', reset.text).group(1))
    assert (await sign_in(anon_client, user, temporary)).status_code == 200
    own = await client.post(f"/admin/users/{client.user.id}/disable")
    assert own.status_code == 400
    assert (await client.post(f"/admin/users/{uuid.uuid4()}/disable")).status_code == 404


# -- odd input never makes a 500 -------------------------------------------------------------------------------
async def test_odd_input_is_answered_without_a_server_error(make_tenant, client):
    ward = await make_tenant(plugins=())
    base = f"/t/{ward.key}"
    odd = [
        ("post", f"{base}/admin/roles", {"json": {"username": ["a"], "role": {"x": 1}}}),
        ("post", f"{base}/admin/roles", {"data": {"username": "x" * 5000, "role": "ward_officer" * 50}}),
        ("post", f"{base}/admin/roles/revoke", {"data": {"username": client.user.username, "role": "resident"}}),
        ("post", f"{base}/admin/tokens", {"data": {"name": "n" * 500, "roles": ["integrator", "???"], "days": "1e3"}}),
        ("post", f"{base}/admin/tokens", {"content": b"\xff\xfe garbage", "headers": {"content-type": "text/plain"}}),
        ("post", f"{base}/admin/plugins/%3Cscript%3E/enable", {}),
        ("get", f"{base}/admin/audit", {"params": {"since": "2026-13-45", "until": "\x00", "user": "'; drop"}}),
        ("get", f"{base}/admin/audit", {"params": {"entity": "x" * 1000, "below": "yes"}}),
        ("get", "/admin/users", {"params": {"page": "-5", "q": "%_\\"}}),
        ("get", "/admin/users", {"params": {"page": "abc"}}),
        ("get", "/admin/units", {"params": {"unit": "nonsense:::", "q": "\u0301\u0300"}}),
        ("post", "/admin/users", {"data": {"username": "", "email": "x" * 400}}),
        ("post", f"/admin/users/{uuid.uuid4()}/explode", {}),
        ("get", "/t/bogus:thing/admin/plugins", {}),
    ]
    for method, path, kwargs in odd:
        response = await getattr(client, method)(path, **kwargs)
        assert response.status_code < 500, (path, kwargs, response.text[:500])
