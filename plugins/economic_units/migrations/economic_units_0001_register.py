"""economic_units: enterprises and household businesses, their status history

Revision ID: economic_units_0001
"""

import sqlalchemy as sa
from alembic import op

from core.toolkit import enable_rls

revision = "economic_units_0001"
down_revision = None
branch_labels = ("economic_units",)
# core_0001 brings the tenants table and wardhub_tenant_ids(); not core's head (see residents_0001).
depends_on = ("core_0001",)


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


def upgrade() -> None:
    op.create_table(
        "economic_units_units",
        *tenant_columns("economic_units_units"),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("tax_code", sa.String(14), nullable=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("owner_name", sa.String(120), nullable=True),
        sa.Column("owner_person_id", sa.Uuid(), nullable=True),
        sa.Column("address", sa.String(255), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("section", sa.String(1), nullable=False),
        sa.Column("vsic_code", sa.String(5), nullable=True),
        sa.Column("labour", sa.Integer(), nullable=False),
        sa.Column("revenue", sa.Float(), nullable=True),
        sa.Column("capital", sa.Float(), nullable=True),
        sa.Column("size_class", sa.String(8), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("status_date", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        *timestamps(),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_economic_units_units"),
        sa.UniqueConstraint("tenant_id", "tax_code", name="uq_economic_units_units_tenant_id_tax_code"),
        sa.CheckConstraint("labour >= 0", name="ck_economic_units_units_labour_not_negative"),
    )
    op.create_index("ix_economic_units_units_filters", "economic_units_units", ["tenant_id", "section", "status"])
    op.create_table(
        "economic_units_status_changes",
        *tenant_columns("economic_units_status_changes"),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", sa.String(12), nullable=True),
        sa.Column("to_status", sa.String(12), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        *timestamps(),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_economic_units_status_changes"),
        sa.ForeignKeyConstraint(["tenant_id", "unit_id"], ["economic_units_units.tenant_id", "economic_units_units.id"],
                                name="fk_economic_units_status_changes_tenant_id_unit_id_econ_1676",
                                ondelete="CASCADE", deferrable=True, initially="IMMEDIATE"),
    )
    op.create_index("ix_economic_units_status_changes_unit", "economic_units_status_changes", ["tenant_id", "unit_id"])
    for table in ("economic_units_units", "economic_units_status_changes"):
        enable_rls(op, table)


def downgrade() -> None:
    for table in ("economic_units_status_changes", "economic_units_units"):
        op.drop_table(table)
