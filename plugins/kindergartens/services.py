"""The rules of ``kindergartens``, callable without HTTP.

* A facility's licence number is unique in the ward; its expiry is after its issue date.
* Enrolment never goes above capacity (the facility row is locked while counting, on PostgreSQL), and
  capacity cannot be lowered below the children enrolled now.
* A child (a ``residents`` person of the ward) is enrolled in one place at a time, across the ward's
  facilities (checked here, and by a partial unique index on open enrolments).
* An inspection with issues needs a follow-up date; a follow-up is overdue when its date has passed and
  it is not done. Alerts: licences expiring within 60 days (or already expired), overdue follow-ups.

Every field problem is reported at once (``BAD_USER_INPUT`` with ``fields``); a failed write changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.toolkit import FieldErrors as Errors
from core.toolkit import UserError, bad_input, conflict, not_found, parse_id
from core.toolkit import flush_or_conflict as flush
from core.toolkit import read_body as _body
from core.toolkit import read_choice as _choice
from core.toolkit import read_date as _date
from core.toolkit import read_int as _int
from core.toolkit import read_text as _text
from plugins.kindergartens.models import Enrolment, Facility, Inspection, Staff

Message = tuple[str, str]
ALERT_DAYS = 60
KINDS = {"group": ("Nhóm trẻ độc lập", "Independent childcare group"),
         "class": ("Lớp mẫu giáo độc lập", "Independent kindergarten class")}
LICENCE_STATUSES = {"valid": ("Còn hiệu lực", "Valid"), "suspended": ("Bị đình chỉ", "Suspended"),
                    "revoked": ("Bị thu hồi", "Revoked")}
ROLES = {"owner": ("Chủ cơ sở", "Owner"), "teacher": ("Giáo viên", "Teacher"), "carer": ("Bảo mẫu", "Carer"),
         "cook": ("Cấp dưỡng", "Cook"), "other": ("Khác", "Other")}
QUALIFICATIONS = {"none": ("Chưa qua đào tạo", "None"), "certificate": ("Chứng chỉ bồi dưỡng", "Certificate"),
                  "intermediate": ("Trung cấp sư phạm mầm non", "Intermediate (preschool teaching)"),
                  "college": ("Cao đẳng sư phạm mầm non", "College (preschool teaching)"),
                  "university": ("Đại học sư phạm mầm non", "University (preschool teaching)")}
RESULTS = {"pass": ("Đạt", "Passed"), "issues": ("Có tồn tại cần khắc phục", "Issues to fix")}




async def _person(session: AsyncSession, value: Any, field: str, errors: Errors):
    from plugins.residents import services as residents

    if value in (None, ""):
        return None
    try:
        return await residents.get_person(session, parse_id(value, field))
    except UserError:
        errors.add(field, "Không có nhân khẩu này trong phường", "No such person in this ward")
        return None


# -- facilities -----------------------------------------------------------------------------------------

async def get_facility(session: AsyncSession, facility_id: Any, *, lock: bool = False) -> Facility:
    query = select(Facility).where(Facility.id == parse_id(facility_id, "facility_id"))
    if lock:
        query = query.with_for_update()
    facility = await session.scalar(query)
    if facility is None:
        raise not_found("Không tìm thấy cơ sở", "No such facility")
    return facility


async def enrolled_count(session: AsyncSession, facility_id: uuid.UUID) -> int:
    return await session.scalar(select(func.count()).select_from(Enrolment).where(
        Enrolment.facility_id == facility_id, Enrolment.left_on.is_(None))) or 0


FACILITY_FIELDS = {"kind", "name", "owner_name", "owner_person_id", "address", "capacity", "licence_number",
                   "licence_issued", "licence_expires", "licence_status"}


async def save_facility(session: AsyncSession, data: Any, facility_id: Any = None) -> Facility:
    """Create a facility, or change one (``facility_id``) with the fields given."""
    data = _body(data)
    current = await get_facility(session, facility_id, lock=True) if facility_id is not None else None
    errors = Errors()
    for name in sorted(set(data) - FACILITY_FIELDS):
        errors.add(name, "Trường không được hỗ trợ", "Unknown field")
    merged = {f: getattr(current, f) for f in FACILITY_FIELDS} if current else {}
    merged.update({k: v for k, v in data.items() if k in FACILITY_FIELDS})
    values: dict[str, Any] = {
        "kind": _choice(merged, errors, "kind", KINDS),
        "name": _text(merged, errors, "name", 255, True),
        "owner_name": _text(merged, errors, "owner_name", 120),
        "address": _text(merged, errors, "address", 255, True),
        "capacity": _int(merged, errors, "capacity", 1, 500, True),
        "licence_number": _text(merged, errors, "licence_number", 40, True),
        "licence_issued": _date(merged, errors, "licence_issued", True),
        "licence_expires": _date(merged, errors, "licence_expires"),
        "licence_status": _choice(merged, errors, "licence_status", LICENCE_STATUSES, "valid"),
    }
    owner = await _person(session, merged.get("owner_person_id"), "owner_person_id", errors)
    values["owner_person_id"] = owner.id if owner else None
    if owner and not values["owner_name"]:
        values["owner_name"] = owner.full_name
    if not values["owner_name"] and "owner_name" not in errors.fields:
        errors.add("owner_name", "Không được để trống", "Required")
    issued, expires = values["licence_issued"], values["licence_expires"]
    if issued and expires and expires <= issued:
        errors.add("licence_expires", "Ngày hết hạn phải sau ngày cấp", "The expiry must come after the issue date")
    if current is not None and values["capacity"] is not None:
        enrolled = await enrolled_count(session, current.id)
        if values["capacity"] < enrolled:
            errors.add("capacity", f"Đang có {enrolled} trẻ; không thể giảm sức chứa dưới số này",
                       f"{enrolled} children are enrolled; capacity cannot go below that")
    errors.raise_if_any()
    taken = select(Facility.id).where(Facility.licence_number == values["licence_number"])
    if current is not None:
        taken = taken.where(Facility.id != current.id)
    if await session.scalar(taken) is not None:
        raise UserError("CONFLICT", ("Số giấy phép đã có trong phường", "This licence number is already registered"),
                        {"licence_number": ("Số giấy phép đã có", "Already registered")})
    if current is None:
        current = Facility(**values)
        session.add(current)
    else:
        for key, value in values.items():
            setattr(current, key, value)
    await flush(session)
    return current


# -- enrolment ------------------------------------------------------------------------------------------

async def enrol(session: AsyncSession, facility_id: Any, data: Any, today: date | None = None) -> Enrolment:
    data = _body(data)
    facility = await get_facility(session, facility_id, lock=True)
    errors = Errors()
    if data.get("person_id") in (None, ""):
        errors.add("person_id", "Hãy chọn trẻ (nhân khẩu)", "Choose the child (a person)")
    child = await _person(session, data.get("person_id"), "person_id", errors)
    since = _date(data, errors, "enrolled_on") or today or date.today()
    errors.raise_if_any()
    if getattr(child, "status", "present") != "present":
        raise bad_input("person_id", "Trẻ không còn cư trú trong phường", "The child no longer lives in the ward")
    if facility.licence_status != "valid":
        raise bad_input("facility_id", "Giấy phép của cơ sở không còn hiệu lực", "The facility's licence is not valid")
    elsewhere = await session.scalar(select(Enrolment).where(Enrolment.person_id == child.id,
                                                             Enrolment.left_on.is_(None)))
    if elsewhere is not None:
        where = await session.get(Facility, (elsewhere.tenant_id, elsewhere.facility_id))
        name = where.name if where else "?"
        raise UserError("CONFLICT", (f"Trẻ đang theo học tại {name}", f"The child is already enrolled at {name}"),
                        {"person_id": (f"Đang theo học tại {name}", f"Already enrolled at {name}")})
    enrolled = await enrolled_count(session, facility.id)
    if enrolled >= facility.capacity:
        raise UserError("CONFLICT", (f"Cơ sở đã đủ {facility.capacity} trẻ",
                                     f"The facility is full ({facility.capacity})"),
                        {"facility_id": (f"Đã đủ {facility.capacity} trẻ", f"Full: {facility.capacity} children")})
    enrolment = Enrolment(facility_id=facility.id, person_id=child.id, child_name=child.full_name, enrolled_on=since)
    session.add(enrolment)
    await flush(session)
    return enrolment


async def leave(session: AsyncSession, enrolment_id: Any, data: Any, today: date | None = None) -> Enrolment:
    data = _body(data)
    enrolment = await session.scalar(select(Enrolment).where(Enrolment.id == parse_id(enrolment_id)))
    if enrolment is None:
        raise not_found("Không tìm thấy lượt nhập học", "No such enrolment")
    errors = Errors()
    when = _date(data, errors, "left_on") or today or date.today()
    errors.raise_if_any()
    if enrolment.left_on is not None:
        raise conflict("Trẻ đã thôi học ở đây", "The child has already left")
    if when < enrolment.enrolled_on:
        raise bad_input("left_on", "Ngày thôi học trước ngày nhập học", "Leaving before enrolling")
    enrolment.left_on = when
    await flush(session)
    return enrolment


async def enrolments(session: AsyncSession, facility_id: uuid.UUID, *, open_only: bool = True) -> list[Enrolment]:
    query = select(Enrolment).where(Enrolment.facility_id == facility_id)
    if open_only:
        query = query.where(Enrolment.left_on.is_(None))
    return list((await session.execute(query.order_by(Enrolment.child_name))).scalars())


# -- staff and inspections -----------------------------------------------------------------------------

async def add_staff(session: AsyncSession, facility_id: Any, data: Any) -> Staff:
    data = _body(data)
    facility = await get_facility(session, facility_id)
    errors = Errors()
    member = Staff(facility_id=facility.id, full_name=_text(data, errors, "full_name", 120, True),
                   role=_choice(data, errors, "role", ROLES),
                   qualification=_choice(data, errors, "qualification", QUALIFICATIONS),
                   qualification_note=_text(data, errors, "qualification_note", 255))
    if member.role == "teacher" and member.qualification in ("none", "certificate"):
        errors.add("qualification", "Giáo viên mầm non phải có trình độ từ trung cấp sư phạm mầm non",
                   "A preschool teacher needs at least an intermediate preschool-teaching qualification")
    errors.raise_if_any()
    session.add(member)
    await flush(session)
    return member


async def record_inspection(session: AsyncSession, facility_id: Any, data: Any, today: date | None = None
                            ) -> Inspection:
    data = _body(data)
    facility = await get_facility(session, facility_id)
    errors = Errors()
    on = _date(data, errors, "inspected_on", True)
    result = _choice(data, errors, "result", RESULTS)
    findings = _text(data, errors, "findings", 4000)
    due = _date(data, errors, "follow_up_due")
    if on and on > (today or date.today()):
        errors.add("inspected_on", "Ngày kiểm tra ở tương lai", "The inspection date is in the future")
    if result == "issues":
        if not findings and "findings" not in errors.fields:
            errors.add("findings", "Hãy ghi các tồn tại phát hiện", "Describe the issues found")
        if due is None and "follow_up_due" not in errors.fields:
            errors.add("follow_up_due", "Cần hạn khắc phục khi có tồn tại", "Issues need a follow-up date")
    if on and due and due < on:
        errors.add("follow_up_due", "Hạn khắc phục trước ngày kiểm tra", "The follow-up is due before the inspection")
    errors.raise_if_any()
    inspection = Inspection(facility_id=facility.id, inspected_on=on, result=result, findings=findings,
                            follow_up_due=due if result == "issues" else None)
    session.add(inspection)
    await flush(session)
    return inspection


async def complete_follow_up(session: AsyncSession, inspection_id: Any, data: Any,
                             today: date | None = None) -> Inspection:
    data = _body(data)
    inspection = await session.scalar(select(Inspection).where(Inspection.id == parse_id(inspection_id)))
    if inspection is None:
        raise not_found("Không tìm thấy lần kiểm tra", "No such inspection")
    errors = Errors()
    done = _date(data, errors, "done_on") or today or date.today()
    note = _text(data, errors, "note", 4000)
    errors.raise_if_any()
    if inspection.follow_up_due is None:
        raise bad_input("inspection_id", "Lần kiểm tra này không cần khắc phục", "This inspection needs no follow-up")
    if inspection.follow_up_done_on is not None:
        raise conflict("Đã ghi nhận khắc phục", "The follow-up is already recorded")
    if done < inspection.inspected_on:
        raise bad_input("done_on", "Ngày khắc phục trước ngày kiểm tra", "Done before the inspection")
    inspection.follow_up_done_on, inspection.follow_up_note = done, note
    await flush(session)
    return inspection


# -- alerts ---------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Alert:
    kind: str  # licence_expiring | licence_expired | follow_up_overdue
    facility_id: uuid.UUID
    facility_name: str
    due: date
    days: int  # days left (negative: overdue)
    inspection_id: uuid.UUID | None = None

    def message(self) -> Message:
        if self.kind == "licence_expiring":
            return (f"Giấy phép của {self.facility_name} hết hạn sau {self.days} ngày ({self.due:%d/%m/%Y})",
                    f"{self.facility_name}'s licence expires in {self.days} days ({self.due:%d/%m/%Y})")
        if self.kind == "licence_expired":
            return (f"Giấy phép của {self.facility_name} đã hết hạn ngày {self.due:%d/%m/%Y}",
                    f"{self.facility_name}'s licence expired on {self.due:%d/%m/%Y}")
        return (f"{self.facility_name}: quá hạn khắc phục {-self.days} ngày (hạn {self.due:%d/%m/%Y})",
                f"{self.facility_name}: follow-up overdue by {-self.days} days (due {self.due:%d/%m/%Y})")


async def alerts(session: AsyncSession, today: date | None = None) -> list[Alert]:
    """Licences of valid facilities expiring within 60 days or expired, and overdue follow-ups, soonest first."""
    today = today or date.today()
    out: list[Alert] = []
    licences = await session.execute(select(Facility).where(
        Facility.licence_status == "valid", Facility.licence_expires.is_not(None),
        Facility.licence_expires <= today + timedelta(days=ALERT_DAYS)))
    for facility in licences.scalars():
        days = (facility.licence_expires - today).days
        out.append(Alert("licence_expiring" if days >= 0 else "licence_expired", facility.id, facility.name,
                         facility.licence_expires, days))
    overdue = await session.execute(select(Inspection, Facility.name).join(
        Facility, (Facility.tenant_id == Inspection.tenant_id) & (Facility.id == Inspection.facility_id)).where(
        Inspection.follow_up_due < today, Inspection.follow_up_done_on.is_(None)))
    for inspection, name in overdue.all():
        out.append(Alert("follow_up_overdue", inspection.facility_id, name, inspection.follow_up_due,
                         (inspection.follow_up_due - today).days, inspection.id))
    return sorted(out, key=lambda a: (a.days, a.facility_name))
