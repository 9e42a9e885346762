"""Browser-test fixtures (part of the ``core.testing`` pytest plugin): the real app in a real browser.

* ``live_server`` (one per backend and test session): ``wardhub serve`` (uvicorn) started as a subprocess on
  a free port, over a fresh database it migrates (SQLite, and PostgreSQL when ``WARDHUB_TEST_POSTGRES`` is
  set, where the server connects as the role that owns no table, under
  row-level security). Tests seed it through ``live_server.add_ward()``, ``add_user()`` and ``run()``, which
  write to the same database from the test process.
* ``browser`` (one per test module, see there why): Debian's Chromium (``/usr/bin/chromium``, or ``WARDHUB_CHROMIUM``)
  driven by Playwright for Python, headless. Playwright never downloads a browser of its own here.
  A missing Chromium is first installed with ``scripts/ensure-chromium`` (``apt-get``, as root); if that
  fails the browser tests FAIL, saying how to install it: they never skip.
* ``sign_in_page(browser, server, username, …)``: a new browser context (its own cookies) signed in through
  the sign-in form.

Screenshots go to ``var/screenshots/`` (``SCREENSHOTS``), which git ignores.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM = os.environ.get("WARDHUB_CHROMIUM", "/usr/bin/chromium")
ENSURE_CHROMIUM = ROOT / "scripts" / "ensure-chromium"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
POLICY_POLL = 1.0  # the server re-reads the access policy at most this often (no Redis): see core.access.enforcer


def in_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` in a worker thread: Playwright's sync API keeps an event loop running in the main thread,
    so ``asyncio.run`` (seeding, migrations) must run elsewhere."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args).result()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def chromium_executable() -> str:
    """Debian's Chromium, installed by ``scripts/ensure-chromium`` when missing; else the test fails."""
    if not os.access(CHROMIUM, os.X_OK) and ENSURE_CHROMIUM.exists():
        subprocess.run([str(ENSURE_CHROMIUM)], check=False, timeout=900)
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"the browser tests need Debian's Chromium at {CHROMIUM}: run `make test` as root (it calls "
                    "scripts/ensure-chromium) or `apt-get install chromium`; they never skip", pytrace=False)
    return CHROMIUM


def check_png(path: Path, min_bytes: int = 5_000) -> None:
    """``path`` is a non-empty PNG picture."""
    assert path.exists(), f"no screenshot at {path}"
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert len(data) >= min_bytes, f"{path} is only {len(data)} bytes"


