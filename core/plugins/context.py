"""Small value types handed to hooks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TenantRef:
    """A tenant as plugins see it: no ORM object, nothing to mutate by accident."""

    id: uuid.UUID
    scheme: str
    code: str
    level: str
    name: str
    parent_id: uuid.UUID | None = None

    @property
    def key(self) -> str:
        return f"{self.scheme}:{self.code}"
