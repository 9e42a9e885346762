"""Domain rules of residence: registrations, lodging establishments, guests' stays, expiry, figures.

Routes, GraphQL resolvers, the expiry job and the benchmark all come through here; nothing here knows
HTTP. Each function takes a session scoped to one ward and writes tenant rows through the ORM, so core
audits every change in the transaction. Client mistakes raise one ``BAD_USER_INPUT``
:class:`~core.toolkit.UserError` naming every bad field (vi, en), before anything is written: a failed
call changes nothing.

Rules:

* A person (of ``residents``, present in the ward) has at most one active permanent residence on the
  whole platform: ``residence_permanent_registry`` is keyed by the identification number (or the
  person's id when they have none), so two wards registering the same number at once cannot both
  succeed; the loser gets a ``CONFLICT`` and its transaction writes nothing.
* A temporary residence has a start and an end, at most two years apart; it is renewed by a new
  registration starting the day after the old one ends (the old row becomes ``renewed``). One active
  temporary residence and one active notice of absence per person in the ward.
* A guest's stay occupies nights (the dates from arrival to the day before departure, in Vietnam's
  time; a stay within one day occupies its day). ``residence_guest_nights`` is keyed by (guest key,
  night), the guest key being nationality and document number: the same guest declared for the same
  night at a second establishment, in this ward or any other, is refused.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import String, and_, delete, func, insert, literal, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from core.toolkit import UserError, api_token_grant, conflict, not_found, session_tenant, tenant_by_id
from plugins.residence.models import (
    ESTABLISHMENT_KINDS,
    Establishment,
    GuestNight,
    OperatorToken,
    PermanentRegistry,
    Registration,
    Stay,
)
from plugins.residents.models import Household, Neighbourhood, Person

VIETNAM = timezone(timedelta(hours=7))
MAX_TEMPORARY_YEARS = 2
MAX_STAY_NIGHTS = 366
EXPIRY_WINDOW_DAYS = 30
BATCH_LIMIT = 500
_DOCUMENT = re.compile(r"^[A-Z0-9]{5,20}$")
_NATIONALITY = re.compile(r"^[A-Z]{2}$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,31}$")

Narrow = Callable[[Select, str], Select]
"""``access.filter``: narrows a query to the caller's rows of a resource (row filters)."""


def _all_rows(statement: Select, _resource: str) -> Select:
    return statement


# -- errors --------------------------------------------------------------------------------------------

@dataclass
class Problems:
    """Field problems collected before anything is written; :meth:`check` raises them as one error."""

    fields: dict[str, tuple[str, str]] = field(default_factory=dict)
    prefix: str = ""

    def add(self, name: str, vi: str, en: str) -> None:
        self.fields.setdefault(self.prefix + name, (vi, en))

    def __bool__(self) -> bool:
        return bool(self.fields)

    def error(self) -> UserError:
        first = next(iter(self.fields.values()))
        if len(self.fields) > 1:
            first = (f"Có {len(self.fields)} trường không hợp lệ", f"{len(self.fields)} fields are invalid")
        return UserError("BAD_USER_INPUT", first, dict(self.fields))

    def check(self) -> None:
        if self.fields:
            raise self.error()


def today_in_vietnam() -> date:
    return datetime.now(UTC).astimezone(VIETNAM).date()


def now_utc() -> datetime:
    return datetime.now(UTC)


def session_ward(session: AsyncSession) -> uuid.UUID:
    """The ward of a session scoped to one."""
    tenant_id = session_tenant(session)
    if tenant_id is None:
        raise RuntimeError("residence services need a session scoped to one ward")
    return tenant_id


# -- parsing -------------------------------------------------------------------------------------------

def _text(data: Mapping[str, Any], name: str, problems: Problems, *, required: bool = True,
          length: int = 255) -> str | None:
    value = data.get(name)
    value = str(value).strip() if value is not None else ""
    if not value:
        if required:
            problems.add(name, "Không được để trống", "Required")
        return None
    if len(value) > length:
        problems.add(name, f"Tối đa {length} ký tự", f"At most {length} characters")
        return None
    return value


def _id(data: Mapping[str, Any], name: str, problems: Problems, *, required: bool = True) -> uuid.UUID | None:
    value = data.get(name)
    if value in (None, ""):
        if required:
            problems.add(name, "Không được để trống", "Required")
        return None
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        problems.add(name, "Mã bản ghi không hợp lệ", "Not a valid record id")
        return None


def _date(data: Mapping[str, Any], name: str, problems: Problems, *, required: bool = True) -> date | None:
    value = data.get(name)
    if value in (None, ""):
        if required:
            problems.add(name, "Không được để trống", "Required")
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for form in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, form).date()
        except ValueError:
            continue
    problems.add(name, "Ngày không hợp lệ (YYYY-MM-DD hoặc DD/MM/YYYY)", "Not a date (YYYY-MM-DD or DD/MM/YYYY)")
    return None


