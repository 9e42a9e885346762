"""The per-request context every resolver gets as ``info.context``."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from core.web.tenancy import RequestTenant


class SerializedSession:
    """The request's ``AsyncSession`` behind a lock.

    GraphQL resolves sibling fields concurrently, and one ``AsyncSession`` (one connection) must never
    run two statements at once: awaitable methods take turns, everything else passes through.
    """

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._lock = asyncio.Lock()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._session, name)
        if not inspect.iscoroutinefunction(attr):
            return attr

        async def serialized(*args: Any, **kwargs: Any) -> Any:
            async with self._lock:
                return await attr(*args, **kwargs)

        return serialized


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
