"""kindergartens: facilities with licences, enrolments, staff, inspections

Revision ID: kindergartens_0001
"""

import sqlalchemy as sa
from alembic import op

from core.toolkit import enable_rls

revision = "kindergartens_0001"
down_revision = None
branch_labels = ("kindergartens",)
depends_on = ("core_0001",)  # not core's head (see residents_0001)
OPEN_WHERE = "left_on IS NULL"


def tenant_columns(table: str) -> list[sa.Column]:
    return [
        sa.Column("tenant_id", sa.Uuid(), sa.ForeignKey("tenants.id", ondelete="RESTRICT",
                                                        name=f"fk_{table}_tenant_id_tenants"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
    ]


def timestamps() -> list[sa.Column]:
    return [sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False)]


def facility_fk(name: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["tenant_id", "facility_id"], ["kindergartens_facilities.tenant_id",
                                                                  "kindergartens_facilities.id"],
                                   name=name, deferrable=True, initially="IMMEDIATE")


def upgrade() -> None:
    op.create_table(
        "kindergartens_facilities",
        *tenant_columns("kindergartens_facilities"),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("owner_name", sa.String(120), nullable=False),
        sa.Column("owner_person_id", sa.Uuid(), nullable=True),
        sa.Column("address", sa.String(255), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("licence_number", sa.String(40), nullable=False),
        sa.Column("licence_issued", sa.Date(), nullable=False),
        sa.Column("licence_expires", sa.Date(), nullable=True),
        sa.Column("licence_status", sa.String(12), nullable=False),
        *timestamps(),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_kindergartens_facilities"),
        sa.UniqueConstraint("tenant_id", "licence_number", name="uq_kindergartens_facilities_tenant_id_licence_number"),
        sa.CheckConstraint("capacity > 0", name="ck_kindergartens_facilities_capacity_positive"),
    )
    op.create_table(
        "kindergartens_enrolments",
        *tenant_columns("kindergartens_enrolments"),
        sa.Column("facility_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("child_name", sa.String(120), nullable=False),
        sa.Column("enrolled_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        *timestamps(),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_kindergartens_enrolments"),
        facility_fk("fk_kindergartens_enrolments_tenant_id_facility_id_kinde_f795"),
    )
    op.create_index("ix_kindergartens_enrolments_facility", "kindergartens_enrolments", ["tenant_id", "facility_id"])
    op.create_index("uq_kindergartens_enrolments_open_child", "kindergartens_enrolments", ["tenant_id", "person_id"],
                    unique=True, sqlite_where=sa.text(OPEN_WHERE), postgresql_where=sa.text(OPEN_WHERE))
    op.create_table(
        "kindergartens_staff",
        *tenant_columns("kindergartens_staff"),
        sa.Column("facility_id", sa.Uuid(), nullable=False),
        sa.Column("full_name", sa.String(120), nullable=False),
        sa.Column("role", sa.String(12), nullable=False),
        sa.Column("qualification", sa.String(16), nullable=False),
        sa.Column("qualification_note", sa.String(255), nullable=True),
        *timestamps(),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_kindergartens_staff"),
        facility_fk("fk_kindergartens_staff_tenant_id_facility_id_kindergart_0fa2"),
    )
    op.create_table(
        "kindergartens_inspections",
        *tenant_columns("kindergartens_inspections"),
        sa.Column("facility_id", sa.Uuid(), nullable=False),
        sa.Column("inspected_on", sa.Date(), nullable=False),
        sa.Column("result", sa.String(8), nullable=False),
        sa.Column("findings", sa.Text(), nullable=True),
        sa.Column("follow_up_due", sa.Date(), nullable=True),
        sa.Column("follow_up_done_on", sa.Date(), nullable=True),
        sa.Column("follow_up_note", sa.Text(), nullable=True),
        *timestamps(),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_kindergartens_inspections"),
        facility_fk("fk_kindergartens_inspections_tenant_id_facility_id_kind_969b"),
    )
    for table in ("kindergartens_facilities", "kindergartens_enrolments", "kindergartens_staff",
                  "kindergartens_inspections"):
        enable_rls(op, table)


def downgrade() -> None:
    for table in ("kindergartens_inspections", "kindergartens_staff", "kindergartens_enrolments",
                  "kindergartens_facilities"):
        op.drop_table(table)
