"""Hostile input: nothing a client sends makes the platform answer 5xx.

* every operation of the OpenAPI description (``/schema/openapi.json``) fuzzed with schemathesis' case
  strategies (bodies, path and query parameters, headers), sent through the app as a platform admin
  working in a ward with every plugin on: never a 5xx, and a 4xx always carries ``{"error": {code, message}}``;
* GraphQL documents generated from the composed schema with hypothesis-graphql (queries and mutations,
  arguments of every type, positive and negative modes): never a 5xx, never an ``INTERNAL`` error;
* targeted abuse: oversized bodies (413), deep documents, alias floods, unknown fields, wrong variable
  types, malformed JSON and malformed ids get a clear 4xx in the caller's language.
"""

from __future__ import annotations

import json
import os
import uuid
from types import SimpleNamespace
from urllib.parse import quote

import hypothesis_graphql
import pytest
import schemathesis
from graphql import print_schema
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.core import NotSet

from core.app import MAX_BODY
from core.testing import installed_plugin_names
from tests.reliability.conftest import error_code, register
from tests.reliability.graphql_docs import introspect

EXAMPLES = int(os.environ.get("WARDHUB_RELIABILITY_EXAMPLES", "2"))
FEW = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                      HealthCheck.filter_too_much, HealthCheck.data_too_large])
# Operations that would end the fuzzing session itself (sign-out, password change) or lock the shared
# test address out of sign-in: their guards and bodies are covered by tests/auth.
SKIPPED = {("POST", "/auth/logout"), ("POST", "/auth/login"), ("POST", "/auth/password"),
           ("POST", "/admin/users/{user_id}/password-reset")}
# Assets, the API description, and the test fixture plugin ``hello`` (an example whose /boom route fails
# on purpose, with no input checking of its own): the shipped plugins are the ones fuzzed.
SKIPPED_PREFIXES = ("/static", "/schema", "/t/{tenant}/hello")


@pytest.fixture
async def target(client, make_tenant, people):
    ward = await make_tenant(plugins=installed_plugin_names())
    household = await register(client, ward, people, "HK-H1")
    raw = (await client.get("/schema/openapi.json")).json()
    schema = schemathesis.openapi.from_dict(raw)
    operations = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED or operation.path.startswith(SKIPPED_PREFIXES):
            continue
        operations.append(operation)
    return SimpleNamespace(ward=ward, household=household, operations=operations,
                           person_id=household["members"][0]["id"])


def _headers(case, client) -> dict[str, str]:
    headers = {str(k): str(v) for k, v in (case.headers or {}).items()
               if str(k).lower() not in ("content-length", "host", "x-csrftoken", "cookie", "transfer-encoding")}
    return {**headers, "x-csrftoken": client.headers.get("x-csrftoken", "")}


def _body(case) -> dict:
    if isinstance(case.body, NotSet):
        return {}
    if case.media_type and "json" in case.media_type:
        return {"content": json.dumps(case.body, default=str).encode(), "headers": {"content-type": case.media_type}}
    if isinstance(case.body, bytes | str):
        return {"content": case.body, "headers": {"content-type": case.media_type or "application/octet-stream"}}
    return {"content": json.dumps(case.body, default=str).encode(), "headers": {"content-type": "application/json"}}


# Routes known to answer a 4xx without core's error body (``{"error": "not found"}``, neither code nor
# localized message): reported to the residence plugin's owner; any other route doing so fails the test.
KNOWN_BARE_ERRORS: tuple[str, ...] = ()  # routes allowed to answer an error without code and message: none


def assert_clear_error(response, context, operation_path: str = "") -> None:
    """Never a 5xx; a 4xx JSON answer carries a code and a message (HTML error pages are for browsers)."""
    assert response.status_code < 500, (context, response.status_code, response.text[:800])
    if response.status_code >= 400 and "json" in response.headers.get("content-type", ""):
        body = response.json()
        error = body.get("error") or (body.get("errors") or [{}])[0]
        if operation_path.startswith(KNOWN_BARE_ERRORS) and not isinstance(error, dict):
            return
        assert isinstance(error, dict) and error.get("message"), (context, response.status_code, body)
        assert error.get("code") or (error.get("extensions") or {}).get("code"), (context, body)


