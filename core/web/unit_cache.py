"""What a request needs to know about its unit (the unit, its enabled plugins, its chain of ancestors),
kept per process so that a request does not read the unit tree and the subscriptions again.

Entries belong to one access-policy version. Every change that alters them (a plugin enabled or
disabled, a unit renamed, moved or merged) bumps that version in its transaction (``bump_version``),
and :meth:`AccessControl.ensure_fresh`, which runs before the lookup, brings the version this process
knows up to date: at once for a change committed here, within the poll interval (or at once with Redis)
for a change made by another process. A new version empties the cache.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from core.plugins.context import TenantRef


@dataclass(frozen=True, slots=True)
class UnitContext:
    tenant: TenantRef
    status: str
    plugins: frozenset[str]
    chain: tuple[str, ...]  # the unit's id and its ancestors' ids, nearest first (Casbin domains)


class UnitCache:
    def __init__(self, access: Any, size: int = 20_000) -> None:
        self.access, self.size = access, size
        self._version: int | None = None
        self._by_key: dict[str, UnitContext] = {}
        self._by_id: dict[uuid.UUID, UnitContext] = {}
        self.hits = self.misses = 0

    def _current(self) -> bool:
        version = self.access.version
        if version is None or version != self._version:
            self._by_key.clear()
            self._by_id.clear()
            self._version = version
        return version is not None

    def get(self, *, key: str | None = None, tenant_id: uuid.UUID | None = None) -> UnitContext | None:
        """The cached context by normalized key (``scheme:code``) or id; None when it must be read."""
        if not self._current():
            return None
        found = self._by_key.get(key) if key is not None else self._by_id.get(tenant_id)
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def put(self, context: UnitContext, version: int | None) -> None:
        """Keep ``context``, read while ``version`` was current (dropped if the version moved on since)."""
        if version is None or not self._current() or version != self._version:
            return
        if len(self._by_id) >= self.size:
            self._by_key.clear()
            self._by_id.clear()
        self._by_key[context.tenant.key] = context
        self._by_id[context.tenant.id] = context
