"""The domain rules of the ward military command's register, callable without HTTP.

Who must register in a year and who is called up are COMPUTED from ``residents`` (birth date, sex,
status): nothing about a person is typed twice. Every rule breach is a :class:`UserError` with a field
and a (vi, en) message, raised before anything is written.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.toolkit import bad_input, conflict, not_found, parse_date, parse_id, parse_year
from plugins.military_service import reference as ref
from plugins.military_service.models import CallUp, ServiceRecord
from plugins.residents import services as residents
from plugins.residents.models import Person

# -- today ---------------------------------------------------------------------------------------------


def today() -> date:
    from plugins.residents.validation import today_in_vietnam

    return today_in_vietnam()


# -- ages ------------------------------------------------------------------------------------------------


def age_on(person: Person, on: date) -> int:
    """Full years on ``on``; an unknown month or day counts as the first (1 January for a year alone)."""
    born = (person.birth_month or 1, person.birth_day or 1)
    return on.year - person.birth_year - (1 if (on.month, on.day) < born else 0)


def call_up_day(year: int) -> date:
    """The day ages are counted on for a year's call-up when none is given: 1 February."""
    return date(year, 2, 1)


def max_call_up_age(record: ServiceRecord) -> int:
    return ref.CALL_UP_MAX_AGE_STUDY if record.study_deferred else ref.CALL_UP_MAX_AGE


def deferred_in(record: ServiceRecord, year: int) -> bool:
    return record.status == "deferred" and (record.deferred_until_year or 0) >= year


def callable_in(record: ServiceRecord, year: int) -> bool:
    """On the register, not exempt, serving or in reserve, with no deferment in force and no unfit health class."""
    if record.status not in ("registered", "deferred") or deferred_in(record, year):
        return False
    return record.health_class is None or record.health_class in ref.FIT_CLASSES


# -- lookups ---------------------------------------------------------------------------------------------


async def get_record(session: AsyncSession, person_id: Any) -> ServiceRecord:
    pid = parse_id(person_id, "person_id")
    record = await session.scalar(select(ServiceRecord).where(ServiceRecord.person_id == pid))
    if record is None:
        raise not_found("Công dân chưa có trong sổ đăng ký nghĩa vụ quân sự",
                        "The citizen is not on the military service register")
    return record


async def persons_by_id(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Person]:
    ids = list(set(ids))
    if not ids:
        return {}
    rows = (await session.execute(select(Person).where(Person.id.in_(ids)))).scalars()
    return {p.id: p for p in rows}


def _ground(value: Any, kind: str) -> ref.Ground:
    field = "ground_code"
    code = str(value or "").strip()
    if not code:
        if kind == "deferment":
            raise bad_input(field, "Tạm hoãn phải có căn cứ pháp lý (Điều 41 khoản 1 Luật Nghĩa vụ quân sự)",
                            "A deferment needs its legal ground (Law on Military Service, art. 41(1))")
        raise bad_input(field, "Miễn gọi nhập ngũ phải có căn cứ pháp lý (Điều 41 khoản 2 Luật Nghĩa vụ quân sự)",
                        "An exemption needs its legal ground (Law on Military Service, art. 41(2))")
    ground = ref.BY_CODE.get(code)
    if ground is None or ground.kind != kind:
        what = ("tạm hoãn", "deferment") if kind == "deferment" else ("miễn", "exemption")
        raise bad_input(field, f"Không phải căn cứ {what[0]} hợp lệ: {code}", f"Not a valid {what[1]} ground: {code}")
    return ground


def _present(person: Person) -> None:
    if person.status != "present":
        raise bad_input("person_id", "Công dân không còn cư trú tại phường (đã chuyển đi hoặc đã mất)",
                        "The citizen no longer lives in the ward (moved away or deceased)")


# -- the register ----------------------------------------------------------------------------------------


