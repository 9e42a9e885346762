"""The plugin manager (DESIGN §3, issue 2 item 5): discovery, manifests, dependency order, start-up
errors, load failures, per-tenant relays and per-plugin hook calls.

Scenarios use real modules under ``tests/kernel/fake_plugins`` and real ``EntryPoint`` objects; the
discovery tests use the installed third-party ``hello`` plugin and distributions written to a
temporary ``sys.path`` entry, found by ``importlib.metadata`` exactly as pip-installed ones are.
"""

from __future__ import annotations

import sys
import uuid
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

import core
from core.app import create_app, load_plugins
from core.db.scoping import TenantScope
from core.plugins.context import TenantRef
from core.plugins.manager import GROUP, HookRelay, HookResult, PluginError, PluginManager, maybe_await
from core.plugins.manifest import ManifestError, PluginManifest
from core.settings import Settings
from tenants.models import Tenant

FAKE = "tests.kernel.fake_plugins"
WARD = TenantRef(id=uuid.uuid4(), scheme="current", code="26734", level="ward", name="Phường Bến Nghé")


def ep(name: str, target: str | None = None) -> EntryPoint:
    """An entry point ``name`` for ``fake_plugins.catalog:<name>`` or for ``target`` (module[:attr])."""
    value = f"{FAKE}.{target}" if target else f"{FAKE}.catalog:{name}"
    return EntryPoint(name=name, value=value, group=GROUP)


def hello_ep() -> EntryPoint:
    return entry_points(group=GROUP)["hello"]


def installed_eps(names: tuple[str, ...] | None, *, instead: dict[str, EntryPoint] | None = None) -> list[EntryPoint]:
    """The real entry points of the installed plugins ``names``, some replaced by test ones."""
    instead = instead or {}
    return [instead.get(e.name, e) for e in entry_points(group=GROUP) if e.name in (names or ())]


def loaded(*eps: EntryPoint) -> PluginManager:
    manager = PluginManager()
    manager.load(eps)
    return manager


def abc() -> PluginManager:
    """alpha (sync hooks), beta (async, needs alpha), gamma (raises in export, needs both)."""
    return loaded(ep("gamma"), ep("alpha", "alpha"), ep("beta"))


def registered_names(manager: PluginManager) -> list[str]:
    return [name for name, _ in manager.pm.list_name_plugin()]


def install_distribution(root: Path, name: str, plugins: dict[str, str]) -> None:
    """Write an installed distribution (dist-info with entry points), as pip would."""
    info = root / f"{name.replace('-', '_')}-9.9.9.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 9.9.9\n")
    lines = "".join(f"{plugin} = {target}\n" for plugin, target in plugins.items())
    (info / "entry_points.txt").write_text(f"[{GROUP}]\n{lines}")


# -- discovery and the allowlist ---------------------------------------------------------------------
def test_default_allowlist_loads_only_wardhub_plugins_not_the_installed_third_party_one():
    assert "hello" in {e.name for e in entry_points(group=GROUP)}  # pip-installed, found by entry point
    manager = PluginManager()
    assert manager.allowlist is None
    discovered = manager.discover()
    assert "hello" not in {e.name for e in discovered}
    assert all(e.dist is not None and e.dist.name == "wardhub" for e in discovered)
    manager.load()
    assert "hello" not in manager.plugins
    assert manager.failed == {}
    assert load_plugins(Settings(plugins=None)).plugins.keys() == manager.plugins.keys()


def test_explicit_allowlist_loads_the_third_party_plugin_through_its_entry_point():
    manager = PluginManager(("hello",))
    manager.load()
    assert manager.ordered() == ["hello"]
    plugin = manager.plugins["hello"]
    assert plugin.distribution == "wardhub-hello-test"
    assert plugin.obj is sys.modules["wardhub_hello.plugin"]
    assert plugin.manifest.title("en") == "Greetings" and plugin.manifest.title("vi") == "Lời chào"
    assert manager.collect("wardhub_routes")["hello"]  # its hooks are registered with pluggy
    assert load_plugins(Settings(plugins=("hello",))).ordered() == ["hello"]


