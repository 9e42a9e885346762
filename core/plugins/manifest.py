"""A plugin's typed manifest, checked at start-up."""

from __future__ import annotations

import re
from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
SCOPES = frozenset({"ward", "district"})


class ManifestError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class PluginManifest:
    """What a plugin declares about itself. Set it as ``manifest`` on the object the entry point names.

    ``depends`` maps plugin names to version specifiers (``{"residents": ">=0.1"}``); ``scope`` says at
    which levels a tenant may subscribe: ``{"ward"}``, ``{"district"}`` or both (then a ward uses it only
    while its district, or province in the 2-level model, subscribes too). ``migrations`` is the folder of
    the plugin's Alembic branch, labelled with the plugin's name.
    """

    name: str
    version: str
    title_vi: str
    title_en: str
    requires_core: str = ""
    depends: dict[str, str] = field(default_factory=dict)
    scope: frozenset[str] = frozenset({"ward"})
    migrations: Path | None = None
    # A module of @hookspec functions this plugin adds to the contract (e.g. residents asks other plugins
    # for person sections); plugins depending on this one implement them.
    hookspecs: object | None = None
    description_vi: str = ""
    description_en: str = ""

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_vi

    def validate(self) -> None:
        """Raise :class:`ManifestError` with a message naming the plugin and the bad field.

        Types are checked too: a manifest is written by hand, and ``scope="ward"`` or ``version=1.0``
        must be a clear start-up error, not a ``TypeError`` from deep inside the manager.
        """
        who = f"plugin {self.name!r}"
        if not isinstance(self.name, str) or not NAME.match(self.name):
            raise ManifestError(f"{who}: name must match {NAME.pattern}")
        if not isinstance(self.version, str):
            raise ManifestError(f"{who}: version must be a string such as '1.0.0', not {self.version!r}")
        try:
            Version(self.version)
        except InvalidVersion as exc:
            raise ManifestError(f"{who}: version {self.version!r} is not a valid version") from exc
        if not isinstance(self.depends, Mapping):
            raise ManifestError(f"{who}: depends must map plugin names to version specifiers")
        for label, spec in [("requires_core", self.requires_core),
                            *((f"depends[{dep!r}]", spec) for dep, spec in self.depends.items())]:
            if not isinstance(spec, str):
                raise ManifestError(f"{who}: {label} must be a version specifier string, not {spec!r}")
            try:
                SpecifierSet(spec)
            except InvalidSpecifier as exc:
                raise ManifestError(f"{who}: {label} {spec!r} is not a version specifier") from exc
        for dep in self.depends:
            if not isinstance(dep, str) or not NAME.match(dep):
                raise ManifestError(f"{who}: depends names {dep!r}, not a plugin name")
            if dep == self.name:
                raise ManifestError(f"{who}: depends on itself")
        if isinstance(self.scope, str) or not isinstance(self.scope, Set):
            raise ManifestError(f"{who}: scope must be a set such as {{'ward'}}, not {self.scope!r}")
        if not self.scope or not self.scope <= SCOPES:
            raise ManifestError(f"{who}: scope must be a non-empty subset of {sorted(SCOPES)}")
        for label, title in (("title_vi", self.title_vi), ("title_en", self.title_en)):
            if not isinstance(title, str) or not title.strip():
                raise ManifestError(f"{who}: title_vi and title_en are both required ({label} is missing)")
        if self.migrations is not None:
            if not isinstance(self.migrations, str | PathLike):
                raise ManifestError(f"{who}: migrations must be a folder path, not {self.migrations!r}")
            if not Path(self.migrations).is_dir():
                raise ManifestError(f"{who}: migrations folder {self.migrations} does not exist")
