"""GraphQL documents generated from an introspected schema (hypothesis strategies).

``root_field_document(draw, schema, kind, name, values)`` builds a document calling one root field of
the query or mutation type: every scalar leaf of the objects it selects (the data a leak would show),
a random part of the nested object fields down to a bounded depth, and arguments generated from their
types, identifiers taken from ``values`` (the other tenant's ids, junk, random uuids).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    build_client_schema,
    get_introspection_query,
    get_named_type,
    is_leaf_type,
)
from hypothesis import strategies as st

MAX_DEPTH = 3  # object levels below the root field
INTROSPECTION = get_introspection_query(descriptions=False)


async def introspect(client: Any, tenant_key: str) -> GraphQLSchema:
    response = await client.post("/graphql", json={"query": INTROSPECTION}, headers={"X-Tenant": tenant_key})
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    return build_client_schema(body["data"])


@dataclass
class Values:
    """Where argument values come from."""

    ids: list[str]  # identifiers to try (another tenant's, the caller's own, random)
    strings: list[str] = field(default_factory=lambda: ["", "x", "Nguyễn", "0"])


def _literal(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def scalar_value(draw: st.DrawFn, scalar: GraphQLScalarType, values: Values, arg_name: str = "") -> str:
    name = scalar.name
    if name in ("ID", "UUID"):
        return _literal(draw(st.sampled_from(values.ids)))
    if name == "Int":
        if arg_name in ("first", "last", "limit"):
            return str(draw(st.integers(0, 10)))
        return str(draw(st.integers(-2, 12)))
    if name == "Float":
        return str(draw(st.sampled_from([0.0, 1.5, -3.0])))
    if name == "Boolean":
        return draw(st.sampled_from(["true", "false"]))
    if name == "Date":
        return _literal(draw(st.sampled_from(["2020-01-01", "2026-06-15", "1990-12-31"])))
    if name == "DateTime":
        return _literal(draw(st.sampled_from(["2026-01-01T00:00:00+00:00", "2020-05-05T10:00:00"])))
    if name == "JSON":
        return draw(st.sampled_from(["{}", "{phone: \"0912345678\"}", "null"]))
    if name == "Decimal":
        return _literal(draw(st.sampled_from(["1.5", "0", "100000"])))
    return _literal(draw(st.sampled_from(values.strings + values.ids)))


def input_value(draw: st.DrawFn, type_: Any, values: Values, arg_name: str = "", depth: int = 0) -> str:
    if isinstance(type_, GraphQLNonNull):
        return input_value(draw, type_.of_type, values, arg_name, depth)
    if isinstance(type_, GraphQLList):
        size = draw(st.integers(0, 2))
        return "[" + ", ".join(input_value(draw, type_.of_type, values, arg_name, depth + 1) for _ in range(size)) + "]"
    if isinstance(type_, GraphQLEnumType):
        return draw(st.sampled_from(sorted(type_.values)))
    if isinstance(type_, GraphQLInputObjectType):
        parts = []
        for name, fld in type_.fields.items():
            required = isinstance(fld.type, GraphQLNonNull) and fld.default_value is None
            if required or (depth < 2 and draw(st.booleans())):
                parts.append(f"{name}: {input_value(draw, fld.type, values, name, depth + 1)}")
        return "{" + ", ".join(parts) + "}"
    return scalar_value(draw, type_, values, arg_name)


def arguments(draw: st.DrawFn, args: dict, values: Values) -> str:
    parts = []
    for name, arg in args.items():
        required = isinstance(arg.type, GraphQLNonNull) and arg.default_value is None
        if required or draw(st.booleans()):
            parts.append(f"{name}: {input_value(draw, arg.type, values, name)}")
    return f"({', '.join(parts)})" if parts else ""


def selection(draw: st.DrawFn, schema: GraphQLSchema, type_: Any, values: Values, depth: int) -> str:
    named = get_named_type(type_)
    if is_leaf_type(named):
        return ""
    if isinstance(named, (GraphQLInterfaceType, GraphQLUnionType)):
        fragments = [f"... on {t.name} {selection(draw, schema, t, values, depth)}"
                     for t in schema.get_possible_types(named)[:4]]
        return "{ __typename " + " ".join(fragments) + " }"
    assert isinstance(named, GraphQLObjectType)
    parts = []
    for name, fld in named.fields.items():
        leaf = is_leaf_type(get_named_type(fld.type))
        needs_args = any(isinstance(a.type, GraphQLNonNull) and a.default_value is None for a in fld.args.values())
        if leaf and not needs_args:
            parts.append(name)  # every scalar: the data that would show a leak
        elif not leaf and depth < MAX_DEPTH and draw(st.integers(0, 2)) > 0:
            inner = selection(draw, schema, fld.type, values, depth + 1)
            if inner:
                parts.append(f"{name}{arguments(draw, fld.args, values)} {inner}")
    if not parts:
        parts.append("__typename")
    return "{ " + " ".join(parts) + " }"


def root_fields(schema: GraphQLSchema) -> list[tuple[str, str]]:
    """Every root field: ``("query", name)`` and ``("mutation", name)``."""
    found = [("query", n) for n in schema.query_type.fields]
    if schema.mutation_type is not None:
        found += [("mutation", n) for n in schema.mutation_type.fields]
    return found


def root_field_document(draw: st.DrawFn, schema: GraphQLSchema, kind: str, name: str, values: Values) -> str:
    root = schema.query_type if kind == "query" else schema.mutation_type
    fld = root.fields[name]
    inner = selection(draw, schema, fld.type, values, 1)
    return f"{kind} {{ {name}{arguments(draw, fld.args, values)} {inner} }}"
