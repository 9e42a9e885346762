"""The console in a real browser (issue #9): ``wardhub serve`` over a fresh database (SQLite, and PostgreSQL
when ``WARDHUB_TEST_POSTGRES`` is set), headless Debian Chromium under Playwright.

* a ward officer registers a household of two through the web form, after seeing the inline error of an invalid
  identification number;
* a resident of that household, on a 360-px phone screen, sees their household, proposes a new member (a newborn)
  and follows the request; the officer reviews it and the chair approves it in the inbox; the resident sees it
  approved, and the dashboard counts three residents; screenshots of the dashboard and of the economic units map
  (the ward's points drawn) under ``var/screenshots/``;
* an officer of ward A typing ward B's addresses gets 403/404 pages, and none of B's names or codes.

One server per backend for the whole session, one browser for the module (``core.testing_browser``).
"""

from __future__ import annotations

import re
import uuid
from datetime import date

import pytest

from core.testing_browser import SCREENSHOTS, check_png, sign_in_page

PLUGINS = ("residents", "economic_units")
POINTS = (("Cơ khí Minh Phát", "C"), ("Tạp hóa Thanh Hương", "G"), ("Phở Bà Tư", "I"))
B_HOUSEHOLD_CODE = "HK-BMAT-77"
B_NAMES = ("Lý Bí Ẩn Khuất", "Lý Thị Kín Đáo")
B_UNIT = "Xưởng Gốm Phường Bên Kia"


def _valid_person(sex: str, year: int) -> dict:
    from plugins.residents.samples import SampleMaker

    return SampleMaker(uuid.uuid4(), date.today()).person(sex, year)


@pytest.fixture(scope="module")
def wards(live_server):
    """Ward A (empty register, three mapped economic units) and ward B (a household and a unit of its own),
    with A's officer and chair; per backend."""
    from core.db.scoping import TenantScope
    from plugins.economic_units import services as units
    from plugins.residents import services as residents

    a = live_server.add_ward(PLUGINS, name="Phường Thử nghiệm A")
    b = live_server.add_ward(PLUGINS, name="Phường Thử nghiệm B")

    async def seed(db, _manager):
        async with db.session(TenantScope.of(a.id)) as session:
            for index, (name, section) in enumerate(POINTS):
                await units.create_unit(session, {
                    "name": name, "kind": "household", "address": f"{index + 1} Lạc Long Quân", "section": section,
                    "labour": 3 + index, "latitude": 10.760 + index * 0.003, "longitude": 106.648 + index * 0.002})
        async with db.session(TenantScope.of(b.id)) as session:
            head, spouse = _valid_person("male", 1970), _valid_person("female", 1972)
            household = await residents.register_household(session, {
                "code": B_HOUSEHOLD_CODE, "address": "9 Đường Bên Kia", "members": [
                    {**head, "full_name": B_NAMES[0], "relation": "head"},
                    {**spouse, "full_name": B_NAMES[1], "relation": "spouse"}]})
            await units.create_unit(session, {
                "name": B_UNIT, "kind": "household", "address": "1 Đường Bên Kia", "section": "C", "labour": 5,
                "latitude": 10.8, "longitude": 106.7})
            return household.id

    b_household = live_server.run(seed)
    return {"a": a, "b": b, "b_household": b_household,
            "officer": live_server.add_user("ward_officer", a, display_name="Cán bộ Phường A"),
            "chair": live_server.add_user("ward_chair", a, display_name="Chủ tịch Phường A")}


UNLABELLED = """() => [...document.querySelectorAll('main input:not([type=hidden]), main select, main textarea')]
    .filter(field => field.labels.length === 0).map(field => field.id || field.name)"""


def _figure(page, title: str) -> int:
    """The value of the dashboard figure titled ``title`` (its ``<data value>``)."""
    figure = page.locator("article.figure").filter(has=page.locator(".figure__title", has_text=re.compile(
        rf"^{re.escape(title)}$")))
    return int(figure.locator("data").first.get_attribute("value"))


