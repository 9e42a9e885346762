"""feedback: entries

Revision ID: feedback_0001
"""

import sqlalchemy as sa
from alembic import op

from core.toolkit import enable_rls

revision = "feedback_0001"
down_revision = None
branch_labels = ("feedback",)  # the plugin's own branch
depends_on = ("core_0001",)  # the tenants table; not core's head, so core may add revisions freely


def upgrade() -> None:
    op.create_table(
        "feedback_entries",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_feedback_entries"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="RESTRICT",
                                name="fk_feedback_entries_tenant_id_tenants"),
    )
    enable_rls(op, "feedback_entries")  # PostgreSQL: rows only for the transaction's tenants


def downgrade() -> None:
    op.drop_table("feedback_entries")
