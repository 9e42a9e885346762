"""Policy persistence: reading the Casbin lines from the database, re-syncing plugin defaults and the
policy version other processes watch.

Every change of policy (a role granted or revoked, an override, a token created or revoked, defaults
re-synced, and the unit tree or a unit's plugin subscriptions, which decide what a role may do there)
calls :func:`bump_version` in its own transaction, so the new version becomes visible exactly when the
change does. When such a transaction commits, the processes's own enforcers are told at once
(:func:`on_local_change`); other processes poll the version or hear it through Redis.
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, event, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from core.access.models import ALL_TENANTS, AccessPolicy, AccessState, RoleAssignment
from core.access.permissions import PermissionCatalog, split
from core.auth.models import ApiToken, User
from core.db.base import utcnow
from core.db.scoping import WardSession

BUMPED_KEY = "wardhub_access_bumped"
_local_listeners: weakref.WeakSet = weakref.WeakSet()


def on_local_change(listener: Any) -> None:
    """Call ``listener.mark_stale(publish=True)`` whenever a transaction of this process that bumped the
    version commits (held weakly: an app that goes away stops listening)."""
    _local_listeners.add(listener)


@event.listens_for(WardSession, "after_commit")
def _bumped_committed(session: Session) -> None:
    if session.info.pop(BUMPED_KEY, False):
        for listener in list(_local_listeners):
            listener.mark_stale(publish=True)


@event.listens_for(WardSession, "after_rollback")
def _bumped_rolled_back(session: Session) -> None:
    session.info.pop(BUMPED_KEY, None)


def user_subject(user_id: object) -> str:
    return f"user:{user_id}"


def token_subject(token_id: object) -> str:
    return f"token:{token_id}"


@dataclass(frozen=True, slots=True)
class PolicySnapshot:
    """Everything the enforcer needs, read in one transaction."""

    version: int
    p: list[tuple[str, str, str, str, str]]  # role, domain, obj, act, allow|deny
    g: list[tuple[str, str, str]]  # subject, role, domain
    # subject → [(role, domain, attrs)] of its assignments
    attrs: dict[str, list[tuple[str, str, dict[str, Any]]]] = field(default_factory=dict)


async def current_version(session: AsyncSession) -> int:
    return int((await session.execute(select(AccessState.version).where(AccessState.id == 1))).scalar_one())


async def bump_version(session: AsyncSession) -> None:
    """Record that the policy changed (in the caller's transaction)."""
    session.info[BUMPED_KEY] = True
    await session.execute(
        update(AccessState).where(AccessState.id == 1).values(version=AccessState.version + 1, changed_at=utcnow())
    )


async def load_snapshot(session: AsyncSession) -> PolicySnapshot:
    version = await current_version(session)
    policies = await session.execute(
        select(AccessPolicy.role, AccessPolicy.tenant_id, AccessPolicy.obj, AccessPolicy.act, AccessPolicy.effect)
    )
    p = [(role, str(tenant) if tenant else ALL_TENANTS, obj, act, effect)
         for role, tenant, obj, act, effect in policies]
    g: list[tuple[str, str, str]] = []
    attrs: dict[str, list[tuple[str, str, dict[str, Any]]]] = defaultdict(list)
    assignments = await session.execute(
        select(RoleAssignment.user_id, RoleAssignment.role, RoleAssignment.tenant_id, RoleAssignment.attrs)
        .join(User, User.id == RoleAssignment.user_id).where(User.is_active.is_(True))
    )
    for user_id, role, tenant_id, role_attrs in assignments:
        subject, domain = user_subject(user_id), str(tenant_id) if tenant_id else ALL_TENANTS
        g.append((subject, role, domain))
        attrs[subject].append((role, domain, dict(role_attrs or {})))
    now = utcnow()
    tokens = await session.execute(
        select(ApiToken.id, ApiToken.tenant_id, ApiToken.roles).where(
            ApiToken.revoked_at.is_(None), ApiToken.expires_at > now
        )
    )
    for token_id, tenant_id, roles in tokens:
        subject = token_subject(token_id)
        for role in roles or ():
            g.append((subject, role, str(tenant_id)))
            attrs[subject].append((role, str(tenant_id), {}))
    return PolicySnapshot(version, p, g, dict(attrs))


async def sync_defaults(session: AsyncSession, catalog: PermissionCatalog) -> bool:
    """Make the ``default`` policy rows of the catalog's plugins equal their declared grants.

    Overrides are never touched; rows of plugins that are not loaded are left alone (they are inert).
    Returns whether anything changed (and then bumps the version).
    """
    plugins = list(catalog.by_plugin)
    desired = {
        (perm.plugin, role, *split(perm.name)) for perm in catalog for role in perm.grants
    }
    rows = (
        await session.execute(
            select(AccessPolicy).where(AccessPolicy.source == "default", AccessPolicy.plugin.in_(plugins))
        )
    ).scalars().all()
    seen: set[tuple[str, str, str, str]] = set()
    stale = []
    for row in rows:
        key = (row.plugin, row.role, row.obj, row.act)
        if key not in desired or key in seen or row.effect != "allow" or row.tenant_id is not None:
            stale.append(row.id)
        else:
            seen.add(key)
    missing = desired - seen
    if stale:
        await session.execute(delete(AccessPolicy).where(AccessPolicy.id.in_(stale)))
    for plugin, role, obj, act in sorted(missing):
        session.add(AccessPolicy(source="default", plugin=plugin, role=role, tenant_id=None, obj=obj, act=act,
                                 effect="allow"))
    if stale or missing:
        await session.flush()
        await bump_version(session)
        return True
    return False


__all__ = ["ALL_TENANTS", "PolicySnapshot", "bump_version", "current_version", "load_snapshot", "sync_defaults",
           "token_subject", "user_subject"]
