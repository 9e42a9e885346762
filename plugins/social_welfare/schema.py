"""GraphQL of ``social_welfare``: ``socialWelfare { categories baseLevels baseLevelOn beneficiaries
policyFamilyCounts paymentList }`` and ``socialWelfare…`` mutations, thin over :mod:`.services`.

Names come with the rows (one joined query), never one query per row.
"""

from __future__ import annotations

import uuid
from datetime import date

import strawberry
from strawberry.permission import PermissionExtension

from core.graphql.contribution import GraphQLContribution
from core.toolkit import Requires
from plugins.social_welfare import reference as ref
from plugins.social_welfare import services
from plugins.social_welfare.plugin import (
    BASE_LEVEL_WRITE,
    BENEFICIARY_READ,
    BENEFICIARY_WRITE,
    PAYMENT_WRITE,
    POLICY_READ,
)


def needs(permission: str) -> list:
    return [PermissionExtension([Requires(permission)])]


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
    async def beneficiaries(self, info: strawberry.Info, category: str | None = None) -> list[Beneficiary]:
        return [beneficiary(b, p) for b, p in await services.list_beneficiaries(info.context.session, category)]

    @strawberry.field(extensions=needs(BENEFICIARY_READ))
    async def payment_list(self, info: strawberry.Info, month: str) -> PaymentList:
        return payment_list(*await services.get_payment_list(info.context.session, month))

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


contribution = GraphQLContribution(
    query=SocialWelfareQuery,
    mutations=[social_welfare_add_beneficiary, social_welfare_add_base_level, social_welfare_draw_up_payment_list],
)
