"""Alembic, driven from code: a ``core`` branch plus one branch per loaded plugin."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from core.db.engine import make_engine
from core.db.rls import ensure_app_role
from core.settings import Settings

HERE = Path(__file__).parent / "migrations"


def alembic_config(plugin_dirs: Iterable[Path] = ()) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    locations = [str(HERE / "versions"), *(str(Path(d)) for d in plugin_dirs)]
    cfg.set_main_option("version_locations", " ".join(locations))
    cfg.set_main_option("path_separator", "space")
    return cfg


def heads(plugin_dirs: Iterable[Path] = ()) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(plugin_dirs)).get_heads())


def current(conn: Connection) -> set[str]:
    return set(MigrationContext.configure(conn).get_current_heads())


async def upgrade(settings: Settings, plugin_dirs: Iterable[Path] = ()) -> dict[str, object]:
    """Apply every pending migration (idempotent); on PostgreSQL also create and grant the app role."""
    cfg = alembic_config(plugin_dirs)
    engine = make_engine(settings.migration_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            before = await conn.run_sync(current)

            def _run(sync_conn: Connection) -> None:
                cfg.attributes["connection"] = sync_conn
                command.upgrade(cfg, "heads")

            await conn.run_sync(_run)
            after = await conn.run_sync(current)
            role = None
            if conn.dialect.name == "postgresql":
                role = await conn.run_sync(ensure_app_role, settings.database_url, settings.migration_url)
    finally:
        await engine.dispose()
    return {"before": sorted(before), "after": sorted(after), "app_role": role}


def applied_closure(script: ScriptDirectory, applied: set[str]) -> set[str]:
    """The applied revisions and everything they stand on (down revisions and ``depends_on``).

    Revisions unknown to the loaded scripts (a plugin that is installed but failed to load) are skipped.
    """
    known = []
    for revision in applied:
        try:
            if script.get_revision(revision) is not None:
                known.append(revision)
        except Exception:  # alembic raises several kinds for an unknown id
            continue
    return {rev.revision for rev in script.revision_map.iterate_revisions(known, "base", select_for_downgrade=True)}


async def is_current(conn_engine, plugin_dirs: Iterable[Path] = ()) -> bool:
    """Every head of core and the loaded plugins is applied, directly or beneath an applied revision (a
    plugin branch may depend on core's head, and alembic then records only the plugin's). A plugin that
    is installed but failed to load keeps its applied branch: that makes the platform degraded, not
    unmigrated — provided its branch depends on a core revision below core's head, as the built-in
    plugins' branches do (otherwise alembic records core's head only through that branch)."""
    dirs = list(plugin_dirs)
    async with conn_engine.connect() as conn:
        applied = await conn.run_sync(current)
    script = ScriptDirectory.from_config(alembic_config(dirs))
    return set(script.get_heads()) <= applied_closure(script, applied)
