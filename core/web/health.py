"""Liveness and readiness."""

from __future__ import annotations

import asyncio

from litestar import Request, Response, get
from sqlalchemy import text

from core.db import migrate


@get("/health", sync_to_thread=False, opt={"public": True})
def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@get("/ready", opt={"public": True})
async def ready(request: Request) -> Response:
    """Readiness: the database answers and its migrations are current; failed plugins are listed. Redis,
    when configured, is checked too: without it the app runs on its fallbacks (sessions in the database,
    policy changes polled, rate limits per process), so it is ``degraded`` (200), not down."""
    db = request.app.state.db
    manager = request.app.state.plugins
    checks: dict[str, object] = {}
    ok = True
    try:
        async with db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
        current = await migrate.is_current(db.engine, request.app.state.migration_dirs)
        checks["migrations"] = "current" if current else "pending"
        ok = current
    except Exception as exc:  # the database is down or unreachable: not ready, and say so plainly
        checks["database"] = f"unreachable ({type(exc).__name__})"
        ok = False
    redis = request.app.state.get("redis")
    redis_ok = True
    if redis is not None:
        try:
            await asyncio.wait_for(redis.ping(), timeout=2)
            checks["redis"] = "ok"
        except Exception as exc:  # down, refusing, or too slow: the fallbacks serve meanwhile
            checks["redis"] = f"unreachable ({type(exc).__name__})"
            redis_ok = False
    checks["plugins"] = manager.ordered()
    if manager.failed:
        checks["plugins_failed"] = dict(manager.failed)
    status = "ready" if ok and redis_ok and not manager.failed else ("degraded" if ok else "not_ready")
    return Response({"status": status, **checks}, status_code=200 if ok else 503)