def to_utc(value: datetime) -> datetime:
    """Aware UTC; a naive time is Vietnam's (what an operator types), a naive one read back from SQLite UTC."""
    return value.replace(tzinfo=VIETNAM).astimezone(UTC) if value.tzinfo is None else value.astimezone(UTC)


def from_db(value: datetime | None) -> datetime | None:
    """A stored time as aware UTC (SQLite hands back naive UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _moment(data: Mapping[str, Any], name: str, problems: Problems, *, required: bool = True) -> datetime | None:
    value = data.get(name)
    if value in (None, ""):
        if required:
            problems.add(name, "Không được để trống", "Required")
        return None
    if isinstance(value, datetime):
        return to_utc(value)
    try:
        return to_utc(datetime.fromisoformat(str(value).strip()))
    except ValueError:
        problems.add(name, "Thời điểm không hợp lệ (YYYY-MM-DDTHH:MM)", "Not a date and time (YYYY-MM-DDTHH:MM)")
        return None


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def local_day(moment: datetime) -> date:
    return to_utc(moment).astimezone(VIETNAM).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants where ``day`` (Vietnam's time) starts and the next one starts."""
    start = datetime.combine(day, time(), VIETNAM).astimezone(UTC)
    return start, start + timedelta(days=1)


# -- lookups -------------------------------------------------------------------------------------------

async def unit_label(session: AsyncSession, tenant_id: uuid.UUID) -> str:
    ref = await tenant_by_id(session, tenant_id)
    return f"{ref.code} ({ref.name})" if ref else "?"


async def _person(session: AsyncSession, person_id: uuid.UUID | None, problems: Problems,
                  name: str = "person_id") -> Person | None:
    if person_id is None:
        return None
    person = await session.scalar(select(Person).where(Person.id == person_id))
    if person is None:
        problems.add(name, "Không có nhân khẩu này trong sổ của phường", "No such person in the ward's register")
    elif person.status != "present":
        problems.add(name, "Nhân khẩu này không còn cư trú (đã chuyển đi hoặc đã mất)",
                     "This person is no longer present (moved away or deceased)")
    return person


async def _neighbourhood(session: AsyncSession, neighbourhood_id: uuid.UUID | None, problems: Problems) -> None:
    if neighbourhood_id is not None and await session.scalar(
            select(Neighbourhood.id).where(Neighbourhood.id == neighbourhood_id)) is None:
        problems.add("neighbourhood_id", "Không có khu phố/tổ dân phố này trong phường",
                     "No such neighbourhood in the ward")


async def get_registration(session: AsyncSession, registration_id: Any) -> Registration:
    problems = Problems()
    rid = _id({"id": registration_id}, "id", problems)
    row = None if rid is None else await session.scalar(select(Registration).where(Registration.id == rid))
    if row is None:
        raise not_found("Không tìm thấy đăng ký cư trú", "No such residence registration")
    return row


async def _active(session: AsyncSession, person_id: uuid.UUID, kind: str) -> Registration | None:
    return await session.scalar(select(Registration).where(
        Registration.person_id == person_id, Registration.kind == kind, Registration.status == "active"))


def permanent_key(person: Person) -> str:
    return person.id_number or f"p:{person.id}"


# -- registrations -------------------------------------------------------------------------------------

async def _address_fields(session: AsyncSession, data: Mapping[str, Any], person: Person | None,
                          problems: Problems) -> tuple[str | None, uuid.UUID | None]:
    """The address (typed, or the person's household's) and neighbourhood (given, or the household's)."""
    address = _text(data, "address", problems, required=False)
    neighbourhood_id = _id(data, "neighbourhood_id", problems, required=False)
    household = None
    if person is not None and person.household_id and (address is None or neighbourhood_id is None):
        household = await session.scalar(select(Household).where(Household.id == person.household_id))
    if address is None:
        if household is None:
            problems.add("address", "Cần địa chỉ trong phường", "An address in the ward is required")
        else:
            address = household.address
    if neighbourhood_id is None and household is not None:
        neighbourhood_id = household.neighbourhood_id
    else:
        await _neighbourhood(session, neighbourhood_id, problems)
    return address, neighbourhood_id


