"""The access matrix: every built-in role × every permission declared by the installed plugins × (own
tenant, a unit below it, a sibling) — the enforcer's answer must match the table below.

The table is the reviewed statement of who may do what by default, written by hand, never derived from
the declarations: core's, the hello test plugin's and the built-in plugins' rows are below; a
third-party plugin may keep its rows beside its own tests, in ``<its package>.tests.access_matrix``
(``EXPECTED = {"farm.cow:milk": {"ward_officer", …}, …}``). The first test fails, naming the
permissions, until every declared permission has its row; a change of a default grant shows up as a diff
of a table.
"""

from __future__ import annotations

import importlib
import uuid

import pytest

from core.access.enforcer import chain_of
from core.access.roles import ROLE_NAMES
from core.access.store import user_subject
from core.db.scoping import SYSTEM, TenantScope
from tenants import registry, subscriptions

ADMINS = {"platform_admin", "district_admin", "ward_chair"}

# permission → the roles that hold it by default
EXPECTED: dict[str, set[str]] = {
    # core (always enabled)
    "core.audit:read": {"platform_admin", "district_admin", "ward_chair"},
    "core.role:grant": {"platform_admin", "district_admin", "ward_chair"},
    "core.token:manage": {"platform_admin", "district_admin"},
    "core.policy:manage": {"platform_admin", "district_admin"},
    "core.user:manage": {"platform_admin"},
    "core.plugin:manage": {"platform_admin", "district_admin"},
    "core.change:propose": {"platform_admin", "ward_officer", "neighborhood_head", "resident"},
    "core.change:review": {"platform_admin", "ward_officer"},
    "core.change:approve": {"platform_admin", "ward_chair"},
    "core.change:configure": {"platform_admin", "district_admin", "ward_chair"},
    # hello (tests/fixtures/hello_plugin; ward scope)
    "hello.greeting:read": {"platform_admin", "district_admin", "ward_chair", "ward_officer", "neighborhood_head",
                            "resident", "integrator"},
    "hello.greeting:write": {"platform_admin", "ward_chair", "ward_officer", "neighborhood_head"},
    "hello.greeting:delete": {"platform_admin", "ward_chair"},
    "hello.greeting.author:read": {"ward_chair", "ward_officer"},
    "hello.reply:write": {"ward_chair", "ward_officer", "neighborhood_head", "resident"},
    "hello.guestbook:sign": {"lodging_operator"},
    # residents (ward scope): everyone with a place in the ward reads (limited roles through row filters);
    # only the ward's staff writes; ID numbers, ethnicity and religion only for its officers and chair.
    "residents.household:read": {"platform_admin", "district_admin", "ward_chair", "ward_officer",
                                 "neighborhood_head", "resident", "integrator"},
    "residents.household:write": {"platform_admin", "ward_chair", "ward_officer"},
    "residents.person:read": {"platform_admin", "district_admin", "ward_chair", "ward_officer", "neighborhood_head",
                              "resident", "integrator"},
    "residents.person:write": {"platform_admin", "ward_chair", "ward_officer"},
    "residents.person.identity:read": {"ward_chair", "ward_officer"},
    "residents.statistics:read": {"platform_admin", "district_admin", "ward_chair", "ward_officer", "integrator"},
    "residents.import:write": {"platform_admin", "ward_chair", "ward_officer"},
}


