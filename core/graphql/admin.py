"""Core administration through GraphQL: ``me``, and mutations to register units, switch plugins for a
unit, create users, grant and revoke roles, and create and revoke API tokens.

Each mutation checks the caller's permission in the unit it changes (a district admin reaches its
wards through the hierarchy, never a sibling's), and nobody hands out more than they hold: a role can
only be granted (or put on a token) by someone holding, in that unit, a role of at least its rank.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry.types import Info

from core.access.enforcer import AccessGrant, chain_of
from core.errors import UserError, bad_input

# Who outranks whom when handing out roles (equal rank may grant its own role).
RANK = {
    "platform_admin": 5, "district_admin": 4, "ward_chair": 3, "ward_officer": 2, "neighborhood_head": 1,
    "resident": 1, "integrator": 1, "lodging_operator": 1,
}


@strawberry.type
class RoleHeld:
    role: str
    tenant_key: str | None
    tenant_name: str | None
    attrs: strawberry.scalars.JSON


@strawberry.type
class Me:
    kind: str
    username: str
    display_name: str
    tenant_key: str | None = strawberry.field(description="The one unit an API token is bound to.")
    roles: list[RoleHeld]
    permissions: list[str] = strawberry.field(description="Permissions held in the unit chosen with X-Tenant.")


def _principal(info: Info):
    return info.context.request.state.get("wardhub_principal")


async def me(info: Info) -> Me | None:
    from core.access.policy import roles_of
    from core.auth.models import ApiToken, User
    from tenants.models import Tenant

    principal = _principal(info)
    if principal is None:
        return None
    session = info.context.session
    current = info.context.tenant
    permissions = sorted(current.grant.permissions) if current is not None and current.allowed else []
    if principal.is_token:
        token = await session.get(ApiToken, principal.id)
        tenant = await session.get(Tenant, token.tenant_id)
        held = [RoleHeld(role=r, tenant_key=tenant.key, tenant_name=tenant.name, attrs={}) for r in token.roles]
        return Me(kind="token", username=token.name, display_name=token.name, tenant_key=tenant.key, roles=held,
                  permissions=permissions)
    user = await session.get(User, principal.id)
    held = []
    for assignment in await roles_of(session, user.id):
        tenant = await session.get(Tenant, assignment.tenant_id) if assignment.tenant_id else None
        held.append(RoleHeld(role=assignment.role, tenant_key=tenant.key if tenant else None,
                             tenant_name=tenant.name if tenant else None, attrs=assignment.attrs or {}))
    return Me(kind="user", username=user.username, display_name=user.display_name, tenant_key=None, roles=held,
              permissions=permissions)


async def _unit(info: Info, key: str):
    from tenants import registry

    return await registry.get(info.context.session, key, info.context.request.app.state.settings.tenant_scheme)


async def _grant_in(info: Info, tenant) -> AccessGrant:
    """The caller's grant in ``tenant`` (any unit, not only the one of X-Tenant)."""
    from tenants import registry, subscriptions

    principal = _principal(info)
    if principal is None:
        raise UserError("UNAUTHENTICATED", ("Cần đăng nhập", "Sign-in required"))
    if principal.must_change_password:
        raise UserError("FORBIDDEN", ("Hãy đổi mật khẩu tạm thời trước", "Change your temporary password first"))
    app = info.context.request.app
    session = info.context.session
    chain = chain_of([tenant.id, *(a.id for a in await registry.ancestors(session, tenant))])
    plugins = await subscriptions.effective_plugins(session, tenant, app.state.plugins)
    if principal.is_token and principal.tenant_id != tenant.id:
        return AccessGrant(chain[0])
    return app.state.access.grant(principal.subject, chain, plugins)


async def _require(info: Info, tenant, permission: str) -> AccessGrant:
    grant = await _grant_in(info, tenant)
    if permission not in grant.permissions:
        raise UserError("FORBIDDEN", (f"Bạn không có quyền {permission} tại {tenant.name}",
                                      f"You lack the permission {permission} in {tenant.name}"))
    return grant


def _platform_admin(info: Info) -> bool:
    from core.access.guards import platform_grant

    return "platform_admin" in platform_grant(info.context.request, _principal(info)).roles


def _check_rank(grant: AccessGrant, roles: list[str], info: Info) -> None:
    held = max((RANK.get(r, 0) for r in grant.roles), default=0)
    if _platform_admin(info):
        held = RANK["platform_admin"]
    for role in roles:
        if role not in RANK:
            raise bad_input("role", f"Không có vai trò {role!r}", f"No role named {role!r}")
        if RANK[role] > held:
            raise UserError("FORBIDDEN", (f"Bạn không thể trao vai trò {role}", f"You cannot hand out the role {role}"))


def _after_commit(info: Info) -> None:
    access = info.context.request.app.state.access
    info.context.after_commit.append(access.changed)


# -- payloads and inputs ---------------------------------------------------------------------------
@strawberry.input
class RegisterTenantInput:
    code: str
    name: str
    level: str
    parent: str | None = None


@strawberry.type
class TenantPayload:
    key: str
    name: str
    level: str


@strawberry.input
class PluginSwitchInput:
    tenant: str
    plugin: str


@strawberry.type
class PluginSwitchPayload:
    tenant: str
    enabled_plugins: list[str]


@strawberry.input
class CreateUserInput:
    username: str
    password: str
    display_name: str = ""
    email: str | None = None


@strawberry.type
class UserPayload:
    id: uuid.UUID
    username: str


@strawberry.input
class RoleInput:
    username: str
    role: str
    tenant: str
    attrs: strawberry.scalars.JSON | None = None


@strawberry.type
class RolePayload:
    username: str
    role: str
    tenant: str
    held: bool


