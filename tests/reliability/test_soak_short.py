"""The soak in miniature (20 clients for 5 s against uvicorn), inside ``make test``; ``make soak`` runs the
full one (200 clients for 60 s). On PostgreSQL when ``WARDHUB_TEST_POSTGRES`` is set, else SQLite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_short_soak_ends_consistent():
    run = subprocess.run([sys.executable, "-m", "tests.reliability.soak", "--clients", "20", "--seconds", "5"],
                         cwd=ROOT, env=os.environ.copy(), capture_output=True, text=True, timeout=300)
    report = run.stdout
    assert run.returncode == 0, report + run.stderr[-3000:]
    assert "FAIL" not in report
    checks = [line for line in report.splitlines() if line.startswith("ok ")]
    assert len(checks) >= 9, report
    writes = next(line for line in report.splitlines() if line.startswith("writes:"))
    assert " 0 households registered" not in writes and " 0 corrections applied" not in writes, report
