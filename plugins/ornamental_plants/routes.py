"""Routes under ``/t/{tenant}/ornamental_plants``: REST JSON over :mod:`services`, photo upload and download,
and the overview page."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, delete, get, post
from litestar.params import FromPath, JSONBody
from sqlalchemy import select

from core.toolkit import DbSession, bad_input, requires
from core.web.ui import render
from plugins.ornamental_plants import services, storage
from plugins.ornamental_plants.models import Association, Entry, Event, Member, Photo, Specimen, Trader

Body = JSONBody[dict[str, Any]]
READ, WRITE = requires("ornamental_plants.registry:read"), requires("ornamental_plants.registry:write")


def _d(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _id(value: Any) -> str | None:
    return str(value) if value is not None else None


def association_json(a: Association) -> dict[str, Any]:
    return {"id": str(a.id), "name": a.name, "founded_on": _d(a.founded_on), "address": a.address, "note": a.note}


def member_json(m: Member) -> dict[str, Any]:
    return {"id": str(m.id), "association_id": str(m.association_id), "person_id": str(m.person_id),
            "full_name": m.full_name, "role": m.role, "joined_on": _d(m.joined_on), "left_on": _d(m.left_on)}


def specimen_json(s: Specimen) -> dict[str, Any]:
    return {"id": str(s.id), "code": s.code, "kind": s.kind, "name": s.name, "species": s.species,
            "description": s.description, "owner_name": s.owner_name, "owner_person_id": _id(s.owner_person_id),
            "association_id": _id(s.association_id)}


def photo_json(p: Photo) -> dict[str, Any]:
    return {"id": str(p.id), "specimen_id": str(p.specimen_id), "content_type": p.content_type, "size": p.size,
            "sha256": p.sha256}


def event_json(e: Event) -> dict[str, Any]:
    return {"id": str(e.id), "name": e.name, "kind": e.kind, "starts_on": _d(e.starts_on), "ends_on": _d(e.ends_on),
            "venue": e.venue, "association_id": _id(e.association_id)}


def entry_json(e: Entry) -> dict[str, Any]:
    return {"id": str(e.id), "event_id": str(e.event_id), "specimen_id": str(e.specimen_id), "award": e.award}


def trader_json(t: Trader) -> dict[str, Any]:
    return {"id": str(t.id), "name": t.name, "owner_name": t.owner_name, "address": t.address,
            "kinds": t.kinds.split(",") if t.kinds else [], "phone": t.phone}


async def _all(db_session: Any, model: type, order: Any) -> list[Any]:
    return list((await db_session.execute(select(model).order_by(order))).scalars())


@get("/associations", guards=[READ])
async def list_associations(db_session: DbSession) -> list[dict[str, Any]]:
    return [association_json(a) for a in await _all(db_session, Association, Association.name)]


@post("/associations", status_code=201, guards=[WRITE])
async def create_association(db_session: DbSession, data: Body) -> dict[str, Any]:
    return association_json(await services.create_association(db_session, data))


@get("/associations/{association_id:str}/members", guards=[READ])
async def list_members(db_session: DbSession, association_id: FromPath[str]) -> list[dict[str, Any]]:
    rows = await db_session.execute(select(Member).where(
        Member.association_id == services.parse_id(association_id, "association_id")).order_by(Member.full_name))
    return [member_json(m) for m in rows.scalars()]


@post("/associations/{association_id:str}/members", status_code=201, guards=[WRITE])
async def add_member(db_session: DbSession, association_id: FromPath[str], data: Body) -> dict[str, Any]:
    return member_json(await services.add_member(db_session, association_id, data))


@post("/members/{member_id:str}/leave", status_code=200, guards=[WRITE])
async def member_leaves(db_session: DbSession, member_id: FromPath[str], data: Body) -> dict[str, Any]:
    return member_json(await services.member_leaves(db_session, member_id, data))


@get("/specimens", guards=[READ])
async def list_specimens(db_session: DbSession) -> list[dict[str, Any]]:
    return [specimen_json(s) for s in await _all(db_session, Specimen, Specimen.code)]


@post("/specimens", status_code=201, guards=[WRITE])
async def register_specimen(db_session: DbSession, data: Body) -> dict[str, Any]:
    return specimen_json(await services.register_specimen(db_session, data))


@get("/specimens/{specimen_id:str}", guards=[READ])
async def show_specimen(db_session: DbSession, specimen_id: FromPath[str]) -> dict[str, Any]:
    specimen = await services.get_specimen(db_session, specimen_id)
    photos = await db_session.execute(select(Photo).where(Photo.specimen_id == specimen.id).order_by(Photo.created_at))
    return {**specimen_json(specimen), "photos": [photo_json(p) for p in photos.scalars()]}


@post("/specimens/{specimen_id:str}/photos", status_code=201, guards=[WRITE],
      request_max_body_size=64 * 1024 * 1024)
async def upload_photo(request: Request, db_session: DbSession, specimen_id: FromPath[str]) -> dict[str, Any]:
    """A photo as multipart field ``file`` or as the raw body; checked by content and size."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or not hasattr(upload, "read"):
            raise bad_input("file", "Hãy gửi ảnh trong trường file", "Send the photo in the field named file")
        content, filename = await upload.read(), upload.filename
    else:
        content, filename = await request.body(), request.query_params.get("filename")
    return photo_json(await services.add_photo(db_session, specimen_id, content, filename))


