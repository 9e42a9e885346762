"""Sign-in throttling per account and per client address.

After ``limit`` failures within ``window`` seconds a key is locked for ``lockout`` seconds; while locked
every sign-in for it answers ``RATE_LIMITED`` with the time the lock ends, even with the right password.
A success clears the account's failures (not the address's). Counters live in Redis when configured
(shared by every process), otherwise in the ``login_throttle`` table, which also stands in while a
configured Redis cannot be reached.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from redis.exceptions import RedisError
from sqlalchemy import delete

from core.auth.models import LoginThrottle, aware
from core.db.base import utcnow
from core.db.engine import Database
from core.db.scoping import SYSTEM
from core.errors import UserError

log = structlog.get_logger("wardhub.auth")


def _redis_unavailable(exc: Exception) -> None:
    log.warning("throttle_redis_unavailable", error=f"{type(exc).__name__}: {exc}")


@dataclass(frozen=True, slots=True)
class Rule:
    limit: int
    window: int  # seconds
    lockout: int  # seconds


ACCOUNT = Rule(limit=5, window=15 * 60, lockout=15 * 60)
ADDRESS = Rule(limit=30, window=15 * 60, lockout=15 * 60)


@dataclass
class RateLimited(UserError):
    """``RATE_LIMITED`` with the end of the lock-out; the HTTP layer adds ``Retry-After``."""

    locked_until: datetime | None = None

    @property
    def retry_after(self) -> int:
        if self.locked_until is None:
            return 60
        return max(1, math.ceil((self.locked_until - utcnow()).total_seconds()))

    def render(self, lang: str) -> dict[str, object]:
        body = super().render(lang)
        body["retry_after"] = self.retry_after
        if self.locked_until is not None:
            body["locked_until"] = self.locked_until.isoformat(timespec="seconds")
        return body


def rate_limited(until: datetime) -> RateLimited:
    minutes = max(1, math.ceil((until - utcnow()).total_seconds() / 60))
    stamp = until.strftime("%H:%M UTC")
    return RateLimited(
        "RATE_LIMITED",
        (
            f"Đăng nhập sai quá nhiều lần; hãy thử lại sau {minutes} phút (lúc {stamp})",
            f"Too many failed sign-ins; try again in {minutes} min (at {stamp})",
        ),
        locked_until=until,
    )


class Throttle:
    """Counts failures for ``account:<username>`` and ``address:<ip>`` keys."""

    def __init__(self, db: Database, redis=None, prefix: str = "wardhub:") -> None:
        self.db, self.redis, self.prefix = db, redis, prefix
        self.rules = {"account": ACCOUNT, "address": ADDRESS}

    @staticmethod
    def keys(username: str, address: str | None) -> list[str]:
        keys = [f"account:{username.strip().lower()[:120]}"]
        if address:
            keys.append(f"address:{address[:64]}")
        return keys

    def _rule(self, key: str) -> Rule:
        return self.rules[key.split(":", 1)[0]]

    async def check(self, keys: list[str]) -> None:
        """Raise :class:`RateLimited` when any key is locked."""
        until = max((u for u in [await self._locked_until(k) for k in keys] if u), default=None)
        if until is not None:
            raise rate_limited(until)

    async def failed(self, keys: list[str]) -> datetime | None:
        """Count a failure for each key; the lock-out end when one became locked now."""
        locks = [await self._fail(k, self._rule(k)) for k in keys]
        return max((u for u in locks if u), default=None)

    async def succeeded(self, username: str) -> None:
        await self._clear(self.keys(username, None)[0])

    async def forget_stale(self) -> int:
        """Drop database rows whose window and lock are both over (Redis keys expire by themselves)."""
        now = utcnow()  # with Redis too: rows counted while it was away
        oldest_window = now - timedelta(seconds=max(r.window for r in self.rules.values()))
        async with self.db.session(SYSTEM) as session:
            result = await session.execute(
                delete(LoginThrottle).where(
                    LoginThrottle.window_started_at < oldest_window,
                    (LoginThrottle.locked_until.is_(None)) | (LoginThrottle.locked_until < now),
                )
            )
            return result.rowcount or 0

    # -- Redis -------------------------------------------------------------------------------------
    async def _locked_until(self, key: str) -> datetime | None:
        if self.redis is not None:
            try:
                ttl = await self.redis.pttl(f"{self.prefix}throttle:lock:{key}")
            except (RedisError, OSError) as exc:  # Redis away: the database's counters stand in
                _redis_unavailable(exc)
            else:
                return utcnow() + timedelta(milliseconds=ttl) if ttl and ttl > 0 else None
        async with self.db.session(SYSTEM) as session:
            row = await session.get(LoginThrottle, key)
            until = aware(row.locked_until) if row else None
        return until if until and until > utcnow() else None

    async def _fail(self, key: str, rule: Rule) -> datetime | None:
        if self.redis is not None:
            try:
                return await self._fail_in_redis(key, rule)
            except (RedisError, OSError) as exc:  # Redis away: count in the database meanwhile
                _redis_unavailable(exc)
        now = utcnow()
        async with self.db.session(SYSTEM) as session:
            row = await session.get(LoginThrottle, key, with_for_update=True)
            if row is None:
                row = LoginThrottle(key=key, failures=0, window_started_at=now)
                session.add(row)
            if aware(row.window_started_at) + timedelta(seconds=rule.window) < now:
                row.failures, row.window_started_at = 0, now
            row.failures += 1
            if row.failures >= rule.limit:
                row.locked_until = now + timedelta(seconds=rule.lockout)
                row.failures, row.window_started_at = 0, now
                return row.locked_until
        return None

    async def _fail_in_redis(self, key: str, rule: Rule) -> datetime | None:
        counter = f"{self.prefix}throttle:count:{key}"
        pipe = self.redis.pipeline()
        pipe.incr(counter)
        pipe.expire(counter, rule.window, nx=True)
        count, _ = await pipe.execute()
        if count >= rule.limit:
            await self.redis.set(f"{self.prefix}throttle:lock:{key}", b"1", ex=rule.lockout)
            await self.redis.delete(counter)
            return utcnow() + timedelta(seconds=rule.lockout)
        return None

    async def _clear(self, key: str) -> None:
        if self.redis is not None:
            try:
                await self.redis.delete(f"{self.prefix}throttle:count:{key}")
                return
            except (RedisError, OSError) as exc:
                _redis_unavailable(exc)
        async with self.db.session(SYSTEM) as session:
            await session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))
