"""Accent-insensitive search on indexed folded columns; statistics in SQL over the session's scope."""

import pytest
from sqlalchemy import text

from core.plugins.manager import LoadedPlugin
from core.toolkit import PluginManifest, hookimpl
from plugins.residents import services, statistics
from plugins.residents.normalize import normalize
from plugins.residents.search import search
from plugins.residents.tests.conftest import TODAY

pytestmark = pytest.mark.plugins("residents")


def test_normalize():
    assert normalize("Nguyễn Văn A") == "nguyen van a"
    assert normalize("  ĐẶNG   Thị  Đào ") == "dang thi dao"
    assert normalize("Nguyễn Văn A") == normalize("Nguye\u0302\u0303n Va\u0306n A")  # composed or not
    assert normalize("HK-01/2") == "hk 01 2"
    assert normalize(None) == ""


@pytest.fixture
async def register_of(scoped, people):
    async def make(ward, names, code="HK-1", **household):
        members = []
        for i, (name, sex, year) in enumerate(names):
            relation = "head" if i == 0 else "child"
            members.append(people.member(relation, sex, year, full_name=name, religion="Không", ethnicity="Kinh"))
        async with scoped(ward) as session:
            created = await services.register_household(
                session, {"code": code, "address": "1 Lê Lợi", **household, "members": members}, today=TODAY)
            return created, await services.members(session, created.id)

    return make


async def test_search_ignores_accents_and_case(scoped, ward, make_tenant, register_of):
    await register_of(ward, [("Nguyễn Văn A", "male", 1970), ("Nguyễn Văn An", "male", 2001),
                             ("Đặng Thị Đào", "female", 2003), ("Trần Văn Anh", "male", 2005)])
    other = await make_tenant(plugins=("residents",))
    await register_of(other, [("Nguyễn Văn Ánh", "male", 1980)])
    async with scoped(ward) as session:
        async def names(q):
            return sorted(p.full_name for p, _h in (await search(session, q)).persons)

        assert await names("nguyen van a") == ["Nguyễn Văn A", "Nguyễn Văn An"]  # not the other ward's Ánh
        assert await names("NGUYỄN VĂN AN") == ["Nguyễn Văn An"]
        assert await names("dang thi dao") == ["Đặng Thị Đào"]
        assert await names("đào") == ["Đặng Thị Đào"]  # the given name alone
        assert await names("an") == ["Nguyễn Văn An", "Trần Văn Anh"]
        assert await names("van") == []  # a middle name is not a prefix of either
        assert await names("   ") == []


async def test_search_by_number_household_and_neighbourhood(scoped, ward, register_of):
    async with scoped(ward) as session:
        area = await services.create_neighbourhood(session, {"code": "KP1", "name": "Khu phố Bến Thành"})
        group = await services.create_neighbourhood(session, {"code": "KP1-T2", "name": "Tổ 2", "parent_id": area.id})
    _h, (inside,) = await register_of(ward, [("Lê Văn Tám", "male", 1980)], code="HK-10", neighbourhood_id=group.id)
    _h, (outside,) = await register_of(ward, [("Lê Văn Chín", "male", 1981)], code="HK-11")
    async with scoped(ward) as session:
        found = await search(session, inside.id_number)
        assert [p.id for p, _h in found.persons] == [inside.id]
        found = await search(session, inside.id_number[:6])
        assert inside.id in [p.id for p, _h in found.persons]
        found = await search(session, "hk-1")
        assert sorted(h.code for h in found.households) == ["HK-10", "HK-11"]
        found = await search(session, "ben thanh")
        assert [n.code for n in found.neighbourhoods] == ["KP1"]
        found = await search(session, "le van", neighbourhood_id=area.id)  # the khu phố counts its tổ
        assert [p.id for p, _h in found.persons] == [inside.id]
        found = await search(session, "", neighbourhood_id=area.id)
        assert [p.id for p, h in found.persons] == [inside.id] and found.persons[0][1].code == "HK-10"
        assert outside.id not in [p.id for p, _h in (await search(session, "tam")).persons]


@pytest.mark.postgres
async def test_name_search_uses_its_index_under_row_level_security(db, ward, register_of):
    await register_of(ward, [("Nguyễn Văn A", "male", 1970)])
    async with db.engine.connect() as conn, conn.begin():  # the app role: RLS applies
        await conn.execute(text("SELECT set_config('app.tenant_ids', :t, true)"), {"t": str(ward.id)})
        await conn.execute(text("SET LOCAL enable_seqscan = off"))  # tiny tables: make the planner show its hand
        await conn.execute(text("SET LOCAL enable_sort = off"))
        plan = (await conn.execute(text(
            "EXPLAIN SELECT id FROM residents_persons WHERE tenant_id = :t "
            "AND search_name >= 'nguyen van a' AND search_name < 'nguyen van a~' ORDER BY tenant_id, search_name"),
            {"t": ward.id})).scalars().all()
    assert "ix_residents_persons_search_name" in plan[0], plan
    # the range is an index condition, not a filter applied after row-level security (as ILIKE would be)
    condition = next(line for line in plan if "Index Cond" in line)
    assert "search_name" in condition, plan


