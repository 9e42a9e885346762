"""Population figures, computed in SQL over the session's tenant scope.

Every figure is a ``GROUP BY`` over present persons (or active households), and the figures over the
same rows go to the database as one ``UNION ALL`` statement (two in all, plus the labels): the database
does the counting, Python only labels the groups. The session decides what is counted: a ward's session
gives the ward's figures, a session scoped to a district's wards gives their sums (``by_unit`` splits
the totals per ward). Policy families come from plugins answering
:func:`~plugins.residents.hookspecs.wardhub_residents_policy_family_counts`; with no answer the figure is
``None`` (unknown), not zero.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import date
from typing import Any

from sqlalchemy import (
    Select,
    String,
    and_,
    case,
    cast,
    func,
    join,
    literal,
    literal_column,
    outerjoin,
    select,
    union_all,
)
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


def _counted(kind: str, key, source=None, *where) -> Select:
    """One branch of a figures statement: ``(kind, key as text, count)`` grouped by ``key``.

    ``key`` is computed in a subquery and grouped outside, so the database compares a plain column (bind
    parameters inside ``key`` never meet twice); ``source`` is what to select from (persons by default)."""
    rows = select(key.label("k"))
    if source is not None:
        rows = rows.select_from(source)
    rows = rows.where(*where).subquery()
    return select(literal_column(f"'{kind}'").label("kind"), cast(rows.c.k, String).label("k"),
                  func.count().label("n")).group_by(rows.c.k)


async def _figures(session: AsyncSession, *branches: Select) -> dict[str, dict[str | None, int]]:
    """Run the branches as one ``UNION ALL`` statement (one round trip, one plan): ``{kind: {key: count}}``."""
    found: dict[str, dict[str | None, int]] = {}
    if not branches:
        return found
    statement = branches[0] if len(branches) == 1 else union_all(*branches)
    for kind, key, count in (await session.execute(statement)).all():
        found.setdefault(kind, {})[key] = count
    return found


def _by_id(counts: dict[str | None, int]) -> dict[Any, int]:
    return {uuid.UUID(k) if k is not None else None: v for k, v in counts.items()}


def _labelled(terms: Iterable[ref.Term], counts: dict[Any, int], *, keep_zero: bool) -> list[dict[str, Any]]:
    rows = [{**t.as_dict(), "persons": counts.get(t.code, 0)} for t in terms]
    return rows if keep_zero else sorted((r for r in rows if r["persons"]), key=lambda r: -r["persons"])


async def _by_neighbourhood(session: AsyncSession, households: dict[str | None, int],
                            persons: dict[str | None, int]) -> list[dict[str, Any]]:
    """Households and persons per top-level neighbourhood (a tổ dân phố counts in its khu phố / ấp);
    the counts are keyed ``"<tenant id>|<neighbourhood id>"`` (see :func:`compute`)."""
    figures: dict[tuple, dict[str, Any]] = {}
    for counts, field in ((households, "households"), (persons, "persons")):
        for key, count in counts.items():
            tenant_text, _, top_text = (key or "").partition("|")
            tenant_id, top_id = uuid.UUID(tenant_text), uuid.UUID(top_text) if top_text else None
            row = figures.setdefault((tenant_id, top_id), {"tenant_id": tenant_id, "id": top_id, "households": 0,
                                                           "persons": 0})
            row[field] = count
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


FIGURES = frozenset({"households", "persons", "by_unit", "by_sex", "by_age_band", "by_ethnicity", "by_religion",
                     "by_neighbourhood", "policy_families"})


async def compute(
    session: AsyncSession, *, today: date | None = None, policy_families: PolicyFamilyProvider | None = None,
    figures: Iterable[str] | None = None,
) -> dict[str, Any]:
    """Totals and breakdowns over the session's tenant scope (see the module's docstring).

    ``figures``: the keys wanted (default all); the others are left empty and cost nothing, so a caller
    asking for persons by sex runs one ``GROUP BY``, not every figure."""
    today = today or today_in_vietnam()
    wanted = FIGURES if figures is None else frozenset(figures)
    top = func.coalesce(Neighbourhood.parent_id, Neighbourhood.id)
    # The neighbourhood key carries the unit too: a district's wards have neighbourhoods of their own.
    area = cast(Household.tenant_id, String).concat("|").concat(func.coalesce(cast(top, String), ""))
    with_area = outerjoin(Household, Neighbourhood, IN_NEIGHBOURHOOD)
    persons_with_area = join(Person, Household, IN_HOUSEHOLD).outerjoin(Neighbourhood, IN_NEIGHBOURHOOD)
    by_unit = bool(wanted & {"households", "persons", "by_unit"})
    # At most two statements for every figure: one over households, one over present persons.
    house = await _figures(session, *(branch() for need, branch in (
        (by_unit, lambda: _counted("unit", Household.tenant_id, None, ACTIVE)),
        ("by_neighbourhood" in wanted, lambda: _counted("area", area, with_area, ACTIVE)),
    ) if need))
    people = await _figures(session, *(branch() for need, branch in (
        (by_unit, lambda: _counted("unit", Person.tenant_id, None, PRESENT)),
        ("by_sex" in wanted, lambda: _counted("sex", Person.sex, None, PRESENT)),
        ("by_age_band" in wanted, lambda: _counted("band", band_expression(age_expression(today)), None, PRESENT)),
        ("by_ethnicity" in wanted, lambda: _counted("ethnicity", Person.ethnicity, None, PRESENT)),
        ("by_religion" in wanted, lambda: _counted("religion", Person.religion, None, PRESENT)),
        ("by_neighbourhood" in wanted, lambda: _counted("area", area, persons_with_area, PRESENT)),
    ) if need))
    households_by_unit, persons_by_unit = _by_id(house.get("unit", {})), _by_id(people.get("unit", {}))
    units = await unit_labels(session, set(households_by_unit) | set(persons_by_unit)) if "by_unit" in wanted else {}
    by_band = people.get("band", {})
    return {
        "as_of": today.isoformat(),
        "households": sum(households_by_unit.values()),
        "persons": sum(persons_by_unit.values()),
        "by_unit": [
            {"tenant_id": t, "unit": units.get(t), "households": households_by_unit.get(t, 0),
             "persons": persons_by_unit.get(t, 0)}
            for t in sorted(units, key=lambda t: units[t])
        ],
        "by_sex": _labelled(ref.SEXES, people.get("sex", {}), keep_zero=True),
        "by_age_band": [
            {"code": code, "vi": vi, "en": en, "persons": by_band.get(code, 0)}
            for code, _low, _high, vi, en in ref.AGE_BANDS
        ],
        "by_ethnicity": _labelled(ref.ETHNICITIES, people.get("ethnicity", {}), keep_zero=False),
        "by_religion": _labelled(ref.RELIGIONS, people.get("religion", {}), keep_zero=False),
        "by_neighbourhood": await _by_neighbourhood(session, house.get("area", {}), people.get("area", {})),
        "policy_families": merge_policy_families(await policy_families())
        if policy_families and "policy_families" in wanted else None,
    }
