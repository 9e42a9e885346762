"""The rules of ``feedback`` (phản ánh, kiến nghị), callable without HTTP: routes, GraphQL and hooks go through here.

* Anyone files a report: a category from :data:`CATEGORIES`, a description (10 to 4,000 characters), optionally
  a place (latitude and longitude together, inside Viet Nam), an address, a name and a contact, and up to
  :data:`MAX_PHOTOS` photos (checked by content and size, ``storage``). A signed-in resident files as
  themselves; anyone else files anonymously and gets only the tracking code, and is limited to the ward's
  ``anonymous_per_hour`` filings per address and hour (``RATE_LIMITED`` beyond).
* The ward assigns a report to an officer (an account holding ``feedback.report:handle`` in the ward); the
  officer moves it on along :data:`TRANSITIONS` only, with public replies; resolving or rejecting needs a reply.
  An officer changes only the reports assigned to them, unless they may assign (``feedback.report:assign``).
* The reporter follows the report with its tracking code (status and public replies, never who handles it).
* Statistics: counts by category and status, the share resolved, the median time to resolve, and the open
  reports older than the ward's ``overdue_days``.

Every write goes through the ORM, so core's audit log records it (who, when, before, after).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import statistics
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.toolkit import FieldErrors, UserError, bad_input, not_found, read_body, staff_member, utcnow
from wardhub_feedback import storage
from wardhub_feedback.models import Photo, Report, Settings, Update

Message = tuple[str, str]
CATEGORIES: dict[str, Message] = {
    "construction": ("Trật tự xây dựng", "Construction"),
    "urban_order": ("Trật tự đô thị", "Urban order"),
    "environment": ("Môi trường", "Environment"),
    "traffic": ("Giao thông", "Traffic"),
    "security": ("An ninh, trật tự", "Security"),
    "other": ("Khác", "Other"),
}
STATUSES: dict[str, Message] = {
    "received": ("Đã tiếp nhận", "Received"),
    "assigned": ("Đã phân công", "Assigned"),
    "in_progress": ("Đang xử lý", "In progress"),
    "resolved": ("Đã giải quyết", "Resolved"),
    "rejected": ("Không tiếp nhận", "Rejected"),
}
# Status changes an officer makes; "assigned" is reached by assigning (from received, assigned or in_progress).
TRANSITIONS: dict[str, frozenset[str]] = {
    "received": frozenset({"rejected"}),
    "assigned": frozenset({"in_progress", "rejected"}),
    "in_progress": frozenset({"resolved", "rejected"}),
    "resolved": frozenset(),
    "rejected": frozenset(),
}
ASSIGNABLE = frozenset({"received", "assigned", "in_progress"})
OPEN = frozenset({"received", "assigned", "in_progress"})
NEEDS_REPLY = frozenset({"resolved", "rejected"})
MAX_PHOTOS = 3
DESCRIPTION = (10, 4000)
REPLY_MAX = 4000
VIETNAM = {"lat": (8.0, 23.5), "lng": (102.0, 118.0)}  # the mainland, the islands and the archipelagos
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
DEFAULT_SETTINGS = {"overdue_days": 15, "anonymous_per_hour": 5}
LIMITS = {"overdue_days": (1, 365), "anonymous_per_hour": (1, 1000)}


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: an account (``user_id``, ``label``) with its permissions in the ward, or nobody (anonymous)."""

    user_id: uuid.UUID | None = None
    label: str | None = None
    permissions: frozenset[str] = frozenset()

    def may(self, permission: str) -> bool:
        return permission in self.permissions


ANONYMOUS = Actor()


def _text(data: Mapping[str, Any], errors: FieldErrors, field: str, limit: int, *, required: bool = False,
          minimum: int = 0) -> str | None:
    value = data.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.add(field, "Không được để trống", "Required")
        return None
    if not isinstance(value, str):
        errors.add(field, "Phải là chuỗi ký tự", "Must be text")
        return None
    value = value.strip()
    if len(value) > limit:
        errors.add(field, f"Tối đa {limit} ký tự", f"At most {limit} characters")
        return None
    if len(value) < minimum:
        errors.add(field, f"Ít nhất {minimum} ký tự", f"At least {minimum} characters")
        return None
    return value


