"""The register's rules, callable without HTTP: create, change and close units, filter and sum them.

Every write checks all fields first and raises one ``BAD_USER_INPUT`` naming each bad field, so a failed
write changes nothing. A status change is recorded in ``economic_units_status_changes``; the size class
is recomputed from section, labour, revenue and capital on every change (Decree 80/2021, ``reference``).
The ORM's flushes are audited by core.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.toolkit import FieldErrors, UserError, bad_input, flush_or_conflict, not_found, parse_id, read_date
from plugins.economic_units import reference as ref
from plugins.economic_units.models import EconomicUnit, StatusChange
from plugins.economic_units.validation import (
    LAT_RANGE,
    LON_RANGE,
    choice,
    normalize_tax_code,
    number,
    section_and_code,
    tax_code_problem,
    text,
)

FIELDS = ("kind", "tax_code", "name", "owner_name", "owner_person_id", "address", "latitude", "longitude",
          "section", "vsic_code", "labour", "revenue", "capital", "note")


async def get_unit(session: AsyncSession, unit_id: Any) -> EconomicUnit:
    unit = await session.scalar(select(EconomicUnit).where(EconomicUnit.id == parse_id(unit_id)))
    if unit is None:
        raise not_found("Không tìm thấy đơn vị kinh tế", "No such economic unit")
    return unit


async def _owner_person(session: AsyncSession, value: Any, errors: FieldErrors,
                        persons: bool) -> tuple[uuid.UUID | None, str | None]:
    """The residents person named as owner, checked to exist in the ward; their name fills ``owner_name``.
    ``persons`` says whether the ward has the residents register on (the link is optional: a district
    subscribes to this plugin, and residents is a ward-only plugin)."""
    if value in (None, ""):
        return None, None
    if not persons:
        errors.add("owner_person_id", "Phường chưa bật phân hệ Nhân khẩu", "The residents plugin is not on here")
        return None, None
    try:
        person_id = uuid.UUID(str(value))
    except ValueError:
        errors.add("owner_person_id", "Mã nhân khẩu không hợp lệ", "Not a valid person id")
        return None, None
    from plugins.residents import services as residents

    try:
        person = await residents.get_person(session, person_id)
    except UserError:
        errors.add("owner_person_id", "Không có nhân khẩu này trong phường", "No such person in this ward")
        return None, None
    return person.id, person.full_name


async def clean(session: AsyncSession, data: Mapping[str, Any], current: EconomicUnit | None = None, *,
                persons: bool = True) -> dict[str, Any]:
    """The unit's fields checked (``current`` gives the values not in ``data`` when changing a unit)."""
    if not isinstance(data, Mapping):
        raise bad_input("body", "Dữ liệu phải là một đối tượng JSON", "The body must be a JSON object")
    unknown = sorted(set(data) - set(FIELDS) - {"status", "status_date"})
    errors = FieldErrors()
    for name in unknown:
        errors.add(name, "Trường không được hỗ trợ", "Unknown field")
    merged: dict[str, Any] = {f: getattr(current, f) for f in FIELDS} if current is not None else {}
    merged.update({k: v for k, v in data.items() if k in FIELDS})
    out: dict[str, Any] = {}
    out["kind"] = choice(merged, errors, "kind", ref.KINDS)
    if out["kind"] is None and "kind" not in errors.fields:
        out["kind"] = "enterprise"
    out["name"] = text(merged, errors, "name", 255, required=True)
    out["address"] = text(merged, errors, "address", 255, required=True)
    out["owner_name"] = text(merged, errors, "owner_name", 120)
    out["note"] = text(merged, errors, "note", 2000)
    raw_tax = merged.get("tax_code")
    out["tax_code"] = None
    if raw_tax not in (None, ""):
        code = normalize_tax_code(raw_tax)
        problem = tax_code_problem(code)
        if problem:
            errors.add("tax_code", *problem)
        else:
            out["tax_code"] = code
    elif out["kind"] == "enterprise":
        errors.add("tax_code", "Doanh nghiệp phải có mã số thuế", "An enterprise must have a tax code")
    lat = number(merged, errors, "latitude", low=LAT_RANGE[0], high=LAT_RANGE[1])
    lon = number(merged, errors, "longitude", low=LON_RANGE[0], high=LON_RANGE[1])
    if "latitude" not in errors.fields and "longitude" not in errors.fields and (lat is None) != (lon is None):
        errors.add("latitude" if lat is None else "longitude", "Cần cả vĩ độ và kinh độ",
                   "Give both latitude and longitude")
    out["latitude"], out["longitude"] = lat, lon
    out["section"], out["vsic_code"] = section_and_code(merged, errors)
    labour = number(merged, errors, "labour", integer=True, low=0, high=1_000_000)
    out["labour"] = labour or 0
    out["revenue"] = number(merged, errors, "revenue", low=0)
    out["capital"] = number(merged, errors, "capital", low=0)
    person_id, person_name = await _owner_person(session, merged.get("owner_person_id"), errors, persons)
    out["owner_person_id"] = person_id
    if person_name and not out["owner_name"]:
        out["owner_name"] = person_name
    errors.raise_if_any()
    out["size_class"] = ref.size_class(out["section"], out["labour"], out["revenue"], out["capital"])
    return out


