"""Accounts (platform-wide): ``GET /admin/users`` (search, pages), ``POST /admin/users`` (create),
``POST /admin/users/{id}/disable|enable`` and ``POST /admin/users/{id}/temporary-password``.

Needs ``core.user:manage`` held platform-wide. A new account, and an account whose password an
administrator resets, gets a temporary password shown once on the answer to that post, which its holder
must change at the first sign-in; a reset or a disable ends the account's sessions. Accounts are platform
rows, not any unit's, so these changes go to the structured log (``wardhub.admin``), not a unit's audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from litestar import MediaType, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy import func, or_, select

from core.access.guards import requires
from core.auth import users
from core.auth.models import User, aware
from core.db.engine import Database
from core.db.scoping import SYSTEM
from core.errors import UserError
from core.web.admin.common import NO_STORE, FormErrors, field_error, form_data, page, parse_uuid, text
from core.web.auth import authenticate
from core.web.i18n import request_language

log = structlog.get_logger("wardhub.admin")
MANAGE = "core.user:manage"
PAGE = 50


@dataclass
class UserRow:
    id: str
    username: str
    display_name: str
    email: str
    active: bool
    must_change_password: bool
    last_login_at: datetime | None
    is_self: bool


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def _context(request: Request, **extra: Any) -> dict[str, Any]:
    principal = await authenticate(request)
    q = (request.query_params.get("q") or "").strip()[:80]
    try:
        number = max(1, int(request.query_params.get("page") or 1))
    except ValueError:
        number = 1
    db: Database = request.app.state.db
    query = select(User)
    if q:
        pattern = _like(q.lower())
        query = query.where(or_(func.lower(User.username).like(pattern, escape="\\"),
                                func.lower(User.display_name).like(pattern, escape="\\")))
    async with db.session(SYSTEM) as session:
        total = await session.scalar(select(func.count()).select_from(query.subquery()))
        found = (await session.execute(query.order_by(User.username).offset((number - 1) * PAGE).limit(PAGE))).scalars()
        rows = [UserRow(str(u.id), u.username, u.display_name, u.email or "", u.is_active, u.must_change_password,
                        aware(u.last_login_at), u.id == principal.id) for u in found]
    context: dict[str, Any] = {
        "users": rows, "q": q, "page_number": number, "total": total or 0,
        "has_next": number * PAGE < (total or 0), "has_previous": number > 1,
        "form": {"username": "", "display_name": "", "email": ""}, "issued": None, "done": None,
    }
    context.update(extra)
    return context


@get("/admin/users", guards=[requires(MANAGE)], media_type=MediaType.HTML, name="admin-users")
async def users_page(request: Request) -> Response:
    done = request.query_params.get("done")
    return await page(request, "admin/users.html",
                      await _context(request, done=done if done in ("disable", "enable") else None))


@post("/admin/users", guards=[requires(MANAGE)], media_type=MediaType.HTML, status_code=201, name="admin-users-create")
async def create_user(request: Request) -> Response:
    data = await form_data(request)
    form = {"username": text(data, "username", 100), "display_name": text(data, "display_name", 200),
            "email": text(data, "email", 300)}
    password = text(data, "password", 200)
    db: Database = request.app.state.db
    try:
        async with db.session(SYSTEM) as session:
            user = await users.create_user(session, form["username"], None, display_name=form["display_name"],
                                           email=form["email"] or None)
            temporary = await users.reset_password(session, user, password or None)
            username = user.username
    except UserError as error:
        if error.code == "CONFLICT":
            error = field_error("username", error.message, "CONFLICT")
        if not error.fields:
            raise
        errors = FormErrors(error, request_language(request))
        return await page(request, "admin/users.html", await _context(request, errors=errors, form=form),
                          status_code=error.status)
    log.info("admin_user_created", username=username)
    return await page(request, "admin/users.html",
                      await _context(request, issued={"username": username, "password": temporary, "new": True}),
                      status_code=201, headers=NO_STORE)


async def _target(session, user_id: str) -> User:
    user = await session.get(User, parse_uuid(user_id))
    if user is None:
        raise UserError("NOT_FOUND", ("Không có tài khoản này", "No such account"))
    return user


@post("/admin/users/{user_id:str}/{action:str}", guards=[requires(MANAGE)], media_type=MediaType.HTML,
      status_code=303, name="admin-users-action")
async def user_action(request: Request, user_id: FromPath[str], action: FromPath[str]) -> Response:
    """``disable``, ``enable`` or ``temporary-password`` (answers with the new password, once)."""
    principal = await authenticate(request)
    if action not in ("disable", "enable", "temporary-password"):
        raise UserError("NOT_FOUND", ("Không có thao tác này", "No such action"))
    db: Database = request.app.state.db
    async with db.session(SYSTEM) as session:
        user = await _target(session, user_id)
        if action != "enable" and user.id == principal.id:
            raise UserError("BAD_USER_INPUT", ("Không thể tự khóa hoặc đặt lại mật khẩu của chính mình ở đây",
                                               "You cannot disable yourself or reset your own password here"))
        if action == "temporary-password":
            temporary = await users.reset_password(session, user)
        else:
            await users.set_active(session, user, action == "enable")
        username = user.username
    log.info(f"admin_user_{action.replace('-', '_')}", username=username)
    if action == "temporary-password":
        return await page(request, "admin/users.html",
                          await _context(request, issued={"username": username, "password": temporary, "new": False}),
                          status_code=200, headers=NO_STORE)
    return Redirect(path=f"/admin/users?done={action}", status_code=303)


ROUTES = [users_page, create_user, user_action]
