"""The servers under test as real processes on 127.0.0.1, and what the kernel says about them.

Each target is started the same way (``uvicorn.run``, one worker, no access log), waited for on
``/healthz``, and stopped with SIGTERM so our server drains its background work before the
database is audited. Peak memory is ``VmHWM`` from ``/proc/<pid>/status``, read just before
the stop; CPU time is ``utime + stime`` from ``/proc/<pid>/stat``.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

from tests.fakes import local_server

REPO = Path(__file__).resolve().parents[1]

KEPT_SETTINGS = frozenset({"ESIGNBOT_DB_SYNC"})
"""Settings that tune the server being measured (not tokens or endpoints): passed through."""


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any real tokens or endpoints of ours, plus ``extra``."""
    return local_server.clean_env(KEPT_SETTINGS, PYTHONPATH=str(REPO), **extra)


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM) in MiB; 0.0 where /proc does not tell."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far (its children not included)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (``serve --workers N``: its workers), from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return sorted(found)


def worker_pids(pid: int) -> list[int]:
    """The uvicorn workers of ``serve --workers N`` running as ``pid``: its children but
    multiprocessing's resource tracker (a helper that spends no CPU on requests)."""
    workers = []
    for child in children(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"resource_tracker" not in command:
            workers.append(child)
    return workers


class Server(local_server.Serve):
    """A server under measurement: started and stopped as the tests do (``local_server``),
    with what the kernel says about its CPU and memory.

    With ``workers`` > 1 the measured processes are the supervisor and its workers (each
    worker's own file-building child is left out, as it is for one process)."""

    workers: int = 1

    def pids(self) -> list[int]:
        return [self.proc.pid, *(worker_pids(self.proc.pid) if self.workers > 1 else [])]

    def cpu_seconds(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.pids())

    def peak_rss_by_process(self) -> list[float]:
        return [peak_rss_mb(pid) for pid in self.pids()]

    def stop_measured(self) -> float:
        """Stop gracefully; returns the peak RSS (MiB) read just before: of the one process, or
        with workers of the largest worker (each is a whole server; the supervisor is small)."""
        rss = max(self.peak_rss_by_process())
        self.stop()
        return rss

    def tracebacks(self) -> str:
        text = self.output()
        return text if "Traceback" in text else ""


def start(args: list[str], env: dict[str, str], workdir: Path, name: str) -> Server:
    """Start ``python <args>`` on a free loopback port, its output in ``<name>.log``."""
    log = workdir / f"{name}.log"
    proc, base = local_server.start_http(args, env, workdir, log=log)
    return Server(proc, base, log)


def start_esignbot(db: Path, env: dict[str, str], workdir: Path, name: str = "esignbot",
                   workers: int = 1) -> Server:
    log = workdir / f"{name}.log"
    serve = local_server.start_serve(db, env, log=log, cwd=workdir,
                                     args=["--workers", str(workers)] if workers > 1 else [])
    server = Server(serve.proc, serve.base, log)
    server.workers = workers
    return server


def start_bare(shape: str, env: dict[str, str], workdir: Path) -> Server:
    return start(["-m", "bench.bare_bolt", "--shape", shape], env, workdir, f"bare-{shape}")


def started_workers(log: str) -> list[int]:
    """The process ids of the workers whose lifespan has started, from ``serve``'s output: each
    worker's "Application startup complete" line names it (``uvicorn.error[4242]:`` in text,
    ``"worker": 4242`` in JSON; bot/logs.py). ``/healthz`` no longer shows process ids."""
    found: set[int] = set()
    for line in log.splitlines():
        if "Application startup complete" not in line:
            continue
        named = re.search(r"\[(\d+)\]: Application startup complete", line)
        if named:
            found.add(int(named.group(1)))
        elif line.startswith("{"):
            try:
                found.add(int(json.loads(line)["worker"]))
            except (ValueError, KeyError, TypeError):
                continue
    return sorted(found)


def wait_for_workers(server: Server, timeout_s: float = 60) -> list[int]:
    """The pids of ``server``'s workers once all of them have started and the port answers
    ``/livez``, so a measured run never starts with one worker still loading."""
    import httpx

    deadline = time.monotonic() + timeout_s
    seen: list[int] = []
    for _ in range(int(timeout_s * 20)):
        seen = started_workers(server.output())
        if (len(seen) >= server.workers
                and httpx.get(server.base + "/livez", timeout=5).status_code == 200):
            break
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    return seen
