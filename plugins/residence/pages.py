"""Console pages of residence under ``/t/{tenant}/residence``: registrations (list with filters, a person's
history with renew / end forms, the permanent / temporary / absence forms, the expiring list) and the
lodging operator's forms (one guest, or a batch of guests).

Server-rendered through core's ``render`` (Vietnamese first, English with ``?lang=en``); each form posts
with the CSRF token, and a mistake shows the form again with every field's error beside it, in the page's
language, after rolling the transaction back: a refused form writes nothing. Reads go through the same
permissions and row filters as the JSON routes (a lodging operator sees their own establishment only).
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from litestar.utils.scope.state import ScopeState
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.toolkit import Access, DbSession, UserError, not_found, render, requires
from plugins.residence import services
from plugins.residence.models import Registration, Stay
from plugins.residents import services as residents
from plugins.residents.models import Person

REG_READ, REG_WRITE = requires("residence.registration:read"), requires("residence.registration:write")
STAY_DECLARE = requires("residence.stay:declare")
PAGE_SIZE = 50
BATCH_ROWS = 8  # rows of the batch form
GUEST_FIELDS = ("guest_name", "guest_document", "guest_nationality", "guest_birth_year", "room", "arrival",
                "planned_departure")
FORM_KINDS = ("permanent", "temporary", "absence")
_ID_NUMBER = re.compile(r"^\d{9,12}$")

PAGE_MESSAGES: dict[str, tuple[str, str]] = {
    "residence.registrations.heading": ("Đăng ký cư trú", "Residence registrations"),
    "residence.registrations.total": ("{total} đăng ký", "{total} registrations"),
    "residence.registrations.empty": ("Chưa có đăng ký nào.", "No registrations yet."),
    "residence.filter.kind": ("Loại", "Kind"),
    "residence.filter.status": ("Trạng thái", "Status"),
    "residence.filter.all": ("Tất cả", "All"),
    "residence.filter.submit": ("Lọc", "Filter"),
    "residence.kind.permanent": ("Thường trú", "Permanent residence"),
    "residence.kind.temporary": ("Tạm trú", "Temporary residence"),
    "residence.kind.absence": ("Tạm vắng", "Absence"),
    "residence.status.active": ("Đang hiệu lực", "Active"),
    "residence.status.renewed": ("Đã gia hạn", "Renewed"),
    "residence.status.ended": ("Đã chấm dứt", "Ended"),
    "residence.status.expired": ("Hết hạn", "Expired"),
    "residence.status.cancelled": ("Đã hủy", "Cancelled"),
    "residence.new.permanent": ("Đăng ký thường trú", "Register a permanent residence"),
    "residence.new.temporary": ("Đăng ký tạm trú", "Declare a temporary residence"),
    "residence.new.absence": ("Khai báo tạm vắng", "Notice of absence"),
    "residence.col.person": ("Nhân khẩu", "Person"),
    "residence.col.kind": ("Loại", "Kind"),
    "residence.col.period": ("Thời hạn", "Period"),
    "residence.col.status": ("Trạng thái", "Status"),
    "residence.col.destination": ("Nơi đến", "Destination"),
    "residence.field.person": ("Nhân khẩu (số CCCD hoặc mã bản ghi)", "Person (ID card number or record id)"),
    "residence.field.address": ("Địa chỉ (để trống: địa chỉ của hộ)", "Address (empty: the household's)"),
    "residence.field.neighbourhood": ("Khu phố / tổ dân phố", "Neighbourhood"),
    "residence.field.neighbourhood.none": ("(theo hộ)", "(the household's)"),
    "residence.field.start_date": ("Từ ngày", "From"),
    "residence.field.end_date": ("Đến ngày", "To"),
    "residence.field.destination": ("Nơi đến", "Destination"),
    "residence.field.reason": ("Lý do / ghi chú", "Reason / note"),
    "residence.field.closed_on": ("Ngày chấm dứt", "Ended on"),
    "residence.form.failed": ("Chưa lưu được:", "Not saved:"),
    "residence.form.submit": ("Lưu", "Save"),
    "residence.history.heading": ("Lịch sử cư trú: {name}", "Residence history: {name}"),
    "residence.history.empty": ("Người này chưa có đăng ký cư trú nào.", "This person has no registrations."),
    "residence.history.renew": ("Gia hạn tạm trú đến", "Renew the temporary residence until"),
    "residence.history.renew.submit": ("Gia hạn", "Renew"),
    "residence.history.end.submit": ("Chấm dứt", "End"),
    "residence.history.saved": ("Đã lưu.", "Saved."),
    "residence.pager.prev": ("Trang trước", "Previous page"),
    "residence.pager.next": ("Trang sau", "Next page"),
    "residence.pager.page": ("Trang {page}/{pages}", "Page {page} of {pages}"),
    "residence.expiring.link": ("Tạm trú sắp hết hạn và đã hết hạn", "Temporary residences ending soon or expired"),
    "residence.lodging.batch.heading": ("Khai báo nhiều khách", "Declare several guests"),
    "residence.lodging.batch.link": ("Khai báo nhiều khách một lần", "Declare several guests at once"),
    "residence.lodging.single.link": ("Khai báo một khách", "Declare one guest"),
    "residence.lodging.batch.note": ("Dòng để trống được bỏ qua. Cả lô được lưu, hoặc không dòng nào.",
                                     "Empty rows are skipped. The whole batch is saved, or none of it."),
    "residence.lodging.batch.row": ("Khách {n}", "Guest {n}"),
    "residence.lodging.batch.declared": ("Đã khai báo {count} khách.", "{count} guests declared."),
}


def _base(request: Request) -> str:
    return request.url.path.split("/residence", 1)[0] + "/residence"


def _csrf(request: Request) -> str:
    token = ScopeState.from_scope(request.scope).csrf_token
    return token if isinstance(token, str) else ""


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(v).strip() for k, v in form.items() if k != "_csrf_token" and isinstance(v, str)}


async def _names(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    return dict((await session.execute(select(Person.id, Person.full_name).where(Person.id.in_(ids)))).all())


async def _resolve_person(session: AsyncSession, values: dict[str, str]) -> dict[str, Any]:
    """The form's ``person_id`` may be an identification number (what a clerk has in hand): look it up."""
    data: dict[str, Any] = {k: v for k, v in values.items() if v != ""}
    typed = values.get("person_id", "")
    if _ID_NUMBER.match(typed):
        found = await session.scalar(select(Person.id).where(Person.id_number == typed))
        if found is None:
            raise UserError("BAD_USER_INPUT", ("Không có nhân khẩu mang số định danh này trong phường",
                                               "No person with this identification number in the ward"),
                            {"person_id": ("Không có nhân khẩu mang số định danh này trong phường",
                                           "No person with this identification number in the ward")})
        data["person_id"] = found
    return data


