"""Manifest and hook implementations of the ``residents`` plugin."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.toolkit import Figure, NavEntry, Permission, PluginManifest, RowFilter, TenantRef, export_rows, hookimpl
from plugins.residents import hookspecs, imports, services
from plugins.residents.models import Household, IdRegistration, Move, Neighbourhood, Person
from plugins.residents.samples import SampleMaker, renumber_taken
from plugins.residents.validation import today_in_vietnam

manifest = PluginManifest(
    name="residents",
    version="0.1.0",
    title_vi="Nhân khẩu",
    title_en="Residents",
    requires_core=">=0.1",
    # A district (or a province in the 2-level model) subscribes, its wards enable it; the district reads its
    # wards' figures summed (``GET …/residents/statistics/district``, ``districtStatistics``).
    scope=frozenset({"ward", "district"}),
    migrations=Path(__file__).parent / "migrations",
    hookspecs=hookspecs,
    description_vi="Sổ hộ gia đình và nhân khẩu của phường, xã: đăng ký, chuyển đi, thống kê, nhập tệp.",
    description_en="The ward's register of households and residents: registration, moves, figures, file import.",
)

TABLES = (Neighbourhood, Household, Person, Move)  # parents first

# -- permissions (DESIGN §4) ---------------------------------------------------------------------------
STAFF = frozenset({"platform_admin", "district_admin", "ward_chair", "ward_officer"})
EDITORS = frozenset({"platform_admin", "ward_chair", "ward_officer"})
READERS = STAFF | {"neighborhood_head", "resident", "integrator"}
IDENTITY = "residents.person.identity:read"
PERMISSIONS = [
    Permission("residents.household:read", "Xem hộ gia đình", "Read households", grants=READERS),
    Permission("residents.household:write", "Đăng ký, sửa hộ gia đình", "Register and change households",
               grants=EDITORS),
    Permission("residents.person:read", "Xem nhân khẩu", "Read persons", grants=READERS),
    Permission("residents.person:write", "Sửa nhân khẩu, chuyển đi, khai tử", "Change, move and record deaths",
               grants=EDITORS),
    # The identification number, ethnicity and religion: only the ward's own officers, every read audited.
    Permission(IDENTITY, "Xem số định danh, dân tộc, tôn giáo", "Read ID numbers, ethnicity and religion",
               grants={"ward_chair", "ward_officer"}, sensitive=True),
    Permission("residents.statistics:read", "Xem thống kê dân số", "Read population statistics",
               grants=STAFF | {"integrator"}),
    Permission("residents.import:write", "Nhập tệp nhân khẩu", "Import household files", grants=EDITORS),
]


@hookimpl
def wardhub_permissions() -> list[Permission]:
    return PERMISSIONS


def _uuid(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _area_households(attrs: Mapping[str, object]):
    """Households of the neighbourhood in the role's ``neighborhood`` attribute, or of a tổ under it."""
    area = _uuid(attrs["neighborhood"])
    areas = select(Neighbourhood.id).where(or_(Neighbourhood.id == area, Neighbourhood.parent_id == area))
    return Household.neighbourhood_id.in_(areas)


@hookimpl
def wardhub_row_filters() -> list[RowFilter]:
    """A neighbourhood head sees their neighbourhood; a resident, their own household."""
    return [
        RowFilter("residents.household", {
            "neighborhood_head": _area_households,
            "resident": lambda attrs: Household.id == _uuid(attrs["household"]),
        }),
        RowFilter("residents.person", {
            "neighborhood_head": lambda attrs: Person.household_id.in_(
                select(Household.id).where(_area_households(attrs))),
            "resident": lambda attrs: Person.household_id == _uuid(attrs["household"]),
        }),
    ]


@hookimpl
def wardhub_routes() -> list:
    from plugins.residents.import_page import IMPORT_PAGES
    from plugins.residents.pages import PAGES
    from plugins.residents.portal import PORTAL
    from plugins.residents.routes import ROUTES

    return ROUTES + PAGES + PORTAL + IMPORT_PAGES


# -- web console -------------------------------------------------------------------------------------------

@hookimpl
def wardhub_templates():
    return Path(__file__).parent / "templates"


@hookimpl
def wardhub_static():
    return Path(__file__).parent / "static"


@hookimpl
def wardhub_messages():
    from plugins.residents.import_page import MESSAGES as IMPORT_MESSAGES
    from plugins.residents.messages import MESSAGES
    from plugins.residents.portal import MESSAGES as PORTAL_MESSAGES

    return {**MESSAGES, **PORTAL_MESSAGES, **IMPORT_MESSAGES}


@hookimpl
def wardhub_navigation(tenant: TenantRef, lang: str):
    if tenant.level != "ward":
        return []
    return [
        NavEntry(label=("Hộ gia đình", "Households"), url="", permission="residents.household:read", order=10),
        NavEntry(label=("Đăng ký hộ", "Register a household"), url="web/register",
                 permission="residents.household:write", order=11),
        NavEntry(label=("Nhập từ tệp", "Import from a file"), url="web/import",
                 permission="residents.import:write", order=12),
    ]