async def register_permanent(session: AsyncSession, data: Mapping[str, Any], *,
                             today: date | None = None) -> Registration:
    """Register a person's permanent residence at an address of the ward (at most one active anywhere)."""
    tenant_id = session_ward(session)
    problems = Problems()
    person = await _person(session, _id(data, "person_id", problems), problems)
    address, neighbourhood_id = await _address_fields(session, data, person, problems)
    start = _date(data, "start_date", problems, required=False) or today or today_in_vietnam()
    if person is not None and "person_id" not in problems.fields:
        held = await session.get(PermanentRegistry, permanent_key(person))
        if held is not None:
            if held.tenant_id == tenant_id:
                problems.add("person_id", "Người này đã có đăng ký thường trú đang hiệu lực tại phường",
                             "This person already has an active permanent residence in this ward")
            else:
                unit = await unit_label(session, held.tenant_id)
                problems.add("person_id", f"Người này đang có đăng ký thường trú tại đơn vị {unit}",
                             f"This person has an active permanent residence in unit {unit}")
    problems.check()
    row = Registration(tenant_id=tenant_id, kind="permanent", person_id=person.id, address=address,
                       neighbourhood_id=neighbourhood_id, start_date=start, status="active",
                       reason=_text(data, "reason", Problems(), required=False, length=2000))
    session.add(row)
    await session.flush()
    # No savepoint: a lost race aborts the caller's transaction, which then writes nothing.
    session.add(PermanentRegistry(id_number=permanent_key(person), tenant_id=tenant_id, registration_id=row.id))
    try:
        await session.flush()
    except IntegrityError as exc:
        raise conflict("Người này vừa được đăng ký thường trú ở nơi khác; hãy kiểm tra lại",
                       "This person was just registered for permanent residence elsewhere; check again") from exc
    return row


async def declare_temporary(session: AsyncSession, data: Mapping[str, Any], *,
                            today: date | None = None) -> Registration:
    """Declare a temporary residence (tạm trú) from ``start_date`` to ``end_date`` (≤ 2 years)."""
    tenant_id = session_ward(session)
    problems = Problems()
    person = await _person(session, _id(data, "person_id", problems), problems)
    address, neighbourhood_id = await _address_fields(session, data, person, problems)
    start = _date(data, "start_date", problems)
    end = _date(data, "end_date", problems)
    _check_period(start, end, problems)
    if person is not None and "person_id" not in problems.fields:
        if await _active(session, person.id, "temporary") is not None:
            problems.add("person_id", "Người này đã có đăng ký tạm trú đang hiệu lực tại phường; hãy gia hạn",
                         "This person already has an active temporary residence in this ward; renew it")
        elif await _active(session, person.id, "permanent") is not None:
            problems.add("person_id", "Người này thường trú tại phường, không cần đăng ký tạm trú",
                         "This person is a permanent resident of this ward and needs no temporary residence")
    problems.check()
    row = Registration(tenant_id=tenant_id, kind="temporary", person_id=person.id, address=address,
                       neighbourhood_id=neighbourhood_id, start_date=start, end_date=end, status="active",
                       reason=_text(data, "reason", Problems(), required=False, length=2000))
    session.add(row)
    await session.flush()
    return row


def _check_period(start: date | None, end: date | None, problems: Problems, *, limit_years: int | None = 2) -> None:
    if start is None or end is None:
        return
    if end < start:
        problems.add("end_date", "Ngày kết thúc trước ngày bắt đầu", "The end date is before the start date")
    elif limit_years and end > add_years(start, limit_years):
        problems.add("end_date", f"Thời hạn tạm trú tối đa {limit_years} năm (có thể gia hạn)",
                     f"A temporary residence lasts at most {limit_years} years (it can be renewed)")


async def renew_temporary(session: AsyncSession, registration_id: Any, data: Mapping[str, Any]) -> Registration:
    """Extend a temporary residence: a new registration from the day after the old end to ``end_date``."""
    old = await get_registration(session, registration_id)
    problems = Problems()
    if old.kind != "temporary" or old.status not in ("active", "expired"):
        problems.add("id", "Chỉ gia hạn được đăng ký tạm trú đang hiệu lực hoặc vừa hết hạn",
                     "Only an active or expired temporary residence can be renewed")
    start = old.end_date + timedelta(days=1) if old.end_date else None
    end = _date(data, "end_date", problems)
    _check_period(start, end, problems)
    problems.check()
    old.status, old.closed_on = "renewed", start
    await session.flush()
    row = Registration(tenant_id=old.tenant_id, kind="temporary", person_id=old.person_id, address=old.address,
                       neighbourhood_id=old.neighbourhood_id, start_date=start, end_date=end, status="active",
                       renewed_from_id=old.id, reason=old.reason)
    session.add(row)
    await session.flush()
    return row


