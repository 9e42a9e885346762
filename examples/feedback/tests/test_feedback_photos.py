"""Photos of reports and the transaction: a filing that fails after its photos were written leaves no file, a
purge removes the ward's photo folder once it commits (and nothing if it rolls back), refused photos name the
``photo`` field in both languages. Real HTTP through core.testing's fixtures, real database."""

from __future__ import annotations

import pytest
from feedback_helpers import JPEG, REPORT, files, png_bytes, url

from wardhub_feedback import services

pytestmark = pytest.mark.plugins("feedback")
FORM = {k: str(v) for k, v in REPORT.items()}


@pytest.fixture
async def post_form(anon_client, ward):
    """``await post_form(files, lang)``: the multipart form an anonymous visitor sends, CSRF cookie and header set."""
    anon_client.cookies.clear()
    await anon_client.get(url(ward, "new"))  # the form sets the CSRF cookie a multipart post needs
    csrf = {"x-csrftoken": anon_client.cookies.get("csrftoken")}

    async def send(upload, lang="en"):
        return await anon_client.post(url(ward, "reports"), data=FORM, files=upload,
                                      headers={**csrf, "Accept-Language": lang})

    return send


def on_disk(photo_folder) -> list[str]:
    return sorted(p.name for p in photo_folder.rglob("*") if p.is_file()) if photo_folder.exists() else []


@pytest.mark.parametrize(("content", "limit", "vi", "en"), [
    (b"", None, "Tệp ảnh trống", "The photo file is empty"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", None,
     "Tệp không phải ảnh JPEG, PNG hay WebP (kiểm tra theo nội dung, không theo tên tệp)",
     "The file is not a JPEG, PNG or WebP image (checked by its content, not its name)"),
    (JPEG, "40", "Ảnh quá lớn: 86 byte, tối đa 40 byte", "The photo is too large: 86 bytes, at most 40 bytes"),
], ids=["empty", "not_an_image", "too_large"])
async def test_a_refused_photo_names_the_field_in_vietnamese_and_english(client, ward, post_form, photo_folder,
                                                                         monkeypatch, content, limit, vi, en):
    if limit:
        monkeypatch.setenv("WARDHUB_FEEDBACK_PHOTO_MAX_BYTES", limit)
    for lang, message in (("vi", vi), ("en", en)):
        response = await post_form(files(("anh.jpg", content)), lang)
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert (error["code"], error["message"], error["fields"]) == ("BAD_USER_INPUT", message, {"photo": message})
    assert on_disk(photo_folder) == [] and (await client.get(url(ward, "reports"))).json() == []


async def test_a_filing_that_fails_after_its_photos_were_written_leaves_no_file(client, db, ward, post_form,
                                                                              photo_folder):
    """The service writes the photos in the filing's transaction: if it ends without a commit (an error later
    in the request, a lost connection), they are removed again."""
    from core.db.scoping import TenantScope

    session = db.open(TenantScope.of(ward.id))
    try:
        await services.file_report(session, ward.id, dict(REPORT), photos=[(png_bytes(), "a.png"), (JPEG, "b.jpg")])
        assert len(on_disk(photo_folder)) == 2  # written while the transaction is open
        await session.rollback()
    finally:
        await session.close()
    assert on_disk(photo_folder) == [] and (await client.get(url(ward, "reports"))).json() == []
    filed = await post_form(files(("a.png", png_bytes())))
    assert filed.status_code == 201 and on_disk(photo_folder) == [f"{filed.json()['photos'][0]['id']}.png"]


async def test_purging_removes_the_wards_photo_folder_once_the_purge_commits(client, db, ward, post_form,
                                                                           photo_folder, plugin_manager):
    from tenants import lifecycle

    from core.db.scoping import TenantScope
    from wardhub_feedback import plugin

    filed = await post_form(files(("a.png", png_bytes()), ("b.jpg", JPEG)))
    assert filed.status_code == 201, filed.text
    session = db.open(TenantScope.of(ward.id))  # the plugin's purge, in a transaction that then rolls back
    try:
        assert await plugin.wardhub_purge_tenant_data(ward, session) == 4
        await session.rollback()
    finally:
        await session.close()
    assert len(on_disk(photo_folder)) == 2  # rolled back: the report and its photos are kept
    served = await client.get(url(ward, f"photos/{filed.json()['photos'][0]['id']}"))
    assert served.status_code == 200 and served.content == png_bytes()
    assert await lifecycle.purge_plugin_data(db, plugin_manager, ward.key, "feedback") == 4  # report, update, 2 photos
    assert not (photo_folder / str(ward.id)).exists() and (await client.get(url(ward, "reports"))).json() == []


async def test_a_merge_moves_the_photo_files_with_their_reports(client, db, ward, make_tenant, post_form, photo_folder,
                                                               plugin_manager):
    from tenants import registry

    filed = await post_form(files(("a.png", png_bytes())))
    assert filed.status_code == 201, filed.text
    photo = filed.json()["photos"][0]["id"]
    target = await make_tenant()
    await registry.merge(db, ward.key, target.key, manager=plugin_manager)
    served = await client.get(url(target, f"photos/{photo}"))
    assert served.status_code == 200 and served.content == png_bytes()
    assert not (photo_folder / str(ward.id)).exists() and on_disk(photo_folder) == [f"{photo}.png"]
