"""Domain operations of the population register: what a ward can do to its households and persons.

Routes, GraphQL resolvers, imports and the change workflow all come through here; nothing here knows
HTTP. Each function takes a tenant-scoped session and writes through the ORM, so core audits every
change in the same transaction. Client mistakes raise :class:`~core.errors.UserError` naming the field
in Vietnamese and English, and the caller's transaction then writes nothing.

Membership: a person belongs to a household (``household_id``) with a ``relation`` to its head; the head
is the present member whose relation is ``head`` (at most one: a unique index says so). A person who
dies or moves away keeps their last household and relation as history, with ``status`` telling why
they are no longer present. A household left with no present member is ``dissolved``.

Moves between wards (:func:`request_move`, :func:`accept_move`, :func:`reject_move`, :func:`cancel_move`)
take a session scoped to both wards: the sending ward's record becomes ``moved_away``, the receiving
ward's is created and the identification number's registration moves, all in one transaction, so the
person is never present in two wards.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from core.toolkit import UserError, bad_input, conflict, new_id, not_found, parse_id, session_tenant, utcnow
from plugins.residents import reference as ref
from plugins.residents import registry
from plugins.residents.models import Household, Move, Neighbourhood, Person
from plugins.residents.normalize import normalize
from plugins.residents.validation import (
    PERSON_FIELDS,
    Problem,
    clean_household,
    clean_person,
    clean_relation,
    parse_event_date,
    raise_problems,
    today_in_vietnam,
)

PENDING, ACCEPTED, REJECTED, CANCELLED = "pending", "accepted", "rejected", "cancelled"


# -- small helpers -------------------------------------------------------------------------------------

def optional_id(value: Any, field: str) -> uuid.UUID | None:
    return None if value in (None, "") else parse_id(value, field)


async def flush(session: AsyncSession) -> None:
    """Flush, turning a lost race (unique key, changed version) into a ``CONFLICT`` for the client."""
    try:
        await session.flush()
    except IntegrityError as exc:
        raise conflict("Dữ liệu vừa bị thay đổi bởi thao tác khác; hãy thử lại",
                       "The data was changed by another operation at the same time; try again") from exc
    except StaleDataError as exc:
        raise conflict("Bản ghi đã bị thay đổi kể từ khi bạn mở; hãy tải lại",
                       "The record changed since you opened it; reload it") from exc


async def _one(session: AsyncSession, model: type, record_id: Any, field: str, what: tuple[str, str]):
    row = (await session.execute(select(model).where(model.id == parse_id(record_id, field)))).scalar_one_or_none()
    if row is None:
        raise not_found(f"Không tìm thấy {what[0]}", f"No such {what[1]}")
    return row


async def get_person(session: AsyncSession, person_id: Any) -> Person:
    return await _one(session, Person, person_id, "person_id", ("nhân khẩu", "person"))


async def get_household(session: AsyncSession, household_id: Any) -> Household:
    return await _one(session, Household, household_id, "household_id", ("hộ gia đình", "household"))


async def get_neighbourhood(session: AsyncSession, neighbourhood_id: Any) -> Neighbourhood:
    return await _one(session, Neighbourhood, neighbourhood_id, "neighbourhood_id", ("khu dân cư", "neighbourhood"))


async def members(session: AsyncSession, household_id: uuid.UUID, *, present_only: bool = True) -> list[Person]:
    """The household's members, head first, then eldest first."""
    query = select(Person).where(Person.household_id == household_id)
    if present_only:
        query = query.where(Person.status == ref.PRESENT)
    rows = (await session.execute(query)).scalars().all()
    return sorted(rows, key=lambda p: (p.relation != ref.HEAD or p.status != ref.PRESENT, p.birth_year, p.full_name))


def head_of(people: list[Person]) -> Person | None:
    return next((p for p in people if p.relation == ref.HEAD and p.status == ref.PRESENT), None)


def _touch(household: Household) -> None:
    """Count a change of membership as a change of the household (its version goes up)."""
    household.updated_at = utcnow()


