"""Messages in both languages everywhere; the page language from ?lang, the lang cookie, Accept-Language."""

import json
import re

import pytest

from core.app import load_plugins
from core.plugins.manager import LoadedPlugin, PluginError, PluginManager
from core.web.errors import GENERIC
from core.web.i18n import Catalog, CatalogError, check_messages, format_number, load_messages, negotiate
from core.web.ui import build_web_ui
from tests.web.fake_web_plugins import manifest

USED = re.compile(r"""\b_\(\s*["']([^"']+)["']""")
# ``_("residence.status." ~ row.status)``: an id built at render time; at least one id under the prefix must exist
BUILT = re.compile(r"""\b_\(\s*["']([^"']+\.)["']\s*~""")


# -- catalogs --------------------------------------------------------------------------------------------
def test_no_message_is_missing_in_either_language_in_core_or_any_installed_plugin(settings):
    """Every catalog (core's and every installed plugin's) gives both languages with the same placeholders,
    and every message a template of core or of a plugin asks for exists."""
    ui = build_web_ui(settings, load_plugins(settings))
    assert set(ui.catalog.sources) >= {"core", "hello"}
    for source, messages in ui.catalog.sources.items():
        assert check_messages(source, messages) == []
    missing = []
    for owner, path in ui.templates.source_files():
        source = path.read_text(encoding="utf-8")
        prefixes = set(BUILT.findall(source))
        for key in USED.findall(source):
            if key in prefixes:
                if not any(known.startswith(key) for known in ui.catalog.messages):
                    missing.append(f"{owner}: {path.name} builds ids under {key!r}, and there is none")
            elif key not in ui.catalog.messages:
                missing.append(f"{owner}: {path.name} uses {key!r}")
    assert missing == []
    for status in [*GENERIC, 500]:  # error pages look their title up by status
        assert f"error.{status}.title" in ui.catalog.messages


def test_the_core_catalog_file_gives_exactly_vi_and_en_for_every_message():
    from core.web.i18n import CORE_CATALOG

    raw = json.loads(CORE_CATALOG.read_text(encoding="utf-8"))
    assert all(set(pair) == {"vi", "en"} and all(pair.values()) for pair in raw.values())


def test_a_catalog_missing_a_language_or_a_placeholder_is_refused(tmp_path):
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({"x.a": {"vi": "Chào"}}), encoding="utf-8")
    with pytest.raises(CatalogError, match=r"x\.a"):
        load_messages(partial)
    assert check_messages("p", {"x.b": ("Có {count} hộ", "{n} households")}) == [
        "p: 'x.b' has different placeholders in vi and en"
    ]
    assert check_messages("p", {"x.c": ("Có", " ")}) == ["p: 'x.c' has no en text"]


def test_plugin_messages_stay_under_the_plugin_name():
    with pytest.raises(CatalogError, match=r"must start with 'hello\.'"):
        Catalog({}, {"hello": {"dashboard.heading": ("Chào", "Hello")}})
    with pytest.raises(CatalogError, match="core already uses"):
        Catalog({"hello.x": ("a", "b")}, {"hello": {"hello.y": ("c", "d")}})


def test_a_plugin_with_a_broken_catalog_stops_start_up_naming_it(settings):
    class Sloppy:
        manifest = manifest("sloppy")

        from core.toolkit import hookimpl

        @hookimpl
        def wardhub_messages(self):
            return {"sloppy.title": ("Tiêu đề", "")}

    manager = PluginManager(())
    manager.add([LoadedPlugin(Sloppy.manifest, Sloppy(), None)])
    with pytest.raises(PluginError, match="sloppy"):
        build_web_ui(settings, manager)


def test_a_plugin_may_give_its_catalog_as_a_json_file(settings, tmp_path):
    catalog = tmp_path / "messages.json"
    catalog.write_text(json.dumps({"jsonny.title": {"vi": "Tiêu đề", "en": "Title"}}), encoding="utf-8")

    class Jsonny:
        manifest = manifest("jsonny")

        from core.toolkit import hookimpl

        @hookimpl
        def wardhub_messages(self):
            return catalog

    manager = PluginManager(())
    manager.add([LoadedPlugin(Jsonny.manifest, Jsonny(), None)])
    ui = build_web_ui(settings, manager)
    assert ui.catalog.get("jsonny.title", "en") == "Title"
    assert ui.catalog.get("jsonny.title", "vi") == "Tiêu đề"


def test_messages_format_their_placeholders_and_unknown_ids_show_as_themselves():
    catalog = Catalog({"n.count": ("Có {count} hộ", "{count} households")}, {})
    assert catalog.get("n.count", "vi", count=3) == "Có 3 hộ"
    assert catalog.bind("en")("n.count", count="1,200") == "1,200 households"
    assert catalog.get("n.unknown", "vi") == "n.unknown"


