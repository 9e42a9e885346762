"""The plugin's hooks: tenant export and purge (through core's lifecycle), demo data, the hooks it offers,
and the migration matching the models."""

import inspect

import pytest
from sqlalchemy import func, select

from core.db.scoping import TenantScope
from core.plugins.manager import LoadedPlugin
from core.toolkit import PluginManifest, hookimpl
from plugins.residents import hookspecs, services
from plugins.residents.models import Household, IdRegistration, Neighbourhood, Person
from plugins.residents.plugin import manifest, wardhub_demo_data, wardhub_tenant_enabled
from plugins.residents.tests.conftest import TODAY

pytestmark = pytest.mark.plugins("residents")


async def fill(scoped, ward, people):
    async with scoped(ward) as session:
        area = await services.create_neighbourhood(session, {"code": "KP1", "name": "Khu phố 1"})
        await services.create_neighbourhood(session, {"code": "KP1-T1", "name": "Tổ 1", "parent_id": area.id})
        household = await services.register_household(session, people.family("HK-1", 3), today=TODAY)
        return await services.members(session, household.id)


async def test_export_and_purge_through_the_tenant_lifecycle(db, scoped, make_tenant, plugin_manager, people):
    from tenants.lifecycle import export_tenant, purge_plugin_data

    a, b = await make_tenant(plugins=("residents",)), await make_tenant(plugins=("residents",))
    members = await fill(scoped, a, people)
    await fill(scoped, b, people)
    exported = await export_tenant(db, plugin_manager, a.key)
    tables = exported["plugins"]["residents"]
    assert len(tables["residents_persons"]) == 3 and len(tables["residents_neighbourhoods"]) == 2
    assert {p["full_name"] for p in tables["residents_persons"]} == {m.full_name for m in members}
    assert "residents" not in exported["errors"]
    deleted = await purge_plugin_data(db, plugin_manager, a.key, "residents")
    assert deleted == 3 + 3 + 1 + 2  # registrations, persons, household, neighbourhoods
    async with scoped(a, b) as session:
        left = dict((await session.execute(select(Person.tenant_id, func.count()).group_by(Person.tenant_id))).all())
        assert left == {b.id: 3}
        assert await session.scalar(select(func.count()).select_from(Neighbourhood).where(
            Neighbourhood.tenant_id == a.id)) == 0
        registered = (await session.execute(select(IdRegistration.tenant_id))).scalars().all()
        assert a.id not in registered and b.id in registered


async def test_demo_data_is_plausible_and_idempotent(db, ward):
    async with db.session(TenantScope.of(ward.id)) as session:
        summary = await wardhub_demo_data(ward, session)
        assert summary.startswith("100 households")
        assert await wardhub_demo_data(ward, session) is None  # a second run changes nothing
        persons = await session.scalar(select(func.count()).select_from(Person))
        assert 200 <= persons <= 600
        assert await session.scalar(select(func.count()).select_from(Household)) == 100
        assert await session.scalar(select(func.count()).select_from(Neighbourhood)) == 16
        assert await session.scalar(select(func.count()).select_from(Person).where(Person.id_number.is_(None))) == 0
        assert wardhub_tenant_enabled(ward, session) is None  # seeds nothing
        assert await session.scalar(select(func.count()).select_from(Household)) == 100


def test_the_hooks_residents_offers_are_documented():
    specs = [f for name, f in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("wardhub_")]
    assert {f.__name__ for f in specs} == {"wardhub_residents_person_sections", "wardhub_residents_persons_sections",
                                           "wardhub_residents_households_sections",
                                           "wardhub_residents_policy_family_counts"}
    for spec in specs:
        assert len(inspect.getdoc(spec) or "") > 200, spec.__name__
    assert manifest.hookspecs is hookspecs


async def test_other_plugins_add_sections_to_a_person_page(client, plugin_manager, make_tenant, people):
    class Military:
        manifest = PluginManifest(name="military_test", version="0.1", title_vi="Quân sự", title_en="Military",
                                  depends={"residents": ">=0.1"})

        @staticmethod
        @hookimpl
        def wardhub_residents_person_sections(tenant, session, person_id):
            return [{"key": "service", "title_vi": "Nghĩa vụ quân sự", "title_en": "Military service",
                     "items": [{"label_vi": "Tình trạng", "label_en": "Status", "value": "Đã hoàn thành"}]}]

    plugin_manager.add([LoadedPlugin(Military.manifest, Military, None)])
    ward = await make_tenant(plugins=("residents", "military_test"))
    created = await client.post(f"/t/{ward.key}/residents/households", json=people.family("HK-1", 1))
    person_id = created.json()["members"][0]["id"]
    page = (await client.get(f"/t/{ward.key}/residents/persons/{person_id}")).json()
    assert page["sections"] == [{"plugin": "military_test", "key": "service", "title_vi": "Nghĩa vụ quân sự",
                                 "title_en": "Military service",
                                 "items": [{"label_vi": "Tình trạng", "label_en": "Status", "value": "Đã hoàn thành"}]}]
    other = await make_tenant(plugins=("residents",))  # a ward without that plugin sees no section
    created = await client.post(f"/t/{other.key}/residents/households", json=people.family("HK-1", 1))
    page = (await client.get(f"/t/{other.key}/residents/persons/{created.json()['members'][0]['id']}")).json()
    assert page["sections"] == []