def _coordinate(data: Mapping[str, Any], errors: FieldErrors, field: str) -> float | None:
    value = data.get(field)
    if value is None or value == "":
        return None
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value)
    except (TypeError, ValueError):
        errors.add(field, "Phải là một số (độ thập phân)", "Must be a number (decimal degrees)")
        return None
    low, high = VIETNAM[field]
    if not low <= number <= high:
        errors.add(field, f"Vị trí phải trong lãnh thổ Việt Nam ({low} đến {high})",
                   f"The place must be in Viet Nam ({low} to {high})")
        return None
    return round(number, 6)


def parse_id(value: Any, field: str = "id") -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise bad_input(field, "Mã không hợp lệ", "Not a valid id") from None


def aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes: they are UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def normalize_code(code: Any) -> str:
    return re.sub(r"[^A-Z0-9]", "", str(code or "").upper())


def format_code(raw: str) -> str:
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def client_hash(tenant_id: uuid.UUID, address: str | None) -> str:
    """A pseudonym of a client address, different in every ward (no address is stored)."""
    return hashlib.sha256(f"feedback:{tenant_id}:{address or 'unknown'}".encode()).hexdigest()


# -- settings -------------------------------------------------------------------------------------------
async def _settings_row(session: AsyncSession) -> Settings | None:
    return await session.scalar(select(Settings).order_by(Settings.updated_at.desc(), Settings.id.desc()).limit(1))


async def settings(session: AsyncSession) -> dict[str, int]:
    row = await _settings_row(session)
    if row is None:
        return dict(DEFAULT_SETTINGS)
    return {"overdue_days": row.overdue_days, "anonymous_per_hour": row.anonymous_per_hour}


async def update_settings(session: AsyncSession, data: Any) -> dict[str, int]:
    data = read_body(data)
    errors = FieldErrors()
    values: dict[str, int] = {}
    for field, (low, high) in LIMITS.items():
        if field not in data or data[field] is None:
            continue
        value = data[field]
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
            errors.add(field, "Phải là số nguyên", "Must be a whole number")
            continue
        if not low <= int(value) <= high:
            errors.add(field, f"Phải từ {low} đến {high}", f"Must be from {low} to {high}")
            continue
        values[field] = int(value)
    unknown = sorted(set(data) - set(LIMITS))
    for field in unknown:
        errors.add(field, "Không có thiết lập này", "No such setting")
    errors.raise_if_any()
    row = await _settings_row(session)
    if row is None:
        row = Settings(**{**DEFAULT_SETTINGS, **values})
        session.add(row)
    else:
        for field, value in values.items():
            setattr(row, field, value)
        row.updated_at = utcnow()
    await session.flush()
    return {"overdue_days": row.overdue_days, "anonymous_per_hour": row.anonymous_per_hour}


# -- filing ---------------------------------------------------------------------------------------------
def check_report(data: Any) -> dict[str, Any]:
    """The cleaned fields of a new report; ``BAD_USER_INPUT`` naming every bad field otherwise."""
    data = read_body(data)
    errors = FieldErrors()
    category = data.get("category")
    if category in (None, ""):
        errors.add("category", "Hãy chọn lĩnh vực", "Choose a category")
    elif not isinstance(category, str) or category not in CATEGORIES:
        options = ", ".join(CATEGORIES)
        errors.add("category", f"Phải là một trong: {options}", f"Must be one of: {options}")
    values = {
        "category": category,
        "description": _text(data, errors, "description", DESCRIPTION[1], required=True, minimum=DESCRIPTION[0]),
        "lat": _coordinate(data, errors, "lat"),
        "lng": _coordinate(data, errors, "lng"),
        "address": _text(data, errors, "address", 255),
        "reporter_name": _text(data, errors, "name", 120),
        "reporter_contact": _text(data, errors, "contact", 120),
    }
    for field, other in (("lat", "lng"), ("lng", "lat")):
        if data.get(field) not in (None, "") and data.get(other) in (None, "") and other not in errors.fields:
            errors.add(other, "Cần cả vĩ độ và kinh độ", "Give both latitude and longitude")
    errors.raise_if_any()
    return values


