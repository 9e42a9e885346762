"""The per-request context every resolver gets as ``info.context``."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from core.db.scoping import TenantScope, rescoped
from core.web.tenancy import RequestTenant


class SerializedSession:
    """The request's ``AsyncSession`` behind a lock.

    GraphQL resolves sibling fields concurrently, and one ``AsyncSession`` (one connection) must never
    run two statements at once: awaitable methods take turns, everything else passes through.
    """

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._lock = asyncio.Lock()
        self._finished = False

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._session, name)
        if not inspect.iscoroutinefunction(attr):
            return attr

        async def serialized(*args: Any, **kwargs: Any) -> Any:
            async with self._turn():
                return await attr(*args, **kwargs)

        return serialized

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        async with self._lock:
            if self._finished:
                raise RuntimeError("the request's transaction has ended")
            yield

    @asynccontextmanager
    async def exclusive(self, scope: TenantScope | None = None) -> AsyncIterator[AsyncSession]:
        """The session itself for a block that runs several statements (or plugin hooks) in a row,
        optionally under another tenant scope the caller was checked for (see :func:`rescoped`)."""
        async with self._turn():
            if scope is None:
                yield self._session
            else:
                async with rescoped(self._session, scope) as session:
                    yield session

    async def finish(self) -> AsyncSession:
        """Wait for the statement in flight, refuse any later one, and hand the session back to end.

        When a non-null field fails, GraphQL answers before sibling resolvers finish: they must not
        run statements on a transaction that is being committed or rolled back."""
        async with self._lock:
            self._finished = True
        return self._session


@dataclass
class GatewayContext:
    request: Request
    session: SerializedSession
    tenant: RequestTenant | None
    lang: str
    user: Any | None = None
    loaders: dict[Any, DataLoader] = field(default_factory=dict)
    # awaited after the request's transaction commits (e.g. telling other processes a policy changed)
    after_commit: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)

    def loader(self, key: Any, load: Callable[[Sequence[Any]], Awaitable[Sequence[Any]]]) -> DataLoader:
        """The request's data loader for ``key`` (created on first use): batch per-row lookups into one query.

        ``load`` receives the keys collected during one resolution pass and returns one value per key,
        in order. Loaders live for one request, so nothing leaks between tenants or callers.
        """
        existing = self.loaders.get(key)
        if existing is None:
            existing = self.loaders[key] = DataLoader(load_fn=load)
        return existing
