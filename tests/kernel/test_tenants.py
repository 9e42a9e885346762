"""Tenant registry: official units, units added by hand, renames, moves and merges."""

import pytest
from sqlalchemy import delete, func, select
from wardhub_hello.models import Greeting, Reply

from core.access import policy
from core.access.models import AccessPolicy, RoleAssignment
from core.audit.models import AuditEntry
from core.db.scoping import SYSTEM, TenantScope
from core.errors import UserError
from tenants import registry, subscriptions
from tenants.models import PluginSubscription, Tenant, TenantLineage


async def count_units(db, scheme):
    async with db.session(SYSTEM) as session:
        rows = await session.execute(
            select(Tenant.level, func.count()).where(Tenant.scheme == scheme).group_by(Tenant.level)
        )
        return dict(rows.all())


async def test_import_official_is_complete_and_idempotent(db):
    async with db.session(SYSTEM) as session:
        first = await registry.import_official(session, "current")
    assert first.total == 3355
    assert first.inserted + first.unchanged == 3355  # another test may have imported already
    assert await count_units(db, "current") == {"province": 34, "ward": 3321}
    async with db.session(SYSTEM) as session:
        again = await registry.import_official(session, "current")
        hcmc = await registry.get(session, "79")
        ward = await registry.get(session, "current:27139")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3355)
    assert hcmc.name == "Thành phố Hồ Chí Minh" and hcmc.level == "province"
    assert (ward.parent_id, ward.level, ward.name) == (hcmc.id, "ward", "Phường Xuân Hòa")


async def test_import_legacy_units(db):
    async with db.session(SYSTEM) as session:
        first = await registry.import_official(session, "legacy")
        again = await registry.import_official(session, "legacy")
        # codes were reused with new meanings in 2025: the same code names different units per scheme
        old = await registry.get(session, "legacy:26734")
        district = await session.get(Tenant, old.parent_id)
    assert first.total == 10810
    assert (again.inserted, again.updated) == (0, 0)
    assert await count_units(db, "legacy") == {"province": 63, "district": 696, "ward": 10051}
    assert district.level == "district" and district.scheme == "legacy"


async def test_add_rename_and_move_validate_input(db):
    async with db.session(SYSTEM) as session:
        province = await registry.add_unit(session, scheme="local", code="tp-test-a", level="province",
                                           name="Tỉnh A", parent=None)
        district = await registry.add_unit(session, scheme="local", code="q-test-a", level="district",
                                           name="  Quận   Một ", parent=province)
        assert district.name == "Quận Một"
        ward = await registry.add_unit(session, scheme="local", code="p-test-a", level="ward", name="Phường 1",
                                       parent=province)
        await registry.move(session, ward, district)
        await registry.rename(session, ward, "Phường Một")
        ward_id, district_id = ward.id, district.id
    async with db.session(SYSTEM) as session:
        ward = await registry.get(session, "local:p-test-a")
        assert (ward.parent_id, ward.name) == (district_id, "Phường Một")
        assert ward.id == ward_id

    cases = [
        dict(scheme="local", code="x-1", level="ward", name="W", parent=None),  # a ward needs a parent
        dict(scheme="local", code="x-2", level="province", name="", parent=None),  # name required
        dict(scheme="local", code="bad code!", level="province", name="P", parent=None),
        dict(scheme="local", code="tp-test-a", level="province", name="P", parent=None),  # code in use
        dict(scheme="nope", code="x-3", level="province", name="P", parent=None),
        dict(scheme="local", code="x-4", level="hamlet", name="P", parent=None),
    ]
    for case in cases:
        with pytest.raises(UserError) as exc_info:
            async with db.session(SYSTEM) as session:
                await registry.add_unit(session, **case)
        assert exc_info.value.code in ("BAD_USER_INPUT", "CONFLICT")
        vi, en = exc_info.value.message
        assert vi and en and vi != en
    with pytest.raises(UserError):  # a district cannot sit under a ward, nor a unit under itself
        async with db.session(SYSTEM) as session:
            await registry.move(session, await registry.get(session, "local:q-test-a"),
                                await registry.get(session, "local:p-test-a"))
    with pytest.raises(UserError, match=r"not a unit code|No unit"):
        async with db.session(SYSTEM) as session:
            await registry.get(session, "local:does-not-exist")