async def _check_rate(session: AsyncSession, hashed: str, per_hour: int, now: datetime) -> None:
    since = now - timedelta(hours=1)
    recent = await session.scalar(select(func.count()).select_from(Report).where(
        Report.client_hash == hashed, Report.created_at >= since)) or 0
    if recent >= per_hour:
        raise UserError("RATE_LIMITED", (
            f"Đã gửi {recent} phản ánh ẩn danh trong một giờ từ địa chỉ này (tối đa {per_hour}); hãy thử lại sau "
            f"hoặc đăng nhập",
            f"{recent} anonymous reports were filed from this address in the last hour (at most {per_hour}); "
            f"try again later or sign in"))


async def _new_code(session: AsyncSession) -> str:
    for _attempt in range(8):
        code = format_code("".join(secrets.choice(CODE_ALPHABET) for _ in range(12)))
        if not await session.scalar(select(Report.id).where(Report.code == code)):
            return code
    raise RuntimeError("no free tracking code")  # 32^12 codes: never in practice


async def file_report(session: AsyncSession, tenant_id: uuid.UUID, data: Any, actor: Actor = ANONYMOUS, *,
                      client: str | None = None, photos: list[tuple[bytes, str | None]] = (),
                      now: datetime | None = None) -> Report:
    """File a report in the ward ``tenant_id`` (the session's). ``actor`` without ``feedback.report:file`` files
    anonymously, rate limited by ``client`` (the caller's address). ``photos`` are ``(content, file name)``; all are
    checked before anything is written."""
    now = now or utcnow()
    values = check_report(data)
    if len(photos) > MAX_PHOTOS:
        raise bad_input("photo", f"Tối đa {MAX_PHOTOS} ảnh", f"At most {MAX_PHOTOS} photos")
    kinds = [storage.photos.check(content) for content, _name in photos]
    identified = actor.user_id is not None and actor.may("feedback.report:file")
    report = Report(**values, status="received", code=await _new_code(session), created_at=now, updated_at=now)
    if identified:
        report.reporter_user_id = actor.user_id
    else:
        report.client_hash = client_hash(tenant_id, client)
        await _check_rate(session, report.client_hash, (await settings(session))["anonymous_per_hour"], now)
    session.add(report)
    await session.flush()
    session.add(Update(report_id=report.id, kind="filed", to_status="received", author_user_id=report.reporter_user_id,
                       author_label=actor.label if identified else None, created_at=now, updated_at=now))
    stored = []
    for (content, name), kind in zip(photos, kinds, strict=True):
        photo = Photo(report_id=report.id, content_type=kind, size=len(content),
                      sha256=hashlib.sha256(content).hexdigest(), original_name=(name or "")[:255] or None)
        session.add(photo)
        stored.append((photo, content))
    await session.flush()
    for photo, content in stored:  # removed again if the transaction rolls back
        storage.photos.save(session, photo.tenant_id, photo.id, photo.content_type, content)
    return report


# -- reading --------------------------------------------------------------------------------------------
async def get_report(session: AsyncSession, report_id: Any) -> Report:
    report = await session.scalar(select(Report).where(Report.id == parse_id(report_id, "report_id")))
    if report is None:
        raise not_found("Không có phản ánh này", "No such report")
    return report


async def by_code(session: AsyncSession, code: Any) -> Report:
    raw = normalize_code(code)
    report = None
    if len(raw) == 12 and all(c in CODE_ALPHABET for c in raw):
        report = await session.scalar(select(Report).where(Report.code == format_code(raw)))
    if report is None:
        raise not_found("Không có phản ánh với mã theo dõi này", "No report has this tracking code")
    return report


