"""Manifest and hook implementations of ``feedback`` (the contract: WardHub's core/plugins/hookspecs.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.toolkit import Figure, NavEntry, Permission, PluginManifest, TenantRef, export_rows, hookimpl
from wardhub_feedback import services
from wardhub_feedback.models import Entry

HERE = Path(__file__).parent

manifest = PluginManifest(
    name="feedback",
    version="0.1.0",
    title_vi="Phản ánh, kiến nghị",
    title_en="Citizen feedback",
    requires_core=">=0.1",
    scope=frozenset({"ward"}),
    migrations=HERE / "migrations",
)

TABLES = (Entry,)  # parents first: purge deletes in reverse
STAFF = frozenset({"platform_admin", "district_admin", "ward_chair", "ward_officer"})
PERMISSIONS = [
    Permission("feedback.entry:read", "Xem mục của Phản ánh, kiến nghị", "Read Citizen feedback entries",
               grants=STAFF | {"integrator"}),
    Permission("feedback.entry:write", "Thêm mục vào Phản ánh, kiến nghị", "Add Citizen feedback entries",
               grants={"platform_admin", "ward_chair", "ward_officer"}),
]


@hookimpl
def wardhub_permissions() -> list[Permission]:
    return PERMISSIONS


@hookimpl
def wardhub_routes() -> list:
    from wardhub_feedback.routes import ROUTES

    return ROUTES


@hookimpl
def wardhub_graphql():
    from wardhub_feedback.schema import contribution

    return contribution


@hookimpl
def wardhub_templates() -> Path:
    return HERE / "templates"


@hookimpl
def wardhub_messages() -> dict[str, tuple[str, str]]:
    return {
        "feedback.title": ("Phản ánh, kiến nghị", "Citizen feedback"),
        "feedback.count": ("Có {count} mục.", "There are {count} entries."),
        "feedback.empty": ("Chưa có mục nào.", "No entries yet."),
    }


@hookimpl
def wardhub_navigation(tenant: TenantRef, lang: str) -> list[NavEntry]:
    return [NavEntry(label=("Phản ánh, kiến nghị", "Citizen feedback"), url="", permission="feedback.entry:read", order=100)]


@hookimpl
async def wardhub_dashboard(tenant: TenantRef, session: AsyncSession, lang: str) -> list[Figure]:
    return [Figure(title=("Phản ánh, kiến nghị", "Citizen feedback"), value=await services.count(session), url="",
                   permission="feedback.entry:read")]


@hookimpl
async def wardhub_tenant_enabled(tenant: TenantRef, session: AsyncSession) -> None:
    """Seed reference data here (in the enabling transaction); nothing to seed yet."""


@hookimpl
async def wardhub_export_tenant_data(tenant: TenantRef, session: AsyncSession) -> dict[str, list[dict[str, Any]]]:
    return await export_rows(session, TABLES)


@hookimpl
async def wardhub_purge_tenant_data(tenant: TenantRef, session: AsyncSession) -> int:
    deleted = 0
    for model in reversed(TABLES):
        result = await session.execute(delete(model).where(model.tenant_id == tenant.id),
                                       execution_options={"synchronize_session": False})
        deleted += result.rowcount or 0
    return deleted


@hookimpl
async def wardhub_demo_data(tenant: TenantRef, session: AsyncSession) -> str | None:
    if await session.scalar(select(Entry.id).limit(1)):
        return None
    await services.add_entry(session, {"title": "Mục mẫu", "body": "Dữ liệu mẫu của Phản ánh, kiến nghị"})
    return "1 entry"
