"""The change workflow's rules, callable without HTTP (routes, GraphQL and tests come through here).

States: ``submitted → reviewed → approved | rejected``, or ``withdrawn`` by the proposer before a
decision. With 3 tiers (the default) a ward officer (``core.change:review``) reviews and the ward chair
(``core.change:approve``) approves; with 2 tiers the officer, or the chair, approves a submitted request
directly. Either may reject an open request they may act on, giving a reason. Nobody decides on their
own proposal.

Who may propose what: the caller needs ``core.change:propose`` and must see the target through the
plugin's row filters (the change type's ``resource``): a resident sees only their own household's
rows, so proposes only for them (``FORBIDDEN`` otherwise).

Approval applies the change in the caller's transaction: the request's transition is written first, as
``UPDATE … WHERE version = n`` (and on PostgreSQL the request row is locked ``FOR UPDATE`` when read), so
of two approvals at once exactly one goes on; then the target is read again, and if its version is no
longer the one proposed against, the answer is ``CONFLICT`` and, the transaction rolling back, nothing is
applied. Otherwise the values are validated again and the plugin's ``apply`` makes the change.

Every transition is an ORM write of the request row, which core's audit log records with its actor.
Each step leaves a notification for the next actor (a role, or the proposer) and marks the ones it
answered as handled.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql import Select

from core.audit.recorder import jsonable
from core.db.base import utcnow
from core.errors import UserError, bad_input, conflict, not_found
from core.workflow.models import (
    APPROVED,
    DEFAULT_TIERS,
    OPEN,
    REJECTED,
    REVIEWED,
    SUBMITTED,
    WITHDRAWN,
    ChangeRequest,
    Notification,
    WorkflowSettings,
)
from core.workflow.types import ChangeType, ChangeTypes

PROPOSE, REVIEW, APPROVE, CONFIGURE = "core.change:propose", "core.change:review", "core.change:approve", \
    "core.change:configure"
REVIEWER_ROLE, APPROVER_ROLE = "ward_officer", "ward_chair"
MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class Caller:
    """Who acts, as the workflow needs to know them: the account, the roles and permissions held in the
    tenant, the plugins the tenant has enabled, and ``narrow(statement, resource)`` applying the caller's
    row filters (identity by default: not limited)."""

    user_id: uuid.UUID | None
    label: str
    roles: frozenset[str] = frozenset()
    permissions: frozenset[str] = frozenset()
    plugins: frozenset[str] | None = None
    narrow: Callable[[Select, str], Select] = field(default=lambda statement, _resource: statement)

    def may(self, permission: str) -> bool:
        return permission in self.permissions


def forbidden(vi: str, en: str) -> UserError:
    return UserError("FORBIDDEN", (vi, en))


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def _parse_id(value: Any, field_name: str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        raise bad_input(field_name, "Mã định danh không hợp lệ", "Not a valid id") from None


# -- settings ------------------------------------------------------------------------------------------

async def get_tiers(session: AsyncSession) -> int:
    """The tenant's number of approval tiers (2 or 3; 3 when never set)."""
    tiers = await session.scalar(select(WorkflowSettings.tiers))
    return int(tiers) if tiers is not None else DEFAULT_TIERS


async def set_tiers(session: AsyncSession, caller: Caller, tiers: Any) -> int:
    """Choose 2 or 3 tiers for the tenant (``core.change:configure``). Open requests keep the number of
    tiers they were proposed under."""
    if not caller.may(CONFIGURE):
        raise forbidden("Bạn không có quyền cấu hình quy trình phê duyệt",
                        "You may not configure the approval workflow")
    if isinstance(tiers, bool) or tiers not in (2, 3, "2", "3"):
        raise bad_input("tiers", "Số cấp phê duyệt phải là 2 hoặc 3", "The number of tiers must be 2 or 3")
    row = (await session.execute(select(WorkflowSettings))).scalar_one_or_none()
    if row is None:
        row = WorkflowSettings(tiers=int(tiers))
        session.add(row)
    else:
        row.tiers = int(tiers)
    await session.flush()
    return row.tiers


# -- proposing -----------------------------------------------------------------------------------------

