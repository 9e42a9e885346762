"""The scheduled expiry job: mark past-due temporary residences and absences ``expired`` in every ward that
has the plugin on, each ward in its own transaction. Idempotent: a second run marks nothing.

Call :func:`run_expiry` from any scheduler (cron, systemd timer, a worker) — no CLI needed::

    python -m plugins.residence.jobs            # WARDHUB_* settings from the environment

or :func:`expire_ward` for one ward with a session scoped to it. The job reads the plugin subscriptions and
the tenants table, which are core's (not in the toolkit): it is platform work, not a plugin hook.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.toolkit import TenantScope, plugin_enabled
from plugins.residence import services

PLUGIN = "residence"


async def expire_ward(session: AsyncSession, *, today: date | None = None) -> int:
    """Mark one ward's past-due registrations (a session scoped to that ward); returns how many."""
    return await services.mark_expired(session, today=today)


async def run_expiry(settings: Any = None, *, manager: Any = None, database: Any = None,
                     today: date | None = None) -> dict[str, int]:
    """Run the job over every ward with the plugin enabled now; returns ``{ward key: rows marked}``."""
    from core.app import load_plugins
    from core.db.engine import Database
    from core.db.scoping import SYSTEM
    from core.settings import load_settings
    from tenants.models import PluginSubscription, Tenant

    settings = settings or load_settings()
    manager = manager or load_plugins(settings)
    own = database is None
    database = database or Database(settings)
    marked: dict[str, int] = {}
    try:
        async with database.session(SYSTEM) as session:
            candidates = (await session.execute(
                select(Tenant).join(PluginSubscription, PluginSubscription.tenant_id == Tenant.id)
                .where(PluginSubscription.plugin == PLUGIN, PluginSubscription.enabled.is_(True),
                       Tenant.status == "active").order_by(Tenant.code))).scalars().all()
            wards = [t.ref() for t in candidates if await plugin_enabled(session, t.ref(), PLUGIN, manager)]
        for ward in wards:
            async with database.session(TenantScope.of(ward.id)) as session:
                marked[ward.key] = await expire_ward(session, today=today)
    finally:
        if own:
            await database.dispose()
    return marked


def main() -> None:
    result = asyncio.run(run_expiry())
    print(f"residence expiry: {sum(result.values())} marked in {len(result)} wards")


if __name__ == "__main__":
    main()
