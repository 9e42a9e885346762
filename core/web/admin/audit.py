"""A unit's audit log as a page: ``GET /t/{tenant}/admin/audit``.

Needs ``core.audit:read`` in the unit. Filters: ``entity`` (table), ``user`` (a username or an actor label),
``since`` / ``until`` (days, ``YYYY-MM-DD``, in Vietnam's time, both included), ``below`` (the units under
this one too); newest first, :data:`PAGE` a page, the next page through ``after``. Like the JSON API
(:mod:`core.access.audit`, whose filters it shares), reading the log is itself recorded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from litestar import MediaType, Request, Response, get
from sqlalchemy import and_, or_, select

from core.access.audit import _actor_filter, _cursor, _descendants, _parse_cursor
from core.access.guards import requires
from core.audit.models import AuditEntry
from core.audit.recorder import record
from core.auth.models import aware
from core.db.engine import Database
from core.db.scoping import TenantScope
from core.errors import UserError
from core.web.admin.common import FormErrors, current_tenant, page
from core.web.i18n import request_language
from core.web.ui import tenant_path

READ = "core.audit:read"
PAGE = 50
VIETNAM = timezone(timedelta(hours=7), "ICT")


@dataclass
class EntryRow:
    at: str
    actor: str
    action: str
    entity: str
    entity_id: str
    tenant: str
    before: str
    after: str


def _day(params: dict[str, str], name: str, errors: dict[str, tuple[str, str]]) -> date | None:
    raw = params.get(name, "")
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = ("Ngày theo dạng NNNN-TT-NN, ví dụ 2026-01-31", "A date as YYYY-MM-DD, for example 2026-01-31")
        return None


def _start_of(day: date) -> datetime:
    """Midnight of ``day`` in Vietnam, in UTC (SQLite compares stored UTC times as text)."""
    return datetime.combine(day, time(), VIETNAM).astimezone(UTC)


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True) if value else ""


@get("/t/{tenant:str}/admin/audit", guards=[requires(READ)], media_type=MediaType.HTML, name="admin-audit")
async def audit_page(request: Request) -> Response:
    from tenants.models import Tenant

    current = await current_tenant(request)
    lang = request_language(request)
    db: Database = request.app.state.db
    params = {k: (request.query_params.get(k) or "").strip()[:120]
              for k in ("entity", "user", "since", "until", "after")}
    below = request.query_params.get("below") in ("1", "true", "on")
    problems: dict[str, tuple[str, str]] = {}
    since, until = _day(params, "since", problems), _day(params, "until", problems)
    if since and until and until < since:
        problems["until"] = ("Ngày kết thúc phải sau ngày bắt đầu", "The end date must not be before the start date")
    conditions = []
    if params["after"]:
        try:
            at, entry_id = _parse_cursor(params["after"])
            conditions.append(or_(AuditEntry.at < at, and_(AuditEntry.at == at, AuditEntry.id < entry_id)))
        except UserError:
            problems["after"] = ("Trang không hợp lệ; hãy lọc lại", "Invalid page; filter again")
    rows: list[EntryRow] = []
    next_cursor = None
    entities: list[str] = []
    tenant_ids = await _descendants(db, current.tenant.id) if below else {current.tenant.id}
    if not problems:
        if params["entity"]:
            conditions.append(AuditEntry.entity == params["entity"])
        if params["user"]:
            conditions.append(await _actor_filter(db, params["user"]))
        if since:
            conditions.append(AuditEntry.at >= _start_of(since))
        if until:
            conditions.append(AuditEntry.at < _start_of(until + timedelta(days=1)))
    async with db.session(TenantScope.of(tenant_ids)) as session:
        entities = list((await session.execute(select(AuditEntry.entity).distinct().order_by(AuditEntry.entity)))
                        .scalars())
        if not problems:
            query = (select(AuditEntry).where(*conditions).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                     .limit(PAGE + 1))
            found = list((await session.execute(query)).scalars())
            shown, more = found[:PAGE], len(found) > PAGE
            keys = dict((await session.execute(
                select(Tenant.id, Tenant.name).where(Tenant.id.in_({r.tenant_id for r in shown}))
            )).all())
            rows = [EntryRow(at=aware(e.at).astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M:%S"), actor=e.actor_label,
                             action=e.action, entity=e.entity, entity_id=e.entity_id,
                             tenant=keys.get(e.tenant_id, ""), before=_dump(e.before), after=_dump(e.after))
                     for e in shown]
            next_cursor = _cursor(shown[-1]) if more and shown else None
    if not problems:
        filters = {k: v for k, v in {**params, "below": below}.items() if v and k != "after"}
        async with db.session(TenantScope.of(current.tenant.id)) as session:
            await record(session, tenant_id=current.tenant.id, action="read", entity="audit_log",
                         entity_id="page", after={"filters": filters, "returned": len(rows)})
    errors = FormErrors(UserError("BAD_USER_INPUT", ("Bộ lọc chưa hợp lệ", "Some filters are not valid"), problems)
                        if problems else None, lang)
    base = tenant_path(current.tenant.key)
    next_params = {k: v for k, v in {**params, "below": "1" if below else ""}.items() if v and k != "after"}
    return await page(request, "admin/audit.html", {
        "rows": rows, "filters": params, "below": below, "entities": entities, "errors": errors,
        "base": base, "next_params": {**next_params, "after": next_cursor} if next_cursor else None,
        "has_units_below": current.tenant.level != "ward",
    }, status_code=400 if problems else 200)


ROUTES = [audit_page]
