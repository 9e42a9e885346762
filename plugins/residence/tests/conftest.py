"""Fixtures of the residence tests: wards with residents and residence on, people in them (sessions: ``scoped``,
from core.testing)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from plugins.residents import services as residents
from plugins.residents.samples import SampleMaker

TODAY = date(2026, 6, 15)


class People:
    """Sample people with valid, platform-unique identification numbers."""

    def __init__(self) -> None:
        self.maker = SampleMaker(uuid.uuid4(), TODAY)

    def member(self, relation: str, sex: str = "male", year: int = 1980) -> dict[str, Any]:
        data = self.maker.person(sex, year)
        return {**data, "birth_date": f"15/03/{year}", "relation": relation}


@pytest.fixture
def people() -> People:
    return People()


@pytest.fixture
def populate(scoped, people):
    """``await populate(ward)`` → ``{"kp1", "kp2", "persons": [ids…], "numbers": [...]}``: two
    neighbourhoods, two households of three people (the first in KP1, the second in KP2)."""

    async def fill(ward) -> dict[str, Any]:
        async with scoped(ward) as session:
            kp1 = await residents.create_neighbourhood(session, {"code": "KP1", "name": "Khu phố 1"})
            kp2 = await residents.create_neighbourhood(session, {"code": "KP2", "name": "Khu phố 2"})
            persons, numbers = [], []
            for code, area in (("HK-1", kp1), ("HK-2", kp2)):
                members = [people.member("head", "male", 1975), people.member("spouse", "female", 1978),
                           people.member("child", "male", 2005)]
                household = await residents.register_household(session, {
                    "code": code, "address": f"{code[-1]} Nguyễn Trãi", "neighbourhood_id": area.id,
                    "members": members}, today=TODAY)
                for person in await residents.members(session, household.id):
                    persons.append(person.id)
                    numbers.append(person.id_number)
            return {"kp1": kp1.id, "kp2": kp2.id, "persons": persons, "numbers": numbers}

    return fill


@pytest.fixture
async def ward(make_tenant):
    return await make_tenant(plugins=("residents", "residence"))
