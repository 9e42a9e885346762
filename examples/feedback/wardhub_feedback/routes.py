"""Routes under ``/t/{tenant}/feedback``: REST JSON over :mod:`services`, and the plugin's page."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import JSONBody

from core.toolkit import DbSession, render, requires
from wardhub_feedback import services
from wardhub_feedback.models import Entry

READ, WRITE = requires("feedback.entry:read"), requires("feedback.entry:write")


def entry_json(entry: Entry) -> dict[str, Any]:
    return {"id": str(entry.id), "title": entry.title, "body": entry.body}


@get("/entries", guards=[READ])
async def list_entries(db_session: DbSession) -> list[dict[str, Any]]:
    return [entry_json(e) for e in await services.entries(db_session)]


@post("/entries", status_code=201, guards=[WRITE])
async def add_entry(db_session: DbSession, data: JSONBody[Any]) -> dict[str, Any]:
    return entry_json(await services.add_entry(db_session, data))


@get("/", guards=[READ])
async def page(request: Request, db_session: DbSession) -> Response:
    return await render(request, "feedback/index.html", {"entries": await services.entries(db_session)})


ROUTES = [list_entries, add_entry, page]
