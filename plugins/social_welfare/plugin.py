"""Manifest and hook implementations of the ``social_welfare`` plugin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.toolkit import Figure, NavEntry, Permission, PluginManifest, TenantRef, export_rows, hookimpl, purge_rows
from plugins.social_welfare import reference as ref
from plugins.social_welfare import services
from plugins.social_welfare.models import (
    BaseLevel,
    Beneficiary,
    Payment,
    PaymentList,
    PolicyFamily,
    PovertyAssessment,
)

manifest = PluginManifest(
    name="social_welfare",
    version="0.1.0",
    title_vi="Bảo trợ xã hội",
    title_en="Social welfare",
    requires_core=">=0.1",
    depends={"residents": ">=0.1"},
    scope=frozenset({"ward"}),
    migrations=Path(__file__).parent / "migrations",
    description_vi="Trợ cấp xã hội hằng tháng (Nghị định 20/2021), gia đình chính sách, hộ nghèo, cận nghèo, "
                   "danh sách chi trả hằng tháng.",
    description_en="Monthly social allowances (Decree 20/2021), policy families, poor and near-poor households, "
                   "monthly payment lists.",
)

TABLES = (BaseLevel, Beneficiary, PolicyFamily, PovertyAssessment, PaymentList, Payment)  # parents first

STAFF = frozenset({"platform_admin", "district_admin", "ward_chair", "ward_officer"})
EDITORS = frozenset({"platform_admin", "ward_chair", "ward_officer"})
BENEFICIARY_READ, BENEFICIARY_WRITE = "social_welfare.beneficiary:read", "social_welfare.beneficiary:write"
PAYMENT_WRITE = "social_welfare.payment:write"
POLICY_READ, POLICY_WRITE = "social_welfare.policy_family:read", "social_welfare.policy_family:write"
POVERTY_READ, POVERTY_WRITE = "social_welfare.poverty:read", "social_welfare.poverty:write"
BASE_LEVEL_WRITE, IMPORT = "social_welfare.base_level:write", "social_welfare.import:write"
PERMISSIONS = [
    # Who receives which allowance, and how much: personal data, reads audited.
    Permission(BENEFICIARY_READ, "Xem đối tượng trợ cấp và danh sách chi trả",
               "Read allowance beneficiaries and payment lists", grants=STAFF, sensitive=True),
    Permission(BENEFICIARY_WRITE, "Thêm, dừng trợ cấp", "Grant and stop allowances", grants=EDITORS),
    Permission(PAYMENT_WRITE, "Lập danh sách chi trả, ghi nhận chi trả", "Draw up payment lists, record payments",
               grants=EDITORS),
    # Who is of merit, and which households are poor: personal data, reads audited; the person and household
    # pages of residents show these blocks only to holders.
    Permission(POLICY_READ, "Xem người có công, gia đình chính sách", "Read people of merit and policy families",
               grants=STAFF, sensitive=True),
    Permission(POLICY_WRITE, "Ghi nhận gia đình chính sách", "Record policy families", grants=EDITORS),
    Permission(POVERTY_READ, "Xem hộ nghèo, cận nghèo", "Read poor and near-poor households", grants=STAFF,
               sensitive=True),
    Permission(POVERTY_WRITE, "Ghi kết quả rà soát hộ nghèo", "Record poverty assessments", grants=EDITORS),
    Permission(BASE_LEVEL_WRITE, "Thay đổi mức chuẩn trợ giúp xã hội", "Change the base level",
               grants={"platform_admin", "ward_chair"}),
    Permission(IMPORT, "Nhập tệp đối tượng trợ cấp, gia đình chính sách, hộ nghèo",
               "Import files of beneficiaries, policy families and poor households", grants=EDITORS),
]


@hookimpl
def wardhub_permissions() -> list[Permission]:
    return PERMISSIONS


@hookimpl
def wardhub_routes() -> list:
    from plugins.social_welfare.pages import PAGES
    from plugins.social_welfare.routes import ROUTES

    return ROUTES + PAGES


@hookimpl
def wardhub_graphql():
    from plugins.social_welfare.schema import contribution

    return contribution


@hookimpl
async def wardhub_tenant_enabled(tenant: TenantRef, session: AsyncSession) -> None:
    """Seed the national base levels the ward does not have yet (360,000 VND from 7/2021, 500,000 from 1/2025)."""
    await services.seed_base_levels(session, tenant.id)


@hookimpl
async def wardhub_export_tenant_data(tenant: TenantRef, session: AsyncSession) -> dict[str, list[dict[str, Any]]]:
    return await export_rows(session, TABLES)


@hookimpl
async def wardhub_purge_tenant_data(tenant: TenantRef, session: AsyncSession) -> int:
    return await purge_rows(session, reversed(TABLES))


@hookimpl
async def wardhub_demo_data(tenant: TenantRef, session: AsyncSession) -> str | None:
    """Residents aged 80 or more receive the art. 5(5)(c) allowance from January; every tenth household is a
    martyr's family, every seventh near-poor; this month's payment list is drawn up."""
    if await session.scalar(select(func.count()).select_from(Beneficiary)):
        return None
    from plugins.residents.models import Household, Person

    await services.seed_base_levels(session, tenant.id)
    today = services.today()
    elderly = (await session.execute(select(Person.id).where(Person.status == "present",
                                                             Person.birth_year <= today.year - 80))).scalars().all()
    for person_id in elderly:
        await services.add_beneficiary(session, {"person_id": person_id, "category_code": "elderly_80",
                                                 "start_month": f"{today.year}-01"})
    households = (await session.execute(select(Household.id).order_by(Household.code))).scalars().all()
    period = next((p for p, (a, b) in ref.POVERTY_PERIODS.items() if a <= today.year <= b), None)
    for n, household_id in enumerate(households):
        if n % 10 == 0:
            await services.add_policy_family(session, {"household_id": household_id,
                                                       "category_code": "martyr_family"})
        if n % 7 == 0 and period:
            await services.assess_household(session, {"household_id": household_id, "level": "near_poor",
                                                      "period": period, "year": today.year})
    listing = await services.draw_up_payment_list(session, today)
    return f"{len(elderly)} beneficiaries, payment list {today:%m/%Y} of {listing.total:,} VND"


# -- residents' hooks ------------------------------------------------------------------------------------


@hookimpl
async def wardhub_residents_policy_family_counts(tenant: TenantRef, session: AsyncSession) -> list | None:
    counts = await services.policy_family_counts(session)
    return [{"code": code, "title_vi": vi, "title_en": en, "households": counts.get(code, 0)}
            for code, (vi, en) in ref.POLICY_CATEGORIES.items()]


@hookimpl
async def wardhub_residents_persons_sections(tenant: TenantRef, session: AsyncSession, person_ids) -> dict:
    """The batched form: residents asks it for one person's page too (never the one-person hook then)."""
    from plugins.social_welfare.sections import person_sections

    return await person_sections(session, list(person_ids))


