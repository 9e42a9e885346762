"""GraphQL of ``social_welfare``: ``socialWelfare { categories baseLevels baseLevelOn beneficiaries paymentLists
paymentList policyFamilies policyFamilyCounts poverty }`` and ``socialWelfare…`` mutations, thin over
:mod:`.services`.

The lists that grow with the ward (``beneficiaries``, ``paymentLists``, ``policyFamilies``, ``poverty``) are
Relay connections (``first`` ≤ 500, ``after``, ``totalCount``), paged by id. Names come with the rows (one
joined query a page), never one query per row. Beneficiaries, payments, policy families and poverty
assessments are personal data: each field reading them records one audit entry for the rows it returns (the
gateway keeps a query's audit entries).
"""

from __future__ import annotations

import uuid
from datetime import date

import strawberry
from sqlalchemy import select
from strawberry.permission import PermissionExtension

from core.toolkit import Connection, GraphQLContribution, Requires, audit, paginate, paginate_rows
from plugins.social_welfare import models, services
from plugins.social_welfare import reference as ref
from plugins.social_welfare.plugin import (
    BASE_LEVEL_WRITE,
    BENEFICIARY_READ,
    BENEFICIARY_WRITE,
    PAYMENT_WRITE,
    POLICY_READ,
    POLICY_WRITE,
    POVERTY_READ,
    POVERTY_WRITE,
)


def needs(permission: str) -> list:
    return [PermissionExtension([Requires(permission)])]


async def _audited(info: strawberry.Info, entity: str, ids: list[uuid.UUID]) -> None:
    if ids:
        await audit(info.context.session, tenant_id=info.context.tenant.tenant.id, action="read", entity=entity,
                    entity_id=str(ids[0]) if len(ids) == 1 else "*", after={"ids": [str(i) for i in ids]})


@strawberry.type
class Category:
    code: str
    article: str
    coefficient: str
    title_vi: str
    title_en: str


@strawberry.type
class BaseLevel:
    effective_from: date
    amount: int
    source: str | None


@strawberry.type
class Beneficiary:
    id: uuid.UUID
    person_id: uuid.UUID
    full_name: str | None
    category_code: str
    start_month: str
    end_month: str | None


@strawberry.type
class Payment:
    id: uuid.UUID
    person_id: uuid.UUID
    full_name: str
    category_code: str
    coefficient: str
    amount: int
    paid_on: date | None


@strawberry.type
class PaymentList:
    id: uuid.UUID
    month: str
    base_level: int
    total: int
    payments: list[Payment]


@strawberry.type(name="SocialWelfarePolicyFamily")
class PolicyFamily:
    id: uuid.UUID
    household_id: uuid.UUID
    household_code: str
    category_code: str
    person_id: uuid.UUID | None
    recognised_on: date | None


@strawberry.type(name="SocialWelfarePovertyAssessment")
class PovertyAssessment:
    id: uuid.UUID
    household_id: uuid.UUID
    household_code: str
    level: str
    period: str
    year: int
    assessed_on: date


@strawberry.type(name="SocialWelfarePaymentListSummary")
class PaymentListSummary:
    id: uuid.UUID
    month: str
    base_level: int
    total: int


def policy_family(f, h) -> PolicyFamily:
    return PolicyFamily(id=f.id, household_id=h.id, household_code=h.code, category_code=f.category_code,
                        person_id=f.person_id, recognised_on=f.recognised_on)


def poverty_assessment(a, h) -> PovertyAssessment:
    return PovertyAssessment(id=a.id, household_id=h.id, household_code=h.code, level=a.level, period=a.period,
                             year=a.year, assessed_on=a.assessed_on)


@strawberry.type
class PolicyFamilyCount:
    code: str
    title_vi: str
    title_en: str
    households: int


def beneficiary(b, p) -> Beneficiary:
    return Beneficiary(id=b.id, person_id=b.person_id, full_name=p.full_name if p else None,
                       category_code=b.category_code, start_month=f"{b.start_month:%Y-%m}",
                       end_month=f"{b.end_month:%Y-%m}" if b.end_month else None)


def payment_list_summary(x) -> PaymentListSummary:
    return PaymentListSummary(id=x.id, month=f"{x.month:%Y-%m}", base_level=x.base_level, total=x.total)


def _ids(page: Connection) -> list[uuid.UUID]:
    """The ids of a page's rows: each field records one audit entry for the rows it shows."""
    return [edge.node.id for edge in page.edges]


