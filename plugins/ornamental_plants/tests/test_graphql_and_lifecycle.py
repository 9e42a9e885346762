"""GraphQL, and the lifecycle: disabled per ward with data (and photo files) kept, export and purge (the files
go with the rows), demo data, dashboard, the migration matching the models."""

import pytest
from sqlalchemy import func, select

from core.db.scoping import TenantScope
from plugins.ornamental_plants.models import Photo, Specimen
from plugins.ornamental_plants.plugin import wardhub_demo_data
from plugins.ornamental_plants.tests.conftest import PLUGINS, multipart
from tenants import registry, subscriptions

pytestmark = pytest.mark.plugins(*PLUGINS)
REGISTER = """mutation($input: OrnamentalPlantsRegisterSpecimenInput!) {
  ornamentalPlantsRegisterSpecimen(input: $input) { specimen { code kind ownerName } } }"""


async def gql(client, ward, query, variables=None):
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}},
                                 headers={"X-Tenant": ward.key, "Accept-Language": "en"})
    return response.json()


async def test_graphql_registers_and_lists_with_field_errors(client, ward):
    made = await gql(client, ward, REGISTER, {"input": {"code": "CH-1", "kind": "bird", "name": "Chích chòe",
                                                        "ownerName": "Ông Năm"}})
    if "errors" in made and "Cannot query field" in made["errors"][0]["message"]:
        pytest.fail("ornamentalPlants' root is missing: core's _plugin_root names every root resolver 'resolve'")
    assert made["data"]["ornamentalPlantsRegisterSpecimen"]["specimen"] == {
        "code": "CH-1", "kind": "bird", "ownerName": "Ông Năm"}
    bad = await gql(client, ward, REGISTER, {"input": {"code": "CH-2", "kind": "cat", "name": "x"}})
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert set(bad["errors"][0]["extensions"]["fields"]) == {"kind", "owner_name"}
    listed = await gql(client, ward, '{ ornamentalPlants { specimens(kind: "bird") { totalCount } events { name } } }')
    assert listed["data"]["ornamentalPlants"] == {"specimens": {"totalCount": 1}, "events": []}


async def _switch(db, ward, manager, enable):
    async with db.session(TenantScope.of(ward.id)) as session:
        tenant = await registry.get(session, ward.key)
        await (subscriptions.enable if enable else subscriptions.disable)(session, tenant, "ornamental_plants",
                                                                          manager)


async def add_specimen_with_photo(client, ward, png):
    specimen = (await client.post(f"/t/{ward.key}/ornamental_plants/specimens", json={
        "code": "BS-9", "kind": "rock", "name": "Đá Thạch Anh", "owner_name": "Bà Sáu"})).json()
    photo = await client.post(f"/t/{ward.key}/ornamental_plants/specimens/{specimen['id']}/photos",
                              files=multipart(png, "da.png"))
    assert photo.status_code == 201
    return specimen, photo.json()


async def test_disabled_keeps_data_and_re_enabling_shows_it(client, db, ward, png, plugin_manager, photo_folder):
    specimen, photo = await add_specimen_with_photo(client, ward, png)
    await _switch(db, ward, plugin_manager, enable=False)
    hidden = await client.get(f"/t/{ward.key}/ornamental_plants/specimens")
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "PLUGIN_NOT_ENABLED"
    assert (await client.get(f"/t/{ward.key}/ornamental_plants/photos/{photo['id']}")).status_code == 404
    async with db.session(TenantScope.of(ward.id)) as session:
        assert await session.scalar(select(func.count()).select_from(Specimen)) == 1
    assert len(list((photo_folder / str(ward.id)).iterdir())) == 1  # the file is kept too
    await _switch(db, ward, plugin_manager, enable=True)
    assert [s["id"] for s in (await client.get(f"/t/{ward.key}/ornamental_plants/specimens")).json()] == [
        specimen["id"]]
    assert (await client.get(f"/t/{ward.key}/ornamental_plants/photos/{photo['id']}")).content == png


async def test_export_and_purge_remove_rows_and_files(client, db, ward, png, plugin_manager, photo_folder):
    from tenants.lifecycle import export_tenant, purge_plugin_data

    await add_specimen_with_photo(client, ward, png)
    exported = (await export_tenant(db, plugin_manager, ward.key))["plugins"]["ornamental_plants"]
    assert len(exported["ornamental_plants_photos"]) == 1 and exported["ornamental_plants_photos"][0]["sha256"]
    assert await purge_plugin_data(db, plugin_manager, ward.key, "ornamental_plants") == 2
    async with db.session(TenantScope.of(ward.id)) as session:
        assert await session.scalar(select(func.count()).select_from(Photo)) == 0
    assert not (photo_folder / str(ward.id)).exists()  # the ward's photo folder went with the purge


async def test_demo_data_and_dashboard(client, db, ward):
    async with db.session(TenantScope.of(ward.id)) as session:
        assert "1 specimen" in await wardhub_demo_data(ward, session)
        assert await wardhub_demo_data(ward, session) is None
    page = await client.get(f"/t/{ward.key}/", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "Ornamental specimens" in page.text


async def test_the_migration_matches_the_models(db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from core.toolkit import Base

    def differences(conn):
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return [d for d in compare_metadata(context, Base.metadata) if "ornamental_plants_" in repr(d)]

    async with db.engine.connect() as conn:
        assert await conn.run_sync(differences) == []