# -- registrations -------------------------------------------------------------------------------------

@get("/", guards=[REG_READ])
async def index_page(request: Request, db_session: DbSession, access: Access, kind: FromQuery[str | None] = None,
                     status: FromQuery[str | None] = None, page: FromQuery[int] = 1) -> Response:
    """Registrations, newest first, filtered by kind and status, with the person's name and a link to
    their history; the counts of temporary residences ending soon or expired."""
    kind = kind if kind in FORM_KINDS else None
    status = status if status in ("active", "renewed", "ended", "expired", "cancelled") else None
    query = services.registrations_query(kind=kind, status=status)
    total = await db_session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(page, 1), pages)
    rows = list((await db_session.execute(query.order_by(Registration.start_date.desc(), Registration.id)
                                          .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))).scalars())
    found = await services.expiring(db_session)
    names = await _names(db_session, {r.person_id for r in rows + found["ending"][:5]})

    def url(number: int) -> str:
        params = [(k, v) for k, v in (("kind", kind), ("status", status)) if v] + [("page", str(number))]
        return f"{_base(request)}/?{urlencode(params)}"

    return await render(request, "residence/index.html", {
        "base": _base(request), "rows": rows, "names": names, "total": total, "kind": kind or "",
        "status": status or "", "page": page, "pages": pages,
        "prev_url": url(page - 1) if page > 1 else None, "next_url": url(page + 1) if page < pages else None,
        "ending": found["ending"], "expired": found["expired"], "kinds": FORM_KINDS,
        "statuses": ("active", "renewed", "ended", "expired", "cancelled"),
        "can_write": access.allows("residence.registration:write"),
    })


@get("/web/expiring", guards=[REG_READ])
async def expiring_page(request: Request, db_session: DbSession) -> Response:
    """Temporary residences ending within 30 days, and those past their end (marked or not yet)."""
    found = await services.expiring(db_session)
    names = await _names(db_session, {r.person_id for r in found["ending"] + found["expired"]})
    return await render(request, "residence/expiring.html", {"base": _base(request), "names": names, **found})


