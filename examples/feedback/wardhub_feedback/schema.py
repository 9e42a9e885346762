"""GraphQL of ``feedback``: the root field ``feedback { categories reports report track mine stats settings }`` and
the mutations ``feedbackFileReport``, ``feedbackAssignReport``, ``feedbackUpdateStatus``, ``feedbackReply`` and
``feedbackUpdateSettings``, thin over :mod:`services`. Resolvers use the request's session only (a block of
several statements takes it with ``exclusive()``), never a second connection.

The gateway answers only signed-in callers and tokens; anonymous visitors file through ``POST
/t/<unit>/feedback/reports`` and follow with ``GET /t/<unit>/feedback/tracking/<code>``.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime

import strawberry
from sqlalchemy import select
from strawberry.permission import PermissionExtension

from core.toolkit import Connection, GraphQLContribution, Requires, paginate
from wardhub_feedback import services
from wardhub_feedback.models import Report, Update
from wardhub_feedback.services import CATEGORIES, Actor


def needs(permission: str) -> list[PermissionExtension]:
    return [PermissionExtension([Requires(permission)])]


@strawberry.type(name="FeedbackCategory")
class CategoryNode:
    code: str
    title: str


@strawberry.type(name="FeedbackUpdate")
class UpdateNode:
    kind: str
    from_status: str | None
    to_status: str | None
    message: str | None
    at: datetime


def update_node(update: Update) -> UpdateNode:
    return UpdateNode(kind=update.kind, from_status=update.from_status, to_status=update.to_status,
                      message=update.message, at=services.aware(update.created_at))


@strawberry.type(name="FeedbackReport")
class ReportNode:
    id: uuid.UUID
    code: str
    category: str
    status: str
    description: str
    lat: float | None
    lng: float | None
    address: str | None
    anonymous: bool
    assignee: str | None
    created_at: datetime
    resolved_at: datetime | None

    @strawberry.field
    async def updates(self, info: strawberry.Info) -> list[UpdateNode]:
        """The report's public history (filing, status changes, replies), oldest first."""
        async def load(ids):
            rows = await info.context.session.execute(
                select(Update).where(Update.report_id.in_(ids)).order_by(Update.created_at, Update.id))
            grouped = defaultdict(list)
            for row in rows.scalars():
                if row.kind in ("filed", "status", "reply"):
                    grouped[row.report_id].append(update_node(row))
            return [grouped[i] for i in ids]

        return await info.context.loader("feedback.updates", load).load(self.id)


def report_node(report: Report) -> ReportNode:
    return ReportNode(id=report.id, code=report.code, category=report.category, status=report.status,
                      description=report.description, lat=report.lat, lng=report.lng, address=report.address,
                      anonymous=report.reporter_user_id is None, assignee=report.assignee_name,
                      created_at=services.aware(report.created_at), resolved_at=services.aware(report.resolved_at))


@strawberry.type(name="FeedbackCount")
class CountNode:
    key: str
    count: int


@strawberry.type(name="FeedbackStats")
class StatsNode:
    total: int
    by_category: list[CountNode]
    by_status: list[CountNode]
    resolved_share: float
    median_days_to_resolve: float | None
    overdue_days: int
    overdue: list[ReportNode]


@strawberry.type(name="FeedbackSettings")
class SettingsNode:
    overdue_days: int
    anonymous_per_hour: int


def actor(info: strawberry.Info) -> Actor:
    current = info.context.tenant
    principal = current.principal if current is not None else None
    if principal is None:
        return services.ANONYMOUS
    permissions = current.grant.permissions if current.allowed and current.grant is not None else frozenset()
    return Actor(principal.user_id, principal.label, frozenset(permissions))


