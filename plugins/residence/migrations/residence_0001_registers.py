"""residence: registrations (permanent, temporary, absence), lodging establishments and stays, platform-wide
registries of active permanent residences and of guests' nights

Revision ID: residence_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.util import md5_hex

from core.toolkit import enable_rls

revision = "residence_0001"
down_revision = None
branch_labels = ("residence",)
# core_0001 brings the tenants table; residents_0001 the persons and neighbourhoods our rows point at.
depends_on = ("core_0001", "residents_0001")

TENANT_TABLES = ("residence_registrations", "residence_establishments", "residence_stays")


def short(name: str) -> str:
    """A constraint name as SQLAlchemy's naming convention truncates it on PostgreSQL (63 characters)."""
    return name if len(name) <= 63 else f"{name[:55]}_{md5_hex(name)[-4:]}"


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


def tenant_fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["tenant_id", column], [f"{target}.tenant_id", f"{target}.id"],
                                   name=short(f"fk_{table}_tenant_id_{column}_{target}"), deferrable=True,
                                   initially="IMMEDIATE")


def upgrade() -> None:
    table = "residence_registrations"
    op.create_table(
        table,
        *tenant_columns(table),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("address", sa.String(255), nullable=False),
        sa.Column("neighbourhood_id", sa.Uuid(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("renewed_from_id", sa.Uuid(), nullable=True),
        sa.Column("destination", sa.String(255), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        *timestamps(),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=f"pk_{table}"),
        tenant_fk(table, "person_id", "residents_persons"),
        tenant_fk(table, "neighbourhood_id", "residents_neighbourhoods"),
        tenant_fk(table, "renewed_from_id", table),
        sa.CheckConstraint("kind IN ('permanent', 'temporary', 'absence')", name=f"ck_{table}_kind"),
        sa.CheckConstraint("status IN ('active', 'renewed', 'ended', 'expired', 'cancelled')",
                           name=f"ck_{table}_status"),
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name=f"ck_{table}_dates"),
    )
    op.create_index("ix_residence_registrations_person", table, ["tenant_id", "person_id"])
    op.create_index("ix_residence_registrations_kind_status", table, ["tenant_id", "kind", "status", "end_date"])

    op.create_table(
        "residence_permanent_registry",
        sa.Column("id_number", sa.String(40), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("registration_id", sa.Uuid(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id_number", name="pk_residence_permanent_registry"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="RESTRICT",
                                name="fk_residence_permanent_registry_tenant_id_tenants"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "registration_id"], ["residence_registrations.tenant_id", "residence_registrations.id"],
            onupdate="CASCADE", ondelete="CASCADE",
            name=short("fk_residence_permanent_registry_tenant_id_registration_id_residence_registrations")),
    )
    op.create_index("ix_residence_permanent_registry_registration", "residence_permanent_registry",
                    ["tenant_id", "registration_id"])

    table = "residence_establishments"
    op.create_table(
        table,
        *tenant_columns(table),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(160), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("address", sa.String(255), nullable=False),
        sa.Column("neighbourhood_id", sa.Uuid(), nullable=True),
        sa.Column("rooms", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        *timestamps(),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=f"pk_{table}"),
        sa.UniqueConstraint("tenant_id", "code", name=f"uq_{table}_tenant_id_code"),
        tenant_fk(table, "neighbourhood_id", "residents_neighbourhoods"),
        sa.CheckConstraint("kind IN ('hotel', 'guesthouse', 'boarding_house', 'homestay')", name=f"ck_{table}_kind"),
        sa.CheckConstraint("status IN ('active', 'closed')", name=f"ck_{table}_status"),
    )

    table = "residence_stays"
    op.create_table(
        table,
        *tenant_columns(table),
        sa.Column("establishment_id", sa.Uuid(), nullable=False),
        sa.Column("guest_name", sa.String(120), nullable=False),
        sa.Column("guest_document", sa.String(20), nullable=False),
        sa.Column("guest_nationality", sa.String(2), nullable=False),
        sa.Column("guest_birth_year", sa.SmallInteger(), nullable=True),
        sa.Column("room", sa.String(20), nullable=False),
        sa.Column("arrival", sa.DateTime(timezone=True), nullable=False),
        sa.Column("planned_departure", sa.DateTime(timezone=True), nullable=False),
        sa.Column("departed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("declared_by", sa.String(80), nullable=True),
        *timestamps(),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=f"pk_{table}"),
        tenant_fk(table, "establishment_id", "residence_establishments"),
        sa.CheckConstraint("planned_departure > arrival", name=f"ck_{table}_dates"),
    )
    op.create_index("ix_residence_stays_establishment", table, ["tenant_id", "establishment_id", "arrival"])
    op.create_index("ix_residence_stays_arrival", table, ["tenant_id", "arrival"])
    op.create_index("ix_residence_stays_departure", table, ["tenant_id", "departed_at", "planned_departure"])

    op.create_table(
        "residence_guest_nights",
        sa.Column("guest_key", sa.String(24), nullable=False),
        sa.Column("night", sa.Date(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("stay_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("guest_key", "night", name="pk_residence_guest_nights"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="RESTRICT",
                                name="fk_residence_guest_nights_tenant_id_tenants"),
        sa.ForeignKeyConstraint(["tenant_id", "stay_id"], ["residence_stays.tenant_id", "residence_stays.id"],
                                onupdate="CASCADE", ondelete="CASCADE",
                                name=short("fk_residence_guest_nights_tenant_id_stay_id_residence_stays")),
    )
    op.create_index("ix_residence_guest_nights_stay", "residence_guest_nights", ["tenant_id", "stay_id"])

    for name in TENANT_TABLES:
        enable_rls(op, name)


def downgrade() -> None:
    for name in ("residence_guest_nights", "residence_stays", "residence_establishments",
                 "residence_permanent_registry", "residence_registrations"):
        op.drop_table(name)
