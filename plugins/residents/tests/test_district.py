"""A district reads its wards' figures summed, never a sibling district's; the plugin is on at both levels."""

from __future__ import annotations

from plugins.residents import services
from plugins.residents.plugin import manifest

DISTRICT_STATISTICS = "{ residents { districtStatistics { households persons byUnit { unit households persons } } } }"


async def _families(scoped, ward, people, sizes):
    async with scoped(ward) as session:
        for n, size in enumerate(sizes):
            await services.register_household(session, people.family(f"HK-{n}", size))


async def test_a_district_admin_sees_the_sum_of_its_wards_and_nothing_of_a_sibling_district(
        make_tenant, client_as, scoped, people):
    assert manifest.scope == frozenset({"ward", "district"})
    district = await make_tenant(level="district", plugins=("residents",))
    first = await make_tenant(parent_key=district.key, plugins=("residents",))
    second = await make_tenant(parent_key=district.key, plugins=("residents",))
    sibling = await make_tenant(level="district", plugins=("residents",))
    elsewhere = await make_tenant(parent_key=sibling.key, plugins=("residents",))
    await _families(scoped, first, people, [3, 2])
    await _families(scoped, second, people, [4])
    await _families(scoped, elsewhere, people, [5, 5, 5])

    admin = await client_as("district_admin", district)
    figures = (await admin.get(f"/t/{district.key}/residents/statistics/district")).json()
    assert (figures["households"], figures["persons"]) == (3, 9)
    assert sorted((u["households"], u["persons"]) for u in figures["by_unit"]) == [(1, 4), (2, 5)]
    assert str(elsewhere.id) not in {u["tenant_id"] for u in figures["by_unit"]}
    assert sum(r["persons"] for r in figures["by_sex"]) == 9

    body = (await admin.post("/graphql", json={"query": DISTRICT_STATISTICS},
                             headers={"X-Tenant": district.key})).json()
    assert body["data"]["residents"]["districtStatistics"]["households"] == 3
    assert body["data"]["residents"]["districtStatistics"]["persons"] == 9

    # the same admin asking about the sibling district: refused, no figures
    refused = await admin.get(f"/t/{sibling.key}/residents/statistics/district")
    assert refused.status_code == 403 and "persons" not in refused.text
    # a ward's officer asking the district route from the ward: their ward only
    officer = await client_as("ward_chair", first)
    own = (await officer.get(f"/t/{first.key}/residents/statistics/district")).json()
    assert (own["households"], own["persons"]) == (2, 5)
    assert (await officer.get(f"/t/{district.key}/residents/statistics/district")).status_code == 403
