"""The rules of ``ornamental_plants``, callable without HTTP.

* Associations have unique names in the ward; a person (of ``residents``) is a member of an association once at
  a time; members leave with a date.
* A specimen has a kind (bonsai/cây cảnh, ornamental fish, bird, rock), a code unique in the ward, an owner
  (a name, optionally a person), optionally an association.
* Photos: checked by content (JPEG, PNG, WebP) and size before anything is written (``storage``); at most
  ``MAX_PHOTOS`` per specimen. The file is written only once the row is flushed; a refused file writes neither, and
  a transaction that rolls back takes its files with it. A deleted photo's file goes once the deletion commits.
* Events and exhibitions run from a start to an end date; a specimen is entered once per event; awards only
  for entries (gold, silver, bronze, merit).
* Traders: name, owner, address and the kinds they trade.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.toolkit import FieldErrors as Errors
from core.toolkit import UserError, bad_input, conflict, not_found, parse_id
from core.toolkit import flush_or_conflict as flush
from core.toolkit import read_body as _body
from core.toolkit import read_choice as _choice
from core.toolkit import read_date as _date
from core.toolkit import read_text as _text
from plugins.ornamental_plants import storage
from plugins.ornamental_plants.models import Association, Entry, Event, Member, Photo, Specimen, Trader

Message = tuple[str, str]
MAX_PHOTOS = 10
KINDS = {"bonsai": ("Cây cảnh, bonsai", "Bonsai and ornamental plants"), "fish": ("Cá cảnh", "Ornamental fish"),
         "bird": ("Chim cảnh", "Ornamental birds"), "rock": ("Đá cảnh", "Ornamental rocks")}
ROLES = {"chair": ("Chủ tịch hội", "Chair"), "vice": ("Phó chủ tịch", "Vice-chair"), "member": ("Hội viên", "Member")}
EVENT_KINDS = {"event": ("Sinh hoạt, giao lưu", "Meeting"), "exhibition": ("Triển lãm, hội thi", "Exhibition")}
AWARDS = {"gold": ("Giải vàng", "Gold"), "silver": ("Giải bạc", "Silver"), "bronze": ("Giải đồng", "Bronze"),
          "merit": ("Giải khuyến khích", "Merit")}




async def _one(session: AsyncSession, model: type, record_id: Any, field: str, what: Message):
    row = await session.scalar(select(model).where(model.id == parse_id(record_id, field)))
    if row is None:
        raise not_found(f"Không tìm thấy {what[0]}", f"No such {what[1]}")
    return row


async def _person(session: AsyncSession, value: Any, field: str, errors: Errors):
    from plugins.residents import services as residents

    if value in (None, ""):
        return None
    try:
        return await residents.get_person(session, parse_id(value, field))
    except UserError:
        errors.add(field, "Không có nhân khẩu này trong phường", "No such person in this ward")
        return None


async def _association(session: AsyncSession, value: Any, errors: Errors) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    try:
        return (await _one(session, Association, value, "association_id", ("hội", "association"))).id
    except UserError:
        errors.add("association_id", "Không có hội này", "No such association")
        return None


# -- associations and members ---------------------------------------------------------------------------

async def create_association(session: AsyncSession, data: Any) -> Association:
    data = _body(data)
    errors = Errors()
    association = Association(name=_text(data, errors, "name", 255, True),
                              founded_on=_date(data, errors, "founded_on"),
                              address=_text(data, errors, "address", 255), note=_text(data, errors, "note", 4000))
    errors.raise_if_any()
    if await session.scalar(select(Association.id).where(Association.name == association.name)):
        raise UserError("CONFLICT", ("Đã có hội cùng tên", "An association with this name exists"),
                        {"name": ("Đã có hội cùng tên", "Already exists")})
    session.add(association)
    await flush(session)
    return association


async def add_member(session: AsyncSession, association_id: Any, data: Any, today: date | None = None) -> Member:
    data = _body(data)
    association = await _one(session, Association, association_id, "association_id", ("hội", "association"))
    errors = Errors()
    if data.get("person_id") in (None, ""):
        errors.add("person_id", "Hãy chọn nhân khẩu", "Choose a person")
    person = await _person(session, data.get("person_id"), "person_id", errors)
    role = _choice(data, errors, "role", ROLES, "member")
    joined = _date(data, errors, "joined_on") or today or date.today()
    errors.raise_if_any()
    taken = await session.scalar(select(Member.id).where(Member.association_id == association.id,
                                                         Member.person_id == person.id, Member.left_on.is_(None)))
    if taken:
        raise UserError("CONFLICT", ("Người này đã là hội viên", "This person is already a member"),
                        {"person_id": ("Đã là hội viên", "Already a member")})
    member = Member(association_id=association.id, person_id=person.id, full_name=person.full_name, role=role,
                    joined_on=joined)
    session.add(member)
    await flush(session)
    return member


async def member_leaves(session: AsyncSession, member_id: Any, data: Any, today: date | None = None) -> Member:
    data = _body(data)
    member = await _one(session, Member, member_id, "member_id", ("hội viên", "member"))
    errors = Errors()
    when = _date(data, errors, "left_on") or today or date.today()
    errors.raise_if_any()
    if member.left_on is not None:
        raise conflict("Hội viên đã rời hội", "The member has already left")
    if when < member.joined_on:
        raise bad_input("left_on", "Ngày rời hội trước ngày vào hội", "Leaving before joining")
    member.left_on = when
    await flush(session)
    return member


# -- specimens and photos -------------------------------------------------------------------------------

async def register_specimen(session: AsyncSession, data: Any) -> Specimen:
    data = _body(data)
    errors = Errors()
    owner = await _person(session, data.get("owner_person_id"), "owner_person_id", errors)
    specimen = Specimen(
        code=_text(data, errors, "code", 32, True), kind=_choice(data, errors, "kind", KINDS),
        name=_text(data, errors, "name", 255, True), species=_text(data, errors, "species", 255),
        description=_text(data, errors, "description", 4000),
        owner_name=_text(data, errors, "owner_name", 120) or (owner.full_name if owner else None),
        owner_person_id=owner.id if owner else None,
        association_id=await _association(session, data.get("association_id"), errors))
    if not specimen.owner_name and "owner_name" not in errors.fields and "owner_person_id" not in errors.fields:
        errors.add("owner_name", "Cần tên chủ sở hữu hoặc nhân khẩu", "Give the owner's name or a person")
    errors.raise_if_any()
    if await session.scalar(select(Specimen.id).where(Specimen.code == specimen.code)):
        raise UserError("CONFLICT", ("Mã hiện vật đã có", "This specimen code exists"),
                        {"code": ("Mã đã có", "Already registered")})
    session.add(specimen)
    await flush(session)
    return specimen


async def get_specimen(session: AsyncSession, specimen_id: Any) -> Specimen:
    return await _one(session, Specimen, specimen_id, "specimen_id", ("hiện vật", "specimen"))


async def add_photo(session: AsyncSession, specimen_id: Any, content: bytes, filename: str | None = None) -> Photo:
    """Check the file, record it, write it to disk (removed again if the session's transaction rolls back)."""
    content_type = storage.photos.check(content)
    specimen = await get_specimen(session, specimen_id)
    count = await session.scalar(select(func.count()).select_from(Photo).where(Photo.specimen_id == specimen.id))
    if count >= MAX_PHOTOS:
        raise bad_input("file", f"Mỗi hiện vật tối đa {MAX_PHOTOS} ảnh", f"At most {MAX_PHOTOS} photos a specimen")
    photo = Photo(specimen_id=specimen.id, content_type=content_type, size=len(content),
                  sha256=hashlib.sha256(content).hexdigest(), original_name=(filename or "")[:255] or None)
    session.add(photo)
    await flush(session)
    storage.photos.save(session, photo.tenant_id, photo.id, content_type, content)
    return photo


async def delete_photo(session: AsyncSession, photo_id: Any) -> None:
    photo = await _one(session, Photo, photo_id, "photo_id", ("ảnh", "photo"))
    await session.delete(photo)
    await flush(session)
    storage.photos.delete(session, photo.tenant_id, photo.id, photo.content_type)  # once the deletion commits


# -- events, entries, awards ------------------------------------------------------------------------------

async def create_event(session: AsyncSession, data: Any) -> Event:
    data = _body(data)
    errors = Errors()
    event = Event(name=_text(data, errors, "name", 255, True), kind=_choice(data, errors, "kind", EVENT_KINDS),
                  starts_on=_date(data, errors, "starts_on", True), ends_on=_date(data, errors, "ends_on"),
                  venue=_text(data, errors, "venue", 255),
                  association_id=await _association(session, data.get("association_id"), errors))
    event.ends_on = event.ends_on or event.starts_on
    if event.starts_on and event.ends_on and event.ends_on < event.starts_on:
        errors.add("ends_on", "Ngày kết thúc trước ngày bắt đầu", "The end comes before the start")
    errors.raise_if_any()
    session.add(event)
    await flush(session)
    return event


async def enter(session: AsyncSession, event_id: Any, data: Any) -> Entry:
    data = _body(data)
    event = await _one(session, Event, event_id, "event_id", ("sự kiện", "event"))
    if data.get("specimen_id") in (None, ""):
        raise bad_input("specimen_id", "Hãy chọn hiện vật", "Choose a specimen")
    specimen = await get_specimen(session, data["specimen_id"])
    if await session.scalar(select(Entry.id).where(Entry.event_id == event.id, Entry.specimen_id == specimen.id)):
        raise UserError("CONFLICT", ("Hiện vật đã dự sự kiện này", "The specimen is already entered"),
                        {"specimen_id": ("Đã đăng ký dự", "Already entered")})
    entry = Entry(event_id=event.id, specimen_id=specimen.id)
    session.add(entry)
    await flush(session)
    return entry


async def award(session: AsyncSession, entry_id: Any, data: Any) -> Entry:
    data = _body(data)
    entry = await _one(session, Entry, entry_id, "entry_id", ("lượt dự thi", "entry"))
    errors = Errors()
    value = data.get("award")
    entry.award = None if value in (None, "") else _choice(data, errors, "award", AWARDS)
    errors.raise_if_any()
    await flush(session)
    return entry


# -- traders --------------------------------------------------------------------------------------------

async def register_trader(session: AsyncSession, data: Any) -> Trader:
    data = _body(data)
    errors = Errors()
    kinds = data.get("kinds")
    if not isinstance(kinds, list) or not kinds or any(not isinstance(k, str) or k not in KINDS for k in kinds):
        options = ", ".join(KINDS)
        errors.add("kinds", f"Chọn một hay nhiều loại: {options}", f"Choose one or more of: {options}")
        kinds = []
    phone = _text(data, errors, "phone", 20)
    if phone and not phone.replace(" ", "").lstrip("+").isdigit():
        errors.add("phone", "Số điện thoại chỉ gồm chữ số", "A phone number has digits only")
    trader = Trader(name=_text(data, errors, "name", 255, True),
                    owner_name=_text(data, errors, "owner_name", 120, True),
                    address=_text(data, errors, "address", 255, True), kinds=",".join(sorted(set(kinds))),
                    phone=phone)
    errors.raise_if_any()
    session.add(trader)
    await flush(session)
    return trader

