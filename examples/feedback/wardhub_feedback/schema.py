"""GraphQL of ``feedback``: the root field ``feedback { entries }`` and the mutation ``feedbackAddEntry``."""

from __future__ import annotations

import uuid

import strawberry
from sqlalchemy import select
from strawberry.permission import PermissionExtension

from core.toolkit import Connection, GraphQLContribution, Requires, paginate
from wardhub_feedback import services
from wardhub_feedback.models import Entry

READ = [PermissionExtension([Requires("feedback.entry:read")])]
WRITE = [PermissionExtension([Requires("feedback.entry:write")])]


@strawberry.type(name="FeedbackEntry")
class EntryNode:
    id: uuid.UUID
    title: str
    body: str | None


def node(entry: Entry) -> EntryNode:
    return EntryNode(id=entry.id, title=entry.title, body=entry.body)


@strawberry.type(name="FeedbackQuery")
class Query:
    @strawberry.field(extensions=READ)
    async def entries(self, info: strawberry.Info, first: int | None = None,
                      after: str | None = None) -> Connection[EntryNode]:
        return await paginate(info.context.session, select(Entry), Entry.id, first=first, after=after, to_node=node)


@strawberry.input(name="FeedbackAddEntryInput")
class AddEntryInput:
    title: str
    body: str | None = None


@strawberry.type(name="FeedbackEntryPayload")
class EntryPayload:
    entry: EntryNode


@strawberry.mutation(name="feedbackAddEntry", extensions=WRITE)
async def add_entry(info: strawberry.Info, input: AddEntryInput) -> EntryPayload:
    # the request's own session (never open a second one in a resolver)
    entry = await services.add_entry(info.context.session, {"title": input.title, "body": input.body})
    return EntryPayload(entry=node(entry))


contribution = GraphQLContribution(query=Query, mutations=[add_entry])
