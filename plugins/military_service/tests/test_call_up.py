"""The call-up list of a year equals an independent computation over a generated population."""

import random
from dataclasses import dataclass
from datetime import date

import pytest

from plugins.military_service import reference as ref
from plugins.military_service import services
from plugins.residents import services as residents

pytestmark = pytest.mark.plugins("residents", "military_service")

YEAR, ON = 2026, date(2026, 2, 1)


@dataclass
class Spec:
    sex: str
    born: date
    present: bool = True
    status: str | None = None  # None: not on the register
    health: int | None = None
    until: int | None = None
    study: bool = False


def expected_on_roster(s: Spec) -> bool:
    """Law on Military Service 2015, art. 30 and 41, written out again from the generated facts."""
    if not s.present or s.sex != "male" or s.status not in ("registered", "deferred"):
        return False
    if s.status == "deferred" and s.until >= YEAR:
        return False
    if s.health is not None and s.health >= 4:
        return False
    had_birthday = (ON.month, ON.day) >= (s.born.month, s.born.day)
    age = ON.year - s.born.year - (0 if had_birthday else 1)
    return 18 <= age <= (27 if s.study else 25)


def generate(rng: random.Random) -> list[Spec]:
    specs = []
    # the birthday boundaries of the window, on the day ages are counted
    for born, status, study in ((date(2008, 2, 1), "registered", False), (date(2008, 2, 2), "registered", False),
                                (date(2000, 2, 2), "registered", False), (date(2000, 2, 1), "registered", False),
                                (date(1998, 2, 2), "deferred", True), (date(1998, 2, 1), "deferred", True),
                                (date(2000, 2, 1), "deferred", True)):
        specs.append(Spec("male", born, status=status, until=2024 if status == "deferred" else None, study=study))
    for _ in range(260):
        born = date(rng.randint(1996, 2010), rng.randint(1, 12), rng.randint(1, 28))
        s = Spec(rng.choice(("male", "male", "female")), born, present=rng.random() > 0.1)
        if born.year + 17 <= 2025 and rng.random() < 0.85:
            s.status = rng.choice(("registered", "registered", "registered", "deferred", "exempt", "enlisted",
                                   "reserve"))
            s.health = rng.choice((None, 1, 2, 3, 4, 5, 6)) if s.status in ("registered", "deferred") else None
            if s.status == "deferred":
                s.until = rng.randint(2024, 2028)
                s.study = rng.random() < 0.5
        specs.append(s)
    return specs


async def build(session, people, specs: list[Spec]) -> dict:
    ids = {}
    for s in specs:
        _head, person = await people.household(session, ("female", 1970), (s.sex, s.born))
        ids[person.id] = s
        if s.status:
            await services.register(session, {"person_id": person.id,
                                              "registered_on": date(s.born.year + 17, 4, 1).isoformat()})
            if s.health:
                await services.record_health(session, person.id, {"health_class": s.health,
                                                                  "health_checked_on": "2023-12-01"})
            if s.status == "deferred":
                ground = ref.STUDY_GROUND if s.study else "d_sole_labour"
                await services.defer(session, person.id, {"ground_code": ground, "until_year": s.until,
                                                          "decided_on": "2024-01-10"})
            elif s.status == "exempt":
                await services.exempt(session, person.id, {"ground_code": "e_martyr_sibling",
                                                           "decided_on": "2024-01-10"})
            elif s.status in ("enlisted", "reserve"):
                await services.enlist(session, person.id, {"enlisted_on": "2024-02-20"})
                if s.status == "reserve":
                    await services.discharge(session, person.id, {"discharged_on": "2026-02-20"})
        if not s.present:
            await residents.record_death(session, person.id, {"date": "10/01/2026"}, today=date(2026, 6, 15))
    return ids


async def test_the_roster_matches_an_independent_computation(scoped, ward, people, client):
    specs = generate(random.Random(20260201))
    async with scoped(ward) as session:
        ids = await build(session, people, specs)
    expected = {pid for pid, s in ids.items() if expected_on_roster(s)}
    assert 25 < len(expected) < len(ids) - 100  # a population that tells right from wrong
    boundary = {s.born: pid for pid, s in ids.items() if s in specs[:7]}
    assert boundary[date(2008, 2, 1)] in expected and boundary[date(2008, 2, 2)] not in expected

    async with scoped(ward) as session:
        assert {p.id for p, _ in await services.call_up_candidates(session, YEAR, ON)} == expected
    drawn = await client.post(f"/t/{ward.key}/military_service/callups", json={"year": YEAR, "on": ON.isoformat()})
    assert drawn.status_code == 201 and drawn.json() == {"added": len(expected)}
    listed = (await client.get(f"/t/{ward.key}/military_service/callups", params={"year": YEAR})).json()
    assert {e["person_id"] for e in listed["entries"]} == {str(p) for p in expected}
    assert {e["status"] for e in listed["entries"]} == {"listed"}
    # drawing up again adds nobody; the counts agree
    assert (await client.post(f"/t/{ward.key}/military_service/callups", json={"year": YEAR})).json() == {"added": 0}
    counts = (await client.get(f"/t/{ward.key}/military_service/counts", params={"year": YEAR})).json()
    assert counts["roster"]["listed"] == len(expected)
    registered = [s for s in ids.values() if s.status]
    assert sum(counts["register"].values()) == len(registered)
    for status in ref.STATUSES:
        assert counts["register"][status] == sum(1 for s in registered if s.status == status), status