@pytest.mark.parametrize(("value", "vi", "en"), [
    (1234567, "1.234.567", "1,234,567"), (1234.5, "1.234,5", "1,234.5"), (0, "0", "0"), ("12 hộ", "12 hộ", "12 hộ"),
])
def test_numbers_follow_the_language(value, vi, en):
    assert (format_number(value, "vi"), format_number(value, "en")) == (vi, en)


@pytest.mark.parametrize(("query", "cookie", "header", "expected"), [
    (None, None, None, "vi"),
    (None, None, "en-US,en;q=0.9", "en"),
    (None, None, "fr-FR,fr;q=0.9", "vi"),
    (None, "en", "vi", "en"),
    ("vi", "en", "en", "vi"),
    ("fr", "en", None, "en"),
    (None, "xx", "en", "en"),
])
def test_language_negotiation(query, cookie, header, expected):
    assert negotiate(query, cookie, header) == expected


# -- pages -------------------------------------------------------------------------------------------------
def lang_of(html: str) -> str:
    return re.search(r'<html lang="(\w+)"', html).group(1)


async def test_pages_are_vietnamese_by_default(client):
    response = await client.get("/")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert lang_of(response.text) == "vi"
    assert "Chào mừng đến với WardHub" in response.text and "Welcome" not in response.text


async def test_accept_language_chooses_english(client):
    response = await client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9,vi;q=0.5"})
    assert lang_of(response.text) == "en" and "Welcome to WardHub" in response.text


async def test_the_language_switch_is_remembered_in_a_cookie(client):
    switched = await client.get("/?lang=en")
    assert lang_of(switched.text) == "en"
    cookie = switched.headers["set-cookie"]
    assert cookie.startswith("lang=en;") and "SameSite=lax" in cookie and "Path=/" in cookie
    later = await client.get("/")  # the client sends the cookie back
    assert lang_of(later.text) == "en"
    back = await client.get("/?lang=vi", headers={"Accept-Language": "en"})
    assert lang_of(back.text) == "vi" and back.headers["set-cookie"].startswith("lang=vi;")
    assert lang_of((await client.get("/", headers={"Accept-Language": "en"})).text) == "vi"


async def test_the_switch_links_keep_the_page_and_its_other_parameters(client):
    response = await client.get("/?page=2&lang=en")
    assert 'href="/?page=2&amp;lang=vi"' in response.text
    assert 'href="/?page=2&amp;lang=en"' in response.text
    assert 'aria-current="true">English' in response.text


# -- the console's administration pages -------------------------------------------------------------------------
CONSOLE_ID = re.compile(r"""["']((?:admin|console)\.[a-z_]+(?:\.[a-z_]+)+)["']""")


def test_every_id_the_console_names_in_code_or_templates_exists_in_both_languages(settings):
    """Ids the admin pages name anywhere (also in Python, and as either branch of a conditional in a
    template, which the scan of ``_("…")`` above does not see) are in the catalog, in vi and en."""
    from pathlib import Path

    from core.web.i18n import CORE_CATALOGS

    ui = build_web_ui(settings, load_plugins(settings))
    core = ui.catalog.sources["core"]
    for path in CORE_CATALOGS:  # each of core's catalog files is merged in, and complete
        messages = load_messages(path)
        assert check_messages(path.name, messages) == []
        assert set(messages) <= set(core)
    root = Path(__file__).resolve().parents[2] / "core" / "web"
    sources = [*(root / "admin").glob("*.py"), *(root / "templates" / "admin").glob("*.html"),
               root / "templates" / "base.html"]
    named = {(path.name, key) for path in sources for key in CONSOLE_ID.findall(path.read_text(encoding="utf-8"))}
    assert len(named) > 100
    assert sorted(f"{name}: {key}" for name, key in named if key not in core) == []


async def test_the_admin_pages_show_no_raw_message_id_in_either_language(make_tenant, client):
    ward = await make_tenant(plugins=())
    pages = [f"/t/{ward.key}/admin/{name}" for name in ("plugins", "roles", "tokens", "audit")]
    pages += ["/admin/units", "/admin/users", "/admin/units?q=zz", f"/t/{ward.key}/"]
    for lang in ("vi", "en"):
        for path in pages:
            response = await client.get(path, params={"lang": lang})
            assert response.status_code == 200, path
            assert lang_of(response.text) == lang
            assert not re.search(r">\s*(admin|console)\.[a-z_.]+", response.text), (path, lang)
