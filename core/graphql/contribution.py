"""What a plugin hands the gateway."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


def root_field_name(plugin: str) -> str:
    """``military_service`` → ``militaryService``: the plugin's root field and mutation prefix."""
    head, *rest = plugin.split("_")
    return head + "".join(part.capitalize() for part in rest)


@dataclass(frozen=True)
class GraphQLContribution:
    """``query``: a strawberry type, served at ``Query.<root field name>``, resolved by ``resolve``
    (default: an instance of ``query`` built with no arguments). ``mutations``: strawberry fields
    (``strawberry.mutation``) named ``<root field name><Verb>``. ``types``: extra types to register
    (interfaces' implementations, for instance)."""

    query: type | None = None
    resolve: Callable[..., Any] | None = None
    mutations: Sequence[Any] = field(default_factory=tuple)
    types: Sequence[type] = field(default_factory=tuple)
