"""Tables of ``ornamental_plants`` (sinh vật cảnh), tenant-owned, keyed ``(tenant_id, id)``, RLS.

* ``ornamental_plants_associations``: a hobbyist association (hội sinh vật cảnh) of the ward.
* ``ornamental_plants_members``: a ``residents`` person in an association (one open membership per person and
  association: partial unique index).
* ``ornamental_plants_specimens``: a registered specimen — bonsai/cây cảnh, ornamental fish, bird or rock — its
  owner (a name, optionally a person), association, description.
* ``ornamental_plants_photos``: a specimen's photo: the file lives on disk (``storage.py``), the row keeps its
  type, size and SHA-256.
* ``ornamental_plants_events`` and ``ornamental_plants_entries``: events and exhibitions, the specimens entered
  (once each) and their awards.
* ``ornamental_plants_traders``: traders of plants and creatures in the ward.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Date, Index, Integer, String, Text, UniqueConstraint, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from core.toolkit import Base, TenantOwned, Timestamped, tenant_fk

OPEN_WHERE = "left_on IS NULL"


class Association(TenantOwned, Timestamped, Base):
    __tablename__ = "ornamental_plants_associations"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(255))
    founded_on: Mapped[date | None] = mapped_column(Date)
    address: Mapped[str | None] = mapped_column(String(255))
    note: Mapped[str | None] = mapped_column(Text)


class Member(TenantOwned, Timestamped, Base):
    __tablename__ = "ornamental_plants_members"
    __table_args__ = (
        tenant_fk("association_id", "ornamental_plants_associations"),
        Index("uq_ornamental_plants_members_open", "tenant_id", "association_id", "person_id", unique=True,
              sqlite_where=text(OPEN_WHERE), postgresql_where=text(OPEN_WHERE)),
    )

    association_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    full_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(12))
    joined_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)


class Specimen(TenantOwned, Timestamped, Base):
    __tablename__ = "ornamental_plants_specimens"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        tenant_fk("association_id", "ornamental_plants_associations"),
    )

    code: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(255))
    species: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    owner_name: Mapped[str] = mapped_column(String(120))
    owner_person_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    association_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class Photo(TenantOwned, Timestamped, Base):
    __tablename__ = "ornamental_plants_photos"
    __table_args__ = (tenant_fk("specimen_id", "ornamental_plants_specimens"),)

    specimen_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    content_type: Mapped[str] = mapped_column(String(16))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    original_name: Mapped[str | None] = mapped_column(String(255))


class Event(TenantOwned, Timestamped, Base):
    __tablename__ = "ornamental_plants_events"
    __table_args__ = (tenant_fk("association_id", "ornamental_plants_associations"),)

    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(12))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    venue: Mapped[str | None] = mapped_column(String(255))
    association_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class Entry(TenantOwned, Timestamped, Base):
    __tablename__ = "ornamental_plants_entries"
    __table_args__ = (
        UniqueConstraint("tenant_id", "event_id", "specimen_id"),
        tenant_fk("event_id", "ornamental_plants_events"),
        tenant_fk("specimen_id", "ornamental_plants_specimens"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    specimen_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    award: Mapped[str | None] = mapped_column(String(8))


class Trader(TenantOwned, Timestamped, Base):
    __tablename__ = "ornamental_plants_traders"

    name: Mapped[str] = mapped_column(String(255))
    owner_name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(255))
    kinds: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(20))