def test_empty_allowlist_loads_nothing():
    manager = PluginManager(())
    manager.load()
    assert manager.plugins == {} and manager.failed == {}


def test_allowlist_naming_an_uninstalled_plugin_is_a_clear_error():
    manager = PluginManager(("hello", "ghost", "phantom"))
    with pytest.raises(PluginError) as excinfo:
        manager.load()
    message = str(excinfo.value)
    assert "WARDHUB_PLUGINS" in message and "ghost, phantom" in message and "hello" not in message
    assert manager.plugins == {}


def test_builtin_plugins_load_by_default_and_unlisted_packages_are_never_imported(tmp_path, monkeypatch):
    """A distribution named ``wardhub`` (written first on sys.path, so it is the one found) ships
    alpha and beta; a pip-installed ``rogue`` package's plugin would explode if it were even imported."""
    install_distribution(tmp_path, "wardhub", {"alpha": f"{FAKE}.alpha", "beta": f"{FAKE}.catalog:beta"})
    install_distribution(tmp_path, "rogue-plugins", {"rogue": f"{FAKE}.explodes"})
    monkeypatch.syspath_prepend(str(tmp_path))
    manager = PluginManager()
    manager.load()
    assert manager.ordered() == ["alpha", "beta"]
    assert {p.distribution for p in manager.plugins.values()} == {"wardhub"}
    assert manager.failed == {}  # rogue was not imported at all
    allowed = PluginManager(("rogue",))
    allowed.load()  # named in the allowlist: imported, and its failure reported
    assert allowed.plugins == {} and "cannot reach the population register" in allowed.failed["rogue"]


def test_a_reused_plugin_name_matters_only_when_that_plugin_is_selected(tmp_path, monkeypatch):
    install_distribution(tmp_path, "rogue-plugins", {"hello": f"{FAKE}.alpha"})
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "hello" not in {e.name for e in PluginManager().discover()}  # default start-up unaffected
    with pytest.raises(PluginError, match=r"registered twice: 'hello' by rogue-plugins, wardhub-hello-test"):
        PluginManager(("hello",)).discover()


# -- manifests ---------------------------------------------------------------------------------------
def test_a_valid_manifest_passes_and_titles_follow_the_language():
    manifest = PluginManifest(name="residents", version="0.3.1", title_vi="Dân cư", title_en="Residents",
                              requires_core=">=0.1,<1", depends={"hello": "~=0.1"},
                              scope=frozenset({"ward", "district"}), migrations=Path(__file__).parent)
    manifest.validate()
    assert manifest.title("en") == "Residents" and manifest.title("vi") == "Dân cư"
    assert manifest.title("fr") == "Dân cư"  # Vietnamese is the default


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("bad_name", "name must match"),
        ("bad_version", "version 'one.two' is not a valid version"),
        ("version_not_str", "version must be a string"),
        ("bad_requires", "requires_core '=>0.1' is not a version specifier"),
        ("bad_depends_spec", "depends['alpha'] '~~1' is not a version specifier"),
        ("bad_depends_name", "depends names 'Alpha!'"),
        ("depends_itself", "depends on itself"),
        ("bad_scope", "scope must be a non-empty subset of ['district', 'ward']"),
        ("empty_scope", "scope must be a non-empty subset"),
        ("scope_string", "scope must be a set"),
        ("no_title_en", "title_vi and title_en are both required (title_en is missing)"),
        ("blank_title_vi", "title_vi and title_en are both required (title_vi is missing)"),
        ("missing_migrations", "migrations folder /nonexistent/wardhub/migrations does not exist"),
        ("name_mismatch", "entry point name differs from manifest name 'alpha_twin'"),
        ("no_manifest", "has no `manifest` of type PluginManifest"),
        ("dict_manifest", "has no `manifest` of type PluginManifest"),
    ],
)
def test_a_bad_manifest_stops_start_up_naming_the_plugin_and_the_field(name, needle):
    manager = PluginManager()
    with pytest.raises(PluginError) as excinfo:
        manager.load([ep("alpha", "alpha"), ep(name, f"bad_manifests:{name}")])
    message = str(excinfo.value)
    assert needle in message
    shown = {"bad_name": "'Bad-Name'", "name_mismatch": "'name_mismatch'"}.get(name, f"plugin {name!r}")
    assert shown in message
    assert manager.plugins == {} and registered_names(manager) == []  # alpha was not registered either