def change_type_of(types: ChangeTypes, caller: Caller, plugin: Any, name: Any) -> ChangeType:
    change_type = types.get(str(plugin or ""), str(name or ""))
    if change_type is None or (caller.plugins is not None and plugin not in caller.plugins):
        raise bad_input("change_type", "Loại thay đổi không có ở đơn vị này",
                        "This kind of change is not available in this unit")
    return change_type


async def propose(session: AsyncSession, types: ChangeTypes, caller: Caller, data: Mapping[str, Any]) -> ChangeRequest:
    """A new request: ``plugin``, ``change_type``, ``target_id``, ``values`` (an object), ``note``."""
    if not caller.may(PROPOSE):
        raise forbidden("Bạn không có quyền đề xuất thay đổi", "You may not propose changes")
    change_type = change_type_of(types, caller, data.get("plugin"), data.get("change_type"))
    target_id = _parse_id(data.get("target_id"), "target_id")
    values = data.get("values")
    if not isinstance(values, Mapping):
        raise bad_input("values", "Nội dung đề xuất phải là một đối tượng", "The proposed values must be an object")
    model = change_type.model
    target = (await session.execute(
        caller.narrow(select(model).where(model.id == target_id), change_type.resource))).scalar_one_or_none()
    if target is None:
        if await session.scalar(select(model.id).where(model.id == target_id)) is not None:
            raise forbidden("Bạn chỉ được đề xuất thay đổi cho hộ gia đình của mình",
                            "You may only propose changes for your own household")
        raise not_found("Không tìm thấy đối tượng cần thay đổi", "No such record to change")
    cleaned = await _maybe_await(change_type.validate(session, target, values))
    note = " ".join(str(data.get("note") or "").split())[:MAX_REASON] or None
    request = ChangeRequest(
        plugin=str(data["plugin"]), change_type=change_type.name, target_entity=model.__tablename__,
        target_id=target_id, values=jsonable(dict(cleaned)), target_version=change_type.version(target),
        tiers=await get_tiers(session), state=SUBMITTED, note=note, proposer_id=caller.user_id,
        proposer_label=caller.label[:120],
    )
    session.add(request)
    await session.flush()
    _notify(session, request, SUBMITTED, role=REVIEWER_ROLE)
    await session.flush()
    return request


# -- reading -------------------------------------------------------------------------------------------

def _visible(caller: Caller) -> Any:
    """Deciders see every request of the tenant; others their own."""
    if caller.may(REVIEW) or caller.may(APPROVE):
        return None
    return ChangeRequest.proposer_id == caller.user_id if caller.user_id else ChangeRequest.id.is_(None)


def requests_query(caller: Caller, state: str | None = None) -> Select:
    """The requests ``caller`` may see (all of the unit's for deciders, else their own), of ``state``."""
    query = select(ChangeRequest)
    clause = _visible(caller)
    if clause is not None:
        query = query.where(clause)
    if state:
        query = query.where(ChangeRequest.state == state)
    return query


async def list_requests(session: AsyncSession, caller: Caller, *, state: str | None = None,
                        limit: int = 100) -> list[ChangeRequest]:
    query = requests_query(caller, state).order_by(ChangeRequest.created_at.desc(), ChangeRequest.id.desc())
    return list((await session.execute(query.limit(min(max(limit, 1), 500)))).scalars())


async def get_request(session: AsyncSession, caller: Caller, request_id: Any, *, lock: bool = False) -> ChangeRequest:
    query = select(ChangeRequest).where(ChangeRequest.id == _parse_id(request_id, "id"))
    clause = _visible(caller)
    if clause is not None:
        query = query.where(clause)
    if lock:  # PostgreSQL: a second actor waits here, then sees the first one's outcome
        query = query.with_for_update()
    request = (await session.execute(query)).scalar_one_or_none()
    if request is None:
        raise not_found("Không tìm thấy yêu cầu thay đổi", "No such change request")
    return request


