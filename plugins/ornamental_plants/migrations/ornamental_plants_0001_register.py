"""ornamental_plants: associations, members, specimens, photos, events, entries, traders

Revision ID: ornamental_plants_0001
"""

import sqlalchemy as sa
from alembic import op

from core.toolkit import enable_rls

revision = "ornamental_plants_0001"
down_revision = None
branch_labels = ("ornamental_plants",)
depends_on = ("core_0001",)  # not core's head (see residents_0001)
OPEN_WHERE = "left_on IS NULL"
P = "ornamental_plants_"


def table(name: str, *columns: sa.Column | sa.Constraint) -> None:
    full = P + name
    op.create_table(
        full,
        sa.Column("tenant_id", sa.Uuid(), sa.ForeignKey("tenants.id", ondelete="RESTRICT",
                                                        name=f"fk_{full}_tenant_id_tenants"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        *columns,
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=f"pk_{full}"),
    )


def fk(column: str, target: str, name: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["tenant_id", column], [f"{P}{target}.tenant_id", f"{P}{target}.id"], name=name,
                                   deferrable=True, initially="IMMEDIATE")


def upgrade() -> None:
    table("associations",
          sa.Column("name", sa.String(255), nullable=False),
          sa.Column("founded_on", sa.Date(), nullable=True),
          sa.Column("address", sa.String(255), nullable=True),
          sa.Column("note", sa.Text(), nullable=True),
          sa.UniqueConstraint("tenant_id", "name", name="uq_ornamental_plants_associations_tenant_id_name"))
    table("members",
          sa.Column("association_id", sa.Uuid(), nullable=False),
          sa.Column("person_id", sa.Uuid(), nullable=False),
          sa.Column("full_name", sa.String(120), nullable=False),
          sa.Column("role", sa.String(12), nullable=False),
          sa.Column("joined_on", sa.Date(), nullable=False),
          sa.Column("left_on", sa.Date(), nullable=True),
          fk("association_id", "associations", "fk_ornamental_plants_members_tenant_id_association_id_o_824d"))
    op.create_index("uq_ornamental_plants_members_open", P + "members", ["tenant_id", "association_id", "person_id"],
                    unique=True, sqlite_where=sa.text(OPEN_WHERE), postgresql_where=sa.text(OPEN_WHERE))
    table("specimens",
          sa.Column("code", sa.String(32), nullable=False),
          sa.Column("kind", sa.String(8), nullable=False),
          sa.Column("name", sa.String(255), nullable=False),
          sa.Column("species", sa.String(255), nullable=True),
          sa.Column("description", sa.Text(), nullable=True),
          sa.Column("owner_name", sa.String(120), nullable=False),
          sa.Column("owner_person_id", sa.Uuid(), nullable=True),
          sa.Column("association_id", sa.Uuid(), nullable=True),
          sa.UniqueConstraint("tenant_id", "code", name="uq_ornamental_plants_specimens_tenant_id_code"),
          fk("association_id", "associations", "fk_ornamental_plants_specimens_tenant_id_association_id_bea4"))
    table("photos",
          sa.Column("specimen_id", sa.Uuid(), nullable=False),
          sa.Column("content_type", sa.String(16), nullable=False),
          sa.Column("size", sa.Integer(), nullable=False),
          sa.Column("sha256", sa.String(64), nullable=False),
          sa.Column("original_name", sa.String(255), nullable=True),
          fk("specimen_id", "specimens", "fk_ornamental_plants_photos_tenant_id_specimen_id_ornam_a179"))
    table("events",
          sa.Column("name", sa.String(255), nullable=False),
          sa.Column("kind", sa.String(12), nullable=False),
          sa.Column("starts_on", sa.Date(), nullable=False),
          sa.Column("ends_on", sa.Date(), nullable=False),
          sa.Column("venue", sa.String(255), nullable=True),
          sa.Column("association_id", sa.Uuid(), nullable=True),
          fk("association_id", "associations", "fk_ornamental_plants_events_tenant_id_association_id_or_2f4f"))
    table("entries",
          sa.Column("event_id", sa.Uuid(), nullable=False),
          sa.Column("specimen_id", sa.Uuid(), nullable=False),
          sa.Column("award", sa.String(8), nullable=True),
          sa.UniqueConstraint("tenant_id", "event_id", "specimen_id",
                              name="uq_ornamental_plants_entries_tenant_id_event_id_specimen_id"),
          fk("event_id", "events", "fk_ornamental_plants_entries_tenant_id_event_id_ornamen_9dce"),
          fk("specimen_id", "specimens", "fk_ornamental_plants_entries_tenant_id_specimen_id_orna_327c"))
    table("traders",
          sa.Column("name", sa.String(255), nullable=False),
          sa.Column("owner_name", sa.String(120), nullable=False),
          sa.Column("address", sa.String(255), nullable=False),
          sa.Column("kinds", sa.String(64), nullable=False),
          sa.Column("phone", sa.String(20), nullable=True))
    for name in ("associations", "members", "specimens", "photos", "events", "entries", "traders"):
        enable_rls(op, P + name)


def downgrade() -> None:
    for name in ("traders", "entries", "events", "photos", "specimens", "members", "associations"):
        op.drop_table(P + name)