def test_manifest_validate_raises_manifest_error():
    with pytest.raises(ManifestError, match=r"plugin 'x1': version '' is not a valid version"):
        PluginManifest(name="x1", version="", title_vi="a", title_en="b").validate()


# -- dependency order --------------------------------------------------------------------------------
def test_plugins_are_registered_after_their_dependencies():
    manager = loaded(ep("aardvark"), ep("zebra"))  # alphabetical order would be wrong
    assert manager.ordered() == ["zebra", "aardvark"] == registered_names(manager)
    manager = abc()
    assert manager.ordered() == ["alpha", "beta", "gamma"] == registered_names(manager)


def test_a_dependency_loaded_earlier_satisfies_a_later_plugin():
    manager = loaded(ep("alpha", "alpha"))
    manager.load([ep("beta")])
    assert manager.ordered() == ["alpha", "beta"]
    with pytest.raises(PluginError, match=r"plugin 'alpha': already loaded"):
        manager.load([ep("alpha", "alpha")])


def test_a_pre_release_dependency_satisfies_a_plain_specifier():
    manager = loaded(ep("needs_delta"), ep("delta_rc"))  # delta_rc is 2.0.0rc1, needs_delta wants >=1.0
    assert manager.ordered() == ["delta_rc", "needs_delta"]


def test_the_same_plugin_given_twice_is_an_error():
    with pytest.raises(PluginError, match=r"plugin 'alpha': given twice"):
        loaded(ep("alpha", "alpha"), ep("alpha", "alpha"))


# -- clear start-up errors ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("eps", "message"),
    [
        ([ep("alpha", "alpha"), ep("needs_ghost")],
         "plugin 'needs_ghost': depends on 'ghost', which is not installed or allowed"),
        ([ep("alpha", "alpha"), ep("needs_new_alpha")], "plugin 'needs_new_alpha': needs alpha >=2, found 1.2.0"),
        ([ep("beta")], "plugin 'beta': depends on 'alpha', which is not installed or allowed"),
        ([ep("alpha", "alpha"), ep("cycle_c"), ep("cycle_a"), ep("cycle_b")],
         "plugin 'cycle_a': dependency cycle cycle_a -> cycle_b -> cycle_c -> cycle_a"),
        ([ep("future_core")], f"plugin 'future_core': requires core >=99, this is {core.__version__}"),
        ([ep("old_core")], f"plugin 'old_core': requires core <0.1, this is {core.__version__}"),
    ],
    ids=["missing-dependency", "dependency-version", "dependency-not-given", "cycle", "core-too-old",
         "core-too-new"],
)
def test_a_broken_plugin_set_is_a_start_up_error_naming_the_plugin(eps, message):
    manager = PluginManager()
    with pytest.raises(PluginError) as excinfo:
        manager.load(eps)
    assert str(excinfo.value) == message
    assert manager.plugins == {} and registered_names(manager) == []


def test_a_misspelt_hook_stops_start_up_and_registers_nothing():
    manager = PluginManager()
    with pytest.raises(PluginError) as excinfo:
        manager.load([ep("alpha", "alpha"), ep("typo")])
    message = str(excinfo.value)
    assert message.startswith("plugin 'typo': ") and "wardhub_rotes" in message
    assert manager.plugins == {} and manager.pm.get_plugins() == set()
    manager.load([ep("alpha", "alpha")])  # the manager is still usable
    assert manager.ordered() == ["alpha"]


