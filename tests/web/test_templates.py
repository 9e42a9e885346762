"""Template lookup: a tenant's override, then the plugin's template, then core's."""

from pathlib import Path

import pytest

from core.plugins.manager import LoadedPlugin, PluginError, PluginManager
from core.toolkit import hookimpl
from core.web.templating import Templates
from core.web.ui import build_web_ui
from tests.web.fake_web_plugins import manifest


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def folders(tmp_path):
    core, plugin, overrides = tmp_path / "core", tmp_path / "hello-templates", tmp_path / "overrides"
    write(core / "base.html", "core base [{% block body %}{% endblock %}]")
    write(core / "page.html", '{% extends "base.html" %}{% block body %}core page{% endblock %}')
    write(core / "hello" / "greetings.html", "core's hello")
    write(plugin / "hello" / "greetings.html",
          '{% extends "base.html" %}{% block body %}plugin greetings{% endblock %}')
    write(plugin / "hello" / "only.html", "plugin only")
    write(plugin / "page.html", "a plugin may not answer core's names")
    write(overrides / "current:26734" / "hello" / "greetings.html", "tenant greetings")
    write(overrides / "current:11111" / "base.html", "tenant base <{% block body %}{% endblock %}>")
    write(overrides / "escape" / "page.html", "never")
    return Templates(core, {"hello": plugin}, overrides)


def test_plugin_wins_over_core_and_tenant_over_plugin(folders):
    assert folders.render("hello/greetings.html", {}) == "core base [plugin greetings]"
    assert folders.render("hello/greetings.html", {}, "current:26734") == "tenant greetings"
    assert folders.render("hello/greetings.html", {}, "current:99999") == "core base [plugin greetings]"


def test_a_plugin_answers_only_names_under_its_own_name(folders):
    assert folders.render("page.html", {}) == "core base [core page]"
    assert folders.render("hello/only.html", {}) == "plugin only"


def test_a_tenant_override_of_the_layout_applies_under_every_page(folders):
    assert folders.render("page.html", {}, "current:11111") == "tenant base <core page>"
    assert folders.render("hello/greetings.html", {}, "current:11111") == "tenant base <plugin greetings>"
    assert folders.environment("current:11111") is folders.environment("current:11111")  # made once
    assert folders.environment("current:99999") is folders.shared


@pytest.mark.parametrize("key", ["../overrides/current:26734", "escape", "current:26734/../..", "", None])
def test_tenant_keys_that_are_not_keys_get_no_override(folders, key):
    assert folders.environment(key) is folders.shared


def test_templates_autoescape_and_refuse_undefined_names(folders, tmp_path):
    write(tmp_path / "core" / "echo.html", "{{ value }}")
    templates = Templates(tmp_path / "core")
    assert templates.render("echo.html", {"value": "<b>&"}) == "&lt;b&gt;&amp;"
    with pytest.raises(Exception, match="value"):
        templates.render("echo.html", {})


def test_a_templates_folder_without_the_plugin_folder_stops_start_up(settings, tmp_path):
    write(tmp_path / "loose.html", "x")

    class Loose:
        manifest = manifest("loose")

        @hookimpl
        def wardhub_templates(self):
            return tmp_path

    manager = PluginManager(())
    manager.add([LoadedPlugin(Loose.manifest, Loose(), None)])
    with pytest.raises(PluginError, match=r"'loose'.*no loose/ folder"):
        build_web_ui(settings, manager)


# -- through HTTP, with WARDHUB_TEMPLATE_OVERRIDES set (tests/web/conftest.py) -------------------------------
@pytest.mark.plugins("hello")
async def test_a_tenant_override_wins_over_the_plugin_template(make_tenant, viewer, overrides_dir):
    ward, other = await make_tenant(), await make_tenant()
    write(overrides_dir / ward.key / "hello" / "greetings.html",
          '{% extends "base.html" %}{% block content %}<h1>Lời chào của phường</h1>'
          "{{ greetings | length }} {{ _('hello.greetings.heading') }}{% endblock %}")
    own = await (await viewer(ward)).get(f"/t/{ward.key}/hello")
    assert own.status_code == 200, own.text
    assert "<h1>Lời chào của phường</h1>" in own.text and "1 Lời chào" in own.text
    plain = await (await viewer(other)).get(f"/t/{other.key}/hello")
    assert "<h1>Lời chào</h1>" in plain.text and "của phường" not in plain.text


@pytest.mark.plugins("hello")
async def test_a_tenant_override_of_the_base_layout_changes_only_that_tenants_pages(make_tenant, viewer, overrides_dir):
    ward, other = await make_tenant(), await make_tenant()
    base = (Path(__file__).parents[2] / "core" / "web" / "templates" / "base.html").read_text(encoding="utf-8")
    write(overrides_dir / ward.key / "base.html",
          base.replace('<footer class="site-footer">', '<footer class="site-footer"><p>UBND phường ABC</p>'))
    for path in ("/", "/hello"):
        own = await (await viewer(ward)).get(f"/t/{ward.key}{path}")
        assert "UBND phường ABC" in own.text, path
    assert "UBND phường ABC" not in (await (await viewer(other)).get(f"/t/{other.key}/")).text


def test_the_overrides_folder_is_a_setting(tmp_path):
    from core.settings import SettingsError, load_settings

    assert load_settings({}).template_overrides is None
    assert load_settings({"WARDHUB_TEMPLATE_OVERRIDES": str(tmp_path)}).template_overrides == tmp_path.resolve()
    with pytest.raises(SettingsError, match="WARDHUB_TEMPLATE_OVERRIDES"):
        load_settings({"WARDHUB_TEMPLATE_OVERRIDES": str(tmp_path / "missing")})
