"""Plugin discovery, validation, dependency order and per-tenant hook relays."""

from __future__ import annotations

import functools
import inspect
import traceback
from collections.abc import Iterable
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pluggy
import structlog
from packaging.specifiers import SpecifierSet
from packaging.version import Version

import core
from core.plugins import hookspecs
from core.plugins.manifest import ManifestError, PluginManifest

GROUP = "wardhub.plugins"
BUILTIN_DIST = "wardhub"
log = structlog.get_logger("wardhub.plugins")


class PluginError(RuntimeError):
    """A start-up error in the plugin set; the message names the plugin."""


@dataclass(frozen=True, slots=True)
class LoadedPlugin:
    manifest: PluginManifest
    obj: object
    distribution: str | None

    @property
    def name(self) -> str:
        return self.manifest.name


@dataclass(frozen=True, slots=True)
class HookResult:
    plugin: str
    value: Any = None
    error: str | None = None


async def maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


class HookRelay:
    """Hook callers limited to one enabled set: ``relay.wardhub_routes()`` calls only those plugins."""

    def __init__(self, manager: PluginManager, enabled: frozenset[str]) -> None:
        self._manager, self.enabled = manager, enabled
        self._callers: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("wardhub_"):
            raise AttributeError(name)
        caller = self._callers.get(name)
        if caller is None:
            excluded = [p.obj for n, p in self._manager.plugins.items() if n not in self.enabled]
            caller = self._manager.pm.subset_hook_caller(name, excluded)
            self._callers[name] = caller
        return caller