@dataclass
class LiveServer:
    """The app served by uvicorn in a subprocess, and the database it serves, for seeding."""

    url: str
    backend: str
    settings: Any
    log: Path
    process: subprocess.Popen | None = None
    granted_at: float = field(default=0.0)
    ready: bool = False
    _manager: Any = None

    # -- seeding, from the test process -------------------------------------------------------------
    def run(self, fn: Callable[..., Awaitable[Any]]) -> Any:
        """``fn(db, plugin_manager)`` run to completion on a fresh event loop, with its own connections."""
        from core.app import load_plugins
        from core.db.engine import Database

        if self._manager is None:
            self._manager = load_plugins(self.settings)

        async def main() -> Any:
            db = Database(self.settings)
            try:
                return await fn(db, self._manager)
            finally:
                await db.dispose()

        return in_thread(asyncio.run, main())

    def add_ward(self, plugins: tuple[str, ...], name: str = "Phường Thử nghiệm") -> Any:
        """A ward (``TenantRef``) under a fresh province, with ``plugins`` enabled in both."""

        async def make(db: Any, manager: Any) -> Any:
            from core.db.scoping import SYSTEM, TenantScope
            from tenants import registry, subscriptions

            async with db.session(SYSTEM) as session:
                province = await registry.add_unit(session, scheme="local", code=f"p{uuid.uuid4().hex[:12]}",
                                                   level="province", name="Tỉnh Thử nghiệm", parent=None)
                ward = await registry.add_unit(session, scheme="local", code=f"w{uuid.uuid4().hex[:12]}",
                                               level="ward", name=name, parent=province)
                ref, keys = ward.ref(), (province.key, ward.key)
            for key in keys:
                async with db.session(SYSTEM) as session:
                    unit_id = (await registry.get(session, key)).id
                async with db.session(TenantScope.of(unit_id)) as session:
                    unit = await registry.get(session, key)
                    kind = "ward" if unit.level == "ward" else "district"
                    for plugin in manager.ordered():
                        if plugin in plugins and kind in manager.manifest(plugin).scope:
                            await subscriptions.enable(session, unit, plugin, manager)
            return ref

        return self.run(make)

    def add_user(self, role: str | None, tenant: Any = None, attrs: dict | None = None,
                 display_name: str | None = None) -> str:
        """A new account (password ``core.testing.TEST_PASSWORD``) holding ``role`` in ``tenant``; its username."""
        from core.testing import TEST_PASSWORD

        username = f"{role or 'user'}-{uuid.uuid4().hex[:8]}"

        async def make(db: Any, _manager: Any) -> None:
            from core.access import policy
            from core.auth import users
            from core.db.scoping import SYSTEM, TenantScope

            async with db.session(SYSTEM) as session:
                user = await users.create_user(session, username, TEST_PASSWORD,
                                               display_name=display_name or username)
            if role is not None:
                scope = TenantScope.of(tenant.id) if tenant is not None else SYSTEM
                async with db.session(scope) as session:
                    await policy.grant_role(session, user, role, tenant.id if tenant is not None else None,
                                            attrs=attrs)

        self.run(make)
        self.granted_at = time.monotonic()
        return username

    def wait_for_policy(self) -> None:
        """Until the server has re-read the access policy since the last grant made here."""
        remaining = self.granted_at + POLICY_POLL + 0.2 - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)

    # -- the server ---------------------------------------------------------------------------------
    def wait_ready(self, seconds: float = 90) -> None:
        """Until the server answers ``/ready`` (it starts while the test seeds and the browser launches)."""
        import httpx

        deadline = time.monotonic() + seconds
        while not self.ready:
            if self.process is not None and self.process.poll() is not None:
                pytest.fail(f"`wardhub serve` stopped (exit {self.process.returncode}):\n{self.log_tail()}",
                            pytrace=False)
            with contextlib.suppress(httpx.HTTPError):
                self.ready = httpx.get(f"{self.url}/ready", timeout=2).status_code == 200
            if not self.ready:
                if time.monotonic() > deadline:
                    pytest.fail(f"`wardhub serve` did not answer /ready within {seconds:.0f} s:\n{self.log_tail()}",
                                pytrace=False)
                time.sleep(0.2)

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def start_server(backend: str, app_url: str, admin_url: str | None, log: Path) -> LiveServer:
    """Start ``wardhub serve`` (without waiting for it: :meth:`LiveServer.wait_ready`)."""
    from core.testing import installed_plugin_names, make_settings

    settings = make_settings(app_url, admin_url, installed_plugin_names())
    port = free_port()
    env = {
        **os.environ, "WARDHUB_DATABASE_URL": app_url, "WARDHUB_SECRET_KEY": settings.secret_key,
        "WARDHUB_ENV": "test", "WARDHUB_LOG_LEVEL": "WARNING", "WARDHUB_LOG_FORMAT": "console",
        "WARDHUB_PLUGINS": ",".join(settings.plugins or ()), "WARDHUB_MAP_TILES": "", "PYTHONUNBUFFERED": "1",
    }
    env.pop("WARDHUB_REDIS_URL", None)
    if admin_url:
        env["WARDHUB_ADMIN_DATABASE_URL"] = admin_url
    else:
        env.pop("WARDHUB_ADMIN_DATABASE_URL", None)
    wardhub = Path(sys.executable).with_name("wardhub")
    command = [str(wardhub)] if wardhub.exists() else [sys.executable, "-c", "from core.cli import main; main()"]
    handle = log.open("w")
    process = subprocess.Popen([*command, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=ROOT,
                               stdout=handle, stderr=subprocess.STDOUT)
    handle.close()
    return LiveServer(f"http://127.0.0.1:{port}", backend, settings, log, process)


def stop_server(server: LiveServer) -> None:
    process = server.process
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def fresh_database(backend: str, folder: Path) -> tuple[str, str | None, Callable[[], None]]:
    """A new database for the server, migrated with every installed plugin: (app url, admin url, drop)."""
    from core.app import load_plugins, migration_dirs
    from core.db import migrate
    from core.testing import create_database, installed_plugin_names, make_settings

    def make() -> tuple[str, str | None, Callable[[], None]]:
        app_url, admin_url, drop = create_database(backend, folder)
        settings = make_settings(app_url, admin_url, installed_plugin_names())
        asyncio.run(migrate.upgrade(settings, migration_dirs(load_plugins(settings))))
        return app_url, admin_url, drop

    return in_thread(make)


@pytest.fixture(scope="session")
def live_server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``wardhub serve`` over a fresh migrated database of this backend, for the whole session."""
    folder = tmp_path_factory.mktemp(f"server-{backend}")
    app_url, admin_url, drop = fresh_database(backend, folder)
    server = start_server(backend, app_url, admin_url, folder / "wardhub-serve.log")
    try:
        yield server
    finally:
        stop_server(server)
    in_thread(drop)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium under Playwright, one per test module.

    Not one per session: Playwright's sync API keeps its event loop marked running in the main thread while
    it is started, and the async tests (pytest-asyncio) and ``asyncio.run`` of other modules cannot run then;
    stopping it at the end of the module gives the thread back."""
    executable = chromium_executable()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the browser tests need Playwright for Python: pip install -e '.[test]'", pytrace=False)
    playwright = sync_playwright().start()
    try:
        instance = playwright.chromium.launch(
            executable_path=executable, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"],
        )
    except Exception as exc:
        playwright.stop()
        pytest.fail(f"Chromium at {executable} did not start under Playwright: {exc}", pytrace=False)
    yield instance
    instance.close()
    playwright.stop()


def sign_in_page(browser: Any, server: LiveServer, username: str, *, next_path: str = "/", lang: str = "vi",
                 viewport: tuple[int, int] = (1280, 900)) -> Any:
    """A new browser context signed in as ``username`` through ``/auth/login``'s form; its page is at
    ``next_path``. ``page.context`` is the context (close it when done)."""
    from core.testing import TEST_PASSWORD

    server.wait_ready()
    server.wait_for_policy()
    context = browser.new_context(base_url=server.url, locale="vi-VN" if lang == "vi" else "en-GB",
                                  viewport={"width": viewport[0], "height": viewport[1]},
                                  extra_http_headers={"Accept-Language": lang})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"/auth/login?next={next_path}")
    page.get_by_label("Tên đăng nhập" if lang == "vi" else "Username").fill(username)
    page.get_by_label("Mật khẩu" if lang == "vi" else "Password").fill(TEST_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Đăng nhập" if lang == "vi" else "Sign in").click()
    assert "/auth/login" not in page.url, f"sign-in as {username} failed: {page.content()[:1000]}"
    return page