async def _tax_code_taken(session: AsyncSession, code: str | None, own_id: uuid.UUID | None) -> None:
    if code is None:
        return
    query = select(EconomicUnit.id).where(EconomicUnit.tax_code == code)
    if own_id is not None:
        query = query.where(EconomicUnit.id != own_id)
    if await session.scalar(query) is not None:
        raise UserError("CONFLICT", ("Mã số thuế đã được đăng ký trong phường", "This tax code is already registered"),
                        {"tax_code": ("Mã số thuế đã được đăng ký", "Already registered")})


async def create_unit(session: AsyncSession, data: Mapping[str, Any], today: date | None = None, *,
                      persons: bool = True) -> EconomicUnit:
    values = await clean(session, data, persons=persons)
    errors = FieldErrors()
    status = choice(dict(data), errors, "status", ref.STATUSES) or "active"
    since = read_date(dict(data), errors, "status_date") or today or date.today()
    errors.raise_if_any()
    await _tax_code_taken(session, values["tax_code"], None)
    unit = EconomicUnit(**values, status=status, status_date=since)
    session.add(unit)
    await flush_or_conflict(session)
    session.add(StatusChange(unit_id=unit.id, from_status=None, to_status=status, changed_on=since,
                             note="registered"))
    await flush_or_conflict(session)
    return unit


async def update_unit(session: AsyncSession, unit_id: Any, data: Mapping[str, Any], *,
                      persons: bool = True) -> EconomicUnit:
    unit = await get_unit(session, unit_id)
    if isinstance(data, Mapping) and ("status" in data or "status_date" in data):
        raise bad_input("status", "Đổi trạng thái qua thao tác riêng (status)", "Change the status with its own action")
    values = await clean(session, data, unit, persons=persons)
    await _tax_code_taken(session, values["tax_code"], unit.id)
    for key, value in values.items():
        setattr(unit, key, value)
    await flush_or_conflict(session)
    return unit


TRANSITIONS = {"active": {"suspended", "closed"}, "suspended": {"active", "closed"}, "closed": set()}


async def change_status(session: AsyncSession, unit_id: Any, data: Mapping[str, Any],
                        today: date | None = None) -> EconomicUnit:
    """Suspend, resume or close a unit (a closed unit stays closed), recorded in its history."""
    unit = await get_unit(session, unit_id)
    errors = FieldErrors()
    data = dict(data) if isinstance(data, Mapping) else {}
    status = choice(data, errors, "status", ref.STATUSES, required=True)
    when = read_date(data, errors, "date") or today or date.today()
    note = text(data, errors, "note", 2000)
    errors.raise_if_any()
    if status not in TRANSITIONS[unit.status]:
        raise bad_input("status", f"Không thể chuyển từ '{ref.label(ref.STATUSES, unit.status, 'vi')}' sang "
                                  f"'{ref.label(ref.STATUSES, status, 'vi')}'",
                        f"Cannot go from {unit.status} to {status}")
    if unit.status_date and when < unit.status_date:
        raise bad_input("date", "Ngày không được trước lần đổi trạng thái trước", "The date is before the last change")
    session.add(StatusChange(unit_id=unit.id, from_status=unit.status, to_status=status, changed_on=when, note=note))
    unit.status, unit.status_date = status, when
    await flush_or_conflict(session)
    return unit


