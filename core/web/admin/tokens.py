"""A unit's API tokens: ``GET /t/{tenant}/admin/tokens``, ``POST …/admin/tokens`` (create; the token is
shown once, on the answer to that post) and ``POST …/admin/tokens/{id}/revoke``.

Needs ``core.token:manage`` in the unit; a token's roles are rank-checked like the GraphQL mutation (nobody
puts on a token a role above their own). Thin over :mod:`core.auth.tokens`; creating and revoking are
recorded in the unit's audit log (never the token itself, only its recognisable prefix).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import MediaType, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from core.access.guards import requires
from core.access.roles import BUILT_IN_ROLES
from core.auth import tokens
from core.auth.models import ApiToken, aware
from core.db.base import utcnow
from core.db.engine import Database
from core.db.scoping import SYSTEM, TenantScope
from core.errors import UserError
from core.web.admin.common import (
    NO_STORE,
    FormErrors,
    check_rank,
    current_tenant,
    field_error,
    form_data,
    grantable_roles,
    held_rank,
    page,
    parse_uuid,
    text,
    values,
)
from core.web.auth import authenticate
from core.web.i18n import request_language
from core.web.ui import tenant_path

MANAGE = "core.token:manage"


@dataclass
class TokenRow:
    id: str
    name: str
    prefix: str
    roles: list[str]
    created_at: datetime | None
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    expired: bool


async def token_rows(request: Request, tenant_id, lang: str) -> list[TokenRow]:
    db: Database = request.app.state.db
    now = utcnow()
    async with db.session(SYSTEM) as session:
        found = await tokens.list_tokens(session, tenant_id)
    return [
        TokenRow(id=str(t.id), name=t.name, prefix=t.prefix,
                 roles=[BUILT_IN_ROLES[r].title(lang) if r in BUILT_IN_ROLES else r for r in t.roles],
                 created_at=aware(t.created_at), expires_at=aware(t.expires_at), last_used_at=aware(t.last_used_at),
                 revoked_at=aware(t.revoked_at), expired=aware(t.expires_at) <= now)
        for t in reversed(found)
    ]


async def _context(request: Request, **extra: Any) -> dict[str, Any]:
    current = await current_tenant(request)
    principal = await authenticate(request)
    lang = request_language(request)
    rank = held_rank(request, principal, current.grant)
    context = {
        "tokens": await token_rows(request, current.tenant.id, lang),
        "roles": [(name, BUILT_IN_ROLES[name].title(lang))
                  for name in grantable_roles(rank) if name in tokens.TOKEN_ROLES],
        "base": tenant_path(current.tenant.key), "form": {"name": "", "roles": [], "days": "90"},
        "created": None, "done": None, "max_days": tokens.MAX_DAYS,
    }
    context.update(extra)
    return context


@get("/t/{tenant:str}/admin/tokens", guards=[requires(MANAGE)], media_type=MediaType.HTML, name="admin-tokens")
async def tokens_page(request: Request) -> Response:
    done = request.query_params.get("done")
    return await page(request, "admin/tokens.html", await _context(request, done=done if done == "revoke" else None))


def _days(raw: str) -> int:
    message = (f"Số ngày hiệu lực là số nguyên từ 1 đến {tokens.MAX_DAYS}",
               f"The number of days is a whole number from 1 to {tokens.MAX_DAYS}")
    try:
        days = int(raw)
    except ValueError:
        raise field_error("days", message) from None
    if not 1 <= days <= tokens.MAX_DAYS:
        raise field_error("days", message)
    return days


@post("/t/{tenant:str}/admin/tokens", guards=[requires(MANAGE)], media_type=MediaType.HTML, status_code=201,
      name="admin-tokens-create")
async def create_token(request: Request) -> Response:
    current = await current_tenant(request)
    principal = await authenticate(request)
    data = await form_data(request)
    form = {"name": text(data, "name", 200), "roles": values(data, "roles"), "days": text(data, "days", 10) or "90"}
    db: Database = request.app.state.db
    settings = request.app.state.settings
    try:
        days = _days(form["days"])
        if not form["roles"]:
            raise field_error("roles", ("Chọn ít nhất một vai trò", "Choose at least one role"))
        rank = held_rank(request, principal, current.grant)
        for role in form["roles"]:
            check_rank(rank, role, "roles")
        async with db.session(TenantScope.of(current.tenant.id)) as session:
            token, value = await tokens.create_token(
                session, settings.secret_key, name=form["name"], tenant_id=current.tenant.id,
                roles=form["roles"], days=days, created_by=principal.user_id,
            )
            created = {"name": token.name, "value": value, "expires_at": aware(token.expires_at)}
    except UserError as error:
        if not error.fields:
            raise
        if "expires_at" in error.fields:
            error.fields["days"] = error.fields.pop("expires_at")
        errors = FormErrors(error, request_language(request))
        return await page(request, "admin/tokens.html", await _context(request, errors=errors, form=form),
                          status_code=error.status)
    await request.app.state.access.changed()
    return await page(request, "admin/tokens.html", await _context(request, created=created), status_code=201,
                      headers=NO_STORE)


@post("/t/{tenant:str}/admin/tokens/{token_id:str}/revoke", guards=[requires(MANAGE)], media_type=MediaType.HTML,
      status_code=303, name="admin-tokens-revoke")
async def revoke_token(request: Request, token_id: FromPath[str]) -> Response:
    current = await current_tenant(request)
    ident = parse_uuid(token_id)
    db: Database = request.app.state.db
    async with db.session(TenantScope.of(current.tenant.id)) as session:
        token = await session.get(ApiToken, ident)
        if token is None or token.tenant_id != current.tenant.id:  # another unit's token is not found here
            raise UserError("NOT_FOUND", ("Không có khóa API này", "No such API token"))
        await tokens.revoke_token(session, token.id)  # audited by the service
    await request.app.state.access.changed()
    return Redirect(path=f"{tenant_path(current.tenant.key)}/admin/tokens?done=revoke", status_code=303)


ROUTES = [tokens_page, create_token, revoke_token]
