"""The change workflow over HTTP: REST JSON under ``/t/{tenant}/workflow`` and the inbox page.

* ``GET|POST /t/{tenant}/workflow/changes`` — list (``?state=``), propose (``plugin``, ``change_type``,
  ``target_id``, ``values``, ``note``); ``GET …/changes/{id}``;
  ``POST …/changes/{id}/review|approve|reject|withdraw`` (``reject`` takes ``{"reason": …}``).
* ``GET /t/{tenant}/workflow/notifications`` (``?unread=true``), ``POST …/notifications/{id}/read``.
* ``GET|PUT /t/{tenant}/workflow/settings`` — ``{"tiers": 2|3}``.
* ``GET /t/{tenant}/inbox`` — the web page: pending requests with their buttons (HTML forms with the
  CSRF token, posting to ``/t/{tenant}/inbox/{id}/{action}``, which answers with a redirect back).
* ``GET /t/{tenant}/requests`` — the web page where a proposer follows their requests (a decider sees the
  unit's): state, when it was reviewed and decided, the reason of a rejection, a button to withdraw.

Plugins' own proposal forms call :func:`propose_from_page` (``core.toolkit.propose_change``).

Thin over :mod:`core.workflow.services`; errors are the usual ``UserError`` answers (vi/en).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from litestar import MediaType, Request, Response, get, post, put
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect
from litestar.utils.scope.state import ScopeState
from sqlalchemy.ext.asyncio import AsyncSession

from core.access.guards import RequestAccess, request_access, requires
from core.errors import UserError, bad_input
from core.web.i18n import request_language
from core.web.tenancy import RequestTenant, check_access, resolve_tenant
from core.web.ui import render, tenant_path
from core.workflow import services
from core.workflow.models import ChangeRequest, Notification
from core.workflow.services import APPROVE, CONFIGURE, PROPOSE, REVIEW, Caller
from core.workflow.types import ChangeTypes

Body = JSONBody[dict[str, Any]]
Session = NamedDependency[AsyncSession]
AccessDep = NamedDependency[RequestAccess]
Current = NamedDependency[RequestTenant | None]
BASE = "/t/{tenant:str}/workflow"
ACTIONS = ("review", "approve", "reject", "withdraw")
VIETNAM = timezone(timedelta(hours=7))


def caller_of(access: RequestAccess, current: RequestTenant | None) -> Caller:
    principal = access.principal
    if principal is None:
        raise UserError("UNAUTHENTICATED", ("Cần đăng nhập", "Sign-in required"))
    return Caller(
        user_id=principal.user_id, label=principal.label, roles=access.grant.roles,
        permissions=access.grant.permissions, plugins=current.plugins if current is not None else frozenset(),
        narrow=access.filter,
    )


async def in_tenant(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    """Guard of every workflow route: a signed-in caller holding a role that reaches the tenant (what each
    step needs beyond that, the services decide from the request's state and the unit's tiers)."""
    current = await resolve_tenant(connection)
    if current is not None:
        check_access(connection, current)
    access = await request_access(connection)
    if access.principal is None:
        raise UserError("UNAUTHENTICATED", ("Cần đăng nhập", "Sign-in required"))


def change_types(request: Request) -> ChangeTypes:
    return request.app.state.change_types


def _any_change_permission(caller: Caller) -> None:
    if not any(caller.may(p) for p in (PROPOSE, REVIEW, APPROVE)):
        raise UserError("FORBIDDEN", ("Bạn không tham gia quy trình phê duyệt ở đơn vị này",
                                      "You take no part in the approval workflow of this unit"))


def request_json(row: ChangeRequest, types: ChangeTypes, caller: Caller, lang: str) -> dict[str, Any]:
    change_type = types.get(row.plugin, row.change_type)
    return {
        "id": str(row.id), "plugin": row.plugin, "change_type": row.change_type,
        "title": change_type.title(lang) if change_type else f"{row.plugin}.{row.change_type}",
        "target_entity": row.target_entity, "target_id": str(row.target_id), "values": row.values,
        "target_version": row.target_version, "tiers": row.tiers, "state": row.state, "note": row.note,
        "proposer_id": str(row.proposer_id) if row.proposer_id else None, "proposer": row.proposer_label,
        "reviewed_by": str(row.reviewed_by) if row.reviewed_by else None,
        "reviewed_at": row.reviewed_at.isoformat() if row.reviewed_at else None,
        "decided_by": str(row.decided_by) if row.decided_by else None,
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
        "reason": row.reason, "created_at": row.created_at.isoformat() if row.created_at else None,
        "actions": services.actions_for(caller, row),
    }


async def with_targets(session: AsyncSession, types: ChangeTypes, rows: list[ChangeRequest],
                       items: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Add to each item ``target_label`` (the change type's ``describe`` of the target, one query per
    kind of target) and ``labels`` (the titles of the proposed values), for the web pages."""
    from sqlalchemy import select

    wanted: dict[type, set[uuid.UUID]] = {}
    for row in rows:
        change_type = types.get(row.plugin, row.change_type)
        if change_type is not None and change_type.describe is not None:
            wanted.setdefault(change_type.model, set()).add(row.target_id)
    found: dict[tuple[type, uuid.UUID], Any] = {}
    for model, ids in wanted.items():
        for target in (await session.execute(select(model).where(model.id.in_(sorted(ids))))).scalars():
            found[(model, target.id)] = target
    for row, item in zip(rows, items, strict=True):
        change_type = types.get(row.plugin, row.change_type)
        target = found.get((change_type.model, row.target_id)) if change_type is not None else None
        item["target_label"] = change_type.describe(target) if target is not None and change_type.describe else None
        item["labels"] = {name: change_type.field_title(name, lang) if change_type else name for name in row.values}
    return items


