"""Two plugins made for the fault tests, added to the installed ones.

``boom`` fails in every hook a page calls (dashboard, navigation, persons' and households' sections), its
sections after a failed SQL statement (which on PostgreSQL aborts the transaction unless core contains
it). ``steady`` depends on ``boom``, so it runs after it, and answers every hook: its answers must still
show next to the failure.
"""

from __future__ import annotations

from sqlalchemy import text

from core.toolkit import PluginManifest, TenantRef, hookimpl
from core.web.contributions import Figure, NavEntry

STEADY_MARK = "steady-section-7d1f"
STEADY_FIGURE = 424242


def _manifest(name: str, **extra) -> PluginManifest:
    return PluginManifest(name=name, version="1.0.0", title_vi=f"Phân hệ {name}", title_en=f"Plugin {name}", **extra)


class Boom:
    manifest = _manifest("boom")

    @hookimpl
    def wardhub_navigation(self, tenant: TenantRef, lang: str):
        raise RuntimeError("boom: navigation")

    @hookimpl
    async def wardhub_dashboard(self, tenant: TenantRef, session, lang: str):
        await session.execute(text("SELECT no_such_column FROM no_such_table"))

    @hookimpl
    async def wardhub_residents_persons_sections(self, tenant: TenantRef, session, person_ids):
        await session.execute(text("SELECT no_such_column FROM no_such_table"))

    @hookimpl
    async def wardhub_residents_households_sections(self, tenant: TenantRef, session, household_ids):
        raise ZeroDivisionError("boom: households")


def _section(key: str) -> dict:
    return {"key": key, "title_vi": "Ổn định", "title_en": "Steady",
            "items": [{"label_vi": "Dấu", "label_en": "Mark", "value": STEADY_MARK}]}


class Steady:
    manifest = _manifest("steady", depends={"boom": ">=1"})

    @hookimpl
    def wardhub_navigation(self, tenant: TenantRef, lang: str):
        return [NavEntry(label=("Ổn định", "Steady"), url="", order=90)]

    @hookimpl
    async def wardhub_dashboard(self, tenant: TenantRef, session, lang: str):
        value = await session.scalar(text(f"SELECT {STEADY_FIGURE}"))  # fails if boom broke the transaction
        return [Figure(title=("Ổn định", "Steady"), value=value)]

    @hookimpl
    async def wardhub_residents_persons_sections(self, tenant: TenantRef, session, person_ids):
        await session.scalar(text("SELECT 1"))
        return {pid: [_section("person")] for pid in person_ids}

    @hookimpl
    async def wardhub_residents_households_sections(self, tenant: TenantRef, session, household_ids):
        await session.scalar(text("SELECT 1"))
        return {hid: [_section("household")] for hid in household_ids}


EXTRA = (Boom(), Steady())
