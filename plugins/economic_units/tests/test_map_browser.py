"""The map page in a real browser: uvicorn serves the app over the test's SQLite database, a signed-in
officer's session opens ``/t/<ward>/economic_units/map`` in headless Chromium, and the ward's points must
be drawn (Leaflet circle markers over a blank map: no tiles are configured).

Runs when ``chromium`` is installed (Debian: ``apt-get install chromium``); with ``WARDHUB_BROWSER_TESTS=1``
a missing browser is a failure, never a skip. The screenshot is kept at ``var/screenshots/economic_units_map.png``.

Chromium's command line cannot carry a session cookie, so the test puts a small forwarding server between
the browser and uvicorn that adds the signed-in session's cookies to every request (GET only).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from core.db.scoping import TenantScope
from core.testing import TEST_PASSWORD
from plugins.economic_units import services
from plugins.economic_units.tests.conftest import PLUGINS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRED = os.environ.get("WARDHUB_BROWSER_TESTS") == "1"
SCREENSHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"

pytestmark = [
    pytest.mark.plugins(*PLUGINS),
    pytest.mark.sqlite_only,
    pytest.mark.skipif(CHROMIUM is None and not REQUIRED, reason="chromium is not installed"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"uvicorn stopped: {process.stdout.read() if process.stdout else ''}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("uvicorn did not answer /health in time")


class Forwarder(BaseHTTPRequestHandler):
    """GET requests to the app, with the signed-in session's cookies added."""

    upstream = ""
    cookies: ClassVar[dict[str, str]] = {}

    def do_GET(self) -> None:
        response = httpx.get(self.upstream + self.path, cookies=self.cookies, timeout=30,
                             headers={"Accept": self.headers.get("Accept", "*/*"), "Accept-Language": "vi"})
        self.send_response(response.status_code)
        for name, value in response.headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.content)))
        self.end_headers()
        self.wfile.write(response.content)

    def log_message(self, *args: object) -> None:
        pass


def chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
               "--virtual-time-budget=10000", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


async def test_the_map_page_draws_the_wards_points_in_chromium(settings, db, make_tenant, make_user, grant_role,
                                                                 tmp_path):
    if CHROMIUM is None:
        pytest.fail("WARDHUB_BROWSER_TESTS=1 but chromium is not installed (apt-get install chromium)")
    ward = await make_tenant(plugins=PLUGINS)
    other = await make_tenant(plugins=PLUGINS)
    names = ["Cơ khí Minh Phát", "Tạp hóa Thanh Hương", "Phần mềm Sao Việt", "Phở Bà Tư"]
    async with db.session(TenantScope.of(ward.id)) as session:
        for index, name in enumerate(names):
            await services.create_unit(session, {
                "name": name, "kind": "household", "address": f"{index + 1} Lạc Long Quân", "section": "CGJI"[index],
                "labour": 3 + index * 10, "latitude": 10.760 + index * 0.003, "longitude": 106.648 + index * 0.002})
        await services.create_unit(session, {"name": "Không có tọa độ", "kind": "household", "address": "x",
                                             "section": "G"})
    async with db.session(TenantScope.of(other.id)) as session:
        await services.create_unit(session, {"name": "Ở phường khác", "kind": "household", "address": "y",
                                             "section": "G", "latitude": 10.8, "longitude": 106.7})
    officer = await make_user()
    await grant_role(officer, "ward_officer", ward)

    port = free_port()
    upstream = f"http://127.0.0.1:{port}"
    env = {**os.environ, "WARDHUB_DATABASE_URL": settings.database_url, "WARDHUB_SECRET_KEY": settings.secret_key,
           "WARDHUB_ENV": "test", "WARDHUB_LOG_LEVEL": "WARNING", "WARDHUB_PLUGINS": ",".join(settings.plugins),
           "WARDHUB_MAP_TILES": ""}
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "core.app:create_app", "--factory", "--host",
                               "127.0.0.1", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    proxy = None
    try:
        wait_until_up(upstream, server)
        with httpx.Client(base_url=upstream) as http:  # sign in as the officer, as a browser would
            http.get("/auth/login")
            csrf = http.cookies.get("csrftoken") or ""
            signed = http.post("/auth/login", json={"username": officer.username, "password": TEST_PASSWORD},
                               headers={"x-csrftoken": csrf})
            assert signed.status_code in (200, 201, 204, 303), signed.text
            cookies = dict(http.cookies.items())
            assert http.get(f"/t/{ward.key}/economic_units/map").status_code == 200
        Forwarder.upstream, Forwarder.cookies = upstream, cookies
        proxy = ThreadingHTTPServer(("127.0.0.1", 0), Forwarder)
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        page = f"http://127.0.0.1:{proxy.server_address[1]}/t/{ward.key}/economic_units/map"

        dom = chromium(["--dump-dom", page], tmp_path / "profile-dom")
        assert dom.returncode == 0, dom.stderr[-2000:]
        html = dom.stdout
        assert 'data-state="ready"' in html, html[:3000]
        assert 'data-points="4"' in html
        drawn = set(re.findall(r'data-name="([^"]+)"', html))
        assert drawn == set(names)  # the ward's four points; not the unit without coordinates nor the other ward's
        assert len(re.findall(r'<path[^>]*class="[^"]*eu-point', html)) == 4
        assert "leaflet-container" in html and "eu-map-blank" in html  # no tiles: points over a blank map

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot = SCREENSHOTS / "economic_units_map.png"
        shot.unlink(missing_ok=True)
        picture = chromium([f"--screenshot={shot}", "--window-size=1280,1400", page], tmp_path / "profile-shot")
        assert picture.returncode == 0, picture.stderr[-2000:]
        assert shot.exists() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    finally:
        if proxy is not None:
            proxy.shutdown()
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
