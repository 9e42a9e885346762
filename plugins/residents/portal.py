"""The resident portal: a signed-in ``resident`` proposes changes to their own household from the web.

* ``GET /t/{tenant}/residents/web/my-household/propose`` — the forms: a member's phone and occupation
  (``person_contact``), the household's address (``household_address``, declared here), a member joining the
  household, a birth for instance (``add_member``), and a member who moved away (``member_moved_away``).
* ``POST …/propose/contact``, ``…/propose/address``, ``…/propose/member``, ``…/propose/moved`` — send the
  proposal through core's approval workflow (:func:`core.toolkit.propose_change`), then go to core's
  ``/t/{tenant}/requests`` page, where the resident follows it. A mistake shows the form again with each
  field's error beside it (vi/en), nothing written.

The household is the one the caller's ``resident`` role names (``household`` attribute); the members offered
and accepted are read through the same row filters as every other page, and core checks again that the
target is in what the caller may see.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect
from litestar.utils.scope.state import ScopeState
from sqlalchemy import select

from core.toolkit import (
    Access,
    ChangeType,
    DbSession,
    UserError,
    not_found,
    propose_change,
    render,
    requires,
    tenant_path,
)
from plugins.residents import reference as ref
from plugins.residents.models import Household, Person
from plugins.residents.pages import _own_household

PROPOSE = requires("core.change:propose", "residents.household:read")
KINDS = ("contact", "address", "member", "moved")
MAX_ADDRESS = 255


def _csrf(request: Request) -> str:
    token = ScopeState.from_scope(request.scope).csrf_token
    return token if isinstance(token, str) else ""


def _household_id(access: Any) -> uuid.UUID:
    mine = _own_household(access)
    try:
        return uuid.UUID(str(mine)) if mine is not None else None  # type: ignore[return-value]
    except ValueError:
        return None  # type: ignore[return-value]


async def _own(session: Any, access: Any) -> tuple[Household, list[Person]]:
    household_id = _household_id(access)
    household = None
    if household_id is not None:
        household = await session.scalar(access.filter(select(Household).where(Household.id == household_id),
                                                       "residents.household"))
    if household is None:
        raise not_found("Tài khoản chưa gắn với hộ gia đình nào", "This account is tied to no household")
    people = await session.execute(access.filter(select(Person).where(
        Person.household_id == household.id, Person.status == ref.PRESENT), "residents.person"))
    members = sorted(people.scalars(), key=lambda p: (p.relation != ref.HEAD, p.birth_year, p.full_name))
    return household, members


def _field_errors(error: UserError) -> dict[str, Any]:
    """``values.phone`` → ``phone``: the form's own field names."""
    fields = {}
    for name, message in dict(error.fields or {}).items():
        fields[name.removeprefix("values.")] = message
    return fields


async def _page(request: Request, session: Any, access: Any, *, kind: str | None = None,
                values: dict[str, str] | None = None, errors: dict[str, Any] | None = None,
                message: Any = None, status_code: int = 200) -> Response:
    household, members = await _own(session, access)
    chosen = request.query_params.get("person") or (values or {}).get("person_id") or ""
    key = access.tenant.tenant.key
    return await render(request, "residents/portal_propose.html", {
        "base": f"{tenant_path(key)}/residents", "requests_url": f"{tenant_path(key)}/requests",
        "csrf": _csrf(request), "household": household,
        "members": [{"id": str(p.id), "full_name": p.full_name, "phone": p.phone or "",
                     "occupation": p.occupation or "", "head": p.relation == ref.HEAD} for p in members],
        "chosen": chosen, "kind": kind, "values": values or {}, "errors": errors or {}, "message": message,
        "sexes": ref.SEXES, "relations": [t for t in ref.RELATIONS if t.code != ref.HEAD],
    }, status_code=status_code)


@get("/web/my-household/propose", guards=[PROPOSE])
async def propose_page(request: Request, db_session: DbSession, access: Access,
                       kind: FromQuery[str] = "") -> Response:
    return await _page(request, db_session, access, kind=kind if kind in KINDS else None)


