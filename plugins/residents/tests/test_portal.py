"""The resident portal over HTTP: a resident proposes changes to their own household from the web forms, follows
them on core's requests page, and the officer (review) and chair (approve) decide in the inbox; bad input gets
the form again with vi/en field errors; another household's members are out of reach."""

from __future__ import annotations

import re

from plugins.residents import services


async def _families(scoped, ward, people, count):
    ids = []
    async with scoped(ward) as session:
        for n in range(count):
            ids.append((await services.register_household(session, people.family(f"HK-P{n:02d}", 2))).id)
    return ids


def _form(values, client):
    return {**values, "_csrf_token": client.cookies.get("csrftoken")}


async def test_a_resident_proposes_a_new_member_and_the_officer_and_chair_approve_it(client_as, ward, scoped, people):
    mine, _other = await _families(scoped, ward, people, 2)
    resident = await client_as("resident", ward, {"household": str(mine)})
    base = f"/t/{ward.key}/residents/web/my-household"
    own = await resident.get(base)
    assert own.status_code == 200 and f"{base}/propose" in own.text and f"/t/{ward.key}/requests" in own.text
    page = await resident.get(f"{base}/propose")
    assert page.status_code == 200 and 'id="form-member"' in page.text and 'for="member-full_name"' in page.text

    sent = await resident.post(f"{base}/propose/member", data=_form({
        "full_name": "Trần Bảo Ngọc", "birth_date": "02/05/2026", "sex": "female", "relation": "child",
        "note": "Con mới sinh"}, resident), follow_redirects=False)
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == f"/t/{ward.key}/requests?done=proposed"
    followed = await resident.get(f"/t/{ward.key}/requests?done=proposed")
    assert followed.status_code == 200 and "Đã gửi yêu cầu" in followed.text
    assert 'data-state="submitted"' in followed.text and "Thêm thành viên vào hộ" in followed.text
    request_id = re.search(r'data-id="([0-9a-f-]{36})"', followed.text).group(1)

    officer = await client_as("ward_officer", ward)
    inbox = await officer.get(f"/t/{ward.key}/inbox")
    assert request_id in inbox.text and f"/inbox/{request_id}/review" in inbox.text
    reviewed = await officer.post(f"/t/{ward.key}/inbox/{request_id}/review", data=_form({}, officer),
                                  follow_redirects=False)
    assert reviewed.status_code == 303
    chair = await client_as("ward_chair", ward)
    approved = await chair.post(f"/t/{ward.key}/inbox/{request_id}/approve", data=_form({}, chair),
                                follow_redirects=False)
    assert approved.status_code == 303

    async with scoped(ward) as session:
        names = [p.full_name for p in await services.members(session, mine)]
    assert "Trần Bảo Ngọc" in names and len(names) == 3
    english = await resident.get(f"/t/{ward.key}/requests?lang=en")
    assert 'data-state="approved"' in english.text and "Approved" in english.text and "Add a member" in english.text
    assert "Trần Bảo Ngọc" in (await resident.get(base)).text


async def test_the_forms_show_field_errors_in_both_languages_and_write_nothing(client_as, ward, scoped, people):
    mine, other = await _families(scoped, ward, people, 2)
    async with scoped(ward) as session:
        members = await services.members(session, mine)
        strangers = await services.members(session, other)
    resident = await client_as("resident", ward, {"household": str(mine)})
    base = f"/t/{ward.key}/residents/web/my-household"

    bad = await resident.post(f"{base}/propose/member", data=_form({
        "full_name": "Bé Út", "birth_date": "31/02/2026", "sex": "female", "relation": "child",
        "id_number": "12345"}, resident))
    assert bad.status_code == 400
    assert 'id="member-birth_date" ' in bad.text and 'aria-describedby="member-birth_date-error"' in bad.text
    assert 'id="member-id_number-error"' in bad.text and 'value="Bé Út"' in bad.text
    english = await resident.post(f"{base}/propose/member?lang=en", data=_form({
        "full_name": "", "birth_date": "", "sex": "", "relation": ""}, resident))
    assert english.status_code == 400 and "The full name is required" in english.text

    phone = await resident.post(f"{base}/propose/contact?lang=vi", data=_form({
        "person_id": str(members[0].id), "phone": "12ab"}, resident))
    assert phone.status_code == 400 and 'id="contact-phone-error"' in phone.text
    nothing = await resident.post(f"{base}/propose/contact", data=_form({"person_id": str(members[0].id)}, resident))
    assert nothing.status_code == 400 and "Hãy nhập số điện thoại hoặc nghề nghiệp mới" in nothing.text
    no_member = await resident.post(f"{base}/propose/contact", data=_form({"person_id": "x", "phone": "0912345678"},
                                                                          resident))
    assert no_member.status_code == 400 and 'id="contact-person_id-error"' in no_member.text

    # another household's member: refused, and nothing of that household on the page
    stranger = await resident.post(f"{base}/propose/contact", data=_form({
        "person_id": str(strangers[0].id), "phone": "0912345678"}, resident))
    assert stranger.status_code == 403
    assert not any(p.full_name in stranger.text for p in strangers)
    listed = await resident.get(f"/t/{ward.key}/requests")
    assert 'data-state="' not in listed.text  # nothing was proposed
    page = await resident.get(f"{base}/propose")
    assert not any(p.full_name in page.text for p in strangers)


