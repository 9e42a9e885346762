"""Photos: stored on disk under the configured folder, checked by content (not by name) and size."""

import hashlib

import pytest

from plugins.ornamental_plants.tests.conftest import JPEG, PLUGINS, WEBP, multipart, png_bytes

pytestmark = pytest.mark.plugins(*PLUGINS)
EN = {"Accept-Language": "en"}


async def specimen(client, ward):
    response = await client.post(f"/t/{ward.key}/ornamental_plants/specimens", json={
        "code": "BS-01", "kind": "bonsai", "name": "Sanh dáng huyền", "owner_name": "Phạm Văn Tùng"})
    assert response.status_code == 201
    return response.json()["id"]


def url(ward, specimen_id):
    return f"/t/{ward.key}/ornamental_plants/specimens/{specimen_id}/photos"


async def test_images_are_stored_on_disk_and_served_back(client, ward, photo_folder, png):
    specimen_id = await specimen(client, ward)
    for content, kind, name in ((png, "image/png", "cay.png"), (JPEG, "image/jpeg", "ảnh không đuôi"),
                                (WEBP, "image/webp", "photo.txt")):  # the name does not matter, the content does
        response = await client.post(url(ward, specimen_id), files=multipart(content, name))
        assert response.status_code == 201, response.text
        photo = response.json()
        assert photo["content_type"] == kind and photo["size"] == len(content)
        assert photo["sha256"] == hashlib.sha256(content).hexdigest()
        stored = list((photo_folder / str(ward.id)).glob(f"{photo['id']}.*"))
        assert len(stored) == 1 and stored[0].read_bytes() == content
        served = await client.get(f"/t/{ward.key}/ornamental_plants/photos/{photo['id']}")
        assert served.status_code == 200 and served.content == content
        assert served.headers["content-type"].startswith(kind) and served.headers["x-content-type-options"] == "nosniff"
    shown = (await client.get(f"/t/{ward.key}/ornamental_plants/specimens/{specimen_id}")).json()
    assert len(shown["photos"]) == 3
    deleted = await client.delete(f"/t/{ward.key}/ornamental_plants/photos/{shown['photos'][0]['id']}")
    assert deleted.status_code == 204
    assert len(list((photo_folder / str(ward.id)).iterdir())) == 2


async def test_a_file_that_is_not_an_image_is_refused_with_a_clear_error(client, ward, photo_folder):
    specimen_id = await specimen(client, ward)
    for content in (b"%PDF-1.7 not an image", b"GIF89a" + b"\x00" * 20, b"<svg xmlns='http://www.w3.org/2000/svg'/>",
                    b"MZ\x90\x00 pretending", b"RIFF\x00\x00\x00\x00WAVEfmt "):
        response = await client.post(url(ward, specimen_id), files=multipart(content, "photo.jpg"), headers=EN)
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error["code"] == "BAD_USER_INPUT"
        assert error["fields"]["file"] == ("The file is not a JPEG, PNG or WebP image "
                                           "(checked by its content, not its name)")
    vi = await client.post(url(ward, specimen_id), files=multipart(b"hello", "a.png"))
    assert "không phải ảnh" in vi.json()["error"]["fields"]["file"]
    empty = await client.post(url(ward, specimen_id), content=b"", headers=EN)
    assert empty.status_code == 400 and "empty" in empty.json()["error"]["fields"]["file"]
    assert not photo_folder.exists() or not any(photo_folder.rglob("*.*"))  # nothing written
    assert (await client.get(f"/t/{ward.key}/ornamental_plants/specimens/{specimen_id}")).json()["photos"] == []


async def test_a_photo_that_is_too_large_is_refused_with_a_clear_error(client, ward, photo_folder, monkeypatch):
    specimen_id = await specimen(client, ward)
    big = png_bytes() + b"\x00" * (5 * 1024 * 1024)  # a PNG padded past the 5 MiB default
    response = await client.post(url(ward, specimen_id), files=multipart(big, "big.png"), headers=EN)
    assert response.status_code == 400
    message = response.json()["error"]["fields"]["file"]
    assert message == "The photo is too large: 5.1 MB, at most 5.0 MB"
    assert "quá lớn" in (await client.post(url(ward, specimen_id), content=big)).json()["error"]["fields"]["file"]
    monkeypatch.setenv("WARDHUB_ORNAMENTAL_PHOTO_MAX_BYTES", "40")
    small_limit = await client.post(url(ward, specimen_id), content=png_bytes((20, 20)), headers=EN)
    assert small_limit.status_code == 400 and "at most 40 bytes" in small_limit.json()["error"]["fields"]["file"]
    assert not photo_folder.exists() or not any(photo_folder.rglob("*.*"))


async def test_upload_needs_write_access_and_an_existing_specimen(client, client_as, ward, png):
    specimen_id = await specimen(client, ward)
    integrator = await client_as("integrator", ward)
    assert (await integrator.post(url(ward, specimen_id), files=multipart(png, "a.png"))).status_code == 403
    missing = await client.post(url(ward, "0190a1b2-0000-7000-8000-000000000000"), files=multipart(png, "a.png"))
    assert missing.status_code == 404


def on_disk(photo_folder) -> list[str]:
    return sorted(p.name for p in photo_folder.rglob("*") if p.is_file()) if photo_folder.exists() else []


