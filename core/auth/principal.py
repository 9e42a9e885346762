"""Who is calling: a signed-in user or an API token."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from core.access.store import token_subject, user_subject


@dataclass(frozen=True, slots=True)
class Principal:
    kind: str  # "user" | "token"
    id: uuid.UUID  # the user's or the token's id
    label: str  # username, or "token:<name>"
    user_id: uuid.UUID | None  # the acting user (a token's owner, if any), for the audit log
    tenant_id: uuid.UUID | None = None  # a token's one tenant
    must_change_password: bool = False
    session_key: str | None = None

    @property
    def subject(self) -> str:
        """The Casbin subject."""
        return user_subject(self.id) if self.kind == "user" else token_subject(self.id)

    @property
    def is_token(self) -> bool:
        return self.kind == "token"
