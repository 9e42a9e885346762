"""The gateway's limits keep strawberry's validation cache effective: the same document is validated once."""

from __future__ import annotations

import asyncio

import strawberry
from strawberry.extensions.validation_cache import _get_validate_cache

from core.graphql.limits import MAX_DEPTH, limit_extensions


@strawberry.type
class Node:
    value: int = 1

    @strawberry.field
    def child(self) -> Node:
        return Node()


@strawberry.type
class Query:
    @strawberry.field
    def node(self) -> Node:
        return Node()


def test_a_repeated_document_is_validated_once_and_limits_still_apply() -> None:
    schema = strawberry.Schema(query=Query, extensions=limit_extensions(introspection=False))
    cache = _get_validate_cache(512)
    document = "{ node { child { value } } }"
    asyncio.run(schema.execute(document))
    hits = cache.cache_info().hits
    for _ in range(3):
        assert asyncio.run(schema.execute(document)).errors is None
    assert cache.cache_info().hits == hits + 3
    deep = "{ node { " + "child { " * MAX_DEPTH + "value" + " }" * MAX_DEPTH + " } }"
    for _ in range(2):  # the cached answer keeps the error
        errors = asyncio.run(schema.execute(deep)).errors
        assert errors and "exceeds maximum operation depth" in errors[0].message
    aliases = "{ " + " ".join(f"a{i}: node {{ value }}" for i in range(31)) + " }"
    assert "aliases" in asyncio.run(schema.execute(aliases)).errors[0].message
