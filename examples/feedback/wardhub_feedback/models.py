"""Tables of ``feedback`` (phản ánh, kiến nghị): tenant-owned, keyed ``(tenant_id, id)``, under row-level security.

* ``feedback_reports``: one report — category, description, optional place (lat/lng, address), the reporter
  (an account, or anonymous with only a tracking code; name and contact optional, sensitive), the officer it is
  assigned to, its status and when it was resolved or closed. ``client_hash`` is a pseudonymous hash of an
  anonymous reporter's address, kept for the per-address filing limit.
* ``feedback_updates``: the report's history — assignments, status changes and replies; ``message`` is public
  (the reporter reads it with the tracking code).
* ``feedback_photos``: photos of a report; the file is on disk (``storage.py``), the row keeps type, size, SHA-256.
* ``feedback_settings``: the ward's settings for the plugin (days before an open report is overdue, anonymous
  filings allowed per address and hour); defaults until saved, then the most recently saved row.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Float, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.toolkit import Base, TenantOwned, Timestamped, tenant_fk


class Report(TenantOwned, Timestamped, Base):
    __tablename__ = "feedback_reports"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        Index("ix_feedback_reports_status", "tenant_id", "status"),
        Index("ix_feedback_reports_client", "tenant_id", "client_hash", "created_at"),
    )

    code: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="received")
    reporter_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    reporter_name: Mapped[str | None] = mapped_column(String(120))
    reporter_contact: Mapped[str | None] = mapped_column(String(120))
    client_hash: Mapped[str | None] = mapped_column(String(64))
    assignee_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    assignee_name: Mapped[str | None] = mapped_column(String(200))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Update(TenantOwned, Timestamped, Base):
    __tablename__ = "feedback_updates"
    __table_args__ = (tenant_fk("report_id", "feedback_reports"),)

    report_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(12))  # filed, assigned, status, reply
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    message: Mapped[str | None] = mapped_column(Text)
    author_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    author_label: Mapped[str | None] = mapped_column(String(200))


class Photo(TenantOwned, Timestamped, Base):
    __tablename__ = "feedback_photos"
    __table_args__ = (tenant_fk("report_id", "feedback_reports"),)

    report_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    content_type: Mapped[str] = mapped_column(String(16))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    original_name: Mapped[str | None] = mapped_column(String(255))


class Settings(TenantOwned, Timestamped, Base):
    """The ward's settings: the most recently saved row counts (after a merge of wards the hook
    ``wardhub_tenant_merged`` keeps only that one; no unique key, so that the merge can move both first)."""

    __tablename__ = "feedback_settings"

    overdue_days: Mapped[int] = mapped_column(Integer, default=15)
    anonymous_per_hour: Mapped[int] = mapped_column(Integer, default=5)
