"""Tables of social welfare (tenant-owned, row-level security on PostgreSQL).

* ``social_welfare_base_levels``: the base level (mức chuẩn trợ giúp xã hội) by effective date, versioned.
* ``social_welfare_beneficiaries``: a person receiving a monthly allowance of a category, from a month.
* ``social_welfare_policy_families``: a household of a policy category (and the person of merit, if known).
* ``social_welfare_poverty``: a household assessed poor or near-poor for a year of a standard period.
* ``social_welfare_payment_lists`` and ``social_welfare_payments``: one list per month (unique), one payment
  per beneficiary, its amount frozen when the list is drawn up (coefficient × base level in force that month),
  and when it was paid.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, Date, Index, Numeric, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import conv

from core.toolkit import Base, TenantOwned, Timestamped, tenant_fk


class BaseLevel(TenantOwned, Timestamped, Base):
    __tablename__ = "social_welfare_base_levels"
    __table_args__ = (UniqueConstraint("tenant_id", "effective_from"),
                      CheckConstraint("amount > 0", name="amount"))

    effective_from: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str | None] = mapped_column(String(200))


class Beneficiary(TenantOwned, Timestamped, Base):
    __tablename__ = "social_welfare_beneficiaries"
    __table_args__ = (
        tenant_fk("person_id", "residents_persons", ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "person_id", "category_code",
                         name=conv("uq_social_welfare_beneficiaries_person")),
        Index("ix_social_welfare_beneficiaries_category", "tenant_id", "category_code"),
    )

    person_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    category_code: Mapped[str] = mapped_column(String(48))
    start_month: Mapped[date] = mapped_column(Date)  # first day of the first month paid
    end_month: Mapped[date | None] = mapped_column(Date)  # first day of the last month paid
    decision: Mapped[str | None] = mapped_column(String(100))


class PolicyFamily(TenantOwned, Timestamped, Base):
    __tablename__ = "social_welfare_policy_families"
    __table_args__ = (
        tenant_fk("household_id", "residents_households", ondelete="CASCADE"),
        tenant_fk("person_id", "residents_persons", ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "household_id", "category_code",
                         name=conv("uq_social_welfare_policy_families_household")),
    )

    household_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    category_code: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # the person of merit, when on the register
    recognised_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)


class PovertyAssessment(TenantOwned, Timestamped, Base):
    __tablename__ = "social_welfare_poverty"
    __table_args__ = (
        tenant_fk("household_id", "residents_households", ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "household_id", "year"),
        CheckConstraint("level IN ('poor', 'near_poor')", name="level"),
    )

    household_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    level: Mapped[str] = mapped_column(String(10))
    period: Mapped[str] = mapped_column(String(9))  # "2022-2025"
    year: Mapped[int] = mapped_column()
    assessed_on: Mapped[date] = mapped_column(Date)


class PaymentList(TenantOwned, Timestamped, Base):
    __tablename__ = "social_welfare_payment_lists"
    __table_args__ = (UniqueConstraint("tenant_id", "month"),)

    month: Mapped[date] = mapped_column(Date)  # first day
    base_level: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger)


class Payment(TenantOwned, Timestamped, Base):
    __tablename__ = "social_welfare_payments"
    __table_args__ = (
        tenant_fk("list_id", "social_welfare_payment_lists", ondelete="CASCADE"),
        tenant_fk("beneficiary_id", "social_welfare_beneficiaries", ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "list_id", "beneficiary_id"),
    )

    list_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    beneficiary_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    category_code: Mapped[str] = mapped_column(String(48))
    coefficient: Mapped[Decimal] = mapped_column(Numeric(4, 2))
    amount: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[date | None] = mapped_column(Date)
    paid_to: Mapped[str | None] = mapped_column(String(120))
