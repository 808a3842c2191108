"""Messages nobody asked for, for the workers audit: cases whose review result is announced and
cases whose wait is overdue, written through the dialogue on a clock in the past, then counted
on the fake Slack API once ``serve --workers N`` has delivered them.

Why: with N processes on one file, each runs the scheduler; an announcement or a reminder sent
twice (or never) is the failure to catch, and it shows only in what reached Slack.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from bench.slack_load import TEAM
from handlers import Dialogue, Inbound
from handlers.reviews.workdays import SHANGHAI
from storage import CaseStore
from tests.fakes.slack_api import Call

STARTED = datetime(2025, 9, 30, 10, tzinfo=SHANGHAI)
"""When the seeded waits began: due 2025-10-11 (a make-up working day), so late on ..."""
SERVER_NOW = datetime(2025, 10, 13, 10, tzinfo=SHANGHAI)
"""... this Monday morning, when the server's clock says it is (``tests.fakes.process_clock``)."""

TO_TRANSFER_WAIT = ("start", "2", "2", "2")
"""Production, no verified account yet, transfer submitted: a bank-transfer wait opens."""
ANNOUNCED = "📣"
REMINDED = "⏰"


def seed(db: Path, announcements: int, reminders: int) -> dict[str, list[str]]:
    """Cases in ``db``: ``announcements`` with a result recorded (one 📣 each to deliver) and
    ``reminders`` with an overdue wait (one ⏰ each on :data:`SERVER_NOW`'s day). Returns the
    channels of each kind."""
    store = CaseStore(db)
    moment = [STARTED]

    def clock() -> datetime:
        moment[0] += timedelta(seconds=1)
        return moment[0]

    dialogue = Dialogue(store, clock=clock)

    def say(channel: str, text: str, user: str = "U0123ABCD") -> None:
        dialogue.handle(Inbound(platform="slack", conversation=f"slack:{TEAM}:{channel}",
                                user_id=user, user_name=user.lower(), text=text, private=False))

    channels: dict[str, list[str]] = {"announced": [], "reminded": []}
    try:
        for kind, count in (("announced", announcements), ("reminded", reminders)):
            for i in range(count):
                channel = f"C{kind[:3].upper()}{i:04d}"
                for line in TO_TRANSFER_WAIT:
                    say(channel, line)
                if kind == "announced":
                    say(channel, "review transfer approved", user="U0456EFGH")
                channels[kind].append(channel)
    finally:
        store.close()
    return channels


def outbox_settled(db: Path, expected: int) -> bool:
    """Every expected message is in the outbox and sent."""
    with sqlite3.connect(db) as conn:
        states = Counter(state for (state,) in conn.execute("SELECT state FROM outbox"))
    return states["sent"] >= expected and sum(states.values()) == states["sent"]


def count(calls: list[Call], channels: dict[str, list[str]]) -> dict[str, int]:
    """How many seeded channels got their message exactly once, not at all, or more than once."""
    marks: dict[str, Callable[[Call], bool]] = {
        "announced": lambda c: ANNOUNCED in c.text(), "reminded": lambda c: REMINDED in c.text()}
    posts = [c for c in calls if c.method == "chat.postMessage"]
    result: Counter[str] = Counter()
    for kind, mark in marks.items():
        per_channel = Counter(str(c.params.get("channel")) for c in posts if mark(c))
        for channel in channels[kind]:
            seen = per_channel[channel]
            result[f"{kind}_once"] += seen == 1
            result[f"{kind}_missing"] += seen == 0
            result[f"{kind}_twice_or_more"] += seen > 1
    return dict(result)
