"""Template lookup: the tenant's override, then the plugin's template, then core's.

One name space of template names. ``base.html``, ``dashboard.html`` and ``errors/error.html`` are core's
(``core/web/templates``); ``hello/greetings.html`` belongs to the plugin ``hello``, whose
``wardhub_templates`` hook names a folder holding ``hello/…``: a plugin only ever answers names under its
own name, so it cannot replace core's layout or another plugin's pages for every tenant. A name is
looked up, first match wins:

1. ``{WARDHUB_TEMPLATE_OVERRIDES}/{tenant key}/{name}``: a tenant's own version of any template, core's or a
   plugin's (``current:26734/base.html``, ``current:26734/hello/greetings.html``);
2. the plugin's folder, for a name under the plugin's name;
3. core's folder.

``{% extends %}`` and ``{% include %}`` go through the same lookup, so a tenant that overrides
``base.html`` gets it under every page. Tenants without an override folder share one Jinja environment
(one compiled-template cache); each tenant with one gets its own, made on first use.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    select_autoescape,
)

CORE_TEMPLATES = Path(__file__).parent / "templates"
# Tenant keys as folder names: "scheme:code"; nothing that could climb out of the overrides folder.
SAFE_KEY = re.compile(r"^[a-z]+:[A-Za-z0-9_.-]+$")


class Templates:
    """Jinja environments over the core, plugin and tenant-override folders."""

    def __init__(
        self,
        core_dir: Path = CORE_TEMPLATES,
        plugin_dirs: Mapping[str, Path] | None = None,
        overrides: Path | None = None,
        *,
        auto_reload: bool = False,
        globals: Mapping[str, Any] | None = None,
    ) -> None:
        self.core_dir = Path(core_dir)
        self.plugin_dirs = {name: Path(folder) for name, folder in (plugin_dirs or {}).items()}
        self.overrides = Path(overrides) if overrides else None
        self.auto_reload = auto_reload
        self.globals = dict(globals or {})
        loaders: list[BaseLoader] = []
        if self.plugin_dirs:
            loaders.append(PrefixLoader({
                name: FileSystemLoader(folder / name) for name, folder in self.plugin_dirs.items()
            }))
        loaders.append(FileSystemLoader(self.core_dir))
        self._shared_loader = ChoiceLoader(loaders)
        self.shared = self._environment(self._shared_loader)
        self._tenant_envs: dict[str, Environment] = {}
        self._lock = threading.Lock()

    def _environment(self, loader: BaseLoader) -> Environment:
        env = Environment(
            loader=loader,
            autoescape=select_autoescape(("html", "svg", "xml"), default_for_string=True),
            undefined=StrictUndefined,
            auto_reload=self.auto_reload,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.globals.update(self.globals)
        return env

    def override_dir(self, tenant_key: str | None) -> Path | None:
        """The tenant's override folder, when overrides are configured and the tenant has one."""
        if self.overrides is None or not tenant_key or not SAFE_KEY.match(tenant_key):
            return None
        folder = self.overrides / tenant_key
        return folder if folder.is_dir() else None

    def environment(self, tenant_key: str | None = None) -> Environment:
        """The environment for a tenant: its own if it has an override folder, else the shared one."""
        folder = self.override_dir(tenant_key)
        if folder is None:
            return self.shared
        env = self._tenant_envs.get(tenant_key)  # type: ignore[arg-type]
        if env is None:
            with self._lock:
                env = self._tenant_envs.get(tenant_key)  # type: ignore[arg-type]
                if env is None:
                    env = self._environment(ChoiceLoader([FileSystemLoader(folder), self._shared_loader]))
                    self._tenant_envs[tenant_key] = env  # type: ignore[index]
        return env

    def render(self, name: str, context: Mapping[str, Any], tenant_key: str | None = None) -> str:
        return self.environment(tenant_key).get_template(name).render(context)

    def names(self) -> list[str]:
        """Every template name that core and the plugins ship (not the overrides)."""
        return sorted(set(self._shared_loader.list_templates()))

    def source_files(self) -> list[tuple[str, Path]]:
        """``(owner, file)`` for each template core and the plugins ship: ``owner`` is ``core`` or a plugin."""
        files = [("core", p) for p in sorted(self.core_dir.rglob("*")) if p.is_file()]
        for name, folder in self.plugin_dirs.items():
            files += [(name, p) for p in sorted((folder / name).rglob("*")) if p.is_file()]
        return files