async def notice_absence(session: AsyncSession, data: Mapping[str, Any], *,
                         today: date | None = None) -> Registration:
    """A notice of absence (tạm vắng): the person leaves their address for a period, to ``destination``."""
    tenant_id = session_ward(session)
    problems = Problems()
    person = await _person(session, _id(data, "person_id", problems), problems)
    address, neighbourhood_id = await _address_fields(session, data, person, problems)
    start = _date(data, "start_date", problems)
    end = _date(data, "end_date", problems)
    _check_period(start, end, problems, limit_years=None)
    destination = _text(data, "destination", problems)
    if person is not None and "person_id" not in problems.fields and await _active(
            session, person.id, "absence") is not None:
        problems.add("person_id", "Người này đã có khai báo tạm vắng đang hiệu lực",
                     "This person already has an active notice of absence")
    problems.check()
    row = Registration(tenant_id=tenant_id, kind="absence", person_id=person.id, address=address,
                       neighbourhood_id=neighbourhood_id, start_date=start, end_date=end, status="active",
                       destination=destination, reason=_text(data, "reason", Problems(), required=False,
                                                             length=2000))
    session.add(row)
    await session.flush()
    return row


async def end_registration(session: AsyncSession, registration_id: Any, data: Mapping[str, Any], *,
                           today: date | None = None) -> Registration:
    """Close an active registration (moved out, back from absence, cancelled…) on ``closed_on``."""
    row = await get_registration(session, registration_id)
    problems = Problems()
    closed = _date(data, "closed_on", problems, required=False) or today or today_in_vietnam()
    if row.status != "active":
        problems.add("id", "Đăng ký này không còn hiệu lực", "This registration is no longer active")
    elif closed < row.start_date:
        problems.add("closed_on", "Ngày kết thúc trước ngày bắt đầu", "The end date is before the start date")
    problems.check()
    row.status, row.closed_on = "ended", closed
    await session.flush()
    if row.kind == "permanent":
        await session.execute(delete(PermanentRegistry).where(PermanentRegistry.registration_id == row.id,
                                                              PermanentRegistry.tenant_id == row.tenant_id))
    return row


async def history(session: AsyncSession, person_id: Any) -> list[Registration]:
    """Every registration of a person in the ward, oldest first."""
    problems = Problems()
    pid = _id({"person_id": person_id}, "person_id", problems)
    problems.check()
    query = select(Registration).where(Registration.person_id == pid).order_by(
        Registration.start_date, Registration.created_at)
    return list((await session.execute(query)).scalars())


def registrations_query(*, kind: str | None = None, status: str | None = None,
                        person_id: uuid.UUID | None = None) -> Select:
    query = select(Registration)
    if kind:
        query = query.where(Registration.kind == kind)
    if status:
        query = query.where(Registration.status == status)
    if person_id:
        query = query.where(Registration.person_id == person_id)
    return query


# -- expiry --------------------------------------------------------------------------------------------

async def expiring(session: AsyncSession, *, today: date | None = None,
                   days: int = EXPIRY_WINDOW_DAYS) -> dict[str, list[Registration]]:
    """Temporary residences ending within ``days`` (``ending``) and those already past their end
    (``expired``: marked by the job, or not yet marked)."""
    today = today or today_in_vietnam()
    temporary = select(Registration).where(Registration.kind == "temporary").order_by(Registration.end_date)
    ending = temporary.where(Registration.status == "active", Registration.end_date >= today,
                             Registration.end_date <= today + timedelta(days=days))
    expired = temporary.where(or_(Registration.status == "expired",
                                  and_(Registration.status == "active", Registration.end_date < today)))
    return {"ending": list((await session.execute(ending)).scalars()),
            "expired": list((await session.execute(expired)).scalars())}


async def mark_expired(session: AsyncSession, *, today: date | None = None, dry_run: bool = False) -> int:
    """Mark active temporary residences and notices of absence whose end date has passed as ``expired``
    (each change audited). Idempotent: a second run on the same day finds nothing left to mark and
    returns 0. ``dry_run`` counts without marking."""
    today = today or today_in_vietnam()
    rows = (await session.execute(select(Registration).where(
        Registration.kind.in_(("temporary", "absence")), Registration.status == "active",
        Registration.end_date < today))).scalars().all()
    if dry_run:
        return len(rows)
    for row in rows:
        row.status, row.closed_on = "expired", row.end_date + timedelta(days=1)
    await session.flush()
    return len(rows)


# -- establishments ------------------------------------------------------------------------------------

