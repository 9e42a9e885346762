"""For the tests of plugins built on residents (military_service, social_welfare): households of given people
registered in a ward through residents' services, as those plugins find them."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from plugins.residents import services as residents
from plugins.residents.samples import SampleMaker

TODAY = date(2026, 6, 15)


class Households:
    """Registers households of given people (sex, birth date or year) in a ward, through residents' services."""

    def __init__(self) -> None:
        self.maker = SampleMaker(uuid.uuid4(), TODAY)
        self.households = 0

    def person(self, sex: str, born: date | int, **extra: Any) -> dict[str, Any]:
        year = born if isinstance(born, int) else born.year
        data = self.maker.person(sex, year)
        if not isinstance(born, int):  # a year alone: the sample's random day and month of that year
            data["birth_date"] = born.strftime("%d/%m/%Y")
        return {**data, **extra}

    async def household(self, session, *members: tuple[str, date | int]) -> list:
        """A household whose first member is the head; returns the persons in the given order."""
        self.households += 1
        rows = [self.person(sex, born, relation="head" if i == 0 else "child") for i, (sex, born) in enumerate(members)]
        household = await residents.register_household(
            session, {"code": f"HK-{uuid.uuid4().hex[:8]}", "address": "1 Lê Lợi", "members": rows}, today=TODAY)
        by_number = {p.id_number: p for p in await residents.members(session, household.id)}
        return [by_number[r["id_number"]] for r in rows]
