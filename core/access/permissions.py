"""Permissions as data: plugins declare what they guard; core enforces.

A permission is named ``<plugin>.<resource>:<action>`` (``residents.person:read``,
``residents.person.identity:read``). A plugin returns its declarations from the ``wardhub_permissions``
hook; core adds its own (``core.*``). :func:`build_catalog` checks them all at start-up: a bad name, a
name outside the plugin's namespace, an unknown role or a duplicate stops start-up with an error naming
the plugin.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from core.access.roles import BUILT_IN_ROLES
from core.plugins.manager import PluginError

NAME = re.compile(
    r"^(?P<plugin>[a-z][a-z0-9_]*)\.(?P<resource>[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*):(?P<action>[a-z][a-z0-9_]*)$"
)
CORE = "core"


class DeclarationError(PluginError):
    """A permission or row-filter declaration is wrong; the message names the plugin. Stops start-up."""


@dataclass(frozen=True, slots=True)
class Permission:
    """One permission a plugin guards.

    ``grants`` are the built-in roles that hold it by default, in every tenant (a tenant may override
    that). ``sensitive`` marks permissions over personal data whose reads are audited (national ID,
    religion, health…).
    """

    name: str
    title_vi: str
    title_en: str
    grants: frozenset[str] = frozenset()
    sensitive: bool = False
    description_vi: str = ""
    description_en: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "grants", frozenset(self.grants))

    @property
    def plugin(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def obj(self) -> str:
        """The Casbin object: ``<plugin>.<resource>``."""
        return self.name.rsplit(":", 1)[0]

    @property
    def act(self) -> str:
        """The Casbin action."""
        return self.name.rsplit(":", 1)[1]

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_vi


def split(name: str) -> tuple[str, str]:
    """``"hello.greeting:read"`` → ``("hello.greeting", "read")``."""
    obj, _, act = name.rpartition(":")
    return obj, act


CORE_PERMISSIONS: tuple[Permission, ...] = (
    # The change workflow (core.workflow): who proposes, reviews, approves, and sets the number of tiers.
    Permission("core.change:propose", "Đề xuất thay đổi dữ liệu", "Propose changes to records",
               frozenset({"platform_admin", "ward_officer", "neighborhood_head", "resident"})),
    Permission("core.change:review", "Xem xét đề xuất thay đổi", "Review proposed changes",
               frozenset({"platform_admin", "ward_officer"})),
    Permission("core.change:approve", "Phê duyệt đề xuất thay đổi", "Approve proposed changes",
               frozenset({"platform_admin", "ward_chair"})),
    Permission("core.change:configure", "Cấu hình quy trình phê duyệt", "Configure the approval workflow",
               frozenset({"platform_admin", "district_admin", "ward_chair"})),
    Permission("core.audit:read", "Xem nhật ký kiểm toán", "Read the audit log",
               frozenset({"platform_admin", "district_admin", "ward_chair"}), sensitive=True),
    Permission("core.role:grant", "Phân quyền người dùng", "Grant and revoke roles",
               frozenset({"platform_admin", "district_admin", "ward_chair"})),
    Permission("core.token:manage", "Quản lý khóa API", "Create and revoke API tokens",
               frozenset({"platform_admin", "district_admin"})),
    Permission("core.policy:manage", "Điều chỉnh quyền của vai trò", "Override role permissions",
               frozenset({"platform_admin", "district_admin"})),
    Permission("core.user:manage", "Quản lý tài khoản", "Manage user accounts",
               frozenset({"platform_admin"})),
    Permission("core.plugin:manage", "Bật, tắt phân hệ cho đơn vị", "Enable and disable plugins for units",
               frozenset({"platform_admin", "district_admin"})),
)


@dataclass(frozen=True, slots=True)
class PermissionCatalog:
    """Every permission of core and the loaded plugins, checked and indexed."""

    permissions: Mapping[str, Permission] = field(default_factory=dict)
    by_plugin: Mapping[str, tuple[Permission, ...]] = field(default_factory=dict)

    def __contains__(self, name: object) -> bool:
        return name in self.permissions

    def __getitem__(self, name: str) -> Permission:
        return self.permissions[name]

    def __iter__(self):
        return iter(self.permissions.values())

    def __len__(self) -> int:
        return len(self.permissions)

    def of_plugins(self, plugins: Iterable[str]) -> tuple[Permission, ...]:
        out: list[Permission] = list(self.by_plugin.get(CORE, ()))
        for name in plugins:
            if name != CORE:
                out.extend(self.by_plugin.get(name, ()))
        return tuple(out)

    def sensitive(self) -> frozenset[str]:
        return frozenset(p.name for p in self if p.sensitive)


def check_declaration(plugin: str, perm: object) -> Permission:
    who = f"plugin {plugin!r}"
    if not isinstance(perm, Permission):
        raise DeclarationError(f"{who}: wardhub_permissions must return Permission objects, got {perm!r}")
    match = NAME.match(perm.name)
    if not match:
        raise DeclarationError(
            f"{who}: permission {perm.name!r} is not named <plugin>.<resource>:<action> "
            "(lower case letters, digits and _)"
        )
    if match["plugin"] != plugin:
        raise DeclarationError(f"{who}: permission {perm.name!r} must start with {plugin + '.'!r}")
    if not perm.title_vi.strip() or not perm.title_en.strip():
        raise DeclarationError(f"{who}: permission {perm.name!r} needs title_vi and title_en")
    unknown = sorted(perm.grants - set(BUILT_IN_ROLES))
    if unknown:
        raise DeclarationError(f"{who}: permission {perm.name!r} grants unknown roles {', '.join(unknown)}")
    return perm


def build_catalog(declared: Mapping[str, Iterable[Permission] | None]) -> PermissionCatalog:
    """Check every plugin's declarations (``{plugin: [Permission, …]}``) and core's; index them.

    Raises :class:`DeclarationError` naming the plugin on a bad or duplicate declaration.
    """
    permissions: dict[str, Permission] = {}
    by_plugin: dict[str, tuple[Permission, ...]] = {}
    for plugin, perms in [(CORE, CORE_PERMISSIONS), *declared.items()]:
        if plugin == CORE and perms is not CORE_PERMISSIONS:
            raise DeclarationError("a plugin cannot be named 'core'")
        checked = []
        for perm in perms or ():
            perm = check_declaration(plugin, perm)
            if perm.name in permissions:
                raise DeclarationError(f"plugin {plugin!r}: permission {perm.name!r} is declared twice")
            permissions[perm.name] = perm
            checked.append(perm)
        by_plugin[plugin] = tuple(checked)
    return PermissionCatalog(permissions, by_plugin)
