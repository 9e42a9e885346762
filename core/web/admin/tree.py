"""The tree of units a person may see: ``GET /admin/units`` (``?unit=`` opens one, ``?q=`` searches).

A person sees the units where they hold a role and every unit below them (province → district or
commune → ward), never a sibling's; a platform administrator sees them all. The search ignores case and
Vietnamese diacritics (``xuan hoa`` finds ``Phường Xuân Hòa``) and matches codes too. With htmx the results
replace themselves as one types; without it the form is an ordinary GET.

Each unit links to its dashboard and to the admin pages the person's roles there allow (the pages check
again: a per-unit override may still refuse).
"""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass, field

from litestar import MediaType, Request, Response, get
from sqlalchemy import select

from core.access.models import RoleAssignment
from core.access.permissions import PermissionCatalog
from core.db.engine import Database
from core.db.scoping import SYSTEM
from core.web.admin.common import console_guard, is_htmx, is_platform_admin, page, signed_in_user
from core.web.auth import authenticate
from core.web.ui import tenant_path

MAX_RESULTS = 50
LINKS = (  # (permission, path under /t/{unit}/, message id)
    ("core.plugin:manage", "admin/plugins", "admin.nav.plugins"),
    ("core.role:grant", "admin/roles", "admin.nav.roles"),
    ("core.token:manage", "admin/tokens", "admin.nav.tokens"),
    ("core.audit:read", "admin/audit", "admin.nav.audit"),
)


@dataclass
class Unit:
    id: uuid.UUID
    key: str
    name: str
    level: str
    parent_id: uuid.UUID | None
    search: str  # name, code and codename folded for matching


@dataclass
class UnitView:
    key: str
    name: str
    level: str
    url: str
    path: list[str] = field(default_factory=list)  # the names above it, top first
    links: list[tuple[str, str]] = field(default_factory=list)  # (url, message id)
    children: int = 0
    open_url: str = ""


def fold(value: str) -> str:
    """Lower case without diacritics: ``Đường Hòa`` → ``duong hoa``."""
    value = value.lower().replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", value)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).replace("_", " ").split())


class Visible:
    """The units a person may see, with the roles reaching each."""

    def __init__(self, units: dict[uuid.UUID, Unit], reach: dict[uuid.UUID, frozenset[str]] | None,
                 catalog: PermissionCatalog) -> None:
        self.units = units
        self.reach = reach  # None: a platform administrator, every role everywhere
        self.catalog = catalog
        self.children: dict[uuid.UUID | None, list[Unit]] = {}
        for unit in sorted(units.values(), key=lambda u: (fold(u.name), u.key)):
            self.children.setdefault(unit.parent_id, []).append(unit)

    def may(self, unit: Unit, permission: str) -> bool:
        if self.reach is None:
            return True
        roles = self.reach.get(unit.id, frozenset())
        return permission in self.catalog and bool(roles & self.catalog[permission].grants)

    def roots(self) -> list[Unit]:
        return [u for u in self.units.values() if u.parent_id not in self.units] if self.units else []

    def path(self, unit: Unit) -> list[str]:
        names, parent = [], unit.parent_id
        while parent in self.units and len(names) < 5:
            names.append(self.units[parent].name)
            parent = self.units[parent].parent_id
        return names[::-1]

    def view(self, unit: Unit) -> UnitView:
        base = tenant_path(unit.key)
        links = [(f"{base}/{path}", label) for permission, path, label in LINKS if self.may(unit, permission)]
        return UnitView(unit.key, unit.name, unit.level, f"{base}/", self.path(unit), links,
                        len(self.children.get(unit.id, ())), f"/admin/units?unit={unit.key}")


async def visible_units(request: Request) -> Visible:
    from tenants.models import Tenant

    principal = signed_in_user(await authenticate(request))
    db: Database = request.app.state.db
    catalog: PermissionCatalog = request.app.state.permissions
    columns = (Tenant.id, Tenant.scheme, Tenant.code, Tenant.name, Tenant.level, Tenant.parent_id, Tenant.codename)

    def unit(row) -> Unit:
        key = f"{row.scheme}:{row.code}"
        return Unit(row.id, key, row.name, row.level, row.parent_id, fold(f"{row.name} {key} {row.codename or ''}"))

    async with db.session(SYSTEM) as session:
        if is_platform_admin(request, principal):
            rows = (await session.execute(select(*columns).where(Tenant.status == "active"))).all()
            return Visible({r.id: unit(r) for r in rows}, None, catalog)
        held: dict[uuid.UUID, set[str]] = {}
        for tenant_id, role in (await session.execute(
            select(RoleAssignment.tenant_id, RoleAssignment.role)
            .where(RoleAssignment.user_id == principal.id, RoleAssignment.tenant_id.is_not(None))
        )).all():
            held.setdefault(tenant_id, set()).add(role)
        units: dict[uuid.UUID, Unit] = {}
        reach: dict[uuid.UUID, frozenset[str]] = {}
        frontier = [r for r in (await session.execute(
            select(*columns).where(Tenant.id.in_(list(held)), Tenant.status == "active"))).all()]
        for row in frontier:
            units[row.id] = unit(row)
        for _level in range(4):  # province → district → ward, at most
            if not frontier:
                break
            ids = [r.id for r in frontier]
            frontier = [r for r in (await session.execute(
                select(*columns).where(Tenant.parent_id.in_(ids), Tenant.status == "active"))).all()
                if r.id not in units]
            for row in frontier:
                units[row.id] = unit(row)
    # the roles reaching a unit: those held there and in every unit above it
    for found in sorted(units.values(), key=lambda u: {"province": 0, "district": 1}.get(u.level, 2)):
        above = reach.get(found.parent_id, frozenset()) if found.parent_id else frozenset()
        reach[found.id] = above | frozenset(held.get(found.id, ()))
    return Visible(units, reach, catalog)


@get("/admin/units", guards=[console_guard], media_type=MediaType.HTML, name="admin-units")
async def units_page(request: Request) -> Response:
    """The units one may see: the top ones with their children, one opened unit, or search results."""
    visible = await visible_units(request)
    q = (request.query_params.get("q") or "").strip()[:80]
    opened_key = (request.query_params.get("unit") or "").strip()
    opened = next((u for u in visible.units.values() if u.key == opened_key), None) if opened_key else None
    results: list[UnitView] | None = None
    more = False
    if q:
        term = fold(q)
        matches = [u for u in visible.units.values() if term in u.search]
        matches.sort(key=lambda u: ({"province": 0, "district": 1}.get(u.level, 2), fold(u.name)))
        results, more = [visible.view(u) for u in matches[:MAX_RESULTS]], len(matches) > MAX_RESULTS
    if opened is not None:
        groups = [(visible.view(opened), [visible.view(c) for c in visible.children.get(opened.id, ())])]
    else:
        roots = sorted(visible.roots(), key=lambda u: fold(u.name))
        big = len(roots) > 10  # a platform administrator: the provinces only, each opens on its own
        groups = [(visible.view(r), [] if big else [visible.view(c) for c in visible.children.get(r.id, ())])
                  for r in roots]
    context = {"q": q, "results": results, "more": more, "groups": groups,
               "opened": visible.view(opened) if opened else None, "unknown_unit": bool(opened_key and not opened)}
    if is_htmx(request) and request.headers.get("hx-target") == "unit-results":
        return await page(request, "admin/_unit_results.html", context)
    return await page(request, "admin/units.html", context)


ROUTES = [units_page]