async def create_establishment(session: AsyncSession, data: Mapping[str, Any]) -> Establishment:
    tenant_id = session_ward(session)
    problems = Problems()
    code = _text(data, "code", problems, length=32)
    if code and not _CODE.match(code):
        problems.add("code", "Mã chỉ gồm chữ, số và . _ / -", "Letters, digits and . _ / - only")
    elif code and await session.scalar(select(Establishment.id).where(Establishment.code == code)):
        problems.add("code", "Mã này đã được dùng trong phường", "This code is already used in the ward")
    name = _text(data, "name", problems, length=160)
    kind = data.get("kind") or "guesthouse"
    if kind not in ESTABLISHMENT_KINDS:
        problems.add("kind", f"Loại cơ sở: {', '.join(ESTABLISHMENT_KINDS)}",
                     f"Kind of establishment: {', '.join(ESTABLISHMENT_KINDS)}")
    address = _text(data, "address", problems)
    neighbourhood_id = _id(data, "neighbourhood_id", problems, required=False)
    await _neighbourhood(session, neighbourhood_id, problems)
    rooms = data.get("rooms", 1)
    if not isinstance(rooms, int) or isinstance(rooms, bool) or not 1 <= rooms <= 10000:
        problems.add("rooms", "Số phòng từ 1 đến 10000", "Rooms: from 1 to 10000")
    problems.check()
    row = Establishment(tenant_id=tenant_id, code=code, name=name, kind=kind, address=address,
                        neighbourhood_id=neighbourhood_id, rooms=rooms, status="active")
    session.add(row)
    await session.flush()
    return row


async def get_establishment(session: AsyncSession, establishment_id: Any, narrow: Narrow = _all_rows) -> Establishment:
    """The establishment, if the caller's rows include it (``NOT_FOUND`` if it does not exist, ``FORBIDDEN``
    if it exists but belongs to another operator)."""
    problems = Problems()
    eid = _id({"establishment_id": establishment_id}, "establishment_id", problems)
    problems.check()
    row = await session.scalar(narrow(select(Establishment).where(Establishment.id == eid),
                                      "residence.establishment"))
    if row is None:
        if await session.scalar(select(Establishment.id).where(Establishment.id == eid)) is None:
            raise not_found("Không tìm thấy cơ sở lưu trú", "No such lodging establishment")
        raise UserError("FORBIDDEN", ("Bạn không quản lý cơ sở lưu trú này",
                                      "You do not operate this lodging establishment"))
    return row


def establishments_query(narrow: Narrow = _all_rows) -> Select:
    """The establishments the caller sees (an operator: its own), unordered."""
    return narrow(select(Establishment), "residence.establishment")


async def list_establishments(session: AsyncSession, narrow: Narrow = _all_rows) -> list[Establishment]:
    query = establishments_query(narrow).order_by(Establishment.code)
    return list((await session.execute(query)).scalars())


async def link_token(session: AsyncSession, establishment_id: Any, data: Mapping[str, Any]) -> OperatorToken:
    """Link an API token of this ward holding ``lodging_operator`` to the establishment it declares for."""
    establishment = await get_establishment(session, establishment_id)
    problems = Problems()
    token_id = _id(data, "token_id", problems)
    token = None if token_id is None else await api_token_grant(session, token_id)
    if token_id is not None and (token is None or token[0] != establishment.tenant_id):
        problems.add("token_id", "Không có mã truy cập này trong phường", "No such API token in this ward")
    elif token is not None and "lodging_operator" not in token[1]:
        problems.add("token_id", "Mã truy cập phải có vai trò lodging_operator",
                     "The token must hold the lodging_operator role")
    elif token is not None and await session.scalar(select(OperatorToken.id).where(
            OperatorToken.token_id == token_id)):
        problems.add("token_id", "Mã truy cập này đã gắn với một cơ sở", "This token is already linked")
    problems.check()
    row = OperatorToken(tenant_id=establishment.tenant_id, token_id=token_id, establishment_id=establishment.id)
    session.add(row)
    await session.flush()
    return row


def operator_narrow(filter: Narrow, principal: Any, roles: Iterable[str]) -> Narrow:
    """The caller's narrowing: their row filters, or, for an API token whose only role is
    ``lodging_operator`` (tokens carry no role attributes), the establishment the token is linked to."""
    if principal is None or not getattr(principal, "is_token", False) or set(roles) != {"lodging_operator"}:
        return filter
    linked = select(OperatorToken.establishment_id).where(OperatorToken.token_id == principal.id)

    def narrow(statement: Select, resource: str) -> Select:
        if resource == "residence.establishment":
            return statement.where(Establishment.id.in_(linked))
        if resource == "residence.stay":
            return statement.where(Stay.establishment_id.in_(linked))
        return filter(statement, resource)

    return narrow


# -- stays ---------------------------------------------------------------------------------------------

def nights_of(arrival: datetime, departure: datetime) -> list[date]:
    """The nights a stay occupies: its local dates from arrival up to the day before departure (a stay
    within one day occupies that day)."""
    first, last = local_day(arrival), local_day(departure)
    count = max((last - first).days, 1)
    return [first + timedelta(days=n) for n in range(count)]


def guest_key(nationality: str, document: str) -> str:
    return f"{nationality}:{document}"


@dataclass
class _StayInput:
    guest_name: str
    guest_document: str
    guest_nationality: str
    guest_birth_year: int | None
    room: str
    arrival: datetime
    planned_departure: datetime
    nights: list[date]

    @property
    def key(self) -> str:
        return guest_key(self.guest_nationality, self.guest_document)


