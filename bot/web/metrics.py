"""``/metrics``: what ``serve`` has done and what is waiting, in the Prometheus text format.

Why a registry per app and not prometheus-client's global one: two apps in one process (tests,
the benchmark's comparisons) must not add up each other's counts, and a registry that belongs to
the app goes away with it. Why here, in the shell: the engine only reports how a turn went (the
``status`` of its ``Outcome``) and the scheduler and mail watcher call back; none of them knows
that Prometheus exists.

Counted as it happens: turns by platform and status, the acknowledgement time of every request to
a platform's route (timed by ``bot.web.access_log``, to the response's last byte), messages given up
on, failed looks at the mailbox. Read from SQLite at each scrape (so they are true also for work
another process did on the same file): the outbox backlog and the open and due waits.

With ``serve --workers N`` every scrape reaches one worker, and counts kept in that worker's
memory made consecutive scrapes read 6, 4, 6, 4 after 10 turns — to Prometheus, a counter reset
at every other scrape. So the workers use prometheus-client's multiprocess mode: ``serve`` makes
a directory private to that run (``bot.web.workers.metrics_directory``) and names it in
``PROMETHEUS_MULTIPROC_DIR`` before the workers start; each worker's counts go to its own
memory-mapped file there, and a scrape (whichever worker takes it) adds up every file, those of
workers that have since died included, so a count never goes down while ``serve`` runs. The
gauges read from SQLite need no such mode (every worker reads the same file); the one gauge kept
per worker, :data:`WORKER_STARTED`, is ``liveall``: one series per live worker, named by its
process id, its file removed when the worker stops.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import values as metric_values
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

from handlers.dialogue import Outcome
from handlers.reviews.workdays import local_date
from handlers.shapes import Inbound
from storage import CaseStore, jobs, outbox
from storage import waits as store

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 3.0, 5.0, 10.0)
"""Seconds; 3 and 5 are Slack's and WeCom's deadlines, so a bucket says who was answered late."""
WAIT_KINDS = ("transfer", "realname", "app")
SHARED_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"
"""Where the workers of one ``serve --workers N`` keep their counts (set by ``serve`` itself)."""
WORKER_STARTED = "esignbot_worker_start_time_seconds"
_LIVE_FILE = re.compile(r"^gauge_live\w*_(\d+)\.db$")


def shared_directory() -> Path | None:
    """The multiprocess directory, when this process counts in it: ``PROMETHEUS_MULTIPROC_DIR``
    names a directory *and* prometheus-client chose its file-backed values at import (it reads
    the variable once, so a value set later would leave the counts in memory, unseen)."""
    named = os.environ.get(SHARED_DIRECTORY)
    if not named or not Path(named).is_dir():
        return None
    return Path(named) if getattr(metric_values.ValueClass, "_multiprocess", False) else None


def process_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (``kill`` with signal 0 sends nothing)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive, and not one of ours
        return True
    return True


def forget_dead_workers(directory: Path) -> None:
    """Remove the per-worker gauge files of workers that died without stopping (SIGKILL, the
    OOM killer; uvicorn's supervisor then starts another): otherwise each would stay a series.
    Counter files stay: what a dead worker counted still happened."""
    for path in directory.glob("gauge_live*_*.db"):
        found = _LIVE_FILE.match(path.name)
        if found and not process_alive(int(found.group(1))):
            mark_process_dead(int(found.group(1)), str(directory))  # type: ignore[no-untyped-call]


class _StoredGauges(Collector):
    """Gauges read from the database at scrape time, without the write lock (a snapshot)."""

    def __init__(self, store_: CaseStore, today: Callable[[], str]) -> None:
        self.store = store_
        self.today = today

    def collect(self) -> Iterator[Metric]:
        with self.store.snapshot() as tx:
            backlog = outbox.outbox_backlog(tx)
            unfinished = jobs.unfinished_jobs(tx)
            waits = store.open_waits_due(tx, self.today())
        yield GaugeMetricFamily("esignbot_outbox_backlog",
                                "Outbox messages not delivered yet and still to be tried.",
                                value=backlog)
        yield GaugeMetricFamily("esignbot_jobs_unfinished",
                                "Slow work left by turns (files, photos, email) not finished yet.",
                                value=unfinished)
        open_ = GaugeMetricFamily("esignbot_waits_open", "Open waits at Tencent, active cases.",
                                  labels=["kind"])
        due = GaugeMetricFamily("esignbot_waits_due",
                                "Open waits whose due date (Asia/Shanghai) is today or past.",
                                labels=["kind"])
        for kind in WAIT_KINDS:
            total, late = waits.get(kind, (0, 0))
            open_.add_metric([kind], total)
            due.add_metric([kind], late)
        yield open_
        yield due


class Metrics:
    """The counters and gauges of one ``serve`` app, in their own registry — or, in a worker of
    ``serve --workers N``, in the run's shared directory (see the module docstring)."""

    def __init__(self, db: CaseStore, today: Callable[[], str] | None = None) -> None:
        self.registry = CollectorRegistry()
        """What a scrape renders."""
        self.shared = shared_directory()
        # Shared: each value lives in this worker's file and is read back, with every other
        # worker's, by the collector below; registering it here as well would count it twice.
        own = None if self.shared is not None else self.registry
        if self.shared is not None:
            MultiProcessCollector(self.registry, path=str(self.shared))  # type: ignore[no-untyped-call]
        self.turns = Counter("esignbot_turns", "Inputs processed, by platform and how they went "
                             "(ok, refused, duplicate, failed).", ["platform", "status"],
                             registry=own)
        self.ack_seconds = Histogram("esignbot_ack_seconds",
                                     "Time to answer a platform's HTTP request (the "
                                     "acknowledgement), by platform.", ["platform"],
                                     buckets=ACK_BUCKETS, registry=own)
        self.give_ups = Counter("esignbot_outbox_given_up",
                                "Outbox messages given up on after their last attempt.",
                                registry=own)
        self.mailbox_faults = Counter("esignbot_mailbox_faults",
                                      "Failed looks at the mailbox, by kind.", ["kind"],
                                      registry=own)
        started = Gauge(WORKER_STARTED, "When each serving process started (Unix time), by its "
                        "process id; one series per live worker.", ["worker"], registry=own,
                        multiprocess_mode="liveall")
        started.labels(str(os.getpid())).set(time.time())
        self.registry.register(_StoredGauges(db, today or _today_in_shanghai))

    def close(self) -> None:
        """At the worker's shutdown: its per-worker gauge leaves the scrapes (its counts stay)."""
        if self.shared is not None:
            mark_process_dead(os.getpid(), str(self.shared))  # type: ignore[no-untyped-call]

    # -- the callbacks the app's parts are given ------------------------------------------
    def count_turn(self, inbound: Inbound, outcome: Outcome) -> None:
        self.turns.labels(inbound.platform, outcome.status).inc()

    def observe_ack(self, platform: str, seconds: float) -> None:
        self.ack_seconds.labels(platform).observe(seconds)

    def count_give_up(self) -> None:
        self.give_ups.inc()

    def count_mailbox_fault(self, kind: str) -> None:
        self.mailbox_faults.labels(kind).inc()

    def render(self) -> bytes:
        """The scrape's body (reads SQLite and the shared files: call it off the event loop)."""
        if self.shared is not None:
            forget_dead_workers(self.shared)
        return generate_latest(self.registry)


def _today_in_shanghai() -> str:
    return local_date(datetime.now(UTC)).isoformat()
