"""Hooks that ``residents`` offers to the plugins depending on it (``manifest.depends = {"residents": …}``).

Implement them with ``@hookimpl`` from :mod:`core.toolkit`, like core hooks. They are called per
tenant, only for plugins the tenant has enabled, each plugin's answer taken separately (one failing
plugin does not hide the others). Both are read-only: they must not write.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, NotRequired, TypedDict

import pluggy

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from core.toolkit import TenantRef

hookspec = pluggy.HookspecMarker("wardhub")


class SectionItem(TypedDict):
    """One line of a section. ``value`` is shown as is, or, when ``value_en`` is given, ``value`` on Vietnamese
    pages and ``value_en`` on English ones (a status, a category: words rather than dates or numbers)."""

    label_vi: str
    label_en: str
    value: str
    value_en: NotRequired[str]


class PersonSection(TypedDict):
    """A block on a person's (or a household's) page: ``key`` is unique within the plugin (``"service_record"``).

    ``permission`` (optional) names the permission a reader needs to see the block (sensitive data, e.g.
    ``social_welfare.poverty:read``): residents leaves the block out for anyone who does not hold it.
    """

    key: str
    title_vi: str
    title_en: str
    items: list[SectionItem]
    permission: NotRequired[str]


HouseholdSection = PersonSection
"""A block on a household's page: the same shape as :class:`PersonSection`."""


class PolicyFamilyCount(TypedDict):
    """Households of one policy category (gia đình chính sách), e.g. ``code="martyr_family"``."""

    code: str
    title_vi: str
    title_en: str
    households: int


@hookspec
def wardhub_residents_person_sections(
    tenant: TenantRef, session: AsyncSession, person_id: uuid.UUID
) -> list[PersonSection] | None:
    """Sections the plugin adds to the page of person ``person_id`` (military service, allowances…).

    Called when a person's details are shown, with a session scoped to ``tenant``. Return a list of
    :class:`PersonSection` (empty or None when the plugin knows nothing of the person). The page shows
    them after the person's own fields, under each plugin's name, in dependency order.
    """


@hookspec
def wardhub_residents_persons_sections(
    tenant: TenantRef, session: AsyncSession, person_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[PersonSection]] | None:
    """Sections the plugin adds to each of ``person_ids`` (a page of persons): the batched form of
    :func:`wardhub_residents_person_sections`, answered with one query (or a few) whatever the page size.

    Called when several persons are shown at once (a household's members, a GraphQL page of persons,
    and a single person's page too), with a session scoped to ``tenant``. Return ``{person id: [section,
    …]}`` (persons the plugin knows nothing of may be left out; None for nothing at all). A plugin that
    implements this hook is not asked the one-person hook; one that implements only the one-person hook
    is asked it once per person, so implement this one.
    """


@hookspec
def wardhub_residents_households_sections(
    tenant: TenantRef, session: AsyncSession, household_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[HouseholdSection]] | None:
    """Sections the plugin adds to each household of ``household_ids`` (policy family, poverty standing…),
    answered with one query (or a few) whatever the number of households.

    Called when households are shown (a household's page, a GraphQL page of households), with a session
    scoped to ``tenant``, only for plugins the tenant has enabled; a plugin raising loses its sections only.
    Return ``{household id: [section, …]}`` (households the plugin knows nothing of may be left out; None
    for nothing at all). The page shows them after the household's own fields, in dependency order; a
    section naming a ``permission`` is shown only to readers holding it.
    """


@hookspec
def wardhub_residents_policy_family_counts(tenant: TenantRef, session: AsyncSession) -> list[PolicyFamilyCount] | None:
    """Policy families (gia đình chính sách) counted by category, for the population statistics.

    Called by :func:`plugins.residents.statistics.compute` with the session the statistics run in: count
    over that session's tenant scope (several wards for a district) with ORM queries, never per ward in
    Python. ``tenant`` is the unit asking. Return one :class:`PolicyFamilyCount` per category (None if the
    plugin has nothing to say). Answers of several plugins are added up by ``code``; when no plugin
    answers, the statistics report ``policy_families: null`` ("not known"), not zero.
    """
