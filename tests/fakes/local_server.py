"""Servers under test as real processes on 127.0.0.1: a free port, an environment without real
tokens, and a start that returns once ``/healthz`` answers.

Why one module: the Slack and WeCom tests, the scheduler and crash tests and the benchmark all
start ``esignbot serve`` (the benchmark its bare apps too) as a process on a loopback port;
starting and stopping it one way (:func:`start_serve`, :func:`serving`) means a change to how
``serve`` starts is made, and tested, once.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

OUR_SETTINGS = ("ESIGNBOT_", "SLACK_", "WECOM_")
"""Prefixes of every setting that could point a server at a real workspace or API."""


def free_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(keep: Collection[str] = (), **extra: str) -> dict[str, str]:
    """This environment without any of our settings (except those in ``keep``), plus ``extra``:
    a token on the developer's machine must never reach a server under test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(OUR_SETTINGS) or k in keep}
    env.update(PYTHONIOENCODING="utf-8", **extra)
    return env


def start_http(args: Sequence[str], env: dict[str, str], cwd: Path, *, log: Path | None = None,
               timeout_s: float = 60) -> tuple[subprocess.Popen[str], str]:
    """Start ``python <args> --host 127.0.0.1 --port <free>``; return it and its base URL once
    ``/healthz`` answers 200.

    With ``log`` its stdout and stderr go to that file; without, stdout is dropped and stderr
    is piped (text) for the caller to read — look for a traceback there after stopping it."""
    port = free_port()
    command = [sys.executable, *args, "--host", "127.0.0.1", "--port", str(port)]
    if log is not None:
        with log.open("wb") as out:
            proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                    text=True, encoding="utf-8")
    else:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, encoding="utf-8")
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    while proc.poll() is None:
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return proc, base
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            break
        time.sleep(0.1)
    if log is None:
        output = proc.communicate()[1]
    else:
        proc.wait()
        output = log.read_text(encoding="utf-8", errors="replace")
    raise RuntimeError(f"{' '.join(args)} did not become healthy (exit {proc.returncode}):\n{output}")


@dataclass
class Serve:
    """``esignbot serve`` running as a process on 127.0.0.1, everything it prints in ``log``."""

    proc: subprocess.Popen[str]
    base: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout_s: float = 60) -> str:
        """SIGTERM (``serve`` drains its background work first), SIGKILL if it has not ended
        within ``timeout_s``; returns everything it printed."""
        stop_process(self.proc, timeout_s)
        return self.output()


def stop_process(proc: subprocess.Popen[Any], timeout_s: float = 60) -> None:
    """SIGTERM, as a service manager stops a process; SIGKILL if it has not ended in time."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def start_serve(db: Path, env: dict[str, str], *, log: Path | None = None,
                cwd: Path | None = None, args: Sequence[str] = ()) -> Serve:
    """Start ``esignbot serve --db <db> [args]`` in ``cwd`` (default: ``db``'s folder), its
    output in ``log`` (default ``serve.log`` there); returns once ``/healthz`` answers."""
    cwd = cwd or db.parent
    log = log or cwd / "serve.log"
    proc, base = start_http(["-m", "bot.cli", "serve", "--db", str(db), *args], env, cwd, log=log)
    return Serve(proc, base, log)


@contextmanager
def serving(db: Path, env: dict[str, str], *, log: Path | None = None,
            args: Sequence[str] = ()) -> Iterator[Serve]:
    """:func:`start_serve`, stopped at the end; a traceback in its output fails the test."""
    server = start_serve(db, env, log=log, args=args)
    try:
        yield server
    finally:
        output = server.stop()
    assert "Traceback" not in output, output
