"""Tenants (administrative units), their lineage and their plugin subscriptions. Platform tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, utcnow
from core.db.ids import new_id
from core.plugins.context import TenantRef

LEVELS = ("province", "district", "ward")
# current: the 2-level model in force since 1 July 2025; legacy: the 3-level model before it;
# local: units a deployment adds by hand (e.g. a district-like level kept under the 2-level model).
SCHEMES = ("current", "legacy", "local")


class Tenant(Base):
    __tablename__ = "tenants"
    __table_args__ = (
        UniqueConstraint("scheme", "code"),
        Index("ix_tenants_parent_id", "parent_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    scheme: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(255))
    division_type: Mapped[str | None] = mapped_column(String(64))
    codename: Mapped[str | None] = mapped_column(String(128))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("tenants.id"))
    status: Mapped[str] = mapped_column(String(16), default="active")
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("tenants.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    @property
    def key(self) -> str:
        return f"{self.scheme}:{self.code}"

    def ref(self) -> TenantRef:
        return TenantRef(self.id, self.scheme, self.code, self.level, self.name, self.parent_id)


class TenantLineage(Base):
    """Where a unit's data went (or came from) in a reorganization."""

    __tablename__ = "tenant_lineage"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    from_tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("tenants.id"), index=True)
    into_tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("tenants.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="merge")
    moved: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PluginSubscription(Base):
    """Whether a tenant has a plugin on. A row is kept when disabled: the data stays too."""

    __tablename__ = "plugin_subscriptions"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("tenants.id"), primary_key=True)
    plugin: Mapped[str] = mapped_column(String(40), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
