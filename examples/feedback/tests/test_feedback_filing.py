"""Filing: anonymous visitors and residents, field errors in both languages, photos, the anonymous rate limit,
the public form and tracking. Real HTTP through core.testing's fixtures, real database."""

from __future__ import annotations

import hashlib
import re

import pytest
from feedback_helpers import EN, JPEG, REPORT, files, png_bytes, url

from wardhub_feedback import services

pytestmark = pytest.mark.plugins("feedback")
CODE = re.compile(r"^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$")


async def test_an_anonymous_visitor_files_and_follows_with_the_tracking_code(anon_client, client, ward):
    response = await anon_client.post(url(ward, "reports"), json=REPORT)
    assert response.status_code == 201, response.text
    report = response.json()
    assert CODE.match(report["code"]) and report["status"] == "received" and report["anonymous"] is True
    assert (report["lat"], report["lng"], report["category"]) == (10.7769, 106.6869, "environment")
    tracked = await anon_client.get(url(ward, f"tracking/{report['code'].lower().replace('-', ' ')}"))
    assert tracked.status_code == 200, tracked.text
    body = tracked.json()
    assert body["status"] == "received" and [u["kind"] for u in body["updates"]] == ["filed"]
    assert "Nguyễn Văn An" not in tracked.text and "0909123456" not in tracked.text  # no reporter details
    page = await anon_client.get(url(ward, f"track/{report['code']}"), headers=EN)
    assert page.status_code == 200 and "Received" in page.text and report["code"] in page.text
    missing = await anon_client.get(url(ward, "tracking/AAAA-BBBB-CCCC"), headers=EN)
    assert missing.status_code == 404 and missing.json()["error"]["message"] == "No report has this tracking code"
    listed = await client.get(url(ward, "reports"))  # staff see it
    assert [r["code"] for r in listed.json()] == [report["code"]]


async def test_a_resident_files_as_themselves_and_lists_their_own(client_as, file, ward):
    resident = await client_as("resident", ward)
    mine = await file(client=resident, category="traffic")
    assert mine["anonymous"] is False
    await file()  # someone else's, anonymous
    listed = await resident.get(url(ward, "mine"))
    assert listed.status_code == 200 and [r["code"] for r in listed.json()] == [mine["code"]]
    assert (await resident.get(url(ward, "reports"))).status_code == 403  # not the ward's list


@pytest.mark.parametrize(("body", "field", "vi", "en"), [
    ({"category": None}, "category", "Hãy chọn lĩnh vực", "Choose a category"),
    ({"category": "noise"}, "category", "Phải là một trong: construction, urban_order, environment, traffic, "
     "security, other", "Must be one of: construction, urban_order, environment, traffic, security, other"),
    ({"description": "  "}, "description", "Không được để trống", "Required"),
    ({"description": "ngắn"}, "description", "Ít nhất 10 ký tự", "At least 10 characters"),
    ({"description": "x" * 4001}, "description", "Tối đa 4000 ký tự", "At most 4000 characters"),
    ({"lat": 48.85, "lng": 106.7}, "lat", "Vị trí phải trong lãnh thổ Việt Nam (8.0 đến 23.5)",
     "The place must be in Viet Nam (8.0 to 23.5)"),
    ({"lat": "north", "lng": 106.7}, "lat", "Phải là một số (độ thập phân)", "Must be a number (decimal degrees)"),
    ({"lat": 10.7, "lng": None}, "lng", "Cần cả vĩ độ và kinh độ", "Give both latitude and longitude"),
    ({"name": "N" * 121}, "name", "Tối đa 120 ký tự", "At most 120 characters"),
    ({"contact": 12345}, "contact", "Phải là chuỗi ký tự", "Must be text"),
])
async def test_bad_input_names_the_field_in_vietnamese_and_english(anon_client, client, ward, body, field, vi, en):
    for lang, expected in (("vi", vi), ("en", en)):
        response = await anon_client.post(url(ward, "reports"), json={**REPORT, **body},
                                          headers={"Accept-Language": lang})
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error["code"] == "BAD_USER_INPUT" and error["fields"] == {field: expected}
    assert (await client.get(url(ward, "reports"))).json() == []  # nothing written


async def test_malformed_bodies_are_4xx_never_500(anon_client, ward):
    for kwargs in ({"json": [1, 2]}, {"content": b"{not json", "headers": {"content-type": "application/json"}},
                   {"json": "text"}, {"content": b"\x00\xff", "headers": {"content-type": "text/plain"}}):
        response = await anon_client.post(url(ward, "reports"), **kwargs)
        assert 400 <= response.status_code < 500, (kwargs, response.text)


