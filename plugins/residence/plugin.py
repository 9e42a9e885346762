"""Manifest and hook implementations of the ``residence`` plugin."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.toolkit import Figure, NavEntry, Permission, PluginManifest, RowFilter, TenantRef, export_rows, hookimpl
from plugins.residence import services
from plugins.residence.models import (
    Establishment,
    GuestNight,
    OperatorToken,
    PermanentRegistry,
    Registration,
    Stay,
)

manifest = PluginManifest(
    name="residence",
    version="0.1.0",
    title_vi="Cư trú",
    title_en="Residence",
    requires_core=">=0.1",
    depends={"residents": ">=0.1"},
    scope=frozenset({"ward"}),
    migrations=Path(__file__).parent / "migrations",
    description_vi="Thường trú, tạm trú, tạm vắng; cơ sở lưu trú khai báo khách 24/7; hết hạn và thống kê.",
    description_en="Permanent and temporary residence, absence; lodging declarations around the clock; "
                   "expiry and figures.",
)

TABLES = (Registration, Establishment, OperatorToken, Stay)  # parents first

# -- permissions (DESIGN §4) ---------------------------------------------------------------------------
STAFF = frozenset({"platform_admin", "district_admin", "ward_chair", "ward_officer"})
EDITORS = frozenset({"platform_admin", "ward_chair", "ward_officer"})
# The ward police read through an ``integrator`` token or a ward account holding ``ward_officer`` (a
# tenant may grant these reads to another role with an override): every residence.*:read below.
POLICE = STAFF | {"integrator"}
OPERATOR = "lodging_operator"
GUEST_IDENTITY = "residence.stay.guest:read"
PERMISSIONS = [
    Permission("residence.registration:read", "Xem đăng ký thường trú, tạm trú, tạm vắng",
               "Read permanent and temporary residences and absences", grants=POLICE),
    Permission("residence.registration:write", "Đăng ký, gia hạn, chấm dứt cư trú",
               "Register, renew and end residences", grants=EDITORS),
    Permission("residence.establishment:read", "Xem cơ sở lưu trú", "Read lodging establishments",
               grants=POLICE | {OPERATOR}),
    Permission("residence.establishment:write", "Đăng ký cơ sở lưu trú", "Register lodging establishments",
               grants=EDITORS),
    Permission("residence.stay:read", "Xem khai báo lưu trú", "Read lodging declarations",
               grants=POLICE | {OPERATOR}),
    Permission("residence.stay:declare", "Khai báo lưu trú", "Declare guests' stays",
               grants=EDITORS | {OPERATOR}),
    # The guest's document number and year of birth: the ward's officers, the police, and the operator
    # who declared the guest (row filters keep an operator to their own establishment).
    Permission(GUEST_IDENTITY, "Xem giấy tờ tùy thân của khách lưu trú", "Read guests' document numbers",
               grants={"ward_chair", "ward_officer", "integrator", OPERATOR}, sensitive=True),
    Permission("residence.police:read", "Xem tình hình lưu trú toàn phường (công an)",
               "Read the ward's lodging overview (police)", grants=POLICE),
    Permission("residence.statistics:read", "Xem thống kê cư trú", "Read residence figures",
               grants=POLICE),
]


@hookimpl
def wardhub_permissions() -> list[Permission]:
    return PERMISSIONS


def _establishment(attrs: Mapping[str, object]) -> uuid.UUID:
    value = attrs["establishment"]
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


@hookimpl
def wardhub_row_filters() -> list[RowFilter]:
    """A lodging operator sees their own establishment (role attribute ``establishment=<id>``) and the
    stays it declared, nothing else."""
    return [
        RowFilter("residence.establishment", {OPERATOR: lambda attrs: Establishment.id == _establishment(attrs)}),
        RowFilter("residence.stay", {OPERATOR: lambda attrs: Stay.establishment_id == _establishment(attrs)}),
    ]


@hookimpl
def wardhub_routes() -> list:
    from plugins.residence.routes import ROUTES

    return ROUTES


@hookimpl
def wardhub_graphql():
    from plugins.residence.schema import contribution

    return contribution


@hookimpl
def wardhub_tenant_enabled(tenant: TenantRef, session: AsyncSession) -> None:
    """Nothing to seed."""


@hookimpl
def wardhub_tenant_disabled(tenant: TenantRef, session: AsyncSession) -> None:
    """Nothing scheduled per tenant: the expiry job asks which wards have the plugin on at each run."""


@hookimpl
async def wardhub_export_tenant_data(tenant: TenantRef, session: AsyncSession) -> dict[str, list[dict[str, Any]]]:
    return await export_rows(session, TABLES)


@hookimpl
async def wardhub_purge_tenant_data(tenant: TenantRef, session: AsyncSession) -> int:
    deleted = 0
    statements = (
        delete(GuestNight).where(GuestNight.tenant_id == tenant.id),
        delete(PermanentRegistry).where(PermanentRegistry.tenant_id == tenant.id),
        delete(Stay),
        delete(OperatorToken),
        delete(Establishment),
        delete(Registration).where(Registration.renewed_from_id.is_not(None)),
        delete(Registration),
    )
    for statement in statements:
        result = await session.execute(statement, execution_options={"synchronize_session": False})
        deleted += result.rowcount or 0
    return deleted


# -- web console ---------------------------------------------------------------------------------------

@hookimpl
def wardhub_templates() -> Path:
    return Path(__file__).parent / "templates"


@hookimpl
def wardhub_messages() -> dict[str, tuple[str, str]]:
    from plugins.residence.routes import MESSAGES

    return MESSAGES


@hookimpl
def wardhub_navigation(tenant: TenantRef, lang: str):
    return [
        NavEntry(label=("Cư trú", "Residence"), url="", permission="residence.registration:read", order=30),
        NavEntry(label=("Tạm trú sắp hết hạn", "Expiring residences"), url="web/expiring",
                 permission="residence.registration:read", order=31),
        NavEntry(label=("Khai báo lưu trú", "Lodging declarations"), url="lodging",
                 permission="residence.stay:declare", order=32),
        NavEntry(label=("Tình hình lưu trú", "Lodging overview"), url="police",
                 permission="residence.police:read", order=33),
    ]


@hookimpl
async def wardhub_dashboard(tenant: TenantRef, session: AsyncSession, lang: str):
    counts = {kind: n for kind, n in await session.execute(
        select(Registration.kind, func.count()).where(Registration.status == "active").group_by(Registration.kind))}
    today = services.today_in_vietnam()
    ending = await session.scalar(select(func.count()).select_from(Registration).where(
        Registration.kind == "temporary", Registration.status == "active", Registration.end_date >= today,
        Registration.end_date <= today + timedelta(days=services.EXPIRY_WINDOW_DAYS)))
    return [
        Figure(title=("Cư trú đang hiệu lực", "Active residences"),
               value=counts.get("permanent", 0) + counts.get("temporary", 0),
               series=[(("Thường trú", "Permanent"), counts.get("permanent", 0)),
                       (("Tạm trú", "Temporary"), counts.get("temporary", 0)),
                       (("Tạm vắng", "Absent"), counts.get("absence", 0))],
               chart="donut", url="", permission="residence.statistics:read"),
        Figure(title=("Tạm trú sắp hết hạn (30 ngày)", "Temporary residences ending within 30 days"),
               value=ending or 0, url="web/expiring", permission="residence.registration:read"),
    ]


# -- residents' hooks ----------------------------------------------------------------------------------

KIND_LABELS = {"permanent": ("Thường trú", "Permanent residence"), "temporary": ("Tạm trú", "Temporary residence"),
               "absence": ("Tạm vắng", "Absence")}


@hookimpl
async def wardhub_residents_person_sections(tenant: TenantRef, session: AsyncSession, person_id: uuid.UUID):
    """The person's active registrations on their page in ``residents``: kind, address and period."""
    rows = (await session.execute(select(Registration).where(
        Registration.person_id == person_id, Registration.status == "active").order_by(Registration.start_date)
    )).scalars().all()
    if not rows:
        return None
    items = []
    for row in rows:
        vi, en = KIND_LABELS[row.kind]
        period = f"{row.start_date:%d/%m/%Y}" + (f" – {row.end_date:%d/%m/%Y}" if row.end_date else "")
        place = row.destination if row.kind == "absence" else row.address
        items.append({"label_vi": vi, "label_en": en, "value": f"{place} ({period})"})
    return [{"key": "residence", "title_vi": "Cư trú", "title_en": "Residence", "items": items}]


@hookimpl
def wardhub_cli_commands() -> list:
    """``wardhub residence expire``: the scheduled expiry job (see :mod:`plugins.residence.jobs`)."""
    from plugins.residence.jobs import commands

    return [commands]
