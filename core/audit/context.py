"""Who is acting: bound per request (or per CLI command / job) in a context variable."""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from dataclasses import dataclass

import structlog


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: uuid.UUID | None
    label: str


SYSTEM_ACTOR = Actor(None, "system")
_actor: ContextVar[Actor] = ContextVar("wardhub_actor", default=SYSTEM_ACTOR)


def bind_actor(user_id: uuid.UUID | None, label: str | None = None) -> Actor:
    """Make ``user_id`` the actor of what follows in this context (a request, a command, a job)."""
    actor = Actor(user_id, label or (str(user_id) if user_id else "system"))
    _actor.set(actor)
    structlog.contextvars.bind_contextvars(user=actor.label)
    return actor


def current_actor() -> Actor:
    return _actor.get()


def current_request_id() -> str | None:
    return structlog.contextvars.get_contextvars().get("request_id")
