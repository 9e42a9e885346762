"""``http``: GraphQL loads on the served app (real HTTP, ``wardhub serve``), beside the same reads in raw SQL.

    make bench BENCH_ARGS="http"                       # 10 s per load, 1 and 2 workers
    make bench BENCH_ARGS="http --quick"               # 3 s per load
    make bench BENCH_ARGS="http --seconds 20 --workers 2"

The data is :mod:`bench.population` in ``wardhub_bench_http`` (reused when the database already holds it;
``--quick`` takes whatever population is there, else builds 60,000 persons). The app runs as production
does: ``WARDHUB_ENV=production``, JSON logs at WARNING, every shipped plugin loaded (their migrations
applied), as the app's own PostgreSQL role under row-level security, with ``--workers`` 1 and then 2.
The caller is an integrator API token bound to the first ward (``wardhub tokens create``). The GraphQL
rate limit is raised to 1,000,000 a minute: still counted per request, never reached.

Loads, each at concurrency 1 and 32 for a fixed time (:mod:`bench.loadgen`, a separate process):

* households — ``first 50 households of the ward with all members (id, full name, sex, date of birth)``;
* count by sex — ``persons of the ward counted by sex`` (``residents.statistics.bySex``);
* the same two reads through asyncpg (a pool as the app's role, the tenant set in the transaction):
  ratio = the app's requests/s over raw SQL's, at the same concurrency, in the same run.

Besides: start-up (process start to ``/health`` 200), resident memory per worker, CPU per request of the
server, of PostgreSQL and of the load generator itself; then the cost of one access check
(:mod:`bench.access`) and import rows/s (:mod:`bench.residents`) so one table holds the whole picture.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from typing import Any

from bench import RUN_INFO, Measurement, benchmark
from bench.residents import DEFAULT_PG

HTTP_DB = "wardhub_bench_http"  # its own database: ``residents`` drops and rebuilds ``wardhub_bench``
SECRET = "bench-secret-key-bench-secret-key-0123456789"
HOUSEHOLDS = ("query Households { residents { households(first: 50) { edges { node { id "
              "members { id fullName sex birthDate } } } } } }")
COUNT_BY_SEX = "query BySex { residents { statistics { bySex { code persons } } } }"
QUERIES = {"households": HOUSEHOLDS, "count by sex": COUNT_BY_SEX}
SQL_NAMES = {"households": "households", "count by sex": "count"}
# Targets of issue #10 on this machine: household query at c=32, and ratios to raw SQL.
TARGET_RPS, TARGET_P99_MS, TARGET_HOUSEHOLD_RATIO, TARGET_COUNT_RATIO = 480, 130, 0.25, 2 / 3


async def _population(admin_url: str, quick: bool):
    from bench.population import build, existing

    full = int(os.environ.get("WARDHUB_BENCH_PERSONS", "1000000"))
    found = await existing(admin_url, full, database=HTTP_DB)
    if found is None and quick:
        found = await existing(admin_url, 60_000, database=HTTP_DB)
    return found or await build(admin_url, 60_000 if quick else full, 150, database=HTTP_DB)


async def _prepare(population) -> tuple[dict[str, str], str, str]:
    """Migrations of every shipped plugin; the served app's environment; the ward's key; PostgreSQL's version."""
    import asyncpg
    from sqlalchemy.engine import make_url

    from core.app import load_plugins, migration_dirs
    from core.db import migrate
    from core.settings import Settings

    settings = Settings(database_url=population.app_url, admin_database_url=population.admin_url,
                        environment="production", secret_key=SECRET, log_level="WARNING")
    await migrate.upgrade(settings, migration_dirs(load_plugins(settings)))
    url = make_url(population.admin_url)
    conn = await asyncpg.connect(user=url.username, password=url.password, host=url.host or "127.0.0.1",
                                 port=url.port or 5432, database=url.database)
    try:
        ward = await conn.fetchrow("SELECT scheme, code, name FROM tenants WHERE id = $1", population.ward_ids[0])
        version = await conn.fetchval("SHOW server_version")
    finally:
        await conn.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDHUB_")}
    env.update({
        "WARDHUB_ENV": "production", "WARDHUB_DATABASE_URL": population.app_url,
        "WARDHUB_ADMIN_DATABASE_URL": population.admin_url, "WARDHUB_SECRET_KEY": SECRET,
        "WARDHUB_LOG_FORMAT": "json", "WARDHUB_LOG_LEVEL": "WARNING",
        "WARDHUB_GRAPHQL_RATE_PER_MINUTE": "1000000",
    })
    return env, f"{ward['scheme']}:{ward['code']}", version


