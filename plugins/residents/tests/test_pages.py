"""The console pages over HTTP: list with search and paging, a household with sections, the register form with
inline errors in the page's language, a resident's own household, navigation and dashboard figures."""

from __future__ import annotations

import re

from sqlalchemy import select

from core.plugins.manager import LoadedPlugin
from core.toolkit import PluginManifest, hookimpl
from plugins.residents import services


async def _families(scoped, ward, people, count, prefix="HK", **overrides):
    ids = []
    async with scoped(ward) as session:
        for n in range(count):
            family = people.family(f"{prefix}-{n:03d}", 2)
            family["members"][0].update(overrides)
            ids.append((await services.register_household(session, family)).id)
    return ids


def _form(values, client):
    return {**values, "_csrf_token": client.cookies.get("csrftoken")}


async def test_households_list_searches_without_accents_and_pages(client_as, ward, scoped, people):
    await _families(scoped, ward, people, 30)
    await _families(scoped, ward, people, 1, prefix="XK", full_name="Nguyễn Thị Hoà")
    officer = await client_as("ward_officer", ward)
    page = await officer.get(f"/t/{ward.key}/residents/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "<h1>Hộ gia đình</h1>" in page.text and "Trang 1 / 2" in page.text
    assert page.text.count('<tr data-id="') == 25
    second = await officer.get(f"/t/{ward.key}/residents/?page=2&lang=en")
    assert "<h1>Households</h1>" in second.text and "Page 2 of 2" in second.text
    assert second.text.count('<tr data-id="') == 6
    found = await officer.get(f"/t/{ward.key}/residents/", params={"q": "nguyen thi hoa"})
    assert found.text.count('<tr data-id="') == 1 and "Nguyễn Thị Hoà" in found.text
    by_code = await officer.get(f"/t/{ward.key}/residents/", params={"q": "hk-00"})
    assert by_code.text.count('<tr data-id="') == 10


async def test_a_household_page_shows_members_identity_to_officers_and_other_plugins_sections(
        client_as, plugin_manager, make_tenant, scoped, people, db):
    from core.audit.models import AuditEntry
    from plugins.residents.models import Person

    class Clinic:
        manifest = PluginManifest(name="clinic_test", version="0.1", title_vi="Y tế", title_en="Health",
                                  depends={"residents": ">=0.1"})

        @staticmethod
        @hookimpl
        def wardhub_residents_persons_sections(tenant, session, person_ids):
            return {pid: [{"key": "insurance", "title_vi": "Bảo hiểm y tế", "title_en": "Health insurance",
                           "items": [{"label_vi": "Thẻ", "label_en": "Card", "value": "HS-4"}]}] for pid in person_ids}

    plugin_manager.add([LoadedPlugin(Clinic.manifest, Clinic, None)])
    ward = await make_tenant(plugins=("residents", "clinic_test"))
    [household_id] = await _families(scoped, ward, people, 1)
    async with scoped(ward) as session:
        members = await services.members(session, household_id)
    officer = await client_as("ward_officer", ward)
    page = await officer.get(f"/t/{ward.key}/residents/web/households/{household_id}")
    assert page.status_code == 200
    assert all(m.full_name in page.text and m.id_number in page.text for m in members)
    assert page.text.count('data-key="insurance"') == 2 and "Bảo hiểm y tế" in page.text
    assert "Health insurance" in (await officer.get(
        f"/t/{ward.key}/residents/web/households/{household_id}?lang=en")).text
    async with scoped(ward) as session:
        reads = (await session.execute(select(AuditEntry).where(AuditEntry.action == "read",
                                                                AuditEntry.entity == Person.__tablename__))).scalars()
        assert len(list(reads)) == 2
    head = await client_as("neighborhood_head", ward, {"neighborhood": "00000000-0000-0000-0000-000000000000"})
    assert (await head.get(f"/t/{ward.key}/residents/web/households/{household_id}")).status_code == 404
    integrator = await client_as("integrator", ward)
    masked = await integrator.get(f"/t/{ward.key}/residents/web/households/{household_id}")
    assert masked.status_code == 200 and not any(m.id_number in masked.text for m in members)


async def test_another_wards_household_is_out_of_reach(client_as, make_tenant, scoped, people):
    ward_a = await make_tenant(plugins=("residents",))
    ward_b = await make_tenant(plugins=("residents",))
    [theirs] = await _families(scoped, ward_b, people, 1)
    async with scoped(ward_b) as session:
        name = (await services.members(session, theirs))[0].full_name
    officer_a = await client_as("ward_officer", ward_a)
    direct = await officer_a.get(f"/t/{ward_b.key}/residents/web/households/{theirs}")
    assert direct.status_code == 403 and name not in direct.text
    through_own = await officer_a.get(f"/t/{ward_a.key}/residents/web/households/{theirs}")
    assert through_own.status_code == 404 and name not in through_own.text


async def test_the_register_form_shows_field_errors_in_the_page_language_and_writes_nothing(
        client_as, ward, scoped, people):
    officer = await client_as("ward_officer", ward)
    form = await officer.get(f"/t/{ward.key}/residents/web/register")
    assert form.status_code == 200 and 'name="_csrf_token"' in form.text and 'name="members.0.id_number"' in form.text
    head = people.person("male", 1980)
    values = {"code": "HK-77", "address": "3 Pasteur", "members.0.full_name": head["full_name"],
              "members.0.sex": "male", "members.0.birth_date": head["birth_date"], "members.0.relation": "head",
              "members.0.id_number": "0790801234"}
    bad = await officer.post(f"/t/{ward.key}/residents/web/register", data=_form(values, officer))
    assert bad.status_code == 400 and "text/html" in bad.headers["content-type"]
    field = re.search(r'name="members\.0\.id_number"[^>]*aria-invalid="true"[^>]*>'
                      r'<span class="field-error" id="members\.0\.id_number-error" role="alert">([^<]+)</span>',
                      bad.text)
    assert field, bad.text
    assert "12" in field.group(1) and "số" in field.group(1).lower()  # Vietnamese, beside the field
    assert 'value="HK-77"' in bad.text  # what was typed stays
    english = await officer.post(f"/t/{ward.key}/residents/web/register?lang=en", data=_form(values, officer))
    assert english.status_code == 400 and re.search(r'id="members\.0\.id_number-error" role="alert">[^<]*digit',
                                                    english.text, re.I), english.text
    async with scoped(ward) as session:
        assert await services.count_present(session) == 0
    good = await officer.post(f"/t/{ward.key}/residents/web/register",
                              data=_form({**values, "members.0.id_number": head["id_number"]}, officer),
                              follow_redirects=False)
    assert good.status_code == 303, good.text
    shown = await officer.get(good.headers["location"] + "?lang=vi")  # the language chosen stays (a cookie)
    assert shown.status_code == 200 and "Hộ HK-77" in shown.text and head["full_name"] in shown.text


async def test_a_resident_sees_their_own_household_page_only(client_as, ward, scoped, people):
    mine, other = await _families(scoped, ward, people, 2)
    async with scoped(ward) as session:
        mine_names = [p.full_name for p in await services.members(session, mine)]
        other_names = [p.full_name for p in await services.members(session, other)]
    resident = await client_as("resident", ward, {"household": str(mine)})
    own = await resident.get(f"/t/{ward.key}/residents/web/my-household")
    assert own.status_code == 200 and "Hộ gia đình của tôi" in own.text
    assert all(n in own.text for n in mine_names) and not any(n in own.text for n in other_names)
    assert "•" in own.text  # the number masked: residents do not read identity fields
    assert (await resident.get(f"/t/{ward.key}/residents/web/households/{other}")).status_code == 404
    listed = await resident.get(f"/t/{ward.key}/residents/")
    assert listed.text.count('<tr data-id="') == 1 and "/web/my-household" in listed.text
    assert (await resident.get(f"/t/{ward.key}/residents/web/register")).status_code == 403
    officer = await client_as("ward_officer", ward)
    assert (await officer.get(f"/t/{ward.key}/residents/web/my-household")).status_code == 404


async def test_navigation_and_dashboard_figures(client_as, ward, scoped, people):
    await _families(scoped, ward, people, 3)
    chair = await client_as("ward_chair", ward)
    dashboard = await chair.get(f"/t/{ward.key}/")
    assert dashboard.status_code == 200
    assert "Nhân khẩu theo giới tính" in dashboard.text and "<svg" in dashboard.text
    assert f'href="/t/{ward.key}/residents"' in dashboard.text
    assert f'href="/t/{ward.key}/residents/web/register"' in dashboard.text
    english = await chair.get(f"/t/{ward.key}/?lang=en")
    assert "Residents by sex" in english.text and "Households" in english.text