def check_description(target) -> None:
    paths = {op.path for op in target.operations}
    assert len(target.operations) > 150
    for plugin in ("residents", "residence", "military_service", "social_welfare", "economic_units",
                   "kindergartens", "ornamental_plants", "workflow"):
        assert any(f"/t/{{tenant}}/{plugin}" in p for p in paths), plugin


@FEW
@given(data=st.data())
async def test_no_openapi_operation_answers_5xx(client, target, data):
    check_description(target)
    for operation in target.operations:  # every operation in every example
        case = data.draw(operation.as_strategy(), label=operation.label)
        params = dict(case.path_parameters or {})
        if "tenant" in params and data.draw(st.integers(0, 3)) > 0:
            params["tenant"] = target.ward.key  # mostly a real ward, to reach past tenant resolution
        for name in params:
            if name.endswith("_id") and data.draw(st.booleans()):
                params[name] = data.draw(st.sampled_from([target.person_id, str(uuid.uuid4()), "0", "not-a-uuid"]))
        path = operation.path
        for name, value in params.items():
            path = path.replace("{" + name + "}", quote(str(value), safe=""))
        body = _body(case)
        headers = {**_headers(case, client), **body.pop("headers", {})}
        try:
            response = await client.request(case.method.upper(), path, params=case.query or None, headers=headers,
                                            **body)
        except (UnicodeEncodeError, ValueError):  # httpx refuses to send it (a header it cannot encode)
            continue
        assert_clear_error(response, (case.method, path, case.query, str(case.body)[:300]), operation.path)


