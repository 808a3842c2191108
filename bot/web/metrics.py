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
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from handlers.dialogue import Outcome
from handlers.reviews.workdays import local_date
from handlers.shapes import Inbound
from storage import CaseStore
from storage import waits as store

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 3.0, 5.0, 10.0)
"""Seconds; 3 and 5 are Slack's and WeCom's deadlines, so a bucket says who was answered late."""
WAIT_KINDS = ("transfer", "realname", "app")


class _StoredGauges(Collector):
    """Gauges read from the database at scrape time, without the write lock (a snapshot)."""

    def __init__(self, store_: CaseStore, today: Callable[[], str]) -> None:
        self.store = store_
        self.today = today

    def collect(self) -> Iterator[Metric]:
        with self.store.snapshot() as tx:
            backlog = store.outbox_backlog(tx)
            waits = store.open_waits_due(tx, self.today())
        yield GaugeMetricFamily("esignbot_outbox_backlog",
                                "Outbox messages not delivered yet and still to be tried.",
                                value=backlog)
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
    """The counters and gauges of one ``serve`` app, in their own registry."""

    def __init__(self, db: CaseStore, today: Callable[[], str] | None = None) -> None:
        self.registry = CollectorRegistry()
        self.turns = Counter("esignbot_turns", "Inputs processed, by platform and how they went "
                             "(ok, refused, duplicate, failed).", ["platform", "status"],
                             registry=self.registry)
        self.ack_seconds = Histogram("esignbot_ack_seconds",
                                     "Time to answer a platform's HTTP request (the "
                                     "acknowledgement), by platform.", ["platform"],
                                     buckets=ACK_BUCKETS, registry=self.registry)
        self.give_ups = Counter("esignbot_outbox_given_up",
                                "Outbox messages given up on after their last attempt.",
                                registry=self.registry)
        self.mailbox_faults = Counter("esignbot_mailbox_faults",
                                      "Failed looks at the mailbox, by kind.", ["kind"],
                                      registry=self.registry)
        self.registry.register(_StoredGauges(db, today or _today_in_shanghai))

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
        """The scrape's body (reads SQLite: call it off the event loop)."""
        return generate_latest(self.registry)


def _today_in_shanghai() -> str:
    return local_date(datetime.now(UTC)).isoformat()
