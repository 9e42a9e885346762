"""Web sessions over HTTP: sign-in, cookie flags, CSRF, sign-out, fixation, password changes and resets,
rehash on parameter change, and the Redis store."""

from __future__ import annotations

import os

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from core.app import create_app
from core.auth import passwords
from core.auth.models import User, WebSession
from core.auth.sessions import session_key
from core.db.scoping import SYSTEM
from core.testing import TEST_PASSWORD, another_client, sign_in

REDIS_URL = os.environ.get("WARDHUB_TEST_REDIS", "redis://127.0.0.1:6379/0")


def set_cookie_headers(response) -> list[str]:
    return response.headers.get_list("set-cookie")


def cookie_line(response, name: str) -> str:
    lines = [c for c in set_cookie_headers(response) if c.startswith(name + "=")]
    assert lines, set_cookie_headers(response)
    return lines[-1]


async def test_sign_in_sets_a_server_side_session_with_safe_cookie_flags(anon_client, make_user, db):
    user = await make_user(display_name="Nguyễn Văn A")
    response = await sign_in(anon_client, user)
    assert response.status_code == 200, response.text
    assert response.json()["user"]["username"] == user.username
    line = cookie_line(response, "wardhub_session")
    flags = {part.strip().lower() for part in line.split(";")}
    assert {"httponly", "samesite=lax", "path=/"} <= flags and "secure" not in flags  # development: no TLS
    value = anon_client.cookies.get("wardhub_session")
    async with db.session(SYSTEM) as session:
        stored = await session.get(WebSession, session_key(value))
        assert stored is not None and stored.user_id == user.id
        assert await session.get(WebSession, value) is None  # only the hash is stored
    me = await anon_client.get("/auth/me")
    assert me.status_code == 200 and me.json()["username"] == user.username and me.json()["roles"] == []


async def test_production_cookies_are_secure_and_host_prefixed(settings, make_user):
    user = await make_user()
    app = create_app(settings.with_(environment="production"))
    async with AsyncTestClient(app=app, base_url="https://testserver.local") as secure_client:
        response = await sign_in(secure_client, user)
        assert response.status_code == 200, response.text
        line = cookie_line(response, "__Host-wardhub_session")
        flags = {part.strip().lower() for part in line.split(";")}
        assert {"httponly", "samesite=lax", "secure", "path=/"} <= flags
        assert not any(f.startswith("domain=") for f in flags)
        assert (await secure_client.get("/auth/me")).status_code == 200
    csrf_line = next(c for c in set_cookie_headers(await _login_page(app)) if c.startswith("csrftoken="))
    assert "secure" in csrf_line.lower()


async def _login_page(app):
    async with AsyncTestClient(app=app, base_url="https://testserver.local") as c:
        return await c.get("/auth/login")


