"""Fixtures of the social_welfare tests: a ward with residents and social_welfare on, and people in it."""

from __future__ import annotations

import pytest

from plugins.residents.tests.households import Households


@pytest.fixture
def people() -> Households:
    return Households()


@pytest.fixture
async def ward(make_tenant):
    return await make_tenant(plugins=("residents", "social_welfare"))