@hookimpl
async def wardhub_dashboard(tenant: TenantRef, session: AsyncSession, lang: str):
    """Households, persons, and persons by sex: three aggregate queries over the ward."""
    from plugins.residents import reference as ref

    households = await session.scalar(select(func.count()).select_from(Household)
                                      .where(Household.status == "active")) or 0
    by_sex = dict((await session.execute(select(Person.sex, func.count()).where(Person.status == ref.PRESENT)
                                         .group_by(Person.sex))).all())
    persons = sum(by_sex.values())
    return [
        Figure(title=("Hộ gia đình", "Households"), value=households, unit=("hộ", "households"), url="",
               permission="residents.household:read"),
        Figure(title=("Nhân khẩu", "Residents"), value=persons, unit=("người", "people"), url="",
               permission="residents.person:read"),
        Figure(title=("Nhân khẩu theo giới tính", "Residents by sex"), value=persons, chart="donut",
               series=[((t.vi, t.en), by_sex.get(t.code, 0)) for t in ref.SEXES], unit=("người", "people"),
               permission="residents.statistics:read"),
    ]


@hookimpl
def wardhub_graphql():
    from plugins.residents.schema import contribution

    return contribution


@hookimpl
def wardhub_change_types() -> list:
    """Changes a resident may propose to their own household (core's approval workflow)."""
    from plugins.residents.changes import CHANGE_TYPES
    from plugins.residents.portal import change_types

    return CHANGE_TYPES + change_types()


@hookimpl
def wardhub_tenant_enabled(tenant: TenantRef, session: AsyncSession) -> None:
    """Nothing to seed: the reference lists are data in code (``reference.py``), the same for every ward."""


@hookimpl
async def wardhub_export_tenant_data(tenant: TenantRef, session: AsyncSession) -> dict[str, list[dict[str, Any]]]:
    return await export_rows(session, TABLES)


@hookimpl
async def wardhub_purge_tenant_data(tenant: TenantRef, session: AsyncSession) -> int:
    deleted = 0
    statements = (
        delete(IdRegistration).where(IdRegistration.tenant_id == tenant.id),
        delete(Move),
        delete(Person),
        delete(Household),
        delete(Neighbourhood).where(Neighbourhood.parent_id.is_not(None)),
        delete(Neighbourhood),
    )
    for statement in statements:
        result = await session.execute(statement, execution_options={"synchronize_session": False})
        deleted += result.rowcount or 0
    return deleted


DEMO_AREAS = (("KP1", "Khu phố 1"), ("KP2", "Khu phố 2"), ("KP3", "Khu phố 3"), ("KP4", "Khu phố 4"))


@hookimpl
async def wardhub_demo_data(tenant: TenantRef, session: AsyncSession) -> str | None:
    """Four khu phố with three tổ dân phố each, and 100 households (a few hundred people) in them."""
    if await session.scalar(select(func.count()).select_from(Household)):
        return None
    groups = []
    for code, name in DEMO_AREAS:
        area = await services.create_neighbourhood(session, {"code": code, "name": name, "kind": "khu_pho"})
        for n in range(1, 4):
            await services.create_neighbourhood(
                session, {"code": f"{code}-T{n}", "name": f"Tổ dân phố {n}, {name}", "parent_id": area.id})
            groups.append(f"{code}-T{n}")
    maker = SampleMaker(tenant.id, today_in_vietnam())
    rows = maker.households(100, prefix="HK", neighbourhoods=tuple(groups))
    await renumber_taken(session, maker, rows)
    for number, row in enumerate(rows, start=2):
        row["_row"] = number
    report = await imports.import_rows(session, tenant.id, rows, source={"demo": True})
    if not report.ok:
        raise RuntimeError(f"demo data did not validate: {report.errors[:3]}")
    return f"{report.households} households, {report.persons} persons in {len(groups)} residential groups"


@hookimpl
async def wardhub_demo_accounts(tenant: TenantRef, session: AsyncSession) -> list[dict[str, Any]]:
    """``cudan``, a resident of the first demo household (the portal, proposing changes for the officer
    and the chair to review and approve), and ``totruong``, the head of that household's khu phố."""
    household = await session.scalar(select(Household).order_by(Household.code).limit(1))
    area = None
    if household is not None and household.neighbourhood_id is not None:
        area = await session.scalar(select(Neighbourhood).where(Neighbourhood.id == household.neighbourhood_id))
    if area is not None and area.parent_id is not None:
        area = await session.scalar(select(Neighbourhood).where(Neighbourhood.id == area.parent_id))
    accounts = []
    if household is not None:
        accounts.append({"username": "cudan", "name": f"Người dân hộ {household.code}", "role": "resident",
                         "attrs": {"household": str(household.id)}})
    if area is not None:
        accounts.append({"username": "totruong", "name": f"Tổ trưởng {area.name}", "role": "neighborhood_head",
                         "attrs": {"neighborhood": str(area.id)}})
    return accounts
