"""The plugin contract. Read this file to know what a WardHub plugin can do.

A plugin is an object (usually a module) registered under the entry-point group ``wardhub.plugins``.
It carries a ``manifest`` (:class:`core.plugins.manifest.PluginManifest`) and implements any of the hooks
below with ``@hookimpl`` from :mod:`core.toolkit`. Hook names must match exactly: a misspelt hook stops
start-up with an error naming the plugin.

Hooks may be plain functions or coroutines; core awaits whatever returns an awaitable.
Per-tenant hooks (those taking ``tenant``) are only called for plugins the tenant has enabled; the
others are called once for every loaded plugin. Each plugin's result is taken separately, so one
plugin raising does not hide the others' results (see ``PluginManager.call_each``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler
    from sqlalchemy.ext.asyncio import AsyncSession

    from core.access.filters import RowFilter
    from core.access.permissions import Permission
    from core.graphql.contribution import GraphQLContribution
    from core.plugins.context import TenantRef

hookspec = pluggy.HookspecMarker("wardhub")


@hookspec
def wardhub_routes() -> list[ControllerRouterHandler]:
    """Web and REST route handlers (litestar handlers, controllers or routers) of the plugin.

    Called once at start-up. Core mounts them under ``/t/{tenant}/{plugin name}`` and answers 404 with
    code ``PLUGIN_NOT_ENABLED`` for a tenant that has not enabled the plugin, before the handler runs.
    Returns a list (empty for none).
    """


@hookspec
def wardhub_permissions() -> list[Permission]:
    """The permissions the plugin guards, as data (:class:`core.toolkit.Permission`).

    Called once at start-up. Each is named ``<plugin>.<resource>:<action>`` with the plugin's own name
    first (``residents.person:read``; ``residents.person.identity:read`` for sensitive fields), carries
    ``title_vi`` and ``title_en``, ``sensitive=True`` for personal data whose reads are audited, and
    ``grants``: the built-in roles (``platform_admin``, ``district_admin``, ``ward_chair``,
    ``ward_officer``, ``neighborhood_head``, ``resident``, ``integrator``, ``lodging_operator``) that hold
    it by default in every tenant. A bad name, an unknown role or a duplicate stops start-up with an
    error naming the plugin. Core stores the defaults as Casbin role templates and re-syncs them at every
    start; a tenant's overrides are kept apart and survive. Routes check them with
    ``guards=[requires("…")]``, GraphQL fields with ``Requires("…")``. A tenant that has not enabled the
    plugin is denied all of them. Returns a list (empty for none).
    """


@hookspec
def wardhub_row_filters() -> list[RowFilter]:
    """How roles limited to part of a tenant narrow the plugin's list queries, in SQL.

    Called once at start-up. Returns :class:`core.toolkit.RowFilter` objects, one per resource
    (``<plugin>.<resource>``), each mapping a role to a function from the role assignment's attributes
    to a SQLAlchemy condition, e.g. ``{"neighborhood_head": lambda a: Household.neighborhood ==
    a["neighborhood"]}``. Handlers apply them with ``access.filter(select(...), "<plugin>.<resource>")``:
    a caller sees the union of what their roles reaching the tenant see; a role not named is not
    limited; a missing attribute shows nothing. Returns a list (empty for none).
    """


@hookspec
def wardhub_tenant_enabled(tenant: TenantRef, session: AsyncSession) -> None:
    """The plugin was just enabled for ``tenant`` (first time or again).

    ``session`` is scoped to the tenant and belongs to the transaction that records the subscription:
    seed reference data here. Raising aborts the enabling, which then changes nothing.
    """


@hookspec
def wardhub_tenant_disabled(tenant: TenantRef, session: AsyncSession) -> None:
    """The plugin was just disabled for ``tenant``. Its data stays; stop scheduled work here.

    ``session`` is scoped to the tenant and belongs to the transaction that records the change.
    """


@hookspec
def wardhub_export_tenant_data(tenant: TenantRef, session: AsyncSession) -> dict[str, list[dict[str, Any]]]:
    """Everything the plugin holds for ``tenant``, as JSON-ready rows keyed by table or entity name.

    Called for every loaded plugin (enabled or not: disabled plugins keep data), with a session scoped
    to the tenant. Returns the rows; core writes the results of all plugins into one export, keyed by plugin
    name.
    """


@hookspec
def wardhub_purge_tenant_data(tenant: TenantRef, session: AsyncSession) -> int:
    """Delete every row the plugin holds for ``tenant``; return how many rows were deleted.

    Called in one transaction for all plugins, with a ``session`` scoped to the tenant; deleting children
    before parents is the plugin's own concern.
    An explicit, audited administrator action: never called when a plugin is merely disabled.
    """


@hookspec
def wardhub_demo_data(tenant: TenantRef, session: AsyncSession) -> str | None:
    """Fill the demo ward of ``wardhub demo`` with plausible sample data (idempotent: do nothing if present).

    Called after the plugin is enabled for the demo tenant, with a session scoped to it.
    Returns a short summary for the command's output, or None.
    """


@hookspec
def wardhub_demo_accounts(tenant: TenantRef, session: AsyncSession) -> list[dict[str, Any]] | None:
    """Demo sign-in accounts whose role is limited to the plugin's rows (a resident's household, a
    neighbourhood head's area).

    Called by ``wardhub demo`` after ``wardhub_demo_data``, with a session scoped to the demo tenant.
    Returns a list of dicts with ``username``, ``name``, ``role`` and ``attrs`` (or None); core creates
    those accounts in the demo ward with the demo password, never when ``WARDHUB_ENV=production``, and
    leaves a username already taken as it is.
    """


@hookspec
def wardhub_graphql() -> GraphQLContribution | None:
    """The plugin's part of the GraphQL API (see :class:`core.graphql.contribution.GraphQLContribution`).

    Called once at start-up. ``query`` is a strawberry type served as one root field named after the
    plugin (``residents``, ``militaryService``); ``mutations`` are strawberry fields whose names start with
    that name (``residentsRegisterHousehold``), each taking one ``input`` and returning a payload.
    Core builds one schema per distinct set of enabled plugins, so a tenant sees only what it enabled,
    and answers ``PLUGIN_NOT_ENABLED`` for a root field of a plugin the tenant has not enabled.
    """


# -- web console ------------------------------------------------------------------------------------
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from core.web.contributions import Figure, NavEntry


@hookspec
def wardhub_templates() -> str | Path | None:
    """The folder of the plugin's Jinja templates, which holds a ``<plugin name>/`` folder.

    Called once at start-up. ``templates/hello/greetings.html`` is the template ``hello/greetings.html``;
    a plugin answers only names under its own name, ahead of core for those names, and a tenant's override
    (``WARDHUB_TEMPLATE_OVERRIDES/<tenant key>/hello/greetings.html``) wins over both. Templates usually
    ``{% extends "base.html" %}`` and fill ``{% block content %}``; render them with
    :func:`core.web.ui.render`. A folder without the ``<plugin name>/`` folder inside stops start-up.
    Returns the folder, or None.
    """


@hookspec
def wardhub_static() -> str | Path | None:
    """The folder of the plugin's static files, which holds a ``<plugin name>/`` folder.

    Called once at start-up. ``static/hello/hello.css`` is served at ``/static/hello/hello.css`` (templates
    write ``{{ static("hello/hello.css") }}``, which adds a version for caching), to everyone, signed in or
    not: put nothing private there. Returns the folder, or None.
    """


@hookspec
def wardhub_messages() -> Mapping[str, tuple[str, str]] | str | Path | None:
    """The plugin's interface messages: ``{id: (vi, en)}``, or the path of a JSON catalog in core's format
    (``{"id": {"vi": "…", "en": "…"}}``, see ``core/web/i18n/messages.json``).

    Called once at start-up. Every id starts with ``<plugin name>.`` (``hello.greetings.title``); both
    texts are required and must use the same ``{placeholders}``; a catalog breaking these rules stops
    start-up. Templates show a message with ``{{ _("hello.greetings.count", count=3) }}``. Returns the mapping,
    the path, or None.
    """


@hookspec
def wardhub_navigation(tenant: TenantRef, lang: str) -> list[NavEntry]:
    """The plugin's entries in the console's navigation for ``tenant``.

    Called on every page of a tenant that has enabled the plugin (``lang`` is the page's language, ``vi``
    or ``en``, for entries built from data). Returns :class:`core.web.contributions.NavEntry` values:
    ``label`` a ``(vi, en)`` pair, ``url`` relative to ``/t/{tenant}/{plugin}/`` (or absolute),
    ``permission`` the permission a user needs to see it, ``order`` its place (core's dashboard is 0).
    Keep it cheap and free of database work. A plugin raising here loses its entries on that page only.
    """


@hookspec
def wardhub_dashboard(tenant: TenantRef, session: AsyncSession, lang: str) -> list[Figure]:
    """The plugin's figures on the dashboard of ``tenant`` (``GET /t/{tenant}/``).

    Called for each page view of a tenant that has enabled the plugin, with a read-only ``session``
    scoped to the tenant (each plugin runs in its own savepoint, and everything is rolled back at the
    end) and the page's language ``lang``. Returns :class:`core.web.contributions.Figure` values: ``title`` a
    ``(vi, en)`` pair, a headline ``value``, and optionally ``series`` of ``(label, number)`` that core
    draws as an SVG bar or donut chart. Aggregate in SQL: this runs on every view of the dashboard.
    A plugin raising here, or returning a figure that cannot be drawn, gets an error notice in its
    section while the rest of the page shows.
    """


@hookspec
def wardhub_tenant_merged(source: TenantRef, target: TenantRef, session: AsyncSession) -> None:
    """``source`` was merged into ``target``; its rows already carry ``target``'s id.

    ``session`` spans both tenants, inside the merge's transaction: fix references that name the old unit
    outside tenant-owned keys (e.g. a pending move between wards naming the merged ward). Raising aborts
    the merge, which then changes nothing.
    """


@hookspec
def wardhub_cli_commands() -> list[Any]:
    """Command-line commands of the plugin, shown as ``wardhub <name> …`` (e.g. ``wardhub residence expire``).

    Called once when the ``wardhub`` command starts (with the deployment's ``WARDHUB_*`` settings; plugins
    that fail to load contribute nothing). Returns ``click`` commands or groups; name a group after the
    plugin. A name that a core command (or another plugin) already uses is refused at start-up, naming the
    plugin. Commands run outside any request: open sessions with ``core.toolkit.TenantScope`` for the wards
    they work on, one transaction per ward, and bind an actor for the audit log. Returns a list.
    """


# -- change workflow --------------------------------------------------------------------------------
if TYPE_CHECKING:
    from core.workflow.types import ChangeType


@hookspec
def wardhub_change_types() -> list[ChangeType]:
    """The kinds of change the plugin accepts through the approval workflow (DESIGN §6).

    Called once at start-up. Returns :class:`core.workflow.types.ChangeType` values, each with a ``name``
    (lower case, unique in the plugin), titles ``title_vi`` / ``title_en``, the target's mapped class
    (``model``, tenant-owned) and row-filter ``resource`` (a proposer must see the target through the
    plugin's row filters: a resident, their own household), ``validate(session, target, values)``
    returning the cleaned values (or raising ``UserError`` ``BAD_USER_INPUT`` naming the fields, vi and
    en), ``apply(session, target, values)`` making the change through the plugin's services, and
    ``version(target)`` reading the target's current version (default ``target.version``).

    Core calls ``validate`` when a change is proposed and again when it is approved, then ``apply`` in
    the approval's own transaction, after checking that ``version(target)`` is still the version the
    proposal was made against (``CONFLICT`` otherwise, nothing applied). Callables may be coroutine
    functions. A bad declaration stops start-up naming the plugin. Returns a list (empty for none).
    """
