"""Where a served request's CPU goes: py-spy samples of the workers, summed by package and by stage.

``record(pids, seconds, path)`` samples processes with ``py-spy record --format raw`` (collapsed stacks,
idle time left out); ``summary(path)`` splits the samples

* by the package of the innermost frame (self time): our code, strawberry, graphql-core, SQLAlchemy,
  asyncpg, Litestar, uvicorn/h11, asyncio, the standard library…;
* by stage (inclusive time, a sample counted in the first stage found walking from the innermost frame
  outwards): the stages are named in :data:`STAGES`.

    python -m bench.pyspy var/bench/profile-….txt      # print the summary of a recorded file
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^():]+)(?::\d+)?\)$")
PACKAGES = (
    ("core/", "wardhub core"), ("plugins/", "wardhub plugins"), ("tenants/", "wardhub tenants"),
    ("strawberry/", "strawberry"), ("graphql/", "graphql-core"), ("sqlalchemy/", "sqlalchemy"),
    ("asyncpg/", "asyncpg"), ("litestar/", "litestar"), ("uvicorn/", "uvicorn"), ("h11/", "h11"),
    ("structlog/", "structlog"), ("msgspec/", "msgspec"), ("casbin/", "casbin"),
    ("prometheus_client/", "prometheus"), ("asyncio/", "asyncio"), ("json/", "json"),
)
# (stage, file fragment, function name): the first match from the innermost frame outwards wins.
STAGES = (
    ("asyncpg protocol / socket", "asyncpg/", None),
    ("SQLAlchemy: compile statement", "sqlalchemy/sql/", None),
    ("SQLAlchemy: ORM load rows", "sqlalchemy/orm/loading.py", None),
    ("SQLAlchemy: engine, pool, session", "sqlalchemy/", None),
    ("members → PersonNode (person_node)", "plugins/residents/schema.py", "person_node"),
    ("strawberry: resolve fields", "strawberry/", None),
    ("graphql-core: execute, complete values", "graphql/execution/", None),
    ("graphql-core: parse, validate", "graphql/", None),
    ("tenant resolution, auth (core/web)", "core/web/", None),
    ("access check (core/access)", "core/access/", None),
    ("gateway (core/graphql)", "core/graphql/", None),
    ("Litestar: routing, middleware, response", "litestar/", None),
    ("uvicorn + h11 HTTP", "uvicorn/", None),
    ("uvicorn + h11 HTTP", "h11/", None),
    ("prometheus metrics", "prometheus_client/", None),
    ("logging (structlog)", "structlog/", None),
    ("asyncio event loop", "asyncio/", None),
)


def record(pids: list[int], seconds: float, path: Path) -> list[Path]:
    """One raw file per process (``path`` with the pid added); empty if py-spy is missing or not allowed."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        return []
    outputs, running = [], []
    for pid in pids:
        out = path.with_name(f"{path.stem}-{pid}{path.suffix}")
        running.append(subprocess.Popen([spy, "record", "--pid", str(pid), "--duration", str(int(seconds)),
                                         "--format", "raw", "--rate", "200", "--output", str(out), "--nonblocking"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        outputs.append(out)
    for process in running:
        process.wait()
    return [o for o in outputs if o.exists()]


def _frames(stack: str) -> list[tuple[str, str]]:
    """(function, file) from the outermost frame in; files relative to site-packages or the repository
    (py-spy already shortens most of them so)."""
    found = []
    for part in stack.split(";"):
        match = FRAME.match(part.strip())
        if match is None:
            found.append((part.strip(), ""))
            continue
        file = match["file"]
        for root in ("site-packages/", str(ROOT) + "/"):
            if root in file:
                file = file.split(root, 1)[1]
        found.append((match["function"], file))
    return found


def _package(file: str) -> str:
    for fragment, name in PACKAGES:
        if file.startswith(fragment):
            return name
    return "python (stdlib/other)" if file else "native / unknown"


def _stage(frames: list[tuple[str, str]]) -> str:
    for function, file in reversed(frames):
        for stage, fragment, name in STAGES:
            if file.startswith(fragment) and (name is None or name == function):
                return stage
    return "other"


def summary(paths: list[Path]) -> dict[str, dict[str, float]]:
    """``{"by_package": {name: share}, "by_stage": {name: share}, "samples": n}``, shares of all samples."""
    packages: Counter[str] = Counter()
    stages: Counter[str] = Counter()
    total = 0
    for path in paths:
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            frames = _frames(stack)
            n = int(count)
            total += n
            packages[_package(frames[-1][1])] += n
            stages[_stage(frames)] += n
    share = lambda counter: {k: round(v / total, 4) for k, v in counter.most_common()}  # noqa: E731
    return {"samples": total, "by_package": share(packages) if total else {},
            "by_stage": share(stages) if total else {}}


def text(found: dict) -> str:
    lines = [f"{found['samples']} samples"]
    for key in ("by_stage", "by_package"):
        lines.append(f"{key.replace('_', ' ')}: " + ", ".join(f"{k} {v:.0%}" for k, v in found[key].items()))
    return "\n".join(lines)


if __name__ == "__main__":
    print(text(summary([Path(p) for p in sys.argv[1:]])))
