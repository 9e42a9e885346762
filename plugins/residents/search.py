"""Search the register, accent-insensitively: ``nguyen van a`` finds ``Nguyễn Văn A``, ``duc`` finds ``Đức``.

Names are stored folded (:mod:`plugins.residents.normalize`) in indexed columns and compared with
``=`` and ranges only, which stay index scans under PostgreSQL row-level security:

* a query of digits is a prefix of an identification number (equality when it has all 12);
* any other query is a prefix of the folded full name (``nguyen van``) or of the given name (``an``);
* households match by a prefix of their code; neighbourhoods (a few dozen per ward) by any word of
  their name, or their code.

Results can be limited to a neighbourhood, counting the residential groups under it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from plugins.residents import reference as ref
from plugins.residents.models import Household, Neighbourhood, Person
from plugins.residents.normalize import normalize, prefix_range

MAX_LIMIT = 100
# How a caller's access narrows a query of a resource (``access.filter`` in routes): (statement, resource).
Narrow = Callable[[Select, str], Select]


@dataclass(slots=True)
class SearchResult:
    persons: list[tuple[Person, Household | None]] = field(default_factory=list)
    households: list[Household] = field(default_factory=list)
    neighbourhoods: list[Neighbourhood] = field(default_factory=list)


def _prefix(column, text: str):
    low, high = prefix_range(text)
    return (column >= low) & (column < high)


async def _within(session: AsyncSession, neighbourhood_id: uuid.UUID | None) -> list[uuid.UUID] | None:
    """The neighbourhood and the residential groups under it."""
    if neighbourhood_id is None:
        return None
    children = await session.execute(select(Neighbourhood.id).where(Neighbourhood.parent_id == neighbourhood_id))
    return [neighbourhood_id, *children.scalars()]


def person_query(text: str, status: str | None = ref.PRESENT) -> Select:
    """Persons matching ``text`` (already folded), with their household."""
    query = select(Person, Household).outerjoin(
        Household, and_(Household.tenant_id == Person.tenant_id, Household.id == Person.household_id)
    )
    if text.replace(" ", "").isdigit():
        digits = text.replace(" ", "")
        query = query.where(Person.id_number == digits if len(digits) == 12 else _prefix(Person.id_number, digits))
    elif text:
        query = query.where(or_(_prefix(Person.search_name, text), _prefix(Person.search_given, text)))
    if status:
        query = query.where(Person.status == status)
    return query


async def search(
    session: AsyncSession,
    q: str,
    *,
    neighbourhood_id: uuid.UUID | None = None,
    status: str | None = ref.PRESENT,
    limit: int = 20,
    offset: int = 0,
    narrow: Narrow | None = None,
) -> SearchResult:
    """Persons, households and neighbourhoods matching ``q`` in the session's tenant scope; ``narrow``
    limits persons (``residents.person``) and households (``residents.household``) to what the caller
    may see."""
    narrow = narrow or (lambda statement, _resource: statement)
    text = normalize(q)
    limit = min(max(limit, 1), MAX_LIMIT)
    offset = max(offset, 0)
    result = SearchResult()
    if not text and neighbourhood_id is None:
        return result
    areas = await _within(session, neighbourhood_id)

    persons = person_query(text, status)
    if areas is not None:
        persons = persons.where(Household.neighbourhood_id.in_(areas))
    persons = narrow(persons, "residents.person").order_by(Person.search_name, Person.id).limit(limit).offset(offset)
    result.persons = [(p, h) for p, h in (await session.execute(persons)).all()]

    if text:
        households = select(Household).where(_prefix(Household.search_code, text))
        if areas is not None:
            households = households.where(Household.neighbourhood_id.in_(areas))
        households = narrow(households, "residents.household")
        households = households.order_by(Household.search_code, Household.id).limit(limit).offset(offset)
        result.households = list((await session.execute(households)).scalars())
        # A ward has tens of neighbourhoods: match any word of the name (``ben thanh`` finds
        # ``Khu phố Bến Thành``) or the code, over the whole small table.
        areas_all = (await session.execute(select(Neighbourhood).order_by(Neighbourhood.code))).scalars()
        result.neighbourhoods = [
            n for n in areas_all if f" {text}" in f" {n.search_name}" or normalize(n.code) == text
        ][:limit]
    return result
