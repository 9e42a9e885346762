"""Schema composition: one strawberry schema per distinct enabled set, built lazily and cached."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import create_type
from strawberry.types import ExecutionContext

from core.graphql.contribution import GraphQLContribution, root_field_name
from core.graphql.core_fields import CoreQuery
from core.graphql.limits import limit_extensions
from core.plugins.manager import PluginError, PluginManager


class GatewaySchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Errors are logged once, by the gateway's formatter (unexpected ones with their traceback)."""


def _plugin_root(plugin: str, contribution: GraphQLContribution) -> Any:
    query_type = contribution.query

    def resolve(info: strawberry.Info) -> Any:
        return contribution.resolve(info) if contribution.resolve else query_type()

    # create_type keys fields by their Python name: each plugin's root needs its own
    resolve.__name__ = resolve.__qualname__ = plugin

    return strawberry.field(resolver=resolve, name=root_field_name(plugin), graphql_type=query_type,
                            description=f"The {plugin} plugin.")


class SchemaRegistry:
    """Collects contributions once; ``schema(enabled)`` builds or reuses the schema for that set."""

    def __init__(self, manager: PluginManager, core_mutations: Iterable[Any] = ()) -> None:
        self.contributions: dict[str, GraphQLContribution] = {
            name: c for name, c in manager.collect("wardhub_graphql").items() if c is not None
        }
        from core.graphql.admin import MUTATIONS

        self.core_mutations = [*MUTATIONS, *core_mutations]
        self.root_fields: dict[str, str] = {}  # GraphQL root field or mutation name -> plugin
        for plugin, contribution in self.contributions.items():
            prefix = root_field_name(plugin)
            if contribution.query is not None:
                self.root_fields[prefix] = plugin
            for mutation in contribution.mutations:
                name = mutation.graphql_name or _camel(mutation.python_name)
                if not name.startswith(prefix):
                    raise PluginError(f"plugin {plugin!r}: mutation {name!r} must start with {prefix!r}")
                self.root_fields[name] = plugin
        self._build = lru_cache(maxsize=256)(self._make)

    def schema(self, enabled: frozenset[str], *, introspection: bool) -> GatewaySchema:
        return self._build(frozenset(enabled) & frozenset(self.contributions), introspection)

    def _make(self, enabled: frozenset[str], introspection: bool) -> GatewaySchema:
        order = [p for p in self.contributions if p in enabled]
        query_fields = [_plugin_root(p, self.contributions[p]) for p in order if self.contributions[p].query]
        query = create_type("Query", [*_fields_of(CoreQuery), *query_fields])
        mutations = [*self.core_mutations, *(m for p in order for m in self.contributions[p].mutations)]
        mutation = create_type("Mutation", mutations) if mutations else None
        types = [t for p in order for t in self.contributions[p].types]
        return GatewaySchema(
            query=query, mutation=mutation, types=types,
            extensions=limit_extensions(introspection=introspection),
            config=StrawberryConfig(auto_camel_case=True),
        )


def _fields_of(cls: type) -> list[Any]:
    return list(cls.__strawberry_definition__.fields)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)
