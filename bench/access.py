"""The cost of one permission check with every official unit as a tenant.

Set-up (in a temporary SQLite database, through the real code paths): migrations of core and every
installed plugin; ``import_official`` (34 provinces, 3,321 communes); per commune six users holding
``ward_chair``, ``ward_officer``, ``neighborhood_head``, ``resident``, ``integrator`` and
``lodging_operator``, per province one ``district_admin``, two platform-wide ``platform_admin``s — all 8
roles, ~20k role assignments; the permissions of every installed plugin plus seven synthetic plugins of
24 permissions each (the size of the full platform), their default grants synced to the database and
loaded by :class:`core.access.enforcer.AccessControl` as a real process does.

Cases:

* ``check`` — what a guard does per request once the caller's grant for the unit is cached: the
  answer for a random (user, unit, permission), mixing own units, units reached through a province
  role, and units the caller has no role in;
* ``first check of a user in a unit`` — the same with the grant cache emptied first: the roles looked
  up in Casbin, the permissions of that role combination already decided;
* ``first check, nothing memoized`` — the grant computed from Casbin from scratch (implicit
  permissions, then ``enforce`` per candidate);
* ``casbin enforce`` — one uncached ``FastEnforcer.enforce`` (policy lines indexed by object/action);
* ``casbin enforce (plain)`` — ``casbin.Enforcer.enforce`` scanning every line, for comparison;
* ``policy reload`` — rebuilding the enforcer from the database after a change.
"""

from __future__ import annotations

import random
import shutil
import tempfile
import time
import uuid
from pathlib import Path

from bench import Measurement, benchmark, timed

ROLES_PER_WARD = ("ward_chair", "ward_officer", "neighborhood_head", "resident", "integrator", "lodging_operator")
SYNTHETIC_PLUGINS = 7
RESOURCES, ACTIONS = 8, ("read", "write", "approve")


def synthetic_permissions(rng: random.Random) -> dict[str, list]:
    """Seven plugins of 24 permissions, each granted to a plausible set of roles."""
    from core.access.permissions import Permission

    staff = ["platform_admin", "district_admin", "ward_chair", "ward_officer"]
    limited = ["neighborhood_head", "resident", "integrator", "lodging_operator"]
    declared: dict[str, list] = {}
    for p in range(1, SYNTHETIC_PLUGINS + 1):
        plugin = f"bench_plugin{p}"
        perms = []
        for r in range(RESOURCES):
            for action in ACTIONS:
                grants = set(staff[: {"read": 4, "write": 3, "approve": 2}[action]])
                grants |= {role for role in limited if rng.random() < (0.5 if action == "read" else 0.15)}
                perms.append(Permission(f"{plugin}.resource{r}:{action}", f"Quyền {r}", f"Permission {r}",
                                        frozenset(grants), sensitive=r == 0))
        declared[plugin] = perms
    return declared


async def build_world(quick: bool):
    from sqlalchemy import insert, select

    from core.access.enforcer import AccessControl
    from core.access.models import RoleAssignment
    from core.access.permissions import build_catalog
    from core.access.store import sync_defaults, user_subject
    from core.app import load_plugins, migration_dirs
    from core.auth.models import User
    from core.db import migrate
    from core.db.base import utcnow
    from core.db.engine import Database
    from core.db.ids import new_id
    from core.db.scoping import SYSTEM
    from core.settings import Settings
    from core.testing import installed_plugin_names
    from tenants import registry
    from tenants.models import Tenant

    folder = Path(tempfile.mkdtemp(prefix="wardhub-bench-"))
    settings = Settings(database_url=f"sqlite+aiosqlite:///{folder / 'bench.db'}", environment="test",
                        log_level="WARNING", plugins=installed_plugin_names(),
                        secret_key="bench-secret-key-bench-secret-key-0123456789")
    manager = load_plugins(settings)
    await migrate.upgrade(settings, migration_dirs(manager))
    db = Database(settings)
    rng = random.Random(20251123)
    async with db.session(SYSTEM) as session:
        await registry.import_official(session, "current")
        units = (await session.execute(select(Tenant.id, Tenant.level, Tenant.parent_id))).all()
    wards = [(u.id, u.parent_id) for u in units if u.level == "ward"]
    provinces = [u.id for u in units if u.level == "province"]
    declared = dict(manager.collect("wardhub_permissions"))
    declared.update(synthetic_permissions(rng))
    catalog = build_catalog(declared)
    now = utcnow()
    users, assignments, holders = [], [], {}

    def add(role: str, tenant_id: uuid.UUID | None, attrs: dict | None = None) -> None:
        user_id = new_id()
        users.append({"id": user_id, "username": f"bench-{user_id.hex}", "display_name": "", "is_active": True,
                      "must_change_password": False, "session_epoch": 0, "created_at": now, "updated_at": now})
        assignments.append({"id": new_id(), "user_id": user_id, "tenant_id": tenant_id, "role": role,
                            "attrs": attrs or {}, "created_at": now})
        holders.setdefault(tenant_id, []).append(user_subject(user_id))

    for ward_id, _ in wards:
        for role in ROLES_PER_WARD:
            add(role, ward_id, {"household": "H1"} if role == "resident" else None)
    for province_id in provinces:
        add("district_admin", province_id)
    add("platform_admin", None)
    add("platform_admin", None)
    async with db.session(SYSTEM) as session:
        for start in range(0, len(users), 5000):
            await session.execute(insert(User), users[start:start + 5000])
            await session.execute(insert(RoleAssignment), assignments[start:start + 5000])
        await sync_defaults(session, catalog)
    access = AccessControl(db, catalog, poll_interval=3600)
    await access.start(sync=False)
    plugins = frozenset(declared)
    return {
        "db": db, "access": access, "catalog": catalog, "wards": wards, "provinces": provinces,
        "holders": holders, "plugins": plugins, "rng": rng, "folder": folder,
        "counts": {"tenants": len(units), "wards": len(wards), "assignments": len(assignments),
                   "permissions": len(catalog), "plugins": len(declared), **access.stats()},
    }