@strawberry.type(name="FeedbackQuery")
class Query:
    @strawberry.field(extensions=needs("feedback.report:file"))
    def categories(self, info: strawberry.Info) -> list[CategoryNode]:
        lang = info.context.lang
        return [CategoryNode(code=c, title=en if lang == "en" else vi) for c, (vi, en) in CATEGORIES.items()]

    @strawberry.field(extensions=needs("feedback.report:read"))
    async def reports(self, info: strawberry.Info, first: int | None = None, after: str | None = None,
                      status: str | None = None, category: str | None = None) -> Connection[ReportNode]:
        query = select(Report)
        if status is not None:
            if status not in services.STATUSES:
                raise services.bad_input("status", "Trạng thái không hợp lệ", "Unknown status")
            query = query.where(Report.status == status)
        if category is not None:
            if category not in CATEGORIES:
                raise services.bad_input("category", "Lĩnh vực không hợp lệ", "Unknown category")
            query = query.where(Report.category == category)
        return await paginate(info.context.session, query, Report.id, first=first, after=after, to_node=report_node)

    @strawberry.field(extensions=needs("feedback.report:read"))
    async def report(self, info: strawberry.Info, id: uuid.UUID) -> ReportNode:
        return report_node(await services.get_report(info.context.session, id))

    @strawberry.field(extensions=needs("feedback.report:file"))
    async def track(self, info: strawberry.Info, code: str) -> ReportNode:
        """A report by its tracking code (what its reporter may follow)."""
        node = report_node(await services.by_code(info.context.session, code))
        node.assignee = None  # the reporter does not see who handles it
        return node

    @strawberry.field(extensions=needs("feedback.report:file"))
    async def mine(self, info: strawberry.Info) -> list[ReportNode]:
        user = actor(info).user_id
        if user is None:
            return []
        return [report_node(r) for r in await services.reports(info.context.session, reporter=user)]

    @strawberry.field(extensions=needs("feedback.stats:read"))
    async def stats(self, info: strawberry.Info) -> StatsNode:
        async with info.context.session.exclusive() as session:
            figures = await services.stats(session)
        return StatsNode(
            total=figures["total"],
            by_category=[CountNode(key=k, count=v) for k, v in figures["by_category"].items()],
            by_status=[CountNode(key=k, count=v) for k, v in figures["by_status"].items()],
            resolved_share=figures["resolved_share"], median_days_to_resolve=figures["median_days_to_resolve"],
            overdue_days=figures["overdue_days"], overdue=[report_node(r) for r in figures["overdue"]])

    @strawberry.field(extensions=needs("feedback.stats:read"))
    async def settings(self, info: strawberry.Info) -> SettingsNode:
        return SettingsNode(**await services.settings(info.context.session))


@strawberry.input(name="FeedbackFileReportInput")
class FileReportInput:
    category: str
    description: str
    lat: float | None = None
    lng: float | None = None
    address: str | None = None
    name: str | None = None
    contact: str | None = None


@strawberry.type(name="FeedbackReportPayload")
class ReportPayload:
    report: ReportNode


@strawberry.mutation(name="feedbackFileReport", extensions=needs("feedback.report:file"))
async def file_report(info: strawberry.Info, input: FileReportInput) -> ReportPayload:
    data = {k: v for k, v in strawberry.asdict(input).items() if v is not None}
    request = info.context.request
    async with info.context.session.exclusive() as session:
        report = await services.file_report(session, info.context.tenant.tenant.id, data, actor(info),
                                            client=request.client.host if request.client else None)
    return ReportPayload(report=report_node(report))


@strawberry.input(name="FeedbackAssignReportInput")
class AssignInput:
    report_id: uuid.UUID
    assignee: str
    note: str | None = None


@strawberry.mutation(name="feedbackAssignReport", extensions=needs("feedback.report:assign"))
async def assign_report(info: strawberry.Info, input: AssignInput) -> ReportPayload:
    async with info.context.session.exclusive() as session:
        report = await services.get_report(session, input.report_id)
        report = await services.assign_to(info.context.request, session, report,
                                 {"assignee": input.assignee, "note": input.note}, actor(info))
    return ReportPayload(report=report_node(report))


@strawberry.input(name="FeedbackUpdateStatusInput")
class StatusInput:
    report_id: uuid.UUID
    status: str
    reply: str | None = None


@strawberry.mutation(name="feedbackUpdateStatus", extensions=needs("feedback.report:handle"))
async def update_status(info: strawberry.Info, input: StatusInput) -> ReportPayload:
    async with info.context.session.exclusive() as session:
        report = await services.get_report(session, input.report_id)
        report = await services.change_status(session, report, {"status": input.status, "reply": input.reply},
                                              actor(info))
    return ReportPayload(report=report_node(report))


@strawberry.input(name="FeedbackReplyInput")
class ReplyInput:
    report_id: uuid.UUID
    message: str


@strawberry.type(name="FeedbackReplyPayload")
class ReplyPayload:
    update: UpdateNode


@strawberry.mutation(name="feedbackReply", extensions=needs("feedback.report:handle"))
async def reply(info: strawberry.Info, input: ReplyInput) -> ReplyPayload:
    async with info.context.session.exclusive() as session:
        report = await services.get_report(session, input.report_id)
        update = await services.reply(session, report, {"message": input.message}, actor(info))
    return ReplyPayload(update=update_node(update))


@strawberry.input(name="FeedbackUpdateSettingsInput")
class SettingsInput:
    overdue_days: int | None = None
    anonymous_per_hour: int | None = None


@strawberry.type(name="FeedbackSettingsPayload")
class SettingsPayload:
    settings: SettingsNode


@strawberry.mutation(name="feedbackUpdateSettings", extensions=needs("feedback.settings:write"))
async def update_settings(info: strawberry.Info, input: SettingsInput) -> SettingsPayload:
    data = {k: v for k, v in strawberry.asdict(input).items() if v is not None}
    async with info.context.session.exclusive() as session:
        values = await services.update_settings(session, data)
    return SettingsPayload(settings=SettingsNode(**values))


contribution = GraphQLContribution(query=Query, mutations=[file_report, assign_report, update_status, reply,
                                                           update_settings])
