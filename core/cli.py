"""The ``wardhub`` command: database, tenants, plugins, demo data and the server."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from core.db.scoping import SYSTEM, TenantScope
from core.errors import UserError, pick
from core.plugins.manager import PluginError
from core.settings import SettingsError, load_settings


def _lang() -> str:
    return "en" if os.environ.get("WARDHUB_LANG", os.environ.get("LANG", "vi")).startswith("en") else "vi"


def command(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run an async command with settings and plugins loaded; print client errors without a trace."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return asyncio.run(fn(*args, **kwargs))
        except UserError as exc:
            click.echo(f"{exc.code}: {pick(exc.message, _lang())}", err=True)
            for name, msg in exc.fields.items():
                click.echo(f"  {name}: {pick(msg, _lang())}", err=True)
            sys.exit(2)
        except (SettingsError, PluginError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)

    return wrapper


class Context:
    def __init__(self) -> None:
        from core.app import load_plugins
        from core.audit import bind_actor
        from core.db.engine import Database
        from core.logging import configure_logging

        self.settings = load_settings()
        configure_logging(self.settings.with_(log_level="WARNING"))
        bind_actor(None, f"cli:{os.environ.get('USER', 'unknown')}")
        self.plugins = load_plugins(self.settings)
        self.db = Database(self.settings)

    async def close(self) -> None:
        await self.db.dispose()


class WardHubCommands(click.Group):
    """Core's commands, then the loaded plugins' (``wardhub_cli_commands``), read on first use."""

    _from_plugins: dict[str, click.Command] | None = None

    def _plugin_commands(self) -> dict[str, click.Command]:
        if self._from_plugins is None:
            self._from_plugins = {}
            try:
                from core.app import load_plugins

                manager = load_plugins(load_settings())
            except (SettingsError, PluginError):  # core's commands still run, and say what is wrong
                return self._from_plugins
            for plugin, commands in manager.collect("wardhub_cli_commands").items():
                for cmd in commands or ():
                    if cmd.name in self.commands or cmd.name in self._from_plugins:
                        raise click.ClickException(f"plugin {plugin}: command {cmd.name!r} is already taken")
                    self._from_plugins[cmd.name] = cmd
        return self._from_plugins

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *sorted(self._plugin_commands())]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return super().get_command(ctx, name) or self._plugin_commands().get(name)


@click.group(cls=WardHubCommands)
def main() -> None:
    """WardHub: administration software for Vietnam's wards and communes."""


# -- db -------------------------------------------------------------------------------------------
@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@command
async def db_upgrade() -> None:
    """Apply pending migrations of core and every loaded plugin (idempotent)."""
    from core.app import load_plugins, migration_dirs
    from core.db import migrate

    settings = load_settings()
    report = await migrate.upgrade(settings, migration_dirs(load_plugins(settings)))
    changed = report["before"] != report["after"]
    click.echo(f"database {'upgraded' if changed else 'already current'}: {', '.join(report['after'])}")


# -- tenants --------------------------------------------------------------------------------------
@main.group()
def tenants() -> None:
    """Administrative units (tenants)."""


@tenants.command("import-official")
@click.option("--legacy", is_flag=True, help="The 3-level model before 1 July 2025 (63/696/10,051).")
@command
async def tenants_import(legacy: bool) -> None:
    """Load official units (current 2-level model: 34 provinces, 3,321 communes) idempotently."""
    from tenants import registry

    ctx = Context()
    try:
        async with ctx.db.session(SYSTEM) as session:
            report = await registry.import_official(session, "legacy" if legacy else "current")
    finally:
        await ctx.close()
    click.echo(
        f"{report.scheme}: {report.total} units, {report.inserted} inserted, {report.updated} updated, "
        f"{report.unchanged} unchanged in {report.seconds:.2f}s"
    )


@tenants.command("add")
@click.option("--code", required=True)
@click.option("--name", required=True)
@click.option("--level", type=click.Choice(["province", "district", "ward"]), required=True)
@click.option("--parent", "parent_key", help="Unit above, as CODE or SCHEME:CODE.")
@click.option("--scheme", default="local", show_default=True, type=click.Choice(["local", "current", "legacy"]))
@command
async def tenants_add(code: str, name: str, level: str, parent_key: str | None, scheme: str) -> None:
    """Add a unit by hand (e.g. a district-like level under the 2-level model)."""
    from tenants import registry

    ctx = Context()
    try:
        async with ctx.db.session(SYSTEM) as session:
            parent = await registry.get(session, parent_key, ctx.settings.tenant_scheme) if parent_key else None
            tenant = await registry.add_unit(session, scheme=scheme, code=code, level=level, name=name, parent=parent)
            click.echo(f"added {tenant.key} {tenant.name}")
    finally:
        await ctx.close()


@tenants.command("list")
@click.option("--parent", "parent_key")
@click.option("--level", type=click.Choice(["province", "district", "ward"]))
@click.option("--json", "as_json", is_flag=True)
@command
async def tenants_list(parent_key: str | None, level: str | None, as_json: bool) -> None:
    """List units, optionally those under one unit or of one level."""
    from sqlalchemy import select

    from tenants import registry
    from tenants.models import Tenant

    ctx = Context()
    try:
        async with ctx.db.session(SYSTEM) as session:
            query = select(Tenant).order_by(Tenant.scheme, Tenant.code)
            if parent_key:
                parent = await registry.get(session, parent_key, ctx.settings.tenant_scheme)
                query = query.where(Tenant.parent_id == parent.id)
            if level:
                query = query.where(Tenant.level == level)
            rows = (await session.execute(query)).scalars().all()
    finally:
        await ctx.close()
    if as_json:
        click.echo(json.dumps([{"key": t.key, "level": t.level, "name": t.name, "status": t.status} for t in rows],
                              ensure_ascii=False))
        return
    for t in rows:
        click.echo(f"{t.key:<16} {t.level:<9} {t.status:<7} {t.name}")


