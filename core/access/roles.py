"""The built-in roles (DESIGN §4). A user holds roles in tenants; a role held in a district or province
reaches the units below it, never its siblings."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Role:
    name: str
    title_vi: str
    title_en: str

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_vi


BUILT_IN_ROLES: dict[str, Role] = {
    role.name: role
    for role in (
        Role("platform_admin", "Quản trị nền tảng", "Platform administrator"),
        Role("district_admin", "Quản trị cấp huyện/tỉnh", "District administrator"),
        Role("ward_chair", "Chủ tịch UBND phường/xã", "Ward chair"),
        Role("ward_officer", "Cán bộ phường/xã", "Ward officer"),
        Role("neighborhood_head", "Tổ trưởng tổ dân phố", "Neighbourhood head"),
        Role("resident", "Người dân", "Resident"),
        Role("integrator", "Hệ thống tích hợp", "Integrator"),
        Role("lodging_operator", "Cơ sở lưu trú", "Lodging operator"),
    )
}
ROLE_NAMES: tuple[str, ...] = tuple(BUILT_IN_ROLES)
PLATFORM_WIDE_ROLES = frozenset({"platform_admin"})
"""Roles that may also be held platform-wide (no tenant: every unit)."""


def is_role(name: str) -> bool:
    return name in BUILT_IN_ROLES
