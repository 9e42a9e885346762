"""Fixtures of the kindergartens tests: wards with residents and kindergartens on, children from the register."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from plugins.residents import services as residents
from plugins.residents.tests.conftest import TODAY, People

PLUGINS = ("residents", "kindergartens")


@pytest.fixture
async def ward(make_tenant):
    return await make_tenant(plugins=PLUGINS)


class Ward:
    """Facilities and children of one ward."""

    def __init__(self, scoped, ward) -> None:
        self.scoped, self.ward, self.people, self.counter = scoped, ward, People(), itertools.count(1)

    def facility(self, **overrides: Any) -> dict[str, Any]:
        n = next(self.counter)
        return {"kind": "group", "name": f"Nhóm trẻ {n}", "owner_name": "Nguyễn Thị Mai", "address": f"{n} Lê Lợi",
                "capacity": 3, "licence_number": f"GP-{n}-{self.ward.code}", "licence_issued": "2025-01-10",
                "licence_expires": "2028-01-10", **overrides}

    async def children(self, count: int) -> list[Any]:
        async with self.scoped(self.ward) as session:
            family = self.people.family(f"HK-{next(self.counter)}-{count}", count + 2)
            household = await residents.register_household(session, family, today=TODAY)
            members = await residents.members(session, household.id)
            return [m.id for m in members if m.relation == "child"]


@pytest.fixture
def place(scoped, ward) -> Ward:
    return Ward(scoped, ward)