@tenants.command("rename")
@click.argument("key")
@click.argument("name")
@command
async def tenants_rename(key: str, name: str) -> None:
    """Rename a unit."""
    from tenants import registry

    ctx = Context()
    try:
        async with ctx.db.session(SYSTEM) as session:
            tenant = await registry.rename(session, await registry.get(session, key, ctx.settings.tenant_scheme), name)
            click.echo(f"renamed {tenant.key}: {tenant.name}")
    finally:
        await ctx.close()


@tenants.command("move")
@click.argument("key")
@click.option("--parent", "parent_key", required=True)
@command
async def tenants_move(key: str, parent_key: str) -> None:
    """Put a unit under another (e.g. wards under a district added by hand)."""
    from tenants import registry

    ctx = Context()
    try:
        async with ctx.db.session(SYSTEM) as session:
            scheme = ctx.settings.tenant_scheme
            tenant = await registry.get(session, key, scheme)
            await registry.move(session, tenant, await registry.get(session, parent_key, scheme))
            click.echo(f"moved {tenant.key} under {parent_key}")
    finally:
        await ctx.close()


@tenants.command("merge")
@click.argument("source")
@click.argument("target")
@click.option("--note")
@command
async def tenants_merge(source: str, target: str, note: str | None) -> None:
    """Merge SOURCE into TARGET: its data, sub-units and subscriptions move; lineage is kept."""
    from tenants import registry

    ctx = Context()
    try:
        moved = await registry.merge(ctx.db, source, target, note, ctx.plugins)
    finally:
        await ctx.close()
    click.echo(f"merged {source} into {target}: " + (", ".join(f"{k}={v}" for k, v in moved.items()) or "no rows"))


# -- plugins --------------------------------------------------------------------------------------
@main.group()
def plugins() -> None:
    """Plugins and tenant subscriptions."""


@plugins.command("list")
@click.option("--tenant", "tenant_key", help="Show which plugins this unit uses.")
@command
async def plugins_list(tenant_key: str | None) -> None:
    """List loaded plugins (and failed ones), or the plugins a unit uses."""
    from tenants import registry, subscriptions

    ctx = Context()
    try:
        enabled: frozenset[str] | None = None
        if tenant_key:
            async with ctx.db.session(SYSTEM) as session:
                tenant = await registry.get(session, tenant_key, ctx.settings.tenant_scheme)
                enabled = await subscriptions.effective_plugins(session, tenant, ctx.plugins)
    finally:
        await ctx.close()
    for name, plugin in ctx.plugins.plugins.items():
        m = plugin.manifest
        state = "" if enabled is None else ("enabled " if name in enabled else "disabled")
        click.echo(f"{name:<20} {m.version:<8} {state} {m.title(_lang())}")
    for name, error in ctx.plugins.failed.items():
        click.echo(f"{name:<20} FAILED   {error}")


async def _subscription(tenant_key: str, plugin: str, enable: bool) -> frozenset[str]:
    from tenants import registry, subscriptions

    ctx = Context()
    try:
        async with ctx.db.session(SYSTEM) as session:
            tenant = await registry.get(session, tenant_key, ctx.settings.tenant_scheme)
        async with ctx.db.session(TenantScope.of(tenant.id)) as session:
            tenant = await registry.get(session, tenant_key, ctx.settings.tenant_scheme)
            change = subscriptions.enable if enable else subscriptions.disable
            return await change(session, tenant, plugin, ctx.plugins)
    finally:
        await ctx.close()


@plugins.command("enable")
@click.argument("tenant_key")
@click.argument("plugin")
@command
async def plugins_enable(tenant_key: str, plugin: str) -> None:
    """Enable PLUGIN for the unit TENANT_KEY (at run time; no restart)."""
    effective = await _subscription(tenant_key, plugin, True)
    click.echo(f"{tenant_key}: {', '.join(sorted(effective)) or '-'}")


@plugins.command("disable")
@click.argument("tenant_key")
@click.argument("plugin")
@command
async def plugins_disable(tenant_key: str, plugin: str) -> None:
    """Disable PLUGIN for the unit TENANT_KEY; its data is kept."""
    effective = await _subscription(tenant_key, plugin, False)
    click.echo(f"{tenant_key}: {', '.join(sorted(effective)) or '-'}")


# -- demo and server ------------------------------------------------------------------------------
@main.command("demo")
@command
async def demo() -> None:
    """Load the official units and a demo ward with every loaded plugin enabled (idempotent)."""
    from core.demo import load_demo

    ctx = Context()
    try:
        summary = await load_demo(ctx.db, ctx.plugins)
    finally:
        await ctx.close()
    click.echo(summary)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the app with uvicorn."""
    import uvicorn

    try:
        load_settings()
    except SettingsError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    uvicorn.run("core.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="warning", proxy_headers=True)


def _register_platform_commands() -> None:
    import core.auth.cli  # noqa: F401  (users, roles, tokens)
    import tenants.cli  # noqa: F401  (tenants export, plugins purge)
    from core.plugins import scaffold_cli  # noqa: F401  (plugin new, plugin migration; `plugin` = `plugins`)


_register_platform_commands()
