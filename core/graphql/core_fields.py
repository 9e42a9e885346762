"""Core query fields: ``me``, ``tenant``, ``tenants``, ``plugins``."""

from __future__ import annotations

import uuid

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from core.errors import pick
from core.graphql.admin import Me, me
from core.graphql.relay import Connection, paginate
from core.workflow.schema import WorkflowQuery


@strawberry.type(name="Tenant")
class TenantType:
    id: uuid.UUID
    key: str
    scheme: str
    code: str
    level: str
    name: str
    parent_id: uuid.UUID | None
    status: str

    @strawberry.field(description="The unit above (batched per request).")
    async def parent(self, info: Info) -> TenantType | None:
        if self.parent_id is None:
            return None
        return await info.context.loader("core.tenant", _load_tenants(info)).load(self.parent_id)


@strawberry.type(name="Plugin")
class PluginType:
    name: str
    version: str
    title: str
    enabled: bool


def _load_tenants(info: Info):
    from tenants.models import Tenant

    async def load(ids):
        rows = (await info.context.session.execute(select(Tenant).where(Tenant.id.in_(ids)))).scalars()
        found = {row.id: _tenant_type(row) for row in rows}
        return [found.get(i) for i in ids]

    return load


def _tenant_type(row) -> TenantType:
    return TenantType(id=row.id, key=row.key, scheme=row.scheme, code=row.code, level=row.level, name=row.name,
                      parent_id=row.parent_id, status=row.status)


@strawberry.type
class CoreQuery(WorkflowQuery):  # changeRequests, changeRequest, inbox: core.workflow
    me: Me | None = strawberry.field(resolver=me, description="Who is calling (None when anonymous).")

    @strawberry.field(description="The unit chosen with X-Tenant (or the token's unit).")
    async def tenant(self, info: Info) -> TenantType | None:
        current = info.context.tenant
        if current is None:
            return None
        from tenants.models import Tenant

        row = await info.context.session.get(Tenant, current.tenant.id)
        return _tenant_type(row)

    @strawberry.field(description="The current unit and the units below it (a district's wards).")
    async def tenants(
        self, info: Info, level: str | None = None, first: int | None = None, after: str | None = None
    ) -> Connection[TenantType]:
        from tenants.models import Tenant

        current = info.context.tenant
        query = select(Tenant)
        if current is None:
            query = query.where(Tenant.id.is_(None))
        else:
            children = select(Tenant.id).where(Tenant.parent_id == current.tenant.id)
            query = query.where(
                (Tenant.id == current.tenant.id)
                | (Tenant.parent_id == current.tenant.id)
                | Tenant.parent_id.in_(children)
            )
        if level:
            query = query.where(Tenant.level == level)
        return await paginate(info.context.session, query, Tenant.id, first=first, after=after,
                              to_node=_tenant_type)

    @strawberry.field(description="Installed plugins, and whether the current unit uses each.")
    def plugins(self, info: Info) -> list[PluginType]:
        manager = info.context.request.app.state.plugins
        enabled = info.context.tenant.plugins if info.context.tenant else frozenset()
        lang = info.context.lang
        return [
            PluginType(name=name, version=p.manifest.version,
                       title=pick((p.manifest.title_vi, p.manifest.title_en), lang), enabled=name in enabled)
            for name, p in manager.plugins.items()
        ]
