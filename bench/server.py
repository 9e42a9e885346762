"""The app as production runs it, for the ``http`` benchmark: ``wardhub serve`` in its own process group.

:class:`Served` starts the command with the given environment and worker count, times process start to
the first ``GET /health`` answered 200, reports each worker's resident memory and the CPU seconds the
and stops the processes it started (by their process group id, nothing else).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served:
    def __init__(self, env: dict[str, str], workers: int, port: int | None = None) -> None:
        self.env, self.workers, self.port = env, workers, port or free_port()
        self.process: subprocess.Popen | None = None
        self.startup_s = 0.0
        self.log = ROOT / "var" / "bench" / f"serve-{self.workers}w.log"

    def start(self, timeout: float = 60.0) -> float:
        """Start, wait for ``/health`` 200, return the seconds it took."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        command = [str(Path(sys.executable).with_name("wardhub")), "serve", "--host", "127.0.0.1",
                   "--port", str(self.port), "--workers", str(self.workers)]
        started = time.perf_counter()
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        url = f"http://127.0.0.1:{self.port}/health"
        while time.perf_counter() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"wardhub serve exited with {self.process.returncode}; see {self.log}")
            try:
                with urllib.request.urlopen(url, timeout=1) as answer:
                    if answer.status == 200:
                        self.startup_s = time.perf_counter() - started
                        if self.workers > 1:
                            self._wait_workers(timeout - self.startup_s)
                        return self.startup_s
            except OSError:
                pass
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"wardhub serve did not answer /health within {timeout:.0f} s; see {self.log}")

    def _wait_workers(self, timeout: float) -> None:
        """With several workers the first answer comes from the first one up: wait for the rest to listen."""
        deadline = time.perf_counter() + max(timeout, 5.0)
        while time.perf_counter() < deadline and len(self.worker_processes()) < self.workers:
            time.sleep(0.05)
        time.sleep(1.0)  # each worker runs its start-up hooks after forking

    def processes(self) -> list[psutil.Process]:
        if self.process is None:
            return []
        try:
            top = psutil.Process(self.process.pid)
            return [top, *top.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def worker_processes(self) -> list[psutil.Process]:
        """The processes that serve requests: the one process, or the children of uvicorn's supervisor
        (not its multiprocessing resource tracker)."""
        found = self.processes()
        if self.workers == 1:
            return found[:1]
        return [p for p in found[1:] if "resource_tracker" not in " ".join(_cmdline(p))]

    def rss_mb(self) -> list[float]:
        return [round(p.memory_info().rss / 2**20, 1) for p in self.worker_processes()]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []
