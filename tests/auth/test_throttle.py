"""Sign-in throttling per account and per anon_client address, over HTTP: RATE_LIMITED with the lock-out
time, even for the right password, until the lock ends."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from core.auth.models import LoginThrottle
from core.auth.throttle import ACCOUNT, ADDRESS
from core.db.base import utcnow
from core.db.scoping import SYSTEM
from core.testing import another_client, sign_in


def assert_locked(response) -> datetime:
    assert response.status_code == 429, response.text
    error = response.json()["error"]
    assert error["code"] == "RATE_LIMITED"
    until = datetime.fromisoformat(error["locked_until"])
    assert 0 < error["retry_after"] <= ACCOUNT.lockout
    assert int(response.headers["retry-after"]) == error["retry_after"]
    assert until.strftime("%H:%M") in error["message"]
    return until


async def test_account_is_locked_after_repeated_failures(anon_client, make_user):
    user = await make_user()
    for _ in range(ACCOUNT.limit - 1):
        assert (await sign_in(anon_client, user, "wrong password here")).status_code == 401
    until = assert_locked(await sign_in(anon_client, user, "wrong password here"))
    assert timedelta(minutes=14) < until - utcnow() <= timedelta(seconds=ACCOUNT.lockout)
    assert_locked(await sign_in(another_client(anon_client), user))  # the right password does not help
    # another account from the same address is not locked
    other = await make_user()
    assert (await sign_in(another_client(anon_client), other)).status_code == 200


async def test_lock_ends_and_success_clears_the_count(anon_client, make_user, db):
    user = await make_user()
    for _ in range(ACCOUNT.limit):
        await sign_in(anon_client, user, "wrong password here")
    assert (await sign_in(anon_client, user)).status_code == 429
    async with db.session(SYSTEM) as session:  # time passes
        await session.execute(update(LoginThrottle).where(LoginThrottle.key == f"account:{user.username}")
                              .values(locked_until=utcnow() - timedelta(seconds=1)))
    assert (await sign_in(anon_client, user)).status_code == 200
    for _ in range(ACCOUNT.limit - 1):  # the count started again from zero
        assert (await sign_in(another_client(anon_client), user, "wrong password here")).status_code == 401
    assert (await sign_in(another_client(anon_client), user)).status_code == 200


async def test_address_is_locked_after_failures_across_accounts(anon_client, make_user):
    victim = await make_user()
    for i in range(ADDRESS.limit - 1):
        response = await sign_in(another_client(anon_client), f"guess-{i}", "wrong password here")
        assert response.status_code == 401, (i, response.text)
    assert_locked(await sign_in(another_client(anon_client), "guess-last", "wrong password here"))
    assert_locked(await sign_in(another_client(anon_client), victim))


@pytest.fixture
async def redis_app(settings):
    import os

    import redis.asyncio as aioredis

    from core.app import create_app

    url = os.environ.get("WARDHUB_TEST_REDIS", "redis://127.0.0.1:6379/0")
    probe = aioredis.Redis.from_url(url)
    try:
        await probe.ping()
    except Exception as exc:
        pytest.skip(f"Redis not reachable at {url}: {exc}")
    finally:
        await probe.aclose()
    app = create_app(settings.with_(redis_url=url))
    app.state.probe = aioredis.Redis.from_url(url)  # the app's own anon_client lives on the test anon_client's loop
    yield app
    probe = app.state.probe
    keys = [k async for k in probe.scan_iter(match=f"{app.state.auth.throttle.prefix}throttle:*")]
    if keys:
        await probe.delete(*keys)
    await probe.aclose()


async def test_redis_backed_throttle(redis_app, make_user):
    from litestar.testing import AsyncTestClient

    user = await make_user()
    async with AsyncTestClient(app=redis_app) as redis_client:
        for _ in range(ACCOUNT.limit - 1):
            assert (await sign_in(redis_client, user, "wrong password here")).status_code == 401
        assert_locked(await sign_in(redis_client, user, "wrong password here"))
        assert_locked(await sign_in(another_client(redis_client), user))
        ttl = await redis_app.state.probe.ttl(
            f"{redis_app.state.auth.throttle.prefix}throttle:lock:account:{user.username}")
        assert 0 < ttl <= ACCOUNT.lockout