async def test_every_form_post_needs_the_csrf_token(anon_client, make_user, make_tenant, grant_role):
    user = await make_user()
    no_token = await anon_client.post("/auth/login", json={"username": user.username, "password": TEST_PASSWORD},
                                 headers={"Accept-Language": "en"})
    assert no_token.status_code == 403 and no_token.json()["error"]["code"] == "FORBIDDEN"
    assert "CSRF" in no_token.json()["error"]["message"]
    page = await anon_client.get("/auth/login?next=/t/x")
    assert page.status_code == 200 and 'name="_csrf_token"' in page.text
    token = anon_client.cookies.get("csrftoken")
    assert f'value="{token}"' in page.text
    form = await anon_client.post("/auth/login", data={"username": user.username, "password": TEST_PASSWORD,
                                                  "_csrf_token": token, "next": "/t/x"}, follow_redirects=False)
    assert form.status_code == 303 and form.headers["location"] == "/t/x", form.text
    # signed in: a state-changing request without the token is refused, with it accepted
    ward = await make_tenant(plugins=("hello",))
    await grant_role(user, "ward_officer", ward)
    url = f"/t/{ward.key}/hello/greetings"
    refused = await anon_client.post(url, json={"text": "x"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "FORBIDDEN"
    forged = await anon_client.post(url, json={"text": "x"}, headers={"x-csrftoken": token[:-4] + "abcd"})
    assert forged.status_code == 403
    accepted = await anon_client.post(url, json={"text": "x"}, headers={"x-csrftoken": token})
    assert accepted.status_code == 201, accepted.text


async def test_login_form_never_redirects_off_site(anon_client, make_user):
    user = await make_user()
    await anon_client.get("/auth/login")
    token = anon_client.cookies.get("csrftoken")
    for target in ("//evil.example/x", "https://evil.example", "/\\evil.example", "javascript:alert(1)"):
        response = await anon_client.post("/auth/login", data={"username": user.username, "password": TEST_PASSWORD,
                                                          "_csrf_token": token, "next": target},
                                   follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/", target


async def test_sign_out_ends_the_session_everywhere(anon_client, make_user, db):
    user = await make_user()
    await sign_in(anon_client, user)
    value = anon_client.cookies.get("wardhub_session")
    out = await anon_client.post("/auth/logout")
    assert out.status_code == 200
    assert "max-age=0" in cookie_line(out, "wardhub_session").lower()
    async with db.session(SYSTEM) as session:
        assert await session.get(WebSession, session_key(value)) is None
    replay = another_client(anon_client)
    replay.cookies.set("wardhub_session", value, domain="testserver.local", path="/")
    response = await replay.get("/auth/me")
    assert response.status_code == 401 and response.json()["error"]["code"] == "UNAUTHENTICATED"


async def test_sign_in_starts_a_new_session_id(anon_client, make_user):
    """A session id planted before sign-in (fixation) is never the signed-in one."""
    user = await make_user()
    anon_client.cookies.set("wardhub_session", "planted-by-an-attacker", domain="testserver.local", path="/")
    await sign_in(anon_client, user)
    assert anon_client.cookies.get("wardhub_session") not in (None, "planted-by-an-attacker")
    planted = another_client(anon_client)
    planted.cookies.set("wardhub_session", "planted-by-an-attacker", domain="testserver.local", path="/")
    assert (await planted.get("/auth/me")).status_code == 401
    first = anon_client.cookies.get("wardhub_session")
    await sign_in(anon_client, user)  # signing in again replaces the session too
    assert anon_client.cookies.get("wardhub_session") != first
    stale = another_client(anon_client)
    stale.cookies.set("wardhub_session", first, domain="testserver.local", path="/")
    assert (await stale.get("/auth/me")).status_code == 401


async def test_password_change_ends_other_sessions_and_keeps_this_one(anon_client, make_user):
    user = await make_user()
    other = another_client(anon_client)
    await sign_in(other, user)
    await sign_in(anon_client, user)
    new = "a brand new passphrase 42"
    wrong = await anon_client.post("/auth/password", json={"current_password": "nope-nope-nope", "new_password": new})
    assert wrong.status_code == 400 and "current_password" in wrong.json()["error"]["fields"]
    weak = await anon_client.post("/auth/password", json={"current_password": TEST_PASSWORD, "new_password": "short"})
    assert weak.status_code == 400 and "password" in weak.json()["error"]["fields"]
    changed = await anon_client.post("/auth/password", json={"current_password": TEST_PASSWORD, "new_password": new})
    assert changed.status_code == 200, changed.text
    assert (await anon_client.get("/auth/me")).status_code == 200
    assert (await other.get("/auth/me")).status_code == 401
    assert (await sign_in(another_client(anon_client), user, new)).status_code == 200
    assert (await sign_in(another_client(anon_client), user, TEST_PASSWORD)).status_code == 401


async def test_admin_resets_a_password_to_a_temporary_one(anon_client, admin_client, client_as, make_user,
                                                          make_tenant, grant_role):
    user = await make_user()
    await sign_in(anon_client, user)
    url = f"/admin/users/{user.id}/password-reset"
    officer = await client_as(None)
    assert (await officer.post(url)).status_code == 403
    reset = await admin_client.post(url)
    assert reset.status_code == 200, reset.text
    temporary = reset.json()["temporary_password"]
    assert (await anon_client.get("/auth/me")).status_code == 401  # the user's sessions ended
    again = another_client(anon_client)
    signed = await sign_in(again, user, temporary)
    assert signed.status_code == 200 and signed.json()["user"]["must_change_password"] is True
    # until it is changed, the temporary password opens nothing but the password change
    ward = await make_tenant(plugins=("hello",))
    await grant_role(user, "ward_officer", ward)
    blocked = await again.get(f"/t/{ward.key}/hello/greetings", headers={"Accept-Language": "en"})
    assert blocked.status_code == 403 and "temporary password" in blocked.json()["error"]["message"]
    changed = await again.post("/auth/password", json={"current_password": temporary,
                                                       "new_password": "my very own passphrase"})
    assert changed.status_code == 200 and changed.json()["user"]["must_change_password"] is False
    assert (await again.get(f"/t/{ward.key}/hello/greetings")).status_code == 200


async def test_hash_is_argon2id_and_rehashed_when_parameters_change(anon_client, make_user, db):
    user = await make_user()
    assert user.password_hash.startswith("$argon2id$") and "t=1" in user.password_hash
    previous = passwords.hasher()
    passwords.configure(time_cost=2, memory_cost=2048, parallelism=1)
    try:
        assert (await sign_in(anon_client, user)).status_code == 200
    finally:
        passwords.configure(time_cost=previous.time_cost, memory_cost=previous.memory_cost,
                            parallelism=previous.parallelism)
    async with db.session(SYSTEM) as session:
        stored = (await session.execute(select(User.password_hash).where(User.id == user.id))).scalar_one()
    assert stored != user.password_hash and "m=2048,t=2" in stored
    assert (await sign_in(another_client(anon_client), user)).status_code == 200  # still verifies


async def test_disabled_account_loses_its_session(anon_client, make_user, db):
    from core.auth import users

    user = await make_user()
    await sign_in(anon_client, user)
    async with db.session(SYSTEM) as session:
        await users.set_active(session, await session.get(User, user.id), False)
    assert (await anon_client.get("/auth/me")).status_code == 401
    assert (await sign_in(another_client(anon_client), user)).status_code == 401


async def test_wrong_and_unknown_credentials_answer_alike(anon_client, make_user):
    user = await make_user()
    wrong = await sign_in(anon_client, user, "not the password at all")
    unknown = await sign_in(another_client(anon_client), "nobody-here", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"]["message"] == unknown.json()["error"]["message"]


@pytest.fixture
async def redis_settings(settings):
    import redis.asyncio as aioredis

    probe = aioredis.Redis.from_url(REDIS_URL)
    try:
        await probe.ping()
    except Exception as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    finally:
        await probe.aclose()
    return settings.with_(redis_url=REDIS_URL)


async def test_redis_session_store(redis_settings, make_user, db):
    import redis.asyncio as aioredis

    from core.auth.redis import namespace

    user = await make_user()
    app = create_app(redis_settings)
    probe = aioredis.Redis.from_url(REDIS_URL)
    try:
        async with AsyncTestClient(app=app) as redis_client:
            assert (await sign_in(redis_client, user)).status_code == 200
            value = redis_client.cookies.get("wardhub_session")
            key = f"{namespace(redis_settings)}session:{session_key(value)}"
            assert await probe.exists(key) and 0 < await probe.ttl(key) <= 8 * 3600
            async with db.session(SYSTEM) as session:
                assert await session.get(WebSession, session_key(value)) is None  # not in the database
            assert (await redis_client.get("/auth/me")).status_code == 200
            await redis_client.post("/auth/logout")
            assert not await probe.exists(key)
            replay = another_client(redis_client)
            replay.cookies.set("wardhub_session", value, domain="testserver.local", path="/")
            assert (await replay.get("/auth/me")).status_code == 401
    finally:
        await probe.aclose()
