"""residence: API tokens of lodging operators linked to their establishment

Revision ID: residence_0002
"""

import sqlalchemy as sa
from alembic import op

from core.toolkit import enable_rls

revision = "residence_0002"
down_revision = "residence_0001"
branch_labels = None
depends_on = None

TABLE = "residence_operator_tokens"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("tenant_id", sa.Uuid(), sa.ForeignKey("tenants.id", ondelete="RESTRICT",
                                                        name=f"fk_{TABLE}_tenant_id_tenants"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_id", sa.Uuid(), nullable=False),
        sa.Column("establishment_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=f"pk_{TABLE}"),
        sa.UniqueConstraint("tenant_id", "token_id", name=f"uq_{TABLE}_tenant_id_token_id"),
        sa.ForeignKeyConstraint(["tenant_id", "establishment_id"],
                                ["residence_establishments.tenant_id", "residence_establishments.id"],
                                name="fk_residence_operator_tokens_tenant_id_establishment_id_3fe4",
                                deferrable=True, initially="IMMEDIATE"),
    )
    enable_rls(op, TABLE)


def downgrade() -> None:
    op.drop_table(TABLE)
