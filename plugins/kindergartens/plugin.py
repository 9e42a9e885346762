"""Manifest and hook implementations of the ``kindergartens`` plugin."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.toolkit import Figure, NavEntry, Permission, PluginManifest, TenantRef, export_rows, hookimpl, purge_rows
from plugins.kindergartens import services
from plugins.kindergartens.models import Enrolment, Facility, Inspection, Staff

manifest = PluginManifest(
    name="kindergartens",
    version="0.1.0",
    title_vi="Nhóm trẻ, lớp mẫu giáo độc lập",
    title_en="Private kindergartens",
    requires_core=">=0.1",
    scope=frozenset({"ward"}),
    depends={"residents": ">=0.1"},  # enrolled children (and owners) are persons of the ward's register
    migrations=Path(__file__).parent / "migrations",
    description_vi="Nhóm trẻ, lớp mẫu giáo độc lập tư thục: giấy phép, trẻ, nhân sự, kiểm tra và khắc phục.",
    description_en="Private childcare groups and classes: licences, children, staff, inspections and follow-ups.",
)

TABLES = (Facility, Enrolment, Staff, Inspection)  # parents first
STAFF_ROLES = frozenset({"platform_admin", "district_admin", "ward_chair", "ward_officer"})
EDITORS = frozenset({"platform_admin", "ward_chair", "ward_officer"})
PERMISSIONS = [
    Permission("kindergartens.facility:read", "Xem cơ sở, giấy phép, nhân sự, kiểm tra và cảnh báo",
               "Read facilities, licences, staff, inspections and alerts", grants=STAFF_ROLES | {"integrator"}),
    Permission("kindergartens.facility:write", "Cấp phép, sửa cơ sở, nhân sự, ghi kiểm tra",
               "Register and change facilities, staff and inspections", grants=EDITORS),
    Permission("kindergartens.enrolment:read", "Xem danh sách trẻ theo học", "Read enrolled children",
               grants=STAFF_ROLES),
    Permission("kindergartens.enrolment:write", "Ghi nhận trẻ nhập học, thôi học", "Enrol children and record leaving",
               grants=EDITORS),
]


@hookimpl
def wardhub_permissions() -> list[Permission]:
    return PERMISSIONS


@hookimpl
def wardhub_routes() -> list:
    from plugins.kindergartens.routes import ROUTES

    return ROUTES


@hookimpl
def wardhub_graphql():
    from plugins.kindergartens.schema import contribution

    return contribution


@hookimpl
def wardhub_tenant_enabled(tenant: TenantRef, session: AsyncSession) -> None:
    """Nothing to seed."""


@hookimpl
async def wardhub_export_tenant_data(tenant: TenantRef, session: AsyncSession) -> dict[str, list[dict[str, Any]]]:
    return await export_rows(session, TABLES)


@hookimpl
async def wardhub_purge_tenant_data(tenant: TenantRef, session: AsyncSession) -> int:
    return await purge_rows(session, reversed(TABLES))


@hookimpl
async def wardhub_demo_data(tenant: TenantRef, session: AsyncSession) -> str | None:
    """Two facilities, one licence close to expiry, an inspection with an open follow-up."""
    if await session.scalar(select(func.count()).select_from(Facility)):
        return None
    today = date.today()
    first = await services.save_facility(session, {
        "kind": "group", "name": "Nhóm trẻ Hoa Mai", "owner_name": "Nguyễn Thị Mai", "address": "15 Lạc Long Quân",
        "capacity": 20, "licence_number": "GP-01/2024", "licence_issued": date(today.year - 2, 1, 10).isoformat(),
        "licence_expires": date.fromordinal(today.toordinal() + 45).isoformat()})
    await services.save_facility(session, {
        "kind": "class", "name": "Lớp mẫu giáo Sơn Ca", "owner_name": "Trần Văn Sơn", "address": "3 Hàn Hải Nguyên",
        "capacity": 30, "licence_number": "GP-02/2025", "licence_issued": date(today.year - 1, 8, 1).isoformat()})
    await services.add_staff(session, first.id, {"full_name": "Lê Thị Lan", "role": "teacher",
                                                 "qualification": "college"})
    return "2 facilities"


# -- web console ----------------------------------------------------------------------------------------
@hookimpl
def wardhub_templates() -> Path:
    return Path(__file__).parent / "templates"


@hookimpl
def wardhub_messages() -> dict[str, tuple[str, str]]:
    return {
        "kindergartens.title": ("Nhóm trẻ, lớp mẫu giáo độc lập", "Private kindergartens"),
        "kindergartens.alerts": ("Cảnh báo", "Alerts"),
        "kindergartens.no_alerts": ("Không có cảnh báo.", "No alerts."),
        "kindergartens.facilities": ("Cơ sở", "Facilities"),
        "kindergartens.empty": ("Chưa có cơ sở nào.", "No facilities yet."),
        "kindergartens.name": ("Tên cơ sở", "Name"),
        "kindergartens.licence": ("Giấy phép", "Licence"),
        "kindergartens.expires": ("Hết hạn", "Expires"),
        "kindergartens.children": ("Trẻ / sức chứa", "Children / capacity"),
        "kindergartens.staff": ("Nhân sự", "Staff"),
    }


@hookimpl
def wardhub_navigation(tenant: TenantRef, lang: str) -> list[NavEntry]:
    return [NavEntry(label=("Mầm non tư thục", "Kindergartens"), url="", permission="kindergartens.facility:read",
                     order=45)]


@hookimpl
async def wardhub_dashboard(tenant: TenantRef, session: AsyncSession, lang: str) -> list[Figure]:
    found = await services.alerts(session)
    kinds = ("licence_expiring", "licence_expired", "follow_up_overdue")
    labels = {"licence_expiring": ("Giấy phép sắp hết hạn", "Licences expiring"),
              "licence_expired": ("Giấy phép đã hết hạn", "Licences expired"),
              "follow_up_overdue": ("Quá hạn khắc phục", "Overdue follow-ups")}
    return [Figure(title=("Cảnh báo cơ sở mầm non", "Kindergarten alerts"), value=len(found),
                   series=[(labels[k], sum(1 for a in found if a.kind == k)) for k in kinds],
                   url="", permission="kindergartens.facility:read")]
