"""The plugin developer kit: ``wardhub plugin new NAME`` and ``wardhub plugin migration NAME -m MESSAGE``.

``new_plugin`` writes a separate, installable package from the templates in ``scaffold_template/``
(``*.tmpl`` files; ``__package__`` and ``__name__`` in a path become the import package and the plugin
name; ``@@name@@``, ``@@package@@``, ``@@dist@@``, ``@@root@@``, ``@@Camel@@``, ``@@title_vi@@`` and
``@@title_en@@`` in a file become their values). ``new_migration`` adds a revision at the head of a
plugin's own Alembic branch. Neither needs settings nor a database.
"""

from __future__ import annotations

import ast
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from core.graphql.contribution import root_field_name
from core.plugins.manifest import NAME

TEMPLATES = Path(__file__).parent / "scaffold_template"
SUFFIX = ".tmpl"
RESERVED = frozenset({"core", "tenants", "plugins", "me", "tenant", "workflow", "auth", "static", "api"})


class ScaffoldError(ValueError):
    """A clear, user-facing reason why nothing was written."""


@dataclass(frozen=True, slots=True)
class Names:
    name: str
    title_vi: str
    title_en: str

    @property
    def package(self) -> str:
        return f"wardhub_{self.name}"

    @property
    def dist(self) -> str:
        return f"wardhub-{self.name.replace('_', '-')}"

    @property
    def root(self) -> str:
        return root_field_name(self.name)

    @property
    def camel(self) -> str:
        return "".join(part.capitalize() for part in self.name.split("_"))

    def substitutions(self) -> dict[str, str]:
        return {"@@name@@": self.name, "@@package@@": self.package, "@@dist@@": self.dist, "@@root@@": self.root,
                "@@Camel@@": self.camel, "@@title_vi@@": self.title_vi, "@@title_en@@": self.title_en}


def check_name(name: str) -> str:
    if not NAME.match(name or "") or name.endswith("_") or "__" in name:
        raise ScaffoldError(f"{name!r} is not a plugin name: lower-case letters, digits and single underscores, "
                            f"starting with a letter, 2 to 40 characters (pattern {NAME.pattern})")
    if name in RESERVED:
        raise ScaffoldError(f"{name!r} is reserved by WardHub's core")
    return name


def _check_title(label: str, title: str) -> str:
    title = title.strip()
    if not title or any(c in title for c in '"\\\n\r{}@') or len(title) > 80:
        raise ScaffoldError(f"{label} must be 1 to 80 characters without quotes, backslashes, braces or '@'")
    return title


def new_plugin(name: str, directory: str | Path = ".", *, title_vi: str | None = None,
               title_en: str | None = None) -> Path:
    """Write the package of plugin ``name`` into ``directory/name`` (which must not exist or be empty);
    return that folder. Install it with ``pip install --no-deps -e <folder>``."""
    check_name(name)
    from importlib.metadata import entry_points

    if any(ep.name == name for ep in entry_points(group="wardhub.plugins")):
        raise ScaffoldError(f"a plugin named {name!r} is already installed: plugin names are unique")
    default = name.replace("_", " ").capitalize()
    names = Names(name, _check_title("title_vi", title_vi or default), _check_title("title_en", title_en or default))
    target = Path(directory) / name
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ScaffoldError(f"{target} already exists and is not empty")
    subs = names.substitutions()
    files = sorted(p for p in TEMPLATES.rglob(f"*{SUFFIX}") if p.is_file())
    if not files:
        raise ScaffoldError(f"no templates under {TEMPLATES}: the installation is incomplete")
    for source in files:
        relative = source.relative_to(TEMPLATES).as_posix()[: -len(SUFFIX)]
        relative = relative.replace("__package__", names.package).replace("__name__", name)
        text = source.read_text(encoding="utf-8")
        for token, value in subs.items():
            text = text.replace(token, value)
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(text, encoding="utf-8")
    return target


# -- migrations ---------------------------------------------------------------------------------------
MIGRATION = '''"""{name}: {message}

Revision ID: {revision}
Revises: {down}
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "{revision}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # e.g. op.add_column("{name}_entries", sa.Column("note", sa.String(200), nullable=True))
    # A new tenant-owned table: keep (tenant_id, id) as its key and call core.toolkit.enable_rls(op, table).
    pass


def downgrade() -> None:
    pass
'''


def _revisions(folder: Path) -> dict[str, tuple[str | None, Path]]:
    """``{revision: (down_revision, file)}`` of the migration files in ``folder``."""
    found: dict[str, tuple[str | None, Path]] = {}
    for path in sorted(folder.glob("*.py")):
        values: dict[str, object] = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                    and node.targets[0].id in ("revision", "down_revision")):
                try:
                    values[node.targets[0].id] = ast.literal_eval(node.value)
                except ValueError:
                    continue
        if isinstance(values.get("revision"), str):
            down = values.get("down_revision")
            found[values["revision"]] = (down if isinstance(down, str) else None, path)
    return found


def plugin_migrations(name: str) -> Path:
    """The migrations folder of the installed plugin ``name`` (from its entry point's manifest)."""
    from importlib.metadata import entry_points

    matches = [ep for ep in entry_points(group="wardhub.plugins") if ep.name == name]
    if not matches:
        raise ScaffoldError(f"no installed plugin named {name!r} (pip install --no-deps -e <its folder>, "
                            f"or give its migrations folder with --path)")
    manifest = getattr(matches[0].load(), "manifest", None)
    folder = getattr(manifest, "migrations", None)
    if folder is None:
        raise ScaffoldError(f"plugin {name!r} declares no migrations folder in its manifest")
    return Path(folder)


def _slug(message: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", message.replace("đ", "d").replace("Đ", "D"))
    ascii_text = ascii_text.encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")[:40] or "change"


def new_migration(name: str, message: str, folder: str | Path | None = None) -> Path:
    """Add a revision ``<name>_NNNN`` after the head of the plugin's branch; return the new file."""
    check_name(name)
    message = " ".join(message.split())
    if not message or '"' in message or "\\" in message:
        raise ScaffoldError("the message must be non-empty, without quotes or backslashes")
    folder = Path(folder) if folder is not None else plugin_migrations(name)
    if not folder.is_dir():
        raise ScaffoldError(f"{folder} is not a folder")
    revisions = _revisions(folder)
    if not revisions:
        raise ScaffoldError(f"{folder} holds no revision: the branch starts with `wardhub plugin new`")
    referenced = {down for down, _ in revisions.values() if down}
    heads = sorted(set(revisions) - referenced)
    if len(heads) != 1:
        raise ScaffoldError(f"the branch in {folder} has {len(heads)} heads ({', '.join(heads)}); merge them first")
    numbers = [int(m.group(1)) for r in revisions if (m := re.fullmatch(rf"{re.escape(name)}_(\d+)", r))]
    revision = f"{name}_{max(numbers, default=0) + 1:04d}"
    path = folder / f"{revision}_{_slug(message)}.py"
    path.write_text(MIGRATION.format(name=name, message=message, revision=revision, down=heads[0]),
                    encoding="utf-8")
    return path