def test_register_propose_review_approve_and_the_dashboard_follows(browser, live_server, wards):
    from playwright.sync_api import expect

    a = wards["a"]
    home = f"/t/{a.key}"
    officer = sign_in_page(browser, live_server, wards["officer"], next_path=f"{home}/")
    try:
        page = officer
        expect(page.get_by_role("heading", level=1)).to_contain_text("Tổng quan")
        assert _figure(page, "Nhân khẩu") == 0 and _figure(page, "Hộ gia đình") == 0

        # register a household of two through the form; first with an invalid identification number
        page.get_by_role("navigation", name=re.compile("")).get_by_role("link", name="Đăng ký hộ").first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Đăng ký hộ gia đình")
        assert page.evaluate(UNLABELLED) == []
        head, spouse = _valid_person("male", 1984), _valid_person("female", 1986)
        head["full_name"], spouse["full_name"] = "Trần Văn Hiếu", "Phạm Thị Thảo"
        page.get_by_label("Số hộ").fill("HK-TRINH-01")
        page.get_by_label("Địa chỉ").fill("15 Nguyễn Văn Cừ")
        for index, (person, relation, sex) in enumerate(((head, "head", "male"), (spouse, "spouse", "female"))):
            row = f"members.{index}."
            page.locator(f'[id="{row}full_name"]').fill(person["full_name"])
            page.locator(f'[id="{row}relation"]').select_option(relation)
            page.locator(f'[id="{row}sex"]').select_option(sex)
            page.locator(f'[id="{row}birth_date"]').fill(person["birth_date"])
            page.locator(f'[id="{row}id_number"]').fill(person["id_number"])
        page.locator('[id="members.1.id_number"]').fill("07912345")  # 8 digits: not an identification number
        page.get_by_role("button", name="Đăng ký").click()
        error = page.locator('[id="members.1.id_number-error"]')
        expect(error).to_be_visible()
        assert error.inner_text().strip()
        expect(page.locator('[id="members.1.id_number"]')).to_have_attribute("aria-invalid", "true")
        expect(page.locator('[id="members.0.full_name"]')).to_have_value("Trần Văn Hiếu")  # the form keeps the input
        page.locator('[id="members.1.id_number"]').fill(spouse["id_number"])
        page.get_by_role("button", name="Đăng ký").click()
        page.wait_for_url(re.compile(r"/residents/web/households/[0-9a-f-]{36}$"))
        expect(page.get_by_role("heading", level=1)).to_contain_text("HK-TRINH-01")
        expect(page.locator("article.person h3")).to_have_text(["Trần Văn Hiếu", "Phạm Thị Thảo"])
        household_id = page.url.rsplit("/", 1)[1]
        page.get_by_role("link", name="Tổng quan").first.click()
        assert _figure(page, "Hộ gia đình") == 1 and _figure(page, "Nhân khẩu") == 2

        # a resident of the household, on a phone
        resident_name = live_server.add_user("resident", a, {"household": household_id},
                                             display_name="Phạm Thị Thảo")
        resident = sign_in_page(browser, live_server, resident_name, next_path=f"{home}/residents/web/my-household",
                                viewport=(360, 740))
        try:
            expect(resident.get_by_role("heading", level=1)).to_contain_text("Hộ gia đình của tôi")
            expect(resident.locator("article.person h3")).to_have_text(["Trần Văn Hiếu", "Phạm Thị Thảo"])
            assert not any(name in resident.inner_text("body") for name in B_NAMES)
            assert resident.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
            resident.get_by_role("link", name="Đề xuất thay đổi", exact=True).click()
            expect(resident.get_by_role("heading", level=1)).to_contain_text("Đề xuất thay đổi")
            assert resident.evaluate("document.documentElement.scrollWidth") <= 360
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            phone = SCREENSHOTS / f"resident_portal_360px-{live_server.backend}.png"
            resident.screenshot(path=str(phone), full_page=True)
            check_png(phone)
            assert resident.evaluate(UNLABELLED) == []  # every field has its label
            form = resident.locator("#form-member")
            form.get_by_label("Họ và tên").fill("Trần Bảo An")
            form.get_by_label("Ngày sinh").fill("31/02/2026")  # no such date: the field says so
            form.get_by_label("Giới tính").select_option("male")
            form.get_by_label("Quan hệ với chủ hộ").select_option("child")
            form.get_by_role("button", name="Gửi đề xuất").click()
            expect(resident.locator("#member-birth_date-error")).to_be_visible()
            expect(resident.locator("#member-birth_date")).to_have_attribute("aria-invalid", "true")
            born = date.today().replace(day=1)
            resident.locator("#member-birth_date").fill(born.strftime("%d/%m/%Y"))
            resident.locator("#member-note").fill("Con mới sinh")
            resident.locator("#form-member").get_by_role("button", name="Gửi đề xuất").click()
            resident.wait_for_url(re.compile(r"/requests\?done=proposed$"))
            expect(resident.get_by_role("status")).to_contain_text("Đã gửi yêu cầu")
            mine = resident.locator("li.change-request")
            expect(mine).to_have_count(1)
            expect(mine).to_have_attribute("data-state", "submitted")
            expect(mine).to_contain_text("Thêm thành viên vào hộ")

            # the officer reviews in the inbox
            page.goto(f"{home}/inbox")
            item = page.locator("li.change-request", has_text="Thêm thành viên vào hộ")
            expect(item).to_contain_text("Trần Bảo An")
            item.get_by_role("button", name="Xác nhận đã xem xét").click()
            expect(page.get_by_role("status")).to_contain_text("Đã chuyển yêu cầu lên lãnh đạo phê duyệt")

            # the chair approves
            chair = sign_in_page(browser, live_server, wards["chair"], next_path=f"{home}/inbox")
            try:
                item = chair.locator("li.change-request", has_text="Thêm thành viên vào hộ")
                expect(item).to_have_attribute("data-state", "reviewed")
                item.get_by_role("button", name="Phê duyệt").click()
                expect(chair.get_by_role("status")).to_contain_text("Đã phê duyệt và áp dụng thay đổi")
            finally:
                chair.context.close()

            # the resident follows it, in Vietnamese and in English
            resident.reload()
            expect(resident.locator("li.change-request")).to_have_attribute("data-state", "approved")
            expect(resident.locator("li.change-request")).to_contain_text("Đã phê duyệt")
            resident.get_by_role("link", name="English").click()
            expect(resident.locator("li.change-request")).to_contain_text("Approved")
            expect(resident.locator("html")).to_have_attribute("lang", "en")
            resident.goto(f"{home}/residents/web/my-household")
            expect(resident.locator("article.person h3")).to_have_count(3)
            expect(resident.locator("article.person", has_text="Trần Bảo An")).to_be_visible()
        finally:
            resident.context.close()

        # the dashboard counts the new member: approved, so applied
        page.goto(f"{home}/?lang=vi")
        assert _figure(page, "Hộ gia đình") == 1
        assert _figure(page, "Nhân khẩu") == 3
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot = SCREENSHOTS / f"dashboard-{live_server.backend}.png"
        shot.unlink(missing_ok=True)
        page.screenshot(path=str(shot), full_page=True)
        check_png(shot)
    finally:
        officer.context.close()