def _clean_stay(data: Mapping[str, Any], problems: Problems, now: datetime) -> _StayInput | None:
    before = len(problems.fields)
    name = _text(data, "guest_name", problems, length=120)
    document = (str(data.get("guest_document") or "")).strip().upper().replace(" ", "")
    if not document:
        problems.add("guest_document", "Cần số giấy tờ tùy thân (CCCD, hộ chiếu)",
                     "The guest's document number (ID card, passport) is required")
    elif not _DOCUMENT.match(document):
        problems.add("guest_document", "Số giấy tờ gồm 5–20 chữ và số", "A document number has 5–20 letters and digits")
    nationality = (str(data.get("guest_nationality") or "VN")).strip().upper()
    if not _NATIONALITY.match(nationality):
        problems.add("guest_nationality", "Quốc tịch: mã 2 chữ (VN, US…)", "Nationality: a 2-letter code (VN, US…)")
    birth_year = data.get("guest_birth_year")
    if birth_year in ("", None):
        birth_year = None
    elif not isinstance(birth_year, int) or isinstance(birth_year, bool) or not 1900 <= birth_year <= now.year:
        problems.add("guest_birth_year", "Năm sinh không hợp lệ", "Not a valid year of birth")
    room = _text(data, "room", problems, length=20)
    arrival = _moment(data, "arrival", problems)
    departure = _moment(data, "planned_departure", problems)
    if arrival and departure:
        if departure <= arrival:
            problems.add("planned_departure", "Ngày đi dự kiến phải sau giờ đến",
                         "The planned departure must be after the arrival")
        elif (departure - arrival).days > MAX_STAY_NIGHTS:
            problems.add("planned_departure", f"Lưu trú tối đa {MAX_STAY_NIGHTS} đêm; ở lâu hơn hãy đăng ký tạm trú",
                         f"A stay lasts at most {MAX_STAY_NIGHTS} nights; longer, register a temporary residence")
    if arrival and arrival > now + timedelta(days=1):
        problems.add("arrival", "Chỉ khai báo khách đã hoặc sắp đến (trong 24 giờ)",
                     "Declare guests who have arrived or arrive within 24 hours")
    if len(problems.fields) > before:
        return None
    return _StayInput(name, document, nationality, birth_year, room, arrival, departure, nights_of(arrival, departure))


def _same_batch(items: Sequence[tuple[str, _StayInput]], problems: Problems) -> None:
    """A problem on each row of a batch whose guest another row already claims for one of its nights."""
    claimed: dict[tuple[str, date], str] = {}
    for prefix, stay in items:
        for night in stay.nights:
            other = claimed.setdefault((stay.key, night), prefix)
            if other != prefix:
                problems.add(prefix + "guest_document",
                             f"Khách này đã được khai báo cho đêm {night:%d/%m/%Y} ở dòng khác của lô",
                             f"This guest is declared for the night of {night:%Y-%m-%d} in another row of the batch")
                break


async def _taken_nights(session: AsyncSession, items: Sequence[tuple[str, _StayInput]], problems: Problems) -> None:
    """A problem on each stay whose guest already holds one of its nights, at an establishment of this
    ward (named) or of another unit (only the unit)."""
    tenant_id = session_ward(session)
    keys = sorted({stay.key for _, stay in items})
    held: dict[tuple[str, date], GuestNight] = {}
    for start in range(0, len(keys), 500):
        rows = await session.execute(select(GuestNight).where(GuestNight.guest_key.in_(keys[start:start + 500])))
        held.update(((r.guest_key, r.night), r) for r in rows.scalars())
    names: dict[uuid.UUID, str] = {}
    for prefix, stay in items:
        taken = next((held[(stay.key, n)] for n in stay.nights if (stay.key, n) in held), None)
        if taken is None:
            continue
        if taken.tenant_id == tenant_id:
            if taken.stay_id not in names:
                names[taken.stay_id] = await session.scalar(
                    select(Establishment.name).join(Stay, Stay.establishment_id == Establishment.id)
                    .where(Stay.id == taken.stay_id)) or "?"
            where_vi = where_en = names[taken.stay_id]
        else:
            unit = await unit_label(session, taken.tenant_id)
            where_vi, where_en = f"một cơ sở của đơn vị {unit}", f"an establishment of unit {unit}"
        problems.add(prefix + "guest_document",
                     f"Khách này đã được khai báo lưu trú đêm {taken.night:%d/%m/%Y} tại {where_vi}",
                     f"This guest is already declared for the night of {taken.night:%Y-%m-%d} at {where_en}")


