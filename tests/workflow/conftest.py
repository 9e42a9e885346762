"""A ward with residents on, one household, and the three actors of the workflow."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from plugins.residents.tests.conftest import People


@pytest.fixture
def people() -> People:
    return People()


@pytest.fixture
async def ward(make_tenant):
    return await make_tenant(plugins=("residents",))


def wf(ward) -> str:
    return f"/t/{ward.key}/workflow"


async def register(client, ward, people, code: str) -> dict:
    response = await client.post(f"/t/{ward.key}/residents/households", json=people.family(code, 3))
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
async def world(client, client_as, ward, people):
    """Two households; a resident of the first; an officer; the chair."""
    home = await register(client, ward, people, "HK-1")
    other = await register(client, ward, people, "HK-2")
    resident = await client_as("resident", ward, {"household": home["id"]})
    officer = await client_as("ward_officer", ward)
    chair = await client_as("ward_chair", ward)
    return SimpleNamespace(home=home, other=other, resident=resident, officer=officer, chair=chair, ward=ward)


def contact(person_id: str, **values) -> dict:
    return {"plugin": "residents", "change_type": "person_contact", "target_id": person_id,
            "values": values or {"phone": "0912345678"}}

