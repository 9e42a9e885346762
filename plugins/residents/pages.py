"""Console pages under ``/t/{tenant}/residents``: the households list (search and paging), a household's page
with its members and the other plugins' sections, the register-household form, and a resident's own household.

Server-rendered through core's ``render`` (Vietnamese first, English with ``?lang=en``); reads go through the
same permissions and row filters as the JSON routes, and the form posts carry the CSRF token.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from litestar.utils.scope.state import ScopeState
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.toolkit import Access, DbSession, UserError, audit, not_found, render, requires
from plugins.residents import reference as ref
from plugins.residents import services
from plugins.residents.models import Household, Neighbourhood, Person
from plugins.residents.normalize import normalize
from plugins.residents.plugin import IDENTITY
from plugins.residents.search import _prefix
from plugins.residents.sections import household_sections_for, sections_for
from plugins.residents.validation import BirthDate

PAGE_SIZE = 25
MEMBER_ROWS = 4  # rows of the register form: the head and up to three more members
MEMBER_FIELDS = ("full_name", "sex", "birth_date", "id_number", "relation", "ethnicity", "religion", "phone")
HOUSEHOLD_READ, HOUSEHOLD_WRITE = requires("residents.household:read"), requires("residents.household:write")


def _base(request: Request) -> str:
    return request.url.path.split("/residents", 1)[0] + "/residents"


def _csrf(request: Request) -> str:
    token = ScopeState.from_scope(request.scope).csrf_token
    return token if isinstance(token, str) else ""


def _person_row(person: Person, identity: bool) -> dict[str, Any]:
    row = {"id": person.id, "full_name": person.full_name, "sex": _term(ref.SEXES, person.sex),
           "birth_date": str(BirthDate(person.birth_year, person.birth_month, person.birth_day)),
           "relation": _term(ref.RELATIONS, person.relation), "phone": person.phone,
           "id_number": person.id_number if identity else (("•" * 9 + person.id_number[-3:]) if person.id_number
                                                           else None)}
    if identity:
        row["ethnicity"] = _term(ref.ETHNICITIES, person.ethnicity)
        row["religion"] = _term(ref.RELIGIONS, person.religion)
    return row


def _term(terms: Any, code: str | None) -> tuple[str, str] | None:
    for term in terms:
        if term.code == code:
            return (term.vi, term.en)
    return (code, code) if code else None


async def _heads_and_sizes(session: AsyncSession, ids: list[uuid.UUID]) -> tuple[dict, dict]:
    """Heads' names and member counts of a page of households: two queries whatever the page size."""
    if not ids:
        return {}, {}
    heads = dict((await session.execute(select(Person.household_id, Person.full_name).where(
        Person.household_id.in_(ids), Person.relation == ref.HEAD, Person.status == ref.PRESENT))).all())
    sizes = dict((await session.execute(select(Person.household_id, func.count()).where(
        Person.household_id.in_(ids), Person.status == ref.PRESENT).group_by(Person.household_id))).all())
    return heads, sizes


def _own_household(access: Any) -> object | None:
    """The household a ``resident`` role names, if the caller holds one here."""
    return next((attrs.get("household") for role, attrs in access.grant.assignments
                 if role == "resident" and attrs.get("household")), None)


@get("/", guards=[HOUSEHOLD_READ])
async def households_page(request: Request, db_session: DbSession, access: Access, q: FromQuery[str] = "",
                          page: FromQuery[int] = 1) -> Response:
    """Households by a prefix of their code or of a member's name, accent-insensitive (``nguyen`` finds
    ``Nguyễn``), 25 a page."""
    page = max(page, 1)
    query = select(Household).where(Household.status == "active")
    text = normalize(q)
    if text:
        named = select(Person.household_id).where(
            Person.status == ref.PRESENT, or_(_prefix(Person.search_name, text), _prefix(Person.search_given, text)))
        query = query.where(or_(_prefix(Household.search_code, text), Household.id.in_(named)))
    query = access.filter(query, "residents.household")
    total = await db_session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list((await db_session.execute(
        query.order_by(Household.code, Household.id).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))).scalars())
    heads, sizes = await _heads_and_sizes(db_session, [h.id for h in rows])
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)

    def page_url(n: int) -> str:
        return "?" + urlencode({k: v for k, v in (("q", q), ("page", n)) if v})

    return await render(request, "residents/households.html", {
        "base": _base(request), "q": q, "total": total, "page": page, "pages": pages,
        "prev_url": page_url(page - 1) if page > 1 else None, "next_url": page_url(page + 1) if page < pages else None,
        "households": [{"id": h.id, "code": h.code, "address": h.address, "head": heads.get(h.id),
                        "size": sizes.get(h.id, 0)} for h in rows],
        "can_register": access.allows("residents.household:write"), "has_own": _own_household(access) is not None,
    })


