"""Audit log (append-only for the application role).

Revision ID: core_0002
Revises: core_0001
"""

import sqlalchemy as sa
from alembic import op

from core.db.rls import enable_rls

revision = "core_0002"
down_revision = "core_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_label", sa.String(120), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("entity", sa.String(80), nullable=False),
        sa.Column("entity_id", sa.String(80), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_audit_log_tenant_id_tenants",
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_entity", "audit_log", ["tenant_id", "entity", "entity_id"])
    op.create_index("ix_audit_log_at", "audit_log", ["tenant_id", "at"])
    op.create_index("ix_audit_log_actor", "audit_log", ["tenant_id", "actor_id"])
    enable_rls(op, "audit_log")


def downgrade() -> None:
    op.drop_table("audit_log")
