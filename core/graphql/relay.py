"""Relay-style connections: ``first`` (at most 500), ``after``, ``totalCount``; keyset paging on UUIDv7 ids."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import strawberry
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import bad_input

MAX_PAGE = 500
DEFAULT_PAGE = 50
NodeT = TypeVar("NodeT")


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo
    # The total is counted only when a caller asks for it (a COUNT over every matching row, a statement
    # of its own), on the request's session, in its transaction and scope.
    _count: strawberry.Private[Callable[[], Awaitable[int]] | None] = None
    _total: strawberry.Private[int | None] = None

    @strawberry.field
    async def total_count(self) -> int:
        if self._total is None:
            self._total = await self._count() if self._count is not None else len(self.edges)
        return self._total

    @strawberry.field
    def nodes(self) -> list[NodeT]:
        return [edge.node for edge in self.edges]


def encode_cursor(value: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(value.bytes).decode().rstrip("=")


def decode_cursor(cursor: str) -> uuid.UUID:
    try:
        return uuid.UUID(bytes=base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise bad_input("after", "Con trỏ phân trang không hợp lệ", "Not a valid page cursor") from exc


def check_first(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE
    if first < 0 or first > MAX_PAGE:
        raise bad_input("first", f"first phải từ 0 đến {MAX_PAGE}", f"first must be between 0 and {MAX_PAGE}")
    return first


def _counter(session: AsyncSession, query: Select) -> Callable[[], Awaitable[int]]:
    async def count() -> int:
        return (await session.execute(select(func.count()).select_from(query.order_by(None).subquery()))).scalar_one()

    return count


def _connection(edges: list[Edge], has_next: bool, count: Callable[[], Awaitable[int]]) -> Connection:
    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=has_next, end_cursor=edges[-1].cursor if edges else None),
        _count=count,
    )


async def paginate(
    session: AsyncSession,
    query: Select,
    id_column: Any,
    *,
    first: int | None,
    after: str | None,
    to_node: Callable[[Any], Any] = lambda row: row,
) -> Connection:
    """One query for the page ordered by ``id_column`` whatever its size, one more for ``totalCount`` if asked."""
    size = check_first(first)
    page = query.order_by(id_column)
    if after:
        page = page.where(id_column > decode_cursor(after))
    rows = (await session.execute(page.limit(size + 1))).scalars().all()
    has_next = len(rows) > size
    rows = rows[:size]
    edges = [Edge(cursor=encode_cursor(row.id), node=to_node(row)) for row in rows]
    return _connection(edges, has_next, _counter(session, query))


async def paginate_rows(
    session: AsyncSession,
    query: Select,
    id_column: Any,
    *,
    first: int | None,
    after: str | None,
    to_node: Callable[..., Any],
) -> Connection:
    """:func:`paginate` for a statement whose rows are not one entity: several entities joined
    (``select(CallUp, Person).join(...)``), an outer join, columns. ``to_node`` gets a row's elements as its
    arguments (``to_node(call_up, person)``); the cursor is ``id_column``'s value, selected alongside.

    The page is ordered by ``id_column`` alone (any ``ORDER BY`` of ``query`` is dropped: keyset paging needs
    it), so ``id_column`` must be unique among the rows (the primary entity's id, its joins many-to-one)."""
    size = check_first(first)
    page = query.order_by(None).add_columns(id_column).order_by(id_column)
    if after:
        page = page.where(id_column > decode_cursor(after))
    rows = (await session.execute(page.limit(size + 1))).all()
    has_next = len(rows) > size
    edges = [Edge(cursor=encode_cursor(row[-1]), node=to_node(*row[:-1])) for row in rows[:size]]
    return _connection(edges, has_next, _counter(session, query))