def actions_for(caller: Caller, request: ChangeRequest) -> list[str]:
    """What ``caller`` may do to ``request`` now: ``review``, ``approve``, ``reject``, ``withdraw``."""
    actions: list[str] = []
    own = caller.user_id is not None and request.proposer_id == caller.user_id
    if request.state not in OPEN:
        return actions
    if own:
        return ["withdraw"]
    if request.state == SUBMITTED and request.tiers == 3 and caller.may(REVIEW):
        actions.append("review")
    if (request.state == REVIEWED and caller.may(APPROVE)) or (
            request.state == SUBMITTED and request.tiers == 2 and (caller.may(REVIEW) or caller.may(APPROVE))):
        actions.append("approve")
    if (request.state == SUBMITTED and (caller.may(REVIEW) or caller.may(APPROVE))) or (
            request.state == REVIEWED and caller.may(APPROVE)):
        actions.append("reject")
    return actions


async def pending_for(session: AsyncSession, caller: Caller, limit: int = 200) -> list[ChangeRequest]:
    """Open requests waiting for something ``caller`` may do (their own: to withdraw)."""
    rows = await list_requests(session, caller, limit=limit)
    return [r for r in rows if actions_for(caller, r)]


# -- transitions ---------------------------------------------------------------------------------------

def _check(caller: Caller, request: ChangeRequest, action: str) -> None:
    if action in actions_for(caller, request):
        return
    if request.state not in OPEN:
        raise conflict("Yêu cầu đã được xử lý hoặc đã rút", "The request has already been decided or withdrawn")
    own = caller.user_id is not None and request.proposer_id == caller.user_id
    if own and action != "withdraw":
        raise forbidden("Không thể tự quyết định đề xuất của chính mình", "You cannot decide on your own proposal")
    if action == "withdraw":
        raise forbidden("Chỉ người đề xuất mới rút được yêu cầu", "Only the proposer can withdraw a request")
    if action == "approve" and request.state == SUBMITTED and request.tiers == 3 and caller.may(APPROVE):
        raise conflict("Yêu cầu cần được cán bộ xem xét trước khi phê duyệt",
                       "The request must be reviewed by an officer before it is approved")
    if action == "review" and request.tiers == 2:
        raise conflict("Đơn vị dùng quy trình 2 cấp: yêu cầu được phê duyệt trực tiếp",
                       "This unit uses 2 tiers: requests are approved directly")
    if action == "review" and request.state == REVIEWED:
        raise conflict("Yêu cầu đã được xem xét", "The request has already been reviewed")
    raise forbidden("Bạn không có quyền thực hiện bước này", "You may not take this step")


async def _transition(session: AsyncSession, request: ChangeRequest) -> None:
    """Write the request's new state: ``UPDATE … WHERE version = n``. A concurrent transition that got
    there first makes it a ``CONFLICT`` (on SQLite, whose writers queue for one lock, so is losing that
    race)."""
    try:
        await session.flush()
    except (StaleDataError, OperationalError) as exc:
        if isinstance(exc, OperationalError) and "locked" not in str(exc):
            raise
        raise conflict("Yêu cầu vừa được người khác xử lý; hãy tải lại",
                       "Someone else acted on the request at the same time; reload it") from exc


async def review(session: AsyncSession, caller: Caller, request_id: Any) -> ChangeRequest:
    request = await get_request(session, caller, request_id, lock=True)
    _check(caller, request, "review")
    request.state, request.reviewed_by, request.reviewed_at = REVIEWED, caller.user_id, utcnow()
    await _transition(session, request)
    await _handled(session, caller, request)
    _notify(session, request, REVIEWED, role=APPROVER_ROLE)
    await session.flush()
    return request


async def approve(session: AsyncSession, types: ChangeTypes, caller: Caller, request_id: Any) -> ChangeRequest:
    request = await get_request(session, caller, request_id, lock=True)
    _check(caller, request, "approve")
    change_type = types.get(request.plugin, request.change_type)
    if change_type is None or (caller.plugins is not None and request.plugin not in caller.plugins):
        raise conflict("Phân hệ của yêu cầu không còn hoạt động ở đơn vị này",
                       "The request's plugin is no longer active in this unit")
    now = utcnow()
    if request.state == SUBMITTED:  # 2 tiers: the approver reviewed it too
        request.reviewed_by, request.reviewed_at = caller.user_id, now
    request.state, request.decided_by, request.decided_at = APPROVED, caller.user_id, now
    await _transition(session, request)  # of two approvals at once, only one gets past this line
    model = change_type.model
    target = (await session.execute(
        select(model).where(model.id == request.target_id).with_for_update())).scalar_one_or_none()
    if target is None or change_type.version(target) != request.target_version:
        raise conflict("Dữ liệu đã thay đổi kể từ khi đề xuất; không áp dụng được, hãy đề xuất lại",
                       "The record changed since the proposal; nothing was applied, propose again")
    values = await _maybe_await(change_type.validate(session, target, request.values))
    await _maybe_await(change_type.apply(session, target, values))
    await session.flush()
    await _handled(session, caller, request)
    _notify(session, request, APPROVED, user=request.proposer_id)
    await session.flush()
    return request