def _require_present(person: Person, field: str = "person_id") -> None:
    if person.status != ref.PRESENT:
        status = ref.by_code(ref.STATUSES)[person.status]
        raise bad_input(field, f"Nhân khẩu không còn cư trú ({status.vi.lower()})",
                        f"The person is no longer present ({status.en.lower()})")


async def _active_household(session: AsyncSession, household_id: Any, field: str = "household_id") -> Household:
    household = await _one(session, Household, household_id, field, ("hộ gia đình", "household"))
    if household.status != "active":
        raise bad_input(field, "Hộ gia đình đã giải thể", "The household has been dissolved")
    return household


async def _check_neighbourhood(session: AsyncSession, value: Any, field: str = "neighbourhood_id",
                              tenant_id: uuid.UUID | None = None) -> uuid.UUID | None:
    neighbourhood_id = optional_id(value, field)
    if neighbourhood_id is not None:
        query = select(Neighbourhood.id).where(Neighbourhood.id == neighbourhood_id)
        if tenant_id is not None:
            query = query.where(Neighbourhood.tenant_id == tenant_id)
        if await session.scalar(query) is None:
            raise bad_input(field, "Không có khu dân cư này", "No such neighbourhood")
    return neighbourhood_id


async def _code_taken(session: AsyncSession, code: str) -> bool:
    return await session.scalar(select(Household.id).where(Household.code == code)) is not None


# -- neighbourhoods ------------------------------------------------------------------------------------

async def create_neighbourhood(session: AsyncSession, data: Mapping[str, Any]) -> Neighbourhood:
    """A khu phố / ấp / thôn, or (with ``parent_id``) a tổ dân phố under one."""
    code = " ".join(str(data.get("code") or "").split())
    name = " ".join(str(data.get("name") or "").split())
    kind = str(data.get("kind") or "").strip()
    parent_id = optional_id(data.get("parent_id"), "parent_id")
    problems = []
    if not code or len(code) > 20:
        problems.append(Problem("code", "Mã khu dân cư là bắt buộc (tối đa 20 ký tự)",
                                "The neighbourhood code is required (20 characters at most)"))
    if not name or len(name) > 120:
        problems.append(Problem("name", "Tên khu dân cư là bắt buộc (tối đa 120 ký tự)",
                                "The neighbourhood name is required (120 characters at most)"))
    allowed = (ref.GROUP_KIND,) if parent_id else ref.TOP_KINDS
    kind = kind or allowed[0]
    if kind not in allowed:
        problems.append(Problem("kind", "Loại khu dân cư không hợp lệ ở cấp này",
                                "This kind of neighbourhood is not allowed at this level"))
    raise_problems(problems)
    if parent_id is not None:
        parent = await get_neighbourhood(session, parent_id)
        if parent.parent_id is not None:
            raise bad_input("parent_id", "Tổ dân phố chỉ thuộc một khu phố, ấp hoặc thôn",
                            "A residential group belongs to a quarter, hamlet or village")
    if await session.scalar(select(Neighbourhood.id).where(Neighbourhood.code == code)):
        raise bad_input("code", f"Mã khu dân cư {code} đã có", f"The neighbourhood code {code} is taken")
    neighbourhood = Neighbourhood(code=code, name=name, search_name=normalize(name), kind=kind, parent_id=parent_id)
    session.add(neighbourhood)
    await flush(session)
    return neighbourhood


async def list_neighbourhoods(session: AsyncSession) -> list[Neighbourhood]:
    return list((await session.execute(select(Neighbourhood).order_by(Neighbourhood.code))).scalars())


# -- households ----------------------------------------------------------------------------------------