async def _operated(session: AsyncSession, establishment_id: Any, narrow: Narrow,
                    items: Sequence[tuple[str, _StayInput]]) -> tuple[uuid.UUID, uuid.UUID, str, int]:
    """One query for what a declaration checks: (tenant, id, status) of the establishment, narrowed to the
    caller's, and how many nights its guests may already hold (guest keys in the batch, nights between its
    first and last: a superset, resolved exactly by :func:`_taken_nights` when not zero).
    ``NOT_FOUND`` / ``FORBIDDEN`` as :func:`get_establishment`."""
    problems = Problems()
    eid = _id({"establishment_id": establishment_id}, "establishment_id", problems)
    problems.check()
    held: Any = literal(0)
    if items:
        nights = [n for _, stay in items for n in stay.nights]
        held = (select(func.count()).select_from(GuestNight).where(
            GuestNight.guest_key.in_(sorted({stay.key for _, stay in items})),
            GuestNight.night >= min(nights), GuestNight.night <= max(nights)).scalar_subquery())
    found = (await session.execute(narrow(
        select(Establishment.tenant_id, Establishment.id, Establishment.status, held).where(Establishment.id == eid),
        "residence.establishment"))).first()
    if found is None:
        await get_establishment(session, eid, narrow)  # raises the right error
    return tuple(found)


async def declare_stays(session: AsyncSession, establishment_id: Any, rows: Sequence[Mapping[str, Any]], *,
                        narrow: Narrow = _all_rows, declared_by: str | None = None,
                        now: datetime | None = None) -> list[Stay]:
    """Declare guests' stays at an establishment the caller operates, all or nothing: every bad row is
    reported (fields ``stays.<n>.<field>``) and nothing is written.

    The hot path of lodging (operators declare around the clock), in four statements: one check (the
    establishment, narrowed to the caller's, with the count of nights its guests may already hold), the
    stays' INSERT, their audit entries (core, same flush), the guests' nights. Only when nights may be
    held does a second query find which, for the message. Two declarations of the same guest racing
    past the check meet on the nights' primary key: the second gets ``CONFLICT`` and its transaction
    writes nothing.
    """
    now = to_utc(now or now_utc())
    problems = Problems()
    if not rows:
        problems.add("stays", "Cần ít nhất một khách", "At least one guest is required")
    if len(rows) > BATCH_LIMIT:
        problems.add("stays", f"Tối đa {BATCH_LIMIT} khách một lần", f"At most {BATCH_LIMIT} guests at a time")
    items: list[tuple[str, _StayInput]] = []
    if not problems:
        for index, data in enumerate(rows):
            prefix = f"stays.{index}." if len(rows) > 1 else ""
            problems.prefix = prefix
            cleaned = _clean_stay(data if isinstance(data, Mapping) else {}, problems, now)
            if cleaned is not None:
                items.append((prefix, cleaned))
        problems.prefix = ""
    tenant_id, eid, status, held = await _operated(session, establishment_id, narrow, items)
    if status != "active":
        problems.add("establishment_id", "Cơ sở lưu trú đã đóng", "The establishment is closed")
    if len(items) > 1:
        _same_batch(items, problems)
    if held:
        await _taken_nights(session, items, problems)
    problems.check()
    stays = [Stay(tenant_id=tenant_id, establishment_id=eid, guest_name=s.guest_name,
                  guest_document=s.guest_document, guest_nationality=s.guest_nationality,
                  guest_birth_year=s.guest_birth_year, room=s.room, arrival=s.arrival,
                  planned_departure=s.planned_departure, declared_by=declared_by) for _, s in items]
    session.add_all(stays)
    await session.flush()
    nights = [{"guest_key": s.key, "night": n, "tenant_id": tenant_id, "stay_id": row.id}
              for (_, s), row in zip(items, stays, strict=True) for n in s.nights]
    try:  # ORM-enabled (a Core statement would go through core's cursor guard, which costs more than the
        # ORM's bulk path); no savepoint: a lost race aborts the whole transaction, as it must
        await session.execute(insert(GuestNight), nights)
    except IntegrityError as exc:
        raise conflict("Khách vừa được khai báo ở cơ sở khác cho cùng đêm; hãy kiểm tra lại",
                       "The guest was just declared elsewhere for the same night; check again") from exc
    return stays


async def declare_stay(session: AsyncSession, establishment_id: Any, data: Mapping[str, Any], **options: Any) -> Stay:
    return (await declare_stays(session, establishment_id, [data], **options))[0]


async def get_stay(session: AsyncSession, stay_id: Any, narrow: Narrow = _all_rows) -> Stay:
    problems = Problems()
    sid = _id({"id": stay_id}, "id", problems)
    problems.check()
    row = await session.scalar(narrow(select(Stay).where(Stay.id == sid), "residence.stay"))
    if row is None:
        if await session.scalar(select(Stay.id).where(Stay.id == sid)) is None:
            raise not_found("Không tìm thấy khai báo lưu trú", "No such stay")
        raise UserError("FORBIDDEN", ("Khai báo này không thuộc cơ sở của bạn",
                                      "This stay was not declared by your establishment"))
    return row