async def test_photos_are_checked_by_content_and_size_and_stored(client, anon_client, ward, photo_folder,
                                                                monkeypatch):
    anon_client.cookies.clear()
    await anon_client.get(url(ward, "new"))  # the form sets the CSRF cookie a multipart post needs
    csrf = {"x-csrftoken": anon_client.cookies.get("csrftoken"), **EN}
    png = png_bytes()
    response = await anon_client.post(url(ward, "reports"), data={k: str(v) for k, v in REPORT.items()},
                                      files=files(("rac.png", png), ("không đuôi", JPEG)), headers=csrf)
    assert response.status_code == 201, response.text
    photos = response.json()["photos"]
    assert [(p["content_type"], p["size"]) for p in photos] == [("image/png", len(png)), ("image/jpeg", len(JPEG))]
    assert photos[0]["sha256"] == hashlib.sha256(png).hexdigest()
    stored = sorted(p.read_bytes() for p in (photo_folder / str(ward.id)).iterdir())
    assert stored == sorted([png, JPEG])
    served = await client.get(url(ward, f"photos/{photos[0]['id']}"))
    assert served.status_code == 200 and served.content == png and served.headers["x-content-type-options"] == "nosniff"
    assert (await anon_client.get(url(ward, f"photos/{photos[0]['id']}"))).status_code == 401

    form = {k: str(v) for k, v in REPORT.items()}
    for upload, message in (
        (files(("photo.png", b"%PDF-1.7 not an image")),
         "The file is not a JPEG, PNG or WebP image (checked by its content, not its name)"),
        (files(("a.png", png), ("b.png", png), ("c.png", png), ("d.png", png)), "At most 3 photos"),
    ):
        refused = await anon_client.post(url(ward, "reports"), data=form, files=upload, headers=csrf)
        assert refused.status_code == 400 and refused.json()["error"]["fields"] == {"photo": message}
    monkeypatch.setenv("WARDHUB_FEEDBACK_PHOTO_MAX_BYTES", "40")
    big = await anon_client.post(url(ward, "reports"), data=form, files=files(("big.png", png)),
                                 headers={**csrf, "Accept-Language": "vi"})
    assert big.status_code == 400 and big.json()["error"]["fields"]["photo"].startswith("Ảnh quá lớn")
    assert len((await client.get(url(ward, "reports"))).json()) == 1  # the refused filings wrote nothing
    assert len(list((photo_folder / str(ward.id)).iterdir())) == 2


async def test_anonymous_filing_is_rate_limited_per_address_and_ward(anon_client, client_as, client, make_tenant,
                                                                    file, ward):
    for _ in range(5):  # the default: 5 an hour from one address
        await file()
    limited = await anon_client.post(url(ward, "reports"), json=REPORT, headers=EN)
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "RATE_LIMITED"
    assert limited.json()["error"]["message"].startswith("5 anonymous reports were filed from this address")
    vi = await anon_client.post(url(ward, "reports"), json=REPORT)
    assert vi.status_code == 429 and "phản ánh ẩn danh" in vi.json()["error"]["message"]
    other = await make_tenant(plugins=("feedback",))  # per ward: the neighbour still takes reports
    await file(target=other)
    resident = await client_as("resident", ward)  # signed-in residents are not limited
    await file(client=resident)
    raised = await client.put(url(ward, "settings"), json={"anonymous_per_hour": 6})
    assert raised.status_code == 200 and raised.json()["anonymous_per_hour"] == 6
    await file()
    assert (await anon_client.post(url(ward, "reports"), json=REPORT)).status_code == 429
    assert len((await client.get(url(ward, "reports"))).json()) == 7


async def test_the_limit_counts_each_address_apart(scoped, ward):
    async with scoped(ward) as session:
        for _ in range(5):
            await services.file_report(session, ward.id, REPORT, client="203.0.113.7")
        await services.file_report(session, ward.id, REPORT, client="203.0.113.8")  # another address
        with pytest.raises(services.UserError) as refused:
            await services.file_report(session, ward.id, REPORT, client="203.0.113.7")
        assert refused.value.code == "RATE_LIMITED"
        stored = [r.client_hash for r in await services.reports(session)]
        assert "203.0.113.7" not in "".join(stored)  # only a pseudonym is kept
        assert len(set(stored)) == 2


async def test_the_public_form_files_a_report_and_shows_the_tracking_code(anon_client, client, ward):
    form = await anon_client.get(url(ward, "new"), headers=EN)
    assert form.status_code == 200 and 'name="_csrf_token"' in form.text
    assert "feedback/vendor/leaflet.js" in form.text and "unpkg" not in form.text and "cdn" not in form.text.lower()
    token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text).group(1)
    fields = {**{k: str(v) for k, v in REPORT.items()}, "_csrf_token": token}
    bad = await anon_client.post(url(ward, "new"), data={**fields, "description": "ngắn"}, files=files(),
                                 headers=EN)
    assert bad.status_code == 400 and "At least 10 characters" in bad.text
    sent = await anon_client.post(url(ward, "new"), data=fields, files=files(), follow_redirects=False)
    assert sent.status_code == 303, sent.text
    location = sent.headers["location"]
    assert location.startswith(f"/t/{ward.key}/feedback/track/")
    shown = await anon_client.get(location, headers=EN)
    code = location.rsplit("/", 1)[1].split("?")[0]
    assert shown.status_code == 200 and f"Keep its tracking code: {code}" in shown.text
    assert [r["code"] for r in (await client.get(url(ward, "reports"))).json()] == [code]
    forged = await anon_client.post(url(ward, "new"), data={**fields, "_csrf_token": "forged"}, files=files())
    assert forged.status_code == 403


async def test_the_map_uses_configured_tiles_and_lets_only_their_origin_in(anon_client, ward, monkeypatch):
    blank = await anon_client.get(url(ward, "new"))
    assert 'data-tiles=""' in blank.text and "img-src 'self' data:;" in blank.headers["content-security-policy"]
    monkeypatch.setenv("WARDHUB_MAP_TILES", "https://tiles.example.vn/{z}/{x}/{y}.png")
    tiled = await anon_client.get(url(ward, "new"))
    assert 'data-tiles="https://tiles.example.vn/{z}/{x}/{y}.png"' in tiled.text
    assert "img-src 'self' data: https://tiles.example.vn;" in tiled.headers["content-security-policy"]