async def register_household(session: AsyncSession, data: Mapping[str, Any], today: date | None = None) -> Household:
    """A new household with its members: ``code``, ``address``, ``neighbourhood_id``, ``members`` (each a
    person with a ``relation``; exactly one is ``head``)."""
    today = today or today_in_vietnam()
    values, problems = clean_household(data)
    raw_members = data.get("members")
    if not isinstance(raw_members, list) or not raw_members:
        problems.append(Problem("members", "Hộ gia đình cần ít nhất một thành viên (chủ hộ)",
                                "A household needs at least one member (its head)"))
        raw_members = []
    people: list[dict[str, Any]] = []
    for i, raw in enumerate(raw_members):
        if not isinstance(raw, Mapping):
            problems.append(Problem(f"members.{i}", "Thành viên không hợp lệ", "Not a valid member"))
            continue
        person, found = clean_person(raw, today, prefix=f"members.{i}.")
        relation = clean_relation(raw.get("relation"), f"members.{i}.relation")
        problems += found
        if isinstance(relation, Problem):
            problems.append(relation)
        else:
            person["relation"] = relation
        people.append(person)
    heads = [p for p in people if p.get("relation") == ref.HEAD]
    if raw_members and len(heads) != 1:
        problems.append(Problem("members", "Mỗi hộ có đúng một chủ hộ", "A household has exactly one head"))
    numbers: dict[str, str] = {}
    for i, person in enumerate(people):
        number = person.get("id_number")
        if number and number in numbers.values():
            problems.append(Problem(f"members.{i}.id_number", "Số định danh bị trùng trong hộ",
                                    "The identification number is repeated in the household"))
        elif number:
            numbers[f"members.{i}.id_number"] = number
    raise_problems(problems)
    neighbourhood_id = await _check_neighbourhood(session, data.get("neighbourhood_id"))
    if await _code_taken(session, values["code"]):
        raise bad_input("code", f"Mã hộ {values['code']} đã có trong đơn vị",
                        f"The household code {values['code']} is already used in this unit")
    raise_problems(await registry.taken(session, session_tenant(session), numbers))
    household = Household(**values, neighbourhood_id=neighbourhood_id)
    session.add(household)
    await flush(session)
    persons = [Person(**person, household_id=household.id, status=ref.PRESENT) for person in people]
    session.add_all(persons)
    await flush(session)
    await registry.claim(session, [
        {"id_number": p.id_number, "tenant_id": p.tenant_id, "person_id": p.id} for p in persons if p.id_number
    ])
    return household


async def add_member(session: AsyncSession, household_id: Any, data: Mapping[str, Any],
                     today: date | None = None) -> Person:
    """A person joining the household from outside the platform (a birth, an arrival from abroad…).
    A person already registered in a ward moves with :func:`move_member` or :func:`request_move`."""
    household = await _active_household(session, household_id)
    values, problems = clean_person(data, today or today_in_vietnam())
    relation = clean_relation(data.get("relation"))
    if isinstance(relation, Problem):
        problems.append(relation)
    elif relation == ref.HEAD:
        problems.append(Problem("relation", "Hộ đã có chủ hộ; hãy dùng thao tác đổi chủ hộ",
                                "The household has a head; use the change of head"))
    raise_problems(problems)
    if values["id_number"]:
        raise_problems(await registry.taken(session, household.tenant_id, {"id_number": values["id_number"]}))
    person = Person(**values, household_id=household.id, relation=relation, status=ref.PRESENT)
    session.add(person)
    _touch(household)
    await flush(session)
    if person.id_number:
        await registry.claim(session, [{"id_number": person.id_number, "tenant_id": person.tenant_id,
                                        "person_id": person.id}])
    return person


@dataclass(slots=True)
class _Leaving:
    """How the household a member leaves carries on: a successor if the head leaves others behind, or
    dissolution if nobody is left. Worked out (and checked) before anything changes."""

    household: Household | None = None
    successor: Person | None = None
    dissolve: bool = False

    async def apply(self, session: AsyncSession) -> None:
        """Call once the member's own change is flushed (one head at a time)."""
        if self.household is None:
            return
        _touch(self.household)
        if self.dissolve:
            self.household.status = "dissolved"
        if self.successor is not None:
            self.successor.relation = ref.HEAD
        await flush(session)


