"""The servers under test as real processes on 127.0.0.1, and what the kernel says about them.

Each target is started the same way (``uvicorn.run``, one worker, no access log), waited for on
``/healthz``, and stopped with SIGTERM so our server drains its background work before the
database is audited. Peak memory is ``VmHWM`` from ``/proc/<pid>/status``, read just before
the stop.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


KEPT_SETTINGS = frozenset({"ESIGNBOT_DB_SYNC"})
"""Settings that tune the server being measured (not tokens or endpoints): passed through."""


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any real tokens or endpoints of ours, plus ``extra``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ESIGNBOT_", "SLACK_", "WECOM_")) or k in KEPT_SETTINGS}
    env.update(PYTHONIOENCODING="utf-8", PYTHONPATH=str(REPO), **extra)
    return env


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM) in MiB; 0.0 where /proc does not tell."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    base: str
    log: Path

    def stop(self) -> float:
        """Stop gracefully; returns the peak RSS (MiB) read just before."""
        rss = peak_rss_mb(self.proc.pid)
        self.proc.terminate()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return rss

    def tracebacks(self) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return text if "Traceback" in text else ""


def start(args: list[str], env: dict[str, str], workdir: Path, name: str) -> Server:
    """Start ``python <args> --host 127.0.0.1 --port <free>`` and wait until it is healthy."""
    port = free_port()
    log = workdir / f"{name}.log"
    proc = subprocess.Popen([sys.executable, *args, "--host", "127.0.0.1", "--port", str(port)],
                            cwd=workdir, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited: {log.read_text(errors='replace')}")
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return Server(proc, base, log)
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"{name} did not become healthy: {log.read_text(errors='replace')}")
        time.sleep(0.1)


def start_esignbot(db: Path, env: dict[str, str], workdir: Path, name: str = "esignbot") -> Server:
    return start(["-m", "bot.cli", "serve", "--db", str(db)], env, workdir, name)


def start_bare(shape: str, env: dict[str, str], workdir: Path) -> Server:
    return start(["-m", "bench.bare_bolt", "--shape", shape], env, workdir, f"bare-{shape}")
