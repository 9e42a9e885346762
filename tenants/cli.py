"""``wardhub tenants export`` and ``wardhub plugins purge``: data lifecycle commands."""

from __future__ import annotations

import json

import click

from core.cli import Context, command, plugins, tenants


@tenants.command("export")
@click.argument("key")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="File to write (default: stdout).")
@command
async def tenants_export(key: str, output: str | None) -> None:
    """Export everything every plugin holds for the unit KEY, as JSON."""
    from tenants.lifecycle import export_tenant

    ctx = Context()
    try:
        data = await export_tenant(ctx.db, ctx.plugins, key)
    finally:
        await ctx.close()
    text = json.dumps(data, ensure_ascii=False, indent=1)
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        click.echo(text)


@plugins.command("purge")
@click.argument("tenant_key")
@click.argument("plugin")
@click.option("--yes", is_flag=True, help="Confirm: this deletes the plugin's data for the unit.")
@command
async def plugins_purge(tenant_key: str, plugin: str, yes: bool) -> None:
    """Delete PLUGIN's data for the unit TENANT_KEY (audited; disabling a plugin never does this)."""
    from tenants.lifecycle import purge_plugin_data

    if not yes:
        raise click.UsageError("purging deletes data: add --yes to confirm")
    ctx = Context()
    try:
        deleted = await purge_plugin_data(ctx.db, ctx.plugins, tenant_key, plugin)
    finally:
        await ctx.close()
    click.echo(f"{tenant_key}: {plugin}: {deleted} rows deleted")
