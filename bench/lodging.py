"""Lodging declarations (plugin ``residence``): how many a ward's PostgreSQL commits per second, and the
latency operators see through the app.

Set-up: a fresh PostgreSQL database ``wardhub_bench_lodging`` on ``WARDHUB_BENCH_POSTGRES`` (default: the
test server, postgresql://postgres@127.0.0.1:5432/test), all migrations, one ward with ``residents`` and
``residence`` on, 32 establishments, and per establishment one ``lodging_operator`` account (role
attribute ``establishment=<id>``). The app connects as its own role, under row-level security, as in
production. Every declaration is a new guest (a fresh document number), staying two nights: one stay
row, its audit entry and two rows of the platform-wide guest-night registry, each committed: after
``BEGIN`` and the tenant setting, one check query (the establishment, narrowed to the caller, with the
count of nights the guest may already hold), the stay, its audit entry, the nights, ``COMMIT``.

Cases:

* ``service, one by one`` — ``services.declare_stay`` in its own transaction, one after another (no HTTP):
  the sustained rate of committed declarations from one writer;
* ``service, 32 concurrent`` — the same from 32 concurrent writers (the app's pool: 10 connections, 10 more on demand);
* ``HTTP, 32 concurrent operators`` — ``POST /t/{ward}/residence/establishments/{id}/stays`` over HTTP to
  the app served by uvicorn (one worker process, its own settings from ``WARDHUB_*``): session cookie,
  CSRF, tenant resolution, access check, row filter, validation, the cross-establishment night check,
  audit, commit. 32 operators, each signed in with their own account, post concurrently from this
  process (httpx, one connection each). Litestar's test client was not used: it runs requests one at a
  time, which hides the concurrency.
* ``HTTP, 32 operators, batches of 10`` — the same operators, each request a batch of ten guests
  (``{"stays": [...]}``, all or nothing in one transaction: a group checking in, or a front desk sending
  what it typed): the latency column is per request, the note counts declarations.

The note column gives declarations per second (target: 500/s committed). The JSON rows add, for the
service cases, the process's CPU per declaration (steadier than wall time on a shared machine) and the
SQL statements one declaration sends (counted on the engine, ``BEGIN``/``COMMIT`` not included), and for
``one by one`` the rate of each of its five rounds: compare runs by these, and by ratios, not by one
figure.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from datetime import datetime, timedelta
from datetime import time as clock_time

from sqlalchemy.engine import make_url

from bench import Measurement, benchmark

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DB = "wardhub_bench_lodging"
APP_ROLE, APP_PASSWORD = "wardhub_bench_lodging_app", "wardhub-bench-lodging-app"
OPERATORS = 32
BATCH = 10  # guests per request in the batched case (a group checking in)
PASSWORD = "bench password for lodging operators"


def _urls(base: str) -> tuple[str, str, str]:
    server = make_url(base).set(drivername="postgresql+asyncpg")
    admin = server.set(database=BENCH_DB)
    app = admin.set(username=APP_ROLE, password=APP_PASSWORD)
    return (server.render_as_string(hide_password=False), admin.render_as_string(hide_password=False),
            app.render_as_string(hide_password=False))


async def _fresh_database(server_url: str) -> None:
    import asyncpg

    url = make_url(server_url)
    conn = await asyncpg.connect(user=url.username, password=url.password, host=url.host or "127.0.0.1",
                                 port=url.port or 5432, database=url.database or "postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    finally:
        await conn.close()


async def _world(settings, manager):
    from core.access import policy
    from core.auth import users
    from core.db.engine import Database
    from core.db.scoping import SYSTEM, TenantScope
    from plugins.residence import services
    from tenants import registry, subscriptions

    db = Database(settings)
    async with db.session(SYSTEM) as session:
        province = await registry.add_unit(session, scheme="local", code="pbench", level="province",
                                           name="Tỉnh Bench", parent=None)
        ward = await registry.add_unit(session, scheme="local", code="wbench", level="ward", name="Phường Bench",
                                       parent=province)
        ward_ref, province = ward.ref(), province
    for unit, kind in ((province.ref(), "district"), (ward_ref, "ward")):  # the unit above subscribes first
        async with db.session(TenantScope.of(unit.id)) as session:
            row = await registry.get(session, unit.key)
            for name in ("residents", "residence"):
                if kind in manager.manifest(name).scope:
                    await subscriptions.enable(session, row, name, manager)
    establishments, operators = [], []
    async with db.session(TenantScope.of(ward_ref.id)) as session:
        for n in range(OPERATORS):
            hotel = await services.create_establishment(session, {
                "code": f"KS-{n:02d}", "name": f"Khách sạn {n}", "kind": "hotel", "address": f"{n} Lê Lợi",
                "rooms": 40})
            establishments.append(hotel.id)
    for n, hotel in enumerate(establishments):
        async with db.session(SYSTEM) as session:
            user = await users.create_user(session, f"operator-{n:02d}", PASSWORD)
        async with db.session(TenantScope.of(ward_ref.id)) as session:
            await policy.grant_role(session, user, "lodging_operator", ward_ref.id, attrs={"establishment": str(hotel)})
        operators.append(user.username)
    return db, ward_ref, establishments, operators


class Guests:
    """Fresh guests, two nights each, arriving today (Vietnam time)."""

    def __init__(self) -> None:
        from plugins.residence import services

        self.count = 0
        self.prefix = uuid.uuid4().hex[:4].upper()
        today = services.today_in_vietnam()
        self.arrival = datetime.combine(today, clock_time(9)).isoformat(timespec="minutes")
        self.departure = datetime.combine(today + timedelta(days=2), clock_time(11)).isoformat(timespec="minutes")

    def next(self) -> dict:
        self.count += 1
        return {"guest_name": "Nguyễn Văn Khách", "guest_document": f"{self.prefix}{self.count:010d}",
                "guest_nationality": "VN", "guest_birth_year": 1990, "room": str(100 + self.count % 40),
                "arrival": self.arrival, "planned_departure": self.departure}


async def _service_one_by_one(db, ward, establishment, guests: Guests, n: int) -> list[float]:
    from core.db.scoping import TenantScope
    from plugins.residence import services

    scope = TenantScope.of(ward.id)
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        async with db.session(scope) as session:
            await services.declare_stay(session, establishment, guests.next())
        samples.append(time.perf_counter() - started)
    return samples


async def _statements_per_declaration(db, ward, establishment, guests: Guests) -> list[str]:
    """The SQL one declaration sends (after ``BEGIN``, before ``COMMIT``), first line of each."""
    from sqlalchemy import event

    from core.db.scoping import TenantScope
    from plugins.residence import services

    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        seen.append(" ".join(statement.split())[:70])

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        async with db.session(TenantScope.of(ward.id)) as session:
            await services.declare_stay(session, establishment, guests.next())
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    return seen


async def _service_concurrent(db, ward, establishments, guests: Guests, n: int) -> list[float]:
    samples: list[float] = []

    async def worker(establishment) -> None:
        samples.extend(await _service_one_by_one(db, ward, establishment, guests, n // OPERATORS))

    await asyncio.gather(*(worker(e) for e in establishments))
    return samples


async def _serve(settings, port: int):
    """The app served by uvicorn (one worker process) on 127.0.0.1:``port``; returns the process."""
    import subprocess
    import sys

    import httpx

    env = {**os.environ, "WARDHUB_DATABASE_URL": settings.database_url,
           "WARDHUB_ADMIN_DATABASE_URL": settings.admin_database_url, "WARDHUB_SECRET_KEY": settings.secret_key,
           "WARDHUB_PLUGINS": ",".join(settings.plugins or ()), "WARDHUB_LOG_LEVEL": "WARNING",
           "WARDHUB_GRAPHQL_RATE_PER_MINUTE": "0"}
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "core.app:create_app", "--factory", "--host",
                                "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"],
                               env=env)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as probe:
        for _ in range(300):
            try:
                if (await probe.get("/health")).status_code == 200:
                    return process
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    process.terminate()
    raise RuntimeError("the app did not start")


async def _http(base_url: str, ward, establishments, operators, guests: Guests, n: int,
                batch: int = 1) -> tuple[list[float], float]:
    """Per-request latencies and the wall time of the posting (sign-in excluded); with ``batch`` > 1 each
    request declares that many guests (``{"stays": [...]}``, one transaction), ``n`` guests in all."""
    import httpx

    samples: list[float] = []
    clients = []
    try:
        for username in operators:
            client = httpx.AsyncClient(base_url=base_url, timeout=60)
            clients.append(client)
            await client.get("/auth/login")
            csrf = client.cookies.get("csrftoken") or ""
            response = await client.post("/auth/login", json={"username": username, "password": PASSWORD},
                                         headers={"x-csrftoken": csrf})
            if response.status_code != 200:
                raise RuntimeError(f"sign-in failed: {response.status_code} {response.text}")
            client.headers["x-csrftoken"] = csrf

        async def operator(client, establishment) -> None:
            url = f"/t/{ward.key}/residence/establishments/{establishment}/stays"
            for _ in range(n // OPERATORS // batch):
                body = guests.next() if batch == 1 else {"stays": [guests.next() for _ in range(batch)]}
                started = time.perf_counter()
                response = await client.post(url, json=body)
                samples.append(time.perf_counter() - started)
                if response.status_code != 201:
                    raise RuntimeError(f"declaration failed: {response.status_code} {response.text}")

        started = time.perf_counter()
        await asyncio.gather(*(operator(c, e) for c, e in zip(clients, establishments, strict=True)))
        elapsed = time.perf_counter() - started
    finally:
        for client in clients:
            await client.aclose()
    return samples, elapsed


def _rate(samples: list[float], seconds: float) -> str:
    return f"{len(samples) / seconds:,.0f} declarations/s committed"


@benchmark("lodging", "lodging declarations/s committed on PostgreSQL, and p99 under 32 concurrent operators")
async def lodging(options) -> list[Measurement]:
    from core.app import load_plugins, migration_dirs
    from core.auth import passwords
    from core.db import migrate
    from core.testing import installed_plugin_names, make_settings

    base = os.environ.get("WARDHUB_BENCH_POSTGRES") or os.environ.get("WARDHUB_TEST_POSTGRES") or DEFAULT_PG
    server_url, admin_url, app_url = _urls(base)
    await _fresh_database(server_url)
    settings = make_settings(app_url, admin_url, installed_plugin_names()).with_(graphql_rate_per_minute=0)
    manager = load_plugins(settings)
    await migrate.upgrade(settings, migration_dirs(manager))
    passwords.configure(time_cost=1, memory_cost=1024, parallelism=1)  # sign-in is not what is measured
    db, ward, establishments, operators = await _world(settings, manager)
    n = 320 if options.quick else 3200
    guests = Guests()
    rows = []
    try:
        await _service_one_by_one(db, ward, establishments[0], guests, 20)  # warm-up
        statements = await _statements_per_declaration(db, ward, establishments[0], guests)
        samples, rounds, cpu, elapsed = [], [], 0.0, 0.0
        for _ in range(5):  # five rounds: on a shared machine one slow round shows as such
            started, cpu_started = time.perf_counter(), time.process_time()
            batch = await _service_one_by_one(db, ward, establishments[0], guests, n // 10)
            took = time.perf_counter() - started
            cpu += time.process_time() - cpu_started
            elapsed += took
            samples += batch
            rounds.append(round(len(batch) / took))
        rows.append(Measurement("lodging", "service, one by one", samples, _rate(samples, elapsed), extra={
            "declarations_per_s": round(len(samples) / elapsed), "rounds_per_s": rounds,
            "cpu_us_per_declaration": round(cpu / len(samples) * 1e6), "statements_per_declaration": len(statements),
            "statements": statements}))
        started, cpu_started = time.perf_counter(), time.process_time()
        samples = await _service_concurrent(db, ward, establishments, guests, n)
        elapsed = time.perf_counter() - started
        rows.append(Measurement("lodging", "service, 32 concurrent", samples, _rate(samples, elapsed), extra={
            "declarations_per_s": round(len(samples) / elapsed),
            "cpu_us_per_declaration": round((time.process_time() - cpu_started) / len(samples) * 1e6)}))
        await db.dispose()
        port = 18000 + os.getpid() % 1000
        server = await _serve(settings, port)
        try:
            samples, elapsed = await _http(f"http://127.0.0.1:{port}", ward, establishments, operators, guests, n)
            rows.append(Measurement("lodging", "HTTP, 32 concurrent operators", samples, _rate(samples, elapsed),
                                    extra={"declarations_per_s": round(len(samples) / elapsed)}))
            samples, elapsed = await _http(f"http://127.0.0.1:{port}", ward, establishments, operators, guests, n,
                                           batch=BATCH)
            declared = len(samples) * BATCH
            rows.append(Measurement(
                "lodging", f"HTTP, 32 operators, batches of {BATCH}", samples,
                f"{declared / elapsed:,.0f} declarations/s committed",
                extra={"declarations_per_s": round(declared / elapsed), "requests_per_s": round(len(samples) / elapsed),
                       "guests_per_request": BATCH}))
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        await db.dispose()
    return rows
