"""REST endpoints, the map page, GeoJSON and figures through real HTTP; a district sees its wards."""

import pytest
from sqlalchemy import select

from core.audit.models import AuditEntry
from plugins.economic_units.tests.conftest import PLUGINS

pytestmark = pytest.mark.plugins(*PLUGINS)
EN = {"Accept-Language": "en"}


def base(unit):
    return f"/t/{unit.key}/economic_units"


async def post_ok(client, url, body, status=201):
    response = await client.post(url, json=body, headers=EN)
    assert response.status_code == status, response.text
    return response.json()


async def test_register_show_change_and_list(client, ward, units):
    created = await post_ok(client, f"{base(ward)}/units", units.body(section="C", labour=30, revenue=10))
    assert created["size_class"] == "small" and created["status"] == "active"
    changed = await client.patch(f"{base(ward)}/units/{created['id']}", json={"labour": 5, "revenue": 1})
    assert changed.status_code == 200 and changed.json()["size_class"] == "micro"
    await post_ok(client, f"{base(ward)}/units/{created['id']}/status", {"status": "suspended"}, 200)
    shown = (await client.get(f"{base(ward)}/units/{created['id']}")).json()
    assert [h["to"] for h in shown["history"]] == ["active", "suspended"]
    listed = (await client.get(f"{base(ward)}/units", params={"status": "suspended"})).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == created["id"]
    assert (await client.get(f"{base(ward)}/units", params={"status": "active"})).json()["total"] == 0


async def test_bad_input_is_400_with_fields_in_the_request_language(client, ward, units):
    response = await client.post(f"{base(ward)}/units", json=units.body(tax_code="0100109107", latitude=95),
                                 headers=EN)
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "BAD_USER_INPUT" and set(body["fields"]) == {"tax_code", "latitude"}
    assert "check digit" in body["fields"]["tax_code"]
    response = await client.post(f"{base(ward)}/units", json=units.body(tax_code="12345"))
    assert "Mã số thuế" in response.json()["error"]["fields"]["tax_code"]  # Vietnamese by default
    for bad in ([1, 2], {"labour": "many", "name": "x", "address": "y", "section": "G", "kind": "household"}):
        response = await client.post(f"{base(ward)}/units", json=bad)
        assert response.status_code == 400, response.text
    assert (await client.get(f"{base(ward)}/units/not-a-uuid")).status_code == 400
    assert (await client.get(f"{base(ward)}/units", params={"section": "Z"})).status_code == 400
    assert (await client.get(f"{base(ward)}/units/0190a1b2-0000-7000-8000-000000000000")).status_code == 404
    response = await client.post(f"{base(ward)}/units", json=units.body(tax_code="0100109106"))
    assert response.status_code == 201
    response = await client.post(f"{base(ward)}/units", json=units.body(tax_code="0100109106"))
    assert response.status_code == 409 and "tax_code" in response.json()["error"]["fields"]


async def test_geojson_and_figures_follow_the_filters(client, ward, units):
    await post_ok(client, f"{base(ward)}/units", units.body(section="C", labour=20, latitude=10.75, longitude=106.66))
    await post_ok(client, f"{base(ward)}/units", units.body(section="G", labour=3))
    await post_ok(client, f"{base(ward)}/units", units.body(section="G", labour=4, latitude=None, longitude=None,
                                                            kind="household", tax_code=None))
    response = await client.get(f"{base(ward)}/geojson")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/geo+json")
    data = response.json()
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 2  # one has no coordinates
    point = next(f for f in data["features"] if f["properties"]["section"] == "C")
    assert point["geometry"] == {"type": "Point", "coordinates": [106.66, 10.75]}  # longitude first
    assert len((await client.get(f"{base(ward)}/geojson", params={"section": "G"})).json()["features"]) == 1
    figures = (await client.get(f"{base(ward)}/figures", headers=EN)).json()
    assert {r["key"]: (r["units"], r["labour"]) for r in figures["by_section"]} == {"C": (1, 20), "G": (2, 7)}
    assert figures["by_ward"][0]["units"] == 3 and figures["by_ward"][0]["label"] == ward.name


