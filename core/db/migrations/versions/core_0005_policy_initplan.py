"""Row-level security policies compute the tenant set once per statement (an InitPlan), not per row.

Revision ID: core_0005
Revises: core_0004
"""

from alembic import op
from sqlalchemy import text

from core.db.rls import POLICY_CHECK

revision = "core_0005"
down_revision = "core_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    tables = bind.execute(text(
        "SELECT tablename FROM pg_policies WHERE policyname = 'tenant_isolation' AND schemaname = current_schema()"
    )).scalars().all()
    for table in tables:
        op.execute(f'ALTER POLICY tenant_isolation ON "{table}" USING ({POLICY_CHECK}) WITH CHECK ({POLICY_CHECK})')


def downgrade() -> None:
    """Nothing to undo: the old form gave the same answers, only slower."""
