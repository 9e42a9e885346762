"""Tables of the ward military command's register (tenant-owned, row-level security on PostgreSQL).

* ``military_service_records``: one per citizen on the register (``person_id`` → ``residents_persons``,
  unique in the ward): when registered, the status (registered, deferred, exempt, enlisted, reserve), the
  health class (1–6) and the legal ground of a deferment or exemption (codes of :mod:`.reference`).
  Name, birth date and sex are never copied: they are read from ``residents``.
* ``military_service_callups``: the call-up roster of a year, one row per citizen listed, with its status.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Boolean, CheckConstraint, Date, Index, SmallInteger, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.toolkit import Base, TenantOwned, Timestamped, tenant_fk

STATUS_CHECK = "status IN ('registered', 'deferred', 'exempt', 'enlisted', 'reserve')"
ROSTER_CHECK = "status IN ('listed', 'summoned', 'enlisted', 'deferred', 'exempt', 'unfit')"


class ServiceRecord(TenantOwned, Timestamped, Base):
    __tablename__ = "military_service_records"
    __table_args__ = (
        tenant_fk("person_id", "residents_persons", ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "person_id"),
        Index("ix_military_service_records_status", "tenant_id", "status"),
        CheckConstraint(STATUS_CHECK, name="status"),
        CheckConstraint("health_class IS NULL OR health_class BETWEEN 1 AND 6", name="health_class"),
    )

    person_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    registered_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="registered")
    health_class: Mapped[int | None] = mapped_column(SmallInteger)
    health_checked_on: Mapped[date | None] = mapped_column(Date)
    ground_code: Mapped[str | None] = mapped_column(String(24))  # of a deferment or exemption
    decided_on: Mapped[date | None] = mapped_column(Date)
    deferred_until_year: Mapped[int | None] = mapped_column(SmallInteger)
    study_deferred: Mapped[bool] = mapped_column(Boolean, default=False)  # ever: call-up age up to 27
    enlisted_on: Mapped[date | None] = mapped_column(Date)
    discharged_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)


class CallUp(TenantOwned, Timestamped, Base):
    __tablename__ = "military_service_callups"
    __table_args__ = (
        tenant_fk("person_id", "residents_persons", ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "year", "person_id"),
        Index("ix_military_service_callups_year", "tenant_id", "year", "status"),
        CheckConstraint(ROSTER_CHECK, name="status"),
    )

    year: Mapped[int] = mapped_column(SmallInteger)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    status: Mapped[str] = mapped_column(String(10), default="listed")
    status_date: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
