"""The ORM keeps every statement inside the session's tenant scope (on SQLite as on PostgreSQL)."""

import pytest
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.exc import StatementError
from wardhub_hello.models import Greeting

from core.db.scoping import SYSTEM, TenantScope, TenantScopeError

pytestmark = pytest.mark.plugins("hello")


def _scope_error(exc_info) -> bool:
    exc = exc_info.value
    return isinstance(exc, TenantScopeError) or isinstance(getattr(exc, "orig", None), TenantScopeError)


@pytest.fixture
async def two(db, make_tenant):
    a, b = await make_tenant(), await make_tenant()
    for tenant, words in ((a, ["a1", "a2"]), (b, ["b1"])):
        async with db.session(TenantScope.of(tenant.id)) as session:
            session.add_all(Greeting(text=w) for w in words)
    return a, b


async def texts(db, scope):
    async with db.session(scope) as session:
        return sorted((await session.execute(select(Greeting.text))).scalars())


async def test_select_sees_only_the_scope(db, two):
    a, b = two
    assert await texts(db, TenantScope.of(a.id)) == ["Xin chào", "a1", "a2"]
    assert await texts(db, TenantScope.of(b.id)) == ["Xin chào", "b1"]
    assert await texts(db, TenantScope.of(a.id, b.id)) == ["Xin chào", "Xin chào", "a1", "a2", "b1"]
    assert await texts(db, SYSTEM) == []


async def test_get_by_primary_key_of_another_tenant_is_none(db, two):
    a, b = two
    async with db.session(TenantScope.of(b.id)) as session:
        b1 = (await session.execute(select(Greeting).where(Greeting.text == "b1"))).scalar_one()
    async with db.session(TenantScope.of(a.id)) as session:
        assert await session.get(Greeting, (b.id, b1.id)) is None
        assert (await session.execute(select(func.count()).select_from(Greeting))).scalar_one() == 3


async def test_insert_takes_the_scope_tenant_and_refuses_another(db, two):
    a, b = two
    async with db.session(TenantScope.of(a.id)) as session:
        greeting = Greeting(text="new")
        session.add(greeting)
        await session.flush()
        assert greeting.tenant_id == a.id
    with pytest.raises(TenantScopeError):
        async with db.session(TenantScope.of(a.id)) as session:
            session.add(Greeting(tenant_id=b.id, text="smuggled"))
    with pytest.raises(TenantScopeError):
        async with db.session(SYSTEM) as session:
            session.add(Greeting(text="nobody's"))
    assert "smuggled" not in await texts(db, TenantScope.of(b.id))


async def test_orm_update_and_delete_statements_stay_in_scope(db, two):
    a, b = two
    async with db.session(TenantScope.of(a.id)) as session:
        changed = await session.execute(update(Greeting).values(text=Greeting.text + "!"))
        assert changed.rowcount == 3
    assert await texts(db, TenantScope.of(b.id)) == ["Xin chào", "b1"]
    async with db.session(TenantScope.of(a.id)) as session:
        removed = await session.execute(delete(Greeting))
        assert removed.rowcount == 3
    assert await texts(db, TenantScope.of(a.id)) == []
    assert await texts(db, TenantScope.of(b.id)) == ["Xin chào", "b1"]


async def test_changing_an_object_to_another_tenant_is_refused(db, two):
    a, b = two
    with pytest.raises(TenantScopeError):
        async with db.session(TenantScope.of(a.id)) as session:
            row = (await session.execute(select(Greeting).where(Greeting.text == "a1"))).scalar_one()
            row.tenant_id = b.id
    with pytest.raises(TenantScopeError):
        async with db.session(TenantScope.of(a.id)) as session:
            await session.execute(update(Greeting).values(tenant_id=b.id))
    assert await texts(db, TenantScope.of(b.id)) == ["Xin chào", "b1"]


async def test_bulk_update_by_primary_key_is_refused(db, two):
    a, b = two
    async with db.session(TenantScope.of(b.id)) as session:
        b1 = (await session.execute(select(Greeting).where(Greeting.text == "b1"))).scalar_one()
    with pytest.raises(TenantScopeError):
        async with db.session(TenantScope.of(a.id)) as session:
            await session.execute(update(Greeting), [{"tenant_id": b.id, "id": b1.id, "text": "hijacked"}])
    assert await texts(db, TenantScope.of(b.id)) == ["Xin chào", "b1"]


async def test_insert_statements_are_checked_row_by_row(db, two):
    a, b = two
    with pytest.raises(TenantScopeError):
        async with db.session(TenantScope.of(a.id)) as session:
            await session.execute(insert(Greeting).values(text="values() cannot be checked"))
    with pytest.raises(TenantScopeError):
        async with db.session(TenantScope.of(a.id)) as session:
            await session.execute(insert(Greeting), [{"text": "ok"}, {"tenant_id": b.id, "text": "not ok"}])
    async with db.session(TenantScope.of(a.id)) as session:
        await session.execute(insert(Greeting), [{"text": "bulk1"}, {"tenant_id": a.id, "text": "bulk2"}])
    assert await texts(db, TenantScope.of(a.id)) == ["Xin chào", "a1", "a2", "bulk1", "bulk2"]
    assert await texts(db, TenantScope.of(b.id)) == ["Xin chào", "b1"]


@pytest.mark.parametrize(
    "how",
    ["core_table", "text", "connection"],
)
async def test_unscoped_sql_on_tenant_tables_is_refused(db, two, how):
    a, _ = two
    with pytest.raises((TenantScopeError, StatementError)) as exc_info:
        async with db.session(TenantScope.of(a.id)) as session:
            if how == "core_table":
                await session.execute(select(Greeting.__table__))
            elif how == "text":
                await session.execute(text("SELECT text FROM hello_greetings"))
            else:
                conn = await session.connection()
                await conn.execute(text("DELETE FROM hello_greetings"))
    assert _scope_error(exc_info)
    assert len(await texts(db, TenantScope.of(a.id))) == 3


async def test_sql_on_platform_tables_is_allowed(db, two):
    a, _ = two
    async with db.session(TenantScope.of(a.id)) as session:
        assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
        count = await session.execute(text("SELECT count(*) FROM tenants WHERE code = :code"), {"code": a.code})
        assert count.scalar_one() == 1
