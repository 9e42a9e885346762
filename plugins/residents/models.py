"""Tables of the population register.

Tenant-owned (primary key ``(tenant_id, id)``, foreign keys through ``tenant_id``, row-level security):

* ``residents_neighbourhoods``: khu phố / ấp / thôn, and tổ dân phố under them (``parent_id``, two levels).
* ``residents_households``: a household, its code (unique in the ward), address and neighbourhood.
* ``residents_persons``: a person, the household they belong to and their relation to its head. The
  head is the present member whose relation is ``head``: a partial unique index allows one per household.
  ``version`` counts changes (SQLAlchemy's version counter): a change proposed against an older
  version meets a ``CONFLICT``.
* ``residents_moves``: a move between wards. The same ``id`` is used in both wards: the sending ward's
  row (``direction="out"``) and the receiving ward's row (``direction="in"``), each in its own tenant.

Platform-wide (no tenant, no row-level security):

* ``residents_id_registry``: which ward holds the active record of a personal identification number,
  and nothing else (number, ward, person id). The primary key on the number makes the same person
  impossible to register in two wards; its foreign key to the person follows a tenant merge
  (``ON UPDATE CASCADE``) and goes with the person (``ON DELETE CASCADE``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
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
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.toolkit import Base, TenantOwned, Timestamped, tenant_fk, utcnow


def folded(length: int) -> String:
    """A column searched by prefix ranges (folded text, digits): byte-ordered on every database, so that
    a range ``[p, p + "~")`` is exactly the values starting with ``p`` (see :mod:`plugins.residents.normalize`)."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


HEAD_WHERE = "relation = 'head' AND status = 'present'"
PENDING_OUT_WHERE = "status = 'pending' AND direction = 'out'"


class Neighbourhood(TenantOwned, Timestamped, Base):
    __tablename__ = "residents_neighbourhoods"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        tenant_fk("parent_id", "residents_neighbourhoods"),
        Index("ix_residents_neighbourhoods_search", "tenant_id", "search_name"),
    )

    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    search_name: Mapped[str] = mapped_column(folded(120))
    kind: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class Household(TenantOwned, Timestamped, Base):
    __tablename__ = "residents_households"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        tenant_fk("neighbourhood_id", "residents_neighbourhoods"),
        Index("ix_residents_households_search", "tenant_id", "search_code"),
        Index("ix_residents_households_neighbourhood", "tenant_id", "neighbourhood_id"),
    )

    code: Mapped[str] = mapped_column(String(32))
    search_code: Mapped[str] = mapped_column(folded(32))
    address: Mapped[str] = mapped_column(String(255))
    neighbourhood_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    status: Mapped[str] = mapped_column(String(12), default="active")  # active | dissolved
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__: dict[str, Any] = {"version_id_col": version}  # noqa: RUF012


class Person(TenantOwned, Timestamped, Base):
    __tablename__ = "residents_persons"
    __table_args__ = (
        tenant_fk("household_id", "residents_households"),
        Index("ix_residents_persons_search_name", "tenant_id", "search_name"),
        Index("ix_residents_persons_search_given", "tenant_id", "search_given"),
        Index("ix_residents_persons_id_number", "tenant_id", "id_number"),
        Index("ix_residents_persons_household", "tenant_id", "household_id"),
        Index("ix_residents_persons_status", "tenant_id", "status"),
        Index(
            "uq_residents_persons_one_head", "tenant_id", "household_id", unique=True,
            postgresql_where=text(HEAD_WHERE), sqlite_where=text(HEAD_WHERE),
        ),
        CheckConstraint("sex IN ('male', 'female')", name="sex"),
        CheckConstraint("status IN ('present', 'moved_away', 'deceased')", name="status"),
        CheckConstraint("birth_month IS NULL OR birth_month BETWEEN 1 AND 12", name="birth_month"),
        CheckConstraint("birth_day IS NULL OR (birth_month IS NOT NULL AND birth_day BETWEEN 1 AND 31)",
                        name="birth_day"),
    )

    full_name: Mapped[str] = mapped_column(String(120))
    search_name: Mapped[str] = mapped_column(folded(120))
    search_given: Mapped[str] = mapped_column(folded(40))
    # Year always; month and day when known (a year alone is allowed for the elderly).
    birth_year: Mapped[int] = mapped_column(SmallInteger)
    birth_month: Mapped[int | None] = mapped_column(SmallInteger)
    birth_day: Mapped[int | None] = mapped_column(SmallInteger)
    sex: Mapped[str] = mapped_column(String(6))
    id_number: Mapped[str | None] = mapped_column(folded(12))
    ethnicity: Mapped[str] = mapped_column(String(2), default="01")
    religion: Mapped[str] = mapped_column(String(24), default="none")
    nationality: Mapped[str] = mapped_column(String(2), default="VN")
    occupation: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(15))
    household_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    relation: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default="present")
    status_date: Mapped[date | None] = mapped_column(Date)  # date of death or of moving away
    moved_to: Mapped[str | None] = mapped_column(String(120))  # a ward's key, or a place off the platform
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__: dict[str, Any] = {"version_id_col": version}  # noqa: RUF012


class Move(TenantOwned, Base):
    """One side of a move between two wards (both sides share ``id``)."""

    __tablename__ = "residents_moves"
    __table_args__ = (
        tenant_fk("person_id", "residents_persons"),
        Index("ix_residents_moves_status", "tenant_id", "direction", "status"),
        Index(
            "uq_residents_moves_one_pending", "tenant_id", "person_id", unique=True,
            postgresql_where=text(PENDING_OUT_WHERE), sqlite_where=text(PENDING_OUT_WHERE),
        ),
        CheckConstraint("direction IN ('in', 'out')", name="direction"),
        CheckConstraint("status IN ('pending', 'accepted', 'rejected', 'cancelled')", name="status"),
    )

    direction: Mapped[str] = mapped_column(String(3))
    other_tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("tenants.id", ondelete="RESTRICT"))
    other_tenant_key: Mapped[str] = mapped_column(String(64))
    # out: the person leaving; in: the new record, once accepted.
    person_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # in: what the receiving ward needs to recognise the person before accepting.
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    move_date: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)  # why it was rejected or cancelled
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IdRegistration(Base):
    """Platform-wide: the ward whose active record holds an identification number. No personal data."""

    __tablename__ = "residents_id_registry"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "person_id"], ["residents_persons.tenant_id", "residents_persons.id"],
            onupdate="CASCADE", ondelete="CASCADE",
        ),
        Index("ix_residents_id_registry_person", "tenant_id", "person_id"),
    )

    id_number: Mapped[str] = mapped_column(String(12), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("tenants.id", ondelete="RESTRICT"))
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
