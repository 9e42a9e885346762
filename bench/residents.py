"""``residents``: population statistics over 1,000,000 persons, beside the same SQL run raw; import rows/s.

    make bench BENCH_ARGS="residents"                 # 1,000,000 persons in 150 wards (a few minutes)
    make bench BENCH_ARGS="residents --quick"         # 60,000 persons, a smoke run

PostgreSQL from ``WARDHUB_BENCH_POSTGRES`` (default: the machine's, postgresql://postgres@127.0.0.1/test);
the benchmark makes its own database ``wardhub_bench``. "Raw SQL" replays the exact statements the
statistics function sent, with the same parameters, role and row-level security setting, through asyncpg
directly: the ratio is the cost of the ORM, the plugin's Python and the tenant scoping.
"""

from __future__ import annotations

import os
import time

from bench import Measurement, benchmark

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


async def _statistics(db, scope):
    from plugins.residents.statistics import compute

    async with db.session(scope) as session:
        return await compute(session)


def _capture(engine):
    from sqlalchemy import event

    seen: list[tuple[str, tuple]] = []

    def listener(_conn, _cursor, statement, parameters, _context, _many):
        seen.append((statement, tuple(parameters or ())))

    event.listen(engine.sync_engine, "before_cursor_execute", listener)
    return seen, lambda: event.remove(engine.sync_engine, "before_cursor_execute", listener)


async def _raw(conn, scope, statements):
    async with conn.transaction():
        await conn.execute("SELECT set_config('app.tenant_ids', $1, true)", scope.setting())
        for statement, params in statements:
            if statement.lstrip().upper().startswith("SELECT SET_CONFIG"):
                continue
            await conn.fetch(statement, *params)


async def _time(fn, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - started)
    return samples


@benchmark("residents", "1M persons: statistics (ORM vs raw SQL, one ward and 150 wards) and import rows/s")
async def residents(options) -> list[Measurement]:
    import asyncpg
    from sqlalchemy.engine import make_url

    from bench.population import build
    from core.db.engine import Database
    from core.db.scoping import TenantScope
    from core.settings import Settings

    persons = 60_000 if options.quick else int(os.environ.get("WARDHUB_BENCH_PERSONS", "1000000"))
    population = await build(os.environ.get("WARDHUB_BENCH_POSTGRES", DEFAULT_PG), persons, 150)
    settings = Settings(database_url=population.app_url, environment="production", log_level="WARNING",
                        secret_key="bench-secret-key-bench-secret-key-0123456789")
    db = Database(settings)
    url = make_url(population.app_url)
    conn = await asyncpg.connect(user=url.username, password=url.password, host=url.host or "127.0.0.1",
                                 port=url.port or 5432, database=url.database)
    rows: list[Measurement] = []
    load_note = (f"{population.persons:,} persons, {population.households:,} households, 150 wards "
                 f"built in {population.seconds:.0f} s")
    try:
        for label, scope, n in (
            ("one ward", TenantScope.of(population.ward_ids[0]), 5 if options.quick else 20),
            ("150 wards", TenantScope.of(population.ward_ids), 2 if options.quick else 5),
        ):
            await _statistics(db, scope)  # warm caches and plans
            seen, stop = _capture(db.engine)
            figures = await _statistics(db, scope)
            stop()
            orm = await _time(lambda scope=scope: _statistics(db, scope), n)
            raw = await _time(lambda scope=scope, seen=list(seen): _raw(conn, scope, seen), n)
            ratio = (sorted(orm)[len(orm) // 2]) / max(sorted(raw)[len(raw) // 2], 1e-9)
            rows.append(Measurement("residents", f"statistics, {label}", orm,
                                    note=f"{figures['persons']:,} persons; {ratio:.2f}x raw SQL (target ≤ 1.5x)",
                                    extra={"ratio_to_raw": round(ratio, 3), "statements": len(seen)}))
            rows.append(Measurement("residents", f"same SQL raw, {label}", raw, note=f"{len(seen)} statements"))
        rows.append(await _import_rate(db, population, options))
    finally:
        await conn.close()
        await db.dispose()
    rows[0].extra["population"] = load_note
    return rows


async def _import_rate(db, population, options) -> Measurement:
    from datetime import date

    from core.db.scoping import TenantScope
    from plugins.residents import imports
    from plugins.residents.samples import SampleMaker, renumber_taken

    ward = population.ward_ids[-1]
    count = 2_000 if options.quick else 10_000
    maker = SampleMaker("bench-import", date.today())
    # A household code of its own per run: the http benchmark imports into a population it reuses
    rows = maker.persons(count, prefix=f"NHAP{int(time.time()):x}")
    for number, row in enumerate(rows, start=2):
        row["_row"] = number
    async with db.session(TenantScope.of(ward)) as session:
        await renumber_taken(session, maker, rows)
    started = time.perf_counter()
    async with db.session(TenantScope.of(ward)) as session:
        report = await imports.import_rows(session, ward, rows)
    seconds = time.perf_counter() - started
    assert report.written, report.errors[:3]
    return Measurement("residents", f"import {count:,} persons (check + load)", [seconds],
                       note=f"{count / seconds:,.0f} rows/s", extra={"rows_per_s": round(count / seconds)})
