"""Role assignments, persisted policy lines and the policy version. Platform tables (not tenant-owned).

The Casbin policy is loaded from these tables (see :mod:`core.access.store`):

* ``access_policies`` holds ``p`` lines. ``source="default"`` rows mirror the plugins' declared default
  grants and are re-synced at start-up (domain ``*``: every tenant); ``source="override"`` rows are an
  administrator's per-tenant (or, with no tenant, platform-wide) allow/deny and are never touched by a
  re-sync.
* ``role_assignments`` gives ``g`` lines ``user:<id>, <role>, <tenant id | *>``.
* ``access_state.version`` grows with every change, in the changing transaction: it is how other
  processes notice a change when Redis is not configured.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, utcnow
from core.db.ids import new_id
from tenants import models as _tenants  # noqa: F401  (the tenants table our foreign keys reference)

ALL_TENANTS = "*"


class RoleAssignment(Base):
    __tablename__ = "role_assignments"
    __table_args__ = (
        UniqueConstraint("user_id", "tenant_id", "role"),
        Index("ix_role_assignments_tenant_id", "tenant_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    # None: held platform-wide (platform_admin only).
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("tenants.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(40))
    # What the role is limited to inside the tenant, for row filters: {"neighborhood": "..."}.
    attrs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    granted_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def domain(self) -> str:
        return str(self.tenant_id) if self.tenant_id else ALL_TENANTS


class AccessPolicy(Base):
    __tablename__ = "access_policies"
    __table_args__ = (Index("ix_access_policies_tenant_id", "tenant_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    source: Mapped[str] = mapped_column(String(16))  # default | override
    plugin: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(40))
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("tenants.id", ondelete="CASCADE"))
    obj: Mapped[str] = mapped_column(String(160))
    act: Mapped[str] = mapped_column(String(40))
    effect: Mapped[str] = mapped_column(String(8), default="allow")  # allow | deny
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    @property
    def domain(self) -> str:
        return str(self.tenant_id) if self.tenant_id else ALL_TENANTS

    @property
    def permission(self) -> str:
        return f"{self.obj}:{self.act}"


class AccessState(Base):
    """One row: the policy version."""

    __tablename__ = "access_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
