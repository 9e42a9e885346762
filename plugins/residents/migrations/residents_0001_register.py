"""residents: neighbourhoods, households, persons, moves between wards, platform-wide ID registry

Revision ID: residents_0001
"""

import sqlalchemy as sa
from alembic import op

from core.toolkit import enable_rls

revision = "residents_0001"
down_revision = None
branch_labels = ("residents",)
# The tenants table and wardhub_tenant_ids() come with core_0001. Depending on core's head (core_0002)
# would make alembic record residents_0001 in place of core_0002, and /ready compares the recorded
# versions with the heads as sets: it would report migrations pending for ever.
depends_on = ("core_0001",)


def folded(length: int) -> sa.String:
    """Byte-ordered text for prefix-range search (see plugins/residents/normalize.py)."""
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


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


def tenant_fk(column: str, target: str, name: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["tenant_id", column], [f"{target}.tenant_id", f"{target}.id"], name=name,
                                   deferrable=True, initially="IMMEDIATE")


HEAD_WHERE = "relation = 'head' AND status = 'present'"
PENDING_OUT_WHERE = "status = 'pending' AND direction = 'out'"


def upgrade() -> None:
    op.create_table(
        "residents_neighbourhoods",
        *tenant_columns("residents_neighbourhoods"),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("search_name", folded(120), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        *timestamps(),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_residents_neighbourhoods"),
        sa.UniqueConstraint("tenant_id", "code", name="uq_residents_neighbourhoods_tenant_id_code"),
        tenant_fk("parent_id", "residents_neighbourhoods",
                  "fk_residents_neighbourhoods_tenant_id_parent_id_residen_e232"),
    )
    op.create_index("ix_residents_neighbourhoods_search", "residents_neighbourhoods", ["tenant_id", "search_name"])

    op.create_table(
        "residents_households",
        *tenant_columns("residents_households"),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("search_code", folded(32), nullable=False),
        sa.Column("address", sa.String(255), nullable=False),
        sa.Column("neighbourhood_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        *timestamps(),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_residents_households"),
        sa.UniqueConstraint("tenant_id", "code", name="uq_residents_households_tenant_id_code"),
        tenant_fk("neighbourhood_id", "residents_neighbourhoods",
                  "fk_residents_households_tenant_id_neighbourhood_id_resi_c237"),
    )
    op.create_index("ix_residents_households_search", "residents_households", ["tenant_id", "search_code"])
    op.create_index("ix_residents_households_neighbourhood", "residents_households",
                    ["tenant_id", "neighbourhood_id"])

    op.create_table(
        "residents_persons",
        *tenant_columns("residents_persons"),
        sa.Column("full_name", sa.String(120), nullable=False),
        sa.Column("search_name", folded(120), nullable=False),
        sa.Column("search_given", folded(40), nullable=False),
        sa.Column("birth_year", sa.SmallInteger(), nullable=False),
        sa.Column("birth_month", sa.SmallInteger(), nullable=True),
        sa.Column("birth_day", sa.SmallInteger(), nullable=True),
        sa.Column("sex", sa.String(6), nullable=False),
        sa.Column("id_number", folded(12), nullable=True),
        sa.Column("ethnicity", sa.String(2), nullable=False),
        sa.Column("religion", sa.String(24), nullable=False),
        sa.Column("nationality", sa.String(2), nullable=False),
        sa.Column("occupation", sa.String(120), nullable=True),
        sa.Column("phone", sa.String(15), nullable=True),
        sa.Column("household_id", sa.Uuid(), nullable=True),
        sa.Column("relation", sa.String(20), nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("status_date", sa.Date(), nullable=True),
        sa.Column("moved_to", sa.String(120), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        *timestamps(),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_residents_persons"),
        tenant_fk("household_id", "residents_households",
                  "fk_residents_persons_tenant_id_household_id_residents_h_402d"),
        sa.CheckConstraint("sex IN ('male', 'female')", name="ck_residents_persons_sex"),
        sa.CheckConstraint("status IN ('present', 'moved_away', 'deceased')", name="ck_residents_persons_status"),
        sa.CheckConstraint("birth_month IS NULL OR birth_month BETWEEN 1 AND 12",
                           name="ck_residents_persons_birth_month"),
        sa.CheckConstraint("birth_day IS NULL OR (birth_month IS NOT NULL AND birth_day BETWEEN 1 AND 31)",
                           name="ck_residents_persons_birth_day"),
    )
    for name, columns in (("search_name", ["tenant_id", "search_name"]),
                          ("search_given", ["tenant_id", "search_given"]),
                          ("id_number", ["tenant_id", "id_number"]),
                          ("household", ["tenant_id", "household_id"]),
                          ("status", ["tenant_id", "status"])):
        op.create_index(f"ix_residents_persons_{name}", "residents_persons", columns)
    op.create_index("uq_residents_persons_one_head", "residents_persons", ["tenant_id", "household_id"],
                    unique=True, postgresql_where=sa.text(HEAD_WHERE), sqlite_where=sa.text(HEAD_WHERE))

    op.create_table(
        "residents_moves",
        *tenant_columns("residents_moves"),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("other_tenant_id", sa.Uuid(), nullable=False),
        sa.Column("other_tenant_key", sa.String(64), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("move_date", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_residents_moves"),
        sa.ForeignKeyConstraint(["other_tenant_id"], ["tenants.id"], ondelete="RESTRICT",
                                name="fk_residents_moves_other_tenant_id_tenants"),
        tenant_fk("person_id", "residents_persons", "fk_residents_moves_tenant_id_person_id_residents_persons"),
        sa.CheckConstraint("direction IN ('in', 'out')", name="ck_residents_moves_direction"),
        sa.CheckConstraint("status IN ('pending', 'accepted', 'rejected', 'cancelled')",
                           name="ck_residents_moves_status"),
    )
    op.create_index("ix_residents_moves_status", "residents_moves", ["tenant_id", "direction", "status"])
    op.create_index("uq_residents_moves_one_pending", "residents_moves", ["tenant_id", "person_id"], unique=True,
                    postgresql_where=sa.text(PENDING_OUT_WHERE), sqlite_where=sa.text(PENDING_OUT_WHERE))

    # Platform-wide, not tenant-owned: no row-level security, so every ward can check a number.
    op.create_table(
        "residents_id_registry",
        sa.Column("id_number", sa.String(12), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id_number", name="pk_residents_id_registry"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="RESTRICT",
                                name="fk_residents_id_registry_tenant_id_tenants"),
        sa.ForeignKeyConstraint(["tenant_id", "person_id"], ["residents_persons.tenant_id", "residents_persons.id"],
                                onupdate="CASCADE", ondelete="CASCADE",
                                name="fk_residents_id_registry_tenant_id_person_id_residents_persons"),
    )
    op.create_index("ix_residents_id_registry_person", "residents_id_registry", ["tenant_id", "person_id"])

    for table in ("residents_neighbourhoods", "residents_households", "residents_persons", "residents_moves"):
        enable_rls(op, table)


def downgrade() -> None:
    for table in ("residents_id_registry", "residents_moves", "residents_persons", "residents_households",
                  "residents_neighbourhoods"):
        op.drop_table(table)