async def _leaving(session: AsyncSession, person: Person, new_head_id: Any) -> _Leaving:
    if person.household_id is None:
        return _Leaving()
    household = await get_household(session, person.household_id)
    others = [p for p in await members(session, household.id) if p.id != person.id]
    if not others:
        return _Leaving(household, dissolve=True)
    if person.relation != ref.HEAD:
        return _Leaving(household)
    if new_head_id in (None, ""):
        raise bad_input("new_head_id", "Chủ hộ rời đi: hãy chọn chủ hộ mới trong số thành viên còn lại",
                        "The head is leaving: choose a new head among the remaining members")
    successor = next((p for p in others if p.id == parse_id(new_head_id, "new_head_id")), None)
    if successor is None:
        raise bad_input("new_head_id", "Chủ hộ mới phải là thành viên còn lại của hộ",
                        "The new head must be one of the remaining members")
    return _Leaving(household, successor)


async def move_member(session: AsyncSession, person_id: Any, data: Mapping[str, Any]) -> Person:
    """Move a person to another household of the ward: ``household_id``, ``relation`` (to that household's
    head), and ``new_head_id`` when the person heads the household they leave."""
    person = await get_person(session, person_id)
    _require_present(person)
    target = await _active_household(session, data.get("household_id"))
    if target.id == person.household_id:
        raise bad_input("household_id", "Nhân khẩu đã ở trong hộ này", "The person is already in this household")
    relation = clean_relation(data.get("relation"))
    if isinstance(relation, Problem):
        raise_problems([relation])
    if relation == ref.HEAD:
        raise bad_input("relation", "Hộ đã có chủ hộ; hãy dùng thao tác đổi chủ hộ",
                        "The household has a head; use the change of head")
    leaving = await _leaving(session, person, data.get("new_head_id"))
    person.household_id, person.relation = target.id, relation
    _touch(target)
    await flush(session)
    await leaving.apply(session)
    return person


REMOVE_REASONS = ("moved_away", "entered_in_error")


async def remove_member(session: AsyncSession, person_id: Any, data: Mapping[str, Any],
                        today: date | None = None) -> Person | None:
    """Take a person off the household: ``reason`` ``moved_away`` (to a place off the platform, e.g.
    abroad: ``destination``, ``date``) keeps the record as history and frees the identification number;
    ``entered_in_error`` deletes the record. ``new_head_id`` when the person is the head."""
    person = await get_person(session, person_id)
    _require_present(person)
    reason = data.get("reason")
    if reason not in REMOVE_REASONS:
        raise bad_input("reason", "Lý do phải là chuyển đi hoặc nhập nhầm",
                        "The reason must be moved_away or entered_in_error")
    destination = " ".join(str(data.get("destination") or "").split())
    when = parse_event_date(data.get("date"), today or today_in_vietnam(), "date")
    if isinstance(when, Problem):
        raise_problems([when])
    if reason == "moved_away" and not 0 < len(destination) <= 120:
        raise bad_input("destination", "Hãy ghi nơi chuyển đến (tối đa 120 ký tự)",
                        "Say where the person moved to (120 characters at most)")
    leaving = await _leaving(session, person, data.get("new_head_id"))
    await registry.release(session, person.id_number, person.id)
    if reason == "entered_in_error":
        await session.delete(person)
        result = None
    else:
        person.status, person.status_date, person.moved_to = ref.MOVED_AWAY, when, destination
        result = person
    await flush(session)
    await leaving.apply(session)
    return result


async def change_head(session: AsyncSession, household_id: Any, data: Mapping[str, Any]) -> Household:
    """Make ``new_head_id`` the head; the former head takes ``former_head_relation``; ``relations`` may
    give other members their relation to the new head (``{person_id: relation}``)."""
    household = await _active_household(session, household_id)
    people = await members(session, household.id)
    new_head_id = parse_id(data.get("new_head_id"), "new_head_id")
    new_head = next((p for p in people if p.id == new_head_id), None)
    if new_head is None:
        raise bad_input("new_head_id", "Chủ hộ mới phải là thành viên của hộ", "The new head must be a member")
    current = head_of(people)
    if current is not None and current.id == new_head.id:
        raise bad_input("new_head_id", "Người này đã là chủ hộ", "This person is already the head")
    relations = _relations(data.get("relations"), {p.id for p in people} - {new_head.id})
    if current is not None:
        former = clean_relation(data.get("former_head_relation"), "former_head_relation")
        if isinstance(former, Problem) or former == ref.HEAD:
            raise bad_input("former_head_relation", "Hãy chọn quan hệ của chủ hộ cũ với chủ hộ mới",
                            "Choose the former head's relation to the new head")
        relations[current.id] = former
        current.relation = former
        await flush(session)
    for person in people:
        if person.id in relations:
            person.relation = relations[person.id]
    new_head.relation = ref.HEAD
    _touch(household)
    await flush(session)
    return household