async def test_statistics_of_a_ward(scoped, ward, register_of):
    async with scoped(ward) as session:
        area = await services.create_neighbourhood(session, {"code": "KP1", "name": "Khu phố 1"})
        group = await services.create_neighbourhood(session, {"code": "KP1-T1", "name": "Tổ 1", "parent_id": area.id})
    _h, people = await register_of(ward, [("Lê Văn Một", "male", 1975), ("Lê Thị Hai", "female", 2021),
                                          ("Lê Văn Ba", "male", 2010)], code="HK-1", neighbourhood_id=group.id)
    await register_of(ward, [("Phạm Thị Bốn", "female", 1940)], code="HK-2")
    _dissolved, (dead,) = await register_of(ward, [("Võ Văn Năm", "male", 1950)], code="HK-3")
    async with scoped(ward) as session:
        await services.update_person(session, people[1].id, {"ethnicity": "Hoa", "religion": "Công giáo"},
                                     today=TODAY)
        await services.record_death(session, dead.id, {}, today=TODAY)
        figures = await statistics.compute(session, today=TODAY)
    assert (figures["households"], figures["persons"]) == (2, 4)  # the dead man's household is dissolved
    assert {r["code"]: r["persons"] for r in figures["by_sex"]} == {"male": 2, "female": 2}
    bands = {r["code"]: r["persons"] for r in figures["by_age_band"]}
    assert bands == {"0-5": 1, "6-14": 0, "15-17": 1, "18-59": 1, "60-79": 0, "80+": 1}
    assert [(r["code"], r["persons"]) for r in figures["by_ethnicity"]] == [("01", 3), ("06", 1)]
    assert {r["code"]: r["persons"] for r in figures["by_religion"]}["catholicism"] == 1
    areas = {r["code"]: (r["households"], r["persons"]) for r in figures["by_neighbourhood"]}
    assert areas == {"KP1": (1, 3), None: (1, 1)}  # the tổ counts in its khu phố
    assert figures["policy_families"] is None  # nobody answers the hook: unknown, not zero
    assert [u["persons"] for u in figures["by_unit"]] == [4]


async def test_a_district_session_sums_its_wards(scoped, make_tenant, register_of):
    a, b = await make_tenant(plugins=("residents",)), await make_tenant(plugins=("residents",))
    await register_of(a, [("Lê Văn Một", "male", 1975), ("Lê Thị Hai", "female", 2000)])
    await register_of(b, [("Hồ Văn Ba", "male", 1960)], code="HK-1")
    await register_of(b, [("Hồ Thị Bốn", "female", 1990)], code="HK-2")
    async with scoped(a, b) as session:
        both = await statistics.compute(session, today=TODAY)
    async with scoped(a) as session:
        only_a = await statistics.compute(session, today=TODAY)
    assert (both["households"], both["persons"]) == (3, 4)
    assert (only_a["households"], only_a["persons"]) == (1, 2)
    # every branch of the one-statement figures is scoped, not only the totals
    assert {r["code"]: r["persons"] for r in only_a["by_sex"]} == {"male": 1, "female": 1}
    assert sum(r["persons"] for r in only_a["by_age_band"]) == 2
    assert [(r["households"], r["persons"]) for r in only_a["by_neighbourhood"]] == [(1, 2)]
    assert {r["code"]: r["persons"] for r in both["by_sex"]} == {"male": 2, "female": 2}
    assert {u["tenant_id"]: (u["households"], u["persons"]) for u in both["by_unit"]} == {a.id: (1, 2), b.id: (2, 2)}
    assert a.code in next(u["unit"] for u in both["by_unit"] if u["tenant_id"] == a.id)


async def test_policy_families_come_from_the_plugins_that_know_them(scoped, ward, plugin_manager, register_of):
    class Welfare:
        manifest = PluginManifest(name="welfare_test", version="0.1", title_vi="Thử", title_en="Test",
                                  depends={"residents": ">=0.1"})

        @staticmethod
        @hookimpl
        def wardhub_residents_policy_family_counts(tenant, session):
            return [{"code": "martyr_family", "title_vi": "Gia đình liệt sĩ", "title_en": "Martyr's family",
                     "households": 2},
                    {"code": "war_invalid", "title_vi": "Thương binh", "title_en": "War invalid", "households": 1}]

    plugin_manager.add([LoadedPlugin(Welfare.manifest, Welfare, None)])
    await register_of(ward, [("Lê Văn Một", "male", 1975)])
    async with scoped(ward) as session:
        async def ask():
            results = await plugin_manager.call_each("wardhub_residents_policy_family_counts",
                                                     {"residents", "welfare_test"}, tenant=ward, session=session)
            return [r.value for r in results if r.error is None]

        figures = await statistics.compute(session, today=TODAY, policy_families=ask)
    assert [(r["code"], r["households"]) for r in figures["policy_families"]] == [("martyr_family", 2),
                                                                                 ("war_invalid", 1)]
    assert statistics.merge_policy_families([None, [{"code": "x", "title_vi": "x", "title_en": "x", "households": 1}],
                                             [{"code": "x", "title_vi": "x", "title_en": "x", "households": 2}]]) == [
        {"code": "x", "title_vi": "x", "title_en": "x", "households": 3}]
    assert statistics.merge_policy_families([]) is None
