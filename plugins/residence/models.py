"""Tables of the residence plugin.

Tenant-owned (primary key ``(tenant_id, id)``, foreign keys through ``tenant_id``, row-level security):

* ``residence_registrations``: one row per registration of a person of ``residents``: permanent
  residence (thường trú), temporary residence (tạm trú, with an end date) or a notice of absence (tạm
  vắng). Rows are never deleted: a renewal or an end closes the row (``status``) and the person's
  history is the list of their rows. ``renewed_from_id`` links a renewed temporary residence to the
  one it extends.
* ``residence_establishments``: lodging establishments (cơ sở lưu trú) registered by the ward.
* ``residence_stays``: a guest's stay declared by an establishment (lưu trú).

Platform-wide (no tenant, no row-level security, nothing personal beyond a document number):

* ``residence_permanent_registry``: the ward holding a person's active permanent residence, keyed by
  the person's identification number. Its primary key makes a second active permanent residence
  impossible anywhere on the platform, whatever the interleaving of two wards' transactions.
* ``residence_guest_nights``: one row per (guest document, night) of every declared stay; its primary
  key makes the same guest impossible to declare for the same night at two establishments, in this
  ward or another.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.toolkit import Base, TenantOwned, Timestamped, tenant_fk, utcnow

KINDS = ("permanent", "temporary", "absence")
STATUSES = ("active", "renewed", "ended", "expired", "cancelled")
ESTABLISHMENT_KINDS = ("hotel", "guesthouse", "boarding_house", "homestay")


class Registration(TenantOwned, Timestamped, Base):
    __tablename__ = "residence_registrations"
    __table_args__ = (
        tenant_fk("person_id", "residents_persons"),
        tenant_fk("neighbourhood_id", "residents_neighbourhoods"),
        tenant_fk("renewed_from_id", "residence_registrations"),
        Index("ix_residence_registrations_person", "tenant_id", "person_id"),
        Index("ix_residence_registrations_kind_status", "tenant_id", "kind", "status", "end_date"),
        CheckConstraint("kind IN ('permanent', 'temporary', 'absence')", name="kind"),
        CheckConstraint("status IN ('active', 'renewed', 'ended', 'expired', 'cancelled')", name="status"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates"),
    )

    kind: Mapped[str] = mapped_column(String(10))
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    address: Mapped[str] = mapped_column(String(255))
    neighbourhood_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="active")
    renewed_from_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    destination: Mapped[str | None] = mapped_column(String(255))  # absence: where the person went
    reason: Mapped[str | None] = mapped_column(Text)
    closed_on: Mapped[date | None] = mapped_column(Date)


class PermanentRegistry(Base):
    """Platform-wide: which ward holds the active permanent residence of an identification number."""

    __tablename__ = "residence_permanent_registry"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "registration_id"], ["residence_registrations.tenant_id", "residence_registrations.id"],
            onupdate="CASCADE", ondelete="CASCADE",
        ),
        Index("ix_residence_permanent_registry_registration", "tenant_id", "registration_id"),
    )

    id_number: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("tenants.id", ondelete="RESTRICT"))
    registration_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Establishment(TenantOwned, Timestamped, Base):
    __tablename__ = "residence_establishments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        tenant_fk("neighbourhood_id", "residents_neighbourhoods"),
        CheckConstraint("kind IN ('hotel', 'guesthouse', 'boarding_house', 'homestay')", name="kind"),
        CheckConstraint("status IN ('active', 'closed')", name="status"),
    )

    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(255))
    neighbourhood_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    rooms: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(8), default="active")


class Stay(TenantOwned, Timestamped, Base):
    __tablename__ = "residence_stays"
    __table_args__ = (
        tenant_fk("establishment_id", "residence_establishments"),
        Index("ix_residence_stays_establishment", "tenant_id", "establishment_id", "arrival"),
        Index("ix_residence_stays_arrival", "tenant_id", "arrival"),
        Index("ix_residence_stays_departure", "tenant_id", "departed_at", "planned_departure"),
        CheckConstraint("planned_departure > arrival", name="dates"),
    )

    establishment_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    guest_name: Mapped[str] = mapped_column(String(120))
    guest_document: Mapped[str] = mapped_column(String(20))
    guest_nationality: Mapped[str] = mapped_column(String(2), default="VN")
    guest_birth_year: Mapped[int | None] = mapped_column(SmallInteger)
    room: Mapped[str] = mapped_column(String(20))
    arrival: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    planned_departure: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    departed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    declared_by: Mapped[str | None] = mapped_column(String(80))


class GuestNight(Base):
    """Platform-wide: one row per guest document and night, held by the stay that declared it."""

    __tablename__ = "residence_guest_nights"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "stay_id"], ["residence_stays.tenant_id", "residence_stays.id"],
            onupdate="CASCADE", ondelete="CASCADE",
        ),
        Index("ix_residence_guest_nights_stay", "tenant_id", "stay_id"),
    )

    guest_key: Mapped[str] = mapped_column(String(24), primary_key=True)
    night: Mapped[date] = mapped_column(Date, primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("tenants.id", ondelete="RESTRICT"))
    stay_id: Mapped[uuid.UUID] = mapped_column(Uuid)


class OperatorToken(TenantOwned, Timestamped, Base):
    """An API token (created by core with the ``lodging_operator`` role) linked to the establishment it
    declares for: tokens carry no role attributes, so the link stands in for ``establishment=<id>``."""

    __tablename__ = "residence_operator_tokens"
    __table_args__ = (
        UniqueConstraint("tenant_id", "token_id"),
        tenant_fk("establishment_id", "residence_establishments"),
    )

    token_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    establishment_id: Mapped[uuid.UUID] = mapped_column(Uuid)
