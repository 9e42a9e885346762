"""What social welfare shows on the pages of ``residents``: a person's allowances and merit, a household's policy
and poverty standing. Each block is batched (a few queries for a whole page) and names the permission a reader
needs (``permission``): residents leaves it out for anyone else, since those pages are read by more roles
(neighbourhood heads, residents) than may see who is poor, of merit or on an allowance. Categories only,
never amounts.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plugins.social_welfare import reference as ref
from plugins.social_welfare.models import Beneficiary, PolicyFamily, PovertyAssessment
from plugins.social_welfare.plugin import BENEFICIARY_READ, POLICY_READ, POVERTY_READ


def _item(label: tuple[str, str], value: str | tuple[str, str]) -> dict[str, str]:
    if isinstance(value, tuple):
        return {"label_vi": label[0], "label_en": label[1], "value": value[0], "value_en": value[1]}
    return {"label_vi": label[0], "label_en": label[1], "value": value}


async def person_sections(session: AsyncSession, person_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[dict]]:
    """``{person id: [section]}`` in two queries: the person's monthly allowances, and the policy categories in
    which the person is the one of merit."""
    ids = list(person_ids)
    if not ids:
        return {}
    allowances: dict[uuid.UUID, list[dict]] = {}
    for b in (await session.execute(select(Beneficiary).where(Beneficiary.person_id.in_(ids))
                                    .order_by(Beneficiary.start_month, Beneficiary.category_code))).scalars():
        category = ref.CATEGORY[b.category_code]
        until = f" – {b.end_month:%m/%Y}" if b.end_month else ""
        allowances.setdefault(b.person_id, []).append(
            _item((category.title_vi, category.title_en), f"{b.start_month:%m/%Y}{until}"))
    merit: dict[uuid.UUID, list[dict]] = {}
    for f in (await session.execute(select(PolicyFamily).where(PolicyFamily.person_id.in_(ids))
                                    .order_by(PolicyFamily.category_code))).scalars():
        recognised = f"{f.recognised_on:%d/%m/%Y}" if f.recognised_on else ""
        merit.setdefault(f.person_id, []).append(_item(ref.POLICY_CATEGORIES[f.category_code], recognised))
    found: dict[uuid.UUID, list[dict]] = {}
    for pid in ids:
        blocks = []
        if allowances.get(pid):
            blocks.append({"key": "allowances", "title_vi": "Trợ cấp xã hội hằng tháng",
                           "title_en": "Monthly social allowances", "items": allowances[pid],
                           "permission": BENEFICIARY_READ})
        if merit.get(pid):
            blocks.append({"key": "merit", "title_vi": "Người có công với cách mạng",
                           "title_en": "Person with meritorious services", "items": merit[pid],
                           "permission": POLICY_READ})
        if blocks:
            found[pid] = blocks
    return found


async def household_sections(session: AsyncSession, household_ids: Iterable[uuid.UUID]
                             ) -> dict[uuid.UUID, list[dict]]:
    """``{household id: [section]}`` in two queries: its policy family categories and its poverty assessments."""
    ids = list(household_ids)
    if not ids:
        return {}
    policy: dict[uuid.UUID, list[dict]] = {}
    for f in (await session.execute(select(PolicyFamily).where(PolicyFamily.household_id.in_(ids))
                                    .order_by(PolicyFamily.category_code))).scalars():
        recognised = f"{f.recognised_on:%d/%m/%Y}" if f.recognised_on else ""
        policy.setdefault(f.household_id, []).append(_item(ref.POLICY_CATEGORIES[f.category_code], recognised))
    poverty: dict[uuid.UUID, list[dict]] = {}
    for a in (await session.execute(select(PovertyAssessment).where(PovertyAssessment.household_id.in_(ids))
                                    .order_by(PovertyAssessment.year))).scalars():
        level = ref.POVERTY_LEVELS[a.level]
        poverty.setdefault(a.household_id, []).append(
            _item((f"Năm {a.year} (giai đoạn {a.period})", f"{a.year} (period {a.period})"),
                  level))
    found: dict[uuid.UUID, list[dict]] = {}
    for hid in ids:
        blocks = []
        if policy.get(hid):
            blocks.append({"key": "policy_family", "title_vi": "Gia đình chính sách", "title_en": "Policy family",
                           "items": policy[hid], "permission": POLICY_READ})
        if poverty.get(hid):
            blocks.append({"key": "poverty", "title_vi": "Hộ nghèo, cận nghèo",
                           "title_en": "Poor and near-poor household", "items": poverty[hid],
                           "permission": POVERTY_READ})
        if blocks:
            found[hid] = blocks
    return found
