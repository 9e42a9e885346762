"""Console pages under ``/t/{tenant}/military_service``: the register (counts, who must register this year, the
register with its actions), the call-up roster, and the forms that change them.

Every form (``/web/{form}``) is one :class:`Form`: its fields, the permission it needs and the service it calls.
A mistake shows the form again (400, or 404/409) with each field's error beside it in the page's language and
what was typed kept, and changes nothing; success redirects (303) to the list. Health classes and legal grounds
are marked sensitive and shown only to holders of ``military_service.record.health:read`` (each read audited).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, Response, get
from litestar.params import FromQuery
from sqlalchemy import select

from core.toolkit import (
    Access,
    DbSession,
    Field,
    Form,
    form_pages,
    not_found,
    parse_id,
    parse_year,
    plugin_base,
    render,
    requires,
)
from plugins.military_service import imports, services
from plugins.military_service import reference as ref
from plugins.military_service.messages import MESSAGES
from plugins.military_service.models import CallUp
from plugins.military_service.plugin import HEALTH, IMPORT, RECORD_READ, RECORD_WRITE, ROSTER_READ, ROSTER_WRITE
from plugins.military_service.routes import _shown, _year, callup_json
from plugins.residents import services as residents

Label = tuple[str, str]


HEALTH_OPTIONS = tuple(
    (str(n), (f"Loại {n}" + (" (đủ sức khỏe)" if n in ref.FIT_CLASSES else ""),
              f"Class {n}" + (" (fit)" if n in ref.FIT_CLASSES else ""))) for n in ref.HEALTH_CLASSES)


def _grounds(kind: str | None) -> tuple[tuple[str, Label], ...]:
    return tuple((g.code, (f"{g.article}: {g.title_vi}", f"{g.article}: {g.title_en}"))
                 for g in ref.GROUNDS if kind in (None, g.kind))


PERSON = Field("person_id", ("Công dân", "Citizen"), "hidden")
NOTE = Field("note", ("Ghi chú", "Note"), "textarea")


async def _person(session, values: dict[str, Any]) -> list[Any]:
    """The citizen the form acts on: ``NOT_FOUND`` if they are not in the ward."""
    person = await residents.get_person(session, values.get("person_id"))
    return [f"{person.full_name} ({person.birth_year})"]


async def _callup(session, values: dict[str, Any]) -> list[Any]:
    """The roster entry the form acts on, and its citizen: ``NOT_FOUND`` if it is not in the ward."""
    entry = await session.scalar(select(CallUp).where(CallUp.id == parse_id(values.get("id"), "id")))
    if entry is None:
        raise not_found("Không tìm thấy dòng trong danh sách gọi nhập ngũ", "No such call-up roster entry")
    person = await residents.get_person(session, entry.person_id)
    heading = tuple(text.format(year=entry.year) for text in MESSAGES["military_service.roster.heading"])
    return [f"{person.full_name} ({person.birth_year})", heading, ref.ROSTER_STATUSES[entry.status]]


async def _register(session, values, access) -> str:
    await services.register(session, values)
    return ""


def _acting(service) -> Callable[[Any, dict[str, Any], Any], Awaitable[str]]:
    async def submit(session, values, access) -> str:
        await service(session, values.get("person_id"), values)
        return ""

    return submit


async def _draw_up(session, values, access) -> str:
    await services.draw_up_roster(session, values.get("year"), values.get("on"))
    return f"roster?year={parse_year(values.get('year'), 'year')}"


async def _roster_status(session, values, access) -> str:
    if values.get("status") in ("enlisted", "deferred", "exempt"):
        access.require(RECORD_WRITE)
    entry = await services.set_roster_status(session, values.get("id"), values)
    return f"roster?year={entry.year}"


async def _import(session, values, access) -> str:
    upload = values.get("file")
    content = await upload.read() if hasattr(upload, "read") else b""
    await imports.import_xlsx(session, content)
    return ""


FORMS: dict[str, Form] = {
    "register": Form(("Đăng ký nghĩa vụ quân sự lần đầu", "First registration for military service"), RECORD_WRITE, (
        PERSON,
        Field("registered_on", ("Ngày đăng ký", "Registered on"), "date",
              hint=("Từ năm công dân đủ 17 tuổi; để trống là hôm nay", "From the year the citizen turns 17; blank "
                    "means today")),
        Field("health_class", ("Phân loại sức khỏe", "Health class"), "select", HEALTH_OPTIONS, sensitive=True),
        Field("health_checked_on", ("Ngày khám", "Examined on"), "date", sensitive=True),
        NOTE), _register, subject=_person),
    "health": Form(("Ghi kết quả khám sức khỏe", "Record a health examination"), RECORD_WRITE, (
        PERSON,
        Field("health_class", ("Phân loại sức khỏe", "Health class"), "select", HEALTH_OPTIONS, required=True,
              sensitive=True),
        Field("health_checked_on", ("Ngày khám", "Examined on"), "date", sensitive=True)),
        _acting(services.record_health), subject=_person),
    "deferment": Form(("Tạm hoãn gọi nhập ngũ", "Defer the call-up"), RECORD_WRITE, (
        PERSON,
        Field("ground_code", ("Căn cứ pháp lý (Điều 41 khoản 1)", "Legal ground (art. 41(1))"), "select",
              _grounds("deferment"), required=True, sensitive=True),
        Field("until_year", ("Tạm hoãn đến hết năm", "Deferred until the end of"), "number", required=True),
        Field("decided_on", ("Ngày quyết định", "Decided on"), "date"),
        NOTE), _acting(services.defer), subject=_person),
    "exemption": Form(("Miễn gọi nhập ngũ", "Exempt from the call-up"), RECORD_WRITE, (
        PERSON,
        Field("ground_code", ("Căn cứ pháp lý (Điều 41 khoản 2)", "Legal ground (art. 41(2))"), "select",
              _grounds("exemption"), required=True, sensitive=True),
        Field("decided_on", ("Ngày quyết định", "Decided on"), "date"),
        NOTE), _acting(services.exempt), subject=_person),
    "enlistment": Form(("Nhập ngũ", "Enlistment"), RECORD_WRITE, (
        PERSON, Field("enlisted_on", ("Ngày nhập ngũ", "Enlisted on"), "date")),
        _acting(services.enlist), subject=_person),
    "discharge": Form(("Xuất ngũ, chuyển dự bị", "Discharge to the reserve"), RECORD_WRITE, (
        PERSON, Field("discharged_on", ("Ngày xuất ngũ", "Discharged on"), "date")),
        _acting(services.discharge), subject=_person),
    "roster": Form(("Lập danh sách gọi nhập ngũ", "Draw up the call-up roster"), ROSTER_WRITE, (
        Field("year", ("Năm", "Year"), "number", required=True),
        Field("on", ("Ngày tính tuổi", "Ages counted on"), "date",
              hint=("Để trống là ngày 1 tháng 2", "Blank means 1 February"))), _draw_up,
        defaults=lambda: {"year": str(services.today().year)}),
    "roster_status": Form(("Cập nhật tình trạng trong danh sách gọi nhập ngũ", "Update a call-up roster entry"),
                          ROSTER_WRITE, (
        Field("id", ("Dòng", "Entry"), "hidden"),
        Field("status", ("Tình trạng mới", "New status"), "select",
              tuple((c, label) for c, label in ref.ROSTER_STATUSES.items() if c != "listed"), required=True),
        Field("date", ("Ngày", "Date"), "date"),
        Field("ground_code", ("Căn cứ (khi tạm hoãn hoặc miễn)", "Ground (for a deferment or an exemption)"),
              "select", _grounds(None), sensitive=True),
        Field("until_year", ("Tạm hoãn đến hết năm", "Deferred until the end of"), "number"),
        NOTE), _roster_status, subject=_callup),
    "import": Form(("Nhập sổ đăng ký từ tệp .xlsx", "Import the register from an .xlsx file"), IMPORT, (
        Field("file", ("Tệp .xlsx", ".xlsx file"), "file", required=True,
              hint=("Các cột: " + ", ".join(imports.COLUMNS), "Columns: " + ", ".join(imports.COLUMNS))),),
        _import),
}


def _base(request: Request) -> str:
    return plugin_base(request, "military_service")


# -- lists -------------------------------------------------------------------------------------------------

@get("/", guards=[requires(RECORD_READ)])
async def register_page(request: Request, db_session: DbSession, access: Access,
                        status: FromQuery[str | None] = None, year: FromQuery[str | None] = None) -> Response:
    year_ = _year(year)
    services.check_status(status)
    rows = await services.list_register(db_session, status)
    return await render(request, "military_service/register.html", {
        "base": _base(request), "year": year_, "records": await _shown(db_session, access, rows),
        "health": access.allows(HEALTH), "can_write": access.allows(RECORD_WRITE),
        "can_import": access.allows(IMPORT), "can_roster": access.allows(ROSTER_READ),
        "counts": await services.counts(db_session, year_), "due": await services.must_register(db_session, year_),
        "statuses": ref.STATUSES, "roster_statuses": ref.ROSTER_STATUSES, "grounds": ref.BY_CODE, "status": status,
    })


@get("/roster", guards=[requires(ROSTER_READ)])
async def roster_page(request: Request, db_session: DbSession, access: Access,
                      year: FromQuery[str | None] = None, status: FromQuery[str | None] = None) -> Response:
    year_ = _year(year)
    if status and status not in ref.ROSTER_STATUSES:
        status = None
    rows = await services.roster(db_session, year_, status)
    counts = (await services.counts(db_session, year_))["roster"]
    return await render(request, "military_service/roster.html", {
        "base": _base(request), "year": year_, "entries": [callup_json(c, p) for c, p in rows],
        "roster_statuses": ref.ROSTER_STATUSES, "counts": counts, "status": status,
        "can_write": access.allows(ROSTER_WRITE), "moves": ref.ROSTER_MOVES,
    })


PAGES = [*form_pages("military_service", FORMS, RECORD_READ), register_page, roster_page]
