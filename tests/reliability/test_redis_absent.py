"""Redis configured but absent (``WARDHUB_REDIS_URL`` pointing at a closed port): the platform keeps working
on its fallbacks. Sign-in, sessions, sign-in throttling, request rate limits and policy-change notices
between processes all go on without Redis."""

from __future__ import annotations

import asyncio
import time

import pytest
from litestar.testing import AsyncTestClient

from core.app import create_app
from core.testing import TEST_PASSWORD, sign_in
from tests.reliability.conftest import error_code, register

pytestmark = pytest.mark.plugins("residents")

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def settings(settings):
    return settings.with_(redis_url=DEAD_REDIS, graphql_rate_per_minute=5)


async def test_sign_in_sessions_and_sign_out_work_without_redis(app, client, client_as, make_tenant, people,
                                                                anon_client):
    assert app.state.settings.redis_url == DEAD_REDIS and app.state.access.redis is not None
    with pytest.raises(Exception):  # noqa: B017 (any connection error: the point is that Redis is away)
        await app.state.access.redis.ping()
    ward = await make_tenant()
    assert (await client.get("/auth/me")).status_code == 200  # the platform admin signed in (fixture)
    household = await register(client, ward, people, "HK-R1")
    officer = await client_as("ward_officer", ward)
    me = await officer.get("/auth/me")
    assert me.status_code == 200 and me.json()["username"] == officer.user.username
    person = await officer.get(f"/t/{ward.key}/residents/persons/{household['members'][0]['id']}")
    assert person.status_code == 200, person.text
    assert (await officer.post("/auth/logout")).status_code == 200
    assert (await officer.get("/auth/me")).status_code == 401
    assert (await anon_client.get("/auth/me")).status_code == 401


async def test_ready_says_degraded_and_names_redis(client):
    response = await client.get("/ready")
    body = response.json()
    assert response.status_code == 200, body  # the app serves on its fallbacks
    assert body["status"] == "degraded" and body["redis"].startswith("unreachable (") and body["database"] == "ok"


async def test_failed_sign_ins_are_still_throttled_without_redis(anon_client, make_user):
    user = await make_user()
    codes = []
    for _ in range(12):
        response = await sign_in(anon_client, user, "wrong password, wrong password")
        assert response.status_code in (400, 401, 429), response.text
        codes.append(response.status_code)
        if response.status_code == 429:
            break
    assert codes[-1] == 429 and error_code(response) == "RATE_LIMITED", codes
    locked = await sign_in(anon_client, user, TEST_PASSWORD)  # even the right password waits now
    assert locked.status_code == 429


async def test_graphql_rate_limit_counts_in_the_process_without_redis(client, make_tenant):
    ward = await make_tenant()
    answers = [await client.post("/graphql", json={"query": "{ tenant { key } }"}, headers={"X-Tenant": ward.key})
               for _ in range(7)]
    assert [a.status_code for a in answers[:5]] == [200] * 5, [a.text for a in answers]
    assert answers[5].status_code == 429 and error_code(answers[5]) == "RATE_LIMITED"


async def test_policy_changes_reach_another_process_without_redis(app, client, make_tenant, make_user, settings,
                                                                  plugin_manager):
    """Two app processes (two apps here, each with its own policy cache, listener and poll): a role granted
    through one is in force in the other within seconds, with no Redis to carry the notice."""
    ward = await make_tenant()
    user = await make_user()
    other = create_app(settings, plugin_manager)  # its default poll interval, unlike the fixture's app
    async with AsyncTestClient(app=other, raise_server_exceptions=False) as second:
        assert (await sign_in(second, user)).status_code == 200
        url = f"/t/{ward.key}/residents/neighbourhoods"
        assert (await second.get(url)).status_code == 403
        granted = await client.post("/graphql", headers={"X-Tenant": ward.key}, json={
            "query": "mutation($u: String!, $t: String!) { grantRole(input: {username: $u, role: \"ward_officer\", "
                     "tenant: $t}) { held } }", "variables": {"u": user.username, "t": ward.key}})
        assert granted.json() == {"data": {"grantRole": {"held": True}}}, granted.text
        started, status = time.monotonic(), None
        while time.monotonic() - started < 10:
            status = (await second.get(url)).status_code
            if status == 200:
                break
            await asyncio.sleep(0.25)
        assert status == 200, "the grant never reached the other process"
        assert time.monotonic() - started < 5
        await other.state.access.stop()
        await other.state.db.dispose()