async def _send(request: Request, session: Any, access: Any, kind: str, change_type: str,
                target_id: str, values: dict[str, Any], form: dict[str, str]) -> Response:
    try:
        await propose_change(request, session, access, {
            "plugin": "residents", "change_type": change_type, "target_id": target_id, "values": values,
            "note": form.get("note") or None,
        })
    except UserError as error:
        await session.rollback()  # a refused proposal writes nothing
        status = {"BAD_USER_INPUT": 400, "FORBIDDEN": 403, "NOT_FOUND": 404, "CONFLICT": 409}.get(error.code)
        if status is None:
            raise
        errors = _field_errors(error)
        if "target_id" in errors:
            errors["person_id"] = errors.pop("target_id")
        return await _page(request, session, access, kind=kind, values=form, errors=errors,
                           message=error.message, status_code=status)
    return Redirect(f"{tenant_path(access.tenant.tenant.key)}/requests?done=proposed", status_code=303)


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: " ".join(str(v).split()) for k, v in form.items() if k != "_csrf_token" and isinstance(v, str)}


def _need_member(form: dict[str, str]) -> str | None:
    person = form.get("person_id", "")
    try:
        return str(uuid.UUID(person))
    except ValueError:
        return None


def _choose_member() -> UserError:
    from core.toolkit import bad_input

    return bad_input("person_id", "Hãy chọn một thành viên của hộ", "Choose a member of the household")


@post("/web/my-household/propose/contact", guards=[PROPOSE], status_code=303)
async def propose_contact(request: Request, db_session: DbSession, access: Access) -> Response:
    """A member's new phone or occupation: only the fields that differ from the register are proposed."""
    form = await _form(request)
    person_id = _need_member(form)
    _, members = await _own(db_session, access)
    current = next((p for p in members if str(p.id) == person_id), None)
    values = {}
    for name in ("phone", "occupation"):
        given = form.get(name, "")
        if given and (current is None or given != (getattr(current, name) or "")):
            values[name] = given
    if person_id is None:
        return await _refused(request, db_session, access, "contact", form, _choose_member())
    if not values:
        from core.toolkit import bad_input

        return await _refused(request, db_session, access, "contact", form, bad_input(
            "phone", "Hãy nhập số điện thoại hoặc nghề nghiệp mới", "Give a new phone number or occupation"))
    return await _send(request, db_session, access, "contact", "person_contact", person_id, values, form)


@post("/web/my-household/propose/address", guards=[PROPOSE], status_code=303)
async def propose_address(request: Request, db_session: DbSession, access: Access) -> Response:
    """The household's new address (a house renumbered, a correction): the head or any member may propose it."""
    form = await _form(request)
    household, _ = await _own(db_session, access)
    return await _send(request, db_session, access, "address", "household_address", str(household.id),
                       {"address": form.get("address", "")}, form)


@post("/web/my-household/propose/member", guards=[PROPOSE], status_code=303)
async def propose_member(request: Request, db_session: DbSession, access: Access) -> Response:
    """A person joining the household (a birth, for instance)."""
    form = await _form(request)
    household, _ = await _own(db_session, access)
    fields = ("full_name", "birth_date", "sex", "relation", "id_number", "phone", "occupation")
    values = {k: form[k] for k in fields if form.get(k)}
    return await _send(request, db_session, access, "member", "add_member", str(household.id), values, form)


@post("/web/my-household/propose/moved", guards=[PROPOSE], status_code=303)
async def propose_moved(request: Request, db_session: DbSession, access: Access) -> Response:
    """A member who moved away to a place off the platform."""
    form = await _form(request)
    person_id = _need_member(form)
    if person_id is None:
        return await _refused(request, db_session, access, "moved", form, _choose_member())
    values = {k: form[k] for k in ("date", "destination", "new_head_id") if form.get(k)}
    return await _send(request, db_session, access, "moved", "member_moved_away", person_id, values, form)


async def _refused(request: Request, session: Any, access: Any, kind: str, form: dict[str, str],
                   error: UserError) -> Response:
    return await _page(request, session, access, kind=kind, values=form, errors=_field_errors(error),
                       message=error.message, status_code=400)


