"""``wardhub plugin new`` and ``wardhub plugin migration``: the developer kit's commands.

They join the ``plugins`` group (list, enable, disable, purge), which also answers to ``plugin``: one group,
so that ``wardhub plugin enable`` and ``wardhub plugins new`` work too and nobody has to remember which
spelling holds which command.
"""

from __future__ import annotations

import sys

import click

from core.cli import main, plugins
from core.plugins.scaffold import ScaffoldError, new_migration, new_plugin

main.add_command(plugins, name="plugin")


@plugins.command("new")
@click.argument("name")
@click.option("--dir", "directory", default=".", show_default=True, type=click.Path(file_okay=False),
              help="Folder in which the package folder NAME is created.")
@click.option("--title-vi", help="Vietnamese title (default: from NAME).")
@click.option("--title-en", help="English title (default: from NAME).")
def plugin_new(name: str, directory: str, title_vi: str | None, title_en: str | None) -> None:
    """Scaffold plugin NAME as an installable package whose tests pass as generated."""
    try:
        target = new_plugin(name, directory, title_vi=title_vi, title_en=title_en)
    except ScaffoldError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(f"created {target}\n"
               f"next: pip install --no-deps -e {target} && python -m pytest -q {target / 'tests'}")


@plugins.command("migration")
@click.argument("name")
@click.option("-m", "--message", required=True, help="What the migration does.")
@click.option("--path", "folder", type=click.Path(file_okay=False),
              help="The plugin's migrations folder (default: from the installed plugin's manifest).")
def plugin_migration(name: str, message: str, folder: str | None) -> None:
    """Add a migration at the head of plugin NAME's Alembic branch."""
    try:
        path = new_migration(name, message, folder)
    except ScaffoldError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(f"created {path}")
