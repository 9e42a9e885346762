"""Casbin RBAC with domains, the tenant hierarchy, and the enforcement cache.

The model (:data:`MODEL`) is RBAC with domains; a domain is a tenant id, ``*`` means every tenant.

* ``p, <role>, *, <plugin>.<resource>, <action>, allow`` — role templates: the plugins' default grants,
  one line per (role, permission), shared by every tenant (hundreds of lines, not a copy per ward).
* ``p, <role>, <tenant id>, <obj>, <act>, allow|deny`` — a tenant's overrides; deny wins.
* ``g, user:<id>, <role>, <tenant id | *>`` — role assignments (and ``token:<id>`` for API tokens).

The hierarchy is Casbin's domain matching function on the role manager: a role assigned in domain ``D``
applies in domain ``T`` when ``D`` is ``T`` itself, one of ``T``'s ancestors (``tenants.parent_id``
chain) or ``*``. A sibling is never an ancestor, so a district's role never reaches the next district.

Enforcement is cached, in two layers:

* :meth:`AccessControl.grant` answers, for (subject, tenant chain, enabled plugins), the roles reaching
  the tenant and the frozenset of permissions held there; a check is then a dict lookup and a set
  membership test (well under a microsecond). Kept until the subject's assignments or the ``p`` lines
  change.
* Computing a grant asks Casbin for the subject's implicit roles in the domain (the hierarchy applies
  here). The permissions follow from those roles: implicit permissions give the candidates and
  ``enforce()`` decides each, so overrides and deny apply exactly as Casbin says. As policies name
  roles, never users, that decision depends only on (roles, the domain's overrides if it has any,
  enabled plugins) and is memoized on that key: the first check of a user in a unit costs a role lookup,
  not a hundred ``enforce()`` calls.

Permissions of plugins the tenant has not enabled are never candidates, so they are denied.

A change made by any process bumps ``access_state.version`` in its transaction. With Redis the changing
process also publishes on a channel every process listens to; without Redis each process compares the
version at most every ``poll_interval`` seconds (one indexed read). A process that sees a new version
rebuilds its enforcer from the database and drops its cache.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
import casbin
import structlog
from casbin.model import FastModel
from casbin.persist import Adapter

from core.access.models import ALL_TENANTS
from core.access.permissions import PermissionCatalog
from core.access.store import PolicySnapshot, current_version, load_snapshot, on_local_change, sync_defaults
from core.db.engine import Database
from core.db.scoping import SYSTEM

log = structlog.get_logger("wardhub.access")

MODEL = """
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, dom, obj, act, eft

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = g(r.sub, p.sub, r.dom) && (p.dom == "*" || p.dom == r.dom) && r.obj == p.obj && r.act == p.act
"""
# Request and policy share positions 2 and 3 (obj, act): FastEnforcer evaluates only the lines of the
# requested permission instead of scanning every line.
CACHE_KEY_ORDER = (2, 3)
MAX_CACHED_GRANTS = 200_000
CHANNEL = "access:changed"


@dataclass(frozen=True, slots=True)
class AccessGrant:
    """What one subject may do in one tenant: the roles reaching it and the permissions held there."""

    tenant: str
    roles: frozenset[str] = frozenset()
    permissions: frozenset[str] = frozenset()
    # (role, attrs) of each assignment reaching the tenant; row filters read the attrs.
    assignments: tuple[tuple[str, Mapping[str, Any]], ...] = ()

    @property
    def reaches(self) -> bool:
        return bool(self.roles)

    def allows(self, permission: str) -> bool:
        return permission in self.permissions


NO_GRANT = AccessGrant(ALL_TENANTS)


class _SnapshotAdapter(Adapter):
    """Hands a :class:`PolicySnapshot` (read asynchronously) to Casbin's synchronous ``load_policy``."""

    def __init__(self, snapshot: PolicySnapshot) -> None:
        self.snapshot = snapshot

    def load_policy(self, model: Any) -> None:
        p, g = model.model["p"]["p"].policy, model.model["g"]["g"].policy
        for line in dict.fromkeys(self.snapshot.p):
            p.append(list(line))
        for line in dict.fromkeys(self.snapshot.g):
            g.append(list(line))


