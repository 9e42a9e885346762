"""Other plugins' sections for a batch of persons, one hook call per plugin (never one per person).

Plugins answer :func:`~plugins.residents.hookspecs.wardhub_residents_persons_sections` with the sections
of a whole page of persons at once. A plugin that only implements the one-person hook
(:func:`~plugins.residents.hookspecs.wardhub_residents_person_sections`) is still shown: it is called once
per person, which costs it a query or more per row; the batched hook is the one to implement.

Households have their own batched hook (:func:`~plugins.residents.hookspecs.wardhub_residents_households_sections`),
gathered by :func:`household_sections_for`. A section naming a ``permission`` is kept only when ``allows``
(the caller's ``access.allows``) says the reader holds it; without ``allows`` such sections are left out.
When that permission is one of ``sensitive`` (the catalog's sensitive permissions), showing the section is a
read of personal data: one audit entry records which sections of which persons or households were shown.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

from core.toolkit import audit

SINGLE_HOOK = "wardhub_residents_person_sections"
BATCH_HOOK = "wardhub_residents_persons_sections"
HOUSEHOLDS_HOOK = "wardhub_residents_households_sections"


def _visible(section: dict[str, Any], allows: Callable[[str], bool] | None) -> bool:
    permission = section.get("permission")
    return not permission or (allows is not None and allows(permission))


def _ordered(manager: Any, found: dict[uuid.UUID, dict[str, list[dict[str, Any]]]],
             allows: Callable[[str], bool] | None) -> dict[uuid.UUID, list[dict[str, Any]]]:
    order = {name: i for i, name in enumerate(manager.ordered())}
    return {
        key: [s for plugin in sorted(by_plugin, key=lambda n: order.get(n, len(order))) for s in by_plugin[plugin]
              if _visible(s, allows)]
        for key, by_plugin in found.items()
    }


async def _record_reads(session: Any, tenant: Any, shown: dict[uuid.UUID, list[dict[str, Any]]],
                        sensitive: Collection[str], entity: str) -> None:
    """One audit entry for the sensitive sections shown (which plugin's which block, for which ids)."""
    if not sensitive:
        return
    read = [(key, f"{s['plugin']}.{s['key']}") for key, sections in shown.items() for s in sections
            if s.get("permission") in sensitive]
    if read:
        ids = sorted({str(key) for key, _ in read})
        await audit(session, tenant_id=tenant.id, action="read", entity=entity,
                    entity_id=ids[0] if len(ids) == 1 else "*",
                    after={"sections": sorted({name for _, name in read}), "ids": ids})


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


async def household_sections_for(manager: Any, enabled: Iterable[str], tenant: Any, session: Any,
                                 household_ids: Sequence[uuid.UUID], allows: Callable[[str], bool] | None = None,
                                 sensitive: Collection[str] = ()) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """``{household id: [{"plugin": name, **section}, …]}``: one hook call per enabled plugin for the whole
    batch, plugins in dependency order; a failing plugin is left out (the others still show)."""
    if not household_ids:
        return {}
    found: dict[uuid.UUID, dict[str, list[dict[str, Any]]]] = {hid: {} for hid in household_ids}
    for result in await manager.call_each(HOUSEHOLDS_HOOK, set(enabled), tenant=tenant, session=session,
                                          household_ids=list(household_ids)):
        if result.error is not None or not result.value:
            continue
        for hid, sections in result.value.items():
            key = _uuid(hid)
            if key in found and sections:
                found[key][result.plugin] = [{"plugin": result.plugin, **s} for s in sections]
    shown = _ordered(manager, found, allows)
    await _record_reads(session, tenant, shown, sensitive, "residents_household_sections")
    return shown


async def sections_for(manager: Any, enabled: Iterable[str], tenant: Any, session: Any,
                       person_ids: Sequence[uuid.UUID], allows: Callable[[str], bool] | None = None,
                       sensitive: Collection[str] = ()) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """``{person id: [{"plugin": name, **section}, …]}`` for ``person_ids``, plugins in dependency order.

    A failing plugin is left out (the others still show), as for every per-plugin hook."""
    found: dict[uuid.UUID, dict[str, list[dict[str, Any]]]] = {pid: {} for pid in person_ids}
    if not person_ids:
        return {}
    enabled = set(enabled)
    answered: set[str] = set()
    for result in await manager.call_each(BATCH_HOOK, enabled, tenant=tenant, session=session,
                                          person_ids=list(person_ids)):
        answered.add(result.plugin)
        if result.error is not None or not result.value:
            continue
        for pid, sections in result.value.items():
            key = _uuid(pid)
            if key in found and sections:
                found[key][result.plugin] = [{"plugin": result.plugin, **s} for s in sections]
    rest = enabled - answered
    if rest:
        for pid in person_ids:
            for result in await manager.call_each(SINGLE_HOOK, rest, tenant=tenant, session=session, person_id=pid):
                if result.error is None and result.value:
                    found[pid][result.plugin] = [{"plugin": result.plugin, **s} for s in result.value]
    shown = _ordered(manager, found, allows)
    await _record_reads(session, tenant, shown, sensitive, "residents_person_sections")
    return shown