def _beside(package: str):
    """``tests/access_matrix.py`` in the folder that holds ``package`` (a pip-installed plugin's source tree)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))).parent / "tests" / "access_matrix.py"
    if not path.is_file():
        return None
    loaded = importlib.util.spec_from_file_location(f"_access_matrix_{package}", path)
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    return module


def expected_table(manager) -> dict[str, set[str]]:
    """This module's rows and every loaded plugin's ``<package>.tests.access_matrix.EXPECTED``."""
    table = dict(EXPECTED)
    for plugin in manager.plugins.values():
        package = getattr(plugin.obj, "__name__", type(plugin.obj).__module__).rsplit(".", 1)[0]
        try:
            module = importlib.import_module(f"{package}.tests.access_matrix")
        except ModuleNotFoundError as exc:
            if exc.name is not None and not f"{package}.tests.access_matrix".startswith(exc.name):
                raise
            module = _beside(package)  # an out-of-tree plugin keeps tests/ next to its package
            if module is None:
                continue
        for name, roles in module.EXPECTED.items():
            assert name not in table, f"{name} has two rows"
            table[name] = set(roles)
    return table


@pytest.fixture
def table(plugin_manager):
    return expected_table(plugin_manager)


def test_table_covers_exactly_the_declared_permissions(app, table):
    declared = set(app.state.permissions.permissions)
    missing = sorted(declared - set(table))
    assert missing == [], (
        f"declared but missing from the matrix table: {missing}; add rows to tests/access/test_matrix.py "
        "(core, hello) or to <plugin package>/tests/access_matrix.py"
    )
    assert sorted(set(table) - declared) == [], "in the table but declared by no installed plugin"


async def _unit(db, code_prefix, level, parent):
    async with db.session(SYSTEM) as session:
        parent_row = await registry.get(session, parent) if parent else None
        unit = await registry.add_unit(session, scheme="local", code=f"{code_prefix}{uuid.uuid4().hex[:10]}",
                                       level=level, name=f"{level} {code_prefix}", parent=parent_row)
        return unit.key


async def _enable_all(db, manager, key):
    async with db.session(SYSTEM) as session:
        unit_id = (await registry.get(session, key)).id
    async with db.session(TenantScope.of(unit_id)) as session:
        unit = await registry.get(session, key)
        kind = "ward" if unit.level == "ward" else "district"
        for name in manager.ordered():
            if kind in manager.manifest(name).scope:
                await subscriptions.enable(session, unit, name, manager)


async def _context(db, manager, key):
    async with db.session(SYSTEM) as session:
        unit = await registry.get(session, key)
        chain = chain_of([unit.id, *(a.id for a in await registry.ancestors(session, unit))])
        return chain, await subscriptions.effective_plugins(session, unit, manager)


@pytest.fixture
async def world(db, plugin_manager):
    """P → D1 → (W1, W2, W4 with no plugin); P → D2 → W3. Every plugin on where its scope allows."""
    p = await _unit(db, "p", "province", None)
    d1, d2 = await _unit(db, "d", "district", p), await _unit(db, "d", "district", p)
    w1, w2, w4 = [await _unit(db, "w", "ward", d1) for _ in range(3)]
    w3 = await _unit(db, "w", "ward", d2)
    for key in (p, d1, d2, w1, w2, w3):  # parents first: a ward needs its district's subscription
        await _enable_all(db, plugin_manager, key)
    keys = {"P": p, "D1": d1, "D2": d2, "W1": w1, "W2": w2, "W3": w3, "W4": w4}
    return {name: await _context(db, plugin_manager, key) for name, key in keys.items()}


# Where a role is held → the units checked, and whether the role reaches each.
PLACEMENTS = {
    "W1": {"W1": True, "W2": False, "W3": False, "D1": False},  # own ward; sibling ward; cousin; unit above
    "D1": {"D1": True, "W1": True, "W2": True, "W4": True, "D2": False, "W3": False},  # own, children, sibling
}


async def test_every_role_permission_and_placement_matches_the_table(app, world, table, make_user, grant_role):
    access = app.state.access
    catalog = app.state.permissions
    holders = {}
    for role in ROLE_NAMES:
        for held_at in PLACEMENTS:
            user = await make_user()
            await grant_role(user, role, uuid.UUID(world[held_at][0][0]))
            holders[role, held_at] = user_subject(user.id)
    await access.ensure_fresh(force=True)

    mismatches = []
    checked = 0
    for (role, held_at), subject in holders.items():
        for unit, reaches in PLACEMENTS[held_at].items():
            chain, plugins = world[unit]
            grant = access.grant(subject, chain, plugins)
            assert grant.reaches == reaches, (role, held_at, unit)
            for permission in catalog:
                enabled = permission.plugin == "core" or permission.plugin in plugins
                expected = reaches and enabled and role in table.get(permission.name, ())
                cached = grant.allows(permission.name)
                # the cache must say what Casbin itself says (plus: a plugin not enabled denies)
                uncached = enabled and access.enforce(subject, chain, permission.name)
                if not (cached == uncached == expected):
                    mismatches.append((role, f"held in {held_at}", f"checked in {unit}", permission.name,
                                       f"expected={expected} cached={cached} casbin={uncached}"))
                checked += 1
    assert mismatches == []
    assert checked == len(ROLE_NAMES) * sum(len(u) for u in PLACEMENTS.values()) * len(catalog)


async def test_a_plugin_the_unit_has_not_enabled_denies_all_its_permissions(app, world, make_user, grant_role):
    access = app.state.access
    user = await make_user()
    await grant_role(user, "ward_chair", uuid.UUID(world["D1"][0][0]))
    await access.ensure_fresh()
    chain, plugins = world["W4"]  # under D1, nothing enabled
    assert "hello" not in plugins
    grant = access.grant(user_subject(user.id), chain, plugins)
    assert grant.reaches
    assert {p for p in grant.permissions if not p.startswith("core.")} == set()
    assert "core.audit:read" in grant.permissions
    # the same unit with hello on (what the enforcer alone would say) grants hello permissions
    assert access.grant(user_subject(user.id), chain, plugins | {"hello"}).allows("hello.greeting:read")


async def test_platform_wide_role_reaches_every_unit(app, world, make_user, grant_role):
    access = app.state.access
    user = await make_user()
    await grant_role(user, "platform_admin", None)
    await access.ensure_fresh(force=True)
    for unit in ("P", "D2", "W3", "W4"):
        chain, plugins = world[unit]
        assert access.grant(user_subject(user.id), chain, plugins).allows("core.user:manage"), unit
    assert access.grant(user_subject(user.id), ("*",), frozenset()).allows("core.user:manage")
    # a platform_admin held in one unit is not platform-wide
    local = await make_user()
    await grant_role(local, "platform_admin", uuid.UUID(world["W1"][0][0]))
    await access.ensure_fresh(force=True)
    assert not access.grant(user_subject(local.id), ("*",), frozenset()).reaches