class PluginManager:
    def __init__(self, allowlist: tuple[str, ...] | None = None) -> None:
        self.allowlist = allowlist
        self.pm = pluggy.PluginManager("wardhub")
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, LoadedPlugin] = {}
        self.failed: dict[str, str] = {}
        self._relay = lru_cache(maxsize=1024)(self._make_relay)

    # -- loading -----------------------------------------------------------------------------------
    def discover(self) -> list[EntryPoint]:
        """The entry points to load: WardHub's own plugins, or exactly those the allowlist names.

        Names must be distinct among the selected entry points only: a pip-installed package that is
        not allowed never affects start-up, even when it reuses a plugin's name.
        """
        found = list(entry_points(group=GROUP))
        if self.allowlist is None:
            selected = [ep for ep in found if ep.dist is None or ep.dist.name == BUILTIN_DIST]
        else:
            missing = set(self.allowlist) - {ep.name for ep in found}
            if missing:
                raise PluginError(
                    f"WARDHUB_PLUGINS names plugins that are not installed: {', '.join(sorted(missing))}"
                )
            selected = [ep for ep in found if ep.name in self.allowlist]
        names = [ep.name for ep in selected]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise PluginError(
                "plugin names registered twice: "
                + "; ".join(
                    f"{n!r} by {', '.join(sorted(_dist_name(ep) for ep in selected if ep.name == n))}"
                    for n in duplicates
                )
            )
        return selected

    def load(self, eps: Iterable[EntryPoint] | None = None) -> None:
        """Load, validate and register plugins; raise :class:`PluginError` for a broken plugin set."""
        candidates: dict[str, LoadedPlugin] = {}
        for ep in self.discover() if eps is None else eps:
            try:
                obj = ep.load()
            except Exception as exc:  # a plugin's import error must not take the platform down
                self.failed[ep.name] = f"{type(exc).__name__}: {exc}"
                log.error("plugin_load_failed", plugin=ep.name, error=self.failed[ep.name],
                          traceback=traceback.format_exc(limit=5))
                continue
            if ep.name in candidates:
                raise PluginError(f"plugin {ep.name!r}: given twice")
            candidates[ep.name] = self._checked(ep.name, obj, ep.dist.name if ep.dist else None)
        self.add(candidates.values())

    def _checked(self, ep_name: str, obj: object, dist: str | None) -> LoadedPlugin:
        manifest = getattr(obj, "manifest", None)
        if not isinstance(manifest, PluginManifest):
            raise PluginError(f"plugin {ep_name!r}: has no `manifest` of type PluginManifest")
        try:
            manifest.validate()
        except ManifestError as exc:
            raise PluginError(str(exc)) from exc
        if manifest.name != ep_name:
            raise PluginError(
                f"plugin {ep_name!r}: entry point name differs from manifest name {manifest.name!r}"
            )
        if manifest.requires_core and not _satisfies(core.__version__, manifest.requires_core):
            raise PluginError(
                f"plugin {manifest.name!r}: requires core {manifest.requires_core}, "
                f"this is {core.__version__}"
            )
        return LoadedPlugin(manifest, obj, dist)

    def add(self, loaded: Iterable[LoadedPlugin]) -> None:
        """Register checked plugins, each after its dependencies; on :class:`PluginError` none is added."""
        candidates = {p.name: p for p in loaded}
        for name in candidates:
            if name in self.plugins:
                raise PluginError(f"plugin {name!r}: already loaded")
        for plugin in list(candidates.values()):  # a dependency that failed to load fails its dependents
            self._drop_if_dependency_failed(plugin, candidates)
        for plugin in candidates.values():
            for dep, spec in plugin.manifest.depends.items():
                target = candidates.get(dep) or self.plugins.get(dep)
                if target is None:
                    raise PluginError(
                        f"plugin {plugin.name!r}: depends on {dep!r}, which is not installed or allowed"
                    )
                if not _satisfies(target.manifest.version, spec):
                    raise PluginError(
                        f"plugin {plugin.name!r}: needs {dep} {spec}, found {target.manifest.version}"
                    )
        registered: list[str] = []
        current = "?"
        try:
            for name in _dependency_order(candidates):
                current, plugin = name, candidates[name]
                if plugin.manifest.hookspecs is not None:
                    self.pm.add_hookspecs(plugin.manifest.hookspecs)
                self.pm.register(plugin.obj, name=name)  # checks hook arguments against the specifications
                registered.append(name)
            current = "?"
            self.pm.check_pending()  # hook implementations matching no specification: a misspelt name
        except (pluggy.PluginValidationError, ValueError) as exc:
            if isinstance(exc, pluggy.PluginValidationError):  # pluggy names the object, not our name
                current = next((p.name for p in candidates.values() if p.obj is exc.plugin), current)
            for name in registered:  # leave the manager as it was
                self.pm.unregister(name=name)
            raise PluginError(f"plugin {current!r}: {exc}") from exc
        for name in registered:
            self.plugins[name] = candidates[name]
        self._relay.cache_clear()

    def _fail(self, name: str, reason: str) -> None:
        """Take a registered plugin out after a start-up failure, and the plugins that depend on it."""
        self.failed[name] = reason
        log.error("plugin_load_failed", plugin=name, error=reason)
        self.pm.unregister(name=name)
        del self.plugins[name]
        for other in list(self.plugins):
            if other in self.plugins and name in self.plugins[other].manifest.depends:
                self._fail(other, f"depends on {name!r}, which failed to load")
        self._relay.cache_clear()

    def _drop_if_dependency_failed(self, plugin: LoadedPlugin, candidates: dict[str, LoadedPlugin]) -> None:
        for dep in plugin.manifest.depends:
            if dep in self.failed and plugin.name in candidates:
                self.failed[plugin.name] = f"depends on {dep!r}, which failed to load"
                log.error("plugin_load_failed", plugin=plugin.name, error=self.failed[plugin.name])
                del candidates[plugin.name]
                for other in list(candidates.values()):
                    self._drop_if_dependency_failed(other, candidates)
                return

    # -- queries -----------------------------------------------------------------------------------
    def manifest(self, name: str) -> PluginManifest:
        return self.plugins[name].manifest

    def ordered(self) -> list[str]:
        return list(self.plugins)

    def relay(self, enabled: Iterable[str]) -> HookRelay:
        """Hook callers for an enabled set, cached per distinct set."""
        return self._relay(frozenset(enabled) & frozenset(self.plugins))

    def _make_relay(self, enabled: frozenset[str]) -> HookRelay:
        return HookRelay(self, enabled)

    def _impls(self, hook: str) -> dict[str, Any]:
        """``{plugin: call}``; ``call(**kwargs)`` passes an implementation only the arguments it declares.

        pluggy lets an implementation take a subset of its specification's arguments (``def
        wardhub_tenant_disabled(tenant)``), and passes it just those; so must we.
        """
        return {
            impl.plugin_name: functools.partial(_call_impl, impl.function, tuple(impl.argnames))
            for impl in getattr(self.pm.hook, hook).get_hookimpls()
            if not (impl.wrapper or impl.hookwrapper)
        }

    def collect(self, hook: str) -> dict[str, Any]:
        """Call a start-up hook of every loaded plugin: ``{plugin: result}``.

        A plugin that raises here, or returns an awaitable (nothing can await it at start-up), is taken
        out as if it had failed to import: recorded in :attr:`failed` together with the plugins that
        depend on it, so ``/ready`` reports it while the platform starts with the others.
        """
        impls = self._impls(hook)
        results: dict[str, Any] = {}
        for name in self.ordered():
            if name not in impls or name not in self.plugins:
                continue
            try:
                value = impls[name]()
            except Exception as exc:
                log.error("plugin_hook_failed", plugin=name, hook=hook,
                          traceback=traceback.format_exc(limit=5))
                self._fail(name, f"{hook} raised {type(exc).__name__}: {exc}")
                continue
            if inspect.isawaitable(value):
                if inspect.iscoroutine(value):
                    value.close()  # never to be awaited: close it instead of leaking a warning
                self._fail(name, f"{hook} returned an awaitable; it runs at start-up and must not be async")
                continue
            results[name] = value
        return {name: value for name, value in results.items() if name in self.plugins}

    async def call_each(
        self, hook: str, enabled: Iterable[str] | None = None, **kwargs: Any
    ) -> list[HookResult]:
        """Call ``hook`` plugin by plugin in dependency order, awaiting each; errors are kept per plugin.

        Given a PostgreSQL ``session``, each plugin runs in a savepoint: a failed statement aborts the
        whole transaction there, and would otherwise fail every plugin after it. (Not on SQLite, whose
        driver commits when the outermost savepoint is released, and which aborts nothing on an error.)
        """
        impls = self._impls(hook)
        allowed = set(self.plugins if enabled is None else enabled)
        results = []
        for name in self.ordered():
            if name not in allowed or name not in impls:
                continue
            try:
                async with _savepoint(kwargs.get("session")):
                    value = await maybe_await(impls[name](**kwargs))
            except Exception as exc:
                log.exception("plugin_hook_failed", plugin=name, hook=hook)
                results.append(HookResult(name, error=type(exc).__name__))
                continue
            results.append(HookResult(name, value))
        return results

    async def call_one(self, name: str, hook: str, **kwargs: Any) -> Any:
        """Call one plugin's implementation of ``hook`` (None if it has none); errors propagate."""
        impl = self._impls(hook).get(name)
        return None if impl is None else await maybe_await(impl(**kwargs))