async def test_map_page_has_the_map_charts_and_list(client, ward, units):
    await post_ok(client, f"{base(ward)}/units", units.body(name="Cơ khí Minh Phát", section="C", labour=12))
    response = await client.get(f"{base(ward)}/map", headers=EN)
    assert response.status_code == 200
    page = response.text
    assert 'id="eu-map"' in page and "economic_units/vendor/leaflet.js" in page and "economic_units/map.js" in page
    assert "<svg" in page and "Cơ khí Minh Phát" in page and "Units by sector" in page
    assert "<script>" not in page  # the CSP forbids inline scripts: settings travel in data-* attributes
    assert 'data-tiles=""' in page and "img-src 'self' data:;" in response.headers["content-security-policy"]
    assert (await client.get(f"{base(ward)}/map", params={"size": "huge"})).status_code == 400
    assert (await client.get(f"{base(ward)}/", follow_redirects=False)).status_code in (301, 302, 303, 307)
    assert (await client.get("/static/economic_units/vendor/leaflet.js")).status_code == 200


async def test_tiles_are_configurable_and_allowed_by_the_page_policy(client, ward, monkeypatch):
    monkeypatch.setenv("WARDHUB_MAP_TILES", "https://tiles.example.vn/{z}/{x}/{y}.png")
    response = await client.get(f"{base(ward)}/map")
    assert 'data-tiles="https://tiles.example.vn/{z}/{x}/{y}.png"' in response.text
    assert "img-src 'self' data: https://tiles.example.vn;" in response.headers["content-security-policy"]
    monkeypatch.setenv("WARDHUB_MAP_TILES", "javascript:alert(1)")
    assert 'data-tiles=""' in (await client.get(f"{base(ward)}/map")).text


async def test_a_district_sees_its_wards_and_not_a_sibling(client, client_as, make_tenant, units):
    district = await make_tenant(plugins=PLUGINS, level="district")
    w1 = await make_tenant(plugins=PLUGINS, parent_key=district.key)
    w2 = await make_tenant(plugins=PLUGINS, parent_key=district.key)
    sibling = await make_tenant(plugins=PLUGINS)
    for ward, labour in ((w1, 5), (w1, 7), (w2, 11), (sibling, 99)):
        await post_ok(client, f"{base(ward)}/units", units.body(labour=labour))
    admin = await client_as("district_admin", district)
    figures = (await admin.get(f"{base(district)}/figures")).json()
    assert {r["key"]: (r["units"], r["labour"]) for r in figures["by_ward"]} == {
        str(w1.id): (2, 12), str(w2.id): (1, 11)}
    assert len((await admin.get(f"{base(district)}/geojson")).json()["features"]) == 3
    only = (await admin.get(f"{base(district)}/geojson", params={"ward": str(w2.id)})).json()
    assert len(only["features"]) == 1
    assert (await admin.get(f"{base(district)}/geojson", params={"ward": str(sibling.id)})).status_code == 400
    page = await admin.get(f"{base(district)}/map")
    assert page.status_code == 200 and page.text.count('class="eu-unit"') == 3
    assert (await admin.get(f"{base(sibling)}/units")).status_code == 403
    assert (await admin.post(f"{base(w1)}/units", json=units.body())).status_code == 403  # reads only


async def test_access_by_role(client_as, anon_client, ward, units):
    officer = await client_as("ward_officer", ward)
    created = await post_ok(officer, f"{base(ward)}/units", units.body())
    integrator = await client_as("integrator", ward)
    assert (await integrator.get(f"{base(ward)}/units")).status_code == 200
    assert (await integrator.post(f"{base(ward)}/units", json=units.body())).status_code == 403
    resident = await client_as("resident", ward, {"household": created["id"]})
    assert (await resident.get(f"{base(ward)}/map")).status_code == 403
    assert (await resident.get(f"{base(ward)}/geojson")).status_code == 403
    assert (await anon_client.get(f"{base(ward)}/geojson")).status_code == 401


async def test_writes_are_audited(client, ward, units, scoped):
    created = await post_ok(client, f"{base(ward)}/units", units.body())
    assert (await client.get(f"{base(ward)}/export")).status_code == 200
    async with scoped(ward) as session:
        entries = (await session.execute(select(AuditEntry.action, AuditEntry.entity).where(
            AuditEntry.entity.like("economic_units%")))).all()
        ids = (await session.execute(select(AuditEntry.entity_id).where(
            AuditEntry.entity == "economic_units_units"))).scalars().all()
    assert ("export", "economic_units_units") in entries and created["id"] in ids
