"""Isolation, property-based, over everything a caller can ask: two tenants with every plugin enabled and
seeded (each plugin's demo data, plus marked households and change requests); an officer of tenant A
calls every GraphQL root field (queries and mutations) of the composed schema and every GET route of the
app, with arguments and path parameters filled with tenant B's ids, A's own and junk. No answer contains
anything of B's (an id of one of its rows, a marker string, its key), except what the caller itself sent.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.routes import HTTPRoute

from core.db.scoping import TenantScope
from core.testing import installed_plugin_names
from tests.reliability.conftest import register
from tests.reliability.graphql_docs import Values, introspect, root_field_document, root_fields

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SKIPPED_PREFIXES = ("/schema", "/static", "/metrics")  # the API description, assets, process metrics
SKIPPED_PATHS = ("/t/{tenant:str}/hello/boom",)  # the example plugin's deliberate internal error
# Each example calls every root field (every route): a few examples go a long way. ``make soak`` runs more.
EXAMPLES = int(os.environ.get("WARDHUB_RELIABILITY_EXAMPLES", "2"))
FEW = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _uuids(value: object) -> set[str]:
    return set(UUID_RE.findall(json.dumps(value, default=str).lower()))


async def _seed(db, manager, tenant, enabled) -> dict:
    async with db.session(TenantScope.of(tenant.id)) as session:
        results = await manager.call_each("wardhub_demo_data", enabled, tenant=tenant, session=session)
    assert [r for r in results if r.error] == [], results
    async with db.session(TenantScope.of(tenant.id)) as session:
        exported = await manager.call_each("wardhub_export_tenant_data", enabled, tenant=tenant, session=session)
    assert [r for r in exported if r.error] == [], exported
    return {r.plugin: r.value for r in exported}


@pytest.fixture
async def world(client, client_as, make_tenant, plugin_manager, db, people):
    names = installed_plugin_names()
    a, b = await make_tenant(plugins=names), await make_tenant(plugins=names)
    marks = {}
    for tenant, tag in ((a, "a"), (b, "b")):
        mark = f"MARK{tag}{uuid.uuid4().hex[:10]}"
        marks[tag] = mark
        family = people.family(f"HK{mark}", 3, address=f"{mark} Nguyễn Trãi")
        for member in family["members"]:
            member["occupation"] = f"{mark} nghề"
        response = await client.post(f"/t/{tenant.key}/residents/households", json=family)
        assert response.status_code == 201, response.text
        home = response.json()
        await register(client, tenant, people, f"HKX{tag}{uuid.uuid4().hex[:6]}")
        resident = await client_as("resident", tenant, {"household": home["id"]})
        proposed = await resident.post(f"/t/{tenant.key}/workflow/changes", json={
            "plugin": "residents", "change_type": "person_contact", "target_id": home["members"][1]["id"],
            "values": {"occupation": f"{mark} đề xuất"}, "note": f"{mark} ghi chú"})
        assert proposed.status_code == 201, proposed.text
    exports = {"a": await _seed(db, plugin_manager, a, set(names)), "b": await _seed(db, plugin_manager, b, set(names))}
    a_ids, b_ids = _uuids(exports["a"]), _uuids(exports["b"])
    secrets = (b_ids - a_ids) | {str(b.id), b.key, marks["b"]}
    assert len(b_ids - a_ids) > 20, "tenant B should hold plenty of rows"
    officer = await client_as("ward_officer", a)
    tried = sorted(b_ids - a_ids)[:40] + sorted(a_ids - b_ids)[:10] + [str(uuid.uuid4()), str(b.id), str(a.id)]
    values = Values(ids=tried, strings=["", "x", "Nguyễn", "0", "not-a-uuid", marks["b"], b.key, "%", "' OR 1=1 --"])
    schema = await introspect(client, a.key)
    return SimpleNamespace(a=a, b=b, secrets=secrets, officer=officer, admin=client, values=values, schema=schema,
                           fields=root_fields(schema))


def document(schema, kind: str, name: str, values: Values):
    return st.composite(lambda draw: root_field_document(draw, schema, kind, name, values))()


def leaked(world, sent: str, answer) -> list[str]:
    """B's secrets in ``answer`` that the caller did not send itself."""
    text = answer.content.decode("utf-8", "replace").lower()
    sent = sent.lower()
    return sorted(s for s in world.secrets if s.lower() in text and s.lower() not in sent)