def callers(world: dict, n: int) -> list[tuple[str, tuple[str, ...]]]:
    """(subject, chain): 70% a ward's own staff, 20% its province's admin, 10% a stranger."""
    rng, holders = world["rng"], world["holders"]
    out = []
    for _ in range(n):
        ward_id, province_id = rng.choice(world["wards"])
        chain = (str(ward_id), str(province_id))
        roll = rng.random()
        if roll < 0.7:
            subject = rng.choice(holders[ward_id])
        elif roll < 0.9:
            subject = holders[province_id][0]
        else:
            other, _ = rng.choice(world["wards"])
            subject = rng.choice(holders[other])
        out.append((subject, chain))
    return out


def requests(world: dict, n: int, pool: list[tuple[str, tuple[str, ...]]] | None = None) -> list[tuple]:
    """(subject, chain, permission), the callers drawn from ``pool`` (default: fresh ones)."""
    rng = world["rng"]
    names = [p.name for p in world["catalog"]]
    pool = pool or callers(world, n)
    return [(*rng.choice(pool), rng.choice(names)) for _ in range(n)] if pool else []


@benchmark("access", "one permission check: all official units, 8 roles, every plugin's permissions")
async def access_benchmark(options) -> list[Measurement]:
    import casbin

    from core.access.enforcer import MODEL, _SnapshotAdapter
    from core.access.store import load_snapshot
    from core.db.scoping import SYSTEM

    quick = getattr(options, "quick", False)
    started = time.perf_counter()
    world = await build_world(quick)
    setup_s = time.perf_counter() - started
    access, plugins = world["access"], world["plugins"]
    counts = world["counts"]
    note = (f"{counts['tenants']} units, {counts['assignments']} assignments, {counts['permissions']} permissions "
            f"of {counts['plugins']} plugins, {counts['p_lines']} p-lines")
    rows: list[Measurement] = []

    # first check: the grant computed from Casbin (cache emptied before each call)
    cold = requests(world, 200 if quick else 1000)
    it = iter(cold)
    current: list = []

    def clear() -> None:
        access._grants.clear()
        current[:] = [next(it)]

    samples = timed(lambda: access.allowed(current[0][0], current[0][1], plugins, current[0][2]), len(cold),
                    before=clear)
    rows.append(Measurement("access", "first check of a user in a unit", samples, note))
    it = iter(requests(world, len(cold)))

    def clear_all() -> None:
        access._grants.clear()
        access._by_roles.clear()
        current[:] = [next(it)]

    samples = timed(lambda: access.allowed(current[0][0], current[0][1], plugins, current[0][2]), len(cold),
                    before=clear_all)
    rows.append(Measurement("access", "first check, nothing memoized", samples,
                            "implicit permissions + enforce() per candidate"))

    # check: the cached path, over a working set of distinct (user, unit) grants
    pool = callers(world, 1000 if quick else 5000)
    for subject, chain in pool:  # warm the cache for every (user, unit) used
        access.grant(subject, chain, plugins)
    hot = requests(world, 20_000 if quick else 200_000, pool)
    it = iter(hot)
    allowed = access.allowed

    def one() -> None:
        subject, chain, permission = next(it)
        allowed(subject, chain, plugins, permission)

    samples = timed(one, len(hot) - 1000, warmup=1000)
    granted = sum(access.allowed(s, c, plugins, p) for s, c, p in hot[:20_000])
    rows.append(Measurement("access", "check (cached grant)", samples,
                            f"{len(access._grants)} (user, unit) grants cached; {granted / 200:.0f}% allowed",
                            extra={"setup_seconds": round(setup_s, 1), **counts}))

    # raw Casbin, for reference
    enforcer = access._loaded.enforcer
    raw = requests(world, 300 if quick else 3000)
    it = iter(raw)

    def enforce() -> None:
        subject, chain, permission = next(it)
        obj, act = permission.rsplit(":", 1)
        enforcer.enforce(subject, chain[0], obj, act)

    rows.append(Measurement("access", "casbin enforce (FastEnforcer)", timed(enforce, len(raw))))
    async with world["db"].session(SYSTEM) as session:
        snapshot = await load_snapshot(session)
    plain_model = casbin.Enforcer.new_model(text=MODEL)
    plain = casbin.Enforcer(plain_model, _SnapshotAdapter(snapshot))
    plain.get_role_manager().add_domain_matching_func(access._within)
    few = requests(world, 10 if quick else 40)
    it = iter(few)

    def plain_enforce() -> None:
        subject, chain, permission = next(it)
        obj, act = permission.rsplit(":", 1)
        plain.enforce(subject, chain[0], obj, act)

    rows.append(Measurement("access", "casbin enforce (plain Enforcer)", timed(plain_enforce, len(few)),
                            "scans every p-line"))

    def reload() -> None:
        access._install(snapshot)

    rows.append(Measurement("access", "policy reload (rebuild enforcer)", timed(reload, 2 if quick else 5),
                            f"{counts['g_lines']} g-lines"))
    await access.stop()
    await world["db"].dispose()
    shutil.rmtree(world["folder"], ignore_errors=True)
    return rows
