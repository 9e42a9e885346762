"""PostgreSQL row-level security holds even against raw SQL from the application role."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import async_sessionmaker
from wardhub_hello.models import Greeting

from core.db.base import tenant_owned_tables
from core.db.engine import make_engine
from core.db.scoping import SCOPE_KEY, SCOPED_OPTION, SYSTEM, TenantScope, WardSession

pytestmark = [pytest.mark.postgres, pytest.mark.plugins("hello")]


@pytest.fixture
async def app_conn(settings):
    engine = make_engine(settings.database_url, pool_size=1)  # the application role, no ORM scoping
    async with engine.connect() as conn:
        yield conn
    await engine.dispose()


@pytest.fixture
async def two(db, make_tenant):
    a, b = await make_tenant(), await make_tenant()
    async with db.session(TenantScope.of(b.id)) as session:
        session.add(Greeting(text="secret of b"))
    return a, b


async def set_tenant(conn, tenant_id) -> None:
    await conn.execute(text("SELECT set_config('app.tenant_ids', :v, true)"), {"v": str(tenant_id)})


async def test_app_role_is_not_privileged(app_conn):
    row = (await app_conn.execute(text(
        "SELECT rolsuper, rolbypassrls, (SELECT count(*) FROM pg_tables WHERE tableowner = current_user) "
        "FROM pg_roles WHERE rolname = current_user"))).one()
    assert tuple(row) == (False, False, 0)


async def test_raw_sql_reads_only_the_set_tenant(app_conn, two):
    a, b = two
    async with app_conn.begin():
        await set_tenant(app_conn, a.id)
        tenants = set((await app_conn.execute(text("SELECT tenant_id FROM hello_greetings"))).scalars())
        assert tenants == {a.id}
        other = await app_conn.execute(
            text("SELECT count(*) FROM hello_greetings WHERE tenant_id = :b"), {"b": b.id})
        assert other.scalar_one() == 0
    async with app_conn.begin():  # nothing set (and SET LOCAL gone after the last transaction): nothing seen
        assert (await app_conn.execute(text("SELECT count(*) FROM hello_greetings"))).scalar_one() == 0
    async with app_conn.begin():
        await set_tenant(app_conn, b.id)
        rows = (await app_conn.execute(text("SELECT text FROM hello_greetings ORDER BY text"))).scalars().all()
        assert rows == ["Xin chào", "secret of b"]


async def test_a_platform_session_after_a_tenant_one_on_the_same_connection_sees_no_tenant_rows(settings, two):
    """A platform (no-tenant) transaction sends no setting: the last tenant's, made transaction-local, is gone."""
    _a, b = two
    engine = make_engine(settings.database_url, pool_size=1)
    factory = async_sessionmaker(engine, sync_session_class=WardSession)
    count = text("SELECT count(*) FROM hello_greetings")
    try:
        for scope, expected in ((TenantScope.of(b.id), 2), (SYSTEM, 0), (TenantScope.of(b.id), 2), (SYSTEM, 0)):
            async with factory(info={SCOPE_KEY: scope}) as session, session.begin():
                seen = await session.execute(count, execution_options={SCOPED_OPTION: True})
                assert seen.scalar_one() == expected, scope
    finally:
        await engine.dispose()


async def test_raw_sql_cannot_write_into_another_tenant(app_conn, two):
    a, b = two
    for statement in (
        "INSERT INTO hello_greetings (tenant_id, id, text) VALUES (:b, gen_random_uuid(), 'forged')",
        "UPDATE hello_greetings SET tenant_id = :b",
    ):
        with pytest.raises(DBAPIError, match="row-level security"):
            async with app_conn.begin():
                await set_tenant(app_conn, a.id)
                await app_conn.execute(text(statement), {"b": b.id})
    async with app_conn.begin():
        await set_tenant(app_conn, a.id)
        deleted = await app_conn.execute(text("DELETE FROM hello_greetings WHERE tenant_id = :b"), {"b": b.id})
        assert deleted.rowcount == 0


@pytest.mark.parametrize(
    ("statement", "error"),
    [
        ("ALTER TABLE hello_greetings DISABLE ROW LEVEL SECURITY", "must be owner"),
        ("ALTER TABLE hello_greetings NO FORCE ROW LEVEL SECURITY", "must be owner"),
        ("DROP POLICY tenant_isolation ON hello_greetings", "must be owner"),
        ("SET ROLE postgres", "permission denied"),
        ("UPDATE audit_log SET action = 'forged'", "permission denied"),
        ("DELETE FROM audit_log", "permission denied"),
    ],
)
async def test_app_role_cannot_switch_isolation_off(app_conn, statement, error):
    with pytest.raises(DBAPIError, match=error):
        async with app_conn.begin():
            await app_conn.execute(text(statement))


async def test_row_security_off_fails_instead_of_leaking(app_conn, two):
    with pytest.raises(DBAPIError, match="row-level security"):
        async with app_conn.begin():
            await app_conn.execute(text("SET LOCAL row_security = off"))
            await app_conn.execute(text("SELECT * FROM hello_greetings"))


async def test_every_tenant_owned_table_has_forced_rls(app_conn, plugin_manager):
    names = [t.name for t in tenant_owned_tables()]
    assert {"hello_greetings", "hello_replies", "audit_log"} <= set(names)
    rows = (await app_conn.execute(text(
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
        "(SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) "
        "FROM pg_class c WHERE c.relname = ANY(:names)"), {"names": names})).all()
    assert {r[0]: tuple(r[1:]) for r in rows} == {n: (True, True, 1) for n in names}


async def test_policies_compute_the_tenant_set_once_per_statement(app_conn):
    names = [t.name for t in tenant_owned_tables()]
    rows = (await app_conn.execute(text(
        "SELECT tablename, qual, with_check FROM pg_policies WHERE policyname = 'tenant_isolation' "
        "AND tablename = ANY(:names)"), {"names": names})).all()
    assert {r[0] for r in rows} == set(names)
    once = "SELECT wardhub_tenant_ids()"
    slow = [r[0] for r in rows if once not in r[1] or once not in r[2]]
    assert slow == []  # a per-row call parsed the setting for every row (30 s over 1,000,000 rows)
