"""``wardhub users …``, ``wardhub tokens …`` and ``wardhub roles …``.

Passwords are read from standard input, never from the command line (where ``ps`` and shell history
would keep them): typed twice, hidden, on a terminal; the first line otherwise
(``printf '%s\\n' "$PW" | wardhub users add alice``). A token is printed once, on standard output.
"""

from __future__ import annotations

import sys
import uuid

import click

from core.cli import Context, command, main
from core.db.scoping import SYSTEM, TenantScope
from core.errors import UserError, bad_input


def read_password(prompt: str = "Password") -> str:
    if sys.stdin.isatty():
        return click.prompt(prompt, hide_input=True, confirmation_prompt=True)
    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise bad_input("password", "Không đọc được mật khẩu từ stdin", "No password on standard input")
    return password


async def _tenant(ctx: Context, key: str):
    from tenants import registry

    async with ctx.db.session(SYSTEM) as session:
        return await registry.get(session, key, ctx.settings.tenant_scheme)


async def _notify(ctx: Context) -> None:
    from core.access.policy import publish_change

    await publish_change(ctx.settings)


# -- users ----------------------------------------------------------------------------------------
@main.group()
def users() -> None:
    """Accounts (platform-wide)."""


@users.command("add")
@click.argument("username")
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--email")
@click.option("--temporary", is_flag=True, help="The user must change the password at first sign-in.")
@command
async def users_add(username: str, display_name: str, email: str | None, temporary: bool) -> None:
    """Create an account; its password is read from standard input."""
    from core.auth import users as service

    password = read_password()
    ctx = Context()
    try:
        async with ctx.db.session(SYSTEM) as session:
            user = await service.create_user(session, username, password, display_name=display_name, email=email,
                                             must_change_password=temporary)
    finally:
        await ctx.close()
    click.echo(f"added {user.username} ({user.id})")


@users.command("passwd")
@click.argument("username")
@click.option("--temporary", is_flag=True, help="The user must change it at next sign-in.")
@command
async def users_passwd(username: str, temporary: bool) -> None:
    """Set a user's password (read from standard input); every session of the user ends."""
    from core.auth import users as service

    password = read_password("New password")
    ctx = Context()
    try:
        async with ctx.db.session(SYSTEM) as session:
            user = await service.get_by_username(session, username)
            await service.set_password(session, user, password, must_change=temporary)
    finally:
        await ctx.close()
    click.echo(f"password of {user.username} changed; its sessions ended")


@users.command("disable")
@click.argument("username")
@click.option("--enable", is_flag=True, help="Enable the account again.")
@command
async def users_disable(username: str, enable: bool) -> None:
    """Disable an account (its sessions end, its roles stop applying) or enable it again."""
    from core.auth import users as service

    ctx = Context()
    try:
        async with ctx.db.session(SYSTEM) as session:
            user = await service.set_active(session, await service.get_by_username(session, username), enable)
            from core.access.store import bump_version

            await bump_version(session)
        await _notify(ctx)
    finally:
        await ctx.close()
    click.echo(f"{user.username} {'enabled' if enable else 'disabled'}")


@users.command("list")
@command
async def users_list() -> None:
    """List accounts."""
    from sqlalchemy import select

    from core.auth.models import User

    ctx = Context()
    try:
        async with ctx.db.session(SYSTEM) as session:
            rows = (await session.execute(select(User).order_by(User.username))).scalars().all()
    finally:
        await ctx.close()
    for user in rows:
        click.echo(f"{user.username:<30} {'active' if user.is_active else 'disabled':<9} {user.display_name}")


# -- roles ----------------------------------------------------------------------------------------
@main.group()
def roles() -> None:
    """Roles of users in units, and per-unit overrides of what a role may do."""


def _attrs(pairs: tuple[str, ...]) -> dict[str, str]:
    attrs = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise bad_input("attr", f"Thuộc tính dạng khóa=giá trị: {pair!r}", f"Use key=value: {pair!r}")
        attrs[key.strip()] = value.strip()
    return attrs


@roles.command("grant")
@click.argument("username")
@click.argument("role")
@click.option("--tenant", "tenant_key", help="The unit (CODE or SCHEME:CODE); omit for platform-wide.")
@click.option("--attr", "attrs", multiple=True, help="key=value the role is limited to (e.g. household=H1).")
@command
async def roles_grant(username: str, role: str, tenant_key: str | None, attrs: tuple[str, ...]) -> None:
    """Give USERNAME the ROLE in a unit (its units below included)."""
    from core.access import policy
    from core.auth import users as service

    ctx = Context()
    try:
        tenant = await _tenant(ctx, tenant_key) if tenant_key else None
        scope = TenantScope.of(tenant.id) if tenant else SYSTEM
        async with ctx.db.session(scope) as session:
            user = await service.get_by_username(session, username)
            await policy.grant_role(session, user, role, tenant.id if tenant else None, attrs=_attrs(attrs))
        await _notify(ctx)
    finally:
        await ctx.close()
    click.echo(f"{username}: {role} in {tenant.key if tenant else 'every unit'}")


@roles.command("revoke")
@click.argument("username")
@click.argument("role")
@click.option("--tenant", "tenant_key")
@command
async def roles_revoke(username: str, role: str, tenant_key: str | None) -> None:
    """Take ROLE in a unit away from USERNAME."""
    from core.access import policy
    from core.auth import users as service

    ctx = Context()
    try:
        tenant = await _tenant(ctx, tenant_key) if tenant_key else None
        scope = TenantScope.of(tenant.id) if tenant else SYSTEM
        async with ctx.db.session(scope) as session:
            user = await service.get_by_username(session, username)
            removed = await policy.revoke_role(session, user, role, tenant.id if tenant else None)
        await _notify(ctx)
    finally:
        await ctx.close()
    if not removed:
        raise UserError("NOT_FOUND", (f"{username} không giữ vai trò {role} ở đó", f"{username} holds no {role} there"))
    click.echo(f"{username}: {role} revoked")


