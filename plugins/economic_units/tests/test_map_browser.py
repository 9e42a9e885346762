"""The map page in a real browser: ``wardhub serve`` over a fresh database (``live_server``, SQLite and, when
``WARDHUB_TEST_POSTGRES`` is set, PostgreSQL), a signed-in officer opens ``/t/<ward>/economic_units/map`` in
headless Debian Chromium driven by Playwright (``browser``), and the ward's points must be drawn (Leaflet circle
markers over a blank map: no tiles are configured).

The fixtures are core's (``core.testing_browser``), shared with the console suite in ``tests/browser``: one
server per backend for the test session, one browser per module. A missing Chromium is installed by
``scripts/ensure-chromium`` (``make test``) or the test fails, saying so; it never skips. The screenshot is kept
at ``var/screenshots/economic_units_map.png`` (PostgreSQL: ``economic_units_map-postgres.png``).
"""

from __future__ import annotations

from core.db.scoping import TenantScope
from core.testing_browser import SCREENSHOTS, check_png, sign_in_page
from plugins.economic_units import services
from plugins.economic_units.tests.conftest import PLUGINS

NAMES = ["Cơ khí Minh Phát", "Tạp hóa Thanh Hương", "Phần mềm Sao Việt", "Phở Bà Tư"]


def test_the_map_page_draws_the_wards_points_in_chromium(live_server, browser):
    from playwright.sync_api import expect

    ward = live_server.add_ward(PLUGINS)
    other = live_server.add_ward(PLUGINS)

    async def seed(db, _manager):
        async with db.session(TenantScope.of(ward.id)) as session:
            for index, name in enumerate(NAMES):
                await services.create_unit(session, {
                    "name": name, "kind": "household", "address": f"{index + 1} Lạc Long Quân",
                    "section": "CGJI"[index], "labour": 3 + index * 10, "latitude": 10.760 + index * 0.003,
                    "longitude": 106.648 + index * 0.002})
            await services.create_unit(session, {"name": "Không có tọa độ", "kind": "household", "address": "x",
                                                 "section": "G"})
        async with db.session(TenantScope.of(other.id)) as session:
            await services.create_unit(session, {"name": "Ở phường khác", "kind": "household", "address": "y",
                                                 "section": "G", "latitude": 10.8, "longitude": 106.7})

    live_server.run(seed)
    officer = live_server.add_user("ward_officer", ward)
    page = sign_in_page(browser, live_server, officer, next_path=f"/t/{ward.key}/economic_units/map",
                        viewport=(1280, 1400))
    try:
        box = page.locator('[data-state="ready"]')
        expect(box).to_have_attribute("data-points", "4")
        points = page.locator("path.eu-point")
        expect(points).to_have_count(4)
        drawn = {points.nth(i).get_attribute("data-name") for i in range(4)}
        assert drawn == set(NAMES)  # the ward's four points; not the unit without coordinates nor the other ward's
        assert page.locator(".leaflet-container.eu-map-blank").count() == 1  # no tiles: points over a blank map
        assert "Ở phường khác" not in page.inner_text("body")

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        suffix = "" if live_server.backend == "sqlite" else f"-{live_server.backend}"
        shot = SCREENSHOTS / f"economic_units_map{suffix}.png"
        shot.unlink(missing_ok=True)
        page.screenshot(path=str(shot))
        check_png(shot, min_bytes=10_000)
    finally:
        page.context.close()