def _relations(raw: Any, allowed: set[uuid.UUID], field: str = "relations") -> dict[uuid.UUID, str]:
    """``{person_id: relation}`` for members in ``allowed`` (never ``head``)."""
    if raw in (None, ""):
        return {}
    if not isinstance(raw, Mapping):
        raise bad_input(field, "Quan hệ phải là bảng mã người → quan hệ", "Relations map person ids to relations")
    result: dict[uuid.UUID, str] = {}
    for key, value in raw.items():
        person_id = parse_id(key, f"{field}.{key}")
        if person_id not in allowed:
            raise bad_input(f"{field}.{key}", "Người này không thuộc nhóm thành viên được đổi quan hệ",
                            "This person is not among the members whose relation can change here")
        relation = clean_relation(value, f"{field}.{key}")
        if isinstance(relation, Problem) or relation == ref.HEAD:
            raise bad_input(f"{field}.{key}", "Quan hệ với chủ hộ không hợp lệ", "Not a valid relation to the head")
        result[person_id] = relation
    return result


async def split_household(session: AsyncSession, household_id: Any, data: Mapping[str, Any]) -> Household:
    """Part of a household forms a new one (tách hộ).

    ``member_ids`` leave for a new household with ``code``, ``address`` and ``neighbourhood_id``
    (address and neighbourhood default to the old household's); ``new_head_id`` (one of them) heads it;
    ``relations`` gives the others their relation to the new head. When the old head leaves,
    ``remaining_head_id`` heads those who stay.
    """
    source = await _active_household(session, household_id)
    people = await members(session, source.id)
    by_id = {p.id: p for p in people}
    raw_ids = data.get("member_ids")
    if not isinstance(raw_ids, list) or not raw_ids:
        raise bad_input("member_ids", "Hãy chọn các thành viên tách hộ", "Choose the members who split off")
    leaving_ids = [parse_id(v, "member_ids") for v in raw_ids]
    if any(i not in by_id for i in leaving_ids):
        raise bad_input("member_ids", "Chỉ thành viên đang cư trú của hộ mới tách được",
                        "Only present members of the household can split off")
    if len(set(leaving_ids)) == len(people):
        raise bad_input("member_ids", "Phải còn ít nhất một người ở lại hộ cũ",
                        "At least one member must stay in the old household")
    new_head_id = parse_id(data.get("new_head_id"), "new_head_id")
    if new_head_id not in leaving_ids:
        raise bad_input("new_head_id", "Chủ hộ mới phải là một trong những người tách hộ",
                        "The new head must be one of the members who split off")
    relations = _relations(data.get("relations"), set(leaving_ids) - {new_head_id})
    missing = [i for i in leaving_ids if i != new_head_id and i not in relations]
    if missing:
        raise bad_input(f"relations.{missing[0]}", "Hãy ghi quan hệ với chủ hộ mới",
                        "Give the relation to the new head")
    values, problems = clean_household({"code": data.get("code"), "address": data.get("address") or source.address})
    raise_problems(problems)
    neighbourhood_id = (await _check_neighbourhood(session, data["neighbourhood_id"])
                        if "neighbourhood_id" in data else source.neighbourhood_id)
    if await _code_taken(session, values["code"]):
        raise bad_input("code", f"Mã hộ {values['code']} đã có trong đơn vị",
                        f"The household code {values['code']} is already used in this unit")
    old_head = head_of(people)
    remaining_head: Person | None = None
    if old_head is not None and old_head.id in leaving_ids:
        remaining = optional_id(data.get("remaining_head_id"), "remaining_head_id")
        remaining_head = by_id.get(remaining) if remaining else None
        if remaining_head is None or remaining_head.id in leaving_ids:
            raise bad_input("remaining_head_id", "Hãy chọn chủ hộ cho những người ở lại",
                            "Choose the head of those who stay")
    new = Household(**values, neighbourhood_id=neighbourhood_id)
    session.add(new)
    await flush(session)
    for person_id in leaving_ids:
        person = by_id[person_id]
        person.household_id = new.id
        person.relation = ref.HEAD if person_id == new_head_id else relations[person_id]
    _touch(source)
    await flush(session)
    if remaining_head is not None:
        remaining_head.relation = ref.HEAD
        await flush(session)
    return new


