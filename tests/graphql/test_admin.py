"""Who may do what through GraphQL: me, tokens and tenants, admin mutations, introspection, rate limits."""

import pytest
from graphql import build_client_schema, get_introspection_query
from litestar.testing import AsyncTestClient

from core.app import create_app

pytestmark = pytest.mark.plugins("hello")


async def gql(client, query, tenant=None, token=None, variables=None, lang="en"):
    headers = {"Accept-Language": lang}
    if tenant is not None:
        headers["X-Tenant"] = tenant.key
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    return response.status_code, response.json()


def code(body):
    return body["errors"][0]["extensions"]["code"]


async def test_tokens_answer_for_their_one_unit_only(anon_client, make_tenant, make_token):
    a, b = await make_tenant(), await make_tenant()
    _, value = await make_token(a, ("integrator",))
    status, body = await gql(anon_client, "{ me { kind tenantKey roles { role } } hello { greetings { totalCount } } }",
                             token=value)
    assert status == 200 and body["data"]["me"] == {"kind": "token", "tenantKey": a.key,
                                                    "roles": [{"role": "integrator"}]}
    assert body["data"]["hello"]["greetings"]["totalCount"] == 1  # the token's unit is implied
    status, body = await gql(anon_client, "{ hello { greetings { totalCount } } }", tenant=b, token=value)
    assert (status, code(body), body["data"]) == (403, "FORBIDDEN", None)
    for bad in ("wht_" + "x" * 43, "not-a-token", ""):
        status, body = await gql(anon_client, "{ tenant { key } }", tenant=a, token=bad)
        assert status == 401 and code(body) == "UNAUTHENTICATED"


async def test_roles_decide_the_unit(anon_client, client_as, make_tenant):
    a, b = await make_tenant(), await make_tenant()
    status, body = await gql(anon_client, "{ tenant { key } }", tenant=a)
    assert (status, code(body)) == (401, "UNAUTHENTICATED")
    officer = await client_as("ward_officer", a)
    status, body = await gql(officer, "{ me { username roles { role tenantKey } permissions } tenant { key } }",
                             tenant=a)
    assert body["data"]["tenant"] == {"key": a.key}
    assert body["data"]["me"]["roles"] == [{"role": "ward_officer", "tenantKey": a.key}]
    assert "hello.greeting:write" in body["data"]["me"]["permissions"]
    status, body = await gql(officer, "{ tenant { key } }", tenant=b)
    assert (status, code(body)) == (403, "FORBIDDEN")
    assert b.name in body["errors"][0]["message"]


async def test_standard_client_builds_the_schema_from_introspection(client, make_tenant):
    ward = await make_tenant()
    status, body = await gql(client, get_introspection_query(descriptions=True), tenant=ward)
    assert status == 200 and "errors" not in body
    schema = build_client_schema(body["data"])
    assert {"me", "tenant", "tenants", "plugins", "hello"} <= set(schema.query_type.fields)
    assert {"helloAddGreeting", "grantRole", "createToken", "enablePlugin"} <= set(schema.mutation_type.fields)
    bare = await make_tenant(plugins=())
    status, body = await gql(client, get_introspection_query(), tenant=bare)
    assert "hello" not in build_client_schema(body["data"]).query_type.fields  # only what the unit enabled


async def test_district_admin_switches_plugins_for_its_wards_only(client_as, make_tenant):
    district, other = await make_tenant(level="district", plugins=()), await make_tenant(level="district", plugins=())
    ward = await make_tenant(parent_key=district.key, plugins=())
    sibling = await make_tenant(parent_key=other.key, plugins=())
    admin = await client_as("district_admin", district)
    enable = "mutation($i: PluginSwitchInput!) { enablePlugin(input: $i) { tenant enabledPlugins } }"
    _, body = await gql(admin, enable, tenant=district, variables={"i": {"tenant": ward.key, "plugin": "hello"}})
    assert body["data"]["enablePlugin"] == {"tenant": ward.key, "enabledPlugins": ["hello"]}
    _, body = await gql(admin, "{ hello { greetings { totalCount } } }", tenant=ward)
    assert body["data"]["hello"]["greetings"]["totalCount"] == 1  # seeded when enabled, visible at once
    _, body = await gql(admin, enable, tenant=district, variables={"i": {"tenant": sibling.key, "plugin": "hello"}})
    assert code(body) == "FORBIDDEN" and body["data"] is None
    officer = await client_as("ward_officer", ward)
    _, body = await gql(officer, enable.replace("enablePlugin", "disablePlugin"), tenant=ward,
                        variables={"i": {"tenant": ward.key, "plugin": "hello"}})
    assert code(body) == "FORBIDDEN"


async def test_roles_and_tokens_are_handed_out_within_rank(client, client_as, make_tenant, make_user, anon_client):
    ward = await make_tenant()
    chair = await client_as("ward_chair", ward)
    target = await make_user()
    grant = "mutation($i: RoleInput!) { grantRole(input: $i) { role held } }"
    _, body = await gql(chair, grant, tenant=ward,
                        variables={"i": {"username": target.username, "role": "ward_officer", "tenant": ward.key}})
    assert body["data"]["grantRole"] == {"role": "ward_officer", "held": True}
    _, body = await gql(chair, grant, tenant=ward,
                        variables={"i": {"username": target.username, "role": "district_admin", "tenant": ward.key}})
    assert code(body) == "FORBIDDEN"
    _, body = await gql(chair, grant, tenant=ward,
                        variables={"i": {"username": target.username, "role": "wizard", "tenant": ward.key}})
    assert code(body) in ("BAD_USER_INPUT", "FORBIDDEN")

    create = "mutation($i: CreateTokenInput!) { createToken(input: $i) { id token roles tenant } }"
    _, body = await gql(client, create, tenant=ward, variables={"i": {"name": "Cổng dữ liệu", "roles": ["integrator"]}})
    made = body["data"]["createToken"]
    assert made["token"].startswith("wht_") and made["tenant"] == ward.key
    _, body = await gql(anon_client, "{ tenant { key } }", token=made["token"])
    assert body["data"]["tenant"] == {"key": ward.key}
    revoke = "mutation($i: RevokeTokenInput!) { revokeToken(input: $i) { id token } }"
    _, body = await gql(client, revoke, tenant=ward, variables={"i": {"id": made["id"]}})
    assert body["data"]["revokeToken"] == {"id": made["id"], "token": None}
    status, body = await gql(anon_client, "{ tenant { key } }", token=made["token"])
    assert (status, code(body)) == (401, "UNAUTHENTICATED")


