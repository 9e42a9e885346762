"""Server-side web sessions: the cookie holds a random value, the server keeps the record.

Stored in Redis when ``WARDHUB_REDIS_URL`` is set (every process shares it), otherwise in the
``web_sessions`` table. Either way the key is the SHA-256 of the cookie value, so a copy of the store
gives no usable cookie. A session ends when it has been idle for ``IDLE`` seconds, ``ABSOLUTE`` seconds
after sign-in, at sign-out, or when the user's ``session_epoch`` rises (password change or reset, account
disabled). Signing in always starts a new session (no fixation).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import structlog
from litestar.datastructures import Cookie
from redis.exceptions import RedisError
from sqlalchemy import delete, select, update

from core.auth.models import User, WebSession, aware
from core.db.base import utcnow
from core.db.engine import Database
from core.db.scoping import SYSTEM

log = structlog.get_logger("wardhub.auth")

COOKIE = "wardhub_session"
SECURE_COOKIE = "__Host-wardhub_session"  # production: Secure, Path=/, no Domain
IDLE = 8 * 3600
ABSOLUTE = 7 * 24 * 3600
TOUCH_EVERY = 300  # seconds between two idle-expiry extensions of one session


def session_key(cookie_value: str) -> str:
    return hashlib.sha256(cookie_value.encode()).hexdigest()


@dataclass
class SessionRecord:
    key: str
    user_id: uuid.UUID
    epoch: int
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    absolute_expires_at: datetime
    ip: str | None = None
    user_agent: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    # The user's row when the store read it with the record (the database store: one query, not two);
    # never stored.
    user: User | None = field(default=None, compare=False, repr=False)

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at or now >= self.absolute_expires_at

    def to_json(self) -> bytes:
        return json.dumps({
            "user_id": str(self.user_id), "epoch": self.epoch, "created_at": self.created_at.isoformat(),
            "last_seen_at": self.last_seen_at.isoformat(), "expires_at": self.expires_at.isoformat(),
            "absolute_expires_at": self.absolute_expires_at.isoformat(), "ip": self.ip,
            "user_agent": self.user_agent, "data": self.data,
        }).encode()

    @classmethod
    def from_json(cls, key: str, raw: bytes) -> SessionRecord:
        d = json.loads(raw)
        return cls(
            key=key, user_id=uuid.UUID(d["user_id"]), epoch=d["epoch"],
            created_at=datetime.fromisoformat(d["created_at"]), last_seen_at=datetime.fromisoformat(d["last_seen_at"]),
            expires_at=datetime.fromisoformat(d["expires_at"]),
            absolute_expires_at=datetime.fromisoformat(d["absolute_expires_at"]),
            ip=d.get("ip"), user_agent=d.get("user_agent"), data=d.get("data") or {},
        )


class SessionStore(Protocol):
    async def save(self, record: SessionRecord) -> None: ...
    async def load(self, key: str) -> SessionRecord | None: ...
    async def touch(self, record: SessionRecord) -> None: ...
    async def delete(self, key: str) -> None: ...


class DatabaseSessionStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(self, record: SessionRecord) -> None:
        async with self.db.session(SYSTEM) as session:
            session.add(WebSession(
                id=record.key, user_id=record.user_id, epoch=record.epoch, data=record.data, ip=record.ip,
                user_agent=record.user_agent, created_at=record.created_at, last_seen_at=record.last_seen_at,
                expires_at=record.expires_at, absolute_expires_at=record.absolute_expires_at,
            ))

    async def load(self, key: str) -> SessionRecord | None:
        async with self.db.lookup() as session:
            found = (await session.execute(
                select(WebSession, User).join(User, User.id == WebSession.user_id).where(WebSession.id == key)
            )).first()
            if found is None:
                return None
            row, user = found
            return SessionRecord(
                key=row.id, user_id=row.user_id, epoch=row.epoch, created_at=aware(row.created_at),
                last_seen_at=aware(row.last_seen_at), expires_at=aware(row.expires_at),
                absolute_expires_at=aware(row.absolute_expires_at), ip=row.ip, user_agent=row.user_agent,
                data=dict(row.data or {}), user=user,
            )

    async def touch(self, record: SessionRecord) -> None:
        async with self.db.session(SYSTEM) as session:
            await session.execute(
                update(WebSession).where(WebSession.id == record.key)
                .values(last_seen_at=record.last_seen_at, expires_at=record.expires_at)
            )

    async def delete(self, key: str) -> None:
        async with self.db.session(SYSTEM) as session:
            await session.execute(delete(WebSession).where(WebSession.id == key))

    async def delete_expired(self) -> int:
        now = utcnow()
        async with self.db.session(SYSTEM) as session:
            result = await session.execute(
                delete(WebSession).where((WebSession.expires_at < now) | (WebSession.absolute_expires_at < now))
            )
            return result.rowcount or 0


class RedisSessionStore:
    """Sessions in Redis; with a ``fallback`` store (the database), Redis being away is no outage: records are
    written to and read from the fallback meanwhile, and a record Redis does not know is looked for there
    (one saved during an outage stays valid when Redis is back)."""

    def __init__(self, redis, prefix: str, fallback: SessionStore | None = None) -> None:
        self.redis, self.prefix, self.fallback = redis, f"{prefix}session:", fallback

    def _ttl(self, record: SessionRecord) -> int:
        end = min(record.expires_at, record.absolute_expires_at)
        return max(1, int((end - utcnow()).total_seconds()))

    def _unavailable(self, exc: Exception) -> None:
        if self.fallback is None:
            raise exc
        log.warning("session_redis_unavailable", error=f"{type(exc).__name__}: {exc}")

    async def save(self, record: SessionRecord) -> None:
        try:
            await self.redis.set(self.prefix + record.key, record.to_json(), ex=self._ttl(record))
        except (RedisError, OSError) as exc:
            self._unavailable(exc)
            await self.fallback.save(record)

    async def load(self, key: str) -> SessionRecord | None:
        try:
            raw = await self.redis.get(self.prefix + key)
        except (RedisError, OSError) as exc:
            self._unavailable(exc)
            raw = None
        if raw:
            return SessionRecord.from_json(key, raw)
        return await self.fallback.load(key) if self.fallback is not None else None

    async def touch(self, record: SessionRecord) -> None:
        try:
            stored = await self.redis.set(self.prefix + record.key, record.to_json(), ex=self._ttl(record), xx=True)
        except (RedisError, OSError) as exc:
            self._unavailable(exc)
            stored = None
        if not stored and self.fallback is not None:  # a record of the fallback's (or Redis away)
            await self.fallback.touch(record)

    async def delete(self, key: str) -> None:
        try:
            await self.redis.delete(self.prefix + key)
        except (RedisError, OSError) as exc:
            self._unavailable(exc)
        if self.fallback is not None:
            await self.fallback.delete(key)


class Sessions:
    """Start, find and end sessions over a store."""

    def __init__(self, store: SessionStore, *, secure: bool) -> None:
        self.store, self.secure = store, secure
        self.cookie_name = SECURE_COOKIE if secure else COOKIE

    async def start(self, user_id: uuid.UUID, epoch: int, ip: str | None, user_agent: str | None) -> str:
        """A new session; returns the cookie value (shown to the browser only)."""
        value = secrets.token_urlsafe(32)
        now = utcnow()
        await self.store.save(SessionRecord(
            key=session_key(value), user_id=user_id, epoch=epoch, created_at=now, last_seen_at=now,
            expires_at=now + timedelta(seconds=IDLE), absolute_expires_at=now + timedelta(seconds=ABSOLUTE),
            ip=ip, user_agent=(user_agent or "")[:200] or None,
        ))
        return value

    async def find(self, cookie_value: str | None) -> SessionRecord | None:
        """The live session for a cookie value (expired ones are deleted), sliding its idle expiry."""
        if not cookie_value or len(cookie_value) > 128:
            return None
        key = session_key(cookie_value)
        record = await self.store.load(key)
        if record is None:
            return None
        now = utcnow()
        if record.expired(now):
            await self.store.delete(key)
            return None
        if (now - record.last_seen_at).total_seconds() >= TOUCH_EVERY:
            record.last_seen_at = now
            record.expires_at = min(now + timedelta(seconds=IDLE), record.absolute_expires_at)
            await self.store.touch(record)
        return record

    async def end(self, cookie_value: str | None) -> None:
        if cookie_value and len(cookie_value) <= 128:
            await self.store.delete(session_key(cookie_value))

    def cookie(self, value: str | None) -> Cookie:
        """The session cookie: HttpOnly, SameSite=Lax, Secure in production; ``None`` clears it."""
        return Cookie(
            key=self.cookie_name, value=value or "", path="/", httponly=True, samesite="lax", secure=self.secure,
            max_age=ABSOLUTE if value else 0, expires=None if value else 0,
        )