def test_a_misspelt_hook_argument_stops_start_up_naming_the_plugin():
    manager = PluginManager()
    with pytest.raises(PluginError) as excinfo:
        manager.load([ep("alpha", "alpha"), ep("badargs")])
    message = str(excinfo.value)
    assert message.startswith("plugin 'badargs': ") and "sesion" in message
    assert manager.plugins == {} and manager.pm.get_plugins() == set()


def test_a_plugin_adds_hookspecs_that_its_dependents_implement():
    manager = loaded(ep("guest"), ep("host"))
    assert manager.ordered() == ["host", "guest"]
    assert manager.relay({"host", "guest"}).wardhub_host_sections(person_id="p1") == [{"guest": "p1"}]
    assert manager.relay({"host"}).wardhub_host_sections(person_id="p1") == []
    without_host = PluginManager()
    with pytest.raises(PluginError, match=r"plugin 'guest': depends on 'host'"):
        without_host.load([ep("guest")])


def test_a_plugins_migrations_folder_is_kept_on_its_manifest():
    manager = loaded(ep("with_migrations"))
    assert manager.manifest("with_migrations").migrations == Path(__file__).parent / "fake_plugins"


# -- a plugin that fails to load ---------------------------------------------------------------------
async def test_a_plugin_raising_on_import_is_recorded_with_its_dependents_and_the_others_load():
    manager = loaded(ep("after_after"), ep("explodes", "explodes"), ep("alpha", "alpha"), ep("beta"),
                     ep("after_explodes"), ep("missing_module", "no_such_module"),
                     ep("missing_attr", "alpha:no_such_object"))
    assert manager.ordered() == ["alpha", "beta"]
    failed = dict(manager.failed)
    assert failed.pop("missing_attr").startswith("AttributeError: ")
    assert failed == {
        "explodes": "RuntimeError: cannot reach the population register",
        "after_explodes": "depends on 'explodes', which failed to load",
        "after_after": "depends on 'after_explodes', which failed to load",
        "missing_module": f"ModuleNotFoundError: No module named '{FAKE}.no_such_module'",
    }
    assert registered_names(manager) == ["alpha", "beta"]
    results = await manager.call_each("wardhub_export_tenant_data", tenant=WARD, session=None)
    assert [r.plugin for r in results] == ["alpha", "beta"] and all(r.error is None for r in results)


def test_a_start_up_hook_raising_or_async_takes_out_that_plugin_and_its_dependents():
    manager = loaded(ep("alpha", "alpha"), ep("beta"), ep("routes_broken"), ep("needs_routes_broken"),
                     ep("routes_async"))
    routes = manager.collect("wardhub_routes")
    assert routes == {"alpha": [], "beta": []}
    assert manager.ordered() == ["alpha", "beta"]
    assert manager.failed == {
        "routes_broken": "wardhub_routes raised RuntimeError: routes table is corrupt",
        "needs_routes_broken": "depends on 'routes_broken', which failed to load",
        "routes_async": "wardhub_routes returned an awaitable; it runs at start-up and must not be async",
    }
    assert manager.pm.get_plugin("routes_broken") is None and manager.pm.get_plugin("needs_routes_broken") is None
    assert manager.collect("wardhub_routes") == {"alpha": [], "beta": []}  # stable on a second call


