"""Request rate limits per caller: per API token or user, else per client address.

A fixed one-minute window counted in Redis when configured (shared by every process; if Redis fails
the count falls back to this process), otherwise in this process. Over the limit: ``RATE_LIMITED`` with
the seconds until the window ends.
"""

from __future__ import annotations

import time
from typing import Any

import structlog
from litestar.connection import ASGIConnection

from core.auth.throttle import RateLimited

log = structlog.get_logger("wardhub.ratelimit")
WINDOW = 60


class RequestRateLimit:
    def __init__(self, name: str, per_minute: int, redis: Any = None, prefix: str = "") -> None:
        self.name, self.per_minute, self.redis, self.prefix = name, per_minute, redis, prefix
        self._local: dict[str, tuple[int, int]] = {}

    @staticmethod
    def caller(connection: ASGIConnection) -> str:
        principal = connection.state.get("wardhub_principal")
        if principal is not None:
            return f"{principal.kind}:{principal.id}"
        client = connection.client
        return f"addr:{client.host if client else 'unknown'}"

    async def hit(self, connection: ASGIConnection) -> None:
        if self.per_minute <= 0:
            return
        window = int(time.time()) // WINDOW
        key = f"{self.prefix}rate:{self.name}:{self.caller(connection)}:{window}"
        count = await self._count(key, window)
        if count > self.per_minute:
            retry = WINDOW - int(time.time()) % WINDOW
            raise RateLimited(
                "RATE_LIMITED",
                (f"Quá {self.per_minute} yêu cầu mỗi phút; thử lại sau {retry} giây",
                 f"More than {self.per_minute} requests a minute; try again in {retry} s"),
            )

    async def _count(self, key: str, window: int) -> int:
        if self.redis is not None:
            try:
                pipe = self.redis.pipeline()
                pipe.incr(key)
                pipe.expire(key, WINDOW * 2)
                count, _ = await pipe.execute()
                return int(count)
            except Exception as exc:  # Redis away: keep limiting in this process
                log.warning("rate_limit_redis_unavailable", error=type(exc).__name__)
        if len(self._local) > 100_000:
            self._local = {k: v for k, v in self._local.items() if v[0] == window}
        seen_window, count = self._local.get(key, (window, 0))
        count = count + 1 if seen_window == window else 1
        self._local[key] = (window, count)
        return count