async def _registration_form(request: Request, session: AsyncSession, kind: str, values: dict[str, Any],
                             errors: dict[str, Any], message: Any = None, status_code: int = 200) -> Response:
    return await render(request, "residence/register.html", {
        "base": _base(request), "csrf": _csrf(request), "kind": kind, "values": values, "errors": errors,
        "message": message, "areas": await residents.list_neighbourhoods(session),
    }, status_code=status_code)


@get("/web/new/{kind:str}", guards=[REG_WRITE])
async def registration_form(request: Request, db_session: DbSession, kind: FromPath[str],
                            person_id: FromQuery[str | None] = None) -> Response:
    if kind not in FORM_KINDS:
        raise not_found("Không có loại đăng ký này", "No such kind of registration")
    return await _registration_form(request, db_session, kind, {"person_id": person_id or ""}, {})


@post("/web/new/{kind:str}", guards=[REG_WRITE], status_code=303)
async def registration_submit(request: Request, db_session: DbSession, kind: FromPath[str]) -> Response:
    """Register (permanent), declare (temporary) or notice (absence); then the person's history."""
    if kind not in FORM_KINDS:
        raise not_found("Không có loại đăng ký này", "No such kind of registration")
    values = await _form(request)
    action = {"permanent": services.register_permanent, "temporary": services.declare_temporary,
              "absence": services.notice_absence}[kind]
    try:
        row = await action(db_session, await _resolve_person(db_session, values))
    except UserError as error:
        if error.code != "BAD_USER_INPUT":
            raise
        await db_session.rollback()  # a refused registration writes nothing
        return await _registration_form(request, db_session, kind, values, dict(error.fields), error.message, 400)
    return Redirect(f"{_base(request)}/web/persons/{row.person_id}?saved=1", status_code=303)


async def _history_page(request: Request, session: AsyncSession, access: Any, person_id: uuid.UUID, *,
                        errors: dict | None = None, values: dict | None = None, failed: uuid.UUID | None = None,
                        saved: bool = False, status_code: int = 200) -> Response:
    person = await residents.get_person(session, person_id)
    rows = await services.history(session, person_id)
    return await render(request, "residence/history.html", {
        "base": _base(request), "csrf": _csrf(request), "person": person, "rows": rows, "errors": errors or {},
        "values": values or {}, "failed": failed, "saved": saved,
        "can_write": access.allows("residence.registration:write"),
    }, status_code=status_code)


@get("/web/persons/{person_id:uuid}", guards=[REG_READ])
async def history_page(request: Request, db_session: DbSession, access: Access, person_id: FromPath[uuid.UUID],
                       saved: FromQuery[str | None] = None) -> Response:
    """Every registration of the person in the ward, oldest first (renewals, ends, expiry: the history)."""
    return await _history_page(request, db_session, access, person_id, saved=bool(saved))


async def _change(request: Request, session: AsyncSession, access: Any, registration_id: uuid.UUID,
                  action: Any) -> Response:
    values = await _form(request)
    row = await services.get_registration(session, registration_id)
    person_id = row.person_id
    try:
        await action(session, registration_id, {k: v for k, v in values.items() if v})
    except UserError as error:
        if error.code != "BAD_USER_INPUT":
            raise
        await session.rollback()
        return await _history_page(request, session, access, person_id, errors=dict(error.fields), values=values,
                                   failed=registration_id, status_code=400)
    return Redirect(f"{_base(request)}/web/persons/{person_id}?saved=1", status_code=303)


@post("/web/registrations/{registration_id:uuid}/renew", guards=[REG_WRITE], status_code=303)
async def renew_submit(request: Request, db_session: DbSession, access: Access,
                       registration_id: FromPath[uuid.UUID]) -> Response:
    return await _change(request, db_session, access, registration_id, services.renew_temporary)


@post("/web/registrations/{registration_id:uuid}/end", guards=[REG_WRITE], status_code=303)
async def end_submit(request: Request, db_session: DbSession, access: Access,
                     registration_id: FromPath[uuid.UUID]) -> Response:
    return await _change(request, db_session, access, registration_id, services.end_registration)


# -- lodging -------------------------------------------------------------------------------------------

def _narrow(access: Any) -> services.Narrow:
    return services.operator_narrow(access.filter, access.principal, access.grant.roles)


