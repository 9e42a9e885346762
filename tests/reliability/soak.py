"""Soak: many concurrent clients mixing reads and writes against the app served for real, then a
consistency check of what the clients were told against the database and the audit log.

    python -m tests.reliability.soak --clients 200 --seconds 60      # make soak
    python -m tests.reliability.soak --clients 20 --seconds 5        # the short run inside make test

The app runs in a uvicorn subprocess on a free port, on PostgreSQL when ``WARDHUB_TEST_POSTGRES`` names a
server (a fresh database, the app connecting as a role under row-level security), else on a SQLite file.
Each client holds its own API token (ward officer of one ward) and loops: reads (a household, a person, a
GraphQL page of households), and writes (registering a household, correcting a person's phone with the
version it read, on its own households and on a few shared "hot" persons, so that CONFLICTs happen).

Consistency, checked at the end (exit status 1 if any fails):
* households and persons in the database == the seed + the registrations the clients were told succeeded
  (201), and every id a client was given is there;
* every write is audited: one ``create`` entry per household and person row, one ``update`` entry per
  successful correction (200), and no more;
* the versions agree: the sum over persons of ``version - 1`` == the successful corrections;
* no 5xx, no request with an unknown outcome (a client-side timeout or a dropped connection).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
SECRET = "soak-secret-key-soak-secret-key-0123456789"
HOT_PERSONS = 8


@dataclass
class Tally:
    statuses: Counter = field(default_factory=Counter)  # (kind, status) -> n
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    households: list[str] = field(default_factory=list)  # ids the clients were told were created
    persons: list[str] = field(default_factory=list)
    updates: int = 0  # corrections answered 200
    conflicts: int = 0
    unknown: list[str] = field(default_factory=list)  # requests whose outcome the client never learnt

    def note(self, kind: str, status: int | str, seconds: float) -> None:
        self.statuses[(kind, status)] += 1
        self.latencies[kind].append(seconds)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the database and the seed -----------------------------------------------------------------------

def prepare_database(tmp: Path) -> tuple[str, str | None, Any, str]:
    from core.testing import create_database

    backend = "postgres" if os.environ.get("WARDHUB_TEST_POSTGRES") else "sqlite"

    import pytest  # create_database reports an unreachable server through pytest.fail

    try:
        app_url, admin_url, drop = create_database(backend, tmp)
    except pytest.fail.Exception as exc:
        raise SystemExit(f"soak: {exc}") from None
    return app_url, admin_url, drop, backend


def settings_for(app_url: str, admin_url: str | None):
    from core.testing import installed_plugin_names, make_settings

    return make_settings(app_url, admin_url, installed_plugin_names()).with_(graphql_rate_per_minute=0)


async def seed(settings, clients: int) -> dict[str, Any]:
    """Migrate, make a ward with residents on, a few households and one officer token per client."""
    from core.app import load_plugins, migration_dirs
    from core.auth import tokens
    from core.db import migrate
    from core.db.engine import Database
    from core.db.scoping import SYSTEM, TenantScope
    from plugins.residents import services
    from plugins.residents.tests.conftest import People
    from tenants import registry, subscriptions

    manager = load_plugins(settings)
    await migrate.upgrade(settings, migration_dirs(manager))
    db = Database(settings)
    people = People()
    try:
        async with db.session(SYSTEM) as session:
            province = await registry.add_unit(session, scheme="local", code=f"psoak{uuid.uuid4().hex[:8]}",
                                               level="province", name="Tỉnh Thử tải", parent=None)
            ward = await registry.add_unit(session, scheme="local", code=f"wsoak{uuid.uuid4().hex[:8]}",
                                           level="ward", name="Phường Thử tải", parent=province)
            ward_id, ward_key, province_id, province_key = ward.id, ward.key, province.id, province.key
        for unit_id, key in ((province_id, province_key), (ward_id, ward_key)):  # the unit above first
            async with db.session(TenantScope.of(unit_id)) as session:
                await subscriptions.enable(session, await registry.get(session, key), "residents", manager)
        hot: list[str] = []
        households: list[str] = []
        async with db.session(TenantScope.of(ward_id)) as session:
            for i in range(4):
                household = await services.register_household(session, people.family(f"SEED-{i}", 3))
                households.append(str(household.id))
                hot += [str(p.id) for p in await services.members(session, household.id)]
        values = []
        async with db.session(SYSTEM) as session:
            for i in range(clients):
                _row, value = await tokens.create_token(session, settings.secret_key, name=f"soak-{i}",
                                                        tenant_id=ward_id, roles=("ward_officer",), days=1)
                values.append(value)
        return {"ward_id": ward_id, "ward_key": ward_key, "tokens": values, "hot": hot[:HOT_PERSONS],
                "households": households, "seed_persons": len(hot)}
    finally:
        await db.dispose()


# -- the server ----------------------------------------------------------------------------------------

def start_server(settings, port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "WARDHUB_DATABASE_URL": settings.database_url,
           "WARDHUB_SECRET_KEY": settings.secret_key, "WARDHUB_ENV": "test", "WARDHUB_LOG_LEVEL": "WARNING",
           "WARDHUB_GRAPHQL_RATE_PER_MINUTE": "0", "WARDHUB_PLUGINS": ",".join(settings.plugins or ())}
    if settings.admin_database_url:
        env["WARDHUB_ADMIN_DATABASE_URL"] = settings.admin_database_url
    env.pop("WARDHUB_REDIS_URL", None)
    command = [sys.executable, "-m", "uvicorn", "core.app:create_app", "--factory", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers), "--no-access-log", "--log-level", "warning",
               "--timeout-keep-alive", "30", "--backlog", "4096"]
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)


def wait_ready(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise SystemExit(f"soak: the server exited with {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("soak: the server did not become ready")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # our own process group (start_new_session)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# -- the clients ---------------------------------------------------------------------------------------

HOUSEHOLDS_QUERY = "{ residents { households(first: 10) { totalCount edges { node { id code members { id } } } } } }"


async def client_loop(index: int, http: httpx.AsyncClient, world: dict[str, Any], deadline: float,
                      tally: Tally) -> None:
    from plugins.residents.tests.conftest import People

    rng = random.Random(index)
    people = People()
    headers = {"Authorization": f"Bearer {world['tokens'][index]}", "X-Tenant": world["ward_key"]}
    base = f"/t/{world['ward_key']}/residents"
    mine: list[str] = []  # persons of the households this client registered
    serial = 0

    async def call(kind: str, method: str, url: str, **kwargs: Any) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = await http.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            tally.note(kind, type(exc).__name__, time.perf_counter() - started)
            if method != "GET":
                tally.unknown.append(f"{kind} {url}: {type(exc).__name__}")
            return None
        tally.note(kind, response.status_code, time.perf_counter() - started)
        return response

    while time.monotonic() < deadline:
        roll = rng.random()
        if roll < 0.12:  # register a household of 1-3
            serial += 1
            response = await call("register", "POST", f"{base}/households",
                                  json=people.family(f"S{index:03d}-{serial}", rng.randint(1, 3)))
            if response is not None and response.status_code == 201:
                body = response.json()
                tally.households.append(body["id"])
                members = [m["id"] for m in body["members"]]
                tally.persons += members
                mine += members
        elif roll < 0.30:  # correct a phone, with the version read just before
            target = rng.choice(world["hot"]) if not mine or rng.random() < 0.5 else rng.choice(mine)
            read = await call("read_person", "GET", f"{base}/persons/{target}")
            if read is None or read.status_code != 200:
                continue
            serial += 1
            phone = f"09{index % 1000:03d}{serial % 100000:05d}"
            response = await call("correct", "PATCH", f"{base}/persons/{target}",
                                  json={"phone": phone, "version": read.json()["version"]})
            if response is not None and response.status_code == 200:
                tally.updates += 1
            elif response is not None and response.status_code == 409:
                tally.conflicts += 1
        elif roll < 0.55:
            await call("read_person", "GET", f"{base}/persons/{rng.choice(mine or world['hot'])}")
        elif roll < 0.75:
            await call("read_household", "GET", f"{base}/households/{rng.choice(world['households'])}")
        else:
            response = await call("graphql", "POST", "/graphql", json={"query": HOUSEHOLDS_QUERY})
            if response is not None and response.status_code == 200 and response.json().get("errors"):
                tally.note("graphql_errors", "errors", 0.0)


async def run_load(port: int, world: dict[str, Any], clients: int, seconds: float) -> tuple[Tally, float]:
    tally = Tally()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits,
                                 timeout=httpx.Timeout(120.0)) as http:
        started = time.monotonic()
        deadline = started + seconds
        await asyncio.gather(*(client_loop(i, http, world, deadline, tally) for i in range(clients)))
        elapsed = time.monotonic() - started
    return tally, elapsed


# -- the check -----------------------------------------------------------------------------------------

async def check(settings, world: dict[str, Any], tally: Tally) -> tuple[list[str], list[str]]:
    """(report lines, failures)."""
    from sqlalchemy import func, select

    from core.audit.models import AuditEntry
    from core.db.engine import Database
    from core.db.scoping import TenantScope
    from plugins.residents.models import Household, Person

    db = Database(settings)
    lines: list[str] = []
    failures: list[str] = []
    try:
        async with db.session(TenantScope.of(world["ward_id"])) as session:
            household_ids = {str(i) for i in (await session.execute(select(Household.id))).scalars()}
            person_ids = {str(i) for i in (await session.execute(select(Person.id))).scalars()}
            versions = await session.scalar(select(func.sum(Person.version - 1))) or 0

            async def audited(entity: str, action: str) -> list[str]:
                return list((await session.execute(select(AuditEntry.entity_id).where(
                    AuditEntry.entity == entity, AuditEntry.action == action))).scalars())

            created_households = await audited(Household.__tablename__, "create")
            created_persons = await audited(Person.__tablename__, "create")
            updated_persons = await audited(Person.__tablename__, "update")
    finally:
        await db.dispose()
    seed_households, seed_persons = len(world["households"]), world["seed_persons"]

    def expect(label: str, got: int, wanted: int) -> None:
        ok = got == wanted
        lines.append(f"{'ok  ' if ok else 'FAIL'} {label}: database {got}, expected {wanted}")
        if not ok:
            failures.append(label)

    expect("households = seed + registrations answered 201", len(household_ids),
           seed_households + len(tally.households))
    expect("persons = seed + members of those registrations", len(person_ids), seed_persons + len(tally.persons))
    missing = (set(tally.households) - household_ids) | (set(tally.persons) - person_ids)
    expect("ids the clients were given that are missing", len(missing), 0)
    expect("household create audit entries (one per row, same ids)", len(created_households), len(household_ids))
    if set(created_households) != household_ids:
        failures.append("audited household ids differ from the rows")
        lines.append("FAIL audited household ids differ from the rows")
    expect("person create audit entries (one per row, same ids)", len(created_persons), len(person_ids))
    if set(created_persons) != person_ids:
        failures.append("audited person ids differ from the rows")
        lines.append("FAIL audited person ids differ from the rows")
    expect("person update audit entries = corrections answered 200", len(updated_persons), tally.updates)
    expect("sum of (version - 1) over persons = corrections answered 200", versions, tally.updates)
    server_errors = sum(n for (_kind, status), n in tally.statuses.items() if isinstance(status, int) and status >= 500)
    expect("5xx answers", server_errors, 0)
    expect("writes with an unknown outcome (client-side error)", len(tally.unknown), 0)
    return lines, failures


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(args, backend: str, tally: Tally, elapsed: float, lines: list[str]) -> str:
    total = sum(n for (kind, _s), n in tally.statuses.items() if kind != "graphql_errors")
    everything = [v for kind, values in tally.latencies.items() if kind != "graphql_errors" for v in values]
    out = [
        f"soak: {args.clients} clients for {args.seconds:g} s on {backend} ({args.workers} uvicorn worker(s)), "
        f"{os.cpu_count()} CPUs, load average before/after {args.load_before} / "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        f"requests: {total} in {elapsed:.1f} s ({total / elapsed:.0f}/s); "
        f"p50 {percentile(everything, 0.5) * 1000:.0f} ms, p99 {percentile(everything, 0.99) * 1000:.0f} ms",
    ]
    by_kind: dict[str, Counter] = defaultdict(Counter)
    for (kind, status), n in tally.statuses.items():
        by_kind[kind][status] += n
    for kind in sorted(by_kind):
        values = tally.latencies.get(kind, [])
        codes = ", ".join(f"{status}: {n}" for status, n in sorted(by_kind[kind].items(), key=lambda x: str(x[0])))
        timing = (f"; p50 {percentile(values, 0.5) * 1000:.0f} ms, p99 {percentile(values, 0.99) * 1000:.0f} ms"
                  if kind != "graphql_errors" else "")
        out.append(f"  {kind:15s} {codes}{timing}")
    out.append(f"writes: {len(tally.households)} households registered ({len(tally.persons)} persons), "
               f"{tally.updates} corrections applied, {tally.conflicts} refused as CONFLICT (stale version)")
    out += lines
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=0,
                        help="uvicorn workers (default: 2 on PostgreSQL, 1 on SQLite)")
    args = parser.parse_args(argv)
    args.load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="wardhub-soak-") as tmp:
        app_url, admin_url, drop, backend = prepare_database(Path(tmp))
        args.workers = args.workers or (2 if backend == "postgres" else 1)
        try:
            settings = settings_for(app_url, admin_url).with_(secret_key=SECRET)
            world = asyncio.run(seed(settings, args.clients))
            port = free_port()
            server = start_server(settings, port, args.workers)
            try:
                wait_ready(port, server)
                tally, elapsed = asyncio.run(run_load(port, world, args.clients, args.seconds))
            finally:
                stop_server(server)
            lines, failures = asyncio.run(check(settings, world, tally))
            print(report(args, backend, tally, elapsed, lines))
            if tally.unknown:
                print("unknown outcomes:", *tally.unknown[:10], sep="\n  ")
        finally:
            drop()
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