@strawberry.input
class CreateTokenInput:
    name: str
    roles: list[str]
    days: int = 90


@strawberry.type
class TokenPayload:
    id: uuid.UUID
    name: str
    tenant: str
    roles: list[str]
    expires_at: datetime
    token: str | None = strawberry.field(default=None, description="Shown once, at creation.")


@strawberry.input
class RevokeTokenInput:
    id: uuid.UUID


# -- mutations -------------------------------------------------------------------------------------
@strawberry.mutation(description="Add a unit by hand (platform administrators).")
async def register_tenant(info: Info, input: RegisterTenantInput) -> TenantPayload:
    from tenants import registry

    if not _platform_admin(info):
        raise UserError("FORBIDDEN", ("Chỉ quản trị nền tảng được thêm đơn vị",
                                      "Only platform administrators add units"))
    parent = await _unit(info, input.parent) if input.parent else None
    tenant = await registry.add_unit(info.context.session, scheme="local", code=input.code, level=input.level,
                                     name=input.name, parent=parent)
    return TenantPayload(key=tenant.key, name=tenant.name, level=tenant.level)


async def _switch(info: Info, data: PluginSwitchInput, enable: bool) -> PluginSwitchPayload:
    from core.db.scoping import TenantScope
    from tenants import registry, subscriptions

    tenant = await _unit(info, data.tenant)
    await _require(info, tenant, "core.plugin:manage")
    app = info.context.request.app
    # the plugin's own enabled/disabled hook writes tenant rows: scope the request's transaction to that unit
    async with info.context.session.exclusive(TenantScope.of(tenant.id)) as session:
        row = await registry.get(session, tenant.key)
        change = subscriptions.enable if enable else subscriptions.disable
        effective = await change(session, row, data.plugin, app.state.plugins)
    return PluginSwitchPayload(tenant=tenant.key, enabled_plugins=sorted(effective))


@strawberry.mutation(description="Enable a plugin for a unit (takes effect on the next request).")
async def enable_plugin(info: Info, input: PluginSwitchInput) -> PluginSwitchPayload:
    return await _switch(info, input, True)


@strawberry.mutation(description="Disable a plugin for a unit; its data is kept.")
async def disable_plugin(info: Info, input: PluginSwitchInput) -> PluginSwitchPayload:
    return await _switch(info, input, False)


@strawberry.mutation(description="Create an account (platform administrators).")
async def create_user(info: Info, input: CreateUserInput) -> UserPayload:
    from core.auth.users import create_user as create

    if not _platform_admin(info):
        raise UserError("FORBIDDEN", ("Chỉ quản trị nền tảng được tạo tài khoản",
                                      "Only platform administrators create accounts"))
    user = await create(info.context.session, input.username, input.password, display_name=input.display_name,
                        email=input.email)
    return UserPayload(id=user.id, username=user.username)


async def _role(info: Info, data: RoleInput, grant: bool) -> RolePayload:
    from core.access.policy import grant_role as give
    from core.access.policy import revoke_role as take
    from core.auth.users import get_by_username

    tenant = await _unit(info, data.tenant)
    caller = await _require(info, tenant, "core.role:grant")
    _check_rank(caller, [data.role], info)
    user = await get_by_username(info.context.session, data.username)
    if grant:
        await give(info.context.session, user, data.role, tenant.id, attrs=data.attrs,
                   granted_by=_principal(info).user_id)
        held = True
    else:
        await take(info.context.session, user, data.role, tenant.id)
        held = False
    _after_commit(info)
    return RolePayload(username=user.username, role=data.role, tenant=tenant.key, held=held)


@strawberry.mutation(description="Give a user a role in a unit.")
async def grant_role(info: Info, input: RoleInput) -> RolePayload:
    return await _role(info, input, True)


@strawberry.mutation(description="Take a role in a unit away from a user.")
async def revoke_role(info: Info, input: RoleInput) -> RolePayload:
    return await _role(info, input, False)


@strawberry.mutation(description="Create an API token bound to the unit of X-Tenant; the token is shown once.")
async def create_token(info: Info, input: CreateTokenInput) -> TokenPayload:
    from core.auth.tokens import create_token as create

    current = info.context.tenant
    if current is None:
        raise bad_input("tenant", "Chọn đơn vị bằng tiêu đề X-Tenant", "Choose the unit with the X-Tenant header")
    tenant = await _unit(info, current.tenant.key)
    caller = await _require(info, tenant, "core.token:manage")
    _check_rank(caller, list(input.roles), info)
    settings = info.context.request.app.state.settings
    token, value = await create(info.context.session, settings.secret_key, name=input.name, tenant_id=tenant.id,
                                roles=list(input.roles), days=input.days, created_by=_principal(info).user_id)
    _after_commit(info)
    return TokenPayload(id=token.id, name=token.name, tenant=tenant.key, roles=list(token.roles),
                        expires_at=token.expires_at, token=value)


@strawberry.mutation(description="Revoke an API token at once.")
async def revoke_token(info: Info, input: RevokeTokenInput) -> TokenPayload:
    from core.auth.models import ApiToken
    from core.auth.tokens import revoke_token as revoke
    from tenants.models import Tenant

    token = await info.context.session.get(ApiToken, input.id)
    if token is None:
        raise UserError("NOT_FOUND", ("Không có khóa API này", "No such API token"))
    tenant = await info.context.session.get(Tenant, token.tenant_id)
    await _require(info, tenant, "core.token:manage")
    token = await revoke(info.context.session, token.id)
    _after_commit(info)
    return TokenPayload(id=token.id, name=token.name, tenant=tenant.key, roles=list(token.roles),
                        expires_at=token.expires_at)


MUTATIONS = [register_tenant, enable_plugin, disable_plugin, create_user, grant_role, revoke_role, create_token,
             revoke_token]
