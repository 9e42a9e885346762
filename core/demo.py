"""A demo ward for ``make run``: official units, one ward of Ho Chi Minh City, every plugin on."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from core.db.engine import Database
from core.db.scoping import SYSTEM, TenantScope
from core.plugins.manager import PluginManager

DEMO_PROVINCE = "79"  # Thành phố Hồ Chí Minh
DEMO_WARD_CODENAME = "phuong_xuan_hoa"
DEMO_PASSWORD = "demo-wardhub-2026"
# (username, display name, role, where: "ward" / "province" / None for platform-wide)
DEMO_USERS = (
    ("admin", "Quản trị nền tảng", "platform_admin", None),
    ("quanly", "Quản trị cấp trên", "district_admin", "province"),
    ("chutich", "Chủ tịch phường", "ward_chair", "ward"),
    ("canbo", "Cán bộ phường", "ward_officer", "ward"),
)


async def demo_users(db: Database, ward_id, province_id, extra: Iterable[dict[str, Any]] = ()) -> list[str]:
    """Sign-in accounts for the demo (never in production), one per main role, and the ones plugins ask
    for (``wardhub_demo_accounts``: in the ward, with role attributes); idempotent."""
    from core.access import policy
    from core.auth import users
    from core.auth.models import User

    wanted = [(username, name, role, where, None) for username, name, role, where in DEMO_USERS]
    wanted += [(a["username"], a["name"], a["role"], "ward", a.get("attrs")) for a in extra]
    made = []
    for username, name, role, where, attrs in wanted:
        tenant_id = {"ward": ward_id, "province": province_id, None: None}[where]
        scope = TenantScope.of(tenant_id) if tenant_id else SYSTEM
        async with db.session(scope) as session:
            user = (await session.execute(select(User).where(User.username == username))).scalar_one_or_none()
            if user is None:
                user = await users.create_user(session, username, DEMO_PASSWORD, display_name=name)
                await policy.grant_role(session, user, role, tenant_id, attrs=attrs)
                made.append(f"{username} ({role})")
    return made


async def load_demo(db: Database, manager: PluginManager) -> str:
    from tenants import registry, subscriptions
    from tenants.models import Tenant

    async with db.session(SYSTEM) as session:
        report = await registry.import_official(session, "current")
        province = await registry.get(session, f"current:{DEMO_PROVINCE}")
        wards = (
            await session.execute(select(Tenant).where(Tenant.parent_id == province.id).order_by(Tenant.code))
        ).scalars().all()
        ward = next((w for w in wards if w.codename == DEMO_WARD_CODENAME), wards[0])
        ward_key, province_key = ward.key, province.key
    enabled: frozenset[str] = frozenset()
    for key in (province_key, ward_key):  # the province first: plugins scoped to both levels need it
        async with db.session(SYSTEM) as session:
            unit = await registry.get(session, key)
        async with db.session(TenantScope.of(unit.id)) as session:
            unit = await registry.get(session, key)
            current = await subscriptions.effective_plugins(session, unit, manager)
            level = "ward" if unit.level == "ward" else "district"
            for name in manager.ordered():
                if name not in current and level in manager.manifest(name).scope:
                    current = await subscriptions.enable(session, unit, name, manager)
            enabled = current
    async with db.session(SYSTEM) as session:
        ward = await registry.get(session, ward_key)
    async with db.session(TenantScope.of(ward.id)) as session:
        results = await manager.call_each("wardhub_demo_data", enabled, tenant=ward.ref(), session=session)
    samples = [f"{r.plugin}: {r.value}" for r in results if r.value]
    samples += [f"{r.plugin}: demo data failed: {r.error}" for r in results if r.error]
    if db.settings.environment != "production":
        async with db.session(TenantScope.of(ward.id)) as session:
            asked = await manager.call_each("wardhub_demo_accounts", enabled, tenant=ward.ref(), session=session)
        extra = [account for r in asked if r.value for account in r.value]
        samples += [f"{r.plugin}: demo accounts failed: {r.error}" for r in asked if r.error]
        async with db.session(SYSTEM) as session:
            province_id = (await registry.get(session, province_key)).id
        made = await demo_users(db, ward.id, province_id, extra)
        names = ", ".join([u[0] for u in DEMO_USERS] + [a["username"] for a in extra])
        samples.append(f"sign in at /auth/login as {names}, password {DEMO_PASSWORD}"
                       + (f" (created {', '.join(made)})" if made else ""))
    return (
        f"official units: {report.total} ({report.inserted} new); demo ward {ward_key} {ward.name}; "
        f"plugins: {', '.join(sorted(enabled)) or 'none installed'}"
        + "".join(f"\n  {line}" for line in samples)
    )
