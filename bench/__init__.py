"""Micro-benchmarks: ``python -m bench [NAME ...]`` (``make bench BENCH_ARGS=access``).

A benchmark is a function registered with :func:`benchmark` in any module of this package (modules are
found automatically). It receives the parsed options and returns :class:`Measurement` rows; the runner
prints one table for everything it ran and writes the rows as JSON under ``var/bench/``.

    from bench import Measurement, benchmark, timed

    @benchmark("mything", "what it measures")
    async def mything(options) -> list[Measurement]:
        samples = timed(lambda: do_it(), n=1000)
        return [Measurement("mything", "do it once", samples)]

Figures are wall-clock per call on whatever machine runs them: compare runs on one machine only.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

BENCHMARKS: dict[str, Benchmark] = {}
# Facts a benchmark learns about the run (e.g. the PostgreSQL version): written into the JSON beside the rows.
RUN_INFO: dict[str, Any] = {}


@dataclass(frozen=True)
class Benchmark:
    name: str
    description: str
    run: Callable[[Any], Awaitable[list[Measurement]] | list[Measurement]]


@dataclass
class Measurement:
    """One row of the table: per-call durations in seconds, summarized in microseconds."""

    benchmark: str
    case: str
    samples: list[float]
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.samples)

    def percentile(self, q: float) -> float:
        ordered = sorted(self.samples)
        index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
        return ordered[index] * 1e6

    @property
    def median_us(self) -> float:
        return statistics.median(self.samples) * 1e6

    @property
    def p99_us(self) -> float:
        return self.percentile(0.99)

    def as_dict(self) -> dict[str, Any]:
        return {"benchmark": self.benchmark, "case": self.case, "n": self.n, "median_us": round(self.median_us, 3),
                "p99_us": round(self.p99_us, 3), "mean_us": round(statistics.fmean(self.samples) * 1e6, 3),
                "min_us": round(min(self.samples) * 1e6, 3), "note": self.note, **self.extra}


def benchmark(name: str, description: str) -> Callable[[Callable], Callable]:
    """Register ``fn(options) -> list[Measurement]`` (sync or async) under ``name``."""

    def register(fn: Callable) -> Callable:
        if name in BENCHMARKS:
            raise ValueError(f"benchmark {name!r} registered twice")
        BENCHMARKS[name] = Benchmark(name, description, fn)
        return fn

    return register


def timed(fn: Callable[[], Any], n: int, *, warmup: int = 0, before: Callable[[], Any] | None = None) -> list[float]:
    """Per-call durations of ``fn()`` (``before()`` runs untimed ahead of each call)."""
    for _ in range(warmup):
        if before:
            before()
        fn()
    samples = []
    clock = time.perf_counter
    for _ in range(n):
        if before:
            before()
        started = clock()
        fn()
        samples.append(clock() - started)
    return samples
