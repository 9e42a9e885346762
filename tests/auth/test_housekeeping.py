"""Start-up housekeeping: expired sessions and stale sign-in counters are dropped."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.auth.models import LoginThrottle, WebSession
from core.db.base import utcnow
from core.db.scoping import SYSTEM


async def test_expired_sessions_and_stale_counters_go_at_start_up(app, db, make_user):
    user = await make_user()
    now = utcnow()
    async with db.session(SYSTEM) as session:
        session.add_all([
            WebSession(id="a" * 64, user_id=user.id, epoch=0, data={}, created_at=now - timedelta(days=9),
                       last_seen_at=now - timedelta(days=9), expires_at=now - timedelta(days=8),
                       absolute_expires_at=now - timedelta(days=2)),
            WebSession(id="b" * 64, user_id=user.id, epoch=0, data={}, created_at=now, last_seen_at=now,
                       expires_at=now + timedelta(hours=1), absolute_expires_at=now + timedelta(days=7)),
            LoginThrottle(key="account:stale", failures=3, window_started_at=now - timedelta(hours=2)),
            LoginThrottle(key="account:locked", failures=0, window_started_at=now - timedelta(hours=2),
                          locked_until=now + timedelta(minutes=5)),
            LoginThrottle(key="account:fresh", failures=1, window_started_at=now),
        ])
    await app.state.auth.housekeeping()
    async with db.session(SYSTEM) as session:
        sessions = set((await session.execute(select(WebSession.id).where(WebSession.user_id == user.id))).scalars())
        counters = set((await session.execute(select(LoginThrottle.key))).scalars())
    assert sessions == {"b" * 64}
    assert {"account:locked", "account:fresh"} <= counters and "account:stale" not in counters
