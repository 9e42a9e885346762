"""Run benchmarks: ``python -m bench [NAME ...] [--quick] [--out DIR]``; one table, JSON under var/bench/."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import json
import pkgutil
import platform
import sys
import time
from pathlib import Path

import bench
from bench import BENCHMARKS, RUN_INFO, Measurement


def discover() -> None:
    for module in pkgutil.iter_modules(bench.__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"bench.{module.name}")


def table(rows: list[Measurement]) -> str:
    header = ("benchmark", "case", "n", "median µs", "p99 µs", "note")
    cells = [header] + [
        (r.benchmark, r.case, str(r.n), f"{r.median_us:,.2f}", f"{r.p99_us:,.2f}", r.note) for r in rows
    ]
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
    right = {2, 3, 4}
    lines = []
    for index, row in enumerate(cells):
        lines.append("  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths,
                                                                                                       strict=True))))
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


async def run(names: list[str], options: argparse.Namespace) -> list[Measurement]:
    rows: list[Measurement] = []
    for name in names:
        result = BENCHMARKS[name].run(options)
        rows += await result if inspect.isawaitable(result) else result
    return rows


def machine() -> dict[str, object]:
    """What the figures depend on: the processor, its cores, the load while running, the code's commit."""
    import os
    import subprocess

    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                check=False).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "bench", "core", "plugins", "tenants"],
                               capture_output=True, text=True, check=False).stdout.strip()
        commit += "+changes" if dirty else ""
    except OSError:
        commit = ""
    return {"cpu_count": os.cpu_count(), "cpu_model": model, "python": sys.version.split()[0],
            "machine": platform.machine(), "git_commit": commit,
            "load_average": [round(x, 2) for x in os.getloadavg()]}


def main(argv: list[str] | None = None) -> int:
    discover()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: all): {', '.join(sorted(BENCHMARKS))}")
    parser.add_argument("--quick", action="store_true", help="fewer iterations (a smoke run)")
    parser.add_argument("--out", default="var/bench", help="directory for the JSON results")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--seconds", type=float, help="http: seconds per load (default 10, --quick 3)")
    parser.add_argument("--workers", type=int, action="append",
                        help="http: worker counts to serve with (default: 1 and 2; repeat the option)")
    parser.add_argument("--loads-only", action="store_true",
                        help="http: only the loads (no access-check and import rows, e.g. for A/B runs)")
    parser.add_argument("--profile", action="store_true",
                        help="http: also sample the workers with py-spy during one more household load")
    options = parser.parse_args(argv)
    if options.list:
        for name, item in sorted(BENCHMARKS.items()):
            print(f"{name:<16} {item.description}")
        return 0
    unknown = [n for n in options.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(sorted(BENCHMARKS))}")
    names = options.names or sorted(BENCHMARKS)
    started = time.time()
    before = machine()
    rows = asyncio.run(run(names, options))
    after = machine()
    print(table(rows))
    print(f"\nmachine: {before['cpu_count']} × {before['cpu_model']}, Python {before['python']}"
          + (f", PostgreSQL {RUN_INFO['postgres']}" if "postgres" in RUN_INFO else "")
          + f"; commit {before['git_commit']}; load average {before['load_average']} before, "
          f"{after['load_average']} after")
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(started))
    document = {
        "started": stamp, "seconds": round(time.time() - started, 1), "python": sys.version.split()[0],
        "machine": platform.machine(), "processor": platform.processor() or platform.machine(),
        "benchmarks": names, "machine_info": before, "load_average_after": after["load_average"],
        "run_info": RUN_INFO, "results": [r.as_dict() for r in rows],
    }
    text = json.dumps(document, ensure_ascii=False, indent=1)
    (out / f"{'-'.join(names)}-{stamp}.json").write_text(text)
    (out / "latest.json").write_text(text)
    print(f"\nwritten: {out / 'latest.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
