"""Other plugins' sections for a batch of persons, one hook call per plugin (never one per person).

Plugins answer :func:`~plugins.residents.hookspecs.wardhub_residents_persons_sections` with the sections
of a whole page of persons at once. A plugin that only implements the one-person hook
(:func:`~plugins.residents.hookspecs.wardhub_residents_person_sections`) is still shown: it is called once
per person, which costs it a query or more per row; the batched hook is the one to implement.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

SINGLE_HOOK = "wardhub_residents_person_sections"
BATCH_HOOK = "wardhub_residents_persons_sections"


async def sections_for(manager: Any, enabled: Iterable[str], tenant: Any, session: Any,
                       person_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[dict[str, Any]]]:
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
            key = pid if isinstance(pid, uuid.UUID) else uuid.UUID(str(pid))
            if key in found and sections:
                found[key][result.plugin] = [{"plugin": result.plugin, **s} for s in sections]
    rest = enabled - answered
    if rest:
        for pid in person_ids:
            for result in await manager.call_each(SINGLE_HOOK, rest, tenant=tenant, session=session, person_id=pid):
                if result.error is None and result.value:
                    found[pid][result.plugin] = [{"plugin": result.plugin, **s} for s in result.value]
    order = {name: i for i, name in enumerate(manager.ordered())}
    return {
        pid: [s for plugin in sorted(by_plugin, key=lambda n: order.get(n, len(order))) for s in by_plugin[plugin]]
        for pid, by_plugin in found.items()
    }