async def test_other_plugins_add_sections_to_a_household_page(client, client_as, plugin_manager, make_tenant, people):
    """One hook call per plugin for a batch of households; a failing plugin loses its sections only; a section
    naming a permission shows only to holders; a ward without the plugin sees none."""
    calls = []

    class Welfare:
        manifest = PluginManifest(name="welfare_test", version="0.1", title_vi="Chính sách", title_en="Policy",
                                  depends={"residents": ">=0.1"})

        @staticmethod
        @hookimpl
        def wardhub_residents_households_sections(tenant, session, household_ids):
            calls.append(list(household_ids))
            return {hid: [{"key": "standing", "title_vi": "Diện chính sách", "title_en": "Policy standing",
                           "items": [{"label_vi": "Loại", "label_en": "Kind", "value": "Gia đình liệt sĩ"}]},
                          {"key": "secret", "title_vi": "Mật", "title_en": "Secret",
                           "permission": "residents.import:write",
                           "items": [{"label_vi": "Mức", "label_en": "Level", "value": "Hộ nghèo"}]}]
                    for hid in household_ids}

    class Broken:
        manifest = PluginManifest(name="broken_test", version="0.1", title_vi="Hỏng", title_en="Broken",
                                  depends={"residents": ">=0.1"})

        @staticmethod
        @hookimpl
        def wardhub_residents_households_sections(tenant, session, household_ids):
            raise RuntimeError("boom")

    plugin_manager.add([LoadedPlugin(Welfare.manifest, Welfare, None), LoadedPlugin(Broken.manifest, Broken, None)])
    ward = await make_tenant(plugins=("residents", "welfare_test", "broken_test"))
    one = (await client.post(f"/t/{ward.key}/residents/households", json=people.family("HK-1", 1))).json()["id"]
    two = (await client.post(f"/t/{ward.key}/residents/households", json=people.family("HK-2", 2))).json()["id"]
    page = await client.get(f"/t/{ward.key}/residents/web/households/{one}")
    assert page.status_code == 200
    assert 'data-plugin="welfare_test" data-key="standing"' in page.text and "Gia đình liệt sĩ" in page.text
    assert 'data-key="secret"' in page.text  # a platform admin holds the permission
    assert "broken_test" not in page.text
    officer = await client_as("ward_officer", ward)
    shown = await officer.get(f"/t/{ward.key}/residents/web/households/{one}?lang=en")
    assert "Policy standing" in shown.text and 'data-key="secret"' in shown.text
    query = """query($a: UUID!, $b: UUID!) { residents {
               a: household(id: $a) { sections { plugin key items { value } } }
               b: household(id: $b) { sections { plugin key } } } }"""
    calls.clear()
    answer = (await officer.post("/graphql", json={"query": query, "variables": {"a": one, "b": two}},
                                 headers={"X-Tenant": ward.key})).json()
    assert "errors" not in answer, answer
    assert answer["data"]["residents"]["a"]["sections"] == [
        {"plugin": "welfare_test", "key": "standing", "items": [{"value": "Gia đình liệt sĩ"}]},
        {"plugin": "welfare_test", "key": "secret", "items": [{"value": "Hộ nghèo"}]}]
    assert [s["key"] for s in answer["data"]["residents"]["b"]["sections"]] == ["standing", "secret"]
    assert len(calls) == 1 and len(calls[0]) == 2  # one call for both households
    reader = await client_as("integrator", ward)  # reads households, holds no import permission
    answer = (await reader.post("/graphql", json={"query": query, "variables": {"a": one, "b": two}},
                                headers={"X-Tenant": ward.key})).json()
    assert [s["key"] for s in answer["data"]["residents"]["a"]["sections"]] == ["standing"], answer
    other = await make_tenant(plugins=("residents",))  # a ward without those plugins sees no section
    created = (await client.post(f"/t/{other.key}/residents/households", json=people.family("HK-1", 1))).json()
    page = await client.get(f"/t/{other.key}/residents/web/households/{created['id']}")
    assert page.status_code == 200 and "household-section" not in page.text


async def test_the_migration_matches_the_models(db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from core.toolkit import Base

    def differences(conn):
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return [d for d in compare_metadata(context, Base.metadata) if "residents_" in repr(d)]

    async with db.engine.connect() as conn:
        assert await conn.run_sync(differences) == []


async def test_the_demo_gives_a_resident_and_a_neighbourhood_head_their_own_rows(db, plugin_manager, base_client):
    from core.demo import DEMO_PASSWORD, load_demo
    from core.testing import another_client, sign_in

    summary = await load_demo(db, plugin_manager)
    assert "(created " in summary and "cudan (resident)" in summary and "totruong (neighborhood_head)" in summary
    ward = summary.split("demo ward ")[1].split()[0]
    seen = {}
    for username in ("cudan", "totruong", "canbo"):
        caller = another_client(base_client)
        assert (await sign_in(caller, username, DEMO_PASSWORD)).status_code == 200
        response = await caller.get(f"/t/{ward}/residents/households", params={"limit": 500})
        assert response.status_code == 200, response.text
        body = response.json()
        seen[username] = {h["code"] for h in (body["items"] if isinstance(body, dict) else body)}
    assert len(seen["cudan"]) == 1 and seen["cudan"] <= seen["totruong"]
    assert 1 < len(seen["totruong"]) < len(seen["canbo"])
    assert "created" not in (await load_demo(db, plugin_manager)).splitlines()[-1]  # nothing made twice
