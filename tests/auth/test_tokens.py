"""API tokens over HTTP on the hello plugin: expired, revoked, wrong-tenant and malformed tokens get
UNAUTHENTICATED or FORBIDDEN and never data; a good one works, without CSRF, in its one tenant."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from core.auth import tokens
from core.auth.models import ApiToken, aware
from core.db.base import utcnow
from core.db.scoping import SYSTEM
from core.errors import UserError

pytestmark = pytest.mark.plugins("hello")


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}", "Accept-Language": "en"}


def greetings(tenant) -> str:
    return f"/t/{tenant.key}/hello/greetings"


def assert_refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert "Xin chào" not in response.text  # never data


async def test_good_token_reads_and_writes_its_tenant_without_csrf(anon_client, make_tenant, make_token):
    ward = await make_tenant()
    _, reader = await make_token(ward, ("integrator",))
    response = await anon_client.get(greetings(ward), headers=bearer(reader))
    assert response.status_code == 200 and response.json() == ["Xin chào"]
    _, writer = await make_token(ward, ("ward_officer",))
    created = await anon_client.post(greetings(ward), json={"text": "qua API"}, headers=bearer(writer))
    assert created.status_code == 201, created.text  # no CSRF token: a bearer call cannot be forged


async def test_expired_token_is_unauthenticated(anon_client, make_tenant, make_token, db):
    ward = await make_tenant()
    row, value = await make_token(ward)
    assert (await anon_client.get(greetings(ward), headers=bearer(value))).status_code == 200
    async with db.session(SYSTEM) as session:
        await session.execute(update(ApiToken).where(ApiToken.id == row.id)
                              .values(expires_at=utcnow() - timedelta(seconds=1)))
    response = await anon_client.get(greetings(ward), headers=bearer(value))
    assert_refused(response, 401, "UNAUTHENTICATED")
    assert response.json()["error"]["message"] == "This API token has expired"


async def test_revoked_token_is_unauthenticated_at_once(anon_client, make_tenant, make_token, db):
    ward = await make_tenant()
    row, value = await make_token(ward)
    assert (await anon_client.get(greetings(ward), headers=bearer(value))).status_code == 200
    async with db.session(SYSTEM) as session:
        await tokens.revoke_token(session, row.id)
    response = await anon_client.get(greetings(ward), headers=bearer(value))
    assert_refused(response, 401, "UNAUTHENTICATED")
    assert response.json()["error"]["message"] == "This API token has been revoked"


async def test_token_is_bound_to_one_tenant_even_below_it(anon_client, make_tenant, make_token):
    ward, other = await make_tenant(), await make_tenant()
    _, value = await make_token(ward, ("ward_officer",))
    assert_refused(await anon_client.get(greetings(other), headers=bearer(value)), 403, "FORBIDDEN")
    district = await make_tenant(level="district")
    below = await make_tenant(parent_key=district.key)
    _, district_token = await make_token(district, ("district_admin",))
    response = await anon_client.get(greetings(below), headers=bearer(district_token))
    assert_refused(response, 403, "FORBIDDEN")
    assert response.json()["error"]["message"] == "This API token is bound to another unit"


@pytest.mark.parametrize("header", [
    "Bearer", "Bearer ", "Bearer abc", "Basic dXNlcjpwYXNz", "bearer wht_short", "Token wht_" + "a" * 43,
    "Bearer wht_" + "a" * 42 + "!", "Bearer wht_" + "a" * 43, "Bearer wht_" + "a" * 44, "Bearer  " + "x" * 2000,
])
async def test_malformed_or_unknown_tokens_are_unauthenticated(anon_client, make_tenant, header):
    ward = await make_tenant()
    response = await anon_client.get(greetings(ward), headers={"Authorization": header})
    assert_refused(response, 401, "UNAUTHENTICATED")
    posted = await anon_client.post(greetings(ward), json={"text": "x"}, headers={"Authorization": header})
    assert_refused(posted, 401, "UNAUTHENTICATED")


async def test_token_without_the_permission_is_forbidden(anon_client, make_tenant, make_token):
    ward = await make_tenant()
    _, value = await make_token(ward, ("lodging_operator",))
    assert_refused(await anon_client.get(greetings(ward), headers=bearer(value)), 403, "FORBIDDEN")
    _, reader = await make_token(ward, ("integrator",))
    posted = await anon_client.post(greetings(ward), json={"text": "x"}, headers=bearer(reader))
    assert_refused(posted, 403, "FORBIDDEN")


async def test_stored_hashed_shown_once_last_use_recorded(anon_client, make_tenant, make_token, db, settings):
    ward = await make_tenant()
    row, value = await make_token(ward)
    assert value.startswith("wht_") and len(value) == 47
    async with db.session(SYSTEM) as session:
        stored = (await session.execute(select(ApiToken).where(ApiToken.id == row.id))).scalar_one()
        assert stored.last_used_at is None
        assert stored.token_hash == tokens.token_hash(settings.secret_key, value) != value
        assert value not in {str(v) for v in vars(stored).values()}
        assert stored.prefix == value[:10]
    await anon_client.get(greetings(ward), headers=bearer(value))
    async with db.session(SYSTEM) as session:
        used = aware((await session.get(ApiToken, row.id)).last_used_at)
    assert used is not None and utcnow() - used < timedelta(minutes=1)


async def test_token_implies_its_tenant_in_graphql(anon_client, make_tenant, make_token):
    ward = await make_tenant()
    _, value = await make_token(ward)
    query = "{ hello { greetings(first: 5) { totalCount } } }"
    response = await anon_client.post("/graphql", json={"query": query}, headers=bearer(value))
    assert response.json()["data"]["hello"]["greetings"]["totalCount"] == 1


async def test_bearer_wins_over_a_session_cookie(client_as, make_tenant, make_token):
    ward, other = await make_tenant(), await make_tenant()
    officer = await client_as("ward_officer", other)  # signed in, with a session cookie
    _, value = await make_token(ward)
    assert (await officer.get(greetings(other))).status_code == 200
    assert (await officer.get(greetings(other), headers=bearer(value))).status_code == 403
    assert (await officer.get(greetings(ward), headers=bearer(value))).status_code == 200


async def test_creation_checks_roles_name_and_expiry(db, make_tenant, settings):
    ward = await make_tenant()
    cases = [
        ({"roles": ()}, "roles"), ({"roles": ("platform_admin",)}, "roles"), ({"roles": ("nope",)}, "roles"),
        ({"name": " "}, "name"), ({"expires_at": utcnow() - timedelta(days=1)}, "expires_at"),
        ({"expires_at": utcnow() + timedelta(days=400)}, "expires_at"),
    ]
    for change, field_name in cases:
        kwargs = {"name": "n", "tenant_id": ward.id, "roles": ("integrator",)} | change
        with pytest.raises(UserError) as caught:
            async with db.session(SYSTEM) as session:
                await tokens.create_token(session, settings.secret_key, **kwargs)
        assert caught.value.code == "BAD_USER_INPUT" and field_name in caught.value.fields