async def reports(session: AsyncSession, *, status: str | None = None, category: str | None = None,
                  reporter: uuid.UUID | None = None) -> list[Report]:
    query = select(Report).order_by(Report.created_at.desc(), Report.id.desc())
    errors = FieldErrors()
    if status is not None:
        if status not in STATUSES:
            errors.add("status", f"Phải là một trong: {', '.join(STATUSES)}", f"Must be one of: {', '.join(STATUSES)}")
        query = query.where(Report.status == status)
    if category is not None:
        if category not in CATEGORIES:
            errors.add("category", f"Phải là một trong: {', '.join(CATEGORIES)}",
                       f"Must be one of: {', '.join(CATEGORIES)}")
        query = query.where(Report.category == category)
    errors.raise_if_any()
    if reporter is not None:
        query = query.where(Report.reporter_user_id == reporter)
    return list((await session.execute(query)).scalars())


async def updates(session: AsyncSession, report: Report) -> list[Update]:
    rows = await session.execute(select(Update).where(Update.report_id == report.id)
                                 .order_by(Update.created_at, Update.id))
    return list(rows.scalars())


async def photos(session: AsyncSession, report: Report) -> list[Photo]:
    rows = await session.execute(select(Photo).where(Photo.report_id == report.id).order_by(Photo.created_at))
    return list(rows.scalars())


async def get_photo(session: AsyncSession, photo_id: Any) -> Photo:
    photo = await session.scalar(select(Photo).where(Photo.id == parse_id(photo_id, "photo_id")))
    if photo is None:
        raise not_found("Không có ảnh này", "No such photo")
    return photo


# -- handling -------------------------------------------------------------------------------------------
def _may_handle(report: Report, actor: Actor) -> None:
    if actor.may("feedback.report:assign"):
        return
    if not actor.may("feedback.report:handle") or report.assignee_user_id != actor.user_id:
        raise UserError("FORBIDDEN", ("Chỉ cán bộ được phân công (hoặc người phân công) xử lý phản ánh này",
                                      "Only the officer it is assigned to (or who assigns) handles this report"))


async def assign(session: AsyncSession, report: Report, assignee: tuple[uuid.UUID, str], actor: Actor,
                 note: str | None = None, now: datetime | None = None) -> Report:
    """Assign ``report`` to ``assignee`` (``(user id, name)`` of an officer of the ward, checked by the caller)."""
    now = now or utcnow()
    if report.status not in ASSIGNABLE:
        raise _wrong_state(report.status, "assigned")
    before = report.status
    report.assignee_user_id, report.assignee_name = assignee
    report.status = "assigned"
    report.updated_at = now
    session.add(Update(report_id=report.id, kind="assigned", from_status=before, to_status="assigned",
                       message=note, author_user_id=actor.user_id, author_label=actor.label, created_at=now,
                       updated_at=now))
    await session.flush()
    return report


async def assign_to(connection: Any, session: AsyncSession, report: Report, data: Any, actor: Actor) -> Report:
    """Assign to the officer named by ``data["assignee"]`` (a username), who must hold ``feedback.report:handle``
    in the request's ward (``connection``: the request)."""
    if not isinstance(data, dict) or not isinstance(data.get("assignee"), str) or not data["assignee"].strip():
        raise bad_input("assignee", "Hãy chọn cán bộ (tên đăng nhập)", "Choose an officer (their username)")
    officer = await staff_member(connection, session, data["assignee"], "feedback.report:handle")
    if officer is None:
        raise bad_input("assignee", f"{data['assignee']!r} không phải cán bộ xử lý phản ánh của đơn vị",
                        f"{data['assignee']!r} is not an officer handling reports in this unit")
    note = data.get("note") if isinstance(data.get("note"), str) else None
    return await assign(session, report, officer, actor, note=note)


def _wrong_state(current: str, wanted: str) -> UserError:
    message = (f"Không thể chuyển phản ánh từ “{STATUSES[current][0]}” sang “{STATUSES[wanted][0]}”",
               f"A report cannot go from {STATUSES[current][1]} to {STATUSES[wanted][1]}")
    return UserError("CONFLICT", message, {"status": message})


