"""Tables of ``feedback``: tenant-owned, keyed ``(tenant_id, id)``, under row-level security (see the migration)."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.toolkit import Base, TenantOwned, Timestamped


class Entry(TenantOwned, Timestamped, Base):
    __tablename__ = "feedback_entries"

    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
