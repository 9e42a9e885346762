"""Console pages: registration forms (permanent, temporary, absence) with inline vi/en field errors, the list
with filters, a person's history with renew and end, the expiring list, and the lodging batch form."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.toolkit import TenantScope
from plugins.residence import services
from plugins.residence.models import Registration, Stay
from plugins.residence.tests.test_lodging import at, guest, make_establishment

pytestmark = pytest.mark.plugins("residents", "residence")


def base(ward) -> str:
    return f"/t/{ward.key}/residence"


async def count(db, ward, model=Registration) -> int:
    async with db.session(TenantScope.of(ward.id)) as session:
        return await session.scalar(select(func.count()).select_from(model))


def form(client, **fields) -> dict:
    return {**fields, "_csrf_token": client.headers["x-csrftoken"]}


async def test_registration_forms_with_inline_errors_and_history(client, ward, populate, db):
    data = await populate(ward)
    number, person = data["numbers"][0], data["persons"][0]
    page = await client.get(f"{base(ward)}/web/new/permanent")
    assert page.status_code == 200 and 'name="person_id"' in page.text
    assert (await client.get(f"{base(ward)}/web/new/marriage")).status_code == 404
    assert (await client.post(f"{base(ward)}/web/new/marriage", data=form(client, person_id=number))).status_code == 404
    # by the person's identification number; address and neighbourhood from the household
    response = await client.post(f"{base(ward)}/web/new/permanent", data=form(client, person_id=number),
                                 follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"].endswith(f"/web/persons/{person}?saved=1")
    history = await client.get(response.headers["location"])
    assert history.status_code == 200 and "Thường trú" in history.text and "1 Nguyễn Trãi" in history.text
    # the same person again: a field error beside the field, in Vietnamese, nothing written
    again = await client.post(f"{base(ward)}/web/new/permanent", data=form(client, person_id=number))
    assert again.status_code == 400
    assert 'id="person_id-error"' in again.text and "đã có đăng ký thường trú" in again.text
    # an unknown identification number, in English
    unknown = await client.post(f"{base(ward)}/web/new/permanent?lang=en",
                                data=form(client, person_id="001099999999"))
    assert unknown.status_code == 400 and "No person with this identification number" in unknown.text
    # temporary: end before start, in English (Accept-Language), the typed values kept
    bad = await client.post(f"{base(ward)}/web/new/temporary", headers={"Accept-Language": "en"}, data=form(
        client, person_id=str(data["persons"][3]), start_date="2026-07-01", end_date="2026-06-01",
        address="5 Phố Huế"))
    assert bad.status_code == 400
    assert 'id="end_date-error"' in bad.text and "The end date is before the start date" in bad.text
    assert 'value="5 Phố Huế"' in bad.text
    assert await count(db, ward) == 1
    ok = await client.post(f"{base(ward)}/web/new/temporary", follow_redirects=False, data=form(
        client, person_id=str(data["persons"][3]), start_date="2026-07-01", end_date="2026-12-31"))
    assert ok.status_code == 303
    # absence needs a destination
    absent = await client.post(f"{base(ward)}/web/new/absence", data=form(
        client, person_id=str(person), start_date="2026-08-01", end_date="2026-09-01"))
    assert absent.status_code == 400 and 'id="destination-error"' in absent.text
    assert await count(db, ward) == 2
    # renew from the history page: beyond two years is refused inline, then a valid renewal
    async with db.session(TenantScope.of(ward.id)) as session:
        temporary = await session.scalar(select(Registration).where(Registration.kind == "temporary"))
    url = f"{base(ward)}/web/registrations/{temporary.id}"
    refused = await client.post(f"{url}/renew", data=form(client, end_date="2029-06-30"))
    assert refused.status_code == 400 and "at most 2 years" in refused.text  # ?lang=en above set the cookie
    renewed = await client.post(f"{url}/renew", data=form(client, end_date="2027-06-30"), follow_redirects=False)
    assert renewed.status_code == 303
    history = (await client.get(f"{base(ward)}/web/persons/{data['persons'][3]}?lang=en")).text
    assert "Renewed" in history and "Active" in history and "30/06/2027" in history
    # end the permanent residence: a date before its start is refused inline
    async with db.session(TenantScope.of(ward.id)) as session:
        permanent = await session.scalar(select(Registration).where(Registration.kind == "permanent"))
    ended = await client.post(f"{base(ward)}/web/registrations/{permanent.id}/end",
                              data=form(client, closed_on="2000-01-01"))
    assert ended.status_code == 400 and 'id="closed_on-error"' in ended.text
    ended = await client.post(f"{base(ward)}/web/registrations/{permanent.id}/end", data=form(client),
                              follow_redirects=False)
    assert ended.status_code == 303
    async with db.session(TenantScope.of(ward.id)) as session:
        assert (await session.get(Registration, (ward.id, permanent.id))).status == "ended"


async def test_the_list_with_filters_and_the_expiring_page(client, client_as, ward, populate, scoped):
    data = await populate(ward)
    today = services.today_in_vietnam()
    async with scoped(ward) as session:
        await services.register_permanent(session, {"person_id": data["persons"][0]})
        await services.declare_temporary(session, {"person_id": data["persons"][3], "start_date": today,
                                                   "end_date": today + timedelta(days=5), "address": "8 Hàng Bạc"})
        await services.declare_temporary(session, {"person_id": data["persons"][4],
                                                   "start_date": today - timedelta(days=90),
                                                   "end_date": today - timedelta(days=1), "address": "9 Hàng Gai"})
    page = await client.get(f"{base(ward)}/")
    assert page.status_code == 200
    assert page.text.count('<tr data-id=') == 3 and "web/new/permanent" in page.text
    only = await client.get(f"{base(ward)}/?kind=temporary&status=active&lang=en")  # past due, not yet marked
    assert only.text.count('<tr data-id=') == 2 and "8 Hàng Bạc" in only.text and "Temporary residence" in only.text
    only = await client.get(f"{base(ward)}/?kind=permanent")
    assert only.text.count('<tr data-id=') == 1 and "<td>Permanent residence</td>" in only.text
    assert "<td>Temporary residence</td>" not in only.text
    expiring = await client.get(f"{base(ward)}/web/expiring")
    assert expiring.status_code == 200 and "8 Hàng Bạc" in expiring.text and "9 Hàng Gai" in expiring.text
    reader = await client_as("integrator", ward)  # reads, never sees the forms' links
    listed = await reader.get(f"{base(ward)}/")
    assert listed.status_code == 200 and "web/new/permanent" not in listed.text
    assert (await reader.get(f"{base(ward)}/web/new/permanent")).status_code == 403
    operator = await client_as("lodging_operator", ward, {"establishment": str(data["kp1"])})
    for path in ("/", "/web/expiring", f"/web/persons/{data['persons'][0]}", "/web/new/temporary"):
        assert (await operator.get(base(ward) + path)).status_code == 403, path


async def test_the_lodging_batch_form(client, client_as, ward, db):
    hotel = await make_establishment(client, ward)
    other = await make_establishment(client, ward, "NN-2", "Nhà nghỉ Bình An")
    operator = await client_as("lodging_operator", ward, {"establishment": hotel["id"]})
    page = await operator.get(f"{base(ward)}/lodging/batch")
    assert page.status_code == 200 and "Khách sạn Hoa Mai" in page.text and "Bình An" not in page.text
    rows = {}
    for n, (doc, room) in enumerate((("B0000001", "101"), ("B0000002", "102"), ("B0000003", "103"))):
        one = guest(doc, room=room)
        rows.update({f"stays.{n}.{k}": str(v) for k, v in one.items()})
    rows["stays.1.planned_departure"] = at(-3, 10)  # before the arrival
    rows["stays.5.guest_name"] = "Lê Văn Sáu"  # a sixth row with no document nor room
    bad = await operator.post(f"{base(ward)}/lodging/batch", headers={"Accept-Language": "en"},
                              data=form(operator, establishment_id=hotel["id"], **rows))
    assert bad.status_code == 400
    assert 'id="stays.1.planned_departure-error"' in bad.text and "must be after the arrival" in bad.text
    assert 'id="stays.5.guest_document-error"' in bad.text and 'id="stays.5.room-error"' in bad.text
    assert 'id="stays.0.guest_name-error"' not in bad.text
    assert await count(db, ward, Stay) == 0
    rows["stays.1.planned_departure"] = at(2, 10)
    del rows["stays.5.guest_name"]
    ok = await operator.post(f"{base(ward)}/lodging/batch", data=form(operator, establishment_id=hotel["id"], **rows),
                             follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"].endswith("done=3")
    assert "Đã khai báo 3 khách" in (await operator.get(ok.headers["location"])).text
    assert await count(db, ward, Stay) == 3
    # one row only, already declared: the message lands on that row
    again = await operator.post(f"{base(ward)}/lodging/batch", headers={"Accept-Language": "en"}, data=form(
        operator, establishment_id=hotel["id"], **{k.replace("stays.0.", "stays.2."): v for k, v in rows.items()
                                                  if k.startswith("stays.0.")}))
    assert again.status_code == 400 and 'id="stays.2.guest_document-error"' in again.text
    assert "already declared for the night" in again.text
    # another establishment's id, posted by hand: FORBIDDEN, nothing written
    forbidden = await operator.post(f"{base(ward)}/lodging/batch", data=form(
        operator, establishment_id=other["id"], **{"stays.0.guest_name": "X Y", "stays.0.guest_document": "Z1234567",
                                                   "stays.0.room": "1", "stays.0.arrival": at(0, 1),
                                                   "stays.0.planned_departure": at(1, 1)}))
    assert forbidden.status_code == 403
    assert await count(db, ward, Stay) == 3
    assert "Bình An" not in (await operator.get(f"{base(ward)}/lodging")).text
