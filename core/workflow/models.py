"""Tables of the change workflow, all tenant-owned (primary key ``(tenant_id, id)``, row-level security).

* ``workflow_settings``: a tenant's number of approval tiers (3: an officer reviews, the chair approves;
  2: an officer approves directly). No row means the default, 3. Stays behind when its unit is merged.
* ``change_requests``: one proposed change: the plugin and change type, the target (entity and id), the
  proposed values (JSON), the target's version when proposed, who proposed it and each step after.
  ``version`` is SQLAlchemy's version counter: every transition is an ``UPDATE … WHERE version = n``, so
  two people acting on the same request at once cannot both succeed. The ORM writes each transition,
  so core's audit log records it with its actor.
* ``notifications``: the inbox. Each step tells the next actor: a role of the tenant (``ward_officer``,
  ``ward_chair``: anyone holding it sees the item, and it is read, or handled, for all of them) or one
  user (the proposer, of the decision). Not audited: the change request's own entries say everything.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Index, Integer, SmallInteger, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantOwned, Timestamped, tenant_fk, utcnow

SUBMITTED, REVIEWED, APPROVED, REJECTED, WITHDRAWN = "submitted", "reviewed", "approved", "rejected", "withdrawn"
STATES = (SUBMITTED, REVIEWED, APPROVED, REJECTED, WITHDRAWN)
OPEN = (SUBMITTED, REVIEWED)
DEFAULT_TIERS = 3


class WorkflowSettings(TenantOwned, Timestamped, Base):
    __tablename__ = "workflow_settings"
    __moves_on_merge__ = False  # a merged unit keeps the receiving unit's setting (one row per unit)
    __table_args__ = (
        Index("uq_workflow_settings_tenant", "tenant_id", unique=True),
        CheckConstraint("tiers IN (2, 3)", name="tiers"),
    )

    tiers: Mapped[int] = mapped_column(SmallInteger, default=DEFAULT_TIERS)


class ChangeRequest(TenantOwned, Timestamped, Base):
    __tablename__ = "change_requests"
    __table_args__ = (
        Index("ix_change_requests_state", "tenant_id", "state"),
        Index("ix_change_requests_target", "tenant_id", "target_id"),
        Index("ix_change_requests_proposer", "tenant_id", "proposer_id"),
        CheckConstraint("state IN ('submitted', 'reviewed', 'approved', 'rejected', 'withdrawn')", name="state"),
        CheckConstraint("tiers IN (2, 3)", name="tiers"),
    )

    plugin: Mapped[str] = mapped_column(String(40))
    change_type: Mapped[str] = mapped_column(String(60))
    target_entity: Mapped[str] = mapped_column(String(80))
    target_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    target_version: Mapped[int] = mapped_column(Integer)
    tiers: Mapped[int] = mapped_column(SmallInteger, default=DEFAULT_TIERS)
    state: Mapped[str] = mapped_column(String(12), default=SUBMITTED)
    note: Mapped[str | None] = mapped_column(Text)
    proposer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    proposer_label: Mapped[str] = mapped_column(String(120))
    reviewed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__: dict[str, Any] = {"version_id_col": version}  # noqa: RUF012


class Notification(TenantOwned, Base):
    __tablename__ = "notifications"
    __audited__ = False
    __table_args__ = (
        tenant_fk("change_request_id", "change_requests", ondelete="CASCADE"),
        Index("ix_notifications_role", "tenant_id", "recipient_role", "read_at"),
        Index("ix_notifications_user", "tenant_id", "recipient_user_id", "read_at"),
        CheckConstraint("recipient_role IS NOT NULL OR recipient_user_id IS NOT NULL", name="recipient"),
    )

    recipient_role: Mapped[str | None] = mapped_column(String(40))
    recipient_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    change_request_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(20))  # the request's new state
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    read_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
