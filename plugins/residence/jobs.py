"""The scheduled expiry job: mark past-due temporary residences and absences ``expired`` in every ward that
has the plugin on, each ward in its own transaction. Idempotent: a second run marks nothing.

Core has no scheduler: the job is a command (contributed through ``wardhub_cli_commands``), for cron, a
systemd timer or any scheduler, with the ``WARDHUB_*`` settings of the app::

    wardhub residence expire                       # every ward with residence on
    wardhub residence expire --tenant current:27139 --dry-run
    # cron, at 00:30 Vietnam time (17:30 UTC):
    30 17 * * *  /srv/wardhub/.venv/bin/wardhub residence expire

(``python -m plugins.residence.jobs expire`` is the same.)

It prints one line per ward (key, rows marked) and exits 1 when a ward failed (the others still ran).
:func:`run_expiry` is the same from Python, :func:`expire_ward` one ward with a session scoped to it. The
job reads the plugin subscriptions and the tenants table, which are core's (not in the toolkit): it is
platform work, not a plugin hook: it finds them with the toolkit's ``tenants_with_plugin``. Its writes are audited
with the actor ``job:residence.expiry``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from typing import Any

import click
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from core.toolkit import (
    SYSTEM,
    Database,
    TenantScope,
    UserError,
    bind_actor,
    load_plugins,
    load_settings,
    tenant_by_key,
    tenants_with_plugin,
)
from plugins.residence import services

PLUGIN = "residence"
ACTOR = "job:residence.expiry"
log = structlog.get_logger("wardhub.residence.jobs")


async def expire_ward(session: AsyncSession, *, today: date | None = None, dry_run: bool = False) -> int:
    """Mark one ward's past-due registrations (a session scoped to that ward); returns how many."""
    return await services.mark_expired(session, today=today, dry_run=dry_run)


class ExpiryReport(dict[str, int]):
    """``{ward key: rows marked}`` for the wards that ran; ``failed`` (key → error) the wards whose
    transaction failed and was rolled back; ``skipped`` the keys asked for that are not wards with the
    plugin on."""

    def __init__(self) -> None:
        super().__init__()
        self.failed: dict[str, str] = {}
        self.skipped: list[str] = []


async def run_expiry(settings: Any = None, *, manager: Any = None, database: Any = None, today: date | None = None,
                     only: list[str] | None = None, dry_run: bool = False) -> ExpiryReport:
    """Run the job over every ward with the plugin enabled now (subscriptions and the district cascade
    applied), or over the wards of ``only`` (keys ``CODE`` or ``SCHEME:CODE``) among them."""
    settings = settings or load_settings()
    manager = manager or load_plugins(settings)
    own = database is None
    database = database or Database(settings)
    report = ExpiryReport()
    try:
        async with database.session(SYSTEM) as session:
            wards = await tenants_with_plugin(session, PLUGIN, manager)
            if only is not None:
                enabled, wanted = {w.id for w in wards}, set()
                for key in only:
                    try:
                        unit = (await tenant_by_key(session, key)).id
                    except UserError:  # an unknown unit: reported, the others still run
                        unit = None
                    if unit in enabled:
                        wanted.add(unit)
                    else:
                        report.skipped.append(key)
                wards = [w for w in wards if w.id in wanted]
        for ward in wards:
            try:
                async with database.session(TenantScope.of(ward.id)) as session:
                    report[ward.key] = await expire_ward(session, today=today, dry_run=dry_run)
            except Exception as exc:  # one ward's failure (rolled back) does not stop the others
                log.exception("residence_expiry_failed", tenant=ward.key)
                report.failed[ward.key] = f"{type(exc).__name__}: {exc}"
    finally:
        if own:
            await database.dispose()
    return report


def main(argv: list[str] | None = None, *, settings: Any = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m plugins.residence.jobs",
                                     description="Scheduled work of the residence plugin.")
    commands = parser.add_subparsers(dest="command")
    expire = commands.add_parser("expire", help="mark past-due temporary residences and absences expired")
    for target in (parser, expire):
        target.add_argument("--tenant", action="append", metavar="KEY",
                            help="only this ward (CODE or SCHEME:CODE); may be repeated")
        target.add_argument("--today", type=date.fromisoformat, help="the day to judge by (default: today in Vietnam)")
        target.add_argument("--dry-run", action="store_true", help="count without marking")
    args = parser.parse_args(argv)
    return expire_and_report(settings, today=args.today, only=args.tenant, dry_run=args.dry_run)


def expire_and_report(settings: Any = None, *, today: date | None, only: list[str] | None, dry_run: bool) -> int:
    """Run the job and print one line per ward and a summary; the exit code (1 when a ward failed)."""
    bind_actor(None, ACTOR)
    report = asyncio.run(run_expiry(settings, today=today, only=only, dry_run=dry_run))
    for key, marked in report.items():
        print(f"{key}\t{marked}")
    for key, error in report.failed.items():
        print(f"{key}\tFAILED {error}", file=sys.stderr)
    for key in report.skipped:
        print(f"{key}\tskipped: not a ward with residence enabled", file=sys.stderr)
    verb = "would mark" if dry_run else "marked"
    print(f"residence expiry: {sum(report.values())} {verb} in {len(report)} wards"
          + (f", {len(report.failed)} failed" if report.failed else ""))
    return 1 if report.failed else 0


@click.group(name=PLUGIN)
def commands() -> None:
    """Residence (cư trú): scheduled work."""


@commands.command("expire")
@click.option("--tenant", "only", multiple=True, metavar="KEY", help="only this ward (CODE or SCHEME:CODE); repeatable")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="the day to judge by (default: today in Vietnam)")
@click.option("--dry-run", is_flag=True, help="count without marking")
def expire_command(only: tuple[str, ...], today: Any, dry_run: bool) -> None:
    """Mark past-due temporary residences and absences expired in every ward with residence on (cron)."""
    code = expire_and_report(today=today.date() if today else None, only=list(only) or None, dry_run=dry_run)
    raise SystemExit(code)


if __name__ == "__main__":
    raise SystemExit(main())
