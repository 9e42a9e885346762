"""Tenant scoping in the ORM: every statement a session runs is limited to the session's tenant set.

A session is opened for a :class:`TenantScope` (one tenant, several for a district reading its wards,
or none for platform work). :func:`rescoped` lets part of a transaction act on another set (a district
admin switching a plugin for one of its wards, a move written in both wards) without a second
connection; on the way out it expunges every row outside the original scope, so the identity map never
keeps a row the session could not load itself. What is covered, and tested in ``tests/test_tenant_scoping.py``:

* ORM ``select``, ``update`` and ``delete`` (including lazy loads and refreshes) get
  ``tenant_id IN (scope)`` through ``with_loader_criteria``;
* objects added to the session get the scope's tenant when it has exactly one, and a flush refuses an
  object whose ``tenant_id`` lies outside the scope or is moved outside it;
* ORM bulk UPDATE by primary key and ORM ``insert().values()`` are refused; ``insert()`` with a list of
  rows is checked row by row;
* anything else that reaches the cursor on a scoped connection (Core ``Table`` statements, ``text()``,
  ``session.connection().execute()``) and names a tenant-owned table is refused, because nothing
  scoped it. On PostgreSQL row-level security (:mod:`core.db.rls`) checks the same set again.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.orm.attributes import get_history

from core.db.base import Base, TenantOwned, tenant_owned_tables

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

SCOPE_KEY = "wardhub_tenant_scope"
FLUSH_KEY = "wardhub_flushing"
SCOPED_OPTION = "wardhub_scoped"


class TenantScopeError(RuntimeError):
    """Code tried to reach tenant data outside its scope. A programming error, never a client's."""


@dataclass(frozen=True, slots=True)
class TenantScope:
    """The tenants a session may read and write. Empty: platform work that touches no tenant data."""

    tenant_ids: frozenset[uuid.UUID] = frozenset()

    @classmethod
    def of(cls, *ids: uuid.UUID | Iterable[uuid.UUID]) -> TenantScope:
        flat: set[uuid.UUID] = set()
        for item in ids:
            flat.update(item if isinstance(item, set | frozenset | list | tuple) else [item])
        return cls(frozenset(flat))

    @property
    def single(self) -> uuid.UUID | None:
        return next(iter(self.tenant_ids)) if len(self.tenant_ids) == 1 else None

    def setting(self) -> str:
        """The value of ``app.tenant_ids`` for row-level security."""
        return ",".join(sorted(str(t) for t in self.tenant_ids))


SYSTEM = TenantScope()


class WardSession(Session):
    """The sync session behind every ``AsyncSession`` of the app; carries its scope in ``info``."""


def session_scope(session: Session) -> TenantScope:
    scope = session.info.get(SCOPE_KEY)
    if scope is None:
        raise TenantScopeError("session was opened without a tenant scope")
    return scope


@asynccontextmanager
async def rescoped(session: AsyncSession, scope: TenantScope) -> AsyncIterator[AsyncSession]:
    """Run a block of ``session``'s transaction under ``scope``, then restore the session's own scope.

    The caller has already checked that the actor may act in ``scope``. Pending changes are flushed
    under the scope they were made in; rows outside the restored scope leave the identity map.
    """
    original = session_scope(session)
    await session.flush()
    await _apply_scope(session, scope)
    try:
        yield session
        await session.flush()
    finally:
        await _apply_scope(session, original)
        for obj in list(session.identity_map.values()):
            if isinstance(obj, TenantOwned) and obj.tenant_id not in original.tenant_ids:
                session.expunge(obj)


async def _apply_scope(session: AsyncSession, scope: TenantScope) -> None:
    session.info[SCOPE_KEY] = scope
    if not session.in_transaction():
        return  # the transaction's first statement applies it (``after_begin``)
    connection = await session.connection()
    await connection.run_sync(_scope_connection, scope)


def _scope_connection(connection: Connection, scope: TenantScope, *, new_transaction: bool = False) -> None:
    connection.info[SCOPE_KEY] = scope
    if new_transaction and not scope.tenant_ids:
        # The setting is only ever made transaction-local (``set_config(…, true)``), so a new transaction has
        # none, which row-level security reads as no tenant: platform work (sign-in, sessions) saves the
        # round trip. Narrowing an open transaction to no tenant (``rescoped``) still clears it.
        return
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT set_config('app.tenant_ids', :ids, true)"),
            {"ids": scope.setting()},
            execution_options={SCOPED_OPTION: True},
        )


