"""Population figures, computed in SQL over the session's tenant scope.

Every figure is one ``GROUP BY`` query over present persons (or active households): the database does
the counting, Python only labels the groups. The session decides what is counted: a ward's session
gives the ward's figures, a session scoped to a district's wards gives their sums (``by_unit`` splits
the totals per ward). Policy families come from plugins answering
:func:`~plugins.residents.hookspecs.wardhub_residents_policy_family_counts`; with no answer the figure is
``None`` (unknown), not zero.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from plugins.residents import reference as ref
from plugins.residents.hookspecs import PolicyFamilyCount
from plugins.residents.models import Household, Neighbourhood, Person
from plugins.residents.registry import unit_labels
from plugins.residents.validation import today_in_vietnam

# Returns each answering plugin's counts (None for a plugin with nothing to say).
PolicyFamilyProvider = Callable[[], Awaitable[list[list[PolicyFamilyCount] | None]]]


def age_expression(today: date):
    """A person's age in whole years on ``today``; a missing month or day counts as 1 January."""
    had_birthday = case(
        (Person.birth_month.is_(None), 1),
        (Person.birth_month < today.month, 1),
        ((Person.birth_month == today.month) & (func.coalesce(Person.birth_day, 1) <= today.day), 1),
        else_=0,
    )
    return literal(today.year) - Person.birth_year - 1 + had_birthday


def band_expression(age):
    whens = [(age <= high, code) for code, _low, high, _vi, _en in ref.AGE_BANDS if high is not None]
    return case(*whens, else_=ref.AGE_BANDS[-1][0])


PRESENT = Person.status == ref.PRESENT
# Joins between tenant-owned tables compare the whole key (tenant_id, id): the primary key index serves them.
IN_HOUSEHOLD = and_(Household.tenant_id == Person.tenant_id, Household.id == Person.household_id)
IN_NEIGHBOURHOOD = and_(Neighbourhood.tenant_id == Household.tenant_id, Neighbourhood.id == Household.neighbourhood_id)
ACTIVE = Household.status == "active"


async def _grouped(session: AsyncSession, key, *where) -> dict[Any, int]:
    """``{key value: persons}`` for present persons; ``key`` is computed in a subquery and grouped outside,
    so the database compares a plain column (bind parameters inside ``key`` never meet twice)."""
    rows = select(key.label("k")).where(PRESENT, *where).subquery()
    result = await session.execute(select(rows.c.k, func.count()).group_by(rows.c.k))
    return dict(result.all())


def _labelled(terms: Iterable[ref.Term], counts: dict[Any, int], *, keep_zero: bool) -> list[dict[str, Any]]:
    rows = [{**t.as_dict(), "persons": counts.get(t.code, 0)} for t in terms]
    return rows if keep_zero else sorted((r for r in rows if r["persons"]), key=lambda r: -r["persons"])


async def _by_neighbourhood(session: AsyncSession) -> list[dict[str, Any]]:
    """Households and persons per top-level neighbourhood (a tổ dân phố counts in its khu phố / ấp)."""
    top = func.coalesce(Neighbourhood.parent_id, Neighbourhood.id)
    households = select(Household.tenant_id, top.label("top")).outerjoin(Neighbourhood, IN_NEIGHBOURHOOD).where(
        ACTIVE
    ).subquery()
    house_counts = await session.execute(
        select(households.c.tenant_id, households.c.top, func.count())
        .group_by(households.c.tenant_id, households.c.top)
    )
    persons = select(Household.tenant_id, top.label("top")).select_from(Person).join(Household, IN_HOUSEHOLD).outerjoin(
        Neighbourhood, IN_NEIGHBOURHOOD
    ).where(PRESENT).subquery()
    person_counts = await session.execute(
        select(persons.c.tenant_id, persons.c.top, func.count()).group_by(persons.c.tenant_id, persons.c.top)
    )
    figures: dict[tuple, dict[str, Any]] = {}
    for tenant_id, top_id, count in house_counts:
        figures[(tenant_id, top_id)] = {"tenant_id": tenant_id, "id": top_id, "households": count, "persons": 0}
    for tenant_id, top_id, count in person_counts:
        figures.setdefault((tenant_id, top_id), {"tenant_id": tenant_id, "id": top_id, "households": 0})
        figures[(tenant_id, top_id)]["persons"] = count
    ids = [key[1] for key in figures if key[1] is not None]
    names = {}
    if ids:
        found = await session.execute(select(Neighbourhood).where(Neighbourhood.id.in_(ids)))
        names = {n.id: n for n in found.scalars()}
    rows = []
    for (_tenant, top_id), row in figures.items():
        area = names.get(top_id)
        rows.append({**row, "code": area.code if area else None, "name": area.name if area else None})
    return sorted(rows, key=lambda r: (str(r["tenant_id"]), r["code"] is None, r["code"] or ""))


def merge_policy_families(answers: Iterable[list[PolicyFamilyCount] | None]) -> list[dict[str, Any]] | None:
    """Add up the plugins' answers by category code; None when no plugin answered."""
    merged: dict[str, dict[str, Any]] = {}
    answered = False
    for answer in answers:
        if answer is None:
            continue
        answered = True
        for item in answer:
            row = merged.setdefault(item["code"], {"code": item["code"], "title_vi": item["title_vi"],
                                                   "title_en": item["title_en"], "households": 0})
            row["households"] += int(item["households"])
    return sorted(merged.values(), key=lambda r: r["code"]) if answered else None


async def compute(
    session: AsyncSession, *, today: date | None = None, policy_families: PolicyFamilyProvider | None = None
) -> dict[str, Any]:
    """Totals and breakdowns over the session's tenant scope (see the module's docstring)."""
    today = today or today_in_vietnam()
    households_by_unit = dict((await session.execute(
        select(Household.tenant_id, func.count()).where(ACTIVE).group_by(Household.tenant_id))).all())
    persons_by_unit = dict((await session.execute(
        select(Person.tenant_id, func.count()).where(PRESENT).group_by(Person.tenant_id))).all())
    units = await unit_labels(session, set(households_by_unit) | set(persons_by_unit))
    by_band = await _grouped(session, band_expression(age_expression(today)))
    return {
        "as_of": today.isoformat(),
        "households": sum(households_by_unit.values()),
        "persons": sum(persons_by_unit.values()),
        "by_unit": [
            {"tenant_id": t, "unit": units.get(t), "households": households_by_unit.get(t, 0),
             "persons": persons_by_unit.get(t, 0)}
            for t in sorted(units, key=lambda t: units[t])
        ],
        "by_sex": _labelled(ref.SEXES, await _grouped(session, Person.sex), keep_zero=True),
        "by_age_band": [
            {"code": code, "vi": vi, "en": en, "persons": by_band.get(code, 0)}
            for code, _low, _high, vi, en in ref.AGE_BANDS
        ],
        "by_ethnicity": _labelled(ref.ETHNICITIES, await _grouped(session, Person.ethnicity), keep_zero=False),
        "by_religion": _labelled(ref.RELIGIONS, await _grouped(session, Person.religion), keep_zero=False),
        "by_neighbourhood": await _by_neighbourhood(session),
        "policy_families": merge_policy_families(await policy_families()) if policy_families else None,
    }
