"""Tables of the register of economic units (tenant-owned: key ``(tenant_id, id)``, row-level security).

* ``economic_units_units``: an enterprise or household business — tax code (unique in the ward when
  given), name, owner (a name, optionally a ``residents`` person by id: no foreign key across plugins, the
  service checks the person exists in the ward), address and coordinates, VSIC section and finer code,
  labour, revenue and capital (billion đồng), the size class computed from them (Decree 80/2021), status.
* ``economic_units_status_changes``: every status a unit has had, with its date and a note.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import CheckConstraint, Date, Float, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.toolkit import Base, TenantOwned, Timestamped, tenant_fk


class EconomicUnit(TenantOwned, Timestamped, Base):
    __tablename__ = "economic_units_units"
    __table_args__ = (
        UniqueConstraint("tenant_id", "tax_code"),
        Index("ix_economic_units_units_filters", "tenant_id", "section", "status"),
        CheckConstraint("labour >= 0", name="labour_not_negative"),
    )

    kind: Mapped[str] = mapped_column(String(16))
    tax_code: Mapped[str | None] = mapped_column(String(14))
    name: Mapped[str] = mapped_column(String(255))
    owner_name: Mapped[str | None] = mapped_column(String(120))
    owner_person_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    address: Mapped[str] = mapped_column(String(255))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    section: Mapped[str] = mapped_column(String(1))
    vsic_code: Mapped[str | None] = mapped_column(String(5))
    labour: Mapped[int] = mapped_column(Integer, default=0)
    revenue: Mapped[float | None] = mapped_column(Float)
    capital: Mapped[float | None] = mapped_column(Float)
    size_class: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12), default="active")
    status_date: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)


class StatusChange(TenantOwned, Timestamped, Base):
    __tablename__ = "economic_units_status_changes"
    __table_args__ = (
        tenant_fk("unit_id", "economic_units_units", ondelete="CASCADE"),
        Index("ix_economic_units_status_changes_unit", "tenant_id", "unit_id"),
    )

    unit_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    changed_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