@event.listens_for(WardSession, "do_orm_execute")
def _scope_orm_statement(state: ORMExecuteState) -> None:
    scope = session_scope(state.session)
    ids = tuple(scope.tenant_ids)
    if state.is_insert:
        _check_insert(state, scope)
    elif state.is_update or state.is_delete:
        if state.is_update and isinstance(state.parameters, list) and _mapper_is_tenant_owned(state):
            raise TenantScopeError("ORM bulk UPDATE by primary key is not scoped; load and change objects")
        if state.is_update:
            _check_update_values(state, scope)
    if state.is_select or state.is_update or state.is_delete:
        state.statement = state.statement.options(
            with_loader_criteria(TenantOwned, lambda cls: cls.tenant_id.in_(ids), include_aliases=True)
        )
    if state.is_orm_statement and not state.is_from_statement:
        # Core Table statements and from_statement(text) get no loader criteria: leave them unmarked so
        # that the cursor guard refuses them when they name a tenant-owned table.
        state.update_execution_options(**{SCOPED_OPTION: True})


def _mapper_is_tenant_owned(state: ORMExecuteState) -> bool:
    mapper = state.bind_arguments.get("mapper")
    return bool(mapper is not None and getattr(mapper.class_, "__tenant_owned__", False))


def _check_insert(state: ORMExecuteState, scope: TenantScope) -> None:
    if not _mapper_is_tenant_owned(state):
        return
    rows = state.parameters if isinstance(state.parameters, list) else None
    if not rows:
        raise TenantScopeError("insert tenant rows with session.add() or insert(Model) with a list of rows")
    for row in rows:
        tenant = row.get("tenant_id")
        if tenant is None and scope.single is not None:
            row["tenant_id"] = scope.single
        elif tenant not in scope.tenant_ids:
            raise TenantScopeError(f"insert into a tenant outside the session's scope: {tenant}")


def _check_update_values(state: ORMExecuteState, scope: TenantScope) -> None:
    if not _mapper_is_tenant_owned(state):
        return
    values = getattr(state.statement, "_values", None) or {}
    for key, value in values.items():
        name = getattr(key, "key", key)
        if name == "tenant_id":
            target = getattr(value, "value", value)
            if target not in scope.tenant_ids:
                raise TenantScopeError("update moves rows to a tenant outside the session's scope")


@event.listens_for(WardSession, "before_flush")
def _check_flush(session: Session, _ctx: object, _instances: object) -> None:
    scope = session_scope(session)
    for obj in session.new:
        if isinstance(obj, TenantOwned):
            if obj.tenant_id is None and scope.single is not None:
                obj.tenant_id = scope.single
            if obj.tenant_id not in scope.tenant_ids:
                raise TenantScopeError(f"{type(obj).__name__} for tenant {obj.tenant_id} outside the scope")
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, TenantOwned):
            history = get_history(obj, "tenant_id")
            for tenant in (*history.added, *history.deleted, obj.tenant_id):
                if tenant is not None and tenant not in scope.tenant_ids:
                    raise TenantScopeError(f"{type(obj).__name__} moved or removed outside the scope")
    session.connection().info[FLUSH_KEY] = True


@event.listens_for(WardSession, "after_flush")
def _flush_done(session: Session, _ctx: object) -> None:
    session.connection().info.pop(FLUSH_KEY, None)


@event.listens_for(WardSession, "after_begin")
def _begin(session: Session, _transaction: object, connection: Connection) -> None:
    connection.info.pop(FLUSH_KEY, None)  # left over from a flush that failed in an earlier transaction
    _scope_connection(connection, session_scope(session), new_transaction=True)


_guard_pattern: tuple[int, re.Pattern[str]] | None = None


def _tenant_table_pattern() -> re.Pattern[str]:
    """The names of tenant-owned tables as one pattern, rebuilt only when a table was added to the metadata
    (a plugin loaded later): it is consulted for every statement of a scoped session."""
    global _guard_pattern
    tables = len(Base.metadata.tables)
    if _guard_pattern is None or _guard_pattern[0] != tables:
        names = sorted(t.name for t in tenant_owned_tables())
        alternation = "|".join(re.escape(n) for n in names) or r"(?!x)x"
        _guard_pattern = (tables, re.compile(rf'(?<![\w"]|\.)"?(?:{alternation})"?(?![\w"])', re.IGNORECASE))
    return _guard_pattern[1]


def install_cursor_guard(sync_engine: object) -> None:
    """Refuse unscoped statements that name tenant-owned tables on connections of scoped sessions."""

    @event.listens_for(sync_engine, "before_cursor_execute")
    def _guard(conn, _cursor, statement, _params, context, _many):
        if SCOPE_KEY not in conn.info or conn.info.get(FLUSH_KEY):
            return
        if context is not None and context.execution_options.get(SCOPED_OPTION):
            return
        if _tenant_table_pattern().search(statement):
            raise TenantScopeError(
                "unscoped SQL on a tenant-owned table inside a tenant session; use the ORM "
                "(select/update/delete of mapped classes) so that the tenant scope applies"
            )

    @event.listens_for(sync_engine.pool, "checkin")
    def _forget(_dbapi_conn, record):
        record.info.pop(SCOPE_KEY, None)
        record.info.pop(FLUSH_KEY, None)