def payment_list(listing, rows) -> PaymentList:
    return PaymentList(id=listing.id, month=f"{listing.month:%Y-%m}", base_level=listing.base_level,
                       total=listing.total,
                       payments=[Payment(id=p.id, person_id=p.person_id, full_name=q.full_name,
                                         category_code=p.category_code, coefficient=str(p.coefficient),
                                         amount=p.amount, paid_on=p.paid_on) for p, q in rows])


@strawberry.type
class SocialWelfareQuery:
    @strawberry.field(extensions=needs(BENEFICIARY_READ))
    def categories(self) -> list[Category]:
        return [Category(code=c.code, article=c.article, coefficient=str(c.coefficient), title_vi=c.title_vi,
                         title_en=c.title_en) for c in ref.CATEGORIES]

    @strawberry.field(extensions=needs(BENEFICIARY_READ))
    async def base_levels(self, info: strawberry.Info) -> list[BaseLevel]:
        return [BaseLevel(effective_from=b.effective_from, amount=b.amount, source=b.source)
                for b in await services.base_levels(info.context.session)]

    @strawberry.field(extensions=needs(BENEFICIARY_READ))
    async def base_level_on(self, info: strawberry.Info, month: str) -> int:
        return await services.base_level_on(info.context.session, services.parse_month(month))

    @strawberry.field(extensions=needs(BENEFICIARY_READ))
    async def beneficiaries(self, info: strawberry.Info, category: str | None = None, first: int | None = None,
                            after: str | None = None) -> Connection[Beneficiary]:
        """Paged by the beneficiary's id (the REST list and the page are by name)."""
        query = services.beneficiaries_query(category)
        page = await paginate_rows(info.context.session, query, models.Beneficiary.id, first=first, after=after,
                                   to_node=beneficiary)
        await _audited(info, "social_welfare_beneficiaries", _ids(page))
        return page

    @strawberry.field(extensions=needs(BENEFICIARY_READ))
    async def payment_lists(self, info: strawberry.Info, first: int | None = None,
                            after: str | None = None) -> Connection[PaymentListSummary]:
        """Paged by the list's id, that is in the order they were drawn up (the REST list is newest month first)."""
        return await paginate(info.context.session, select(models.PaymentList), models.PaymentList.id,
                              first=first, after=after, to_node=payment_list_summary)

    @strawberry.field(extensions=needs(BENEFICIARY_READ))
    async def payment_list(self, info: strawberry.Info, month: str) -> PaymentList:
        listing, rows = await services.get_payment_list(info.context.session, month)
        await _audited(info, "social_welfare_payments", [p.id for p, _ in rows])
        return payment_list(listing, rows)

    @strawberry.field(extensions=needs(POLICY_READ))
    async def policy_families(self, info: strawberry.Info, first: int | None = None,
                              after: str | None = None) -> Connection[PolicyFamily]:
        """Paged by the policy family's id (the REST list and the page are by household code)."""
        query = services.policy_families_query()
        page = await paginate_rows(info.context.session, query, models.PolicyFamily.id, first=first, after=after,
                                   to_node=policy_family)
        await _audited(info, "social_welfare_policy_families", _ids(page))
        return page

    @strawberry.field(extensions=needs(POVERTY_READ))
    async def poverty(self, info: strawberry.Info, year: int, first: int | None = None,
                      after: str | None = None) -> Connection[PovertyAssessment]:
        """Paged by the assessment's id (the REST list and the page are by household code)."""
        query = services.poverty_query(year)
        page = await paginate_rows(info.context.session, query, models.PovertyAssessment.id, first=first,
                                   after=after, to_node=poverty_assessment)
        await _audited(info, "social_welfare_poverty", _ids(page))
        return page

    @strawberry.field(extensions=needs(POLICY_READ))
    async def policy_family_counts(self, info: strawberry.Info) -> list[PolicyFamilyCount]:
        counts = await services.policy_family_counts(info.context.session)
        return [PolicyFamilyCount(code=c, title_vi=vi, title_en=en, households=counts.get(c, 0))
                for c, (vi, en) in ref.POLICY_CATEGORIES.items()]


@strawberry.input
class AddBeneficiaryInput:
    person_id: uuid.UUID
    category_code: str
    start_month: str | None = None
    decision: str | None = None


@strawberry.type
class AddBeneficiaryPayload:
    beneficiary: Beneficiary


