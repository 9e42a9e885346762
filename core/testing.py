"""Pytest plugin for WardHub and its plugin authors (registered through the ``pytest11`` entry point).

Every test that asks for ``settings`` (or ``app``, ``client``, ``db``, ``make_tenant``) runs once on
SQLite and, when ``WARDHUB_TEST_POSTGRES`` names a PostgreSQL server (as ``.ci/run`` does), once more on
PostgreSQL, in a database created and migrated for the test session. There the app connects as a
separate role that owns no table, so row-level security is in force exactly as in production.
A test marked ``@pytest.mark.postgres`` needs PostgreSQL: it is skipped, saying why, when the variable is
unset, and fails when the variable is set but the server cannot be reached.

Fixtures: ``backend``, ``settings``, ``plugin_manager``, ``app``, ``client`` (litestar's
``AsyncTestClient``, signed in as a platform-wide ``platform_admin`` with its CSRF header set), ``db`` (a
:class:`Database` for the test's own code), ``scoped`` (``async with scoped(ward, …) as session``: a session of
``db`` over those wards), ``make_tenant`` (a ward under a fresh province, with the plugins of
``@pytest.mark.plugins("name", ...)`` enabled).

Identity and access: ``anon_client`` (not signed in), ``client_as`` (``await client_as(role, tenant,
attrs)``: a new client signed in as a fresh user holding that role), ``admin_client``, ``make_user`` (an
account, password :data:`TEST_PASSWORD`), ``grant_role`` (a role in a tenant, or platform-wide),
``make_token`` (an API token: row and value) and ``sign_in`` (signs a client in and sets its CSRF
header). Password hashing is made cheap for the test session; the app re-reads the access policy on every
request, so grants made through ``db`` apply at once.

GraphQL: ``await page_through(client, tenant, query, "plugin.field", variables, first=2)`` reads a Relay
connection page by page and checks its paging (see :func:`page_through`).

Statements: ``with counting_statements(app.state.db.engine) as statements:`` lists the SQL of every statement
the engine sends in the block (to check that a page costs the same statements whatever its size).

Console forms: ``field_error(html, name)`` is the error a page shows beside field ``name`` (None when there is none).
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from core.app import create_app, load_plugins, migration_dirs
from core.db import migrate
from core.db.engine import Database
from core.db.scoping import SYSTEM, TenantScope
from core.plugins.manager import PluginManager
from core.settings import Settings

# The browser fixtures (``live_server``, ``browser``): the app served by uvicorn, driven in headless Chromium.
pytest_plugins = ["core.testing_browser"]

PG_ENV = "WARDHUB_TEST_POSTGRES"
APP_ROLE, APP_PASSWORD = "wardhub_app_test", "wardhub-app-test"


TEST_PASSWORD = "correct horse battery staple"


def pytest_configure(config: pytest.Config) -> None:
    from core.auth import passwords

    passwords.configure(time_cost=1, memory_cost=1024, parallelism=1)  # ~1 ms instead of ~200 ms
    config.addinivalue_line("markers", "postgres: needs PostgreSQL (WARDHUB_TEST_POSTGRES)")
    config.addinivalue_line("markers", "plugins(*names): plugins enabled for the tenants the test makes")
    config.addinivalue_line("markers", "sqlite_only: runs on SQLite only")


def backends() -> list[str]:
    return ["sqlite", "postgres"] if os.environ.get(PG_ENV) else ["sqlite"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        if metafunc.definition.get_closest_marker("postgres"):
            params = ["postgres"]
        elif metafunc.definition.get_closest_marker("sqlite_only"):
            params = ["sqlite"]
        else:
            params = backends()
        metafunc.parametrize("backend", params, scope="session", indirect=True)


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres" and not os.environ.get(PG_ENV):
        pytest.skip(f"needs PostgreSQL: set {PG_ENV} (make test does in CI through .ci/run)")
    return request.param


def pg_admin_url(database: str | None = None) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(os.environ[PG_ENV]).set(drivername="postgresql+asyncpg")
    if database:
        url = url.set(database=database)
    return url.render_as_string(hide_password=False)


async def _pg_execute(url: str, *statements: str) -> None:
    from sqlalchemy import text

    from core.db.engine import make_engine

    engine = make_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


def create_database(backend: str, tmp_path: Path) -> tuple[str, str | None, callable]:
    """A fresh empty database: returns (app url, admin url, drop function)."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'wardhub.db'}", None, lambda: None
    from sqlalchemy.engine import make_url

    name = f"wardhub_test_{uuid.uuid4().hex[:10]}"
    admin = pg_admin_url()
    try:
        asyncio.run(_pg_execute(admin, f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the variable is set: an unreachable server is a failure, never a pass
        pytest.fail(f"{PG_ENV} is set but PostgreSQL cannot be reached: {type(exc).__name__}: {exc}", pytrace=False)
    app = make_url(pg_admin_url(name)).set(username=APP_ROLE, password=APP_PASSWORD)

    def drop() -> None:
        asyncio.run(_pg_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return app.render_as_string(hide_password=False), pg_admin_url(name), drop


def make_settings(app_url: str, admin_url: str | None, plugins: tuple[str, ...] | None = None) -> Settings:
    return Settings(
        database_url=app_url,
        admin_database_url=admin_url,
        secret_key="test-secret-key-test-secret-key-0123456789",
        environment="test",
        log_format="console",
        log_level="WARNING",
        plugins=plugins,
    )


def installed_plugin_names() -> tuple[str, ...]:
    from importlib.metadata import entry_points

    return tuple(sorted(ep.name for ep in entry_points(group="wardhub.plugins")))


@pytest.fixture(scope="session")
def _database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str | None]]:
    app_url, admin_url, drop = create_database(backend, tmp_path_factory.mktemp(f"db-{backend}"))
    settings = make_settings(app_url, admin_url, installed_plugin_names())
    asyncio.run(migrate.upgrade(settings, migration_dirs(load_plugins(settings))))
    yield app_url, admin_url
    drop()


@pytest.fixture
def settings(_database: tuple[str, str | None]) -> Settings:
    """Settings for a migrated database, with every installed plugin loaded."""
    return make_settings(*_database, installed_plugin_names())


@pytest.fixture
def plugin_manager(settings: Settings) -> PluginManager:
    return load_plugins(settings)


@pytest.fixture
async def app(settings: Settings, plugin_manager: PluginManager, db: Database):
    application = create_app(settings, plugin_manager)
    application.state.access.poll_interval = 0.0  # grants made by the test's own code apply at once
    await _forget_failed_sign_ins(db)  # every test client signs in from one address
    yield application
    await application.state.access.stop()
    if application.state.access.redis is not None:
        await application.state.access.redis.aclose()
    await application.state.db.dispose()


@pytest.fixture
async def base_client(app) -> AsyncIterator:
    """The app served for the test (start-up and shutdown run around it); anonymous until signed in.
    ``client``, ``anon_client`` and ``client_as`` are built on it."""
    from litestar.testing import AsyncTestClient

    async with AsyncTestClient(app=app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
async def client(base_client, make_user, grant_role):
    """A client signed in as a platform-wide ``platform_admin`` (its ``.user``), CSRF header set: for tests
    of what a feature does. Test who may do it with ``anon_client`` and ``client_as(role, tenant)``."""
    user = await make_user(username=f"admin-{uuid.uuid4().hex[:10]}")
    await grant_role(user, "platform_admin", None)
    response = await sign_in(base_client, user)
    assert response.status_code == 200, response.text
    assert (await base_client.get("/auth/me")).status_code == 200  # signed in, and the app has the policy
    base_client.user = user
    return base_client


@pytest.fixture
def anon_client(base_client):
    """A client that is not signed in (its own cookies)."""
    return another_client(base_client)


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    """A database handle for the test's own code (the app, served by the test client, has its own)."""
    database = Database(settings)
    yield database
    await database.dispose()


@pytest.fixture
def scoped(db: Database):
    """``async with scoped(ward, …) as session``: a session of ``db`` over those wards, committed at the end."""

    def open_session(*wards: Any):
        return db.session(TenantScope.of(*(w.id for w in wards)))

    return open_session


@contextmanager
def counting_statements(engine: Any) -> Iterator[list[str]]:
    """The SQL of every statement ``engine`` (an ``AsyncEngine`` or its sync engine) sends while the block runs,
    in order, in a list the block may read and clear."""
    from sqlalchemy import event

    sync_engine = getattr(engine, "sync_engine", engine)
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    event.listen(sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(sync_engine, "before_cursor_execute", record)


@pytest.fixture
def make_tenant(db: Database, plugin_manager: PluginManager, request: pytest.FixtureRequest):
    """``await make_tenant()`` → a ward (``TenantRef``) in a fresh province, plugins of the marker on."""
    marker = request.node.get_closest_marker("plugins")
    wanted = tuple(marker.args) if marker else ()

    async def factory(*, plugins: tuple[str, ...] | None = None, parent_key: str | None = None, level: str = "ward"):
        from tenants import registry, subscriptions

        names = wanted if plugins is None else plugins
        async with db.session(SYSTEM) as session:
            if parent_key is None:
                province = await registry.add_unit(
                    session, scheme="local", code=f"p{uuid.uuid4().hex[:12]}", level="province",
                    name="Tỉnh Thử nghiệm", parent=None,
                )
                parent_key = province.key
            parent = await registry.get(session, parent_key)
            tenant = await registry.add_unit(
                session, scheme="local", code=f"w{uuid.uuid4().hex[:12]}", level=level,
                name="Phường Thử nghiệm", parent=parent,
            )
            ref, upper = tenant.ref(), parent
        for unit in (upper, tenant) if names else ():
            async with db.session(TenantScope.of(unit.id)) as session:
                unit_row = await registry.get(session, unit.key)
                kind = "ward" if unit_row.level == "ward" else "district"
                for name in plugin_manager.ordered():
                    if name in names and kind in plugin_manager.manifest(name).scope:
                        await subscriptions.enable(session, unit_row, name, plugin_manager)
        return ref

    return factory


# -- identity and access ----------------------------------------------------------------------------
async def _forget_failed_sign_ins(database: Database) -> None:
    """Through the test's own engine: the app's connections must be opened on the test client's loop."""
    from sqlalchemy import delete

    from core.auth.models import LoginThrottle

    async with database.session(SYSTEM) as session:
        await session.execute(delete(LoginThrottle))


def _tenant_id(tenant: object) -> uuid.UUID | None:
    if tenant is None or isinstance(tenant, uuid.UUID):
        return tenant
    return tenant.id


@pytest.fixture
def make_user(db: Database):
    """``await make_user(username=None, password=TEST_PASSWORD, **fields)`` → a new ``User``."""

    async def factory(username: str | None = None, password: str | None = TEST_PASSWORD, **fields: object):
        from core.auth import users

        async with db.session(SYSTEM) as session:
            return await users.create_user(session, username or f"user-{uuid.uuid4().hex[:10]}", password,
                                           **fields)

    return factory


@pytest.fixture
def grant_role(db: Database):
    """``await grant_role(user, role, tenant=None, attrs=None)``: ``tenant`` a ``TenantRef`` or id; None means
    platform-wide (``platform_admin`` only)."""

    async def grant(user: object, role: str, tenant: object = None, attrs: dict | None = None):
        from core.access import policy

        tenant_id = _tenant_id(tenant)
        async with db.session(TenantScope.of(tenant_id) if tenant_id else SYSTEM) as session:
            return await policy.grant_role(session, user, role, tenant_id, attrs=attrs)

    return grant


@pytest.fixture
def make_token(db: Database, settings: Settings):
    """``await make_token(tenant, roles=("integrator",), days=30, expires_at=None, name=None)`` →
    ``(ApiToken, value)``."""

    async def factory(tenant: object, roles: tuple[str, ...] = ("integrator",), *, days: int = 30,
                      expires_at: object = None, name: str | None = None):
        from core.auth import tokens

        async with db.session(SYSTEM) as session:
            return await tokens.create_token(
                session, settings.secret_key, name=name or f"token-{uuid.uuid4().hex[:6]}",
                tenant_id=_tenant_id(tenant), roles=roles, days=days, expires_at=expires_at,
            )

    return factory


async def sign_in(client, user: object, password: str = TEST_PASSWORD):
    """Sign ``client`` in as ``user`` (a ``User`` or a username) through ``/auth/login`` and set its CSRF
    header for later unsafe requests; returns the login response (check its status)."""
    username = user if isinstance(user, str) else user.username
    await client.get("/auth/login")  # sets the CSRF cookie
    csrf = client.cookies.get("csrftoken")
    response = await client.post("/auth/login", json={"username": username, "password": password},
                                 headers={"x-csrftoken": csrf or ""})
    if csrf:
        client.headers["x-csrftoken"] = csrf
    return response


@pytest.fixture(name="sign_in")
def sign_in_fixture():
    """``await sign_in(client, user, password=TEST_PASSWORD)``."""
    return sign_in


def another_client(client):
    """Another client of ``client``'s app, with its own cookies, for a second caller in one test. It runs
    the app on ``client``'s event loop (the app's connections belong to that loop) and skips start-up,
    which ``client`` already ran."""
    from litestar.testing import AsyncTestClient

    extra = AsyncTestClient(app=client.app, raise_server_exceptions=False)
    extra.blocking_portal = client.blocking_portal
    return extra


@pytest.fixture
def client_as(base_client, make_user, grant_role):
    """``await client_as(role, tenant=None, attrs=None)`` → a new client signed in as a fresh user holding
    ``role`` in ``tenant`` (its ``.user`` is the account)."""
    async def factory(role: str | None, tenant: object = None, attrs: dict | None = None):
        user = await make_user()
        if role is not None:
            await grant_role(user, role, tenant, attrs)
        test_client = another_client(base_client)
        response = await sign_in(test_client, user)
        assert response.status_code == 200, response.text
        test_client.user = user
        return test_client

    return factory


@pytest.fixture
async def admin_client(client_as):
    """Another client signed in as a (fresh) platform-wide ``platform_admin``."""
    return await client_as("platform_admin")


def field_error(html: str, name: str) -> str | None:
    """The error a console page shows beside field ``name`` (core's ``forms/macros.html``), or None."""
    found = re.search(rf'<span class="field-error" id="{re.escape(name)}-error" role="alert">([^<]+)</span>', html)
    return found.group(1) if found else None


async def page_through(client, tenant: object, query: str, path: str, variables: dict | None = None, *,
                       first: int) -> tuple[list[dict], int]:
    """Every node of a Relay connection read ``first`` at a time through ``/graphql``, and its ``totalCount``.

    ``query`` declares ``$first: Int`` and ``$after: String``, passes them to the connection at ``path``
    (``"militaryService.callUpRoster"``) and selects ``totalCount pageInfo { hasNextPage endCursor } edges {
    cursor node { … } }``. Checks each page (full but the last, ``endCursor`` its last edge's cursor, the same
    ``totalCount``), that the nodes add up to ``totalCount``, and that ``first`` beyond 0–500 and a cursor that
    is not one are ``BAD_USER_INPUT``."""
    headers = {"X-Tenant": tenant.key}

    async def ask(**paging: Any) -> dict:
        body = {"query": query, "variables": {**(variables or {}), **paging}}
        return (await client.post("/graphql", json=body, headers=headers)).json()

    def at(answer: dict) -> Any:
        found = answer["data"]
        for key in path.split("."):
            found = found[key]
        return found

    nodes: list[dict] = []
    after, total, pages = None, None, 0
    while True:
        answer = await ask(first=first, after=after)
        assert "errors" not in answer, answer
        page = at(answer)
        total = page["totalCount"] if total is None else total
        assert page["totalCount"] == total
        edges, info = page["edges"], page["pageInfo"]
        assert len(edges) <= first and (len(edges) == first or not info["hasNextPage"])
        assert info["endCursor"] == (edges[-1]["cursor"] if edges else None)
        nodes += [edge["node"] for edge in edges]
        pages += 1
        assert pages <= total + 1, "the cursor does not move on"
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert len(nodes) == total
    for paging, field in (({"first": 501}, "first"), ({"first": -1}, "first"), ({"after": "not-a-cursor"}, "after")):
        errors = (await ask(**paging)).get("errors") or []
        assert [e["extensions"]["code"] for e in errors] == ["BAD_USER_INPUT"], (paging, errors)
        assert set(errors[0]["extensions"]["fields"]) == {field}, (paging, errors)
    return nodes, total
