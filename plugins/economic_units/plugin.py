"""Manifest and hook implementations of the ``economic_units`` plugin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.toolkit import Figure, NavEntry, Permission, PluginManifest, TenantRef, export_rows, hookimpl, purge_rows
from plugins.economic_units import services
from plugins.economic_units.models import EconomicUnit, StatusChange

manifest = PluginManifest(
    name="economic_units",
    version="0.1.0",
    title_vi="Đơn vị kinh tế",
    title_en="Economic units",
    requires_core=">=0.1",
    # A district subscribes and sees its wards together on the map; each ward keeps its own register.
    scope=frozenset({"ward", "district"}),
    migrations=Path(__file__).parent / "migrations",
    description_vi="Doanh nghiệp và hộ kinh doanh: mã số thuế, ngành VSIC, quy mô, lao động, bản đồ.",
    description_en="Enterprises and household businesses: tax codes, VSIC sectors, size, labour, a map.",
)

TABLES = (EconomicUnit, StatusChange)  # parents first
STAFF = frozenset({"platform_admin", "district_admin", "ward_chair", "ward_officer"})
EDITORS = frozenset({"platform_admin", "ward_chair", "ward_officer"})
PERMISSIONS = [
    Permission("economic_units.unit:read", "Xem đơn vị kinh tế, bản đồ và số liệu",
               "Read economic units, the map and figures", grants=STAFF | {"integrator"}),
    Permission("economic_units.unit:write", "Đăng ký, sửa, đổi trạng thái đơn vị kinh tế",
               "Register and change economic units and their status", grants=EDITORS),
    Permission("economic_units.import:write", "Nhập tệp đơn vị kinh tế", "Import economic unit files",
               grants=EDITORS),
]


@hookimpl
def wardhub_permissions() -> list[Permission]:
    return PERMISSIONS


@hookimpl
def wardhub_routes() -> list:
    from plugins.economic_units.routes import ROUTES

    return ROUTES


@hookimpl
def wardhub_graphql():
    from plugins.economic_units.schema import contribution

    return contribution


@hookimpl
def wardhub_tenant_enabled(tenant: TenantRef, session: AsyncSession) -> None:
    """Nothing to seed: reference data lives in code (``reference.py``)."""


@hookimpl
async def wardhub_export_tenant_data(tenant: TenantRef, session: AsyncSession) -> dict[str, list[dict[str, Any]]]:
    return await export_rows(session, TABLES)


@hookimpl
async def wardhub_purge_tenant_data(tenant: TenantRef, session: AsyncSession) -> int:
    return await purge_rows(session, reversed(TABLES))


# -- web console ------------------------------------------------------------------------------------------
@hookimpl
def wardhub_templates() -> Path:
    return Path(__file__).parent / "templates"


@hookimpl
def wardhub_static() -> Path:
    return Path(__file__).parent / "static"


@hookimpl
def wardhub_messages() -> dict[str, tuple[str, str]]:
    return {
        "economic_units.map.title": ("Bản đồ đơn vị kinh tế", "Map of economic units"),
        "economic_units.map.count": ("{count} đơn vị", "{count} units"),
        "economic_units.map.labour": ("{count} lao động", "{count} workers"),
        "economic_units.map.error": ("Không tải được các điểm trên bản đồ", "The map's points could not be loaded"),
        "economic_units.filter.ward": ("Phường, xã", "Ward"),
        "economic_units.filter.section": ("Ngành", "Sector"),
        "economic_units.filter.size": ("Quy mô", "Size"),
        "economic_units.filter.status": ("Trạng thái", "Status"),
        "economic_units.filter.all": ("Tất cả", "All"),
        "economic_units.filter.apply": ("Lọc", "Filter"),
        "economic_units.export": ("Xuất Excel", "Export to Excel"),
        "economic_units.labour": ("Lao động", "Labour"),
        "economic_units.charts": ("Biểu đồ", "Charts"),
        "economic_units.list": ("Danh sách", "List"),
        "economic_units.empty": ("Không có đơn vị nào phù hợp.", "No matching units."),
        "economic_units.field.name": ("Tên đơn vị", "Name"),
        "economic_units.field.tax_code": ("Mã số thuế", "Tax code"),
    }


@hookimpl
def wardhub_navigation(tenant: TenantRef, lang: str) -> list[NavEntry]:
    return [NavEntry(label=("Đơn vị kinh tế", "Economic units"), url="map", permission="economic_units.unit:read",
                     order=40)]


@hookimpl
async def wardhub_dashboard(tenant: TenantRef, session: AsyncSession, lang: str) -> list[Figure]:
    rows = (await session.execute(select(EconomicUnit.section, func.count()).where(EconomicUnit.status == "active")
                                  .group_by(EconomicUnit.section).order_by(EconomicUnit.section))).all()
    return [Figure(
        title=("Đơn vị kinh tế đang hoạt động", "Active economic units"),
        value=sum(n for _, n in rows),
        series=[((s, s), n) for s, n in rows],
        url="map",
        permission="economic_units.unit:read",
    )]


DEMO = (  # name, kind, section, labour, revenue, offset (lat, lon) from the demo ward's centre
    ("Công ty TNHH Cơ khí Minh Phát", "enterprise", "C", 42, 18.0, (0.004, -0.003)),
    ("Công ty CP Thương mại Hòa Bình", "enterprise", "G", 12, 35.0, (-0.002, 0.005)),
    ("Hộ kinh doanh Phở Bà Tư", "household", "I", 4, 1.2, (0.001, 0.001)),
    ("Công ty TNHH Phần mềm Sao Việt", "enterprise", "J", 65, 40.0, (-0.005, -0.004)),
    ("Hộ kinh doanh Tạp hóa Thanh Hương", "household", "G", 2, 0.8, (0.003, 0.006)),
    ("Công ty TNHH Xây dựng An Khang", "enterprise", "F", 120, 90.0, (-0.004, 0.002)),
)


def demo_tax_code(seed: int) -> str:
    """A valid 10-digit tax code derived from ``seed`` (first nine digits, then the check digit)."""
    from plugins.economic_units.validation import check_digit

    n = 310000000 + seed
    while check_digit(str(n)) is None:
        n += 1
    return f"{n}{check_digit(str(n))}"


@hookimpl
async def wardhub_demo_data(tenant: TenantRef, session: AsyncSession) -> str | None:
    """Six units around Hồ Chí Minh City's District 11 (10.763 °N, 106.650 °E)."""
    if await session.scalar(select(func.count()).select_from(EconomicUnit)):
        return None
    for index, (name, kind, section, labour, revenue, (dlat, dlon)) in enumerate(DEMO):
        await services.create_unit(session, {
            "name": name, "kind": kind, "section": section, "labour": labour, "revenue": revenue,
            "tax_code": demo_tax_code(index * 7919) if kind == "enterprise" else None,
            "address": f"{10 + index * 3} Lạc Long Quân", "latitude": 10.763 + dlat, "longitude": 106.650 + dlon,
        })
    return f"{len(DEMO)} economic units"

