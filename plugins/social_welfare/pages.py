"""Console pages under ``/t/{tenant}/social_welfare``: allowances (base levels, payment lists, beneficiaries), a
month's payment list, policy families and poor households, and the forms that change them.

Every form (``/web/{form}``) is one :class:`Form`: its fields, the permission it needs and the service it calls.
People are named by their identification number and households by their code, as on paper. A mistake shows the
form again (400, or 404/409) with each field's error beside it in the page's language and what was typed kept,
and changes nothing; success redirects (303) to the list. Poverty level and merit are marked sensitive; their
lists need ``social_welfare.poverty:read`` / ``social_welfare.policy_family:read`` and every read is audited.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath, FromQuery
from sqlalchemy import select

from core.toolkit import (
    Access,
    DbSession,
    Field,
    Form,
    audit,
    bad_input,
    form_pages,
    format_number,
    not_found,
    parse_id,
    plugin_base,
    render,
    requires,
    session_tenant,
)
from plugins.residents import services as residents
from plugins.residents.models import Household, Person
from plugins.social_welfare import imports, services
from plugins.social_welfare import reference as ref
from plugins.social_welfare.models import Beneficiary, Payment, PaymentList, PolicyFamily, PovertyAssessment
from plugins.social_welfare.plugin import (
    BASE_LEVEL_WRITE,
    BENEFICIARY_READ,
    BENEFICIARY_WRITE,
    IMPORT,
    PAYMENT_WRITE,
    POLICY_READ,
    POLICY_WRITE,
    POVERTY_READ,
    POVERTY_WRITE,
)


async def person_by_number(session, value: Any, field: str = "id_number") -> Person:
    number = str(value or "").strip()
    if not number:
        raise bad_input(field, "Hãy nhập số định danh cá nhân", "Enter the personal identification number")
    person = await session.scalar(select(Person).where(Person.id_number == number))
    if person is None:
        raise bad_input(field, "Không có nhân khẩu nào mang số định danh này trong phường",
                        "No resident of the ward has this identification number")
    return person


async def household_by_code(session, value: Any, field: str = "household_code") -> Household:
    code = str(value or "").strip()
    if not code:
        raise bad_input(field, "Hãy nhập mã hộ", "Enter the household code")
    household = await session.scalar(select(Household).where(Household.code == code))
    if household is None:
        raise bad_input(field, "Không có hộ gia đình nào mang mã này trong phường",
                        "No household of the ward has this code")
    return household


async def _beneficiary_subject(session, values: dict[str, Any]) -> list[Any]:
    """The beneficiary the form acts on: ``NOT_FOUND`` if they are not in the ward."""
    row = await services.get_beneficiary(session, values.get("id"))
    person = await residents.get_person(session, row.person_id)
    category = ref.CATEGORY[row.category_code]
    return [person.full_name, (category.title_vi, category.title_en), f"{row.start_month:%m/%Y}"]


async def _payment_subject(session, values: dict[str, Any]) -> list[Any]:
    """The payment the form acts on: ``NOT_FOUND`` if it is not in the ward."""
    payment = await session.scalar(select(Payment).where(Payment.id == parse_id(values.get("id"), "id")))
    if payment is None:
        raise not_found("Không tìm thấy khoản chi", "No such payment")
    person = await residents.get_person(session, payment.person_id)
    category = ref.CATEGORY[payment.category_code]
    parts: list[Any] = [person.full_name, (category.title_vi, category.title_en)]
    if payment.amount:
        parts.append(tuple(f"{format_number(payment.amount, lang)} đ" for lang in ("vi", "en")))
    return parts


async def _beneficiary(session, values, access) -> str:
    person = await person_by_number(session, values.get("id_number"))
    await services.add_beneficiary(session, {**values, "person_id": person.id})
    return ""


async def _stop(session, values, access) -> str:
    await services.stop_beneficiary(session, values.get("id"), values)
    return ""


async def _base_level(session, values, access) -> str:
    await services.add_base_level(session, values)
    return ""


async def _policy_family(session, values, access) -> str:
    household = await household_by_code(session, values.get("household_code"))
    person_id = None
    if str(values.get("merit_id_number") or "").strip():
        person_id = (await person_by_number(session, values.get("merit_id_number"), "merit_id_number")).id
    await services.add_policy_family(session, {**values, "household_id": household.id, "person_id": person_id})
    return "pages/policy-families"


async def _poverty(session, values, access) -> str:
    household = await household_by_code(session, values.get("household_code"))
    row = await services.assess_household(session, {**values, "household_id": household.id})
    return f"pages/poverty?year={row.year}"


async def _payment_list(session, values, access) -> str:
    listing = await services.draw_up_payment_list(session, values.get("month"))
    return f"payment-lists/{listing.month:%Y-%m}/page"


async def _paid(session, values, access) -> str:
    payment = await services.record_payment(session, values.get("id"), values)
    listing = await session.get(PaymentList, (payment.tenant_id, payment.list_id))
    return f"payment-lists/{listing.month:%Y-%m}/page"


async def _import(session, values, access) -> str:
    upload = values.get("file")
    content = await upload.read() if hasattr(upload, "read") else b""
    kind = imports.kind_of(values.get("kind") or "beneficiaries")
    await imports.import_xlsx(session, content, kind.name, tenant_id=session_tenant(session))
    return {"beneficiaries": "", "policy_families": "pages/policy-families", "poverty": "pages/poverty"}[kind.name]


CATEGORY_OPTIONS = tuple((c.code, (f"{c.title_vi} (hệ số {c.coefficient})", f"{c.title_en} (coefficient "
                                   f"{c.coefficient})")) for c in ref.CATEGORIES)
MONTH_HINT = ("Dạng YYYY-MM, ví dụ 2026-03", "As YYYY-MM, e.g. 2026-03")
ID_NUMBER = Field("id_number", ("Số định danh cá nhân", "Personal ID number"), required=True)
HOUSEHOLD = Field("household_code", ("Mã hộ", "Household code"), required=True)

FORMS: dict[str, Form] = {
    "beneficiary": Form(("Thêm đối tượng trợ cấp hằng tháng", "Grant a monthly allowance"), BENEFICIARY_WRITE, (
        ID_NUMBER,
        Field("category_code", ("Đối tượng (Nghị định 20/2021, Điều 5)", "Category (Decree 20/2021, art. 5)"),
              "select", CATEGORY_OPTIONS, required=True, sensitive=True),
        Field("start_month", ("Hưởng từ tháng", "From the month"), hint=MONTH_HINT, required=True),
        Field("decision", ("Số quyết định", "Decision number"))), _beneficiary,
        rename=(("person_id", "id_number"),)),
    "stop": Form(("Dừng trợ cấp", "Stop an allowance"), BENEFICIARY_WRITE, (
        Field("id", ("Đối tượng", "Beneficiary"), "hidden"),
        Field("end_month", ("Tháng hưởng cuối cùng", "Last month paid"), hint=MONTH_HINT, required=True)),
        _stop, subject=_beneficiary_subject),
    "base_level": Form(("Mức chuẩn trợ giúp xã hội mới", "A new base level"), BASE_LEVEL_WRITE, (
        Field("effective_from", ("Áp dụng từ ngày", "In force from"), "date", required=True,
              hint=("Ngày đầu tháng, sau tháng cuối cùng đã lập danh sách chi trả",
                    "The 1st of a month after the last month with a payment list")),
        Field("amount", ("Số tiền (đồng/tháng)", "Amount (VND a month)"), "number", required=True),
        Field("source", ("Căn cứ", "Legal source"))), _base_level),
    "policy_family": Form(("Ghi nhận gia đình chính sách, người có công", "Record a policy family, a person of "
                                                                           "merit"), POLICY_WRITE, (
        HOUSEHOLD,
        Field("category_code", ("Diện chính sách", "Policy category"), "select",
              tuple(ref.POLICY_CATEGORIES.items()), required=True, sensitive=True),
        Field("merit_id_number", ("Số định danh người có công (nếu trong hộ)", "ID number of the person of merit "
                                                                             "(if in the household)"),
              sensitive=True),
        Field("recognised_on", ("Ngày công nhận", "Recognised on"), "date"),
        Field("note", ("Ghi chú", "Note"), "textarea")), _policy_family,
        rename=(("household_id", "household_code"), ("person_id", "merit_id_number"))),
    "poverty": Form(("Ghi kết quả rà soát hộ nghèo, cận nghèo", "Record a poverty assessment"), POVERTY_WRITE, (
        HOUSEHOLD,
        Field("level", ("Mức", "Level"), "select", tuple(ref.POVERTY_LEVELS.items()), required=True,
              sensitive=True),
        Field("period", ("Giai đoạn chuẩn nghèo", "Poverty standard period"), "select",
              tuple((p, (f"{a}–{b}", f"{a}–{b}")) for p, (a, b) in ref.POVERTY_PERIODS.items()), required=True),
        Field("year", ("Năm rà soát", "Year assessed"), "number", required=True),
        Field("assessed_on", ("Ngày rà soát", "Assessed on"), "date")), _poverty,
        rename=(("household_id", "household_code"),)),
    "payment_list": Form(("Lập danh sách chi trả tháng", "Draw up a month's payment list"), PAYMENT_WRITE, (
        Field("month", ("Tháng", "Month"), hint=MONTH_HINT, required=True),), _payment_list),
    "paid": Form(("Ghi nhận đã chi trả", "Record a payment"), PAYMENT_WRITE, (
        Field("id", ("Khoản chi", "Payment"), "hidden"),
        Field("paid_on", ("Ngày chi", "Paid on"), "date"),
        Field("paid_to", ("Người nhận", "Paid to"))), _paid, subject=_payment_subject),
    "import": Form(("Nhập tệp .xlsx", "Import an .xlsx file"), IMPORT, (
        Field("kind", ("Loại tệp", "Kind of file"), "select",
              tuple((k.name, k.title) for k in imports.KINDS.values()), required=True),
        Field("file", ("Tệp .xlsx", ".xlsx file"), "file", required=True,
              hint=("Tải mẫu: import-templates/<loại>", "Templates: import-templates/<kind>"))), _import),
}


def _base(request: Request) -> str:
    return plugin_base(request, "social_welfare")


# -- lists -------------------------------------------------------------------------------------------------

async def audited(session, entity: str, ids: list[uuid.UUID], tenant_id: Any, fields: list[str]) -> None:
    """One audit entry per read of sensitive rows (the ids read)."""
    if ids:
        await audit(session, tenant_id=tenant_id, action="read", entity=entity,
                    entity_id=str(ids[0]) if len(ids) == 1 else "*",
                    after={"fields": fields, "ids": [str(i) for i in ids]})


def _beneficiary_row(b: Beneficiary, p: Person) -> dict[str, Any]:
    category = ref.CATEGORY[b.category_code]
    return {"id": b.id, "full_name": p.full_name, "category": (category.title_vi, category.title_en),
            "coefficient": category.coefficient, "start_month": f"{b.start_month:%m/%Y}",
            "end_month": f"{b.end_month:%m/%Y}" if b.end_month else None, "decision": b.decision}


@get("/", guards=[requires(BENEFICIARY_READ)])
async def index_page(request: Request, db_session: DbSession, access: Access,
                     category: FromQuery[str | None] = None) -> Response:
    if category and category not in ref.CATEGORY:
        category = None
    rows = await services.list_beneficiaries(db_session, category)
    await audited(db_session, Beneficiary.__tablename__, [b.id for b, _ in rows], access.tenant.tenant.id,
                  ["category_code"])
    return await render(request, "social_welfare/index.html", {
        "base": _base(request), "levels": await services.base_levels(db_session),
        "lists": await services.payment_lists(db_session), "beneficiaries": [_beneficiary_row(b, p) for b, p in rows],
        "categories": ref.CATEGORIES, "category": category,
        "can": {k: access.allows(p) for k, p in (("beneficiary", BENEFICIARY_WRITE), ("base_level", BASE_LEVEL_WRITE),
                                                  ("payment", PAYMENT_WRITE), ("import", IMPORT),
                                                  ("policy", POLICY_READ), ("poverty", POVERTY_READ))},
    })


@get("/payment-lists/{month:str}/page", guards=[requires(BENEFICIARY_READ)])
async def payment_list_page(request: Request, db_session: DbSession, access: Access,
                            month: FromPath[str]) -> Response:
    listing, rows = await services.get_payment_list(db_session, month)
    await audited(db_session, Payment.__tablename__, [p.id for p, _ in rows], listing.tenant_id,
                  ["amount", "category_code"])
    paid = sum(p.amount for p, _ in rows if p.paid_on)
    return await render(request, "social_welfare/payment_list.html", {
        "base": _base(request), "listing": listing, "month": f"{listing.month:%m/%Y}", "paid_total": paid,
        "payments": [{"id": p.id, "full_name": q.full_name, "category": ref.CATEGORY[p.category_code],
                      "coefficient": p.coefficient, "amount": p.amount, "paid_on": p.paid_on, "paid_to": p.paid_to}
                     for p, q in rows],
        "can_pay": access.allows(PAYMENT_WRITE),
    })


@get("/pages/policy-families", guards=[requires(POLICY_READ)])
async def policy_families_page(request: Request, db_session: DbSession, access: Access) -> Response:
    rows = await services.policy_families(db_session)
    await audited(db_session, PolicyFamily.__tablename__, [f.id for f, _ in rows], access.tenant.tenant.id,
                  ["category_code", "person_id"])
    persons = await _names(db_session, [f.person_id for f, _ in rows if f.person_id])
    counts = await services.policy_family_counts(db_session)
    return await render(request, "social_welfare/policy_families.html", {
        "base": _base(request), "categories": ref.POLICY_CATEGORIES, "counts": counts,
        "families": [{"household_code": h.code, "household_id": h.id, "address": h.address,
                      "category": ref.POLICY_CATEGORIES[f.category_code], "person": persons.get(f.person_id),
                      "recognised_on": f.recognised_on} for f, h in rows],
        "can_write": access.allows(POLICY_WRITE), "can_import": access.allows(IMPORT),
    })


@get("/pages/poverty", guards=[requires(POVERTY_READ)])
async def poverty_page(request: Request, db_session: DbSession, access: Access,
                       year: FromQuery[str | None] = None) -> Response:
    year_ = services.whole_number(year) if year else None
    if year_ is None or not 1900 <= year_ <= 2200:
        year_ = services.today().year
    rows = await services.poverty(db_session, year_)
    await audited(db_session, PovertyAssessment.__tablename__, [a.id for a, _ in rows], access.tenant.tenant.id,
                  ["level"])
    return await render(request, "social_welfare/poverty.html", {
        "base": _base(request), "year": year_, "levels": ref.POVERTY_LEVELS,
        "counts": {code: sum(1 for a, _ in rows if a.level == code) for code in ref.POVERTY_LEVELS},
        "households": [{"household_code": h.code, "household_id": h.id, "address": h.address,
                        "level": ref.POVERTY_LEVELS[a.level], "period": a.period, "assessed_on": a.assessed_on}
                       for a, h in rows],
        "can_write": access.allows(POVERTY_WRITE), "can_import": access.allows(IMPORT),
    })


async def _names(session, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    return dict((await session.execute(select(Person.id, Person.full_name).where(Person.id.in_(ids)))).all())


PAGES = [*form_pages("social_welfare", FORMS, BENEFICIARY_READ), index_page, payment_list_page, policy_families_page,
         poverty_page]