@pytest.mark.parametrize(("content", "limit", "vi", "en"), [
    (b"", None, "Tệp ảnh trống", "The photo file is empty"),
    (b"%PDF-1.7 not an image", None,
     "Tệp không phải ảnh JPEG, PNG hay WebP (kiểm tra theo nội dung, không theo tên tệp)",
     "The file is not a JPEG, PNG or WebP image (checked by its content, not its name)"),
    (png_bytes(), "40", "Ảnh quá lớn: 73 byte, tối đa 40 byte", "The photo is too large: 73 bytes, at most 40 bytes"),
], ids=["empty", "not_an_image", "too_large"])
async def test_a_refused_photo_names_the_field_in_vietnamese_and_english(client, ward, photo_folder, monkeypatch,
                                                                         content, limit, vi, en):
    specimen_id = await specimen(client, ward)
    if limit:
        monkeypatch.setenv("WARDHUB_ORNAMENTAL_PHOTO_MAX_BYTES", limit)
    for lang, message in (("vi", vi), ("en", en)):
        response = await client.post(url(ward, specimen_id), files=multipart(content, "anh.png"),
                                     headers={"Accept-Language": lang})
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert (error["code"], error["message"], error["fields"]) == ("BAD_USER_INPUT", message, {"file": message})
    assert on_disk(photo_folder) == []


async def test_an_upload_whose_transaction_rolls_back_leaves_no_file(client, db, ward, photo_folder, png):
    """The service writes the file in the request's transaction: a rollback (a rule that fails later in the same
    transaction, a lost connection) or a session closed without committing removes it again."""
    from core.db.scoping import TenantScope
    from plugins.ornamental_plants import services

    specimen_id = await specimen(client, ward)
    for end in ("rollback", "close"):
        session = db.open(TenantScope.of(ward.id))
        try:
            await services.add_photo(session, specimen_id, png, "a.png")
            assert len(on_disk(photo_folder)) == 1  # on disk while the transaction is open
            if end == "rollback":
                await session.rollback()
        finally:
            await session.close()
        assert on_disk(photo_folder) == [], end
    assert (await client.get(f"/t/{ward.key}/ornamental_plants/specimens/{specimen_id}")).json()["photos"] == []
    assert (await client.post(url(ward, specimen_id), files=multipart(png, "a.png"))).status_code == 201
    assert len(on_disk(photo_folder)) == 1


async def test_a_deleted_photo_file_goes_when_the_deletion_commits_and_stays_if_it_rolls_back(
        client, db, ward, photo_folder, png):
    from core.db.scoping import TenantScope
    from plugins.ornamental_plants import services

    specimen_id = await specimen(client, ward)
    photo = (await client.post(url(ward, specimen_id), files=multipart(png, "a.png"))).json()
    path, served = photo_folder / str(ward.id) / f"{photo['id']}.png", f"/t/{ward.key}/ornamental_plants/photos/"
    session = db.open(TenantScope.of(ward.id))
    try:
        await services.delete_photo(session, photo["id"])
        assert path.exists()  # the row is deleted in the transaction; the file waits for the commit
        await session.rollback()
    finally:
        await session.close()
    assert path.read_bytes() == png and (await client.get(served + photo["id"])).content == png
    async with db.session(TenantScope.of(ward.id)) as session:
        await services.delete_photo(session, photo["id"])
        assert path.exists()  # there until the commit
    assert not path.exists()  # gone after it
    assert (await client.get(served + photo["id"])).status_code == 404


async def test_purging_the_ward_removes_its_photo_folder_unless_the_purge_rolls_back(
        client, db, ward, make_tenant, photo_folder, png, plugin_manager):
    from core.db.scoping import TenantScope
    from plugins.ornamental_plants import plugin
    from tenants import lifecycle

    neighbour = await make_tenant()
    for unit in (ward, neighbour):
        specimen_id = await specimen(client, unit)
        assert (await client.post(url(unit, specimen_id), files=multipart(png, "a.png"))).status_code == 201
    session = db.open(TenantScope.of(ward.id))  # the plugin's purge, in a transaction that then rolls back
    try:
        assert await plugin.wardhub_purge_tenant_data(ward, session) == 2
        await session.rollback()
    finally:
        await session.close()
    assert len(list((photo_folder / str(ward.id)).iterdir())) == 1  # rolled back: rows and file kept
    assert len((await client.get(f"/t/{ward.key}/ornamental_plants/specimens")).json()) == 1
    counts = await lifecycle.purge_tenant(db, plugin_manager, ward.key)
    assert counts["ornamental_plants"] == 2
    assert not (photo_folder / str(ward.id)).exists()
    assert len(list((photo_folder / str(neighbour.id)).iterdir())) == 1  # the neighbour's photo is untouched


async def test_a_merge_moves_the_photo_files_with_their_rows(client, db, ward, make_tenant, photo_folder, png,
                                                             plugin_manager):
    from tenants import registry

    target = await make_tenant()
    specimen_id = await specimen(client, ward)
    photo = (await client.post(url(ward, specimen_id), files=multipart(png, "a.png"))).json()
    await registry.merge(db, ward.key, target.key, manager=plugin_manager)
    served = await client.get(f"/t/{target.key}/ornamental_plants/photos/{photo['id']}")
    assert served.status_code == 200 and served.content == png
    assert not (photo_folder / str(ward.id)).exists()
    assert [p.name for p in (photo_folder / str(target.id)).iterdir()] == [f"{photo['id']}.png"]