@hookimpl
async def wardhub_residents_households_sections(tenant: TenantRef, session: AsyncSession, household_ids) -> dict:
    """A household's policy family categories and poverty assessments, each block for its readers only."""
    from plugins.social_welfare.sections import household_sections

    return await household_sections(session, list(household_ids))


# -- web console -----------------------------------------------------------------------------------------


@hookimpl
def wardhub_templates():
    return Path(__file__).parent / "templates"


@hookimpl
def wardhub_messages():
    from plugins.social_welfare.messages import MESSAGES

    return MESSAGES


@hookimpl
def wardhub_navigation(tenant: TenantRef, lang: str):
    return [
        NavEntry(label=("Bảo trợ xã hội", "Social welfare"), url="", permission=BENEFICIARY_READ, order=45),
        NavEntry(label=("Gia đình chính sách", "Policy families"), url="pages/policy-families",
                 permission=POLICY_READ, order=46),
        NavEntry(label=("Hộ nghèo, cận nghèo", "Poor households"), url="pages/poverty", permission=POVERTY_READ,
                 order=47),
    ]


@hookimpl
async def wardhub_dashboard(tenant: TenantRef, session: AsyncSession, lang: str):
    beneficiaries = await session.scalar(select(func.count(func.distinct(Beneficiary.person_id)))
                                         .where(Beneficiary.end_month.is_(None)))
    counts = await services.policy_family_counts(session)
    return [
        Figure(title=("Đối tượng trợ cấp hằng tháng", "Monthly allowance beneficiaries"), value=beneficiaries or 0,
               unit=("người", "people"), url="", permission=BENEFICIARY_READ),
        Figure(title=("Gia đình chính sách", "Policy families"), value=sum(counts.values()),
               series=[(label, counts.get(code, 0)) for code, label in ref.POLICY_CATEGORIES.items()],
               url="", permission=POLICY_READ),
    ]