# -- persons -------------------------------------------------------------------------------------------

async def update_person(session: AsyncSession, person_id: Any, changes: Mapping[str, Any],
                        expected_version: int | None = None, today: date | None = None) -> Person:
    """Correct a person's details (fields of :data:`~plugins.residents.validation.PERSON_FIELDS`).

    ``expected_version`` is the version the change was prepared against: if the record changed since,
    the answer is ``CONFLICT`` and nothing is written (the approval workflow relies on this).
    """
    person = await get_person(session, person_id)
    if expected_version is not None and expected_version != person.version:
        raise conflict("Nhân khẩu đã được cập nhật sau khi đề xuất thay đổi",
                       "The person's record changed after this change was prepared")
    unknown = sorted(set(changes) - set(PERSON_FIELDS))
    if unknown:
        raise bad_input(unknown[0], "Không thể sửa trường này ở đây", "This field cannot be changed here")
    current = {
        "full_name": person.full_name, "sex": person.sex, "id_number": person.id_number,
        "ethnicity": person.ethnicity, "religion": person.religion, "nationality": person.nationality,
        "occupation": person.occupation, "phone": person.phone, "birth_year": person.birth_year,
        "birth_month": person.birth_month, "birth_day": person.birth_day,
    }
    if "birth_date" in changes:
        current = {k: v for k, v in current.items() if not k.startswith("birth_")}
    values, problems = clean_person({**current, **changes}, today or today_in_vietnam())
    raise_problems(problems)
    old_number = person.id_number
    if values["id_number"] and values["id_number"] != old_number and person.status != ref.MOVED_AWAY:
        raise_problems(await registry.taken(session, person.tenant_id, {"id_number": values["id_number"]},
                                            except_person=person.id))
    for key, value in values.items():
        if getattr(person, key) != value:
            setattr(person, key, value)
    await flush(session)
    if values["id_number"] != old_number and person.status != ref.MOVED_AWAY:
        await registry.release(session, old_number, person.id)
        if values["id_number"]:
            await registry.claim(session, [{"id_number": person.id_number, "tenant_id": person.tenant_id,
                                            "person_id": person.id}])
    return person


async def record_death(session: AsyncSession, person_id: Any, data: Mapping[str, Any],
                       today: date | None = None) -> Person:
    """The person died on ``date`` (not in the future). A head leaving others behind needs
    ``new_head_id``. The identification number stays with the record: it can never be reused."""
    person = await get_person(session, person_id)
    _require_present(person)
    when = parse_event_date(data.get("date"), today or today_in_vietnam(), "date")
    if isinstance(when, Problem):
        raise_problems([when])
    born = date(person.birth_year, person.birth_month or 1, person.birth_day or 1)
    if when < born:
        raise bad_input("date", "Ngày mất trước ngày sinh", "The date of death is before the date of birth")
    leaving = await _leaving(session, person, data.get("new_head_id"))
    person.status, person.status_date = ref.DECEASED, when  # household and relation stay, as history
    await flush(session)
    await leaving.apply(session)
    return person


# -- moves between wards -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Ward:
    """A ward taking part in a move: its tenant id and its key (``scheme:code``), for messages and records."""

    id: uuid.UUID
    key: str