@roles.command("list")
@click.argument("username")
@command
async def roles_list(username: str) -> None:
    """The roles USERNAME holds, by unit."""
    from core.access import policy
    from core.auth import users as service
    from tenants.models import Tenant

    ctx = Context()
    try:
        async with ctx.db.session(SYSTEM) as session:
            user = await service.get_by_username(session, username)
            for row in await policy.roles_of(session, user.id):
                tenant = await session.get(Tenant, row.tenant_id) if row.tenant_id else None
                extra = " ".join(f"{k}={v}" for k, v in sorted(row.attrs.items()))
                click.echo(f"{row.role:<18} {tenant.key if tenant else '*':<16} {extra}")
    finally:
        await ctx.close()


@roles.command("override")
@click.argument("role")
@click.argument("permission")
@click.option("--tenant", "tenant_key", help="The unit; omit for every unit.")
@click.option("--allow", "effect", flag_value="allow")
@click.option("--deny", "effect", flag_value="deny")
@click.option("--default", "effect", flag_value="default", help="Remove the override: the plugin's default applies.")
@command
async def roles_override(role: str, permission: str, tenant_key: str | None, effect: str | None) -> None:
    """Allow or deny PERMISSION to ROLE in one unit, apart from the plugin's defaults."""
    from core.access import policy
    from core.access.permissions import build_catalog

    if effect is None:
        raise bad_input("effect", "Chọn --allow, --deny hoặc --default", "Choose --allow, --deny or --default")
    ctx = Context()
    try:
        catalog = build_catalog(ctx.plugins.collect("wardhub_permissions"))
        tenant = await _tenant(ctx, tenant_key) if tenant_key else None
        async with ctx.db.session(TenantScope.of(tenant.id) if tenant else SYSTEM) as session:
            await policy.set_override(session, catalog, role, permission, tenant.id if tenant else None,
                                      None if effect == "default" else effect)
        await _notify(ctx)
    finally:
        await ctx.close()
    click.echo(f"{role} {permission} in {tenant.key if tenant else 'every unit'}: {effect}")


# -- tokens ---------------------------------------------------------------------------------------
@main.group()
def tokens() -> None:
    """API tokens for integrators."""


@tokens.command("create")
@click.option("--tenant", "tenant_key", required=True, help="The one unit the token may act in.")
@click.option("--role", "roles_", multiple=True, default=("integrator",), show_default=True)
@click.option("--name", required=True, help="What the token is for (shown in lists and the audit log).")
@click.option("--days", default=90, show_default=True, type=int, help="Days until it expires (at most 366).")
@click.option("--user", "username", help="The account the token acts for (audit log).")
@command
async def tokens_create(tenant_key: str, roles_: tuple[str, ...], name: str, days: int, username: str | None) -> None:
    """Create a token; it is printed once and cannot be shown again."""
    from core.auth import tokens as service
    from core.auth import users as user_service

    ctx = Context()
    try:
        tenant = await _tenant(ctx, tenant_key)
        async with ctx.db.session(SYSTEM) as session:
            user = await user_service.get_by_username(session, username) if username else None
            token, value = await service.create_token(
                session, ctx.settings.secret_key, name=name, tenant_id=tenant.id, roles=roles_, days=days,
                user_id=user.id if user else None,
            )
        await _notify(ctx)
    finally:
        await ctx.close()
    click.echo(f"token {token.id} for {tenant.key} ({', '.join(token.roles)}), expires "
               f"{token.expires_at:%Y-%m-%d}; store it now, it is not shown again:", err=True)
    click.echo(value)


@tokens.command("revoke")
@click.argument("token_id")
@command
async def tokens_revoke(token_id: str) -> None:
    """Revoke a token at once."""
    from core.auth import tokens as service

    try:
        parsed = uuid.UUID(token_id)
    except ValueError:
        raise bad_input("token_id", "Mã khóa API không hợp lệ", "Not a token id") from None
    ctx = Context()
    try:
        async with ctx.db.session(SYSTEM) as session:
            token = await service.revoke_token(session, parsed)
        await _notify(ctx)
    finally:
        await ctx.close()
    click.echo(f"token {token.id} ({token.name}) revoked")


@tokens.command("list")
@click.option("--tenant", "tenant_key")
@command
async def tokens_list(tenant_key: str | None) -> None:
    """List tokens (never their values)."""
    from core.auth import tokens as service
    from core.auth.models import aware
    from core.db.base import utcnow
    from tenants.models import Tenant

    ctx = Context()
    try:
        tenant = await _tenant(ctx, tenant_key) if tenant_key else None
        async with ctx.db.session(SYSTEM) as session:
            rows = await service.list_tokens(session, tenant.id if tenant else None)
            keys = {t.id: t.key for t in [await session.get(Tenant, r.tenant_id) for r in rows] if t}
    finally:
        await ctx.close()
    now = utcnow()
    for row in rows:
        state = "revoked" if row.revoked_at else ("expired" if aware(row.expires_at) <= now else "active")
        used = f"{aware(row.last_used_at):%Y-%m-%d %H:%M}" if row.last_used_at else "never"
        click.echo(f"{row.id}  {row.prefix}…  {keys.get(row.tenant_id, '?'):<14} {state:<8} "
                   f"{','.join(row.roles):<24} used {used:<16} {row.name}")
