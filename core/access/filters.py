"""Row filters: list queries filtered in SQL by what a role is limited to.

A plugin declares, per resource, how each *limited* role narrows the rows (``wardhub_row_filters``)::

    RowFilter("residents.household", {
        "neighborhood_head": lambda attrs: Household.neighborhood_id == attrs["neighborhood"],
        "resident": lambda attrs: Household.id == attrs["household"],
    })

The attrs are those of the caller's role assignment (``wardhub roles grant … --attr neighborhood=…``).
A caller sees the union of what each of their roles reaching the tenant sees: one role that is not
limited for the resource (a ward officer) lifts the filter; a limited role whose attribute is missing
contributes nothing. A caller with no role sees no row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import false, or_
from sqlalchemy.sql import ColumnElement, Select

from core.access.enforcer import AccessGrant
from core.access.permissions import NAME, DeclarationError
from core.access.roles import BUILT_IN_ROLES

Rule = Callable[[Mapping[str, Any]], ColumnElement[bool]]
S = TypeVar("S", bound=Select)


@dataclass(frozen=True, slots=True)
class RowFilter:
    """How limited roles narrow the rows of one resource (``<plugin>.<resource>``)."""

    resource: str
    rules: Mapping[str, Rule]


class RowFilters:
    """The declared filters of every loaded plugin, by resource. Lives in ``app.state.row_filters``."""

    def __init__(self, declared: Mapping[str, Iterable[RowFilter] | None] | None = None) -> None:
        self.by_resource: dict[str, RowFilter] = {}
        for plugin, filters in (declared or {}).items():
            for item in filters or ():
                self._add(plugin, item)

    def _add(self, plugin: str, item: object) -> None:
        who = f"plugin {plugin!r}"
        if not isinstance(item, RowFilter):
            raise DeclarationError(f"{who}: wardhub_row_filters must return RowFilter objects, got {item!r}")
        if not NAME.match(item.resource + ":x") or not item.resource.startswith(plugin + "."):
            raise DeclarationError(f"{who}: row filter resource {item.resource!r} must be named {plugin}.<resource>")
        if item.resource in self.by_resource:
            raise DeclarationError(f"{who}: row filter for {item.resource!r} is declared twice")
        unknown = sorted(set(item.rules) - set(BUILT_IN_ROLES))
        if unknown:
            raise DeclarationError(f"{who}: row filter {item.resource!r} names unknown roles {', '.join(unknown)}")
        self.by_resource[item.resource] = item

    def clause(self, resource: str, grant: AccessGrant) -> ColumnElement[bool] | None:
        """The WHERE clause for ``grant`` (None: not limited)."""
        declared = self.by_resource.get(resource)
        if declared is None:
            raise LookupError(f"no row filter is declared for {resource!r}")
        if not grant.roles:
            return false()
        if any(role not in declared.rules for role in grant.roles):
            return None
        clauses = []
        for role, attrs in grant.assignments:
            try:
                clauses.append(declared.rules[role](attrs))
            except (KeyError, TypeError, ValueError):
                continue  # the assignment lacks the attribute the rule needs: nothing through this role
        return or_(*clauses) if clauses else false()

    def apply(self, statement: S, resource: str, grant: AccessGrant) -> S:
        clause = self.clause(resource, grant)
        return statement if clause is None else statement.where(clause)
