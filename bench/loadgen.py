"""The load generator of the ``http`` benchmark, run in its own process: ``python -m bench.loadgen SPEC``.

SPEC is JSON: ``{"kind": "http" | "sql", "concurrency": n, "seconds": s, "warmup": s, …}``; the answer
(one JSON line on standard output) holds the latencies of the requests that completed inside the timed
window (throughput = completions in the window / its length, whenever they started), the error count
and the CPU used over the window by this process (the client shares the cores with what it measures),
by the server's processes (``server_pids``) and by the PostgreSQL backends of ``pg_database``.

The HTTP client is deliberately minimal — HTTP/1.1 keep-alive over asyncio streams, one connection per
concurrent caller, the request bytes built once — because a full client (httpx) costs several hundred
microseconds of CPU per request, which would be taken from the server being measured. A response
counts as an error unless its status is 200 and its body has no ``"errors"`` member.

The ``sql`` kind runs the same reads straight through asyncpg (a pool of ``concurrency`` connections as
the app's role, under row-level security, in a transaction that sets the tenant like the app does).
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from typing import Any

# The raw SQL equivalents of the two GraphQL reads (see bench.http).
HOUSEHOLDS_SQL = ("SELECT id FROM residents_households WHERE status = 'active' ORDER BY id LIMIT 50",
                  "SELECT id, household_id, full_name, sex, birth_year, birth_month, birth_day "
                  "FROM residents_persons WHERE household_id = ANY($1::uuid[]) AND status = 'present'")
COUNT_SQL = "SELECT sex, count(*) FROM residents_persons WHERE status = 'present' GROUP BY sex"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _others_cpu(spec: dict[str, Any]) -> tuple[float, float | None]:
    """CPU seconds so far of the server's processes and of PostgreSQL's backends serving the benchmark's
    database (those alive at both ends of the window are what the difference counts)."""
    import psutil

    server = 0.0
    for pid in spec.get("server_pids", ()):
        try:
            times = psutil.Process(pid).cpu_times()
            server += times.user + times.system
        except psutil.Error:
            pass
    database, postgres = spec.get("pg_database"), None
    if database:
        postgres = 0.0
        for process in psutil.process_iter(["name", "cmdline"]):
            if process.info["name"] == "postgres" and database in " ".join(process.info["cmdline"] or ()):
                try:
                    times = process.cpu_times()
                    postgres += times.user + times.system
                except psutil.Error:
                    pass
    return server, postgres


async def _http_caller(spec: dict[str, Any], window: list[float], out: list[float], errors: list[str]) -> None:
    request = spec["request"].encode("latin-1")
    host, port = spec["host"], spec["port"]
    reader = writer = None
    clock = time.perf_counter
    while clock() < window[1]:
        if writer is None:
            reader, writer = await asyncio.open_connection(host, port)
        started = clock()
        try:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            at = head.lower().find(b"content-length:")
            if at < 0:
                raise ValueError("no content-length")
            length = int(head[at + 15:head.index(b"\r\n", at)])
            body = await reader.readexactly(length)
            ok = status == 200 and b'"errors"' not in body
            problem = "" if ok else f"HTTP {status}: {body[:200].decode('utf-8', 'replace')}"
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            problem = f"{type(exc).__name__}: {exc}"
            writer.close()
            reader = writer = None
        ended = clock()
        if window[0] <= ended <= window[1]:
            if problem:
                errors.append(problem)
            else:
                out.append(ended - started)
    if writer is not None:
        writer.close()


async def _sql_caller(spec: dict[str, Any], pool: Any, window: list[float], out: list[float],
                      errors: list[str]) -> None:
    clock = time.perf_counter
    setting = spec["tenant_setting"]
    while clock() < window[1]:
        started = clock()
        problem = ""
        try:
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT set_config('app.tenant_ids', $1, true)", setting)
                if spec["query"] == "households":
                    households = await conn.fetch(HOUSEHOLDS_SQL[0])
                    members = await conn.fetch(HOUSEHOLDS_SQL[1], [h["id"] for h in households])
                    grouped: dict[Any, list] = {h["id"]: [] for h in households}
                    for m in members:
                        grouped[m["household_id"]].append(m)
                    if len(grouped) != 50:
                        problem = f"{len(grouped)} households"
                else:
                    counts = dict(await conn.fetch(COUNT_SQL))
                    if not counts:
                        problem = "no persons counted"
        except Exception as exc:
            problem = f"{type(exc).__name__}: {exc}"
        ended = clock()
        if window[0] <= ended <= window[1]:
            if problem:
                errors.append(problem)
            else:
                out.append(ended - started)


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    concurrency = spec["concurrency"]
    begin = time.perf_counter() + spec.get("warmup", 1.0)
    window = [begin, begin + spec["seconds"]]
    latencies: list[float] = []
    errors: list[str] = []
    pool = None
    if spec["kind"] == "sql":
        import asyncpg

        pool = await asyncpg.create_pool(spec["dsn"], min_size=concurrency, max_size=concurrency)
        callers = [_sql_caller(spec, pool, window, latencies, errors) for _ in range(concurrency)]
    else:
        callers = [_http_caller(spec, window, latencies, errors) for _ in range(concurrency)]
    tasks = [asyncio.ensure_future(c) for c in callers]
    await asyncio.sleep(max(0.0, begin - time.perf_counter()))
    cpu_before, wall_before, others_before = _cpu(), time.perf_counter(), _others_cpu(spec)
    await asyncio.sleep(max(0.0, window[1] - time.perf_counter()))
    cpu_used, wall, others_after = _cpu() - cpu_before, time.perf_counter() - wall_before, _others_cpu(spec)
    await asyncio.gather(*tasks, return_exceptions=True)
    if pool is not None:
        await pool.close()
    return {"latencies": latencies, "errors": len(errors), "error_samples": sorted(set(errors))[:3],
            "seconds": spec["seconds"], "client_cpu_s": cpu_used, "client_wall_s": wall,
            "server_cpu_s": others_after[0] - others_before[0] if spec.get("server_pids") else None,
            "postgres_cpu_s": None if others_before[1] is None else others_after[1] - others_before[1]}


def main() -> int:
    spec = json.loads(sys.argv[1])
    print(json.dumps(asyncio.run(run(spec))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
