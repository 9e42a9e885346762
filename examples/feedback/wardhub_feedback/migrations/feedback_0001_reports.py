"""feedback: reports, their updates and photos, and the ward's settings

Revision ID: feedback_0001
"""

import sqlalchemy as sa
from alembic import op

from core.toolkit import enable_rls

revision = "feedback_0001"
down_revision = None
branch_labels = ("feedback",)  # the plugin's own branch
depends_on = ("core_0001",)  # the tenants table; not core's head, so core may add revisions freely


def table(name: str, *columns: sa.Column | sa.Constraint) -> None:
    op.create_table(
        name,
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        *columns,
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=f"pk_{name}"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="RESTRICT",
                                name=f"fk_{name}_tenant_id_tenants"),
    )
    enable_rls(op, name)


def report_fk(name: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["tenant_id", "report_id"], ["feedback_reports.tenant_id", "feedback_reports.id"],
                                   name=f"fk_{name}_tenant_id_report_id_feedback_reports", deferrable=True,
                                   initially="IMMEDIATE")


def upgrade() -> None:
    table("feedback_reports",
          sa.Column("code", sa.String(16), nullable=False),
          sa.Column("category", sa.String(16), nullable=False),
          sa.Column("description", sa.Text(), nullable=False),
          sa.Column("lat", sa.Float(), nullable=True),
          sa.Column("lng", sa.Float(), nullable=True),
          sa.Column("address", sa.String(255), nullable=True),
          sa.Column("status", sa.String(16), nullable=False),
          sa.Column("reporter_user_id", sa.Uuid(), nullable=True),
          sa.Column("reporter_name", sa.String(120), nullable=True),
          sa.Column("reporter_contact", sa.String(120), nullable=True),
          sa.Column("client_hash", sa.String(64), nullable=True),
          sa.Column("assignee_user_id", sa.Uuid(), nullable=True),
          sa.Column("assignee_name", sa.String(200), nullable=True),
          sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
          sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
          sa.UniqueConstraint("tenant_id", "code", name="uq_feedback_reports_tenant_id_code"))
    op.create_index("ix_feedback_reports_status", "feedback_reports", ["tenant_id", "status"])
    op.create_index("ix_feedback_reports_client", "feedback_reports", ["tenant_id", "client_hash", "created_at"])
    table("feedback_updates",
          sa.Column("report_id", sa.Uuid(), nullable=False),
          sa.Column("kind", sa.String(12), nullable=False),
          sa.Column("from_status", sa.String(16), nullable=True),
          sa.Column("to_status", sa.String(16), nullable=True),
          sa.Column("message", sa.Text(), nullable=True),
          sa.Column("author_user_id", sa.Uuid(), nullable=True),
          sa.Column("author_label", sa.String(200), nullable=True),
          report_fk("feedback_updates"))
    table("feedback_photos",
          sa.Column("report_id", sa.Uuid(), nullable=False),
          sa.Column("content_type", sa.String(16), nullable=False),
          sa.Column("size", sa.Integer(), nullable=False),
          sa.Column("sha256", sa.String(64), nullable=False),
          sa.Column("original_name", sa.String(255), nullable=True),
          report_fk("feedback_photos"))
    table("feedback_settings",
          sa.Column("overdue_days", sa.Integer(), nullable=False),
          sa.Column("anonymous_per_hour", sa.Integer(), nullable=False))


def downgrade() -> None:
    for name in ("feedback_settings", "feedback_photos", "feedback_updates", "feedback_reports"):
        op.drop_table(name)