PORTAL = [propose_page, propose_contact, propose_address, propose_member, propose_moved]


# -- the household's address, a change type of its own ---------------------------------------------------

def validate_address(session: Any, household: Household, values: Any) -> dict[str, Any]:
    from core.toolkit import bad_input

    unknown = sorted(set(values) - {"address"})
    if unknown:
        raise bad_input(f"values.{unknown[0]}", "Không thể đề xuất thay đổi trường này",
                        "This field cannot be changed through a proposal")
    if household.status != "active":
        raise bad_input("target_id", "Hộ gia đình đã giải thể", "The household has been dissolved")
    raw = values.get("address")
    address = " ".join(raw.split()) if isinstance(raw, str) else ""  # an object or a list is no address
    if not address or len(address) > MAX_ADDRESS:
        raise bad_input("values.address", f"Hãy ghi địa chỉ mới (tối đa {MAX_ADDRESS} ký tự)",
                        f"Give the new address ({MAX_ADDRESS} characters at most)")
    if address == household.address:
        raise bad_input("values.address", "Địa chỉ mới trùng với địa chỉ đang ghi trong sổ",
                        "The new address is the one already in the register")
    return {"address": address}


async def apply_address(session: Any, household: Household, values: Any) -> None:
    household.address = values["address"]  # an ORM write: versioned and audited like every other
    await session.flush()


def change_types() -> list:
    from plugins.residents.changes import FIELDS, describe_household

    return [ChangeType("household_address", "Sửa địa chỉ của hộ", "Change the household's address",
                       model=Household, resource="residents.household", validate=validate_address,
                       apply=apply_address, describe=describe_household, fields=FIELDS)]

MESSAGES: dict[str, tuple[str, str]] = {
    "residents.portal.heading": ("Đề xuất thay đổi cho hộ của tôi", "Propose a change to my household"),
    "residents.portal.lead": ("Cán bộ phường xem xét, Chủ tịch phường phê duyệt; sổ hộ chỉ thay đổi khi được "
                              "phê duyệt.",
                              "A ward officer reviews and the ward chair approves; the register changes only once "
                              "approved."),
    "residents.portal.propose": ("Đề xuất thay đổi", "Propose a change"),
    "residents.portal.requests": ("Yêu cầu của tôi", "My requests"),
    "residents.portal.failed": ("Chưa gửi được đề xuất:", "The proposal was not sent:"),
    "residents.portal.member": ("Thành viên", "Member"),
    "residents.portal.contact": ("Sửa số điện thoại, nghề nghiệp", "Change a phone number or occupation"),
    "residents.portal.new_phone": ("Số điện thoại mới", "New phone number"),
    "residents.portal.new_occupation": ("Nghề nghiệp mới", "New occupation"),
    "residents.portal.note": ("Ghi chú cho cán bộ (không bắt buộc)", "Note for the officer (optional)"),
    "residents.portal.send": ("Gửi đề xuất", "Send the proposal"),
    "residents.portal.address": ("Sửa địa chỉ của hộ", "Change the household's address"),
    "residents.portal.new_address": ("Địa chỉ mới", "New address"),
    "residents.portal.member_heading": ("Thêm thành viên (ví dụ: con mới sinh)", "Add a member (a newborn, say)"),
    "residents.portal.member_hint": ("Người đến từ nơi khác trong hệ thống thì làm thủ tục chuyển đến tại phường.",
                                     "Someone moving in from another ward on the platform registers the move at the "
                                     "ward office."),
    "residents.portal.id_number_optional": ("Số định danh (nếu có)", "ID number (if any)"),
    "residents.portal.moved_heading": ("Báo thành viên đã chuyển đi", "Report a member who moved away"),
    "residents.portal.destination": ("Nơi chuyển đến", "Moved to"),
    "residents.portal.moved_date": ("Ngày chuyển đi", "Date of the move"),
    "residents.portal.new_head": ("Chủ hộ mới (khi chủ hộ chuyển đi)", "New head (when the head moves away)"),
}