async def change_status(session: AsyncSession, report: Report, data: Any, actor: Actor,
                        now: datetime | None = None) -> Report:
    """Move ``report`` to ``data["status"]`` along :data:`TRANSITIONS`, with ``data["reply"]`` made public."""
    now = now or utcnow()
    data = read_body(data)
    errors = FieldErrors()
    status = data.get("status")
    if not isinstance(status, str) or status not in STATUSES:
        errors.add("status", f"Phải là một trong: {', '.join(STATUSES)}", f"Must be one of: {', '.join(STATUSES)}")
        status = None
    reply = _text(data, errors, "reply", REPLY_MAX)
    if status in NEEDS_REPLY and reply is None and "reply" not in errors.fields:
        errors.add("reply", "Hãy trả lời người phản ánh (kết quả hoặc lý do)",
                   "Reply to the reporter (the outcome or the reason)")
    errors.raise_if_any()
    if status == "assigned":
        message = ("Hãy phân công phản ánh cho một cán bộ", "Assign the report to an officer instead")
        raise UserError("BAD_USER_INPUT", message, {"status": message})
    _may_handle(report, actor)
    if status not in TRANSITIONS[report.status]:
        raise _wrong_state(report.status, status)
    before = report.status
    report.status = status
    report.updated_at = now
    if status == "resolved":
        report.resolved_at = now
    if status in NEEDS_REPLY:
        report.closed_at = now
    session.add(Update(report_id=report.id, kind="status", from_status=before, to_status=status, message=reply,
                       author_user_id=actor.user_id, author_label=actor.label, created_at=now, updated_at=now))
    await session.flush()
    return report


async def reply(session: AsyncSession, report: Report, data: Any, actor: Actor, now: datetime | None = None) -> Update:
    now = now or utcnow()
    errors = FieldErrors()
    message = _text(read_body(data), errors, "message", REPLY_MAX, required=True)
    errors.raise_if_any()
    _may_handle(report, actor)
    update = Update(report_id=report.id, kind="reply", message=message, author_user_id=actor.user_id,
                    author_label=actor.label, created_at=now, updated_at=now)
    session.add(update)
    report.updated_at = now
    await session.flush()
    return update


# -- statistics -----------------------------------------------------------------------------------------
async def stats(session: AsyncSession, now: datetime | None = None) -> dict[str, Any]:
    """Counts by category and status, share resolved, median days to resolve, overdue open reports."""
    now = now or utcnow()
    overdue_days = (await settings(session))["overdue_days"]
    by_category = dict((await session.execute(select(Report.category, func.count()).group_by(Report.category))).all())
    by_status = dict((await session.execute(select(Report.status, func.count()).group_by(Report.status))).all())
    total = sum(by_status.values())
    spans = [(aware(resolved) - aware(created)).total_seconds() / 86400 for created, resolved in (await session.execute(
        select(Report.created_at, Report.resolved_at).where(Report.status == "resolved"))).all() if resolved]
    limit = now - timedelta(days=overdue_days)
    overdue = list((await session.execute(select(Report).where(
        Report.status.in_(OPEN), Report.created_at < limit).order_by(Report.created_at))).scalars())
    return {
        "total": total,
        "by_category": {c: by_category.get(c, 0) for c in CATEGORIES},
        "by_status": {s: by_status.get(s, 0) for s in STATUSES},
        "resolved_share": round(by_status.get("resolved", 0) / total, 4) if total else 0.0,
        "median_days_to_resolve": round(statistics.median(spans), 2) if spans else None,
        "overdue_days": overdue_days,
        "overdue": overdue,
    }


async def keep_latest_settings(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    """After a merge both wards' settings rows carry the target's id: keep the most recently saved one."""
    rows = list((await session.execute(select(Settings).where(Settings.tenant_id == tenant_id)
                                       .order_by(Settings.updated_at.desc(), Settings.id.desc()))).scalars())
    for row in rows[1:]:
        await session.delete(row)
    await session.flush()
    return len(rows[1:])
