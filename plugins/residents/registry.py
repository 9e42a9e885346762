"""The platform-wide registry of identification numbers: one active record per person on the platform.

``residents_id_registry`` maps a number to the ward (tenant) whose register holds the person, and to
the person's id there: nothing else, so a ward checking a number learns only which ward has it. It is
not tenant-owned, so the check works in a session scoped to one ward and under row-level security.
Its primary key on the number is the lock: two wards registering the same person at once cannot both
succeed, whatever the interleaving.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.toolkit import conflict
from plugins.residents.models import IdRegistration
from plugins.residents.validation import Problem
from tenants.models import Tenant

CHUNK = 1000


async def owners(session: AsyncSession, numbers: Iterable[str]) -> dict[str, IdRegistration]:
    """The registrations of ``numbers`` that exist, keyed by number."""
    wanted = sorted(set(numbers))
    found: dict[str, IdRegistration] = {}
    for start in range(0, len(wanted), CHUNK):
        rows = await session.execute(
            select(IdRegistration).where(IdRegistration.id_number.in_(wanted[start:start + CHUNK]))
        )
        found.update((r.id_number, r) for r in rows.scalars())
    return found


async def unit_labels(session: AsyncSession, tenant_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """``"26734 (Phường Xuân Hòa)"`` for each tenant: its public code and name, nothing of its data."""
    ids = list(set(tenant_ids))
    if not ids:
        return {}
    rows = await session.execute(select(Tenant.id, Tenant.code, Tenant.name).where(Tenant.id.in_(ids)))
    return {tid: f"{code} ({name})" for tid, code, name in rows}


async def taken(
    session: AsyncSession, tenant_id: uuid.UUID, fields: Mapping[str, str], *, except_person: uuid.UUID | None = None
) -> list[Problem]:
    """A problem for each number in ``fields`` (field name → number) already held by an active record."""
    held = await owners(session, fields.values())
    labels = await unit_labels(session, {r.tenant_id for r in held.values()})
    problems = []
    for field, number in fields.items():
        owner = held.get(number)
        if owner is None or owner.person_id == except_person:
            continue
        if owner.tenant_id == tenant_id:
            problems.append(Problem(field, "Số định danh này đã có trong sổ của đơn vị",
                                    "This identification number is already in this unit's register"))
        else:
            unit = labels.get(owner.tenant_id, "?")
            problems.append(Problem(field, f"Số định danh này đang được đăng ký tại đơn vị {unit}",
                                    f"This identification number is registered in unit {unit}"))
    return problems


async def claim(session: AsyncSession, rows: list[dict]) -> None:
    """Register ``{"id_number", "tenant_id", "person_id"}`` rows (the persons must be flushed already).

    Callers check :func:`taken` first, for a clear message; a number claimed by another ward in between
    (two wards registering the same person at the same moment) still fails here, on the primary key, as
    a ``CONFLICT``: the caller's transaction then writes nothing.
    """
    if not rows:
        return
    try:
        await session.execute(insert(IdRegistration), rows, execution_options={"render_nulls": True})
    except IntegrityError as exc:
        raise conflict("Số định danh vừa được đăng ký ở đơn vị khác; hãy kiểm tra lại",
                       "The identification number was just registered elsewhere; check again") from exc


async def release(session: AsyncSession, id_number: str | None, person_id: uuid.UUID) -> None:
    """Free the number held by this person (moved off the platform, or entered in error)."""
    if id_number:
        await session.execute(
            delete(IdRegistration).where(IdRegistration.id_number == id_number, IdRegistration.person_id == person_id)
        )


async def transfer(session: AsyncSession, id_number: str, tenant_id: uuid.UUID, person_id: uuid.UUID) -> None:
    """Point the number at the person's new record (a move between wards), in the moving transaction."""
    await session.execute(
        update(IdRegistration)
        .where(IdRegistration.id_number == id_number)
        .values(tenant_id=tenant_id, person_id=person_id)
    )
