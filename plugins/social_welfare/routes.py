"""REST JSON endpoints and console pages under ``/t/{tenant}/social_welfare``: thin over :mod:`.services`.

Client mistakes come back as ``400 BAD_USER_INPUT`` with ``fields``, ``404`` or ``409``, and change nothing.
Reads of beneficiaries and payment lists (personal data, ``sensitive``) are recorded in the audit log.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from core.toolkit import Access, DbSession, audit, requires, uploaded_file
from plugins.residents.models import Person
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

Body = JSONBody[dict[str, Any]]
READ = requires(BENEFICIARY_READ)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _audited(session, entity: str, ids: list[uuid.UUID], tenant_id) -> None:
    if ids:
        await audit(session, tenant_id=tenant_id, action="read", entity=entity,
                    entity_id=str(ids[0]) if len(ids) == 1 else "*", after={"ids": [str(i) for i in ids]})


def beneficiary_json(b: Beneficiary, p: Person | None) -> dict[str, Any]:
    category = ref.CATEGORY[b.category_code]
    return {"id": str(b.id), "person_id": str(b.person_id), "full_name": p.full_name if p else None,
            "category_code": b.category_code, "coefficient": str(category.coefficient),
            "start_month": f"{b.start_month:%Y-%m}", "end_month": f"{b.end_month:%Y-%m}" if b.end_month else None,
            "decision": b.decision}


def payment_json(pay: Payment, person: Person) -> dict[str, Any]:
    return {"id": str(pay.id), "person_id": str(pay.person_id), "full_name": person.full_name,
            "category_code": pay.category_code, "coefficient": str(pay.coefficient), "amount": pay.amount,
            "paid_on": pay.paid_on.isoformat() if pay.paid_on else None, "paid_to": pay.paid_to}


def list_json(listing: PaymentList) -> dict[str, Any]:
    return {"id": str(listing.id), "month": f"{listing.month:%Y-%m}", "base_level": listing.base_level,
            "total": listing.total}


@get("/categories", guards=[READ])
async def categories() -> list[dict[str, Any]]:
    return [{"code": c.code, "article": c.article, "coefficient": str(c.coefficient), "title_vi": c.title_vi,
             "title_en": c.title_en} for c in ref.CATEGORIES]


@get("/base-levels", guards=[READ])
async def list_base_levels(db_session: DbSession) -> list[dict[str, Any]]:
    return [{"effective_from": b.effective_from.isoformat(), "amount": b.amount, "source": b.source}
            for b in await services.base_levels(db_session)]


@post("/base-levels", status_code=201, guards=[requires(BASE_LEVEL_WRITE)])
async def add_base_level(db_session: DbSession, data: Body) -> dict[str, Any]:
    row = await services.add_base_level(db_session, data)
    return {"effective_from": row.effective_from.isoformat(), "amount": row.amount, "source": row.source}


@get("/beneficiaries", guards=[READ])
async def list_beneficiaries(db_session: DbSession, category: FromQuery[str | None] = None) -> list[dict[str, Any]]:
    rows = await services.list_beneficiaries(db_session, category)
    if rows:
        await _audited(db_session, Beneficiary.__tablename__, [b.id for b, _ in rows], rows[0][0].tenant_id)
    return [beneficiary_json(b, p) for b, p in rows]


@post("/beneficiaries", status_code=201, guards=[requires(BENEFICIARY_WRITE)])
async def add_beneficiary(db_session: DbSession, data: Body) -> dict[str, Any]:
    row = await services.add_beneficiary(db_session, data)
    return beneficiary_json(row, None)


@post("/beneficiaries/{beneficiary_id:uuid}/stop", status_code=200, guards=[requires(BENEFICIARY_WRITE)])
async def stop_beneficiary(db_session: DbSession, beneficiary_id: FromPath[uuid.UUID], data: Body) -> dict[str, Any]:
    return beneficiary_json(await services.stop_beneficiary(db_session, beneficiary_id, data), None)


@get("/policy-families", guards=[requires(POLICY_READ)])
async def list_policy_families(db_session: DbSession, access: Access) -> list[dict[str, Any]]:
    """Policy families and their people of merit (sensitive: the read is audited)."""
    rows = await services.policy_families(db_session)
    await _audited(db_session, PolicyFamily.__tablename__, [f.id for f, _ in rows], access.tenant.tenant.id)
    return [{"id": str(f.id), "household_id": str(h.id), "household_code": h.code, "category_code": f.category_code,
             "person_id": str(f.person_id) if f.person_id else None,
             "recognised_on": f.recognised_on.isoformat() if f.recognised_on else None}
            for f, h in rows]


@post("/policy-families", status_code=201, guards=[requires(POLICY_WRITE)])
async def add_policy_family(db_session: DbSession, data: Body) -> dict[str, Any]:
    row = await services.add_policy_family(db_session, data)
    return {"id": str(row.id), "household_id": str(row.household_id), "category_code": row.category_code}


@get("/poverty", guards=[requires(POVERTY_READ)])
async def list_poverty(db_session: DbSession, access: Access, year: FromQuery[int | None] = None
                       ) -> list[dict[str, Any]]:
    """Households assessed poor or near-poor in ``year`` (sensitive: the read is audited)."""
    year_ = year or services.today().year
    rows = await services.poverty(db_session, year_)
    await _audited(db_session, PovertyAssessment.__tablename__, [a.id for a, _ in rows], access.tenant.tenant.id)
    return [{"household_id": str(h.id), "household_code": h.code, "level": a.level, "period": a.period,
             "year": a.year, "assessed_on": a.assessed_on.isoformat()} for a, h in rows]


@post("/poverty", status_code=201, guards=[requires(POVERTY_WRITE)])
async def assess(db_session: DbSession, data: Body) -> dict[str, Any]:
    row = await services.assess_household(db_session, data)
    return {"id": str(row.id), "household_id": str(row.household_id), "level": row.level, "year": row.year}


@get("/payment-lists", guards=[READ])
async def list_payment_lists(db_session: DbSession) -> list[dict[str, Any]]:
    return [list_json(x) for x in await services.payment_lists(db_session)]


@post("/payment-lists", status_code=201, guards=[requires(PAYMENT_WRITE)])
async def draw_up(db_session: DbSession, data: Body) -> dict[str, Any]:
    """``{"month": "2026-03"}``: one payment per running allowance; a month has one list."""
    return list_json(await services.draw_up_payment_list(db_session, data.get("month")))


@get("/payment-lists/{month:str}", guards=[READ])
async def show_payment_list(db_session: DbSession, month: FromPath[str]) -> dict[str, Any]:
    listing, rows = await services.get_payment_list(db_session, month)
    await _audited(db_session, Payment.__tablename__, [listing.id], listing.tenant_id)
    return {**list_json(listing), "payments": [payment_json(p, q) for p, q in rows]}


@post("/payments/{payment_id:uuid}/paid", status_code=200, guards=[requires(PAYMENT_WRITE)])
async def paid(db_session: DbSession, payment_id: FromPath[uuid.UUID], data: Body) -> dict[str, Any]:
    payment = await services.record_payment(db_session, payment_id, data)
    return {"id": str(payment.id), "paid_on": payment.paid_on.isoformat(), "paid_to": payment.paid_to}


@get("/import-templates/{kind:str}", guards=[requires(IMPORT)])
async def import_template(kind: FromPath[str]) -> Response:
    """An empty .xlsx of ``kind`` (beneficiaries, policy_families, poverty) with its guide and reference lists."""
    content = imports.template(imports.kind_of(kind).name)
    return Response(content, media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="mau-{kind}.xlsx"'})


@post("/imports", status_code=201, guards=[requires(IMPORT)])
async def import_upload(request: Request, db_session: DbSession, access: Access,
                        kind: FromQuery[str] = "beneficiaries") -> dict[str, Any]:
    """An .xlsx (multipart field ``file`` or the raw body) of ``kind`` (default beneficiaries). All rows valid:
    201 with the count; otherwise 400 ``BAD_USER_INPUT`` with a field ``rows.<row>.<column>`` per problem (vi,
    en), and nothing written."""
    content, _name = await uploaded_file(request)
    return {"imported": await imports.import_xlsx(db_session, content, kind, tenant_id=access.tenant.tenant.id)}


@post("/imports/{kind:str}", status_code=201, guards=[requires(IMPORT)])
async def import_upload_kind(request: Request, db_session: DbSession, access: Access,
                             kind: FromPath[str]) -> dict[str, Any]:
    """:func:`import_upload` with the kind in the path: ``/imports/policy_families``, ``/imports/poverty``."""
    content, _name = await uploaded_file(request)
    return {"imported": await imports.import_xlsx(db_session, content, kind, tenant_id=access.tenant.tenant.id)}


ROUTES = [categories, list_base_levels, add_base_level, list_beneficiaries, add_beneficiary, stop_beneficiary,
          list_policy_families, add_policy_family, list_poverty, assess, list_payment_lists, draw_up,
          show_payment_list, paid, import_template, import_upload, import_upload_kind]
