"""API tokens for integrators: long random values shown once; only an HMAC-SHA256 (keyed with the
secret key) is stored, so a leaked table cannot be replayed and lookups stay one indexed query.

A token is bound to one tenant, a set of built-in roles and an expiry; it can be revoked, and its last
use is recorded (at most once a minute, to keep reads from writing).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.access.roles import BUILT_IN_ROLES
from core.auth.models import ApiToken, aware
from core.db.base import utcnow
from core.db.engine import Database
from core.errors import UserError, bad_input, not_found

PREFIX = "wht_"
SHAPE = re.compile(r"^wht_[A-Za-z0-9_-]{43}$")
MAX_DAYS = 366
TOKEN_ROLES = frozenset(BUILT_IN_ROLES) - {"platform_admin"}
LAST_USED_EVERY = timedelta(seconds=60)


def token_hash(secret_key: str, token: str) -> str:
    return hmac.new(secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()


def unauthenticated(vi: str, en: str) -> UserError:
    return UserError("UNAUTHENTICATED", (vi, en))


def check_roles(roles: list[str] | tuple[str, ...]) -> list[str]:
    chosen = sorted(set(roles))
    if not chosen:
        raise bad_input("roles", "Khóa API cần ít nhất một vai trò", "A token needs at least one role")
    unknown = [r for r in chosen if r not in TOKEN_ROLES]
    if unknown:
        raise bad_input(
            "roles", f"Vai trò không dùng được cho khóa API: {', '.join(unknown)}",
            f"Roles not available to tokens: {', '.join(unknown)}",
        )
    return chosen


async def create_token(
    session: AsyncSession,
    secret_key: str,
    *,
    name: str,
    tenant_id: uuid.UUID,
    roles: list[str] | tuple[str, ...],
    expires_at: datetime | None = None,
    days: int | None = 90,
    user_id: uuid.UUID | None = None,
    created_by: uuid.UUID | None = None,
) -> tuple[ApiToken, str]:
    """A new token; returns the row and the token itself, which is never available again. Audited in the
    token's unit."""
    from core.access.store import bump_version
    from core.audit.recorder import record_for_unit

    name = " ".join((name or "").split())
    if not name or len(name) > 120:
        raise bad_input("name", "Khóa API cần một tên (tối đa 120 ký tự)",
                        "A token needs a name (120 characters at most)")
    now = utcnow()
    if expires_at is None:
        expires_at = now + timedelta(days=days or 90)
    expires_at = aware(expires_at)
    if expires_at <= now or expires_at > now + timedelta(days=MAX_DAYS):
        raise bad_input("expires_at", f"Hạn dùng phải trong vòng {MAX_DAYS} ngày tới",
                        f"The expiry must be within the next {MAX_DAYS} days")
    value = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name, tenant_id=tenant_id, roles=check_roles(roles), token_hash=token_hash(secret_key, value),
        prefix=value[:10], user_id=user_id, created_by=created_by, created_at=now, expires_at=expires_at,
    )
    session.add(token)
    await session.flush()
    await bump_version(session)
    await record_for_unit(session, tenant_id=tenant_id, action="create", entity="api_tokens", entity_id=str(token.id),
                          after={"name": token.name, "prefix": token.prefix, "roles": list(token.roles),
                                 "expires_at": token.expires_at})
    return token, value


async def revoke_token(session: AsyncSession, token_id: uuid.UUID) -> ApiToken:
    from core.access.store import bump_version
    from core.audit.recorder import record_for_unit

    token = await session.get(ApiToken, token_id)
    if token is None:
        raise not_found("Không có khóa API này", "No such API token")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        await session.flush()
        await bump_version(session)
        await record_for_unit(session, tenant_id=token.tenant_id, action="revoke", entity="api_tokens",
                              entity_id=str(token.id), after={"name": token.name, "prefix": token.prefix,
                                                              "revoked_at": token.revoked_at})
    return token


async def list_tokens(session: AsyncSession, tenant_id: uuid.UUID | None = None) -> list[ApiToken]:
    query = select(ApiToken).order_by(ApiToken.created_at)
    if tenant_id is not None:
        query = query.where(ApiToken.tenant_id == tenant_id)
    return list((await session.execute(query)).scalars())


async def authenticate(db: Database, secret_key: str, value: str) -> ApiToken:
    """The live token for a bearer value, or ``UNAUTHENTICATED`` (malformed, unknown, revoked, expired)."""
    if not SHAPE.match(value or ""):
        raise unauthenticated("Khóa API không hợp lệ", "Malformed API token")
    digest = token_hash(secret_key, value)
    now = utcnow()
    async with db.lookup() as session:  # a read, and now and then one UPDATE of last_used_at
        token = (await session.execute(select(ApiToken).where(ApiToken.token_hash == digest))).scalar_one_or_none()
        if token is None or not hmac.compare_digest(token.token_hash, digest):
            raise unauthenticated("Khóa API không hợp lệ", "Unknown API token")
        if token.revoked_at is not None:
            raise unauthenticated("Khóa API đã bị thu hồi", "This API token has been revoked")
        if aware(token.expires_at) <= now:
            raise unauthenticated("Khóa API đã hết hạn", "This API token has expired")
        last = aware(token.last_used_at)
        if last is None or now - last >= LAST_USED_EVERY:
            token.last_used_at = now
    return token