async def register(session: AsyncSession, data: Mapping[str, Any]) -> ServiceRecord:
    """First registration: the citizen must be present and at least in the year they turn 17."""
    person = await residents.get_person(session, data.get("person_id"))
    _present(person)
    registered_on = parse_date(data.get("registered_on"), "registered_on", default=today())
    if registered_on.year - person.birth_year < ref.REGISTRATION_AGE:
        raise bad_input("registered_on", "Chỉ đăng ký từ năm công dân đủ 17 tuổi",
                        "Registration starts in the year the citizen turns 17")
    if registered_on > today():
        raise bad_input("registered_on", "Ngày đăng ký không được ở tương lai",
                        "The registration date is in the future")
    if await session.scalar(select(ServiceRecord.id).where(ServiceRecord.person_id == person.id)):
        raise conflict("Công dân đã có trong sổ đăng ký", "The citizen is already on the register")
    record = ServiceRecord(person_id=person.id, registered_on=registered_on, status="registered",
                           note=_note(data.get("note")))
    if data.get("health_class") not in (None, ""):
        _set_health(record, data.get("health_class"), data.get("health_checked_on"), registered_on)
    session.add(record)
    await residents.flush(session)
    return record


def _note(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    if len(text) > 2000:
        raise bad_input("note", "Ghi chú quá dài (tối đa 2000 ký tự)", "The note is too long (2000 characters at most)")
    return text or None


def _set_health(record: ServiceRecord, value: Any, checked: Any, default: date) -> None:
    try:
        health = int(str(value).strip())
    except ValueError:
        health = 0
    if isinstance(value, bool) or health not in ref.HEALTH_CLASSES:
        raise bad_input("health_class", "Phân loại sức khỏe từ 1 đến 6", "The health class is 1 to 6")
    record.health_class = health
    record.health_checked_on = parse_date(checked, "health_checked_on", default=default)


async def record_health(session: AsyncSession, person_id: Any, data: Mapping[str, Any]) -> ServiceRecord:
    record = await get_record(session, person_id)
    _set_health(record, data.get("health_class"), data.get("health_checked_on"), today())
    await residents.flush(session)
    return record


def _open_to_decision(record: ServiceRecord, field: str = "person_id") -> None:
    if record.status not in ("registered", "deferred"):
        status = ref.STATUSES[record.status]
        raise bad_input(field, f"Không thể quyết định với công dân ở tình trạng: {status[0].lower()}",
                        f"No decision is possible for a citizen who is: {status[1].lower()}")


async def _roster_entry(session: AsyncSession, person_id: uuid.UUID, year: int) -> CallUp | None:
    return await session.scalar(select(CallUp).where(CallUp.person_id == person_id, CallUp.year == year))


async def _close_roster(session: AsyncSession, person_id: uuid.UUID, year: int, status: str, on: date) -> None:
    entry = await _roster_entry(session, person_id, year)
    if entry is not None and status in ref.ROSTER_MOVES.get(entry.status, ()):
        entry.status, entry.status_date = status, on


async def defer(session: AsyncSession, person_id: Any, data: Mapping[str, Any]) -> ServiceRecord:
    """Tạm hoãn: a ground of article 41(1) and the last year it covers are required."""
    record = await get_record(session, person_id)
    _open_to_decision(record)
    ground = _ground(data.get("ground_code"), "deferment")
    decided_on = parse_date(data.get("decided_on"), "decided_on", default=today())
    until = parse_year(data.get("until_year"), "until_year")
    if until < decided_on.year:
        raise bad_input("until_year", "Năm hết tạm hoãn không được trước năm quyết định",
                        "The deferment cannot end before the year it was decided")
    record.status, record.ground_code, record.decided_on = "deferred", ground.code, decided_on
    record.deferred_until_year = until
    record.study_deferred = record.study_deferred or ground.code == ref.STUDY_GROUND
    record.note = _note(data.get("note")) or record.note
    await _close_roster(session, record.person_id, decided_on.year, "deferred", decided_on)
    await residents.flush(session)
    return record


async def exempt(session: AsyncSession, person_id: Any, data: Mapping[str, Any]) -> ServiceRecord:
    """Miễn gọi nhập ngũ in peacetime: a ground of article 41(2) is required."""
    record = await get_record(session, person_id)
    _open_to_decision(record)
    ground = _ground(data.get("ground_code"), "exemption")
    decided_on = parse_date(data.get("decided_on"), "decided_on", default=today())
    record.status, record.ground_code, record.decided_on = "exempt", ground.code, decided_on
    record.deferred_until_year = None
    record.note = _note(data.get("note")) or record.note
    await _close_roster(session, record.person_id, decided_on.year, "exempt", decided_on)
    await residents.flush(session)
    return record


async def enlist(session: AsyncSession, person_id: Any, data: Mapping[str, Any]) -> ServiceRecord:
    record = await get_record(session, person_id)
    enlisted_on = parse_date(data.get("enlisted_on"), "enlisted_on", default=today())
    if not callable_in(record, enlisted_on.year):
        raise bad_input("person_id", "Công dân không thuộc diện gọi nhập ngũ (miễn, tạm hoãn, không đủ sức khỏe "
                        "hoặc đã phục vụ)", "The citizen cannot be enlisted (exempt, deferred, unfit or served)")
    record.status, record.enlisted_on = "enlisted", enlisted_on
    await _close_roster(session, record.person_id, enlisted_on.year, "enlisted", enlisted_on)
    await residents.flush(session)
    return record


async def discharge(session: AsyncSession, person_id: Any, data: Mapping[str, Any]) -> ServiceRecord:
    """Xuất ngũ: an enlisted citizen moves to the reserve."""
    record = await get_record(session, person_id)
    if record.status != "enlisted":
        raise bad_input("person_id", "Chỉ quân nhân đang tại ngũ mới xuất ngũ", "Only a serving soldier is discharged")
    discharged_on = parse_date(data.get("discharged_on"), "discharged_on", default=today())
    if record.enlisted_on and discharged_on < record.enlisted_on:
        raise bad_input("discharged_on", "Ngày xuất ngũ trước ngày nhập ngũ", "Discharged before being enlisted")
    record.status, record.discharged_on = "reserve", discharged_on
    await residents.flush(session)
    return record


async def list_register(session: AsyncSession, status: str | None = None, limit: int = 500,
                        offset: int = 0) -> list[tuple[ServiceRecord, Person]]:
    query = select(ServiceRecord, Person).join(Person, Person.id == ServiceRecord.person_id)
    if status:
        if status not in ref.STATUSES:
            raise bad_input("status", "Tình trạng không hợp lệ", "Not a valid status")
        query = query.where(ServiceRecord.status == status)
    query = query.order_by(Person.search_name, Person.id).limit(limit).offset(offset)
    return [(r, p) for r, p in (await session.execute(query)).all()]


# -- the annual cycle ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MustRegister:
    person: Person
    record: ServiceRecord | None

    @property
    def registered(self) -> bool:
        return self.record is not None


def must_register_query(year: int) -> Select:
    """(Person, ServiceRecord or None) of the male citizens living in the ward who turn 17 in ``year``
    (article 16), by name; a person has at most one record, so a page can be cut on ``Person.id``."""
    return (
        select(Person, ServiceRecord)
        .outerjoin(ServiceRecord, ServiceRecord.person_id == Person.id)
        .where(Person.status == "present", Person.sex == "male", Person.birth_year == year - ref.REGISTRATION_AGE)
        .order_by(Person.search_name, Person.id)
    )


async def must_register(session: AsyncSession, year: int) -> list[MustRegister]:
    """Male citizens living in the ward who turn 17 in ``year`` (article 16), and whether they have registered."""
    return [MustRegister(p, r) for p, r in (await session.execute(must_register_query(year))).all()]


async def call_up_candidates(session: AsyncSession, year: int, on: date | None = None
                             ) -> list[tuple[Person, ServiceRecord]]:
    """Who the call-up of ``year`` concerns, ages counted on ``on`` (default :func:`call_up_day`): male,
    present, on the register and callable (:func:`callable_in`), aged 18 to 25 (27 if ever deferred for
    study). One query, narrowed by birth year in SQL, the exact age checked here."""
    on = on or call_up_day(year)
    query = (
        select(Person, ServiceRecord)
        .join(ServiceRecord, ServiceRecord.person_id == Person.id)
        .where(Person.status == "present", Person.sex == "male",
               Person.birth_year.between(on.year - ref.CALL_UP_MAX_AGE_STUDY - 1, on.year - ref.CALL_UP_MIN_AGE),
               ServiceRecord.status.in_(("registered", "deferred")))
        .order_by(Person.search_name, Person.id)
    )
    return [
        (p, r) for p, r in (await session.execute(query)).all()
        if callable_in(r, year) and ref.CALL_UP_MIN_AGE <= age_on(p, on) <= max_call_up_age(r)
    ]


async def draw_up_roster(session: AsyncSession, year: Any, on: Any = None) -> list[CallUp]:
    """List every candidate of ``year`` not yet on its roster; returns the entries added."""
    year = parse_year(year, "year")
    on_date = parse_date(on, "on", default=call_up_day(year))
    if on_date.year != year:
        raise bad_input("on", "Ngày tính tuổi phải thuộc năm gọi nhập ngũ", "The age day must be in the call-up year")
    listed = set((await session.execute(select(CallUp.person_id).where(CallUp.year == year))).scalars())
    added = [CallUp(year=year, person_id=p.id, status="listed", status_date=on_date)
             for p, _ in await call_up_candidates(session, year, on_date) if p.id not in listed]
    session.add_all(added)
    await residents.flush(session)
    return added


def roster_query(year: int, status: str | None = None) -> Select:
    """(CallUp, Person) of the call-up roster of ``year`` (of one ``status``), by name."""
    query = select(CallUp, Person).join(Person, Person.id == CallUp.person_id).where(CallUp.year == year)
    if status:
        query = query.where(CallUp.status == status)
    return query.order_by(Person.search_name, Person.id)


async def roster(session: AsyncSession, year: int, status: str | None = None) -> list[tuple[CallUp, Person]]:
    return [(c, p) for c, p in (await session.execute(roster_query(year, status))).all()]


async def set_roster_status(session: AsyncSession, entry_id: Any, data: Mapping[str, Any]) -> CallUp:
    """Move a roster entry on: listed → summoned → enlisted; deferred, exempt or unfit from either.

    ``enlisted``, ``deferred`` and ``exempt`` go through the register's own rules (a ground is required)."""
    entry = await session.scalar(select(CallUp).where(CallUp.id == parse_id(entry_id, "id")))
    if entry is None:
        raise not_found("Không tìm thấy dòng trong danh sách gọi nhập ngũ", "No such call-up roster entry")
    status = str(data.get("status") or "")
    if status not in ref.ROSTER_STATUSES:
        raise bad_input("status", "Tình trạng không hợp lệ", "Not a valid status")
    if status not in ref.ROSTER_MOVES.get(entry.status, ()):
        was, to = ref.ROSTER_STATUSES[entry.status], ref.ROSTER_STATUSES[status]
        raise bad_input("status", f"Không chuyển được từ “{was[0]}” sang “{to[0]}”",
                        f"Cannot go from “{was[1]}” to “{to[1]}”")
    on = parse_date(data.get("date"), "date", default=today())
    if status == "enlisted":
        await enlist(session, entry.person_id, {"enlisted_on": on})
    elif status == "deferred":
        await defer(session, entry.person_id, {**data, "decided_on": on})
    elif status == "exempt":
        await exempt(session, entry.person_id, {**data, "decided_on": on})
    entry.status, entry.status_date = status, on
    entry.note = _note(data.get("note")) or entry.note
    await residents.flush(session)
    return entry


async def counts(session: AsyncSession, year: int) -> dict[str, Any]:
    """The register by status, the year's roster by status, and the year's registration progress."""
    by_status = dict((await session.execute(
        select(ServiceRecord.status, func.count()).group_by(ServiceRecord.status))).all())
    by_roster = dict((await session.execute(
        select(CallUp.status, func.count()).where(CallUp.year == year).group_by(CallUp.status))).all())
    due = await must_register(session, year)
    return {
        "year": year,
        "register": {s: by_status.get(s, 0) for s in ref.STATUSES},
        "roster": {s: by_roster.get(s, 0) for s in ref.ROSTER_STATUSES},
        "must_register": len(due),
        "registered": sum(1 for d in due if d.registered),
    }


def check_status(value: str | None) -> str | None:
    if value and value not in ref.STATUSES:
        raise bad_input("status", "Tình trạng không hợp lệ", "Not a valid status")
    return value or None

