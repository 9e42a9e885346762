"""military_service: the register of citizens and the yearly call-up roster

Revision ID: military_service_0001
"""

import sqlalchemy as sa
from alembic import op

from core.toolkit import enable_rls

revision = "military_service_0001"
down_revision = None
branch_labels = ("military_service",)
# The tenants table comes with core_0001 and the persons with residents_0001 (not core's head: see
# plugins/residents/migrations/residents_0001_register.py).
depends_on = ("core_0001", "residents_0001")


def tenant_columns(table: str) -> list[sa.Column]:
    return [
        sa.Column("tenant_id", sa.Uuid(), sa.ForeignKey("tenants.id", ondelete="RESTRICT",
                                                        name=f"fk_{table}_tenant_id_tenants"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
    ]


def timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


# the names SQLAlchemy's naming convention gives, shortened to PostgreSQL's 63 characters
FK_NAMES = {
    "military_service_records": "fk_military_service_records_tenant_id_person_id_residen_81b1",
    "military_service_callups": "fk_military_service_callups_tenant_id_person_id_residen_082f",
}


def person_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["tenant_id", "person_id"], ["residents_persons.tenant_id", "residents_persons.id"],
                                   name=FK_NAMES[table], ondelete="CASCADE",
                                   deferrable=True, initially="IMMEDIATE")


def upgrade() -> None:
    op.create_table(
        "military_service_records",
        *tenant_columns("military_service_records"),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("health_class", sa.SmallInteger(), nullable=True),
        sa.Column("health_checked_on", sa.Date(), nullable=True),
        sa.Column("ground_code", sa.String(24), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("deferred_until_year", sa.SmallInteger(), nullable=True),
        sa.Column("study_deferred", sa.Boolean(), nullable=False),
        sa.Column("enlisted_on", sa.Date(), nullable=True),
        sa.Column("discharged_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        *timestamps(),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_military_service_records"),
        sa.UniqueConstraint("tenant_id", "person_id", name="uq_military_service_records_tenant_id_person_id"),
        person_fk("military_service_records"),
        sa.CheckConstraint("status IN ('registered', 'deferred', 'exempt', 'enlisted', 'reserve')",
                           name="ck_military_service_records_status"),
        sa.CheckConstraint("health_class IS NULL OR health_class BETWEEN 1 AND 6",
                           name="ck_military_service_records_health_class"),
    )
    op.create_index("ix_military_service_records_status", "military_service_records", ["tenant_id", "status"])

    op.create_table(
        "military_service_callups",
        *tenant_columns("military_service_callups"),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("status_date", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        *timestamps(),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_military_service_callups"),
        sa.UniqueConstraint("tenant_id", "year", "person_id",
                            name="uq_military_service_callups_tenant_id_year_person_id"),
        person_fk("military_service_callups"),
        sa.CheckConstraint("status IN ('listed', 'summoned', 'enlisted', 'deferred', 'exempt', 'unfit')",
                           name="ck_military_service_callups_status"),
    )
    op.create_index("ix_military_service_callups_year", "military_service_callups", ["tenant_id", "year", "status"])

    for table in ("military_service_records", "military_service_callups"):
        enable_rls(op, table)


def downgrade() -> None:
    op.drop_table("military_service_callups")
    op.drop_table("military_service_records")
