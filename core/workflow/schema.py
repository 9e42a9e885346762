"""The change workflow in GraphQL: core query fields ``changeRequests``, ``changeRequest`` and ``inbox``
(Relay connections), and mutations ``proposeChange``, ``reviewChange``, ``approveChange``,
``rejectChange``, ``withdrawChange``, ``markNotificationRead`` and ``setApprovalTiers``.

Thin over :mod:`core.workflow.services`, with the caller's access in the unit of ``X-Tenant``; errors are
the services' ``UserError`` codes (``FORBIDDEN``, ``CONFLICT``, ``BAD_USER_INPUT`` with ``fields``…).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from core.access.guards import request_access
from core.errors import UserError
from core.graphql.relay import Connection, paginate
from core.workflow import services
from core.workflow.models import ChangeRequest, Notification
from core.workflow.types import ChangeTypes


async def _caller(info: Info) -> services.Caller:
    from core.workflow.routes import caller_of

    current = info.context.tenant
    if current is None:
        raise UserError("BAD_USER_INPUT", ("Hãy chọn đơn vị (X-Tenant)", "Choose a unit (X-Tenant)"),
                        {"X-Tenant": ("Hãy chọn đơn vị", "Choose a unit")})
    access = await request_access(info.context.request)
    if access.principal is None:
        raise UserError("UNAUTHENTICATED", ("Cần đăng nhập", "Sign-in required"))
    if not current.allowed:
        raise UserError("FORBIDDEN", (f"Bạn không có vai trò tại {current.tenant.name}",
                                      f"You hold no role in {current.tenant.name}"))
    return caller_of(access, current)


def _types(info: Info) -> ChangeTypes:
    return info.context.request.app.state.change_types


@strawberry.type(name="ChangeRequest")
class ChangeRequestType:
    id: uuid.UUID
    plugin: str
    change_type: str
    title: str
    target_entity: str
    target_id: uuid.UUID
    values: JSON
    target_version: int
    tiers: int
    state: str
    note: str | None
    proposer: str
    reviewed_at: datetime | None
    decided_at: datetime | None
    reason: str | None
    created_at: datetime
    actions: list[str] = strawberry.field(description="What the caller may do now: review, approve, reject, withdraw.")


@strawberry.type(name="Notification")
class NotificationType:
    id: uuid.UUID
    kind: str
    recipient_role: str | None
    change_request_id: uuid.UUID | None
    created_at: datetime
    read: bool


def _request(row: ChangeRequest, info: Info, caller: services.Caller) -> ChangeRequestType:
    change_type = _types(info).get(row.plugin, row.change_type)
    return ChangeRequestType(
        id=row.id, plugin=row.plugin, change_type=row.change_type,
        title=change_type.title(info.context.lang) if change_type else f"{row.plugin}.{row.change_type}",
        target_entity=row.target_entity, target_id=row.target_id, values=row.values,
        target_version=row.target_version, tiers=row.tiers, state=row.state, note=row.note,
        proposer=row.proposer_label, reviewed_at=row.reviewed_at, decided_at=row.decided_at, reason=row.reason,
        created_at=row.created_at, actions=services.actions_for(caller, row),
    )


def _notification(row: Notification) -> NotificationType:
    return NotificationType(id=row.id, kind=row.kind, recipient_role=row.recipient_role,
                            change_request_id=row.change_request_id, created_at=row.created_at,
                            read=row.read_at is not None)


@strawberry.type
class WorkflowQuery:
    """Core fields of the change workflow (mixed into the core query root)."""

    @strawberry.field(description="Change requests of the unit (deciders) or the caller's own.")
    async def change_requests(self, info: Info, state: str | None = None, first: int | None = None,
                              after: str | None = None) -> Connection[ChangeRequestType]:
        caller = await _caller(info)
        return await paginate(info.context.session, services.requests_query(caller, state), ChangeRequest.id,
                              first=first, after=after, to_node=lambda row: _request(row, info, caller))

    @strawberry.field(description="One change request the caller may see.")
    async def change_request(self, info: Info, id: uuid.UUID) -> ChangeRequestType:
        caller = await _caller(info)
        return _request(await services.get_request(info.context.session, caller, id), info, caller)

    @strawberry.field(description="The caller's notifications in the unit (to them or to a role they hold).")
    async def inbox(self, info: Info, unread: bool = False, first: int | None = None,
                    after: str | None = None) -> Connection[NotificationType]:
        caller = await _caller(info)
        return await paginate(info.context.session, services.inbox_query(caller, unread_only=unread),
                              Notification.id, first=first, after=after, to_node=_notification)


@strawberry.input
class ProposeChangeInput:
    plugin: str
    change_type: str
    target_id: uuid.UUID
    values: JSON
    note: str | None = None


@strawberry.input
class ChangeStepInput:
    id: uuid.UUID
    reason: str | None = strawberry.field(default=None, description="Required to reject.")


@strawberry.type
class ChangeRequestPayload:
    change_request: ChangeRequestType


@strawberry.input
class NotificationInput:
    id: uuid.UUID


@strawberry.type
class NotificationPayload:
    notification: NotificationType


@strawberry.input
class ApprovalTiersInput:
    tiers: int


@strawberry.type
class ApprovalTiersPayload:
    tiers: int


async def _payload(info: Info, caller: services.Caller, row: ChangeRequest) -> ChangeRequestPayload:
    return ChangeRequestPayload(change_request=_request(row, info, caller))


@strawberry.mutation(description="Propose a change (a resident, for their own household).")
async def propose_change(info: Info, input: ProposeChangeInput) -> ChangeRequestPayload:
    caller = await _caller(info)
    data: dict[str, Any] = {"plugin": input.plugin, "change_type": input.change_type, "target_id": input.target_id,
                            "values": input.values, "note": input.note}
    return await _payload(info, caller, await services.propose(info.context.session, _types(info), caller, data))


@strawberry.mutation(description="Review a submitted change (a ward officer, with 3 tiers).")
async def review_change(info: Info, input: ChangeStepInput) -> ChangeRequestPayload:
    caller = await _caller(info)
    return await _payload(info, caller, await services.review(info.context.session, caller, input.id))


@strawberry.mutation(description="Approve a change, which applies it (CONFLICT if the record changed since).")
async def approve_change(info: Info, input: ChangeStepInput) -> ChangeRequestPayload:
    caller = await _caller(info)
    row = await services.approve(info.context.session, _types(info), caller, input.id)
    return await _payload(info, caller, row)


@strawberry.mutation(description="Reject a change, giving a reason.")
async def reject_change(info: Info, input: ChangeStepInput) -> ChangeRequestPayload:
    caller = await _caller(info)
    return await _payload(info, caller, await services.reject(info.context.session, caller, input.id, input.reason))


@strawberry.mutation(description="Withdraw one's own change before a decision.")
async def withdraw_change(info: Info, input: ChangeStepInput) -> ChangeRequestPayload:
    caller = await _caller(info)
    return await _payload(info, caller, await services.withdraw(info.context.session, caller, input.id))


@strawberry.mutation(description="Mark a notification of the inbox as read.")
async def mark_notification_read(info: Info, input: NotificationInput) -> NotificationPayload:
    caller = await _caller(info)
    return NotificationPayload(notification=_notification(
        await services.mark_read(info.context.session, caller, input.id)))


@strawberry.mutation(description="Choose 2 or 3 approval tiers for the unit.")
async def set_approval_tiers(info: Info, input: ApprovalTiersInput) -> ApprovalTiersPayload:
    caller = await _caller(info)
    return ApprovalTiersPayload(tiers=await services.set_tiers(info.context.session, caller, input.tiers))


MUTATIONS = [propose_change, review_change, approve_change, reject_change, withdraw_change,
             mark_notification_read, set_approval_tiers]
