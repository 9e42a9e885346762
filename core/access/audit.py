"""Reading the audit log: ``GET /api/audit/{tenant}`` for holders of ``core.audit:read`` in that unit.

Filters: ``entity`` (table name), ``entity_id``, ``user`` (an account's id or username, or an actor
label such as ``cli:root``), ``since`` / ``until`` (ISO 8601), ``below=true`` to include every unit
under this one (a district reading its wards' records). Newest first, ``limit`` ≤ 500 a page, the next
page through the returned ``next`` cursor. Reading the log is itself recorded in it.
"""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Annotated, Any

from litestar import Request, get
from litestar.params import FromQuery, QueryParameter
from sqlalchemy import and_, or_, select

from core.access.guards import requires
from core.audit.models import AuditEntry
from core.audit.recorder import record
from core.auth.models import User, aware
from core.db.engine import Database
from core.db.scoping import SYSTEM, TenantScope
from core.errors import bad_input
from core.web.tenancy import resolve_tenant

MAX_PAGE = 500


def _cursor(entry: AuditEntry) -> str:
    raw = f"{aware(entry.at).isoformat()}|{entry.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _parse_cursor(value: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        at, _, entry_id = raw.partition("|")
        return aware(datetime.fromisoformat(at)), uuid.UUID(entry_id)
    except (ValueError, UnicodeDecodeError):
        raise bad_input("after", "Con trỏ phân trang không hợp lệ", "Invalid page cursor") from None


async def _descendants(db: Database, tenant_id: uuid.UUID) -> set[uuid.UUID]:
    from tenants.models import Tenant

    found, frontier = {tenant_id}, [tenant_id]
    async with db.session(SYSTEM) as session:
        while frontier:
            children = (await session.execute(select(Tenant.id).where(Tenant.parent_id.in_(frontier)))).scalars()
            frontier = [c for c in children if c not in found]
            found.update(frontier)
    return found


async def _actor_filter(db: Database, user: str) -> Any:
    try:
        return AuditEntry.actor_id == uuid.UUID(user)
    except ValueError:
        pass
    async with db.session(SYSTEM) as session:
        user_id = await session.scalar(select(User.id).where(User.username == user.strip().lower()))
    return AuditEntry.actor_id == user_id if user_id else AuditEntry.actor_label == user


def _entry(entry: AuditEntry, keys: dict[uuid.UUID, str]) -> dict[str, Any]:
    return {
        "id": str(entry.id), "tenant": keys.get(entry.tenant_id, str(entry.tenant_id)),
        "at": aware(entry.at).isoformat(), "actor_id": str(entry.actor_id) if entry.actor_id else None,
        "actor": entry.actor_label, "request_id": entry.request_id, "action": entry.action,
        "entity": entry.entity, "entity_id": entry.entity_id, "before": entry.before, "after": entry.after,
    }


@get("/api/audit/{tenant:str}", guards=[requires("core.audit:read")])
async def audit_log(
    request: Request,
    entity: FromQuery[str | None] = None,
    entity_id: FromQuery[str | None] = None,
    user: FromQuery[str | None] = None,
    since: FromQuery[datetime | None] = None,
    until: FromQuery[datetime | None] = None,
    below: FromQuery[bool] = False,
    after: FromQuery[str | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 100,
) -> dict[str, Any]:
    """Audit entries of one unit (and with ``below=true`` the units under it), newest first."""
    from tenants.models import Tenant

    current = await resolve_tenant(request)
    db: Database = request.app.state.db
    tenant_ids = await _descendants(db, current.tenant.id) if below else {current.tenant.id}
    conditions = []
    if entity:
        conditions.append(AuditEntry.entity == entity)
    if entity_id:
        conditions.append(AuditEntry.entity_id == entity_id)
    if user:
        conditions.append(await _actor_filter(db, user))
    if since:
        conditions.append(AuditEntry.at >= aware(since))
    if until:
        conditions.append(AuditEntry.at < aware(until))
    if after:
        at, entry_id = _parse_cursor(after)
        conditions.append(or_(AuditEntry.at < at, and_(AuditEntry.at == at, AuditEntry.id < entry_id)))
    query = (select(AuditEntry).where(*conditions).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
             .limit(limit + 1))
    async with db.session(TenantScope.of(tenant_ids)) as session:
        rows = list((await session.execute(query)).scalars())
        page, more = rows[:limit], len(rows) > limit
        keys = dict((await session.execute(
            select(Tenant.id, Tenant.scheme + ":" + Tenant.code).where(Tenant.id.in_({r.tenant_id for r in page}))
        )).all())
        filters = {k: v for k, v in {"entity": entity, "entity_id": entity_id, "user": user, "below": below,
                                     "since": since, "until": until}.items() if v}
    async with db.session(TenantScope.of(current.tenant.id)) as session:
        await record(session, tenant_id=current.tenant.id, action="read", entity="audit_log", entity_id="query",
                     after={"filters": filters, "returned": len(page)})
    return {"entries": [_entry(e, keys) for e in page], "next": _cursor(page[-1]) if more and page else None}


ROUTES = [audit_log]