class _Loaded:
    """One immutable policy generation: the enforcer built from a snapshot."""

    def __init__(self, snapshot: PolicySnapshot, within: Any) -> None:
        model = FastModel(list(CACHE_KEY_ORDER))
        model.load_model_from_text(MODEL)
        self.enforcer = casbin.FastEnforcer(model, _SnapshotAdapter(snapshot), cache_key_order=list(CACHE_KEY_ORDER))
        self.enforcer.get_role_manager().add_domain_matching_func(within)
        self.version = snapshot.version
        self.attrs = snapshot.attrs
        self.p, self.g = frozenset(snapshot.p), frozenset(snapshot.g)
        self.lines = (len(self.p), len(self.g))
        # Domains with lines of their own (overrides); every other domain sees only the templates.
        self.override_domains = frozenset(line[1] for line in self.p if line[1] != ALL_TENANTS)


class AccessControl:
    """The process's enforcer and its caches. Lives in ``app.state.access``."""

    def __init__(
        self,
        db: Database,
        catalog: PermissionCatalog,
        *,
        redis: Any = None,
        prefix: str = "wardhub:",
        poll_interval: float | None = None,
    ) -> None:
        self.db, self.catalog, self.redis = db, catalog, redis
        self.channel = f"{prefix}{CHANNEL}"
        # Without Redis the version is the only news: look often. With Redis, now and then as a safety net.
        self.poll_interval = poll_interval if poll_interval is not None else (30.0 if redis is not None else 1.0)
        self._loaded: _Loaded | None = None
        self._grants: dict[tuple[str, tuple[str, ...], frozenset[str]], AccessGrant] = {}
        self._chains: dict[str, frozenset[str]] = {ALL_TENANTS: frozenset({ALL_TENANTS})}
        self._permission_names: dict[frozenset[str], frozenset[str]] = {}
        # Grants share their sets: users holding the same roles hold the same permissions.
        self._interned: dict[frozenset[str], frozenset[str]] = {}
        # Casbin's decisions for one set of roles in a domain (see _compute), kept while the p lines are.
        self._by_roles: dict[tuple[frozenset[str], str, frozenset[str]], frozenset[str]] = {}
        self._stale = True
        self._checked_at = -1e18
        self._lock = asyncio.Lock()
        self._listener: asyncio.Task | None = None
        self._synced = False
        self._publish = False  # a change committed here that other processes must hear of (Redis)
        self.reloads = 0
        on_local_change(self)

    # -- life cycle --------------------------------------------------------------------------------
    async def start(self, *, sync: bool = True) -> None:
        """Re-sync plugin defaults, load the policy and (with Redis) listen for changes.

        A database that is not migrated yet is logged, not fatal: checks deny until it is.
        """
        try:
            if sync:
                await self.sync_defaults()
            await self.ensure_fresh(force=True)
        except Exception as exc:  # /ready reports pending migrations; the app must still start
            log.warning("access_policy_not_loaded", error=f"{type(exc).__name__}: {exc}")
        if self.redis is not None and self._listener is None:
            self._listener = asyncio.create_task(self._listen(), name="wardhub-access-listener")

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
            self._listener = None

    async def sync_defaults(self) -> bool:
        """Store the plugins' declared default grants (idempotent); True when something changed."""
        async with self.db.session(SYSTEM) as session:
            changed = await sync_defaults(session, self.catalog)
        self._synced = True
        if changed:
            await self.changed()
        return changed

    # -- freshness ---------------------------------------------------------------------------------
    @property
    def version(self) -> int | None:
        return self._loaded.version if self._loaded else None

    def mark_stale(self, *, publish: bool = False) -> None:
        """Reload before the next check; ``publish``: the change was committed in this process, so tell
        the others too (done by the next :meth:`ensure_fresh`, which may await)."""
        self._stale = True
        self._publish = self._publish or publish

    async def ensure_fresh(self, *, force: bool = False) -> None:
        """Reload when another process (or this one) changed the policy. Cheap when nothing changed."""
        if self._publish:
            self._publish = False
            await self.changed()
        if not force and not self._stale and time.monotonic() - self._checked_at < self.poll_interval:
            return
        if not force and self._lock.locked() and self._loaded is not None:
            return  # another request is already looking: serve this one with the current generation
        async with self._lock:
            if not force and not self._stale and time.monotonic() - self._checked_at < self.poll_interval:
                return
            if not self._synced:  # started without the lifespan (or before migrations): sync now
                await self.sync_defaults()
            self._stale = False  # a notice arriving while we read sets it again
            self._checked_at = time.monotonic()
            async with self.db.session(SYSTEM) as session:
                if self._loaded is not None and await current_version(session) == self._loaded.version:
                    return
                snapshot = await load_snapshot(session)
            # Building the role links of ~20k assignments takes a while: off the event loop.
            loaded = await anyio.to_thread.run_sync(_Loaded, snapshot, self._within)
            self._install(snapshot, loaded)

    def _install(self, snapshot: PolicySnapshot, loaded: _Loaded | None = None) -> None:
        """Swap in a new policy generation. Cached grants of subjects whose assignments did not change
        are kept when the ``p`` lines (templates and overrides) are the same: granting one user a role
        does not make every other user's next request recompute."""
        started = time.perf_counter()
        loaded = loaded or _Loaded(snapshot, self._within)
        previous, grants = self._loaded, self._grants
        self._loaded, self._grants = loaded, {}
        kept = 0
        if previous is not None and previous.p == loaded.p:
            changed = {line[0] for line in previous.g ^ loaded.g}
            changed |= {s for s in previous.attrs.keys() | loaded.attrs.keys()
                        if previous.attrs.get(s) != loaded.attrs.get(s)}
            self._grants = {key: grant for key, grant in grants.items() if key[0] not in changed}
            kept = len(self._grants)
        else:
            self._by_roles = {}
        self.reloads += 1
        log.info("access_policy_loaded", version=loaded.version, p=loaded.lines[0], g=loaded.lines[1],
                 kept_grants=kept, ms=round((time.perf_counter() - started) * 1000, 1))

    async def changed(self) -> None:
        """Call after committing a policy change: this process reloads, the others are told (Redis)."""
        self._stale = True
        if self.redis is not None:
            try:
                await self.redis.publish(self.channel, b"1")
            except Exception as exc:  # the version poll still carries the change
                log.warning("access_publish_failed", error=f"{type(exc).__name__}: {exc}")

    async def _listen(self) -> None:
        while True:
            pubsub = self.redis.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                self._stale = True  # whatever happened while not subscribed
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        self._stale = True
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("access_listener_error", error=f"{type(exc).__name__}: {exc}")
                self._stale = True
                await asyncio.sleep(1.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    # -- hierarchy ---------------------------------------------------------------------------------
    def _within(self, request_domain: str, assigned_domain: str) -> bool:
        """Casbin's domain matching function: does a role assigned in ``assigned_domain`` apply in
        ``request_domain``? Yes for the domain itself, its ancestors and ``*``."""
        return assigned_domain == ALL_TENANTS or assigned_domain in self._chains.get(request_domain, ())

    def _register_chain(self, chain: tuple[str, ...]) -> None:
        domain, known = chain[0], self._chains.get(chain[0])
        ancestors = frozenset(chain)
        if known == ancestors:
            return
        self._chains[domain] = ancestors
        if known is not None and self._loaded is not None:
            # The unit moved under another: Casbin built this domain's role links with the old chain.
            self._loaded.enforcer.build_role_links()
            self._grants = {}

    # -- decisions ---------------------------------------------------------------------------------
    def _names(self, plugins: frozenset[str]) -> frozenset[str]:
        names = self._permission_names.get(plugins)
        if names is None:
            names = frozenset(p.name for p in self.catalog.of_plugins(plugins))
            self._permission_names[plugins] = names
        return names

    def grant(self, subject: str, chain: tuple[str, ...], plugins: frozenset[str]) -> AccessGrant:
        """The subject's roles and permissions in ``chain[0]``.

        ``chain`` is the tenant id followed by its ancestors' ids, nearest first (``("*",)`` asks about
        platform-wide roles only); ``plugins`` are the plugins the tenant has enabled.
        """
        key = (subject, chain, plugins)
        found = self._grants.get(key)
        if found is not None:
            return found
        found = self._compute(subject, chain, plugins)
        if len(self._grants) >= MAX_CACHED_GRANTS:
            self._grants = {}
        self._grants[key] = found
        return found

    def allowed(self, subject: str, chain: tuple[str, ...], plugins: frozenset[str], permission: str) -> bool:
        return permission in self.grant(subject, chain, plugins).permissions

    def _compute(self, subject: str, chain: tuple[str, ...], plugins: frozenset[str]) -> AccessGrant:
        loaded = self._loaded
        domain = chain[0]
        if loaded is None:
            return AccessGrant(domain)
        self._register_chain(chain)
        enforcer = loaded.enforcer
        roles = frozenset(enforcer.get_implicit_roles_for_user(subject, domain))
        if not roles:
            return AccessGrant(domain)
        # Casbin's answer for this subject depends only on the roles reaching the domain (``g``) and the
        # lines of those roles valid there (``p``: templates, plus overrides when the domain has any), as
        # policies name roles, never users. So it is computed once per such combination, with Casbin.
        key = (roles, domain if domain in loaded.override_domains else ALL_TENANTS, plugins)
        permissions = self._by_roles.get(key)
        if permissions is None:
            names = self._names(plugins)
            candidates = {
                (obj, act)
                for _role, dom, obj, act, eft in enforcer.get_implicit_permissions_for_user(
                    subject, domain, filter_policy_dom=False
                )
                if eft == "allow" and dom in (ALL_TENANTS, domain) and f"{obj}:{act}" in names
            }
            permissions = frozenset(
                self.catalog[f"{obj}:{act}"].name  # one shared string per permission
                for obj, act in candidates
                if enforcer.enforce(subject, domain, obj, act)
            )
            self._by_roles[key] = permissions
        reach = self._chains[domain] | {ALL_TENANTS}
        assignments = tuple(
            (role, attrs) for role, dom, attrs in loaded.attrs.get(subject, ()) if dom in reach and role in roles
        )
        return AccessGrant(domain, self._interned.setdefault(roles, roles), permissions, assignments)

    def enforce(self, subject: str, chain: tuple[str, ...], permission: str) -> bool:
        """One uncached Casbin decision (tests and diagnostics; plugins use :meth:`grant`)."""
        if self._loaded is None:
            return False
        self._register_chain(chain)
        obj, act = permission.rsplit(":", 1)
        return bool(self._loaded.enforcer.enforce(subject, chain[0], obj, act))

    def stats(self) -> dict[str, Any]:
        return {
            "version": self.version, "reloads": self.reloads, "cached_grants": len(self._grants),
            "p_lines": self._loaded.lines[0] if self._loaded else 0,
            "g_lines": self._loaded.lines[1] if self._loaded else 0,
        }


def chain_of(ids: Iterable[object]) -> tuple[str, ...]:
    """A chain key from tenant ids, nearest first."""
    return tuple(str(i) for i in ids)


__all__ = ["NO_GRANT", "AccessControl", "AccessGrant", "chain_of"]
