"""A plugin module with sync hooks, one of them taking fewer arguments than its specification."""

from core.toolkit import PluginManifest, TenantRef, hookimpl

manifest = PluginManifest(
    name="alpha",
    version="1.2.0",
    title_vi="Phân hệ Alpha",
    title_en="Alpha",
    requires_core=">=0.1",
    scope=frozenset({"ward", "district"}),
)


@hookimpl
def wardhub_routes():
    return []


@hookimpl
def wardhub_export_tenant_data(tenant: TenantRef, session):
    return {"notes": [{"tenant": tenant.code}]}


@hookimpl
def wardhub_tenant_disabled(tenant: TenantRef):  # pluggy allows a subset of the spec's arguments
    return f"alpha disabled for {tenant.code}"


@hookimpl
def wardhub_purge_tenant_data(tenant: TenantRef, session):
    raise LookupError("alpha cannot purge")