async def reject(session: AsyncSession, caller: Caller, request_id: Any, reason: Any) -> ChangeRequest:
    text = " ".join(str(reason or "").split())
    if not text:
        raise bad_input("reason", "Hãy ghi lý do từ chối", "Give the reason for rejecting")
    if len(text) > MAX_REASON:
        raise bad_input("reason", f"Lý do tối đa {MAX_REASON} ký tự", f"The reason has {MAX_REASON} characters at most")
    request = await get_request(session, caller, request_id, lock=True)
    _check(caller, request, "reject")
    request.state, request.reason = REJECTED, text
    request.decided_by, request.decided_at = caller.user_id, utcnow()
    await _transition(session, request)
    await _handled(session, caller, request)
    _notify(session, request, REJECTED, user=request.proposer_id)
    await session.flush()
    return request


async def withdraw(session: AsyncSession, caller: Caller, request_id: Any) -> ChangeRequest:
    request = await get_request(session, caller, request_id, lock=True)
    _check(caller, request, "withdraw")
    request.state, request.decided_at = WITHDRAWN, utcnow()
    await _transition(session, request)
    await _handled(session, caller, request)
    await session.flush()
    return request


# -- the inbox -----------------------------------------------------------------------------------------

def _notify(session: AsyncSession, request: ChangeRequest, kind: str, *, role: str | None = None,
            user: uuid.UUID | None = None) -> None:
    if role is None and user is None:
        return
    session.add(Notification(tenant_id=request.tenant_id, recipient_role=role, recipient_user_id=user,
                             change_request_id=request.id, kind=kind))


async def _handled(session: AsyncSession, caller: Caller, request: ChangeRequest) -> None:
    """The role notifications this step answered are done, for everyone holding the role."""
    rows = (await session.execute(select(Notification).where(
        Notification.change_request_id == request.id, Notification.recipient_role.is_not(None),
        Notification.read_at.is_(None)))).scalars()
    now = utcnow()
    for row in rows:
        row.read_at, row.read_by = now, caller.user_id


def _mine(caller: Caller) -> Any:
    clauses = [Notification.recipient_role.in_(sorted(caller.roles))] if caller.roles else []
    if caller.user_id is not None:
        clauses.append(Notification.recipient_user_id == caller.user_id)
    return or_(*clauses) if clauses else Notification.id.is_(None)


def inbox_query(caller: Caller, *, unread_only: bool = False) -> Select:
    """The caller's notifications (to them, or to a role they hold in the tenant)."""
    query = select(Notification).where(_mine(caller))
    return query.where(Notification.read_at.is_(None)) if unread_only else query


async def inbox(session: AsyncSession, caller: Caller, *, unread_only: bool = False,
                limit: int = 100) -> list[tuple[Notification, ChangeRequest | None]]:
    """The caller's notifications (to them, or to a role they hold in the tenant), newest first."""
    query = (select(Notification, ChangeRequest)
             .outerjoin(ChangeRequest, (ChangeRequest.tenant_id == Notification.tenant_id)
                        & (ChangeRequest.id == Notification.change_request_id))
             .where(_mine(caller)).order_by(Notification.created_at.desc(), Notification.id.desc())
             .limit(min(max(limit, 1), 500)))
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return [(n, r) for n, r in (await session.execute(query)).all()]


async def mark_read(session: AsyncSession, caller: Caller, notification_id: Any) -> Notification:
    row = (await session.execute(select(Notification).where(
        Notification.id == _parse_id(notification_id, "id"), _mine(caller)))).scalar_one_or_none()
    if row is None:
        raise not_found("Không tìm thấy thông báo", "No such notification")
    if row.read_at is None:
        row.read_at, row.read_by = utcnow(), caller.user_id
        await session.flush()
    return row