async def history(session: AsyncSession, unit_id: uuid.UUID) -> list[StatusChange]:
    rows = await session.execute(select(StatusChange).where(StatusChange.unit_id == unit_id)
                                 .order_by(StatusChange.changed_on, StatusChange.created_at))
    return list(rows.scalars())


@dataclass(frozen=True, slots=True)
class Filters:
    """What the map, lists and figures are narrowed by; ``wards`` are tenant ids within the session's scope."""

    wards: tuple[uuid.UUID, ...] = ()
    section: str | None = None
    size: str | None = None
    status: str | None = None
    kind: str | None = None

    @classmethod
    def parse(cls, ward: Any = None, section: Any = None, size: Any = None, status: Any = None,
              kind: Any = None) -> Filters:
        errors = FieldErrors()
        data = {"section": section, "size": size, "status": status, "kind": kind}
        parsed_section = str(section).strip().upper() if section else None
        if parsed_section and parsed_section not in ref.SECTIONS:
            errors.add("section", "Ngành cấp 1 phải là một chữ cái từ A đến U", "A level-1 section is a letter A–U")
        size_v = choice(data, errors, "size", ref.SIZES)
        status_v = choice(data, errors, "status", ref.STATUSES)
        kind_v = choice(data, errors, "kind", ref.KINDS)
        wards: tuple[uuid.UUID, ...] = ()
        if ward:
            try:
                wards = (uuid.UUID(str(ward)),)
            except ValueError:
                errors.add("ward", "Mã phường không hợp lệ", "Not a valid ward id")
        errors.raise_if_any()
        return cls(wards, parsed_section, size_v, status_v, kind_v)

    def apply(self, query: Select) -> Select:
        if self.wards:
            query = query.where(EconomicUnit.tenant_id.in_(self.wards))
        if self.section:
            query = query.where(EconomicUnit.section == self.section)
        if self.size:
            query = query.where(EconomicUnit.size_class == self.size)
        if self.status:
            query = query.where(EconomicUnit.status == self.status)
        if self.kind:
            query = query.where(EconomicUnit.kind == self.kind)
        return query


def units_query(filters: Filters) -> Select:
    return filters.apply(select(EconomicUnit)).order_by(EconomicUnit.name, EconomicUnit.id)


async def figures(session: AsyncSession, filters: Filters) -> dict[str, list[tuple[Any, int, int]]]:
    """Units and labour by section and by ward (tenant id), summed in SQL."""
    out: dict[str, list[tuple[Any, int, int]]] = {}
    for key, column in (("by_section", EconomicUnit.section), ("by_ward", EconomicUnit.tenant_id),
                        ("by_size", EconomicUnit.size_class), ("by_status", EconomicUnit.status)):
        query = filters.apply(select(column, func.count(), func.coalesce(func.sum(EconomicUnit.labour), 0))
                              .group_by(column).order_by(column))
        out[key] = [(k, int(n), int(lab)) for k, n, lab in (await session.execute(query)).all()]
    return out


def feature(unit: EconomicUnit, lang: str = "vi", ward_name: str | None = None) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": str(unit.id),
        "geometry": {"type": "Point", "coordinates": [unit.longitude, unit.latitude]},
        "properties": {
            "name": unit.name, "tax_code": unit.tax_code, "kind": unit.kind, "address": unit.address,
            "section": unit.section, "section_title": ref.label(ref.SECTIONS, unit.section, lang),
            "size_class": unit.size_class, "status": unit.status, "labour": unit.labour,
            "ward_id": str(unit.tenant_id), "ward": ward_name,
        },
    }


async def geojson(session: AsyncSession, filters: Filters, lang: str = "vi",
                  ward_names: Mapping[uuid.UUID, str] | None = None) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the units that have coordinates (RFC 7946: longitude first)."""
    query = units_query(filters).where(EconomicUnit.latitude.is_not(None))
    names = ward_names or {}
    return {"type": "FeatureCollection",
            "features": [feature(u, lang, names.get(u.tenant_id)) for u in (await session.execute(query)).scalars()]}
