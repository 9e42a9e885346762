"""Declarative base, the tenant-owned mixin and the composite tenant foreign key helper.

A tenant-owned table has ``tenant_id NOT NULL`` first in its primary key ``(tenant_id, id)``, and every
foreign key to another tenant-owned table includes ``tenant_id``: a row can never reference another
tenant's row, and every table can be distributed by ``tenant_id``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import DateTime, ForeignKey, ForeignKeyConstraint, MetaData, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from core.db.ids import new_id

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class TenantOwned:
    """Mixin for every table that holds a tenant's data.

    Rows are read and written only inside a tenant scope (see :mod:`core.db.scoping`); on PostgreSQL a
    row-level security policy checks the same scope again.
    """

    __tenant_owned__ = True

    @declared_attr
    def tenant_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(
            Uuid, ForeignKey("tenants.id", ondelete="RESTRICT"), primary_key=True, sort_order=-100
        )

    @declared_attr
    def id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(Uuid, primary_key=True, default=new_id, sort_order=-99)


class Timestamped:
    @declared_attr
    def created_at(cls) -> Mapped[datetime]:
        return mapped_column(DateTime(timezone=True), default=utcnow, sort_order=90)

    @declared_attr
    def updated_at(cls) -> Mapped[datetime]:
        return mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow, sort_order=91)


def tenant_fk(column: str, target: str, *, ondelete: str | None = None) -> ForeignKeyConstraint:
    """A foreign key from ``(tenant_id, column)`` to ``target`` ``(tenant_id, id)``.

    The constraint is ``DEFERRABLE INITIALLY IMMEDIATE`` so that a tenant merge can move parent and
    child rows in one transaction, with the check deferred to its commit.
    Use it in ``__table_args__``: ``tenant_fk("household_id", "residents_households")``; in a migration
    write the same ``ForeignKeyConstraint`` with ``deferrable=True, initially="IMMEDIATE"``.
    """
    return ForeignKeyConstraint(
        ["tenant_id", column],
        [f"{target}.tenant_id", f"{target}.id"],
        ondelete=ondelete,
        deferrable=True,
        initially="IMMEDIATE",
    )


def tenant_owned_tables(metadata: MetaData | None = None) -> list:
    """Tables of mapped classes that use :class:`TenantOwned`, in dependency order (parents first)."""
    metadata = metadata or Base.metadata
    owned = {
        mapper.local_table.name
        for mapper in Base.registry.mappers
        if getattr(mapper.class_, "__tenant_owned__", False)
    }
    return [t for t in metadata.sorted_tables if t.name in owned]
