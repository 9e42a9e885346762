"""Changes residents may propose to their own household, through core's approval workflow (DESIGN §6).

Declared with the ``wardhub_change_types`` hook (see ``plugin.py``); core checks who may propose (a
resident sees only their household through the row filters), stores the proposal with the target's
``version``, and on approval calls ``apply`` here in the same transaction, after checking that version.

* ``person_contact`` — a person's phone and occupation (target: the person, ``Person.version``).
* ``add_member`` — a person joining the household from outside the platform, a birth for instance
  (target: the household, ``Household.version``, which goes up with every change of membership).
* ``member_moved_away`` — a member moved to a place off the platform (``destination``, ``date``;
  ``new_head_id`` when the head leaves others behind) (target: the person).

Values are checked with the register's own rules (:mod:`plugins.residents.validation`) and applied with
its services, so a proposal meets exactly the rules an officer's direct edit does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.toolkit import ChangeType, bad_input
from plugins.residents import reference as ref
from plugins.residents import services
from plugins.residents.models import Household, Person
from plugins.residents.validation import (
    Problem,
    clean_person,
    clean_relation,
    parse_event_date,
    raise_problems,
    today_in_vietnam,
)

CONTACT_FIELDS = ("phone", "occupation")
MEMBER_FIELDS = ("full_name", "birth_date", "sex", "id_number", "ethnicity", "religion", "nationality",
                 "occupation", "phone", "relation")
MOVED_FIELDS = ("date", "destination", "new_head_id")


def _only(values: Mapping[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise bad_input(f"values.{unknown[0]}", "Không thể đề xuất thay đổi trường này",
                        "This field cannot be changed through a proposal")
    return {k: values[k] for k in allowed if k in values}


def _present(person: Person) -> None:
    if person.status != ref.PRESENT:
        raise bad_input("target_id", "Nhân khẩu không còn cư trú", "The person is no longer present")


def _current(person: Person) -> dict[str, Any]:
    return {
        "full_name": person.full_name, "sex": person.sex, "id_number": person.id_number,
        "ethnicity": person.ethnicity, "religion": person.religion, "nationality": person.nationality,
        "occupation": person.occupation, "phone": person.phone, "birth_year": person.birth_year,
        "birth_month": person.birth_month, "birth_day": person.birth_day,
    }


def _prefixed(problems: list[Problem], fields: tuple[str, ...] | None = None) -> list[Problem]:
    return [Problem(f"values.{p.field}", p.vi, p.en) for p in problems if fields is None or p.field in fields]


# -- a person's contact fields -------------------------------------------------------------------------

def validate_contact(session: AsyncSession, person: Person, values: Mapping[str, Any]) -> dict[str, Any]:
    changes = _only(values, CONTACT_FIELDS)
    if not changes:
        raise bad_input("values", "Hãy nhập số điện thoại hoặc nghề nghiệp mới", "Give a new phone or occupation")
    _present(person)
    cleaned, problems = clean_person({**_current(person), **changes}, today_in_vietnam())
    raise_problems(_prefixed(problems, tuple(changes)))
    return {k: cleaned[k] for k in changes}


async def apply_contact(session: AsyncSession, person: Person, values: Mapping[str, Any]) -> None:
    await services.update_person(session, person.id, dict(values))


# -- a member joining the household --------------------------------------------------------------------

def validate_member(session: AsyncSession, household: Household, values: Mapping[str, Any]) -> dict[str, Any]:
    data = _only(values, MEMBER_FIELDS)
    if household.status != "active":
        raise bad_input("target_id", "Hộ gia đình đã giải thể", "The household has been dissolved")
    _cleaned, problems = clean_person(data, today_in_vietnam())
    relation = clean_relation(data.get("relation"))
    if isinstance(relation, Problem):
        problems.append(relation)
    elif relation == ref.HEAD:
        problems.append(Problem("relation", "Hộ đã có chủ hộ; người mới không thể là chủ hộ",
                                "The household has a head; a new member cannot be the head"))
    raise_problems(_prefixed(problems))
    return {k: v for k, v in data.items() if v not in (None, "")}


async def apply_member(session: AsyncSession, household: Household, values: Mapping[str, Any]) -> None:
    await services.add_member(session, household.id, dict(values))


# -- a member moved away -------------------------------------------------------------------------------

async def validate_moved(session: AsyncSession, person: Person, values: Mapping[str, Any]) -> dict[str, Any]:
    data = _only(values, MOVED_FIELDS)
    _present(person)
    problems: list[Problem] = []
    destination = " ".join(str(data.get("destination") or "").split())
    if not 0 < len(destination) <= 120:
        problems.append(Problem("destination", "Hãy ghi nơi chuyển đến (tối đa 120 ký tự)",
                                "Say where the person moved to (120 characters at most)"))
    when = parse_event_date(data.get("date"), today_in_vietnam(), "date")
    if isinstance(when, Problem):
        problems.append(when)
    new_head = data.get("new_head_id") or None
    if person.relation == ref.HEAD and person.household_id is not None:
        others = {str(p.id) for p in await services.members(session, person.household_id) if p.id != person.id}
        if others and str(new_head) not in others:
            problems.append(Problem("new_head_id", "Chủ hộ chuyển đi: hãy chọn chủ hộ mới trong số thành viên còn lại",
                                    "The head is moving away: choose a new head among the remaining members"))
    raise_problems(_prefixed(problems))
    cleaned: dict[str, Any] = {"destination": destination, "date": when.isoformat()}
    if new_head:
        cleaned["new_head_id"] = str(new_head)
    return cleaned


async def apply_moved(session: AsyncSession, person: Person, values: Mapping[str, Any]) -> None:
    await services.remove_member(session, person.id, {"reason": "moved_away", **values})


# What the inbox calls the proposed values and the target (core's workflow pages).
FIELDS: dict[str, tuple[str, str]] = {
    "phone": ("Điện thoại", "Phone"), "occupation": ("Nghề nghiệp", "Occupation"),
    "full_name": ("Họ và tên", "Full name"), "birth_date": ("Ngày sinh", "Date of birth"),
    "sex": ("Giới tính", "Sex"), "id_number": ("Số định danh", "ID number"), "ethnicity": ("Dân tộc", "Ethnicity"),
    "religion": ("Tôn giáo", "Religion"), "nationality": ("Quốc tịch", "Nationality"),
    "relation": ("Quan hệ với chủ hộ", "Relation to the head"), "date": ("Ngày", "Date"),
    "destination": ("Nơi chuyển đến", "Moved to"), "new_head_id": ("Chủ hộ mới", "New head"),
    "address": ("Địa chỉ", "Address"),
}


def describe_person(person: Person) -> str:
    return person.full_name


def describe_household(household: Household) -> str:
    return f"{household.code} · {household.address}"


CHANGE_TYPES = [
    ChangeType("person_contact", "Sửa số điện thoại, nghề nghiệp", "Change phone and occupation",
               model=Person, resource="residents.person", validate=validate_contact, apply=apply_contact,
               describe=describe_person, fields=FIELDS),
    ChangeType("add_member", "Thêm thành viên vào hộ", "Add a member to the household",
               model=Household, resource="residents.household", validate=validate_member, apply=apply_member,
               describe=describe_household, fields=FIELDS),
    ChangeType("member_moved_away", "Ghi nhận thành viên chuyển đi", "Record a member who moved away",
               model=Person, resource="residents.person", validate=validate_moved, apply=apply_moved,
               describe=describe_person, fields=FIELDS),
]
