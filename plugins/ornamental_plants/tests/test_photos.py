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
