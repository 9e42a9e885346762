"""Records audit entries for ORM writes in the writing transaction."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import get_history

from core.audit.context import current_actor, current_request_id
from core.audit.models import AuditEntry
from core.db.base import TenantOwned, utcnow
from core.db.ids import new_id
from core.db.scoping import SCOPED_OPTION, WardSession, session_scope


def jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return str(value)


def _columns(obj: object) -> list[str]:
    return [attr.key for attr in inspect(obj).mapper.column_attrs]


def _entry(obj: TenantOwned, action: str, before: dict | None, after: dict | None) -> dict[str, Any]:
    actor = current_actor()
    return {
        "tenant_id": obj.tenant_id,
        "id": new_id(),
        "at": utcnow(),
        "actor_id": actor.user_id,
        "actor_label": actor.label,
        "request_id": current_request_id(),
        "action": action,
        "entity": type(obj).__tablename__,
        "entity_id": str(obj.id),
        "before": before,
        "after": after,
    }


def _audited(obj: object) -> bool:
    return isinstance(obj, TenantOwned) and getattr(type(obj), "__audited__", True)


@event.listens_for(WardSession, "after_flush")
def _record_flush(session: Session, _ctx: object) -> None:
    rows = []
    for obj in session.new:
        if _audited(obj):
            after = {k: jsonable(getattr(obj, k)) for k in _columns(obj)}
            rows.append(_entry(obj, "create", None, after))
    for obj in session.dirty:
        if not _audited(obj) or not session.is_modified(obj, include_collections=False):
            continue
        before, after = {}, {}
        for key in _columns(obj):
            history = get_history(obj, key)
            if history.has_changes():
                before[key] = jsonable(history.deleted[0] if history.deleted else None)
                after[key] = jsonable(history.added[0] if history.added else None)
        if after:
            rows.append(_entry(obj, "update", before, after))
    for obj in session.deleted:
        if _audited(obj):
            before = {k: jsonable(getattr(obj, k)) for k in _columns(obj)}
            rows.append(_entry(obj, "delete", before, None))
    if rows:
        session.connection().execute(insert(AuditEntry.__table__), rows, execution_options={SCOPED_OPTION: True})


async def record(
    session: Any,
    *,
    tenant_id: uuid.UUID,
    action: str,
    entity: str,
    entity_id: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Record what a bulk statement did, or a read of sensitive fields, in the session's transaction."""
    if tenant_id not in session_scope(session.sync_session).tenant_ids:
        raise PermissionError("audit entry for a tenant outside the session's scope")
    actor = current_actor()
    session.add(
        AuditEntry(
            tenant_id=tenant_id, actor_id=actor.user_id, actor_label=actor.label, request_id=current_request_id(),
            action=action, entity=entity, entity_id=entity_id, before=jsonable(before), after=jsonable(after),
        )
    )
    await session.flush()


async def record_for_unit(session: Any, *, tenant_id: uuid.UUID, **entry: Any) -> None:
    """:func:`record` for platform services (roles, tokens, plugin switches) that act on a unit their caller
    was checked for while the session may be scoped elsewhere (a district admin's request acting on a
    ward, a CLI session): the entry is written under that unit's scope, in the same transaction."""
    from core.db.scoping import TenantScope, rescoped

    scope = session_scope(session.sync_session)
    if tenant_id in scope.tenant_ids:
        await record(session, tenant_id=tenant_id, **entry)
        return
    async with rescoped(session, TenantScope.of(tenant_id)):
        await record(session, tenant_id=tenant_id, **entry)