def _field_names() -> list[str]:
    """Every field name the shipped plugins and core read from a request body (``data.get("…")``, ``data["…"]``
    and the field readers' ``(data, errors, "…")``), found in their source."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(r"""(?:data|body|values|row)(?:\.get\(|\[)\s*["']([a-z_]+)["']|"""
                         r"""\(\s*data\s*,\s*(?:errors|problems)\s*,\s*["']([a-z_]+)["']""")
    names: set[str] = set()
    for folder in ("core", "plugins", "examples/feedback/wardhub_feedback"):
        for path in (root / folder).rglob("*.py"):
            if "tests" not in path.parts:
                names.update(a or b for a, b in pattern.findall(path.read_text(encoding="utf-8")))
    return sorted(names)


TAKE_NO_BODY = {"/t/{tenant}/residence/expiry/run"}


async def test_every_field_of_every_write_taking_an_object_or_a_list_is_a_clear_error(client, target):
    """Type confusion, deterministically: every JSON write of the API gets bodies in which every field name the
    code reads is an object, then a list, then a list holding an object (no field reader may hash, split or
    compare such a value as if it were text)."""
    names = _field_names()
    assert {"kind", "status", "category", "household_id", "full_name"} <= set(names), names
    checked = 0
    for operation in target.operations:
        if operation.method.upper() not in ("POST", "PUT", "PATCH"):
            continue
        path = operation.path.replace("{tenant}", quote(target.ward.key, safe=""))
        for name in ("person_id", "household_id", "record_id", "request_id"):
            path = path.replace("{" + name + "}", target.person_id)
        path = path.split("{")[0].rstrip("/") if "{" in path else path
        for value in ({"x": 1}, [1, "a"], [{"x": 1}]):
            response = await client.request(operation.method.upper(), path, json=dict.fromkeys(names, value),
                                            headers={"x-csrftoken": client.headers.get("x-csrftoken", "")})
            assert_clear_error(response, (operation.method, path, value), operation.path)
            # and nothing is written from such a body, except by the routes that read none
            assert response.status_code >= 400 or operation.path in TAKE_NO_BODY, (operation.path, response.text)
            checked += 1
    assert checked > 150
    # and the values of a proposed change, one field at a time (unknown ones are refused first), for every
    # change type of every plugin
    types = client.app.state.change_types.types
    assert len(types) >= 4
    targets = {"residents_persons": target.person_id, "residents_households": target.household["id"]}
    for (plugin, name), change_type in types.items():
        for field in change_type.fields or names:
            for value in ({"x": 1}, [1, "a"], [{"x": 1}]):
                body = {"plugin": plugin, "change_type": name, "values": {field: value},
                        "target_id": targets.get(change_type.model.__tablename__, target.person_id)}
                response = await client.post(f"/t/{quote(target.ward.key, safe='')}/workflow/changes", json=body)
                assert_clear_error(response, (plugin, name, field, value), "/t/{tenant}/workflow/changes")
                assert response.status_code == 400, (plugin, name, field, value, response.text)  # never proposed


@pytest.fixture
async def graphql_schema(client, target):
    return print_schema(await introspect(client, target.ward.key))


def _custom_scalars():
    return {
        "UUID": st.uuids().map(str).map(lambda v: __import__("graphql").StringValueNode(value=v)),
        "JSON": st.just(__import__("graphql").ObjectValueNode(fields=())),
        "Date": st.dates().map(lambda d: __import__("graphql").StringValueNode(value=d.isoformat())),
        "DateTime": st.datetimes().map(lambda d: __import__("graphql").StringValueNode(value=d.isoformat())),
        "Decimal": st.decimals(allow_nan=False, allow_infinity=False, places=2).map(
            lambda d: __import__("graphql").StringValueNode(value=str(d))),
    }


@FEW
@given(data=st.data())
async def test_generated_graphql_documents_never_fail_internally(client, target, graphql_schema, data):
    for mode in (hypothesis_graphql.Mode.POSITIVE, hypothesis_graphql.Mode.NEGATIVE):
        for make in (hypothesis_graphql.queries, hypothesis_graphql.mutations):
            for _ in range(6):
                query = data.draw(make(graphql_schema, custom_scalars=_custom_scalars(), mode=mode,
                                       allow_x00=False))
                response = await client.post("/graphql", json={"query": query}, headers={"X-Tenant": target.ward.key})
                assert response.status_code < 500, (query, response.text[:800])
                body = response.json()
                codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors") or []}
                assert "INTERNAL" not in codes and None not in codes, (query, body)


# -- targeted abuse -----------------------------------------------------------------------------------

@pytest.fixture
async def ward(client, make_tenant, people):
    ward = await make_tenant(plugins=("residents",))
    household = await register(client, ward, people, "HK-H2")
    return SimpleNamespace(key=ward.key, id=ward.id, person_id=household["members"][0]["id"])


async def gql(client, ward, query: str, variables: dict | None = None, lang: str = "vi"):
    return await client.post("/graphql", json={"query": query, "variables": variables},
                             headers={"X-Tenant": ward.key, "accept-language": lang})


async def test_oversized_bodies_are_refused_with_413(client, ward):
    big = b'{"query": "' + b"x" * (MAX_BODY + 1024) + b'"}'
    for lang in ("vi", "en"):
        for url in ("/graphql", f"/t/{ward.key}/residents/households"):
            response = await client.post(url, content=big, headers={"content-type": "application/json",
                                                                     "accept-language": lang})
            assert response.status_code == 413, (url, response.text[:300])
            error = response.json()["error"]
            assert error["code"] == "BAD_USER_INPUT"
            assert error["message"] == ("Request body too large" if lang == "en" else "Dữ liệu gửi lên quá lớn")


ABUSIVE = [
    ("{ tenant { " + "parent { " * 30 + "key" + " }" * 30 + " } }", "depth"),
    ("{ " + " ".join(f"a{i}: tenant {{ key }}" for i in range(200)) + " }", "alias"),
    ("{ tenant { " + "key " * 6000 + "} }", "token"),
    ("{ tenant { nope } }", "nope"),
    ("{ residents { households(first: 10) { edges { node { secretField } } } } }", "secretfield"),
    ("{ tenant { key ", "syntax"),
    ("query { tenant { key } } query { me { username } }", "anonymous"),
]


async def test_abusive_or_invalid_documents_get_a_clear_4xx(client, ward):
    for query, word in ABUSIVE:
        for lang in ("vi", "en"):
            response = await gql(client, ward, query, lang=lang)
            assert 400 <= response.status_code < 500, (word, response.text[:500])
            body = response.json()
            assert body.get("data") is None
            error = body["errors"][0]
            assert error["extensions"]["code"] == "BAD_USER_INPUT"
            if lang == "en":
                assert word in error["message"].lower(), error
            else:
                assert error["message"].startswith("Truy vấn không hợp lệ"), error


BAD_VARIABLES = [{"id": 42}, {"id": "not-a-uuid"}, {"id": None}, {"id": ["x"]}, {"id": {"a": 1}}, {},
                 {"id": "1" * 10_000}]


async def test_wrong_variable_types_and_malformed_ids_get_a_clear_4xx(client, ward):
    query = "query($id: UUID!) { residents { person(id: $id) { fullName } } }"
    for variables in BAD_VARIABLES:
        response = await gql(client, ward, query, variables, lang="en")
        assert 400 <= response.status_code < 500, (variables, response.text[:500])
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["message"], variables
    inline = await gql(client, ward, "{ residents { person(id: 42) { fullName } } }", lang="en")
    assert inline.status_code == 400 and inline.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_malformed_ids_in_rest_paths_and_bodies_get_a_clear_4xx(client, ward):
    base = f"/t/{ward.key}/residents"
    for path in (f"{base}/persons/not-a-uuid", f"{base}/persons/{uuid.uuid4()}", f"{base}/households/123",
                 f"/t/{ward.key}/workflow/changes/{'f' * 300}", "/t/no:such/residents/persons/x"):
        response = await client.get(path, headers={"accept-language": "en"})
        assert response.status_code in (400, 403, 404), (path, response.text[:300])
        assert response.json()["error"]["code"] in ("BAD_USER_INPUT", "NOT_FOUND", "FORBIDDEN")
    for body in ({"household_id": "not-a-uuid", "relation": "child"}, {"household_id": 7}, {"household_id": None}):
        response = await client.post(f"{base}/persons/{ward.person_id}/household", json=body)
        assert response.status_code == 400, response.text
        assert error_code(response) == "BAD_USER_INPUT" and response.json()["error"]["fields"]


MALFORMED_JSON = [b"{not json", b"[1, 2", b"\xff\xfe", b"null", b"[]", b'"text"', b"1e999999"]


async def test_malformed_json_bodies_get_a_clear_4xx(client, ward):
    for raw in MALFORMED_JSON:
        for url in ("/graphql", f"/t/{ward.key}/residents/households",
                    f"/t/{ward.key}/residents/persons/{ward.person_id}", f"/t/{ward.key}/workflow/changes"):
            method = "PATCH" if "/persons/" in url else "POST"
            response = await client.request(method, url, content=raw, headers={"content-type": "application/json"})
            assert 400 <= response.status_code < 500, (url, raw, response.status_code, response.text[:300])
            assert error_code(response) == "BAD_USER_INPUT", (url, raw, response.text[:300])


async def test_numbers_too_large_for_the_database_get_a_clear_4xx(client, ward):
    """Found by the fuzzer: ``?offset=`` beyond 64 bits made SQLite (OverflowError) and asyncpg fail: a 500."""
    huge = str(10**26)
    for lang, message in (("vi", "vượt quá giới hạn"), ("en", "out of range")):
        for path, query in (("residents/search", {"q": "an"}), ("residents/households", {"q": "an"}),
                            ("residents/households", {})):
            response = await client.get(f"/t/{ward.key}/{path}", params={**query, "offset": huge},
                                        headers={"accept-language": lang})
            assert response.status_code == 400, (path, response.text[:300])
            assert error_code(response) == "BAD_USER_INPUT" and message in response.json()["error"]["message"]
    assert (await client.get(f"/t/{ward.key}/residents/households", params={"offset": "5"})).status_code == 200
