"""Fixtures of the residents tests: wards with the plugin on and sample people (sessions over the wards:
``scoped``, from core.testing)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from plugins.residents.samples import SampleMaker

TODAY = date(2026, 6, 15)


class People:
    """Sample people with valid, platform-unique identification numbers (a fresh random stream per test)."""

    def __init__(self) -> None:
        self.maker = SampleMaker(uuid.uuid4(), TODAY)

    def person(self, sex: str = "male", year: int = 1980, **overrides: Any) -> dict[str, Any]:
        data = self.maker.person(sex, year)
        data["birth_date"] = f"15/03/{year}"
        return {**data, **overrides}

    def member(self, relation: str, sex: str = "male", year: int = 1980, **overrides: Any) -> dict[str, Any]:
        return {**self.person(sex, year, **overrides), "relation": relation}

    def family(self, code: str, size: int = 3, **household: Any) -> dict[str, Any]:
        """A household: a head, a spouse, then children."""
        members = [self.member("head", "male", 1975), self.member("spouse", "female", 1978)]
        members += [self.member("child", "female" if i % 2 else "male", 2005 + i) for i in range(size - 2)]
        return {"code": code, "address": "12 Nguyễn Trãi", **household, "members": members[:size]}


@pytest.fixture
def people() -> People:
    return People()


@pytest.fixture
async def ward(make_tenant):
    return await make_tenant(plugins=("residents",))
