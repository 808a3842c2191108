"""Bounded state (issue 17, part 9): processed event ids are pruned by the scheduler once past
their retention, far beyond every platform's retries, while a replay inside it is still
dropped; the display-name cache never holds more than its limit, forgetting the least recently
used first."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from bot.names import NameCache
from bot.scheduler import EVENT_RETENTION, PRUNE_BATCH, PRUNE_EVERY, Scheduler
from tests.conftest import Chat


def event_ids(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {row[0] for row in conn.execute("SELECT event_id FROM events")}


def test_event_ids_past_the_retention_are_pruned_and_a_replay_inside_it_is_dropped(tmp_path: Path) -> None:
    db = tmp_path / "esignbot.db"
    chat = Chat(db)
    assert chat.send("start", event_id="ev-old")
    chat.clock.now += EVENT_RETENTION + timedelta(minutes=5)
    assert chat.send("status", event_id="ev-recent")
    Scheduler(chat.store, clock=chat.clock).tick()
    assert event_ids(db) == {"ev-recent"}
    assert chat.send("status", event_id="ev-recent") == []  # a retry within the retention
    assert chat.send("status", event_id="ev-old")  # forgotten: a week later it is new input


def test_pruning_runs_at_most_hourly_and_in_batches(tmp_path: Path) -> None:
    db = tmp_path / "esignbot.db"
    chat = Chat(db)
    chat.send("start")
    old = (chat.clock.now - EVENT_RETENTION - timedelta(days=1)).isoformat(timespec="seconds")
    count = PRUNE_BATCH * 2 + 17  # more than one batch
    with sqlite3.connect(db) as conn:
        conn.executemany("INSERT INTO events (event_id, at) VALUES (?, ?)",
                         [(f"ev-{i}", old) for i in range(count)])
    scheduler = Scheduler(chat.store, clock=chat.clock)
    scheduler.tick()
    assert event_ids(db) == set()
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO events (event_id, at) VALUES ('ev-late', ?)", [old])
    scheduler.tick()  # within the hour: not looked at again
    assert event_ids(db) == {"ev-late"}
    chat.clock.now += PRUNE_EVERY
    scheduler.tick()
    assert event_ids(db) == set()


def test_the_name_cache_never_holds_more_than_its_limit() -> None:
    now = [0.0]
    cache = NameCache(max_entries=3, clock=lambda: now[0])
    for i in range(1000):
        cache.remember(f"U{i}", f"Person {i}")
        assert len(cache) <= 3
    assert [cache.get(f"U{i}") for i in (996, 997, 998, 999)] == [None, "Person 997", "Person 998",
                                                                  "Person 999"]
    cache.get("U997")  # used: now the most recent
    cache.remember("U1000", None)  # a failed lookup takes a place too
    assert len(cache) == 3 and cache.get("U998") is None and cache.get("U997") == "Person 997"
    now[0] += 3601  # an expired entry is dropped when met
    assert cache.get("U997") is None and len(cache) == 2