async def request_move(session: AsyncSession, person_id: Any, *, source: Ward, target: Ward,
                       data: Mapping[str, Any], today: date | None = None) -> Move:
    """The sending ward asks ``target`` to take the person in (``date``, ``note``).

    ``session`` is scoped to both wards: the sending side's record (``direction="out"``) and the
    receiving side's (``"in"``, with a summary to recognise the person) share one id. The person stays
    present here until the receiving ward accepts. A head with other members hands over first.
    """
    if source.id == target.id:
        raise bad_input("to", "Chuyển trong cùng đơn vị: hãy chuyển hộ", "A move within the unit is a household move")
    person = await get_person(session, person_id)
    if person.tenant_id != source.id:
        raise not_found("Không tìm thấy nhân khẩu", "No such person")
    _require_present(person)
    when = parse_event_date(data.get("date"), today or today_in_vietnam(), "date")
    if isinstance(when, Problem):
        raise_problems([when])
    pending = await session.scalar(select(Move.id).where(
        Move.tenant_id == source.id, Move.person_id == person.id, Move.direction == "out", Move.status == PENDING))
    if pending is not None:
        raise bad_input("person_id", "Nhân khẩu đã có yêu cầu chuyển đi đang chờ",
                        "The person already has a pending move")
    if person.relation == ref.HEAD and person.household_id is not None:
        others = [p for p in await members(session, person.household_id) if p.id != person.id]
        if others:
            raise bad_input("person_id", "Chủ hộ còn thành viên khác: hãy đổi chủ hộ trước khi chuyển đi",
                            "The head has other members: change the head before moving away")
    note = " ".join(str(data.get("note") or "").split())[:500] or None
    summary = {
        "full_name": person.full_name, "sex": person.sex, "id_number": person.id_number,
        "birth_year": person.birth_year, "birth_month": person.birth_month, "birth_day": person.birth_day,
    }
    move_id = new_id()
    common = {"id": move_id, "status": PENDING, "move_date": when, "note": note}
    session.add_all([
        Move(tenant_id=source.id, direction="out", other_tenant_id=target.id, other_tenant_key=target.key,
             person_id=person.id, summary={}, **common),
        Move(tenant_id=target.id, direction="in", other_tenant_id=source.id, other_tenant_key=source.key,
             person_id=None, summary=summary, **common),
    ])
    await flush(session)
    return await get_move(session, source.id, move_id)


async def get_move(session: AsyncSession, tenant_id: uuid.UUID, move_id: Any) -> Move:
    move = (await session.execute(
        select(Move).where(Move.tenant_id == tenant_id, Move.id == parse_id(move_id, "move_id"))
    )).scalar_one_or_none()
    if move is None:
        raise not_found("Không tìm thấy yêu cầu chuyển hộ khẩu", "No such move")
    return move


async def _both_sides(session: AsyncSession, tenant_id: uuid.UUID, move_id: Any, direction: str) -> tuple[Move, Move]:
    """This ward's side of a pending move (of ``direction``) and the other ward's side."""
    mine = await get_move(session, tenant_id, move_id)
    if mine.direction != direction:
        raise not_found("Không tìm thấy yêu cầu chuyển hộ khẩu", "No such move")
    if mine.status != PENDING:
        raise conflict("Yêu cầu chuyển hộ khẩu đã được xử lý", "The move has already been decided")
    theirs = await get_move(session, mine.other_tenant_id, mine.id)
    return mine, theirs