async def test_ready_reports_plugins_that_failed_while_the_app_serves(settings):
    """Every installed plugin (the test database is migrated for them all) plus test ones that fail."""
    manager = PluginManager(settings.plugins)
    manager.load([*installed_eps(settings.plugins), ep("alpha", "alpha"), ep("explodes", "explodes"),
                  ep("after_explodes"), ep("routes_broken")])
    app = create_app(settings, manager)  # routes_broken fails here, when its routes are collected
    try:
        async with AsyncTestClient(app=app, raise_server_exceptions=False) as client:
            health = await client.get("/health")
            ready = await client.get("/ready")
    finally:
        await app.state.db.dispose()
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert body["status"] == "degraded"
    assert body["database"] == "ok" and body["migrations"] == "current"
    assert sorted(body["plugins"]) == sorted(["alpha", *settings.plugins]) and "hello" in body["plugins"]
    assert body["plugins_failed"] == {
        "explodes": "RuntimeError: cannot reach the population register",
        "after_explodes": "depends on 'explodes', which failed to load",
        "routes_broken": "wardhub_routes raised RuntimeError: routes table is corrupt",
    }


async def test_ready_is_ready_when_every_plugin_loaded(client):
    response = await client.get("/ready")
    assert response.status_code == 200
    assert response.json()["status"] == "ready" and "plugins_failed" not in response.json()
    assert "hello" in response.json()["plugins"]


async def test_ready_stays_up_when_an_already_migrated_plugin_fails_to_import(settings):
    manager = PluginManager(settings.plugins)  # hello, migrated earlier, now raises on import:
    manager.load(installed_eps(settings.plugins, instead={"hello": ep("hello", "explodes")}))
    app = create_app(settings, manager)
    try:
        async with AsyncTestClient(app=app, raise_server_exceptions=False) as client:
            ready = await client.get("/ready")
    finally:
        await app.state.db.dispose()
    assert manager.failed == {"hello": "RuntimeError: cannot reach the population register"}
    assert (ready.status_code, ready.json()["status"]) == (200, "degraded")


# -- per-tenant relay --------------------------------------------------------------------------------
async def test_relay_calls_only_the_enabled_plugins():
    manager = abc()
    only_alpha = manager.relay({"alpha"})
    assert isinstance(only_alpha, HookRelay) and only_alpha.enabled == frozenset({"alpha"})
    assert only_alpha.wardhub_export_tenant_data(tenant=WARD, session=None) == [{"notes": [{"tenant": "26734"}]}]
    both = manager.relay({"alpha", "beta"}).wardhub_export_tenant_data(tenant=WARD, session=None)
    values = [await maybe_await(v) for v in both]  # beta's hook is async: the relay returns its coroutine
    assert sorted(values, key=str) == [{"items": [{"tenant": "26734", "async": True}]},
                                       {"notes": [{"tenant": "26734"}]}]
    assert manager.relay(set()).wardhub_export_tenant_data(tenant=WARD, session=None) == []
    assert manager.relay({"beta"}).wardhub_routes() == [[]]
    # arguments an implementation does not take are not passed to it (pluggy's own rule)
    assert manager.relay({"alpha", "beta"}).wardhub_tenant_disabled(tenant=WARD, session=None) == [
        "alpha disabled for 26734"
    ]


def test_relay_is_cached_per_distinct_enabled_set():
    manager = abc()
    relay = manager.relay({"alpha", "beta"})
    assert manager.relay(["beta", "alpha"]) is relay
    assert manager.relay(frozenset({"alpha", "beta"})) is relay
    assert manager.relay(("alpha", "beta", "not_installed")) is relay  # unknown names do not split the cache
    assert manager.relay({"alpha"}) is not relay
    assert manager.relay({"alpha"}) is manager.relay({"alpha"})
    assert relay.wardhub_export_tenant_data is relay.wardhub_export_tenant_data  # callers cached too
    with pytest.raises(AttributeError):
        relay.not_a_hook  # noqa: B018
    with pytest.raises(AttributeError):
        relay.wardhub_no_such_hook  # noqa: B018


