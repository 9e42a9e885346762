"""What a plugin declares through ``wardhub_change_types``: the kinds of change its data accepts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from core.access.permissions import NAME
from core.plugins.manager import PluginError

Validate = Callable[[Any, Any, Mapping[str, Any]], Awaitable[dict[str, Any]] | dict[str, Any]]
Apply = Callable[[Any, Any, Mapping[str, Any]], Awaitable[Any] | Any]


def _version(target: Any) -> int:
    return int(target.version)


@dataclass(frozen=True, slots=True)
class ChangeType:
    """One kind of change a plugin accepts through the approval workflow.

    * ``name``: short, lower case (``person_contact``); requests name it with the plugin's name.
    * ``title_vi`` / ``title_en``: what the inbox shows.
    * ``model``: the mapped class of the target (a tenant-owned table); core loads the target by id.
    * ``resource``: the row-filter resource (``residents.person``) deciding which targets a caller may
      propose for: a resident sees only their household's rows, so proposes only for them.
    * ``validate(session, target, values)``: check and clean the proposed values (raise
      :class:`~core.errors.UserError` with ``BAD_USER_INPUT`` and ``fields``); returns the values to store.
      Called at proposal and again at approval. May be a coroutine function.
    * ``apply(session, target, values)``: make the change, through the plugin's services, inside the
      approval's transaction. Raising rolls the whole approval back. May be a coroutine function.
    * ``version(target)``: the target's current version (default ``target.version``); a change is
      applied only if it is still the version the proposal was made against, else ``CONFLICT``.
    * ``describe(target)`` (optional): what the inbox and the requests page call the target (a person's
      name, a household's code), so a reviewer knows whose record the values are for.
    * ``fields`` (optional): ``{value name: (vi, en)}``, the titles of the proposed values on those pages.
    """

    name: str
    title_vi: str
    title_en: str
    model: type
    resource: str
    validate: Validate
    apply: Apply
    version: Callable[[Any], int] = _version
    describe: Callable[[Any], str] | None = None
    fields: Mapping[str, tuple[str, str]] | None = None

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_vi

    def field_title(self, name: str, lang: str) -> str:
        """The title of a proposed value (its name when the plugin gave none)."""
        pair = (self.fields or {}).get(name)
        return name if pair is None else pair[1] if lang == "en" else pair[0]


class ChangeTypes:
    """Every loaded plugin's change types, keyed ``(plugin, name)``. Lives in ``app.state.change_types``."""

    def __init__(self, declared: Mapping[str, Iterable[ChangeType] | None] | None = None) -> None:
        self.types: dict[tuple[str, str], ChangeType] = {}
        for plugin, items in (declared or {}).items():
            for item in items or ():
                who = f"plugin {plugin!r}"
                if not isinstance(item, ChangeType):
                    raise PluginError(f"{who}: wardhub_change_types must return ChangeType objects, got {item!r}")
                if not NAME.match(f"{plugin}.{item.name}:x") or "." in item.name:
                    raise PluginError(f"{who}: change type {item.name!r} must be lower case letters, digits and _")
                if not item.resource.startswith(plugin + "."):
                    raise PluginError(f"{who}: change type {item.name!r}: resource must start with {plugin + '.'!r}")
                if not item.title_vi.strip() or not item.title_en.strip():
                    raise PluginError(f"{who}: change type {item.name!r} needs title_vi and title_en")
                if not getattr(item.model, "__tenant_owned__", False):
                    raise PluginError(f"{who}: change type {item.name!r}: the target must be a tenant-owned table")
                if (plugin, item.name) in self.types:
                    raise PluginError(f"{who}: change type {item.name!r} is declared twice")
                self.types[(plugin, item.name)] = item

    def get(self, plugin: str, name: str) -> ChangeType | None:
        return self.types.get((plugin, name))

    def __len__(self) -> int:
        return len(self.types)