async def test_a_phone_change_is_applied_on_approval_and_a_rejection_shows_its_reason(client_as, ward, scoped,
                                                                                     people):
    (mine,) = await _families(scoped, ward, people, 1)
    async with scoped(ward) as session:
        head = (await services.members(session, mine))[0]
    resident = await client_as("resident", ward, {"household": str(mine)})
    base = f"/t/{ward.key}/residents/web/my-household"
    for phone in ("0987654321", "0911222333"):
        sent = await resident.post(f"{base}/propose/contact", data=_form({
            "person_id": str(head.id), "phone": phone, "occupation": ""}, resident), follow_redirects=False)
        assert sent.status_code == 303, sent.text
    listed = await resident.get(f"/t/{ward.key}/requests")
    second, first = re.findall(r'data-id="([0-9a-f-]{36})"', listed.text)
    officer = await client_as("ward_officer", ward)
    chair = await client_as("ward_chair", ward)
    inbox = await officer.get(f"/t/{ward.key}/inbox")  # whose record, and the values by their titles
    target = f'<span class="change-request__target">{head.full_name}</span>'
    assert f"Sửa số điện thoại, nghề nghiệp · {target}" in inbox.text
    assert "<dt>Điện thoại</dt><dd>0987654321</dd>" in inbox.text
    assert "<dt>Phone</dt>" in (await officer.get(f"/t/{ward.key}/inbox?lang=en")).text
    await officer.post(f"/t/{ward.key}/inbox/{first}/review", data=_form({}, officer))
    await chair.post(f"/t/{ward.key}/inbox/{first}/approve", data=_form({}, chair))
    await officer.post(f"/t/{ward.key}/inbox/{second}/reject", data=_form({"reason": "Số không liên lạc được"},
                                                                          officer))
    async with scoped(ward) as session:
        assert (await services.get_person(session, head.id)).phone == "0987654321"
    listed = await resident.get(f"/t/{ward.key}/requests")
    assert 'data-state="approved"' in listed.text and 'data-state="rejected"' in listed.text
    assert "Lý do: Số không liên lạc được" in listed.text
    assert "0987654321" in (await resident.get(base)).text


async def test_only_a_resident_with_a_household_has_the_portal(client_as, ward):
    officer = await client_as("ward_officer", ward)
    assert (await officer.get(f"/t/{ward.key}/residents/web/my-household/propose")).status_code == 404
    integrator = await client_as("integrator", ward)
    assert (await integrator.get(f"/t/{ward.key}/residents/web/my-household/propose")).status_code == 403


async def test_an_address_change_is_proposed_checked_and_applied(client_as, ward, scoped, people):
    (mine,) = await _families(scoped, ward, people, 1)
    resident = await client_as("resident", ward, {"household": str(mine)})
    base = f"/t/{ward.key}/residents/web/my-household"
    same = await resident.post(f"{base}/propose/address?lang=vi", data=_form({"address": "12 Nguyễn Trãi"}, resident))
    assert same.status_code == 400 and 'id="address-address-error"' in same.text
    assert "trùng với địa chỉ" in same.text
    empty = await resident.post(f"{base}/propose/address?lang=en", data=_form({"address": "  "}, resident))
    assert empty.status_code == 400 and "Give the new address" in empty.text
    sent = await resident.post(f"{base}/propose/address", data=_form({"address": "  48  Lê Lợi "}, resident),
                               follow_redirects=False)
    assert sent.status_code == 303, sent.text
    officer, chair = await client_as("ward_officer", ward), await client_as("ward_chair", ward)
    inbox = await officer.get(f"/t/{ward.key}/inbox")
    request_id = re.search(r'data-id="([0-9a-f-]{36})"', inbox.text).group(1)
    assert "48 Lê Lợi" in inbox.text and "Sửa địa chỉ của hộ" in inbox.text
    await officer.post(f"/t/{ward.key}/inbox/{request_id}/review", data=_form({}, officer))
    await chair.post(f"/t/{ward.key}/inbox/{request_id}/approve", data=_form({}, chair))
    async with scoped(ward) as session:
        assert (await services.get_household(session, mine)).address == "48 Lê Lợi"
    assert 'data-state="approved"' in (await resident.get(f"/t/{ward.key}/requests")).text
