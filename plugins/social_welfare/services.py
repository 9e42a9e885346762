"""The domain rules of social welfare, callable without HTTP.

Amounts are computed, never typed: coefficient (Decree 20/2021 art. 6) × the base level in force on the
first day of the month (the newest ``BaseLevel`` whose ``effective_from`` is on or before it). A base level
change is a new row with its effective date: months before it keep the old level.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.toolkit import bad_input, conflict, not_found, parse_date, parse_id
from plugins.residents import services as residents
from plugins.residents.models import Household, Person
from plugins.social_welfare import reference as ref
from plugins.social_welfare.models import (
    BaseLevel,
    Beneficiary,
    Payment,
    PaymentList,
    PolicyFamily,
    PovertyAssessment,
)

# -- parsing ---------------------------------------------------------------------------------------------


def parse_month(value: Any, field: str = "month") -> date:
    """``2026-03`` (or a date, or ``2026-03-01``) → the first day of that month."""
    if isinstance(value, date):
        return value.replace(day=1)
    text = str(value or "").strip()
    try:
        year, month = (int(part) for part in text.split("-")[:2])
        return date(year, month, 1)
    except (ValueError, TypeError):
        raise bad_input(field, "Tháng không hợp lệ (YYYY-MM)", "Not a valid month (YYYY-MM)") from None


def whole_number(value: Any) -> int | None:
    """An int from an int, or from the digits a form or a spreadsheet gives (``"600000"``, ``"600.000"``,
    ``2026.0``); None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value or "").strip().replace(".", "").replace(",", "").replace(" ", "")
    return int(text) if text.isdigit() else None


def today() -> date:
    from plugins.residents.validation import today_in_vietnam

    return today_in_vietnam()


def amount(coefficient: Decimal, base_level: int) -> int:
    return int((coefficient * base_level).quantize(Decimal(1), rounding=ROUND_HALF_UP))


# -- base levels -----------------------------------------------------------------------------------------


