"""``/healthz``: whether every part of ``serve`` can do its job right now.

Why more than "the process answers": a server whose database has gone read-only, whose
scheduler has stopped or whose file-building child has died still answers HTTP, and still
acknowledges Slack and WeCom — and then loses the answer, never sends the reminder, or fails the
workbook. Each part that runs in the background has a probe (``bot.background``), and the
database is probed with a real committed write (``storage.health``), so a 200 means a turn could
be saved now.

A probe blocks (it writes to SQLite, or waits on the child process), so each runs in a worker
thread, all at once, each for at most :data:`PROBE_TIMEOUT_S`; a probe still running from an
earlier request is waited on again rather than started twice, so a stuck database cannot pile up
threads however often the check is polled.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from storage import CaseStore
from storage import health as store

log = logging.getLogger("esignbot.health")

Probe = Callable[[], dict[str, object]]
"""Blocking; returns at least ``{"ok": bool}``, with ``error`` saying what is wrong."""

PROBE_TIMEOUT_S = 3.0


def database_probe(db: CaseStore) -> Probe:
    """A committed write of the heartbeat row, through the same store (lock, connection, fsync)
    every turn uses; any error is the answer."""
    owner = f"{socket.gethostname()}:{os.getpid()}"

    def probe() -> dict[str, object]:
        with db.transaction() as tx:
            store.beat(tx, owner, datetime.now(UTC).isoformat(timespec="seconds"))
        return {"ok": True}

    return probe


def _guarded(name: str, probe: Probe) -> Callable[[], dict[str, object]]:
    def run() -> dict[str, object]:
        try:
            return probe()
        except Exception as problem:
            # The reason in the library's words (e.g. SQLite's "attempt to write a readonly
            # database"): no probe handles personal data, so none can be quoted.
            detail = f"{type(problem).__name__}: {problem}"[:300]
            log.warning("health check %s failed: %s", name, detail)
            return {"ok": False, "error": detail}
    return run


class HealthCheck:
    """The probes of one app, run together; see the module docstring."""

    def __init__(self, probes: Mapping[str, Probe], timeout_s: float = PROBE_TIMEOUT_S) -> None:
        self.probes = dict(probes)
        self.timeout_s = timeout_s
        self._running: dict[str, asyncio.Future[dict[str, object]]] = {}

    async def _one(self, name: str, probe: Probe) -> dict[str, object]:
        future = self._running.get(name)
        if future is None or future.done():
            future = asyncio.get_running_loop().run_in_executor(None, _guarded(name, probe))
            self._running[name] = future
        try:
            return await asyncio.wait_for(asyncio.shield(future), self.timeout_s)
        except TimeoutError:
            return {"ok": False, "error": f"no answer within {self.timeout_s:g} s"}

    async def run(self) -> tuple[bool, dict[str, Any]]:
        """(all passed, each probe's result by name)."""
        names = list(self.probes)
        results = await asyncio.gather(*(self._one(n, self.probes[n]) for n in names))
        checks = dict(zip(names, results, strict=True))
        return all(bool(r.get("ok")) for r in results), checks
