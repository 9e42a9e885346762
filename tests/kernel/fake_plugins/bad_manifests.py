"""Plugin objects whose manifests start-up must refuse, each naming the plugin and the bad field."""

from pathlib import Path

from core.toolkit import PluginManifest
from tests.kernel.fake_plugins.catalog import Plugin


def manifest(name: str, **changes) -> PluginManifest:
    values = {"name": name, "version": "1.0.0", "title_vi": "Phân hệ", "title_en": "Plugin", **changes}
    return PluginManifest(**values)


bad_name = Plugin(manifest("Bad-Name"))
bad_version = Plugin(manifest("bad_version", version="one.two"))
version_not_str = Plugin(manifest("version_not_str", version=1.0))
bad_requires = Plugin(manifest("bad_requires", requires_core="=>0.1"))
bad_depends_spec = Plugin(manifest("bad_depends_spec", depends={"alpha": "~~1"}))
bad_depends_name = Plugin(manifest("bad_depends_name", depends={"Alpha!": ">=1"}))
depends_itself = Plugin(manifest("depends_itself", depends={"depends_itself": ""}))
bad_scope = Plugin(manifest("bad_scope", scope=frozenset({"province"})))
empty_scope = Plugin(manifest("empty_scope", scope=frozenset()))
scope_string = Plugin(manifest("scope_string", scope="ward"))
no_title_en = Plugin(manifest("no_title_en", title_en=""))
blank_title_vi = Plugin(manifest("blank_title_vi", title_vi="   "))
missing_migrations = Plugin(manifest("missing_migrations", migrations=Path("/nonexistent/wardhub/migrations")))
name_mismatch = Plugin(manifest("alpha_twin"))
no_manifest = object()
dict_manifest = type("DictManifest", (), {"manifest": {"name": "dict_manifest", "version": "1.0"}})()