async def accept_move(session: AsyncSession, move_id: Any, *, target: Ward, data: Mapping[str, Any]) -> Person:
    """The receiving ward takes the person in, into ``household_id`` with ``relation``, or as the head of
    a new household (``household``: ``code``, ``address``, ``neighbourhood_id``). In one transaction over
    both wards: the new record is created here, the old one becomes ``moved_away`` there, and the
    identification number's registration follows."""
    incoming, outgoing = await _both_sides(session, target.id, move_id, "in")
    person = (await session.execute(select(Person).where(
        Person.tenant_id == incoming.other_tenant_id, Person.id == outgoing.person_id).with_for_update()
    )).scalar_one()
    if person.status != ref.PRESENT:
        raise conflict("Nhân khẩu không còn cư trú ở đơn vị chuyển đi",
                       "The person is no longer present in the sending unit")
    try:
        leaving = await _leaving(session, person, None)
    except UserError:  # the head has other members again since the request
        raise conflict("Đơn vị chuyển đi cần đổi chủ hộ trước", "The sending unit must change the head first") from None
    if data.get("household"):
        new_household = data["household"]
        if not isinstance(new_household, Mapping):
            raise bad_input("household", "Hộ mới không hợp lệ", "Not a valid new household")
        values, problems = clean_household(new_household, prefix="household.")
        raise_problems(problems)
        neighbourhood_id = await _check_neighbourhood(session, new_household.get("neighbourhood_id"),
                                                      "household.neighbourhood_id", target.id)
        if await session.scalar(select(Household.id).where(Household.tenant_id == target.id,
                                                           Household.code == values["code"])):
            raise bad_input("household.code", f"Mã hộ {values['code']} đã có trong đơn vị",
                            f"The household code {values['code']} is already used in this unit")
        household = Household(tenant_id=target.id, **values, neighbourhood_id=neighbourhood_id)
        session.add(household)
        await flush(session)
        relation = ref.HEAD
    else:
        household = await _active_household(session, data.get("household_id"))
        if household.tenant_id != target.id:
            raise not_found("Không tìm thấy hộ gia đình", "No such household")
        relation = clean_relation(data.get("relation"))
        if isinstance(relation, Problem) or relation == ref.HEAD:
            raise bad_input("relation", "Hãy chọn quan hệ với chủ hộ (không phải chủ hộ)",
                            "Choose the relation to the head (not head)")
        _touch(household)
    copied = {key: getattr(person, key) for key in (
        "full_name", "search_name", "search_given", "birth_year", "birth_month", "birth_day", "sex", "id_number",
        "ethnicity", "religion", "nationality", "occupation", "phone")}
    arrived = Person(tenant_id=target.id, **copied, household_id=household.id, relation=relation,
                     status=ref.PRESENT)
    session.add(arrived)
    person.status, person.status_date, person.moved_to = ref.MOVED_AWAY, incoming.move_date, target.key
    decided = utcnow()
    incoming.status = outgoing.status = ACCEPTED
    incoming.decided_at = outgoing.decided_at = decided
    await flush(session)
    await leaving.apply(session)
    incoming.person_id = arrived.id
    if person.id_number:
        await registry.transfer(session, person.id_number, target.id, arrived.id)
    await flush(session)
    return arrived


async def reject_move(session: AsyncSession, move_id: Any, *, target: Ward, reason: str | None) -> Move:
    """The receiving ward declines (``reason`` required); the person stays where they are."""
    return await _close(session, move_id, target.id, "in", REJECTED, reason)


async def cancel_move(session: AsyncSession, move_id: Any, *, source: Ward, reason: str | None) -> Move:
    """The sending ward withdraws its request before it is decided."""
    return await _close(session, move_id, source.id, "out", CANCELLED, reason)


async def _close(session: AsyncSession, move_id: Any, tenant_id: uuid.UUID, direction: str, status: str,
                 reason: str | None) -> Move:
    reason = " ".join(str(reason or "").split())[:500]
    if status == REJECTED and not reason:
        raise bad_input("reason", "Hãy ghi lý do từ chối", "Give the reason for rejecting")
    mine, theirs = await _both_sides(session, tenant_id, move_id, direction)
    decided = utcnow()
    for side in (mine, theirs):
        side.status, side.reason, side.decided_at = status, reason or None, decided
    await flush(session)
    return mine


def moves_query(*, direction: str | None = None, status: str | None = None) -> Select:
    """This ward's moves (``in`` or ``out``, of a ``status``), unordered."""
    query = select(Move)
    if direction:
        query = query.where(Move.direction == direction)
    if status:
        query = query.where(Move.status == status)
    return query


async def list_moves(session: AsyncSession, *, direction: str | None = None, status: str | None = None,
                     limit: int = 100) -> list[Move]:
    query = moves_query(direction=direction, status=status)
    return list((await session.execute(query.order_by(Move.requested_at.desc()).limit(min(max(limit, 1), 500))))
                .scalars())


async def count_present(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(Person).where(Person.status == ref.PRESENT)) or 0
