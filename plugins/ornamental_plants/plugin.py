"""Manifest and hook implementations of the ``ornamental_plants`` plugin (sinh vật cảnh)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.toolkit import Permission, PluginManifest, TenantRef, export_rows, hookimpl, purge_rows
from core.web.contributions import Figure, NavEntry
from plugins.ornamental_plants import services, storage
from plugins.ornamental_plants.models import Association, Entry, Event, Member, Photo, Specimen, Trader

manifest = PluginManifest(
    name="ornamental_plants",
    version="0.1.0",
    title_vi="Sinh vật cảnh",
    title_en="Ornamental plants and creatures",
    requires_core=">=0.1",
    scope=frozenset({"ward"}),
    depends={"residents": ">=0.1"},  # members (and owners) are persons of the ward's register
    migrations=Path(__file__).parent / "migrations",
    description_vi="Hội sinh vật cảnh, hội viên, hiện vật có ảnh, sự kiện và triển lãm, cơ sở kinh doanh.",
    description_en="Hobbyist associations, members, specimens with photos, events and exhibitions, traders.",
)

TABLES = (Association, Member, Specimen, Photo, Event, Entry, Trader)  # parents first
STAFF = frozenset({"platform_admin", "district_admin", "ward_chair", "ward_officer"})
EDITORS = frozenset({"platform_admin", "ward_chair", "ward_officer"})
PERMISSIONS = [
    Permission("ornamental_plants.registry:read", "Xem hội, hiện vật, sự kiện, cơ sở kinh doanh sinh vật cảnh",
               "Read associations, specimens, events and traders", grants=STAFF | {"integrator"}),
    Permission("ornamental_plants.registry:write", "Đăng ký hội, hội viên, hiện vật, ảnh, sự kiện, cơ sở",
               "Register associations, members, specimens, photos, events and traders", grants=EDITORS),
]


@hookimpl
def wardhub_permissions() -> list[Permission]:
    return PERMISSIONS


@hookimpl
def wardhub_routes() -> list:
    from plugins.ornamental_plants.routes import ROUTES

    return ROUTES


@hookimpl
def wardhub_graphql():
    from plugins.ornamental_plants.schema import contribution

    return contribution


@hookimpl
def wardhub_tenant_enabled(tenant: TenantRef, session: AsyncSession) -> None:
    """Nothing to seed."""


@hookimpl
async def wardhub_export_tenant_data(tenant: TenantRef, session: AsyncSession) -> dict[str, list[dict[str, Any]]]:
    """The rows (photos as their metadata; the files stay in the photo folder under the tenant's id)."""
    return await export_rows(session, TABLES)


@hookimpl
async def wardhub_purge_tenant_data(tenant: TenantRef, session: AsyncSession) -> int:
    """The rows, and the tenant's photo folder once the purge commits."""
    storage.photos.delete_tenant(session, tenant.id)
    return await purge_rows(session, reversed(TABLES))


@hookimpl
def wardhub_tenant_merged(source: TenantRef, target: TenantRef, session: AsyncSession) -> None:
    """The merged ward's photo rows now belong to ``target``: their files follow once the merge commits."""
    storage.photos.move_tenant(session, source.id, target.id)


@hookimpl
async def wardhub_demo_data(tenant: TenantRef, session: AsyncSession) -> str | None:
    if await session.scalar(select(func.count()).select_from(Association)):
        return None
    club = await services.create_association(session, {"name": "Hội Sinh vật cảnh phường", "address": "Nhà văn hóa"})
    await services.register_specimen(session, {"code": "SVC-001", "kind": "bonsai", "name": "Tùng La Hán dáng trực",
                                               "owner_name": "Phạm Văn Tùng", "association_id": str(club.id)})
    await services.register_trader(session, {"name": "Vườn kiểng Minh Tâm", "owner_name": "Lê Minh Tâm",
                                             "address": "20 Lò Siêu", "kinds": ["bonsai", "rock"]})
    return "1 association, 1 specimen, 1 trader"


# -- web console ----------------------------------------------------------------------------------------
@hookimpl
def wardhub_templates() -> Path:
    return Path(__file__).parent / "templates"


@hookimpl
def wardhub_messages() -> dict[str, tuple[str, str]]:
    return {
        "ornamental_plants.title": ("Sinh vật cảnh", "Ornamental plants and creatures"),
        "ornamental_plants.associations": ("Hội sinh vật cảnh", "Associations"),
        "ornamental_plants.specimens": ("Hiện vật đã đăng ký", "Registered specimens"),
        "ornamental_plants.events": ("Sự kiện, triển lãm", "Events and exhibitions"),
        "ornamental_plants.traders": ("Cơ sở kinh doanh", "Traders"),
        "ornamental_plants.empty": ("Chưa có.", "None yet."),
    }


@hookimpl
def wardhub_navigation(tenant: TenantRef, lang: str) -> list[NavEntry]:
    return [NavEntry(label=("Sinh vật cảnh", "Ornamental plants"), url="",
                     permission="ornamental_plants.registry:read", order=60)]


@hookimpl
async def wardhub_dashboard(tenant: TenantRef, session: AsyncSession, lang: str) -> list[Figure]:
    rows = (await session.execute(select(Specimen.kind, func.count()).group_by(Specimen.kind))).all()
    counts = dict(rows)
    return [Figure(title=("Hiện vật sinh vật cảnh", "Ornamental specimens"), value=sum(counts.values()),
                   series=[(label, counts.get(kind, 0)) for kind, label in services.KINDS.items()], chart="donut",
                   url="", permission="ornamental_plants.registry:read")]
