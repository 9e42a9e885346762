"""Engines and tenant-scoped sessions."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import event, exc, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

import core.audit  # noqa: F401  (installs the audit recorder on every session)
from core.db.scoping import SCOPE_KEY, SYSTEM, TenantScope, WardSession, install_cursor_guard
from core.settings import Settings


class UnsafeDatabaseRole(RuntimeError):
    """The app's PostgreSQL role would bypass row-level security."""


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn, _record):
            # SQLAlchemy's documented fix for the sqlite3 driver's own transaction handling, without which
            # SAVEPOINTs are unreliable (releasing one could commit): the driver issues nothing, we BEGIN.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(conn):
            # IMMEDIATE: take the write lock at the start and wait for it (busy_timeout). A deferred
            # transaction that reads, then writes after another writer committed, fails at once with
            # "database is locked" instead of waiting. SQLite writes one at a time anyway.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    else:
        engine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size)
        ping_when_idle(engine)
    install_cursor_guard(engine.sync_engine)
    return engine


IDLE_BEFORE_PING = 5.0  # seconds


def ping_when_idle(engine: AsyncEngine) -> None:
    """Ping a pooled connection at checkout only when it sat idle for ``IDLE_BEFORE_PING`` seconds or more.

    SQLAlchemy's ``pool_pre_ping`` pings at every checkout: one more round trip per transaction, which
    measured a third of the lodging throughput (103 → 150 declarations/s over HTTP without it). A
    connection in steady use needs no ping: if the server dropped it (restart, failover), its next
    statement fails, SQLAlchemy sees a disconnect and invalidates the pool (every older connection is
    replaced at its next checkout) and that one request answers 503 with Retry-After. The documented
    pessimistic pattern: a failed ping raises ``DisconnectionError``, and the pool retries with a new
    connection."""
    pool_events = engine.sync_engine

    @event.listens_for(pool_events, "checkin")
    def _checked_in(_dbapi_connection, record) -> None:
        record.info["wardhub_checked_in"] = time.monotonic()

    @event.listens_for(pool_events, "checkout")
    def _checked_out(dbapi_connection, record, _proxy) -> None:
        since = record.info.get("wardhub_checked_in")
        if since is None or time.monotonic() - since < IDLE_BEFORE_PING:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.DisconnectionError(f"idle connection is gone: {type(error).__name__}") from error


class Database:
    """The app's engine and its session factory."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = make_engine(settings.database_url)
        self._factory = async_sessionmaker(self.engine, sync_session_class=WardSession, expire_on_commit=False)
        self._lookups = async_sessionmaker(
            self.engine.execution_options(isolation_level="AUTOCOMMIT") if settings.is_postgres else self.engine,
            sync_session_class=WardSession, expire_on_commit=False)

    @asynccontextmanager
    async def session(self, scope: TenantScope) -> AsyncIterator[AsyncSession]:
        """A session limited to ``scope``; commits on success, rolls back on error."""
        async with self._factory(info={SCOPE_KEY: scope}) as session, session.begin():
            yield session

    @asynccontextmanager
    async def lookup(self) -> AsyncIterator[AsyncSession]:
        """A platform (no-tenant) session for the per-request lookups of sign-in (the web session and its
        user, an API token). On PostgreSQL it runs without a transaction: each statement commits alone,
        which saves the ``BEGIN`` and ``COMMIT`` round trips; fit for reads and single-statement writes
        only. On SQLite, a normal session."""
        if not self.settings.is_postgres:
            async with self.session(SYSTEM) as session:
                yield session
            return
        async with self._lookups(info={SCOPE_KEY: SYSTEM}) as session:
            yield session
            await session.commit()  # flushes a pending single-statement write; there is no transaction to end

    def open(self, scope: TenantScope) -> AsyncSession:
        """A session limited to ``scope`` that the caller commits and closes."""
        return self._factory(info={SCOPE_KEY: scope})

    async def check_role(self) -> None:
        """On PostgreSQL refuse a role that is superuser, bypasses RLS or owns tables."""
        if not self.settings.is_postgres or self.settings.allow_privileged_db_role:
            return
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    text(
                        "SELECT r.rolsuper, r.rolbypassrls, "
                        "(SELECT count(*) FROM pg_tables t WHERE t.schemaname = current_schema() "
                        " AND t.tableowner = current_user) "
                        "FROM pg_roles r WHERE r.rolname = current_user"
                    )
                )
            ).one()
        if row[0] or row[1] or row[2]:
            raise UnsafeDatabaseRole(
                "WARDHUB_DATABASE_URL connects as a role that is superuser, bypasses row-level security or "
                "owns tables. Connect as the application role that `wardhub db upgrade` creates (set "
                "WARDHUB_ADMIN_DATABASE_URL to the owner for migrations), or set "
                "WARDHUB_ALLOW_PRIVILEGED_DB_ROLE=true to accept the risk."
            )

    async def dispose(self) -> None:
        await self.engine.dispose()
