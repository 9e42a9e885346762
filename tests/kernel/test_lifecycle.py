"""A tenant's data exported and purged through the plugins' hooks, and every write audited."""

import pytest
from sqlalchemy import func, select
from wardhub_hello.models import Greeting, Reply

from core.audit import bind_actor
from core.audit.models import AuditEntry
from core.db.scoping import TenantScope
from core.errors import UserError
from tenants.lifecycle import export_tenant, purge_plugin_data, purge_tenant

pytestmark = pytest.mark.plugins("hello")


async def add_greeting_with_reply(db, tenant, text):
    async with db.session(TenantScope.of(tenant.id)) as session:
        greeting = Greeting(text=text)
        session.add(greeting)
        await session.flush()
        session.add(Reply(greeting_id=greeting.id, text="re: " + text))
        return greeting.id


async def audit_rows(db, tenant, **where):
    async with db.session(TenantScope.of(tenant.id)) as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        for key, value in where.items():
            query = query.where(getattr(AuditEntry, key) == value)
        return (await session.execute(query)).scalars().all()


async def test_export_collects_every_plugin_and_only_the_tenant(db, make_tenant, plugin_manager):
    a, b = await make_tenant(), await make_tenant()
    await add_greeting_with_reply(db, a, "của A")
    await add_greeting_with_reply(db, b, "của B")
    data = await export_tenant(db, plugin_manager, a.key)
    assert data["tenant"]["key"] == a.key and data["errors"] == {}
    assert sorted(g["text"] for g in data["plugins"]["hello"]["greetings"]) == ["Xin chào", "của A"]
    assert [r["text"] for r in data["plugins"]["hello"]["replies"]] == ["re: của A"]
    assert "của B" not in str(data)
    assert [e.action for e in await audit_rows(db, a, entity="tenant")] == ["export"]


async def test_purge_is_explicit_audited_and_leaves_other_tenants(db, make_tenant, plugin_manager):
    a, b = await make_tenant(), await make_tenant()
    await add_greeting_with_reply(db, a, "một")
    await add_greeting_with_reply(db, b, "hai")
    assert await purge_plugin_data(db, plugin_manager, a.key, "hello") == 3
    async with db.session(TenantScope.of(a.id, b.id)) as session:
        left = (await session.execute(select(Greeting.tenant_id, func.count()).group_by(Greeting.tenant_id))).all()
    assert dict(left) == {b.id: 2}
    purge = await audit_rows(db, a, action="purge")
    assert [(p.entity, p.entity_id, p.after) for p in purge] == [("plugin", "hello", {"rows": 3})]
    counts = await purge_tenant(db, plugin_manager, b.key)
    assert counts["hello"] == 3 and set(counts) == set(plugin_manager.ordered())
    assert sum(counts.values()) == 3  # the other plugins hold nothing for this tenant
    with pytest.raises(UserError):
        await purge_plugin_data(db, plugin_manager, a.key, "nope")


async def test_every_write_is_audited_with_actor_and_changes(db, make_tenant):
    ward = await make_tenant()
    bind_actor(None, "officer-7")
    greeting_id = await add_greeting_with_reply(db, ward, "Chào")
    async with db.session(TenantScope.of(ward.id)) as session:
        greeting = await session.get(Greeting, (ward.id, greeting_id))
        greeting.text = "Chào bạn"
    async with db.session(TenantScope.of(ward.id)) as session:
        reply = (await session.execute(select(Reply))).scalar_one()
        await session.delete(reply)
    bind_actor(None, "system")
    rows = await audit_rows(db, ward, entity_id=str(greeting_id))
    assert [(r.action, r.actor_label) for r in rows] == [("create", "officer-7"), ("update", "officer-7")]
    assert rows[0].after["text"] == "Chào" and rows[0].after["tenant_id"] == str(ward.id)
    assert (rows[1].before, rows[1].after) == ({"text": "Chào"}, {"text": "Chào bạn"})
    deleted = await audit_rows(db, ward, action="delete")
    assert [d.before["text"] for d in deleted] == ["re: Chào"]


async def test_a_failed_write_leaves_no_audit_entry(db, make_tenant):
    ward = await make_tenant()
    before = len(await audit_rows(db, ward))
    with pytest.raises(RuntimeError):
        async with db.session(TenantScope.of(ward.id)) as session:
            session.add(Greeting(text="never"))
            await session.flush()
            raise RuntimeError("abort")
    assert len(await audit_rows(db, ward)) == before
