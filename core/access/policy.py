"""Changing who may do what: role assignments and per-tenant overrides. No HTTP here.

Each change bumps the policy version in the caller's transaction and, for a tenant, writes an audit
entry there too: open the session scoped to that tenant (``db.session(TenantScope.of(tenant_id))``).
After the commit call ``AccessControl.changed()`` (the app) or :func:`publish_change` (a CLI process)
so that every process reloads at once; without that they still do within their poll interval.
"""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.access.models import AccessPolicy, RoleAssignment
from core.access.permissions import PermissionCatalog, split
from core.access.roles import BUILT_IN_ROLES, PLATFORM_WIDE_ROLES
from core.access.store import bump_version
from core.audit.recorder import record_for_unit as record
from core.auth.models import User
from core.errors import bad_input, not_found
from core.settings import Settings

log = structlog.get_logger("wardhub.access")
ATTR_KEYS = 16


def check_role(role: str) -> str:
    if role not in BUILT_IN_ROLES:
        raise bad_input("role", f"Không có vai trò {role!r}", f"No role {role!r}")
    return role


def check_attrs(attrs: dict[str, Any] | None) -> dict[str, str]:
    attrs = dict(attrs or {})
    if len(attrs) > ATTR_KEYS or not all(
        isinstance(k, str) and isinstance(v, str) and 0 < len(k) <= 40 and len(v) <= 200 for k, v in attrs.items()
    ):
        raise bad_input("attrs", "Thuộc tính vai trò không hợp lệ", "Invalid role attributes")
    return attrs


async def grant_role(
    session: AsyncSession,
    user: User,
    role: str,
    tenant_id: uuid.UUID | None,
    *,
    attrs: dict[str, Any] | None = None,
    granted_by: uuid.UUID | None = None,
) -> RoleAssignment:
    """Give ``user`` the ``role`` in a tenant (``None``: platform-wide, ``platform_admin`` only).

    Granting a role the user already holds there updates its attributes.
    """
    check_role(role)
    attrs = check_attrs(attrs)
    if tenant_id is None and role not in PLATFORM_WIDE_ROLES:
        raise bad_input("tenant", "Vai trò này phải gắn với một đơn vị", "This role must be held in a unit")
    existing = (
        await session.execute(
            select(RoleAssignment).where(
                RoleAssignment.user_id == user.id, RoleAssignment.role == role,
                RoleAssignment.tenant_id.is_(None) if tenant_id is None else RoleAssignment.tenant_id == tenant_id,
            )
        )
    ).scalar_one_or_none()
    if existing is None:
        existing = RoleAssignment(user_id=user.id, tenant_id=tenant_id, role=role, attrs=attrs, granted_by=granted_by)
        session.add(existing)
    else:
        existing.attrs = attrs
    await session.flush()
    await bump_version(session)
    after = {"user": user.username, "role": role, "attrs": attrs}
    if tenant_id is not None:
        await record(session, tenant_id=tenant_id, action="grant", entity="role_assignments",
                     entity_id=str(existing.id), after=after)
    else:
        log.info("platform_role_granted", **after)
    return existing


async def revoke_role(session: AsyncSession, user: User, role: str, tenant_id: uuid.UUID | None) -> bool:
    """Take ``role`` in a tenant away from ``user``; False when they did not hold it."""
    check_role(role)
    row = (
        await session.execute(
            select(RoleAssignment).where(
                RoleAssignment.user_id == user.id, RoleAssignment.role == role,
                RoleAssignment.tenant_id.is_(None) if tenant_id is None else RoleAssignment.tenant_id == tenant_id,
            )
        )
    ).scalar_one_or_none()
    if row is None:
        return False
    await session.delete(row)
    await session.flush()
    await bump_version(session)
    before = {"user": user.username, "role": role, "attrs": row.attrs}
    if tenant_id is not None:
        await record(session, tenant_id=tenant_id, action="revoke", entity="role_assignments",
                     entity_id=str(row.id), before=before)
    else:
        log.info("platform_role_revoked", **before)
    return True


async def roles_of(session: AsyncSession, user_id: uuid.UUID) -> list[RoleAssignment]:
    query = select(RoleAssignment).where(RoleAssignment.user_id == user_id).order_by(RoleAssignment.created_at)
    return list((await session.execute(query)).scalars())


async def set_override(
    session: AsyncSession,
    catalog: PermissionCatalog,
    role: str,
    permission: str,
    tenant_id: uuid.UUID | None,
    effect: str | None,
) -> AccessPolicy | None:
    """Allow or deny ``permission`` to ``role`` in one tenant (``None``: every tenant), apart from the
    plugin's defaults; ``effect=None`` removes the override so the default applies again."""
    check_role(role)
    if permission not in catalog:
        raise not_found(f"Không có quyền {permission!r}", f"No permission {permission!r}")
    if effect not in ("allow", "deny", None):
        raise bad_input("effect", "Chỉ 'allow' hoặc 'deny'", "Use 'allow' or 'deny'")
    obj, act = split(permission)
    row = (
        await session.execute(
            select(AccessPolicy).where(
                AccessPolicy.source == "override", AccessPolicy.role == role, AccessPolicy.obj == obj,
                AccessPolicy.act == act,
                AccessPolicy.tenant_id.is_(None) if tenant_id is None else AccessPolicy.tenant_id == tenant_id,
            )
        )
    ).scalar_one_or_none()
    before = {"role": role, "permission": permission, "effect": row.effect} if row else None
    if effect is None:
        if row is None:
            return None
        await session.delete(row)
        result = None
    elif row is None:
        row = AccessPolicy(source="override", plugin=catalog[permission].plugin, role=role, tenant_id=tenant_id,
                           obj=obj, act=act, effect=effect)
        session.add(row)
        result = row
    else:
        row.effect = effect
        result = row
    await session.flush()
    await bump_version(session)
    if tenant_id is not None:
        after = {"role": role, "permission": permission, "effect": effect} if effect else None
        await record(session, tenant_id=tenant_id, action="override", entity="access_policies",
                     entity_id=f"{role}:{permission}", before=before, after=after)
    return result


async def overrides(session: AsyncSession, tenant_id: uuid.UUID | None) -> list[AccessPolicy]:
    query = select(AccessPolicy).where(
        AccessPolicy.source == "override",
        AccessPolicy.tenant_id.is_(None) if tenant_id is None else AccessPolicy.tenant_id == tenant_id,
    ).order_by(AccessPolicy.role, AccessPolicy.obj, AccessPolicy.act)
    return list((await session.execute(query)).scalars())


async def publish_change(settings: Settings) -> None:
    """Tell every app process (through Redis, when configured) that the policy changed."""
    from core.access.enforcer import CHANNEL
    from core.auth.redis import connect, namespace

    client = connect(settings)
    if client is None:
        return
    try:
        await client.publish(f"{namespace(settings)}{CHANNEL}", b"1")
    except Exception as exc:  # the version poll still carries the change
        log.warning("access_publish_failed", error=f"{type(exc).__name__}: {exc}")
    finally:
        await client.aclose()
