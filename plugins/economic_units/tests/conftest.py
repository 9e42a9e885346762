"""Fixtures of the economic_units tests: wards with the plugin (and residents, its dependency) on, valid tax
codes (sessions over the wards: ``scoped``, from core.testing)."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest

from plugins.economic_units.validation import check_digit

PLUGINS = ("residents", "economic_units")


def valid_tax_code(rng: random.Random) -> str:
    while True:
        first = f"{rng.randrange(1, 10**9):09d}"
        digit = check_digit(first)
        if digit is not None:
            return f"{first}{digit}"


class Units:
    """Unit bodies with fresh valid tax codes."""

    def __init__(self) -> None:
        self.rng = random.Random()
        self.counter = itertools.count(1)

    def tax_code(self) -> str:
        return valid_tax_code(self.rng)

    def body(self, **overrides: Any) -> dict[str, Any]:
        n = next(self.counter)
        data = {"name": f"Công ty TNHH Thử nghiệm {n}", "tax_code": self.tax_code(), "address": f"{n} Lạc Long Quân",
                "section": "G", "labour": 8, "revenue": 5, "latitude": 10.76 + n / 1000, "longitude": 106.65}
        return {**data, **overrides}


@pytest.fixture
def units() -> Units:
    return Units()


@pytest.fixture
async def ward(make_tenant):
    return await make_tenant(plugins=PLUGINS)