async def test_only_platform_admins_register_units_and_users(client, client_as, make_tenant):
    ward = await make_tenant()
    register = "mutation($i: RegisterTenantInput!) { registerTenant(input: $i) { key level } }"
    district_admin = await client_as("district_admin", ward)
    _, body = await gql(district_admin, register, variables={"i": {"code": "q-x", "name": "Quận X", "level": "district",
                                                                   "parent": ward.key}})
    assert code(body) == "FORBIDDEN"
    _, body = await gql(client, register, variables={"i": {"code": "bad code", "name": "X", "level": "district"}})
    assert code(body) == "BAD_USER_INPUT" and "code" in body["errors"][0]["extensions"]["fields"]
    create = "mutation($i: CreateUserInput!) { createUser(input: $i) { username } }"
    _, body = await gql(client, create, variables={"i": {"username": "Can.Bo1", "password": "Mật-khẩu-rất-dài-2026"}})
    assert body["data"]["createUser"] == {"username": "can.bo1"}
    _, body = await gql(client, create, variables={"i": {"username": "can.bo1", "password": "Mật-khẩu-rất-dài-2026"}})
    assert code(body) == "CONFLICT"


async def test_rate_limit_per_caller(settings, make_tenant, make_token):
    ward = await make_tenant()
    _, value = await make_token(ward)
    app = create_app(settings.with_(graphql_rate_per_minute=3))
    try:
        async with AsyncTestClient(app=app) as test_client:
            answers = [await gql(test_client, "{ tenant { key } }", token=value) for _ in range(4)]
            other = await gql(test_client, "{ tenant { key } }")  # another caller has its own count
    finally:
        await app.state.db.dispose()
    assert [status for status, _ in answers] == [200, 200, 200, 429]
    assert code(answers[-1][1]) == "RATE_LIMITED" and "requests a minute" in answers[-1][1]["errors"][0]["message"]
    assert other[0] == 200


async def test_graphiql_is_vendored_and_for_signed_in_users(client, anon_client):
    page = await client.get("/graphql?tenant=current:27139", headers={"Accept": "text/html"})
    assert page.status_code == 200 and 'data-tenant="current:27139"' in page.text
    for asset in ("/static/vendor/graphiql/graphiql.min.js", "/static/vendor/graphiql/react.production.min.js",
                  "/static/graphiql-boot.js", "/static/vendor/graphiql/graphiql.min.css"):
        assert asset in page.text
        assert (await client.get(asset)).status_code == 200, asset
    assert "unpkg" not in page.text and "cdn" not in page.text.lower()
    anonymous = await anon_client.get("/graphql", headers={"Accept": "application/json"})
    assert anonymous.status_code == 401


async def test_plugin_switches_role_grants_and_tokens_are_audited_in_the_unit_they_change(client_as, make_tenant,
                                                                                        make_user, db):
    from sqlalchemy import select

    from core.audit.models import AuditEntry
    from core.db.scoping import TenantScope

    district = await make_tenant(level="district", plugins=())
    ward = await make_tenant(parent_key=district.key, plugins=())
    admin = await client_as("district_admin", district)
    target = await make_user()
    switch = "mutation($i: PluginSwitchInput!) { enablePlugin(input: $i) { tenant } }"
    _, body = await gql(admin, switch, tenant=district, variables={"i": {"tenant": ward.key, "plugin": "hello"}})
    assert "errors" not in body, body
    grant = "mutation($i: RoleInput!) { grantRole(input: $i) { held } }"
    _, body = await gql(admin, grant, tenant=district,
                        variables={"i": {"username": target.username, "role": "ward_officer", "tenant": ward.key}})
    assert "errors" not in body, body
    _, body = await gql(admin, "mutation($i: CreateTokenInput!) { createToken(input: $i) { id } }", tenant=ward,
                        variables={"i": {"name": "Kho dữ liệu", "roles": ["integrator"], "days": 30}})
    token_id = body["data"]["createToken"]["id"]
    _, body = await gql(admin, "mutation($i: RevokeTokenInput!) { revokeToken(input: $i) { id } }", tenant=ward,
                        variables={"i": {"id": token_id}})
    assert "errors" not in body, body
    async with db.session(TenantScope.of(ward.id)) as session:
        rows = (await session.execute(select(AuditEntry).where(AuditEntry.entity.in_(
            ["plugin_subscriptions", "role_assignments", "api_tokens"])))).scalars().all()
    seen = sorted((r.entity, r.action, r.actor_id) for r in rows)
    assert seen == [("api_tokens", "create", admin.user.id), ("api_tokens", "revoke", admin.user.id),
                    ("plugin_subscriptions", "enable", admin.user.id), ("role_assignments", "grant", admin.user.id)]