ROOT_FIELDS = {"me", "tenant", "tenants", "plugins", "residents", "residence", "militaryService", "socialWelfare",
               "economicUnits", "kindergartens", "ornamentalPlants", "changeRequests"}


def get_routes(app) -> list[tuple[str, dict[str, str]]]:
    routes = []
    for route in app.routes:
        if isinstance(route, HTTPRoute) and "GET" in route.methods and not route.path.startswith(SKIPPED_PREFIXES) \
                and route.path not in SKIPPED_PATHS:
            routes.append((route.path, {k: v.type.__name__ for k, v in route.path_parameters.items()}))
    return routes


QUERY_PARAMS = ("q", "search", "status", "format", "limit", "offset", "neighbourhood", "person_id", "household_id",
                "month", "lang", "kind", "direction", "first", "after")


def check_routes(app) -> None:
    paths = [path for path, _ in get_routes(app)]
    assert len(paths) > 40
    for plugin in ("residents", "residence", "military_service", "social_welfare", "economic_units",
                   "kindergartens", "ornamental_plants", "workflow"):
        assert any(f"/{plugin}" in path for path in paths), plugin


async def graphql_round(world, data) -> None:
    """Every root field of the schema, once."""
    assert {n for _k, n in world.fields} >= ROOT_FIELDS
    assert sum(1 for k, _n in world.fields if k == "mutation") > 10
    answered = 0
    for kind, name in world.fields:  # every root field in every example
        query = data.draw(document(world.schema, kind, name, world.values), label=name)
        caller = data.draw(st.sampled_from(["officer", "admin"]))
        tenant_key = world.a.key if caller == "admin" else data.draw(
            st.sampled_from([world.a.key, world.a.key, world.b.key]))
        client = world.officer if caller == "officer" else world.admin
        answer = await client.post("/graphql", json={"query": query}, headers={"X-Tenant": tenant_key})
        assert answer.status_code < 500, (query, answer.text[:500])
        assert leaked(world, query + tenant_key, answer) == [], (caller, tenant_key, query, answer.text[:800])
        body = answer.json()
        answered += kind == "query" and not body.get("errors") and bool((body.get("data") or {}).get(name))
    assert answered >= 3  # the documents are valid and reach data, not only errors


async def routes_round(world, app, data) -> None:
    """Every GET route of the app, once."""
    values = world.values
    pools = {"uuid": [*values.ids, "00000000-0000-0000-0000-000000000000"],
             "str": [*values.ids, *values.strings[1:], "2026-06", "policy-families", "beneficiaries", "..%2f"],
             "int": ["0", "1", "-1", "99999999"]}
    for path, params in get_routes(app):  # every route in every example
        # the platform administrator's own pages (/admin/…) list every unit: only A's routes for them
        caller = data.draw(st.sampled_from(["officer", "admin"])) if path.startswith("/t/") else "officer"
        client = world.officer if caller == "officer" else world.admin
        url = path
        for name, kind in params.items():
            if name == "tenant":
                choices = [world.a.key] if caller == "admin" else [world.a.key, world.a.key, world.b.key, "junk:1"]
                value = data.draw(st.sampled_from(choices))
            else:
                value = data.draw(st.sampled_from(pools.get(kind.lower(), pools["str"])))
            url = re.sub(r"\{" + name + r"(:[a-z]+)?\}", value, url)
        query = {k: data.draw(st.sampled_from(pools["str"] + pools["int"] + ["csv"]))
                 for k in data.draw(st.lists(st.sampled_from(QUERY_PARAMS), max_size=3, unique=True))}
        accept = data.draw(st.sampled_from(["application/json", "text/html"]))
        answer = await client.get(url, params=query, headers={"accept": accept})
        assert answer.status_code < 500, (url, query, answer.text[:500])
        assert leaked(world, url + json.dumps(query), answer) == [], (caller, url, query, answer.text[:800])


@FEW
@given(data=st.data())
async def test_nothing_of_tenant_b_reaches_an_officer_of_tenant_a(world, app, data):
    """Each example calls every GraphQL root field and every GET route (one world, seeded once, for both:
    seeding two tenants with every plugin is the slow part)."""
    check_routes(app)
    await graphql_round(world, data)
    await routes_round(world, app, data)
