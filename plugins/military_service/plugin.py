"""Manifest and hook implementations of the ``military_service`` plugin."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.toolkit import Figure, NavEntry, Permission, PluginManifest, TenantRef, export_rows, hookimpl, purge_rows
from plugins.military_service import reference as ref
from plugins.military_service import services
from plugins.military_service.models import CallUp, ServiceRecord

manifest = PluginManifest(
    name="military_service",
    version="0.1.0",
    title_vi="Nghĩa vụ quân sự",
    title_en="Military service",
    requires_core=">=0.1",
    depends={"residents": ">=0.1"},
    scope=frozenset({"ward"}),
    migrations=Path(__file__).parent / "migrations",
    description_vi="Sổ đăng ký nghĩa vụ quân sự của Ban Chỉ huy quân sự phường, xã: đăng ký, sức khỏe, tạm hoãn, "
                   "miễn, gọi nhập ngũ, dự bị.",
    description_en="The ward military command's register: registration, health, deferment, exemption, call-up, "
                   "reserve.",
)

TABLES = (ServiceRecord, CallUp)

# -- permissions -----------------------------------------------------------------------------------------
STAFF = frozenset({"platform_admin", "district_admin", "ward_chair", "ward_officer"})
EDITORS = frozenset({"platform_admin", "ward_chair", "ward_officer"})
RECORD_READ, RECORD_WRITE = "military_service.record:read", "military_service.record:write"
HEALTH = "military_service.record.health:read"
ROSTER_READ, ROSTER_WRITE = "military_service.roster:read", "military_service.roster:write"
IMPORT = "military_service.import:write"
PERMISSIONS = [
    Permission(RECORD_READ, "Xem sổ đăng ký nghĩa vụ quân sự", "Read the military service register", grants=STAFF),
    Permission(RECORD_WRITE, "Đăng ký, tạm hoãn, miễn, nhập ngũ, xuất ngũ",
               "Register, defer, exempt, enlist and discharge", grants=EDITORS),
    # Health class and the grounds of a deferment or exemption: personal data, reads audited.
    Permission(HEALTH, "Xem phân loại sức khỏe và căn cứ tạm hoãn, miễn", "Read health classes and the grounds "
               "of deferments and exemptions", grants={"ward_chair", "ward_officer"}, sensitive=True),
    Permission(ROSTER_READ, "Xem danh sách gọi nhập ngũ", "Read the call-up roster", grants=STAFF),
    Permission(ROSTER_WRITE, "Lập và cập nhật danh sách gọi nhập ngũ", "Draw up and update the call-up roster",
               grants=EDITORS),
    Permission(IMPORT, "Nhập tệp sổ đăng ký nghĩa vụ quân sự", "Import register files", grants=EDITORS),
]


@hookimpl
def wardhub_permissions() -> list[Permission]:
    return PERMISSIONS


@hookimpl
def wardhub_routes() -> list:
    from plugins.military_service.pages import PAGES
    from plugins.military_service.routes import ROUTES

    return ROUTES + PAGES


@hookimpl
def wardhub_graphql():
    from plugins.military_service.schema import contribution

    return contribution


@hookimpl
def wardhub_tenant_enabled(tenant: TenantRef, session: AsyncSession) -> None:
    """Nothing to seed: the legal grounds are data in code (``reference.py``), the same for every ward."""


@hookimpl
async def wardhub_export_tenant_data(tenant: TenantRef, session: AsyncSession) -> dict[str, list[dict[str, Any]]]:
    return await export_rows(session, TABLES)


@hookimpl
async def wardhub_purge_tenant_data(tenant: TenantRef, session: AsyncSession) -> int:
    return await purge_rows(session, (CallUp, ServiceRecord))


@hookimpl
async def wardhub_demo_data(tenant: TenantRef, session: AsyncSession) -> str | None:
    """Register the demo ward's young men (17 to 27 this year) and draw up this year's roster."""
    if await session.scalar(select(func.count()).select_from(ServiceRecord)):
        return None
    from plugins.residents.models import Person

    year = services.today().year
    young = (await session.execute(select(Person).where(
        Person.status == "present", Person.sex == "male",
        Person.birth_year.between(year - ref.CALL_UP_MAX_AGE_STUDY, year - ref.REGISTRATION_AGE)))).scalars().all()
    for person in young:
        session.add(ServiceRecord(person_id=person.id, registered_on=date(person.birth_year + 17, 4, 1),
                                  status="registered"))
    await session.flush()
    listed = await services.draw_up_roster(session, year)
    return f"{len(young)} citizens registered, {len(listed)} on the {year} call-up roster"


# -- residents' hooks ------------------------------------------------------------------------------------


async def sections(session: AsyncSession, person_ids: list) -> dict:
    """``{person id: [section]}`` in two queries: status, dates and the call-up years of each person; never
    the health class nor the grounds (the person page is read by roles that may not see them). The block
    names ``military_service.record:read``: residents shows it only to readers of the register."""
    records = (await session.execute(select(ServiceRecord).where(ServiceRecord.person_id.in_(person_ids)))).scalars()
    callups: dict = {}
    for entry in (await session.execute(select(CallUp).where(CallUp.person_id.in_(person_ids))
                                        .order_by(CallUp.year))).scalars():
        callups.setdefault(entry.person_id, []).append(entry)
    found = {}
    for record in records:
        items = [
            {"label_vi": "Tình trạng", "label_en": "Status", "value": ref.STATUSES[record.status][0],
             "value_en": ref.STATUSES[record.status][1]},
            {"label_vi": "Ngày đăng ký", "label_en": "Registered on", "value": record.registered_on.isoformat()},
        ]
        if record.status == "deferred" and record.deferred_until_year:
            items.append({"label_vi": "Tạm hoãn đến hết năm", "label_en": "Deferred until the end of",
                          "value": str(record.deferred_until_year)})
        if record.enlisted_on:
            items.append({"label_vi": "Ngày nhập ngũ", "label_en": "Enlisted on",
                          "value": record.enlisted_on.isoformat()})
        if record.discharged_on:
            items.append({"label_vi": "Ngày xuất ngũ", "label_en": "Discharged on",
                          "value": record.discharged_on.isoformat()})
        for entry in callups.get(record.person_id, ()):
            items.append({"label_vi": f"Gọi nhập ngũ năm {entry.year}", "label_en": f"Call-up {entry.year}",
                          "value": ref.ROSTER_STATUSES[entry.status][0],
                          "value_en": ref.ROSTER_STATUSES[entry.status][1]})
        found[record.person_id] = [{"key": "service_record", "title_vi": "Nghĩa vụ quân sự",
                                    "title_en": "Military service", "items": items, "permission": RECORD_READ}]
    return found


@hookimpl
async def wardhub_residents_persons_sections(tenant: TenantRef, session: AsyncSession, person_ids) -> dict:
    """The batched form: residents asks it for one person's page too (never the one-person hook then)."""
    return await sections(session, list(person_ids))


# -- web console -----------------------------------------------------------------------------------------


@hookimpl
def wardhub_templates():
    return Path(__file__).parent / "templates"


@hookimpl
def wardhub_messages():
    from plugins.military_service.messages import MESSAGES

    return MESSAGES


@hookimpl
def wardhub_navigation(tenant: TenantRef, lang: str):
    return [
        NavEntry(label=("Nghĩa vụ quân sự", "Military service"), url="", permission=RECORD_READ, order=40),
        NavEntry(label=("Danh sách gọi nhập ngũ", "Call-up roster"), url="roster", permission=ROSTER_READ, order=41),
    ]


@hookimpl
async def wardhub_dashboard(tenant: TenantRef, session: AsyncSession, lang: str):
    rows = dict((await session.execute(
        select(ServiceRecord.status, func.count()).group_by(ServiceRecord.status))).all())
    return [Figure(
        title=("Sổ đăng ký nghĩa vụ quân sự", "Military service register"),
        value=sum(rows.values()),
        series=[(label, rows.get(code, 0)) for code, label in ref.STATUSES.items()],
        unit=("công dân", "citizens"),
        url="",
        permission=RECORD_READ,
    )]