def test_loading_more_plugins_gives_fresh_relays():
    manager = loaded(ep("alpha", "alpha"))
    before = manager.relay({"alpha"})
    assert len(before.wardhub_export_tenant_data(tenant=WARD, session=None)) == 1
    manager.load([ep("delta_rc")])
    after = manager.relay({"alpha"})
    assert after is not before
    assert after.wardhub_export_tenant_data(tenant=WARD, session=None) == [{"notes": [{"tenant": "26734"}]}]
    assert manager.relay({"alpha", "delta_rc"}).wardhub_export_tenant_data(tenant=WARD, session=None) == [
        {"deltas": []}, {"notes": [{"tenant": "26734"}]}
    ]


# -- call_each and call_one --------------------------------------------------------------------------
async def test_call_each_isolates_a_raising_plugin_and_awaits_async_hooks():
    manager = abc()
    results = await manager.call_each("wardhub_export_tenant_data", tenant=WARD, session=None)
    assert results == [
        HookResult("alpha", {"notes": [{"tenant": "26734"}]}),  # sync
        HookResult("beta", {"items": [{"tenant": "26734", "async": True}]}),  # async, awaited
        HookResult("gamma", error="ValueError"),  # async, raised after awaiting
    ]
    purged = await manager.call_each("wardhub_purge_tenant_data", tenant=WARD, session=None)
    assert purged == [HookResult("alpha", error="LookupError"), HookResult("beta", 3), HookResult("gamma", 7)]


async def test_call_each_isolates_a_plugin_whose_sql_fails(db, make_tenant):
    """On PostgreSQL a failed statement aborts the transaction: without a savepoint per plugin every
    later plugin, and the caller's own work after call_each, would fail too."""
    ward = await make_tenant(plugins=())
    manager = loaded(ep("sql_reader"), ep("sql_broken"))
    async with db.session(TenantScope.of(ward.id)) as session:
        results = await manager.call_each("wardhub_export_tenant_data", tenant=ward, session=session)
        after = await session.scalar(select(Tenant.name).where(Tenant.id == ward.id))
    assert [r.plugin for r in results] == ["sql_broken", "sql_reader"]
    assert results[0].value is None and results[0].error in {"OperationalError", "ProgrammingError"}
    assert results[1] == HookResult("sql_reader", {"tenant": [{"code": ward.code}]})
    assert after == ward.name


async def test_call_each_calls_only_the_given_plugins_in_dependency_order():
    manager = abc()
    results = await manager.call_each("wardhub_purge_tenant_data", {"gamma", "beta"}, tenant=WARD, session=None)
    assert results == [HookResult("beta", 3), HookResult("gamma", 7)]
    assert await manager.call_each("wardhub_purge_tenant_data", set(), tenant=WARD, session=None) == []
    assert await manager.call_each("wardhub_tenant_enabled", tenant=WARD, session=None) == []  # nobody has it


async def test_call_each_passes_an_implementation_only_the_arguments_it_takes():
    manager = abc()
    results = await manager.call_each("wardhub_tenant_disabled", tenant=WARD, session=None)
    assert results == [HookResult("alpha", "alpha disabled for 26734")]
    assert await manager.call_one("alpha", "wardhub_tenant_disabled", tenant=WARD, session=None) == (
        "alpha disabled for 26734"
    )


async def test_call_one_awaits_and_lets_errors_propagate():
    manager = abc()
    assert await manager.call_one("beta", "wardhub_purge_tenant_data", tenant=WARD, session=None) == 3
    assert await manager.call_one("gamma", "wardhub_purge_tenant_data", tenant=WARD, session=None) == 7
    assert await manager.call_one("alpha", "wardhub_tenant_enabled", tenant=WARD, session=None) is None
    with pytest.raises(LookupError, match="alpha cannot purge"):
        await manager.call_one("alpha", "wardhub_purge_tenant_data", tenant=WARD, session=None)
    with pytest.raises(ValueError, match="gamma cannot export"):
        await manager.call_one("gamma", "wardhub_export_tenant_data", tenant=WARD, session=None)
