"""Change workflow: per-tenant settings, change requests, inbox notifications.

Revision ID: core_0004
Revises: core_0003
"""

import sqlalchemy as sa
from alembic import op

from core.db.rls import enable_rls

revision = "core_0004"
down_revision = "core_0003"
branch_labels = None
depends_on = None


def _tenant(table: str) -> list[sa.Column]:
    return [
        sa.Column("tenant_id", sa.Uuid(), sa.ForeignKey("tenants.id", ondelete="RESTRICT",
                                                        name=f"fk_{table}_tenant_id_tenants"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
    ]


def _user_fk(table: str, column: str, ondelete: str = "SET NULL") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["users.id"], name=f"fk_{table}_{column}_users", ondelete=ondelete)


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "workflow_settings",
        *_tenant("workflow_settings"),
        sa.Column("tiers", sa.SmallInteger(), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_workflow_settings"),
        sa.CheckConstraint("tiers IN (2, 3)", name="ck_workflow_settings_tiers"),
    )
    op.create_index("uq_workflow_settings_tenant", "workflow_settings", ["tenant_id"], unique=True)
    enable_rls(op, "workflow_settings")

    op.create_table(
        "change_requests",
        *_tenant("change_requests"),
        sa.Column("plugin", sa.String(40), nullable=False),
        sa.Column("change_type", sa.String(60), nullable=False),
        sa.Column("target_entity", sa.String(80), nullable=False),
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("target_version", sa.Integer(), nullable=False),
        sa.Column("tiers", sa.SmallInteger(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("proposer_id", sa.Uuid(), nullable=True),
        sa.Column("proposer_label", sa.String(120), nullable=False),
        sa.Column("reviewed_by", sa.Uuid(), nullable=True),
        _ts("reviewed_at", True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        _ts("decided_at", True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        _user_fk("change_requests", "proposer_id"),
        _user_fk("change_requests", "reviewed_by"),
        _user_fk("change_requests", "decided_by"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_change_requests"),
        sa.CheckConstraint("state IN ('submitted', 'reviewed', 'approved', 'rejected', 'withdrawn')",
                           name="ck_change_requests_state"),
        sa.CheckConstraint("tiers IN (2, 3)", name="ck_change_requests_tiers"),
    )
    op.create_index("ix_change_requests_state", "change_requests", ["tenant_id", "state"])
    op.create_index("ix_change_requests_target", "change_requests", ["tenant_id", "target_id"])
    op.create_index("ix_change_requests_proposer", "change_requests", ["tenant_id", "proposer_id"])
    enable_rls(op, "change_requests")

    op.create_table(
        "notifications",
        *_tenant("notifications"),
        sa.Column("recipient_role", sa.String(40), nullable=True),
        sa.Column("recipient_user_id", sa.Uuid(), nullable=True),
        sa.Column("change_request_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        _ts("created_at"),
        _ts("read_at", True),
        sa.Column("read_by", sa.Uuid(), nullable=True),
        _user_fk("notifications", "recipient_user_id", "CASCADE"),
        _user_fk("notifications", "read_by"),
        sa.ForeignKeyConstraint(["tenant_id", "change_request_id"], ["change_requests.tenant_id", "change_requests.id"],
                                name="fk_notifications_tenant_id_change_requests", ondelete="CASCADE",
                                deferrable=True, initially="IMMEDIATE"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_notifications"),
        sa.CheckConstraint("recipient_role IS NOT NULL OR recipient_user_id IS NOT NULL",
                           name="ck_notifications_recipient"),
    )
    op.create_index("ix_notifications_role", "notifications", ["tenant_id", "recipient_role", "read_at"])
    op.create_index("ix_notifications_user", "notifications", ["tenant_id", "recipient_user_id", "read_at"])
    enable_rls(op, "notifications")


def downgrade() -> None:
    for table in ("notifications", "change_requests", "workflow_settings"):
        op.drop_table(table)