def notification_json(note: Notification, row: ChangeRequest | None, types: ChangeTypes, lang: str) -> dict[str, Any]:
    change_type = types.get(row.plugin, row.change_type) if row is not None else None
    return {
        "id": str(note.id), "kind": note.kind, "recipient_role": note.recipient_role,
        "recipient_user_id": str(note.recipient_user_id) if note.recipient_user_id else None,
        "change_request_id": str(note.change_request_id) if note.change_request_id else None,
        "title": change_type.title(lang) if change_type else None,
        "created_at": note.created_at.isoformat(), "read": note.read_at is not None,
    }


# -- REST ----------------------------------------------------------------------------------------------

@post(f"{BASE}/changes", guards=[requires(PROPOSE)], status_code=201)
async def propose_change(request: Request, db_session: Session, access: AccessDep, current_tenant: Current,
                         data: Body) -> dict[str, Any]:
    caller = caller_of(access, current_tenant)
    row = await services.propose(db_session, change_types(request), caller, data)
    return request_json(row, change_types(request), caller, request_language(request))


@get(f"{BASE}/changes", guards=[in_tenant])
async def list_changes(request: Request, db_session: Session, access: AccessDep, current_tenant: Current,
                       limit: FromQuery[int] = 100) -> dict[str, Any]:
    """Requests of the unit (deciders) or the caller's own, newest first; ``?state=`` filters."""
    caller = caller_of(access, current_tenant)
    _any_change_permission(caller)
    state = request.query_params.get("state") or None
    rows = await services.list_requests(db_session, caller, state=state, limit=limit)
    lang = request_language(request)
    return {"items": [request_json(r, change_types(request), caller, lang) for r in rows]}


@get(f"{BASE}/changes/{{request_id:uuid}}", guards=[in_tenant])
async def show_change(request: Request, db_session: Session, access: AccessDep, current_tenant: Current,
                      request_id: FromPath[uuid.UUID]) -> dict[str, Any]:
    caller = caller_of(access, current_tenant)
    _any_change_permission(caller)
    row = await services.get_request(db_session, caller, request_id)
    return request_json(row, change_types(request), caller, request_language(request))


async def act(request: Request, session: AsyncSession, caller: Caller, request_id: uuid.UUID, action: str,
              reason: Any = None) -> ChangeRequest:
    _any_change_permission(caller)
    if action == "review":
        return await services.review(session, caller, request_id)
    if action == "approve":
        return await services.approve(session, change_types(request), caller, request_id)
    if action == "reject":
        return await services.reject(session, caller, request_id, reason)
    if action == "withdraw":
        return await services.withdraw(session, caller, request_id)
    raise UserError("NOT_FOUND", ("Không có thao tác này", "No such action"))


@post(f"{BASE}/changes/{{request_id:uuid}}/{{action:str}}", guards=[in_tenant], status_code=200)
async def change_action(request: Request, db_session: Session, access: AccessDep, current_tenant: Current,
                        request_id: FromPath[uuid.UUID], action: FromPath[str]) -> dict[str, Any]:
    caller = caller_of(access, current_tenant)
    body: Any = {}
    if await request.body():
        body = await request.json()
    if not isinstance(body, dict):
        raise bad_input("body", "Nội dung phải là một đối tượng JSON", "The body must be a JSON object")
    row = await act(request, db_session, caller, request_id, action, body.get("reason"))
    return request_json(row, change_types(request), caller, request_language(request))


@get(f"{BASE}/notifications", guards=[in_tenant])
async def list_notifications(request: Request, db_session: Session, access: AccessDep, current_tenant: Current,
                             unread: FromQuery[bool] = False) -> dict[str, Any]:
    caller = caller_of(access, current_tenant)
    rows = await services.inbox(db_session, caller, unread_only=unread)
    lang = request_language(request)
    return {"items": [notification_json(n, r, change_types(request), lang) for n, r in rows]}


