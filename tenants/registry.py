"""Tenant registry services: import official units, add, rename, move, merge. No HTTP here."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.access.models import AccessPolicy, RoleAssignment
from core.access.store import bump_version
from core.auth.models import ApiToken
from core.db.base import Base, tenant_owned_tables
from core.db.engine import Database
from core.db.ids import new_id
from core.db.scoping import SYSTEM, TenantScope
from core.errors import UserError, bad_input, conflict, not_found
from core.plugins.manager import PluginManager
from tenants.models import LEVELS, SCHEMES, PluginSubscription, Tenant, TenantLineage
from tenants.official import official_units

PARENT_LEVELS = {"province": (), "district": ("province",), "ward": ("district", "province")}


@dataclass(frozen=True, slots=True)
class ImportReport:
    scheme: str
    total: int
    inserted: int
    updated: int
    unchanged: int
    seconds: float


def parse_key(key: str, default_scheme: str) -> tuple[str, str]:
    """``"26734"`` → (default scheme, code); ``"legacy:26734"`` → ("legacy", "26734")."""
    scheme, sep, code = key.strip().partition(":")
    if not sep:
        scheme, code = default_scheme, scheme
    if scheme not in SCHEMES or not code:
        raise bad_input("tenant", f"Mã đơn vị không hợp lệ: {key!r}", f"Not a unit code: {key!r}")
    return scheme, code


async def get(session: AsyncSession, key: str, default_scheme: str = "current") -> Tenant:
    scheme, code = parse_key(key, default_scheme)
    tenant = (
        await session.execute(select(Tenant).where(Tenant.scheme == scheme, Tenant.code == code))
    ).scalar_one_or_none()
    if tenant is None:
        raise not_found(f"Không có đơn vị {scheme}:{code}", f"No unit {scheme}:{code}")
    return tenant


async def ancestors(session: AsyncSession, tenant: Tenant) -> list[Tenant]:
    """Parent, grandparent, … (nearest first)."""
    chain, parent_id = [], tenant.parent_id
    while parent_id is not None and len(chain) < 5:
        parent = await session.get(Tenant, parent_id)
        if parent is None:
            break
        chain.append(parent)
        parent_id = parent.parent_id
    return chain


async def import_official(session: AsyncSession, scheme: str = "current") -> ImportReport:
    """Insert or update the official units of ``scheme``; a second run changes nothing."""
    started = time.perf_counter()
    units = official_units(scheme)
    existing = {
        t.code: t
        for t in (await session.execute(select(Tenant).where(Tenant.scheme == scheme))).scalars()
    }
    ids = {code: t.id for code, t in existing.items()}
    for unit in units:
        ids.setdefault(unit.code, new_id())
    new_rows, changed = [], []
    for unit in units:
        values = {
            "level": unit.level,
            "name": unit.name,
            "division_type": unit.division_type,
            "codename": unit.codename,
            "parent_id": ids[unit.parent] if unit.parent else None,
        }
        current = existing.get(unit.code)
        if current is None:
            new_rows.append({"id": ids[unit.code], "scheme": scheme, "code": unit.code, "status": "active", **values})
        elif any(getattr(current, k) != v for k, v in values.items()):
            changed.append({"id": current.id, **values})
    if new_rows:
        await session.execute(insert(Tenant), new_rows)
    if changed:
        await session.execute(update(Tenant), changed)
        await bump_version(session)  # names and parents that processes keep in their unit cache
    return ImportReport(
        scheme, len(units), len(new_rows), len(changed), len(units) - len(new_rows) - len(changed),
        round(time.perf_counter() - started, 3),
    )


async def add_unit(
    session: AsyncSession, *, scheme: str, code: str, level: str, name: str, parent: Tenant | None
) -> Tenant:
    if scheme not in SCHEMES:
        raise bad_input("scheme", f"Hệ mã không hợp lệ: {scheme}", f"Unknown scheme: {scheme}")
    if level not in LEVELS:
        raise bad_input("level", f"Cấp không hợp lệ: {level}", f"Unknown level: {level}")
    code, name = code.strip(), " ".join(name.split())
    if not code or len(code) > 32 or not code.replace("-", "").replace("_", "").isalnum():
        raise bad_input("code", "Mã đơn vị chỉ gồm chữ, số, '-' hoặc '_' (tối đa 32 ký tự)",
                        "A unit code has letters, digits, '-' or '_' only (32 at most)")
    if not name:
        raise bad_input("name", "Tên đơn vị là bắt buộc", "The unit's name is required")
    _check_parent(level, parent)
    clash = (
        await session.execute(select(Tenant.id).where(Tenant.scheme == scheme, Tenant.code == code))
    ).first()
    if clash:
        raise conflict(f"Mã {scheme}:{code} đã được dùng", f"Code {scheme}:{code} is already in use")
    tenant = Tenant(scheme=scheme, code=code, level=level, name=name, parent_id=parent.id if parent else None)
    session.add(tenant)
    await session.flush()
    return tenant


def _check_parent(level: str, parent: Tenant | None) -> None:
    allowed = PARENT_LEVELS[level]
    if parent is None and allowed:
        raise bad_input("parent", f"Đơn vị cấp {level} cần đơn vị cấp trên", f"A {level} needs a parent unit")
    if parent is not None and parent.level not in allowed:
        raise bad_input(
            "parent",
            f"Đơn vị cấp {level} không thể thuộc đơn vị cấp {parent.level}",
            f"A {level} cannot belong to a {parent.level}",
        )
    if parent is not None and parent.status != "active":
        raise bad_input("parent", "Đơn vị cấp trên đã bị sáp nhập", "The parent unit has been merged")


async def rename(session: AsyncSession, tenant: Tenant, name: str) -> Tenant:
    name = " ".join(name.split())
    if not name:
        raise bad_input("name", "Tên đơn vị là bắt buộc", "The unit's name is required")
    tenant.name = name
    await session.flush()
    await bump_version(session)
    return tenant


async def move(session: AsyncSession, tenant: Tenant, parent: Tenant) -> Tenant:
    """Put ``tenant`` under ``parent``, e.g. wards under a district a deployment added by hand."""
    _check_parent(tenant.level, parent)
    if parent.id == tenant.id or tenant.id in {a.id for a in await ancestors(session, parent)}:
        raise bad_input("parent", "Không thể đặt đơn vị dưới chính nó", "A unit cannot be put under itself")
    tenant.parent_id = parent.id
    await session.flush()
    await bump_version(session)  # the roles held above it reach it now, and its cached chain changed
    return tenant


def _tenant_owned_classes() -> list[type]:
    by_table = {m.local_table.name: m.class_ for m in Base.registry.mappers}
    classes = [by_table[t.name] for t in tenant_owned_tables()]
    return [c for c in classes if getattr(c, "__moves_on_merge__", True)]


async def merge(
    db: Database, source_key: str, target_key: str, note: str | None = None, manager: PluginManager | None = None
) -> dict[str, int]:
    """Merge ``source`` into ``target``: every tenant-owned row moves, children and subscriptions follow,
    and so do the people who worked there: the source's role assignments, per-unit permission overrides
    and API tokens now apply to the merged unit (an officer of the old ward is one of the new unit; an
    integrator's token goes on working for the same residents). Where the target already has the same
    role for a user, or an override of the same permission, the target's is kept.

    One transaction: on any clash (a unique value present in both units) nothing changes and the
    error names the table. Returns moved row counts by table; the lineage row keeps them.
    """
    scheme = db.settings.tenant_scheme
    async with db.session(SYSTEM) as session:
        source, target = await get(session, source_key, scheme), await get(session, target_key, scheme)
        if source.id == target.id:
            raise bad_input("target", "Không thể sáp nhập đơn vị vào chính nó", "A unit cannot merge into itself")
        if source.level != target.level:
            raise bad_input("target", "Chỉ sáp nhập các đơn vị cùng cấp", "Only units of the same level merge")
        if source.status != "active" or target.status != "active":
            raise conflict("Đơn vị đã bị sáp nhập trước đó", "One of the units has already been merged")
        source_id, target_id = source.id, target.id
        source_ref, target_ref = source.ref(), target.ref()
    moved: dict[str, int] = {}
    try:
        async with db.session(TenantScope.of(source_id, target_id)) as session:
            await _defer_foreign_keys(session)
            for cls in _tenant_owned_classes():
                result = await session.execute(
                    update(cls).where(cls.tenant_id == source_id).values(tenant_id=target_id),
                    execution_options={"synchronize_session": False},
                )
                if result.rowcount:
                    moved[cls.__tablename__] = result.rowcount
            await _move_registry_rows(session, source_id, target_id)
            moved.update(await _move_access_rows(session, source_id, target_id))
            for name in manager.ordered() if manager else ():
                await manager.call_one(name, "wardhub_tenant_merged", source=source_ref, target=target_ref,
                                       session=session)
            session.add(TenantLineage(from_tenant_id=source_id, into_tenant_id=target_id, moved=moved, note=note))
            await session.flush()
            await bump_version(session)
    except IntegrityError as exc:
        raise UserError(
            "CONFLICT",
            ("Không thể sáp nhập: dữ liệu hai đơn vị trùng nhau", "Cannot merge: the two units hold clashing data"),
        ) from exc
    return moved


async def _defer_foreign_keys(session: AsyncSession) -> None:
    dialect = session.bind.dialect.name
    statement = "SET CONSTRAINTS ALL DEFERRED" if dialect == "postgresql" else "PRAGMA defer_foreign_keys = ON"
    await session.execute(text(statement))


async def _move_access_rows(session: AsyncSession, source_id: uuid.UUID, target_id: uuid.UUID) -> dict[str, int]:
    """Role assignments, permission overrides and API tokens of ``source`` move to ``target``; the
    target's own win where both hold the same (user, role) or the same override."""
    moved: dict[str, int] = {}
    held = select(RoleAssignment.user_id, RoleAssignment.role).where(RoleAssignment.tenant_id == target_id)
    taken = {tuple(row) for row in await session.execute(held)}
    assignments = (await session.execute(
        select(RoleAssignment).where(RoleAssignment.tenant_id == source_id))).scalars().all()
    for row in assignments:
        if (row.user_id, row.role) in taken:
            await session.delete(row)
        else:
            row.tenant_id = target_id
            moved["role_assignments"] = moved.get("role_assignments", 0) + 1
    overrides = select(AccessPolicy).where(AccessPolicy.source == "override")
    target_keys = {(p.plugin, p.role, p.obj, p.act) for p in (await session.execute(
        overrides.where(AccessPolicy.tenant_id == target_id))).scalars()}
    for policy in (await session.execute(overrides.where(AccessPolicy.tenant_id == source_id))).scalars().all():
        if (policy.plugin, policy.role, policy.obj, policy.act) in target_keys:
            await session.delete(policy)
        else:
            policy.tenant_id = target_id
            moved["access_policies"] = moved.get("access_policies", 0) + 1
    tokens = await session.execute(update(ApiToken).where(ApiToken.tenant_id == source_id).values(tenant_id=target_id))
    if tokens.rowcount:
        moved["api_tokens"] = tokens.rowcount
    return moved


async def _move_registry_rows(session: AsyncSession, source_id: uuid.UUID, target_id: uuid.UUID) -> None:
    await session.execute(update(Tenant).where(Tenant.parent_id == source_id).values(parent_id=target_id))
    both = PluginSubscription.tenant_id.in_([source_id, target_id])
    subs = (await session.execute(select(PluginSubscription).where(both))).scalars().all()
    target_subs = {s.plugin: s for s in subs if s.tenant_id == target_id}
    for sub in subs:
        if sub.tenant_id == source_id and sub.enabled:
            if sub.plugin in target_subs:
                target_subs[sub.plugin].enabled = True
            else:
                session.add(PluginSubscription(tenant_id=target_id, plugin=sub.plugin, enabled=True, config=sub.config))
            sub.enabled = False
    await session.execute(
        update(Tenant).where(Tenant.id == source_id).values(status="merged", merged_into_id=target_id)
    )