@get("/photos/{photo_id:str}", guards=[READ])
async def download_photo(db_session: DbSession, photo_id: FromPath[str]) -> Response:
    photo = await services._one(db_session, Photo, photo_id, "photo_id", ("ảnh", "photo"))
    content = storage.photos.read(photo.tenant_id, photo.id, photo.content_type)
    if content is None:
        raise services.not_found("Tệp ảnh không còn", "The photo file is missing")
    return Response(content, media_type=photo.content_type,
                    headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"})


@delete("/photos/{photo_id:str}", guards=[WRITE])
async def delete_photo(db_session: DbSession, photo_id: FromPath[str]) -> None:
    await services.delete_photo(db_session, photo_id)


@get("/events", guards=[READ])
async def list_events(db_session: DbSession) -> list[dict[str, Any]]:
    return [event_json(e) for e in await _all(db_session, Event, Event.starts_on)]


@post("/events", status_code=201, guards=[WRITE])
async def create_event(db_session: DbSession, data: Body) -> dict[str, Any]:
    return event_json(await services.create_event(db_session, data))


@get("/events/{event_id:str}/entries", guards=[READ])
async def list_entries(db_session: DbSession, event_id: FromPath[str]) -> list[dict[str, Any]]:
    rows = await db_session.execute(select(Entry).where(Entry.event_id == services.parse_id(event_id, "event_id")))
    return [entry_json(e) for e in rows.scalars()]


@post("/events/{event_id:str}/entries", status_code=201, guards=[WRITE])
async def enter(db_session: DbSession, event_id: FromPath[str], data: Body) -> dict[str, Any]:
    return entry_json(await services.enter(db_session, event_id, data))


@post("/entries/{entry_id:str}/award", status_code=200, guards=[WRITE])
async def award(db_session: DbSession, entry_id: FromPath[str], data: Body) -> dict[str, Any]:
    return entry_json(await services.award(db_session, entry_id, data))


@get("/traders", guards=[READ])
async def list_traders(db_session: DbSession) -> list[dict[str, Any]]:
    return [trader_json(t) for t in await _all(db_session, Trader, Trader.name)]


@post("/traders", status_code=201, guards=[WRITE])
async def register_trader(db_session: DbSession, data: Body) -> dict[str, Any]:
    return trader_json(await services.register_trader(db_session, data))


@get("/", guards=[READ])
async def page(request: Request, db_session: DbSession) -> Response:
    return await render(request, "ornamental_plants/index.html", {
        "associations": await _all(db_session, Association, Association.name),
        "specimens": await _all(db_session, Specimen, Specimen.code),
        "events": await _all(db_session, Event, Event.starts_on),
        "traders": await _all(db_session, Trader, Trader.name), "kinds": services.KINDS,
    })


ROUTES = [list_associations, create_association, list_members, add_member, member_leaves, list_specimens,
          register_specimen, show_specimen, upload_photo, download_photo, delete_photo, list_events, create_event,
          list_entries, enter, award, list_traders, register_trader, page]
