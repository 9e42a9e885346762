"""Two officers editing the same person at once: one wins, the other gets CONFLICT; nothing is lost.

Real concurrency: the requests run together (``asyncio.gather``) through the app, against the real
database (SQLite, whose writers queue, and PostgreSQL, where the second ``UPDATE … WHERE version = n``
waits for the first and then matches no row).
"""

from __future__ import annotations

import asyncio

import pytest

from tests.reliability.conftest import audit_entries, error_code, person_row, register

pytestmark = pytest.mark.plugins("residents")


def person_url(ward, person_id: str) -> str:
    return f"/t/{ward.key}/residents/persons/{person_id}"


async def test_two_officers_patch_the_same_person_one_wins_the_other_conflicts(client, client_as, make_tenant,
                                                                               people, db):
    ward = await make_tenant()
    household = await register(client, ward, people, "HK-C1")
    person_id = household["members"][1]["id"]
    first, second = await client_as("ward_officer", ward), await client_as("ward_officer", ward)
    for round_ in range(4):
        read = (await first.get(person_url(ward, person_id))).json()
        assert read == (await second.get(person_url(ward, person_id))).json() | {"sections": read["sections"]}
        version = read["version"]
        a, b = await asyncio.gather(
            first.patch(person_url(ward, person_id), json={"phone": f"09120000{round_:02d}", "version": version},
                        headers={"accept-language": "en"}),
            second.patch(person_url(ward, person_id), json={"occupation": f"Nghề {round_}", "version": version}),
        )
        assert sorted([a.status_code, b.status_code]) == [200, 409], (a.text, b.text)
        winner, loser = (a, b) if a.status_code == 200 else (b, a)
        assert error_code(loser) == "CONFLICT"
        message = loser.json()["error"]["message"]
        if loser is a:
            assert "changed" in message  # English, as asked
        else:
            assert "thay đổi" in message  # Vietnamese by default
        row = await person_row(db, ward, person_id)
        assert row.version == version + 1 == winner.json()["version"]
        if winner is a:
            assert row.phone == f"09120000{round_:02d}" and row.occupation != f"Nghề {round_}"
        else:
            assert row.occupation == f"Nghề {round_}" and row.phone != f"09120000{round_:02d}"
    updates = await audit_entries(db, ward, "residents_persons", person_id, "update")
    assert len(updates) == 4  # one per round: the loser wrote nothing


async def test_officers_retrying_on_conflict_lose_no_update(client, client_as, make_tenant, people, db):
    """Six officers each set a field of their own, reading the version, retrying on CONFLICT: every one of
    the six changes lands, each exactly once, and the version counts them."""
    ward = await make_tenant()
    household = await register(client, ward, people, "HK-C2")
    person_id = household["members"][0]["id"]
    initial = await person_row(db, ward, person_id)
    start, already = initial.version, set((initial.occupation or "").split(",")) - {""}
    officers = [await client_as("ward_officer", ward) for _ in range(6)]
    conflicts = 0

    async def edit(i: int, officer) -> dict:
        nonlocal conflicts
        for _attempt in range(40):
            current = (await officer.get(person_url(ward, person_id))).json()
            occupation = current.get("occupation") or ""
            marks = set(occupation.split(",")) - {""}
            response = await officer.patch(person_url(ward, person_id), json={
                "occupation": ",".join(sorted(marks | {f"o{i}"})), "version": current["version"]})
            if response.status_code == 200:
                return response.json()
            assert response.status_code == 409 and error_code(response) == "CONFLICT", response.text
            conflicts += 1
            await asyncio.sleep(0.01 * (i + 1))
        raise AssertionError(f"officer {i} never got through")

    await asyncio.gather(*(edit(i, o) for i, o in enumerate(officers)))
    row = await person_row(db, ward, person_id)
    assert set(row.occupation.split(",")) == already | {f"o{i}" for i in range(6)}  # nobody's change was lost
    assert row.version == start + 6
    updates = await audit_entries(db, ward, "residents_persons", person_id, "update")
    assert len(updates) == 6


async def test_a_patch_without_version_after_a_change_is_applied_but_a_stale_version_is_not(client, make_tenant,
                                                                                             people, db):
    ward = await make_tenant()
    household = await register(client, ward, people, "HK-C3")
    person_id = household["members"][0]["id"]
    version = (await client.get(person_url(ward, person_id))).json()["version"]
    assert (await client.patch(person_url(ward, person_id), json={"phone": "0912000111"})).status_code == 200
    stale = await client.patch(person_url(ward, person_id), json={"phone": "0912000222", "version": version})
    assert stale.status_code == 409 and error_code(stale) == "CONFLICT"
    assert (await person_row(db, ward, person_id)).phone == "0912000111"
    for bad in ("1", 1.5, True, [1]):
        response = await client.patch(person_url(ward, person_id), json={"phone": "0912000333", "version": bad})
        assert response.status_code == 400 and error_code(response) == "BAD_USER_INPUT", response.text
        assert "version" in response.json()["error"]["fields"]
