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


async def test_a_filing_that_fails_after_its_photos_were_written_leaves_no_file(client, ward, post_form,
                                                                              photo_folder, monkeypatch):
    file_report, written = services.file_report, []

    async def crash_after_the_write(session, *args, **kwargs):
        await file_report(session, *args, **kwargs)
        written.append(on_disk(photo_folder))
        raise RuntimeError("the server fails before the commit")

    monkeypatch.setattr(services, "file_report", crash_after_the_write)
    crashed = await post_form(files(("a.png", png_bytes()), ("b.jpg", JPEG)))
    assert crashed.status_code == 500
    assert len(written[0]) == 2 and on_disk(photo_folder) == []  # written, then removed with the rollback
    assert (await client.get(url(ward, "reports"))).json() == []
    monkeypatch.setattr(services, "file_report", file_report)
    filed = await post_form(files(("a.png", png_bytes())))
    assert filed.status_code == 201 and on_disk(photo_folder) == [f"{filed.json()['photos'][0]['id']}.png"]


async def test_purging_removes_the_wards_photo_folder_once_the_purge_commits(client, db, ward, post_form,
                                                                           photo_folder, plugin_manager,
                                                                           monkeypatch):
    from tenants import lifecycle

    filed = await post_form(files(("a.png", png_bytes()), ("b.jpg", JPEG)))
    assert filed.status_code == 201, filed.text

    async def audit_fails(*_args, **_kwargs):
        raise RuntimeError("the audit entry cannot be written")

    with monkeypatch.context() as patched:
        patched.setattr(lifecycle, "record", audit_fails)
        with pytest.raises(RuntimeError):
            await lifecycle.purge_plugin_data(db, plugin_manager, ward.key, "feedback")
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
