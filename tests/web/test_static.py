"""Static files: core's vendored htmx and style sheet, each plugin's under its own name, nothing else."""

import hashlib
import re
from pathlib import Path

import pytest

from core.plugins.manager import LoadedPlugin, PluginError, PluginManager
from core.toolkit import hookimpl
from core.web.ui import CORE_STATIC, build_web_ui
from tests.web.fake_web_plugins import manifest


async def test_htmx_is_vendored_and_served(client):
    response = await client.get("/static/vendor/htmx.min.js")
    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]
    assert "max-age" in response.headers["cache-control"]
    versions = (CORE_STATIC / "vendor" / "VERSIONS.txt").read_text(encoding="utf-8")
    version = re.search(r"htmx\.org (2\.\d+\.\d+)", versions).group(1)
    assert f'version:"{version}"' in response.text.replace(" ", "")
    assert hashlib.sha256(response.content).hexdigest() in versions
    assert (CORE_STATIC / "vendor" / "htmx-LICENSE.txt").is_file()


async def test_every_asset_the_layout_links_is_served(client):
    html = (await client.get("/")).text
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert {a.split("?")[0] for a in assets} == {
        "/static/css/wardhub.css", "/static/css/console.css", "/static/vendor/htmx.min.js",
    }
    for asset in assets:
        assert (await client.get(asset)).status_code == 200, asset


async def test_a_plugins_static_files_are_served_under_its_name(client):
    response = await client.get("/static/hello/hello.css")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/css")


@pytest.mark.parametrize("path", [
    "/static/../core/app.py", "/static/%2e%2e/core/app.py", "/static/hello/../../plugin.py", "/static/hello/plugin.py",
    "/static/nothing.js",
])
async def test_nothing_outside_the_static_folders_is_served(client, path):
    response = await client.get(path)
    assert response.status_code == 404
    assert "import" not in response.text


def test_a_plugin_cannot_take_a_folder_of_cores_static_files(settings, tmp_path):
    (tmp_path / "vendor").mkdir()

    class Vendor:
        manifest = manifest("vendor")

        @hookimpl
        def wardhub_static(self):
            return tmp_path

    manager = PluginManager(())
    manager.add([LoadedPlugin(Vendor.manifest, Vendor(), None)])
    with pytest.raises(PluginError, match=r"'vendor'.*core's"):
        build_web_ui(settings, manager)


def test_static_urls_carry_the_files_version(settings, plugin_manager):
    ui = build_web_ui(settings, plugin_manager)
    digest = hashlib.sha256((CORE_STATIC / "css" / "wardhub.css").read_bytes()).hexdigest()[:12]
    assert ui.static.url("css/wardhub.css") == f"/static/css/wardhub.css?v={digest}"
    hello = Path(ui.static.plugin_dirs["hello"]) / "hello.css"
    assert ui.static.url("hello/hello.css").endswith(hashlib.sha256(hello.read_bytes()).hexdigest()[:12])
    assert ui.static.file("../../core/app.py") is None