async def seed_base_levels(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    """The national levels a ward does not have yet (idempotent)."""
    have = set((await session.execute(select(BaseLevel.effective_from))).scalars())
    rows = [BaseLevel(tenant_id=tenant_id, effective_from=d, amount=a, source=s)
            for d, a, s in ref.NATIONAL_BASE_LEVELS if d not in have]
    session.add_all(rows)
    await session.flush()
    return len(rows)


async def base_levels(session: AsyncSession) -> list[BaseLevel]:
    return list((await session.execute(select(BaseLevel).order_by(BaseLevel.effective_from))).scalars())


async def base_level_on(session: AsyncSession, day: date) -> int:
    level = await session.scalar(select(BaseLevel.amount).where(BaseLevel.effective_from <= day)
                                 .order_by(BaseLevel.effective_from.desc()).limit(1))
    if level is None:
        raise bad_input("month", f"Chưa có mức chuẩn trợ giúp xã hội áp dụng ngày {day.isoformat()}",
                        f"No base level is in force on {day.isoformat()}")
    return level


async def add_base_level(session: AsyncSession, data: Mapping[str, Any]) -> BaseLevel:
    """A new level from the first day of a month. A month that already has a payment list keeps its amounts:
    the level cannot start on or before such a month."""
    effective = parse_date(data.get("effective_from"), "effective_from")
    if effective.day != 1:
        raise bad_input("effective_from", "Mức chuẩn áp dụng từ ngày đầu tháng", "A base level starts on the 1st")
    value = whole_number(data.get("amount"))
    if value is None or not 0 < value < 100_000_000:
        raise bad_input("amount", "Mức chuẩn là số đồng dương", "The base level is a positive number of dong")
    if await session.scalar(select(BaseLevel.id).where(BaseLevel.effective_from == effective)):
        raise bad_input("effective_from", "Đã có mức chuẩn áp dụng từ ngày này",
                        "A base level already starts on this day")
    paid = await session.scalar(select(func.max(PaymentList.month)))
    if paid is not None and effective <= paid:
        raise bad_input("effective_from", f"Đã lập danh sách chi trả đến tháng {paid:%m/%Y}: mức mới phải áp dụng "
                        "từ tháng sau", f"Payment lists exist up to {paid:%m/%Y}: a new level must start later")
    row = BaseLevel(effective_from=effective, amount=value, source=str(data.get("source") or "")[:200] or None)
    session.add(row)
    await residents.flush(session)
    return row


# -- beneficiaries ---------------------------------------------------------------------------------------


def _category(value: Any) -> ref.Category:
    code = str(value or "").strip()
    if not code:
        raise bad_input("category_code", "Hãy chọn đối tượng trợ cấp", "Choose the allowance category")
    category = ref.CATEGORY.get(code)
    if category is None:
        raise bad_input("category_code", f"Không có đối tượng {code} trong Nghị định 20/2021",
                        f"Decree 20/2021 has no category {code}")
    return category


def _living(person: Person) -> None:
    if person.status == "deceased":
        raise bad_input("person_id", "Không thể trợ cấp cho người đã mất", "No allowance for a deceased person")
    if person.status != "present":
        raise bad_input("person_id", "Người này không còn cư trú tại phường", "The person no longer lives in the ward")


async def add_beneficiary(session: AsyncSession, data: Mapping[str, Any]) -> Beneficiary:
    person = await residents.get_person(session, data.get("person_id"))
    _living(person)
    category = _category(data.get("category_code"))
    start = parse_month(data.get("start_month") or today(), "start_month")
    if await session.scalar(select(Beneficiary.id).where(Beneficiary.person_id == person.id,
                                                         Beneficiary.category_code == category.code)):
        raise conflict("Người này đã hưởng trợ cấp đối tượng này", "The person already receives this allowance")
    row = Beneficiary(person_id=person.id, category_code=category.code, start_month=start,
                      decision=str(data.get("decision") or "")[:100] or None)
    session.add(row)
    await residents.flush(session)
    return row


async def stop_beneficiary(session: AsyncSession, beneficiary_id: Any, data: Mapping[str, Any]) -> Beneficiary:
    row = await get_beneficiary(session, beneficiary_id)
    last = parse_month(data.get("end_month"), "end_month")
    if last < row.start_month:
        raise bad_input("end_month", "Tháng cuối trước tháng bắt đầu", "The last month is before the first")
    row.end_month = last
    await residents.flush(session)
    return row


async def get_beneficiary(session: AsyncSession, beneficiary_id: Any) -> Beneficiary:
    row = await session.scalar(select(Beneficiary).where(Beneficiary.id == parse_id(beneficiary_id, "id")))
    if row is None:
        raise not_found("Không tìm thấy đối tượng trợ cấp", "No such beneficiary")
    return row


def beneficiaries_query(category: str | None = None) -> Select:
    """(Beneficiary, Person) of every beneficiary (of a ``category``), by name."""
    query = select(Beneficiary, Person).join(Person, Person.id == Beneficiary.person_id)
    if category:
        query = query.where(Beneficiary.category_code == _category(category).code)
    return query.order_by(Person.search_name, Beneficiary.id)


async def list_beneficiaries(session: AsyncSession, category: str | None = None) -> list[tuple[Beneficiary, Person]]:
    return [(b, p) for b, p in (await session.execute(beneficiaries_query(category))).all()]


# -- policy families and poverty -------------------------------------------------------------------------


async def add_policy_family(session: AsyncSession, data: Mapping[str, Any]) -> PolicyFamily:
    household = await residents.get_household(session, data.get("household_id"))
    code = str(data.get("category_code") or "")
    if code not in ref.POLICY_CATEGORIES:
        raise bad_input("category_code", "Loại gia đình chính sách không hợp lệ", "Not a valid policy category")
    person_id = residents.optional_id(data.get("person_id"), "person_id")
    if person_id is not None:
        person = await residents.get_person(session, person_id)
        if person.household_id != household.id:
            raise bad_input("person_id", "Người có công không thuộc hộ này", "The person is not of this household")
    if await session.scalar(select(PolicyFamily.id).where(PolicyFamily.household_id == household.id,
                                                          PolicyFamily.category_code == code)):
        raise conflict("Hộ đã thuộc loại này", "The household is already of this category")
    row = PolicyFamily(household_id=household.id, category_code=code, person_id=person_id,
                       recognised_on=parse_date(data.get("recognised_on"), "recognised_on", default=today()),
                       note=str(data.get("note") or "")[:2000] or None)
    session.add(row)
    await residents.flush(session)
    return row


async def assess_household(session: AsyncSession, data: Mapping[str, Any]) -> PovertyAssessment:
    household = await residents.get_household(session, data.get("household_id"))
    level = str(data.get("level") or "")
    if level not in ref.POVERTY_LEVELS:
        raise bad_input("level", "Mức: poor (nghèo) hoặc near_poor (cận nghèo)", "Level: poor or near_poor")
    period = str(data.get("period") or "")
    if period not in ref.POVERTY_PERIODS:
        raise bad_input("period", "Giai đoạn chuẩn nghèo không hợp lệ", "Not a valid poverty standard period")
    year = whole_number(data.get("year"))
    first, last = ref.POVERTY_PERIODS[period]
    if year is None or not first <= year <= last:
        raise bad_input("year", f"Năm rà soát phải trong giai đoạn {period}", f"The year must fall in {period}")
    if await session.scalar(select(PovertyAssessment.id).where(PovertyAssessment.household_id == household.id,
                                                               PovertyAssessment.year == year)):
        raise conflict("Hộ đã được rà soát năm này", "The household was already assessed for this year")
    row = PovertyAssessment(household_id=household.id, level=level, period=period, year=year,
                            assessed_on=parse_date(data.get("assessed_on"), "assessed_on", default=today()))
    session.add(row)
    await residents.flush(session)
    return row


def poverty_query(year: int) -> Select:
    """(PovertyAssessment, Household) of the assessments of ``year``, by household code."""
    return (select(PovertyAssessment, Household).join(Household, Household.id == PovertyAssessment.household_id)
            .where(PovertyAssessment.year == year).order_by(Household.code))


async def poverty(session: AsyncSession, year: int) -> list[tuple[PovertyAssessment, Household]]:
    return [(a, h) for a, h in (await session.execute(poverty_query(year))).all()]


def policy_families_query() -> Select:
    """(PolicyFamily, Household) of every policy family, by household code and category."""
    return (select(PolicyFamily, Household).join(Household, Household.id == PolicyFamily.household_id)
            .order_by(Household.code, PolicyFamily.category_code))


async def policy_families(session: AsyncSession) -> list[tuple[PolicyFamily, Household]]:
    return [(f, h) for f, h in (await session.execute(policy_families_query())).all()]


async def policy_family_counts(session: AsyncSession) -> dict[str, int]:
    """Households by policy category, in SQL over the session's scope."""
    households = func.count(func.distinct(PolicyFamily.household_id))
    rows = await session.execute(select(PolicyFamily.category_code, households).group_by(PolicyFamily.category_code))
    return dict(rows.all())


# -- payment lists ---------------------------------------------------------------------------------------


def _next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


async def payable(session: AsyncSession, month: date) -> list[tuple[Beneficiary, Person]]:
    """Allowances running in ``month`` for people alive and living in the ward at its start."""
    query = (
        select(Beneficiary, Person).join(Person, Person.id == Beneficiary.person_id)
        .where(Beneficiary.start_month <= month,
               or_(Beneficiary.end_month.is_(None), Beneficiary.end_month >= month),
               or_(Person.status == "present", Person.status_date >= month))
        .order_by(Person.search_name, Beneficiary.id)
    )
    return [(b, p) for b, p in (await session.execute(query)).all()]


async def draw_up_payment_list(session: AsyncSession, month_value: Any) -> PaymentList:
    """The list of ``month``: one payment per running allowance, coefficient × the level in force that month."""
    month = parse_month(month_value)
    if await session.scalar(select(PaymentList.id).where(PaymentList.month == month)):
        raise bad_input("month", f"Đã lập danh sách chi trả tháng {month:%m/%Y}",
                        f"A payment list for {month:%m/%Y} already exists")
    level = await base_level_on(session, month)
    payments = []
    for beneficiary, _person in await payable(session, month):
        coefficient = ref.CATEGORY[beneficiary.category_code].coefficient
        payments.append(Payment(beneficiary_id=beneficiary.id, person_id=beneficiary.person_id,
                                category_code=beneficiary.category_code, coefficient=coefficient,
                                amount=amount(coefficient, level)))
    listing = PaymentList(month=month, base_level=level, total=sum(p.amount for p in payments))
    session.add(listing)
    await residents.flush(session)
    for payment in payments:
        payment.list_id = listing.id
    session.add_all(payments)
    await residents.flush(session)
    return listing


async def get_payment_list(session: AsyncSession, month_value: Any) -> tuple[PaymentList, list[tuple[Payment, Person]]]:
    month = parse_month(month_value)
    listing = await session.scalar(select(PaymentList).where(PaymentList.month == month))
    if listing is None:
        raise not_found(f"Chưa có danh sách chi trả tháng {month:%m/%Y}", f"No payment list for {month:%m/%Y}")
    rows = await session.execute(select(Payment, Person).join(Person, Person.id == Payment.person_id)
                                 .where(Payment.list_id == listing.id).order_by(Person.search_name, Payment.id))
    return listing, [(p, q) for p, q in rows.all()]


async def payment_lists(session: AsyncSession) -> list[PaymentList]:
    return list((await session.execute(select(PaymentList).order_by(PaymentList.month.desc()))).scalars())


async def record_payment(session: AsyncSession, payment_id: Any, data: Mapping[str, Any]) -> Payment:
    payment = await session.scalar(select(Payment).where(Payment.id == parse_id(payment_id, "id")))
    if payment is None:
        raise not_found("Không tìm thấy khoản chi", "No such payment")
    if payment.paid_on is not None:
        raise bad_input("paid_on", f"Khoản này đã chi ngày {payment.paid_on.isoformat()}",
                        f"Already paid on {payment.paid_on.isoformat()}")
    listing = await session.get(PaymentList, (payment.tenant_id, payment.list_id))
    paid_on = parse_date(data.get("paid_on"), "paid_on", default=today())
    if paid_on < listing.month or paid_on > today():
        raise bad_input("paid_on", "Ngày chi phải từ đầu tháng của danh sách đến hôm nay",
                        "The payment date must be between the list's month and today")
    payment.paid_on = paid_on
    payment.paid_to = str(data.get("paid_to") or "")[:120] or None
    await residents.flush(session)
    return payment
