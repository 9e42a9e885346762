"""A policy change made by one process reaches the others without a restart: through the database's
version counter (no Redis) or a Redis notification; the hierarchy follows units that move."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import pytest

from core.access.enforcer import AccessControl, chain_of
from core.access.store import user_subject
from core.auth.redis import namespace
from core.db.engine import Database
from core.db.scoping import SYSTEM, TenantScope

pytestmark = pytest.mark.plugins("hello")
WARDHUB = str(Path(sys.executable).parent / "wardhub")
REDIS_URL = os.environ.get("WARDHUB_TEST_REDIS", "redis://127.0.0.1:6379/0")


async def run_cli(settings, *argv: str, redis: bool = False) -> str:
    env = {**os.environ, "WARDHUB_DATABASE_URL": settings.database_url, "WARDHUB_SECRET_KEY": settings.secret_key,
           "WARDHUB_PLUGINS": "hello", "WARDHUB_LOG_LEVEL": "WARNING"}
    if redis:
        env["WARDHUB_REDIS_URL"] = REDIS_URL
    process = await asyncio.create_subprocess_exec(WARDHUB, *argv, env=env, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_grant_in_another_process_reaches_the_app_through_the_version(app, client_as, make_tenant, settings):
    ward = await make_tenant()
    caller = await client_as(None)
    url = f"/t/{ward.key}/hello/greetings"
    assert (await caller.get(url)).status_code == 403
    access = app.state.access
    access.poll_interval = 0.3
    reloads = access.reloads
    for _ in range(3):  # nothing changed: no reload, whatever the number of requests
        assert (await caller.get(url)).status_code == 403
    assert access.reloads == reloads
    await run_cli(settings, "roles", "grant", caller.user.username, "ward_officer", "--tenant", ward.key)
    deadline = time.monotonic() + 5
    while (status := (await caller.get(url)).status_code) != 200 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert status == 200
    assert access.reloads == reloads + 1
    await run_cli(settings, "roles", "revoke", caller.user.username, "ward_officer", "--tenant", ward.key)
    await asyncio.sleep(0.35)
    assert (await caller.get(url)).status_code == 403


@pytest.fixture
async def redis_url():
    import redis.asyncio as aioredis

    probe = aioredis.Redis.from_url(REDIS_URL)
    try:
        await probe.ping()
    except Exception as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    finally:
        await probe.aclose()
    return REDIS_URL


async def _eventually(check, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await check():
            return True
        await asyncio.sleep(0.05)
    return False


async def test_redis_notice_reaches_another_process_at_once(settings, redis_url, make_tenant, make_user, grant_role):
    """Two AccessControl instances over one database stand for two app processes. Their version poll is
    switched off (an hour), so only the Redis notice can tell the second one."""
    import redis.asyncio as aioredis

    from core.access.permissions import build_catalog
    from core.app import load_plugins

    catalog = build_catalog(load_plugins(settings).collect("wardhub_permissions"))
    ward = await make_tenant()
    user = await make_user()
    prefix = namespace(settings)
    dbs = [Database(settings), Database(settings)]
    clients = [aioredis.Redis.from_url(redis_url), aioredis.Redis.from_url(redis_url)]
    first, second = (AccessControl(db, catalog, redis=r, prefix=prefix, poll_interval=3600)
                     for db, r in zip(dbs, clients, strict=True))
    try:
        await first.start()
        await second.start()
        assert await _eventually(lambda: _subscribed(clients[0], second.channel))
        chain, plugins = chain_of([ward.id, ward.parent_id]), frozenset({"hello"})
        subject = user_subject(user.id)
        await second.ensure_fresh()
        assert not second.grant(subject, chain, plugins).reaches
        await grant_role(user, "ward_officer", ward)  # written by "the first process"
        await first.changed()  # …which then tells the others

        async def second_sees_it() -> bool:
            await second.ensure_fresh()
            return second.grant(subject, chain, plugins).allows("hello.greeting:write")

        assert await _eventually(second_sees_it, 3.0)
        # a CLI process tells them too
        await run_cli(settings, "roles", "revoke", user.username, "ward_officer", "--tenant", ward.key, redis=True)

        async def revoked() -> bool:
            await second.ensure_fresh()
            return not second.grant(subject, chain, plugins).reaches

        assert await _eventually(revoked, 5.0)
    finally:
        for access in (first, second):
            await access.stop()
        for r in clients:
            await r.aclose()
        for db in dbs:
            await db.dispose()


async def _subscribed(client, channel: str) -> bool:
    counts = await client.pubsub_numsub(channel)
    return any(count >= 1 for _name, count in counts)


async def test_without_a_notice_and_within_the_poll_interval_nothing_is_reread(settings, make_tenant, make_user,
                                                                                grant_role):
    from core.access.permissions import build_catalog

    ward = await make_tenant()
    user = await make_user()
    db = Database(settings)
    from core.access import store

    access = AccessControl(db, build_catalog({}), poll_interval=3600)
    store._local_listeners.discard(access)  # as if the grant below were made by another process
    try:
        await access.start()
        chain = chain_of([ward.id, ward.parent_id])
        await grant_role(user, "ward_chair", ward)
        await access.ensure_fresh()
        assert not access.grant(user_subject(user.id), chain, frozenset()).reaches  # not looked yet
        access.mark_stale()  # what a notice (or the end of the interval) does
        await access.ensure_fresh()
        assert access.grant(user_subject(user.id), chain, frozenset()).allows("core.audit:read")
    finally:
        await db.dispose()


async def test_unit_moved_under_another_district_changes_who_reaches_it(app, db, make_tenant, make_user, grant_role):
    from tenants import registry

    first = await make_tenant(level="district")
    async with db.session(SYSTEM) as session:
        province_key = (await session.get(registry.Tenant, first.parent_id)).key
    second = await make_tenant(level="district", parent_key=province_key)
    ward = await make_tenant(parent_key=first.key)
    old_admin, new_admin = await make_user(), await make_user()
    await grant_role(old_admin, "district_admin", first)
    await grant_role(new_admin, "district_admin", second)
    access = app.state.access
    await access.ensure_fresh()

    async def chain_now():
        async with db.session(SYSTEM) as session:
            unit = await registry.get(session, ward.key)
            return chain_of([unit.id, *(a.id for a in await registry.ancestors(session, unit))])

    plugins = frozenset({"hello"})
    before = await chain_now()
    assert access.grant(user_subject(old_admin.id), before, plugins).allows("hello.greeting:read")
    assert not access.grant(user_subject(new_admin.id), before, plugins).reaches
    async with db.session(TenantScope()) as session:
        await registry.move(session, await registry.get(session, ward.key), await registry.get(session, second.key))
    after = await chain_now()
    assert after != before
    assert access.grant(user_subject(new_admin.id), after, plugins).allows("hello.greeting:read")
    assert not access.grant(user_subject(old_admin.id), after, plugins).reaches


async def test_a_change_committed_in_this_process_is_seen_by_the_next_check(settings, make_tenant, make_user,
                                                                           grant_role):
    from core.access.permissions import build_catalog

    ward = await make_tenant()
    user = await make_user()
    db = Database(settings)
    access = AccessControl(db, build_catalog({}), poll_interval=3600)
    try:
        await access.start()
        chain = chain_of([ward.id, ward.parent_id])
        before = access.version
        await grant_role(user, "ward_chair", ward)  # commits a bumped version in this process
        await access.ensure_fresh()
        assert access.version == before + 1
        assert access.grant(user_subject(user.id), chain, frozenset()).allows("core.audit:read")
    finally:
        await db.dispose()
