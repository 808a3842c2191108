"""``/healthz``: whether every part of ``serve`` can do its job right now (the load balancer's
question); ``/livez`` (``bot.web.server``): whether the process answers at all (the watchdog's).

Why more than "the process answers": a server whose database has gone read-only, whose disk is
full, whose scheduler has stopped or whose file-building child has died still answers HTTP, and
still acknowledges Slack and WeCom — and then loses the answer, never sends the reminder, or
fails the workbook. Each part that runs in the background has a probe (``bot.background``), and
the database is probed with room reserved on its disk and a real committed write
(``storage.health``), so a 200 means turns could be saved now, on every poll while that holds.

Why two endpoints: restarting a process does not empty a disk or repair a database, so a
watchdog (Docker's ``HEALTHCHECK``, systemd) that restarted on ``/healthz`` would restart
a server for ever while the disk is full and stop it answering ``status``; it asks ``/livez``,
which writes nothing and touches no file, and restarts only a process whose event loop no longer
answers. The load balancer asks ``/healthz`` and sends no traffic to a server that cannot keep
it. Neither shows a process id (they are in the log lines and in ``/metrics``): the body can be
read by whoever can reach the port, and an id says nothing about health.

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


class NoRoom(Exception):
    """The disk under the database cannot take :data:`storage.health.ROOM_BYTES` more."""


def database_probe(db: CaseStore) -> Probe:
    """Room on the database's disk (``storage.health.reserve_room``), then a committed write of
    the heartbeat row through the same store (lock, connection, fsync) every turn uses; any
    error is the answer."""
    owner = f"{socket.gethostname()}:{os.getpid()}"

    def probe() -> dict[str, object]:
        try:
            store.reserve_room(db.path.resolve().parent)
        except OSError as problem:
            raise NoRoom(f"no room for {store.ROOM_BYTES >> 20} MiB beside the database "
                         f"({type(problem).__name__}: {problem})") from problem
        with db.transaction() as tx:
            # To the microsecond: SQLite skips writing a row whose new content equals the old,
            # so a beat in the same second as the last committed nothing, and succeeded on a
            # full disk (the old check's 200 on some polls while every turn failed).
            store.beat(tx, owner, datetime.now(UTC).isoformat(timespec="microseconds"))
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
