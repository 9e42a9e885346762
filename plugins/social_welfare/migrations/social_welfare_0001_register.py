"""social_welfare: base levels, beneficiaries, policy families, poverty assessments, monthly payment lists

Revision ID: social_welfare_0001
"""

import sqlalchemy as sa
from alembic import op

from core.toolkit import enable_rls

revision = "social_welfare_0001"
down_revision = None
branch_labels = ("social_welfare",)
depends_on = ("core_0001", "residents_0001")  # not core's head: see residents_0001

TABLES = ("social_welfare_base_levels", "social_welfare_beneficiaries", "social_welfare_policy_families",
          "social_welfare_poverty", "social_welfare_payment_lists", "social_welfare_payments")


def tenant_columns(table: str) -> list:
    return [
        sa.Column("tenant_id", sa.Uuid(), sa.ForeignKey("tenants.id", ondelete="RESTRICT",
                                                        name=f"fk_{table}_tenant_id_tenants"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
    ]


def closing(table: str) -> list:
    return [sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("tenant_id", "id", name=f"pk_{table}")]


def tfk(column: str, target: str, name: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["tenant_id", column], [f"{target}.tenant_id", f"{target}.id"], name=name,
                                   ondelete="CASCADE", deferrable=True, initially="IMMEDIATE")


def upgrade() -> None:
    t = "social_welfare_base_levels"
    op.create_table(
        t, *tenant_columns(t),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(200), nullable=True),
        *closing(t),
        sa.UniqueConstraint("tenant_id", "effective_from",
                            name="uq_social_welfare_base_levels_tenant_id_effective_from"),
        sa.CheckConstraint("amount > 0", name="ck_social_welfare_base_levels_amount"),
    )
    t = "social_welfare_beneficiaries"
    op.create_table(
        t, *tenant_columns(t),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("category_code", sa.String(48), nullable=False),
        sa.Column("start_month", sa.Date(), nullable=False),
        sa.Column("end_month", sa.Date(), nullable=True),
        sa.Column("decision", sa.String(100), nullable=True),
        *closing(t),
        tfk("person_id", "residents_persons", "fk_social_welfare_beneficiaries_tenant_id_person_id_res_b967"),
        sa.UniqueConstraint("tenant_id", "person_id", "category_code",
                            name="uq_social_welfare_beneficiaries_person"),
    )
    op.create_index("ix_social_welfare_beneficiaries_category", t, ["tenant_id", "category_code"])
    t = "social_welfare_policy_families"
    op.create_table(
        t, *tenant_columns(t),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("category_code", sa.String(32), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("recognised_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        *closing(t),
        tfk("household_id", "residents_households", "fk_social_welfare_policy_families_tenant_id_household_i_202a"),
        tfk("person_id", "residents_persons", "fk_social_welfare_policy_families_tenant_id_person_id_r_d69d"),
        sa.UniqueConstraint("tenant_id", "household_id", "category_code",
                            name="uq_social_welfare_policy_families_household"),
    )
    t = "social_welfare_poverty"
    op.create_table(
        t, *tenant_columns(t),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("period", sa.String(9), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        *closing(t),
        tfk("household_id", "residents_households", "fk_social_welfare_poverty_tenant_id_household_id_reside_3059"),
        sa.UniqueConstraint("tenant_id", "household_id", "year",
                            name="uq_social_welfare_poverty_tenant_id_household_id_year"),
        sa.CheckConstraint("level IN ('poor', 'near_poor')", name="ck_social_welfare_poverty_level"),
    )
    t = "social_welfare_payment_lists"
    op.create_table(
        t, *tenant_columns(t),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("base_level", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        *closing(t),
        sa.UniqueConstraint("tenant_id", "month", name="uq_social_welfare_payment_lists_tenant_id_month"),
    )
    t = "social_welfare_payments"
    op.create_table(
        t, *tenant_columns(t),
        sa.Column("list_id", sa.Uuid(), nullable=False),
        sa.Column("beneficiary_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("category_code", sa.String(48), nullable=False),
        sa.Column("coefficient", sa.Numeric(4, 2), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("paid_to", sa.String(120), nullable=True),
        *closing(t),
        tfk("list_id", "social_welfare_payment_lists", "fk_social_welfare_payments_tenant_id_list_id_social_wel_bbdb"),
        tfk("beneficiary_id", "social_welfare_beneficiaries",
            "fk_social_welfare_payments_tenant_id_beneficiary_id_soc_2ccd"),
        sa.UniqueConstraint("tenant_id", "list_id", "beneficiary_id",
                            name="uq_social_welfare_payments_tenant_id_list_id_beneficiary_id"),
    )
    for table in TABLES:
        enable_rls(op, table)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