async def check_out(session: AsyncSession, stay_id: Any, data: Mapping[str, Any], *, narrow: Narrow = _all_rows,
                    now: datetime | None = None) -> Stay:
    """The guest left at ``departed_at`` (default now): the nights after it are freed."""
    stay = await get_stay(session, stay_id, narrow)
    problems = Problems()
    departed = _moment(data, "departed_at", problems, required=False) or to_utc(now or now_utc())
    if stay.departed_at is not None:
        problems.add("id", "Khách đã trả phòng", "The guest has already left")
    elif departed < from_db(stay.arrival):
        problems.add("departed_at", "Giờ đi trước giờ đến", "The departure is before the arrival")
    problems.check()
    stay.departed_at = departed
    await session.flush()
    kept = nights_of(from_db(stay.arrival), departed)
    await session.execute(delete(GuestNight).where(GuestNight.tenant_id == stay.tenant_id,
                                                   GuestNight.stay_id == stay.id, GuestNight.night > kept[-1]))
    return stay


def stays_query(narrow: Narrow = _all_rows, *, establishment_id: uuid.UUID | None = None) -> Select:
    query = select(Stay)
    if establishment_id:
        query = query.where(Stay.establishment_id == establishment_id)
    return narrow(query, "residence.stay")


# -- police view ---------------------------------------------------------------------------------------

def current_guests_query(now: datetime) -> Select:
    now = to_utc(now)
    return select(Stay).where(Stay.arrival <= now, Stay.departed_at.is_(None)).order_by(Stay.arrival)


def arrivals_query(day: date) -> Select:
    start, end = day_bounds(day)
    return select(Stay).where(Stay.arrival >= start, Stay.arrival < end).order_by(Stay.arrival)


def overdue_query(now: datetime) -> Select:
    return select(Stay).where(Stay.departed_at.is_(None), Stay.planned_departure < to_utc(now)).order_by(
        Stay.planned_departure)


async def establishment_names(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = await session.execute(select(Establishment.id, Establishment.name).where(Establishment.id.in_(wanted)))
    return {key: name for key, name in rows}


# -- statistics ----------------------------------------------------------------------------------------

async def residents_by_neighbourhood(session: AsyncSession) -> list[dict[str, Any]]:
    """Active permanent and temporary residents per neighbourhood (the registration's, else the
    household's; ``None``: no neighbourhood known), in one GROUP BY."""
    area = func.coalesce(Registration.neighbourhood_id, Household.neighbourhood_id).label("area")
    query = (
        select(area, Registration.kind, func.count(func.distinct(Registration.person_id)))
        .select_from(Registration)
        .join(Person, Person.id == Registration.person_id)
        .outerjoin(Household, Household.id == Person.household_id)
        .where(Registration.status == "active", Registration.kind.in_(("permanent", "temporary")))
        .group_by(area, Registration.kind)
    )
    counts: dict[uuid.UUID | None, dict[str, int]] = {}
    for area_id, kind, count in await session.execute(query):
        counts.setdefault(area_id, {"permanent": 0, "temporary": 0})[kind] = count
    names = {key: name for key, name in await session.execute(select(Neighbourhood.id, Neighbourhood.name))}
    result = [{"neighbourhood_id": a, "name": names.get(a) if a else None, **c} for a, c in counts.items()]
    return sorted(result, key=lambda r: (r["name"] is None, r["name"] or ""))


async def occupancy_by_day(session: AsyncSession, start: date, end: date) -> list[dict[str, Any]]:
    """Per night from ``start`` to ``end``: guests, occupied rooms, and rooms of active establishments."""
    tenant_id = session_ward(session)
    room = func.cast(Stay.establishment_id, String) + "/" + Stay.room
    query = (
        select(GuestNight.night, func.count(), func.count(func.distinct(room)))
        .join(Stay, and_(Stay.tenant_id == GuestNight.tenant_id, Stay.id == GuestNight.stay_id))
        .where(GuestNight.tenant_id == tenant_id, GuestNight.night >= start, GuestNight.night <= end)
        .group_by(GuestNight.night)
    )
    rows = {night: (guests, rooms) for night, guests, rooms in await session.execute(query)}
    capacity = await session.scalar(select(func.coalesce(func.sum(Establishment.rooms), 0))
                                     .where(Establishment.status == "active")) or 0
    days = []
    day = start
    while day <= end:
        guests, rooms = rows.get(day, (0, 0))
        days.append({"night": day, "guests": guests, "rooms": rooms, "capacity": capacity,
                     "rate": round(rooms / capacity, 4) if capacity else 0.0})
        day += timedelta(days=1)
    return days