@post(f"{BASE}/notifications/{{notification_id:uuid}}/read", guards=[in_tenant], status_code=200)
async def read_notification(request: Request, db_session: Session, access: AccessDep, current_tenant: Current,
                            notification_id: FromPath[uuid.UUID]) -> dict[str, Any]:
    caller = caller_of(access, current_tenant)
    note = await services.mark_read(db_session, caller, notification_id)
    return notification_json(note, None, change_types(request), request_language(request))


@get(f"{BASE}/settings", guards=[in_tenant])
async def show_settings(db_session: Session, access: AccessDep, current_tenant: Current) -> dict[str, Any]:
    caller_of(access, current_tenant)
    return {"tiers": await services.get_tiers(db_session)}


@put(f"{BASE}/settings", guards=[requires(CONFIGURE)])
async def change_settings(db_session: Session, access: AccessDep, current_tenant: Current,
                          data: Body) -> dict[str, Any]:
    caller = caller_of(access, current_tenant)
    return {"tiers": await services.set_tiers(db_session, caller, data.get("tiers"))}


# -- the inbox page ------------------------------------------------------------------------------------

@get("/t/{tenant:str}/inbox", guards=[in_tenant], media_type=MediaType.HTML)
async def inbox_page(request: Request, db_session: Session, access: AccessDep, current_tenant: Current) -> Response:
    caller = caller_of(access, current_tenant)
    lang = request_language(request)
    types = change_types(request)
    rows = await services.pending_for(db_session, caller)
    pending = await with_targets(db_session, types, rows, [request_json(r, types, caller, lang) for r in rows], lang)
    notes = [notification_json(n, r, types, lang) for n, r in await services.inbox(db_session, caller, limit=50)]
    token = ScopeState.from_scope(request.scope).csrf_token
    done = request.query_params.get("done")
    return await render(request, "workflow/inbox.html", {
        "pending": pending, "notifications": notes, "csrf": token if isinstance(token, str) else "",
        "base": tenant_path(current_tenant.tenant.key) if current_tenant else "",
        "done": done if done in ACTIONS else None,
    })


@post("/t/{tenant:str}/inbox/{request_id:uuid}/{action:str}", guards=[in_tenant], status_code=303)
async def inbox_action(request: Request, db_session: Session, access: AccessDep, current_tenant: Current,
                       request_id: FromPath[uuid.UUID], action: FromPath[str]) -> Response:
    caller = caller_of(access, current_tenant)
    form = await request.form()
    await act(request, db_session, caller, request_id, action, form.get("reason"))
    key = current_tenant.tenant.key if current_tenant else ""
    page = "requests" if form.get("back") == "requests" else "inbox"  # the page the button was on
    return Redirect(path=f"{tenant_path(key)}/{page}?done={action}", status_code=303)


@get("/t/{tenant:str}/requests", guards=[in_tenant], media_type=MediaType.HTML)
async def requests_page(request: Request, db_session: Session, access: AccessDep, current_tenant: Current) -> Response:
    """The caller's requests (a decider: the unit's), newest first, with their state and decisions."""
    caller = caller_of(access, current_tenant)
    _any_change_permission(caller)
    lang = request_language(request)
    types = change_types(request)
    found = await services.list_requests(db_session, caller, limit=100)
    rows = await with_targets(db_session, types, found, [request_json(r, types, caller, lang) for r in found], lang)
    token = ScopeState.from_scope(request.scope).csrf_token
    done = request.query_params.get("done")
    return await render(request, "workflow/requests.html", {
        "requests": rows, "when": _local_time, "csrf": token if isinstance(token, str) else "",
        "base": tenant_path(current_tenant.tenant.key) if current_tenant else "",
        "done": done if done in (*ACTIONS, "proposed") else None,
    })


def _local_time(value: str | None) -> str:
    """An ISO timestamp as Vietnam's wall-clock time (UTC+7, no daylight saving): ``dd/mm/yyyy hh:mm``."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")


async def propose_from_page(request: Request, session: AsyncSession, access: RequestAccess,
                            data: dict[str, Any]) -> ChangeRequest:
    """Propose a change as the signed-in caller of ``request``, for a plugin's own web form: ``data`` as for
    ``POST …/workflow/changes``. Raises :class:`~core.errors.UserError` (``BAD_USER_INPUT`` with ``fields``
    named ``values.<field>``, ``FORBIDDEN``, ``NOT_FOUND``) for the form to show."""
    caller = caller_of(access, access.tenant)
    return await services.propose(session, change_types(request), caller, data)


ROUTES = [propose_change, list_changes, show_change, change_action, list_notifications, read_notification,
          show_settings, change_settings, inbox_page, inbox_action, requests_page]
