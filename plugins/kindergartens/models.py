"""Tables of ``kindergartens`` (tenant-owned: key ``(tenant_id, id)``, foreign keys through ``tenant_id``, RLS).

* ``kindergartens_facilities``: a private childcare group (nhóm trẻ độc lập) or an independent kindergarten
  class (lớp mẫu giáo độc lập): owner, address, capacity, licence (number unique in the ward, issue and
  expiry dates, status).
* ``kindergartens_enrolments``: a child (a ``residents`` person, by id) in a facility from a date, until
  ``left_on``. A partial unique index allows one open enrolment per child in the ward.
* ``kindergartens_staff``: people working there, their role and qualification.
* ``kindergartens_inspections``: an inspection's date, result and findings, a follow-up due date when issues
  were found, and when the follow-up was done.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import CheckConstraint, Date, Index, Integer, String, Text, UniqueConstraint, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from core.toolkit import Base, TenantOwned, Timestamped, tenant_fk

OPEN_WHERE = "left_on IS NULL"


class Facility(TenantOwned, Timestamped, Base):
    __tablename__ = "kindergartens_facilities"
    __table_args__ = (
        UniqueConstraint("tenant_id", "licence_number"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
    )

    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(255))
    owner_name: Mapped[str] = mapped_column(String(120))
    owner_person_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    address: Mapped[str] = mapped_column(String(255))
    capacity: Mapped[int] = mapped_column(Integer)
    licence_number: Mapped[str] = mapped_column(String(40))
    licence_issued: Mapped[date] = mapped_column(Date)
    licence_expires: Mapped[date | None] = mapped_column(Date)
    licence_status: Mapped[str] = mapped_column(String(12), default="valid")


class Enrolment(TenantOwned, Timestamped, Base):
    __tablename__ = "kindergartens_enrolments"
    __table_args__ = (
        tenant_fk("facility_id", "kindergartens_facilities"),
        Index("ix_kindergartens_enrolments_facility", "tenant_id", "facility_id"),
        Index("uq_kindergartens_enrolments_open_child", "tenant_id", "person_id", unique=True,
              sqlite_where=text(OPEN_WHERE), postgresql_where=text(OPEN_WHERE)),
    )

    facility_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    child_name: Mapped[str] = mapped_column(String(120))
    enrolled_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)


class Staff(TenantOwned, Timestamped, Base):
    __tablename__ = "kindergartens_staff"
    __table_args__ = (tenant_fk("facility_id", "kindergartens_facilities"),)

    facility_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    full_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(12))
    qualification: Mapped[str] = mapped_column(String(16))
    qualification_note: Mapped[str | None] = mapped_column(String(255))


class Inspection(TenantOwned, Timestamped, Base):
    __tablename__ = "kindergartens_inspections"
    __table_args__ = (tenant_fk("facility_id", "kindergartens_facilities"),)

    facility_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    inspected_on: Mapped[date] = mapped_column(Date)
    result: Mapped[str] = mapped_column(String(8))
    findings: Mapped[str | None] = mapped_column(Text)
    follow_up_due: Mapped[date | None] = mapped_column(Date)
    follow_up_done_on: Mapped[date | None] = mapped_column(Date)
    follow_up_note: Mapped[str | None] = mapped_column(Text)
