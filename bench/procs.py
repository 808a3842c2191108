"""The servers under test as real processes on 127.0.0.1, and what the kernel says about them.

Each target is started the same way (``uvicorn.run``, one worker, no access log), waited for on
``/healthz``, and stopped with SIGTERM so our server drains its background work before the
database is audited. Peak memory is ``VmHWM`` from ``/proc/<pid>/status``, read just before
the stop; CPU time is ``utime + stime`` from ``/proc/<pid>/stat``.
"""

from __future__ import annotations

import os
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


class Server(local_server.Serve):
    """A server under measurement: started and stopped as the tests do (``local_server``),
    with what the kernel says about its CPU and memory."""

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.proc.pid)

    def stop_measured(self) -> float:
        """Stop gracefully; returns the peak RSS (MiB) read just before."""
        rss = peak_rss_mb(self.proc.pid)
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


def start_esignbot(db: Path, env: dict[str, str], workdir: Path, name: str = "esignbot") -> Server:
    log = workdir / f"{name}.log"
    serve = local_server.start_serve(db, env, log=log, cwd=workdir)
    return Server(serve.proc, serve.base, log)


def start_bare(shape: str, env: dict[str, str], workdir: Path) -> Server:
    return start(["-m", "bench.bare_bolt", "--shape", shape], env, workdir, f"bare-{shape}")