@pytest.mark.plugins("hello")
async def test_merge_moves_data_children_subscriptions_and_keeps_lineage(db, make_tenant, plugin_manager):
    source = await make_tenant()  # hello enabled: seeded "Xin chào"
    target = await make_tenant(plugins=())
    async with db.session(TenantScope.of(source.id)) as session:
        greeting = Greeting(text="Chào")
        session.add(greeting)
        await session.flush()
        session.add(Reply(greeting_id=greeting.id, text="Chào lại"))

    moved = await registry.merge(db, source.key, target.key, note="Nghị quyết 1234")
    assert moved == {"hello_greetings": 2, "hello_replies": 1}

    async with db.session(TenantScope.of(target.id)) as session:
        texts = sorted((await session.execute(select(Greeting.text))).scalars())
        reply = (await session.execute(select(Reply))).scalar_one()
        assert texts == ["Chào", "Xin chào"]
        assert reply.tenant_id == target.id
        target_row = await registry.get(session, target.key)
        assert "hello" in await subscriptions.effective_plugins(session, target_row, plugin_manager)
    async with db.session(TenantScope.of(source.id)) as session:
        assert (await session.execute(select(func.count()).select_from(Greeting))).scalar_one() == 0
        # the audit trail stays where it happened
        assert (await session.execute(select(func.count()).select_from(AuditEntry))).scalar_one() >= 3
    async with db.session(SYSTEM) as session:
        source_row = await registry.get(session, source.key)
        assert (source_row.status, source_row.merged_into_id) == ("merged", target.id)
        lineage = (await session.execute(
            select(TenantLineage).where(TenantLineage.from_tenant_id == source.id))).scalar_one()
        assert (lineage.into_tenant_id, lineage.moved, lineage.note) == (target.id, moved, "Nghị quyết 1234")
        subs = (await session.execute(
            select(PluginSubscription).where(PluginSubscription.tenant_id == source.id))).scalars().all()
        assert [s.enabled for s in subs] == [False]
    with pytest.raises(UserError) as exc_info:
        await registry.merge(db, source.key, target.key)
    assert exc_info.value.code == "CONFLICT"


@pytest.mark.plugins("hello")
async def test_merge_carries_the_units_people_overrides_and_tokens(db, app, make_tenant, client_as, grant_role,
                                                                   make_token, anon_client):
    source = await make_tenant()
    target = await make_tenant(plugins=("hello",))
    async with db.session(TenantScope.of(target.id)) as session:
        await session.execute(delete(Greeting))  # the seeded greeting would clash with the source's
    officer = await client_as("ward_officer", source)  # of the source only
    both = await client_as("ward_chair", target)
    await grant_role(both.user, "ward_chair", source)  # chair of both: the target's assignment is kept
    _token, value = await make_token(source)
    async with db.session(TenantScope.of(source.id)) as session:
        await policy.set_override(session, app.state.permissions, "ward_officer", "hello.greeting:delete",
                                  source.id, "allow")
    assert (await officer.get(f"/t/{target.key}/hello/greetings")).status_code == 403

    moved = await registry.merge(db, source.key, target.key)

    assert (moved["role_assignments"], moved["access_policies"], moved["api_tokens"]) == (1, 1, 1)
    async with db.session(SYSTEM) as session:
        roles = (await session.execute(select(RoleAssignment.user_id, RoleAssignment.tenant_id).where(
            RoleAssignment.user_id.in_([officer.user.id, both.user.id])))).all()
        overrides = (await session.execute(select(AccessPolicy.tenant_id, AccessPolicy.role, AccessPolicy.obj).where(
            AccessPolicy.source == "override", AccessPolicy.tenant_id.in_([source.id, target.id])))).all()
    assert sorted(roles) == sorted([(officer.user.id, target.id), (both.user.id, target.id)])
    assert overrides == [(target.id, "ward_officer", "hello.greeting")]
    # the officer works in the merged unit
    listed = await officer.get(f"/t/{target.key}/hello/greetings")
    assert listed.status_code == 200, listed.text
    # the integrator's token reads the merged unit
    read = await anon_client.get(f"/t/{target.key}/hello/greetings", headers={"Authorization": f"Bearer {value}"})
    assert read.status_code == 200, read.text


@pytest.mark.plugins("hello")
async def test_merge_with_clashing_data_changes_nothing(db, make_tenant):
    source, target = await make_tenant(), await make_tenant()  # both seeded "Xin chào": unique per tenant
    with pytest.raises(UserError) as exc_info:
        await registry.merge(db, source.key, target.key)
    assert exc_info.value.code == "CONFLICT"
    async with db.session(TenantScope.of(source.id)) as session:
        assert (await session.execute(select(func.count()).select_from(Greeting))).scalar_one() == 1
    async with db.session(SYSTEM) as session:
        assert (await registry.get(session, source.key)).status == "active"
        lineage = await session.execute(select(TenantLineage).where(TenantLineage.from_tenant_id == source.id))
        assert lineage.first() is None


async def test_merging_districts_moves_their_wards(db, make_tenant):
    source, target = await make_tenant(level="district"), await make_tenant(level="district")
    ward = await make_tenant(parent_key=source.key, plugins=())
    await registry.merge(db, source.key, target.key)
    async with db.session(SYSTEM) as session:
        assert (await registry.get(session, ward.key)).parent_id == target.id
    with pytest.raises(UserError) as exc_info:  # only units of one level merge
        await registry.merge(db, ward.key, target.key)
    assert exc_info.value.code == "BAD_USER_INPUT"