async def _household_page(request: Request, session: AsyncSession, access: Any, household_id: uuid.UUID,
                          *, own: bool = False) -> Response:
    found = await session.scalar(access.filter(select(Household).where(Household.id == household_id),
                                               "residents.household"))
    if found is None:
        raise not_found("Không tìm thấy hộ gia đình", "No such household")
    people = await session.execute(access.filter(select(Person).where(
        Person.household_id == household_id, Person.status == ref.PRESENT), "residents.person"))
    members = sorted(people.scalars(), key=lambda p: (p.relation != ref.HEAD, p.birth_year, p.full_name))
    identity = access.allows(IDENTITY)
    if identity and members:
        await audit(session, tenant_id=found.tenant_id, action="read", entity=Person.__tablename__,
                    entity_id="*", after={"fields": ["id_number", "ethnicity", "religion"],
                                          "ids": [str(p.id) for p in members]})
    current = access.tenant
    sensitive = request.app.state.access.catalog.sensitive()
    sections = await sections_for(request.app.state.plugins, current.plugins, current.tenant, session,
                                  [p.id for p in members], access.allows, sensitive)
    household_sections = await household_sections_for(request.app.state.plugins, current.plugins, current.tenant,
                                                      session, [found.id], access.allows, sensitive)
    area = await session.get(Neighbourhood, (found.tenant_id, found.neighbourhood_id)) \
        if found.neighbourhood_id else None
    return await render(request, "residents/household.html", {
        "base": _base(request), "own": own, "identity": identity,
        "household": {"id": found.id, "code": found.code, "address": found.address,
                      "neighbourhood": area.name if area else None,
                      "sections": household_sections.get(found.id, [])},
        "members": [{**_person_row(p, identity), "sections": sections.get(p.id, [])} for p in members],
    })


@get("/web/households/{household_id:uuid}", guards=[HOUSEHOLD_READ])
async def household_page(request: Request, db_session: DbSession, access: Access,
                         household_id: FromPath[uuid.UUID]) -> Response:
    return await _household_page(request, db_session, access, household_id)


@get("/web/my-household", guards=[HOUSEHOLD_READ])
async def my_household_page(request: Request, db_session: DbSession, access: Access) -> Response:
    """A resident's own household: the one their role names (``household`` attribute)."""
    mine = _own_household(access)
    if mine is None:
        raise not_found("Tài khoản chưa gắn với hộ gia đình nào", "This account is tied to no household")
    try:
        household_id = uuid.UUID(str(mine))
    except ValueError:
        raise not_found("Tài khoản chưa gắn với hộ gia đình nào", "This account is tied to no household") from None
    return await _household_page(request, db_session, access, household_id, own=True)


async def _register_form(request: Request, session: AsyncSession, values: dict[str, Any],
                         errors: dict[str, Any], message: Any = None, status_code: int = 200) -> Response:
    areas = await services.list_neighbourhoods(session)
    return await render(request, "residents/register.html", {
        "base": _base(request), "csrf": _csrf(request), "values": values, "errors": errors, "message": message,
        "rows": range(MEMBER_ROWS), "areas": areas, "sexes": ref.SEXES, "relations": ref.RELATIONS,
        "ethnicities": ref.ETHNICITIES, "religions": ref.RELIGIONS,
    }, status_code=status_code)


@get("/web/register", guards=[HOUSEHOLD_WRITE])
async def register_form(request: Request, db_session: DbSession) -> Response:
    return await _register_form(request, db_session, {"members.0.relation": ref.HEAD}, {})


@post("/web/register", guards=[HOUSEHOLD_WRITE], status_code=303)
async def register_submit(request: Request, db_session: DbSession) -> Response:
    """Register the household (rows with no name are left out); on a mistake, the form again with each
    field's error beside it, in the page's language, and nothing written."""
    form = await request.form()
    values = {k: str(v).strip() for k, v in form.items() if k != "_csrf_token" and isinstance(v, str)}
    members = []
    for i in range(MEMBER_ROWS):
        row = {f: values.get(f"members.{i}.{f}", "") for f in MEMBER_FIELDS}
        if row["full_name"] or i == 0:
            members.append({k: v for k, v in row.items() if v})
    data = {"code": values.get("code", ""), "address": values.get("address", ""), "members": members,
            "neighbourhood_id": values.get("neighbourhood_id") or None}
    try:
        household = await services.register_household(db_session, data)
    except UserError as error:
        await db_session.rollback()  # a failed registration writes nothing
        return await _register_form(request, db_session, values, dict(error.fields), error.message, 400)
    return Redirect(f"{_base(request)}/web/households/{household.id}", status_code=303)


PAGES = [households_page, household_page, my_household_page, register_form, register_submit]