def _dist_name(ep: EntryPoint) -> str:
    return ep.dist.name if ep.dist is not None else f"<{ep.value}>"


def _satisfies(version: str, spec: str) -> bool:
    """Whether an installed ``version`` meets ``spec``, pre-releases included (``0.2.dev1`` meets ``>=0.1``).

    This checks what is installed, as ``pip check`` does, rather than picking what to install: packaging
    before 25 leaves pre-releases out unless asked, which would reject every development build.
    """
    return SpecifierSet(spec).contains(Version(version), prereleases=True)


def _savepoint(session: Any) -> AbstractAsyncContextManager[Any]:
    """A plugin's writes in a hook are kept or undone together, without aborting the others'."""
    if session is not None and hasattr(session, "begin_nested"):
        return session.begin_nested()
    return nullcontext()


def _call_impl(function: Any, argnames: tuple[str, ...], **kwargs: Any) -> Any:
    return function(**{name: kwargs[name] for name in argnames if name in kwargs})


def _dependency_order(candidates: dict[str, LoadedPlugin]) -> list[str]:
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            cycle = [*path[path.index(name):], name]
            raise PluginError(f"plugin {name!r}: dependency cycle {' -> '.join(cycle)}")
        state[name] = "visiting"
        for dep in sorted(candidates[name].manifest.depends):
            if dep in candidates:
                visit(dep, [*path, name])
        state[name] = "done"
        order.append(name)

    for name in sorted(candidates):
        visit(name, [])
    return order
