"""Who holds which role in a unit: ``GET /t/{tenant}/admin/roles``, ``POST …/admin/roles`` (grant) and
``POST …/admin/roles/revoke``.

Needs ``core.role:grant`` in the unit, and, like the GraphQL admin mutations, nobody grants (or takes
away) a role ranked above the highest role they hold there: such a request is refused on the role field.
Thin over :mod:`core.access.policy`, which records each change in the unit's audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import MediaType, Request, Response, get, post
from litestar.response import Redirect
from sqlalchemy import select

from core.access import policy
from core.access.guards import requires
from core.access.models import RoleAssignment
from core.access.roles import BUILT_IN_ROLES
from core.auth import users
from core.auth.models import User, aware
from core.db.engine import Database
from core.db.scoping import SYSTEM, TenantScope
from core.errors import UserError
from core.web.admin.common import (
    FormErrors,
    check_rank,
    current_tenant,
    field_error,
    form_data,
    grantable_roles,
    held_rank,
    page,
    text,
)
from core.web.auth import authenticate
from core.web.i18n import request_language
from core.web.ui import tenant_path

GRANT = "core.role:grant"


@dataclass
class Holder:
    username: str
    display_name: str
    role: str
    role_title: str
    neighborhood: str
    granted_at: datetime | None
    active: bool
    revocable: bool


async def holders(request: Request, tenant_id, lang: str, rank: int) -> list[Holder]:
    db: Database = request.app.state.db
    async with db.session(SYSTEM) as session:
        rows = (await session.execute(
            select(RoleAssignment, User).join(User, User.id == RoleAssignment.user_id)
            .where(RoleAssignment.tenant_id == tenant_id).order_by(User.username, RoleAssignment.role)
        )).all()
    return [
        Holder(username=user.username, display_name=user.display_name, role=row.role,
               role_title=BUILT_IN_ROLES[row.role].title(lang) if row.role in BUILT_IN_ROLES else row.role,
               neighborhood=str((row.attrs or {}).get("neighborhood", "")), granted_at=aware(row.created_at),
               active=user.is_active, revocable=rank >= _rank(row.role))
        for row, user in rows
    ]


def _rank(role: str) -> int:
    from core.graphql.admin import RANK

    return RANK.get(role, 99)


async def _context(request: Request, errors: FormErrors | None = None, form: dict[str, Any] | None = None,
                   done: str | None = None) -> dict[str, Any]:
    current = await current_tenant(request)
    principal = await authenticate(request)
    lang = request_language(request)
    rank = held_rank(request, principal, current.grant)
    context: dict[str, Any] = {
        "holders": await holders(request, current.tenant.id, lang, rank),
        "roles": [(name, BUILT_IN_ROLES[name].title(lang)) for name in grantable_roles(rank)],
        "base": tenant_path(current.tenant.key),
        "form": form or {"username": "", "role": "", "neighborhood": ""},
        "done": done,
    }
    if errors is not None:
        context["errors"] = errors
    return context


@get("/t/{tenant:str}/admin/roles", guards=[requires(GRANT)], media_type=MediaType.HTML, name="admin-roles")
async def roles_page(request: Request) -> Response:
    done = request.query_params.get("done")
    return await page(request, "admin/roles.html",
                      await _context(request, done=done if done in ("grant", "revoke") else None))


async def _change(request: Request, grant: bool) -> Response:
    current = await current_tenant(request)
    principal = await authenticate(request)
    data = await form_data(request)
    form = {"username": text(data, "username", 80), "role": text(data, "role", 40),
            "neighborhood": text(data, "neighborhood", 200)}
    db: Database = request.app.state.db
    try:
        problems: dict = {}
        code = "BAD_USER_INPUT"
        if not form["username"]:
            problems["username"] = ("Nhập tên đăng nhập", "Enter a username")
        try:
            check_rank(held_rank(request, principal, current.grant), form["role"])
        except UserError as refused:  # both fields' errors at once
            problems.update(refused.fields)
            code = refused.code
        if problems:
            raise UserError(code, next(iter(problems.values())), problems)
        attrs = {"neighborhood": form["neighborhood"]} if form["neighborhood"] else None
        async with db.session(TenantScope.of(current.tenant.id)) as session:
            try:
                user = await users.get_by_username(session, form["username"])
            except UserError as missing:
                raise field_error("username", missing.message) from None
            if grant:
                await policy.grant_role(session, user, form["role"], current.tenant.id, attrs=attrs,
                                        granted_by=principal.user_id)
            elif not await policy.revoke_role(session, user, form["role"], current.tenant.id):
                raise field_error("role", ("Người này không giữ vai trò đó ở đơn vị này",
                                           "This person does not hold that role in this unit"))
    except UserError as error:
        if error.code not in ("BAD_USER_INPUT", "FORBIDDEN", "CONFLICT", "NOT_FOUND") or not error.fields:
            raise
        errors = FormErrors(error, request_language(request))
        return await page(request, "admin/roles.html", await _context(request, errors, form if grant else None),
                          status_code=error.status)
    await request.app.state.access.changed()
    action = "grant" if grant else "revoke"
    return Redirect(path=f"{tenant_path(current.tenant.key)}/admin/roles?done={action}", status_code=303)


@post("/t/{tenant:str}/admin/roles", guards=[requires(GRANT)], media_type=MediaType.HTML, status_code=303,
      name="admin-roles-grant")
async def grant_role(request: Request) -> Response:
    return await _change(request, True)


@post("/t/{tenant:str}/admin/roles/revoke", guards=[requires(GRANT)], media_type=MediaType.HTML, status_code=303,
      name="admin-roles-revoke")
async def revoke_role(request: Request) -> Response:
    return await _change(request, False)


ROUTES = [roles_page, grant_role, revoke_role]