def test_the_map_draws_the_wards_points(browser, live_server, wards):
    from playwright.sync_api import expect

    page = sign_in_page(browser, live_server, wards["officer"], next_path=f"/t/{wards['a'].key}/economic_units/map")
    try:
        box = page.locator('[data-state="ready"]')
        expect(box).to_have_attribute("data-points", str(len(POINTS)))
        points = page.locator("path.eu-point")
        expect(points).to_have_count(len(POINTS))
        drawn = {points.nth(i).get_attribute("data-name") for i in range(len(POINTS))}
        assert drawn == {name for name, _ in POINTS}  # the ward's own points, not ward B's
        assert B_UNIT not in page.inner_text("body")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot = SCREENSHOTS / f"economic_units_map-{live_server.backend}.png"
        shot.unlink(missing_ok=True)
        page.screenshot(path=str(shot), full_page=True)
        check_png(shot)
    finally:
        page.context.close()


def test_an_officer_of_ward_a_gets_nothing_of_ward_b(browser, live_server, wards):
    a, b, b_household = wards["a"], wards["b"], wards["b_household"]
    secrets = (*B_NAMES, B_HOUSEHOLD_CODE, B_UNIT, "Đường Bên Kia")
    page = sign_in_page(browser, live_server, wards["officer"], next_path=f"/t/{a.key}/")
    try:
        pages = [f"/t/{b.key}/", f"/t/{b.key}/residents/", f"/t/{b.key}/residents/web/households/{b_household}",
                 f"/t/{b.key}/residents/web/register", f"/t/{b.key}/economic_units/map", f"/t/{b.key}/inbox",
                 f"/t/{b.key}/requests",
                 f"/t/{a.key}/residents/web/households/{b_household}"]  # B's household under A's own address
        for path in pages:
            response = page.goto(path)
            assert response is not None and response.status in (403, 404), (path, response and response.status)
            text = page.inner_text("body")
            assert not [s for s in secrets if s in text], (path, text[:500])
            assert page.locator(".error-page").count() == 1, path  # the error page, not a half-drawn one
        json_routes = [f"/t/{b.key}/residents/households", f"/t/{b.key}/residents/households/{b_household}",
                       f"/t/{b.key}/residents/search?q=ly", f"/t/{b.key}/residents/statistics",
                       f"/t/{b.key}/residents/export", f"/t/{b.key}/economic_units/units",
                       f"/t/{b.key}/economic_units/geojson", f"/t/{b.key}/workflow/changes",
                       f"/t/{a.key}/residents/households/{b_household}"]
        for path in json_routes:
            response = page.context.request.get(path, headers={"Accept": "application/json"})
            assert response.status in (403, 404), (path, response.status)
            body = response.text()
            assert not [s for s in secrets if s in body], (path, body[:500])
        graphql = page.context.request.post("/graphql", headers={
            "X-Tenant": b.key, "Content-Type": "application/json", "Accept": "application/json",
            "X-CSRFToken": next((c["value"] for c in page.context.cookies() if c["name"] == "csrftoken"), "")},
            data={"query": "{ residents { households(first: 5) { edges { node { code } } } } }"})
        body = graphql.text()
        assert "FORBIDDEN" in body or graphql.status in (401, 403), body[:500]
        assert not [s for s in secrets if s in body], body[:500]
        # and A's own pages still answer
        assert page.goto(f"/t/{a.key}/residents/").status == 200
    finally:
        page.context.close()
