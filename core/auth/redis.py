"""The shared Redis connection (when ``WARDHUB_REDIS_URL`` is set) and the key namespace.

Keys and channels are prefixed with a namespace derived from the database URL: every process of one
deployment shares it, two deployments (or two test databases) on one Redis never see each other's keys.
"""

from __future__ import annotations

import hashlib

from core.settings import Settings


def namespace(settings: Settings) -> str:
    digest = hashlib.sha256(settings.database_url.encode()).hexdigest()[:12]
    return f"wardhub:{digest}:"


def connect(settings: Settings):
    """A client for ``settings.redis_url`` (None when unset). The caller closes it (``aclose``)."""
    if not settings.redis_url:
        return None
    import redis.asyncio as aioredis

    # Short timeouts: a Redis host that drops packets must not stall requests; callers fall back instead.
    return aioredis.Redis.from_url(settings.redis_url, decode_responses=False, health_check_interval=30,
                                   socket_connect_timeout=2, socket_timeout=5)