def _who(access: Any) -> str | None:
    return access.principal.label[:80] if access.principal else None


def _now_local() -> str:
    return services.now_utc().astimezone(services.VIETNAM).strftime("%Y-%m-%dT%H:%M")


async def _lodging_page(request: Request, session: AsyncSession, access: Any, template: str, *,
                        errors: dict | None = None, values: dict | None = None, message: Any = None,
                        done: str | None = None, status_code: int = 200) -> Response:
    narrow = _narrow(access)
    establishments = await services.list_establishments(session, narrow)
    recent = []
    if establishments:
        query = services.stays_query(narrow).order_by(Stay.created_at.desc(), Stay.id).limit(20)
        recent = list((await session.execute(query)).scalars())
    return await render(request, template, {
        "base": _base(request), "establishments": establishments, "recent": recent, "csrf": _csrf(request),
        "done": done, "errors": errors or {}, "values": values or {}, "message": message, "now": _now_local(),
        "rows": range(BATCH_ROWS),
    }, status_code=status_code)


@get("/lodging", guards=[STAY_DECLARE])
async def lodging_page(request: Request, db_session: DbSession, access: Access,
                       done: FromQuery[str | None] = None) -> Response:
    return await _lodging_page(request, db_session, access, "residence/lodging.html", done=done)


def _guest(values: dict[str, str], prefix: str = "") -> dict[str, Any]:
    data = {f: values.get(prefix + f, "") for f in GUEST_FIELDS}
    year = data["guest_birth_year"]
    data["guest_birth_year"] = int(year) if year.isdigit() else (year or None)
    return data


@post("/lodging", guards=[STAY_DECLARE])
async def lodging_submit(request: Request, db_session: DbSession, access: Access) -> Response:
    """The web form: one guest; errors re-render the form with the fields marked, nothing written."""
    values = await _form(request)
    try:
        await services.declare_stay(db_session, values.get("establishment_id"), _guest(values),
                                    narrow=_narrow(access), declared_by=_who(access))
    except UserError as error:
        if error.code != "BAD_USER_INPUT":
            raise
        await db_session.rollback()
        return await _lodging_page(request, db_session, access, "residence/lodging.html", errors=dict(error.fields),
                                   values=values, message=error.message, status_code=400)
    return Redirect(f"{_base(request)}/lodging?{urlencode({'done': values.get('guest_name', '')})}", status_code=303)


@get("/lodging/batch", guards=[STAY_DECLARE])
async def lodging_batch_page(request: Request, db_session: DbSession, access: Access,
                             done: FromQuery[int | None] = None) -> Response:
    return await _lodging_page(request, db_session, access, "residence/lodging_batch.html",
                               done=str(done) if done else None)


@post("/lodging/batch", guards=[STAY_DECLARE])
async def lodging_batch_submit(request: Request, db_session: DbSession, access: Access) -> Response:
    """Several guests at once (rows ``stays.<n>.<field>``; empty rows skipped), all or nothing: every bad
    row's fields are marked, and nothing is written."""
    values = await _form(request)
    filled = [n for n in range(BATCH_ROWS)
              if any(values.get(f"stays.{n}.{f}") for f in ("guest_name", "guest_document", "room"))]
    rows = [_guest(values, f"stays.{n}.") for n in filled]
    try:
        stays = await services.declare_stays(db_session, values.get("establishment_id"), rows,
                                             narrow=_narrow(access), declared_by=_who(access))
    except UserError as error:
        if error.code != "BAD_USER_INPUT":
            raise
        await db_session.rollback()
        errors = {}
        for key, message in error.fields.items():  # the service numbers the filled rows: back to the form's
            match = re.match(r"^stays\.(\d+)\.(.+)$", key)
            if match and int(match[1]) < len(filled):
                key = f"stays.{filled[int(match[1])]}.{match[2]}"
            elif len(filled) == 1 and key in GUEST_FIELDS:
                key = f"stays.{filled[0]}.{key}"
            errors[key] = message
        return await _lodging_page(request, db_session, access, "residence/lodging_batch.html", errors=errors,
                                   values=values, message=error.message, status_code=400)
    return Redirect(f"{_base(request)}/lodging/batch?done={len(stays)}", status_code=303)


PAGES = [
    index_page, expiring_page, registration_form, registration_submit, history_page, renew_submit, end_submit,
    lodging_page, lodging_submit, lodging_batch_page, lodging_batch_submit,
]
