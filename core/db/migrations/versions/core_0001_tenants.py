"""Tenants, their lineage and plugin subscriptions; the RLS helper function.

Revision ID: core_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from core.db.rls import TENANT_IDS_FUNCTION

revision = "core_0001"
down_revision = None
branch_labels = ("core",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("scheme", sa.String(16), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("division_type", sa.String(64), nullable=True),
        sa.Column("codename", sa.String(128), nullable=True),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("merged_into_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["tenants.id"], name="fk_tenants_parent_id_tenants"),
        sa.ForeignKeyConstraint(["merged_into_id"], ["tenants.id"], name="fk_tenants_merged_into_id_tenants"),
        sa.PrimaryKeyConstraint("id", name="pk_tenants"),
        sa.UniqueConstraint("scheme", "code", name="uq_tenants_scheme_code"),
    )
    op.create_index("ix_tenants_parent_id", "tenants", ["parent_id"])
    op.create_table(
        "tenant_lineage",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("from_tenant_id", sa.Uuid(), nullable=False),
        sa.Column("into_tenant_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("moved", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["from_tenant_id"], ["tenants.id"], name="fk_tenant_lineage_from_tenant_id_tenants"),
        sa.ForeignKeyConstraint(["into_tenant_id"], ["tenants.id"], name="fk_tenant_lineage_into_tenant_id_tenants"),
        sa.PrimaryKeyConstraint("id", name="pk_tenant_lineage"),
    )
    op.create_index("ix_tenant_lineage_from_tenant_id", "tenant_lineage", ["from_tenant_id"])
    op.create_index("ix_tenant_lineage_into_tenant_id", "tenant_lineage", ["into_tenant_id"])
    op.create_table(
        "plugin_subscriptions",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("plugin", sa.String(40), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_plugin_subscriptions_tenant_id_tenants"),
        sa.PrimaryKeyConstraint("tenant_id", "plugin", name="pk_plugin_subscriptions"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(TENANT_IDS_FUNCTION)


def downgrade() -> None:
    op.drop_table("plugin_subscriptions")
    op.drop_table("tenant_lineage")
    op.drop_table("tenants")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS wardhub_tenant_ids()")
