"""The GraphQL gateway: composition per enabled set, errors, paging, limits and query counts."""

import pytest
from wardhub_hello.models import Greeting, Reply

from core.db.scoping import TenantScope
from core.testing import counting_statements
from tenants import registry, subscriptions

pytestmark = pytest.mark.plugins("hello")

GREETINGS = "query($first: Int, $after: String) { hello { greetings(first: $first, after: $after) " \
            "{ totalCount pageInfo { hasNextPage endCursor } edges { node { text replies { text } } } } } }"


async def gql(client, tenant, query, variables=None, lang=None, **extra):
    headers = {"X-Tenant": tenant.key} if tenant else {}
    if lang:
        headers["Accept-Language"] = lang
    response = await client.post("/graphql", json={"query": query, "variables": variables, **extra}, headers=headers)
    return response


async def seed(db, tenant, n, replies=2):
    async with db.session(TenantScope.of(tenant.id)) as session:
        for i in range(n):
            greeting = Greeting(text=f"g{i:03d}")
            session.add(greeting)
            await session.flush()
            session.add_all(Reply(greeting_id=greeting.id, text=f"r{i}-{j}") for j in range(replies))


async def test_plugin_root_field_and_paging(client, db, make_tenant):
    ward = await make_tenant()
    await seed(db, ward, 7)
    first = (await gql(client, ward, GREETINGS, {"first": 5})).json()
    page = first["data"]["hello"]["greetings"]
    assert page["totalCount"] == 8 and page["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["text"] for e in page["edges"]][:2] == ["Xin chào", "g000"]
    assert page["edges"][1]["node"]["replies"] == [{"text": "r0-0"}, {"text": "r0-1"}]
    rest = (await gql(client, ward, GREETINGS, {"first": 5, "after": page["pageInfo"]["endCursor"]})).json()
    assert [e["node"]["text"] for e in rest["data"]["hello"]["greetings"]["edges"]] == ["g004", "g005", "g006"]
    assert rest["data"]["hello"]["greetings"]["pageInfo"]["hasNextPage"] is False


async def test_page_size_is_capped_and_cursor_checked(client, make_tenant):
    ward = await make_tenant()
    too_many = (await gql(client, ward, GREETINGS, {"first": 501}, lang="en")).json()
    error = too_many["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == {"first": "first must be between 0 and 500"}
    bad_cursor = (await gql(client, ward, GREETINGS, {"after": "!!!"})).json()
    assert bad_cursor["errors"][0]["extensions"]["fields"] == {"after": "Con trỏ phân trang không hợp lệ"}


async def test_constant_number_of_queries_whatever_the_page_size(client, app, db, make_tenant):
    ward = await make_tenant()
    await seed(db, ward, 60, replies=3)
    await gql(client, ward, GREETINGS, {"first": 1})  # the unit's context is cached from here on
    with counting_statements(app.state.db.engine) as statements:
        counts = []
        for size in (5, 50):
            statements.clear()
            body = (await gql(client, ward, GREETINGS, {"first": size})).json()
            assert len(body["data"]["hello"]["greetings"]["edges"]) == size
            counts.append(len(statements))
    assert counts[0] == counts[1], counts


async def test_disabled_plugin_answers_plugin_not_enabled_and_enabling_shows_it(client, db, make_tenant,
                                                                               plugin_manager, app):
    ward = await make_tenant(plugins=())
    body = (await gql(client, ward, "{ hello { greetings { totalCount } } }", lang="en")).json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "PLUGIN_NOT_ENABLED"
    assert "hello" in body["errors"][0]["message"]
    mutation = 'mutation { helloAddGreeting(input: {text: "x"}) { greeting { text } } }'
    answer = (await gql(client, ward, mutation)).json()
    assert answer["errors"][0]["extensions"]["code"] == "PLUGIN_NOT_ENABLED", answer
    graphql = app.state.graphql
    assert "hello" not in graphql.schema(frozenset(), introspection=True).as_str()
    async with db.session(TenantScope.of(ward.id)) as session:
        await subscriptions.enable(session, await registry.get(session, ward.key), "hello", plugin_manager)
    now = (await gql(client, ward, "{ hello { greetings { totalCount } } }")).json()
    assert now == {"data": {"hello": {"greetings": {"totalCount": 1}}}}
    assert graphql.schema(frozenset({"hello"}), introspection=True) is graphql.schema(
        frozenset({"hello"}), introspection=True)  # one schema per distinct enabled set


async def test_mutation_writes_or_changes_nothing(client, db, make_tenant):
    ward = await make_tenant()
    ok = (await gql(client, ward, 'mutation { helloAddGreeting(input: {text: " Chào "}) { greeting { text } } }'))
    assert ok.json() == {"data": {"helloAddGreeting": {"greeting": {"text": "Chào"}}}}
    bad = (await gql(client, ward, 'mutation { helloAddGreeting(input: {text: "  "}) { greeting { text } } }',
                     lang="en")).json()
    assert bad["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT",
                                              "fields": {"text": "A greeting cannot be empty"}}
    vi = (await gql(client, ward, 'mutation { helloAddGreeting(input: {text: ""}) { greeting { text } } }')).json()
    assert vi["errors"][0]["message"] == "Lời chào không được để trống"
    # two mutations in one document, the second failing: neither is kept
    both = 'mutation { a: helloAddGreeting(input: {text: "kept?"}) { greeting { text } } ' \
           'b: helloAddGreeting(input: {text: ""}) { greeting { text } } }'
    assert "errors" in (await gql(client, ward, both)).json()
    total = (await gql(client, ward, "{ hello { greetings { edges { node { text } } } } }")).json()
    assert [e["node"]["text"] for e in total["data"]["hello"]["greetings"]["edges"]] == ["Chào", "Xin chào"] or \
        sorted(e["node"]["text"] for e in total["data"]["hello"]["greetings"]["edges"]) == ["Chào", "Xin chào"]


@pytest.mark.parametrize(
    ("query", "word"),
    [
        ("{ " + "hello { greetings { edges { node { replies { text } } } } } " * 1 + "}", None),
        ("{ a: tenant { key } " + " ".join(f"a{i}: tenant {{ key }}" for i in range(40)) + " }", "aliases"),
        ("{ hello { greetings(first: 500) { edges { node { replies { text id } text id } } } } "
         + " ".join(f"x{i}: hello {{ greetings(first: 500) {{ edges {{ node {{ text id }} }} }} }}" for i in range(25))
         + " }", "cost"),
        ("{ tenant { " * 1 + "key " * 5000 + "} }", "token"),
    ],
)
async def test_abusive_documents_are_rejected_before_running(client, make_tenant, query, word):
    ward = await make_tenant()
    body = (await gql(client, ward, query, lang="en")).json()
    if word is None:
        assert "errors" not in body
        return
    assert body.get("data") is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert word in body["errors"][0]["message"].lower()


async def test_depth_limit(client, make_tenant):
    ward = await make_tenant()
    shallow = (await gql(client, ward, "{ tenant { key parent { key level parent { key } } } }")).json()
    assert shallow["data"]["tenant"]["parent"]["level"] == "province"
    assert shallow["data"]["tenant"]["parent"]["parent"] is None
    deep = "{ tenant { " + "parent { " * 14 + "key" + " }" * 14 + " } }"
    body = (await gql(client, ward, deep, lang="en")).json()
    assert body.get("data") is None and "depth" in body["errors"][0]["message"].lower()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_transport_and_syntax_errors_are_clear_4xx(client, make_tenant):
    ward = await make_tenant()
    malformed = await client.post("/graphql", content=b"{not json", headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400
    assert malformed.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    syntax = (await gql(client, ward, "{ tenant { key ", lang="en")).json()
    assert syntax["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    unknown = (await gql(client, ward, "{ tenant { nope } }")).json()
    assert unknown["errors"][0]["message"].startswith("Truy vấn không hợp lệ")
    missing_tenant = await client.post("/graphql", json={"query": "{ tenant { key } }"},
                                       headers={"X-Tenant": "local:nowhere"})
    assert missing_tenant.status_code == 404
    assert missing_tenant.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_introspection_is_off_for_anonymous_callers(anon_client, make_tenant):
    body = (await gql(anon_client, None, "{ __schema { queryType { name } } }", lang="en")).json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "introspection" in body["errors"][0]["message"].lower()


async def test_core_fields(client, make_tenant):
    ward = await make_tenant()
    body = (await gql(client, ward, "{ tenant { key level } plugins { name enabled title } "
                                    "tenants { totalCount nodes { key } } }", lang="en")).json()
    assert body["data"]["tenant"] == {"key": ward.key, "level": "ward"}
    assert {"name": "hello", "enabled": True, "title": "Greetings"} in body["data"]["plugins"]
    assert body["data"]["tenants"]["nodes"] == [{"key": ward.key}]


def test_every_enabled_plugin_gets_its_root_field(app):
    registry = app.state.graphql
    roots = {plugin for plugin in registry.contributions if registry.contributions[plugin].query is not None}
    assert len(roots) >= 2
    schema = registry.schema(frozenset(roots), introspection=True).as_str()
    for plugin in roots:
        from core.graphql.contribution import root_field_name

        assert f"\n  {root_field_name(plugin)}:" in schema, plugin
