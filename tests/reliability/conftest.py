"""Shared helpers of the reliability tests: sample people, registering households over HTTP, reading rows
and audit entries through the test's own database handle."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from core.audit.models import AuditEntry
from core.db.scoping import TenantScope
from plugins.residents.models import Person
from plugins.residents.tests.conftest import People


@pytest.fixture
def settings(settings):
    """JSON logs: these tests make the app log tracebacks on purpose (failing plugins, killed connections),
    and the development console's rich rendering of one costs seconds on a 2-core machine."""
    return settings.with_(log_format="json")


@pytest.fixture
def people() -> People:
    return People()


async def register(client: Any, tenant: Any, people: People, code: str, size: int = 3, **household: Any) -> dict:
    response = await client.post(f"/t/{tenant.key}/residents/households", json=people.family(code, size, **household))
    assert response.status_code == 201, response.text
    return response.json()


async def person_row(db: Any, tenant: Any, person_id: Any) -> Person:
    async with db.session(TenantScope.of(tenant.id)) as session:
        return (await session.execute(select(Person).where(Person.id == uuid.UUID(str(person_id))))).scalar_one()


async def audit_entries(db: Any, tenant: Any, entity: str, entity_id: Any = None,
                        action: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == str(entity_id))
    if action is not None:
        query = query.where(AuditEntry.action == action)
    async with db.session(TenantScope.of(tenant.id)) as session:
        return list((await session.execute(query.order_by(AuditEntry.at, AuditEntry.id))).scalars())


async def count(db: Any, tenant: Any, model: type, *where: Any) -> int:
    async with db.session(TenantScope.of(tenant.id)) as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def error_code(response: Any) -> str | None:
    """The code of a REST error (``{"error": {"code"}}``) or of a GraphQL answer's first error."""
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"].get("code")
    if isinstance(body, dict) and body.get("errors"):
        return (body["errors"][0].get("extensions") or {}).get("code")
    return None