def _token(env: dict[str, str], ward_key: str) -> str:
    wardhub = os.path.join(os.path.dirname(sys.executable), "wardhub")
    done = subprocess.run([wardhub, "tokens", "create", "--tenant", ward_key, "--name", "bench http", "--days", "1"],
                          env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wardhub tokens create failed: {done.stderr.strip()}")
    return done.stdout.strip().splitlines()[-1]


def _request(query: str, token: str, port: int) -> str:
    body = json.dumps({"query": query})
    return (f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {token}\r\nContent-Length: {len(body.encode())}\r\n\r\n{body}")


def _check_answers(port: int, token: str) -> dict[str, Any]:
    """One request of each kind, read in full: the load only counts errors, so check the shape once."""
    found = {}
    for name, query in QUERIES.items():
        request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
                                         headers={"Content-Type": "application/json",
                                                  "Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            payload = json.loads(answer.read())
        if payload.get("errors"):
            raise RuntimeError(f"{name}: {payload['errors'][:2]}")
        found[name] = payload["data"]["residents"]
    edges = found["households"]["households"]["edges"]
    members = sum(len(e["node"]["members"]) for e in edges)
    if len(edges) != 50 or not members:
        raise RuntimeError(f"households: {len(edges)} households, {members} members")
    by_sex = {c["code"]: c["persons"] for c in found["count by sex"]["statistics"]["bySex"]}
    return {"households": len(edges), "members": members, "by_sex": by_sex,
            "response_bytes": len(json.dumps({"data": {"residents": found["households"]}}))}


async def _load(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the load generator in its own process (it measures the window's CPU of everyone involved)."""
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bench.loadgen", json.dumps(spec),
                                                   stdout=asyncio.subprocess.PIPE)
    out, _ = await process.communicate()
    return json.loads(out)


def _row(case: str, result: dict[str, Any], note: str = "", **extra: Any) -> Measurement:
    latencies = result["latencies"] or [0.0]
    done = len(result["latencies"])
    rps = done / result["seconds"]
    # CPU per request over the timed window: the server's processes, PostgreSQL's backends, the client
    per = max(done, 1)
    server, pg = result["server_cpu_s"], result["postgres_cpu_s"]
    client_share = result["client_cpu_s"] / result["client_wall_s"]
    cpu = "".join(f", {label} {value / per * 1e3:.1f}" for label, value in (("server", server), ("pg", pg))
                  if value is not None)
    text = (f"{rps:,.0f} req/s, {result['errors']} errors; CPU ms/req{cpu}, client "
            f"{result['client_cpu_s'] / per * 1e3:.1f} ({client_share:.0%} of a core)")
    return Measurement("http", case, latencies, note=f"{text}{'; ' + note if note else ''}", extra={
        "requests_per_s": round(rps, 1), "errors": result["errors"], "error_samples": result["error_samples"],
        "p50_ms": round(_pct(latencies, .5) * 1e3, 2), "p99_ms": round(_pct(latencies, .99) * 1e3, 2),
        "client_core_share": round(client_share, 3),
        "client_cpu_us": round(result["client_cpu_s"] / max(done, 1) * 1e6),
        "server_cpu_us": None if server is None else round(server / per * 1e6),
        "postgres_cpu_us": None if pg is None else round(pg / per * 1e6),
        **extra,
    })


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@benchmark("http", "GraphQL on the served app (real HTTP) beside raw SQL; start-up, memory, access, import")
async def http(options) -> list[Measurement]:
    from bench.server import Served
    from core.db.scoping import TenantScope

    quick = getattr(options, "quick", False)
    seconds = getattr(options, "seconds", None) or (3.0 if quick else 10.0)
    warmup = 1.0 if quick else 2.0
    worker_counts = getattr(options, "workers", None) or [1, 2]
    admin_url = os.environ.get("WARDHUB_BENCH_POSTGRES", DEFAULT_PG)
    population = await _population(admin_url, quick)
    env, ward_key, version = await _prepare(population)
    RUN_INFO["postgres"] = version
    token = _token(env, ward_key)
    where = f"{ward_key}, {population.persons:,} persons in 150 wards"
    rows: list[Measurement] = []
    by_workers: dict[int, dict[str, dict[int, Measurement]]] = {}
    for workers in worker_counts:
        served = Served(env, workers)
        startup = served.start()
        try:
            shape = _check_answers(served.port, token)
            rss = served.rss_mb()
            rows.append(Measurement("http", f"start-up to /health 200, {workers} worker(s)", [startup],
                                    note=f"RSS per worker {', '.join(f'{m:.0f}' for m in rss)} MB; every plugin",
                                    extra={"rss_mb": rss, "workers": workers, "answer": shape}))
            found: dict[str, dict[int, Measurement]] = {}
            for name, query in QUERIES.items():
                for concurrency in (1, 32):
                    spec = {"kind": "http", "host": "127.0.0.1", "port": served.port, "concurrency": concurrency,
                            "seconds": seconds, "warmup": warmup, "request": _request(query, token, served.port),
                            "server_pids": [p.pid for p in served.processes()], "pg_database": HTTP_DB}
                    row = _row(f"{name}, c={concurrency}, {workers}w", await _load(spec),
                               workers=workers, concurrency=concurrency, query=name)
                    found.setdefault(name, {})[concurrency] = row
                    rows.append(row)
            rows[-4].extra["rss_mb_after"] = served.rss_mb()
            by_workers[workers] = found
            if getattr(options, "profile", False):
                rows.append(await _profile(served, token, seconds, warmup))
        finally:
            served.stop()
    raw: dict[str, dict[int, Measurement]] = {}
    setting = TenantScope.of(population.ward_ids[0]).setting()
    dsn = population.app_url.replace("postgresql+asyncpg", "postgresql")
    for name in QUERIES:
        for concurrency in (1, 32):
            spec = {"kind": "sql", "dsn": dsn, "concurrency": concurrency, "seconds": seconds, "warmup": warmup,
                    "query": SQL_NAMES[name], "tenant_setting": setting, "pg_database": HTTP_DB}
            row = _row(f"raw SQL {name}, c={concurrency}", await _load(spec), "asyncpg, same role and RLS",
                       concurrency=concurrency, query=name)
            raw.setdefault(name, {})[concurrency] = row
            rows.append(row)
    for found in by_workers.values():
        for name, per in found.items():
            for concurrency, row in per.items():
                ratio = row.extra["requests_per_s"] / max(raw[name][concurrency].extra["requests_per_s"], 1e-9)
                row.extra["ratio_to_raw"] = round(ratio, 3)
                row.note += f"; {ratio:.2f}x raw SQL"
    rows.append(_verdict(by_workers, raw, where))
    if not getattr(options, "loads_only", False):
        rows += await _access_and_import(options, population)
    return rows


async def _profile(served, token: str, seconds: float, warmup: float) -> Measurement:
    """One more household load at c=32 with py-spy sampling the workers (not one of the measured runs:
    sampling costs CPU on a 2-core machine)."""
    from pathlib import Path

    from bench.pyspy import record, summary

    spec = {"kind": "http", "host": "127.0.0.1", "port": served.port, "concurrency": 32, "seconds": seconds,
            "warmup": warmup, "request": _request(HOUSEHOLDS, token, served.port),
            "server_pids": [p.pid for p in served.processes()], "pg_database": HTTP_DB}
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    path = Path("var/bench") / f"profile-households-{served.workers}w-{stamp}.txt"
    pids = [p.pid for p in served.worker_processes()]
    load = asyncio.ensure_future(_load(spec))
    await asyncio.sleep(warmup)
    files = await asyncio.to_thread(record, pids, seconds, path)
    row = _row(f"households, c=32, {served.workers}w, under py-spy", await load, workers=served.workers)
    found = summary(files) if files else {"samples": 0, "by_stage": {}, "by_package": {}}
    top = ", ".join(f"{k} {v:.0%}" for k, v in list(found["by_stage"].items())[:6])
    row.note = f"{row.note.split(',')[0]}; {top or 'py-spy unavailable'}"
    row.extra["profile"] = {**found, "files": [str(f) for f in files]}
    return row


def _verdict(by_workers, raw, where: str) -> Measurement:
    """The worker count with the best household throughput at c=32, measured against issue #10's targets."""
    best = max(by_workers, key=lambda w: by_workers[w]["households"][32].extra["requests_per_s"])
    house, count = by_workers[best]["households"][32].extra, by_workers[best]["count by sex"][32].extra
    checks = {
        f"households c=32 ≥ {TARGET_RPS} req/s": house["requests_per_s"] >= TARGET_RPS,
        f"households p99 < {TARGET_P99_MS} ms": house["p99_ms"] < TARGET_P99_MS,
        f"households ≥ {TARGET_HOUSEHOLD_RATIO:.2f}x raw": house["ratio_to_raw"] >= TARGET_HOUSEHOLD_RATIO,
        f"count ≥ {TARGET_COUNT_RATIO:.2f}x raw": count["ratio_to_raw"] >= TARGET_COUNT_RATIO,
    }
    note = (f"{best} worker(s): households {house['requests_per_s']:,.0f} req/s p99 {house['p99_ms']:.0f} ms "
            f"({house['ratio_to_raw']:.2f}x raw), count {count['requests_per_s']:,.0f} req/s "
            f"({count['ratio_to_raw']:.2f}x raw); targets met: {sum(checks.values())}/{len(checks)}")
    return Measurement("http", f"verdict ({where})", [statistics.median([0.0])], note=note,
                       extra={"workers": best, "targets": checks})


async def _access_and_import(options, population) -> list[Measurement]:
    """The access-check cost (bench.access, its cached and first-check cases) and import rows/s
    (bench.residents' import into the population's last ward)."""
    from bench.access import access_benchmark
    from bench.residents import _import_rate
    from core.db.engine import Database
    from core.settings import Settings

    wanted = ("check (cached grant)", "first check of a user in a unit")
    rows = [r for r in await access_benchmark(options) if r.case in wanted]
    settings = Settings(database_url=population.app_url, environment="production", log_level="WARNING",
                        secret_key=SECRET)
    db = Database(settings)
    try:
        rows.append(await _import_rate(db, population, options))
    except Exception as exc:  # the loads measured above must not be lost with it: say what failed
        rows.append(Measurement("residents", "import (failed)", [0.0], note=f"{type(exc).__name__}: {exc}"[:200]))
    finally:
        await db.dispose()
    return rows
