"""Queued live replies (outbox purpose ``reply``) are delivered in the order they were written:
when one fails, nothing of its conversation overtakes it — not later in the same pass, not in
the passes before its retry — while other conversations go on; each reply goes out once."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, timedelta
from pathlib import Path

from bot.scheduler import Route, Scheduler
from handlers.shapes import Choice, Reply, reply_row
from storage import outbox
from tests.conftest import Chat, FakeClock


class Flaky:
    """A platform that refuses the next ``refuse`` sends, recording what went out."""

    def __init__(self, refuse: int) -> None:
        self.refuse = refuse
        self.sent: list[tuple[str, str, str]] = []
        self.lock = threading.Lock()

    def send(self, conversation: str, replies: Sequence[Reply]) -> None:
        raise AssertionError("a queued reply must go through send_for")

    def send_for(self, conversation: str, replies: Sequence[Reply], actor: str) -> None:
        with self.lock:
            if self.refuse > 0:
                self.refuse -= 1
                raise ConnectionError("rate limited")
            self.sent += [(conversation, reply.text, actor) for reply in replies]


def queue(chat: Chat, conversation: str, texts: list[str], clock: FakeClock) -> None:
    with chat.store.transaction() as tx:
        for i, text in enumerate(texts):
            reply = Reply(kind="question", text=text, step="s", choices=(Choice(value="1", label="one"),),
                          private=i == 0)
            outbox.add_message(tx, dedupe_key=f"reply:{conversation}:{text}", case_id=None,
                              wait_id=None, purpose="reply", conversation=conversation,
                              mention_user_id=None, mention_name=None, replies=[reply_row(reply)],
                              at=clock.now.astimezone(UTC).isoformat(timespec="seconds"),
                              actor="alice")


def test_a_failed_reply_holds_back_the_rest_of_its_conversation_only(tmp_path: Path) -> None:
    chat = Chat(tmp_path / "esignbot.db")
    clock = chat.clock
    queue(chat, "test:one", ["one-a", "one-b", "one-c"], clock)
    queue(chat, "test:two", ["two-a"], clock)
    platform = Flaky(refuse=1)
    scheduler = Scheduler(chat.store, clock=clock, routes=[
        Route("test:", platform.send, send_for=platform.send_for)])
    report = scheduler.tick()
    assert report.failed == 1 and platform.sent == [("test:two", "two-a", "alice")]
    scheduler.tick()  # before one-a's retry is due: one-b and one-c still wait behind it
    assert [text for _, text, _ in platform.sent] == ["two-a"]
    clock.now += timedelta(minutes=2)
    scheduler.tick()
    assert [text for _, text, _ in platform.sent] == ["two-a", "one-a", "one-b", "one-c"]
    scheduler.tick()
    assert len(platform.sent) == 4  # once each
    with chat.store.snapshot() as tx:
        assert outbox.outbox_backlog(tx) == 0
        rows = tx.db.execute("SELECT attempts FROM outbox WHERE conversation = 'test:one'"
                             " ORDER BY id").fetchall()
    assert [attempts for (attempts,) in rows] == [2, 1, 1]  # held back, not counted as tries


def test_a_queued_reply_keeps_its_buttons_and_privacy(tmp_path: Path) -> None:
    chat = Chat(tmp_path / "esignbot.db")
    queue(chat, "test:one", ["keep"], chat.clock)
    got: list[Reply] = []
    scheduler = Scheduler(chat.store, clock=chat.clock, routes=[
        Route("test:", lambda c, r: None, send_for=lambda c, r, a: got.extend(r))])
    scheduler.tick()
    assert got == [Reply(kind="question", text="keep", step="s",
                         choices=(Choice(value="1", label="one"),), private=True)]
