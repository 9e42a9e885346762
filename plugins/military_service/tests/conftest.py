"""Fixtures of the military_service tests: a ward with residents and military_service on, and people in it."""

from __future__ import annotations

import pytest

from plugins.residents.tests.households import Households


@pytest.fixture
def people() -> Households:
    return Households()


@pytest.fixture
async def ward(make_tenant):
    return await make_tenant(plugins=("residents", "military_service"))