@strawberry.mutation(extensions=needs(BENEFICIARY_WRITE))
async def social_welfare_add_beneficiary(info: strawberry.Info, input: AddBeneficiaryInput) -> AddBeneficiaryPayload:
    row = await services.add_beneficiary(info.context.session, vars(input))
    return AddBeneficiaryPayload(beneficiary=beneficiary(row, None))


@strawberry.input
class AddBaseLevelInput:
    effective_from: date
    amount: int
    source: str | None = None


@strawberry.type
class AddBaseLevelPayload:
    base_level: BaseLevel


@strawberry.mutation(extensions=needs(BASE_LEVEL_WRITE))
async def social_welfare_add_base_level(info: strawberry.Info, input: AddBaseLevelInput) -> AddBaseLevelPayload:
    row = await services.add_base_level(info.context.session, vars(input))
    return AddBaseLevelPayload(base_level=BaseLevel(effective_from=row.effective_from, amount=row.amount,
                                                    source=row.source))


@strawberry.input
class DrawUpPaymentListInput:
    month: str


@strawberry.type
class DrawUpPaymentListPayload:
    payment_list: PaymentList


@strawberry.mutation(extensions=needs(PAYMENT_WRITE))
async def social_welfare_draw_up_payment_list(info: strawberry.Info,
                                              input: DrawUpPaymentListInput) -> DrawUpPaymentListPayload:
    listing = await services.draw_up_payment_list(info.context.session, input.month)
    return DrawUpPaymentListPayload(payment_list=payment_list(*await services.get_payment_list(
        info.context.session, listing.month)))


@strawberry.input
class StopBeneficiaryInput:
    id: uuid.UUID
    end_month: str


@strawberry.mutation(extensions=needs(BENEFICIARY_WRITE))
async def social_welfare_stop_beneficiary(info: strawberry.Info, input: StopBeneficiaryInput) -> AddBeneficiaryPayload:
    row = await services.stop_beneficiary(info.context.session, input.id, {"end_month": input.end_month})
    return AddBeneficiaryPayload(beneficiary=beneficiary(row, None))


@strawberry.input
class AddPolicyFamilyInput:
    household_id: uuid.UUID
    category_code: str
    person_id: uuid.UUID | None = None
    recognised_on: date | None = None
    note: str | None = None


@strawberry.type
class AddPolicyFamilyPayload:
    policy_family: PolicyFamily


@strawberry.mutation(extensions=needs(POLICY_WRITE))
async def social_welfare_add_policy_family(info: strawberry.Info,
                                           input: AddPolicyFamilyInput) -> AddPolicyFamilyPayload:
    from plugins.residents import services as residents

    session = info.context.session
    row = await services.add_policy_family(session, vars(input))
    return AddPolicyFamilyPayload(policy_family=policy_family(row, await residents.get_household(
        session, row.household_id)))


@strawberry.input
class AssessHouseholdInput:
    household_id: uuid.UUID
    level: str
    period: str
    year: int
    assessed_on: date | None = None


@strawberry.type
class AssessHouseholdPayload:
    assessment: PovertyAssessment


@strawberry.mutation(extensions=needs(POVERTY_WRITE))
async def social_welfare_assess_household(info: strawberry.Info,
                                          input: AssessHouseholdInput) -> AssessHouseholdPayload:
    from plugins.residents import services as residents

    session = info.context.session
    row = await services.assess_household(session, vars(input))
    return AssessHouseholdPayload(assessment=poverty_assessment(row, await residents.get_household(
        session, row.household_id)))


@strawberry.input
class RecordPaymentInput:
    id: uuid.UUID
    paid_on: date | None = None
    paid_to: str | None = None


@strawberry.type
class RecordPaymentPayload:
    id: uuid.UUID
    paid_on: date
    paid_to: str | None


@strawberry.mutation(extensions=needs(PAYMENT_WRITE))
async def social_welfare_record_payment(info: strawberry.Info, input: RecordPaymentInput) -> RecordPaymentPayload:
    payment = await services.record_payment(info.context.session, input.id,
                                            {"paid_on": input.paid_on, "paid_to": input.paid_to})
    return RecordPaymentPayload(id=payment.id, paid_on=payment.paid_on, paid_to=payment.paid_to)


contribution = GraphQLContribution(
    query=SocialWelfareQuery,
    mutations=[social_welfare_add_beneficiary, social_welfare_add_base_level, social_welfare_draw_up_payment_list,
               social_welfare_stop_beneficiary, social_welfare_add_policy_family, social_welfare_assess_household,
               social_welfare_record_payment],
)
