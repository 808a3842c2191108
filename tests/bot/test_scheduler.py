"""The scheduler on a clock the tests set: reminders once per working day, only in working hours
in Shanghai, never on a holiday, not again after a restart, once with two schedulers (threads or
processes) on one database; result notices delivered exactly once, failures retried."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.scheduler import Route, Scheduler, slack_mention
from handlers.reviews import workdays
from handlers.reviews.workdays import SHANGHAI
from handlers.shapes import Reply
from storage import CaseStore
from tests.conftest import REPO, Chat, FakeClock

TO_TRANSFER_WAIT = ["start", "2", "2", "2"]  # production, not verified, submitted


def shanghai(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@dataclass
class Recorder:
    """A route's sender that keeps what it was given, with the (test) time it arrived."""

    clock: FakeClock
    sent: list[tuple[str, str, datetime]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, conversation: str, replies: Sequence[Reply]) -> None:
        with self.lock:
            for reply in replies:
                self.sent.append((conversation, reply.text, self.clock.now.astimezone(SHANGHAI)))

    def texts(self, marker: str = "") -> list[str]:
        return [text for _, text, _ in self.sent if marker in text]

    def days(self, marker: str) -> list[date]:
        return [when.date() for _, text, when in self.sent if marker in text]


def open_wait(db: Path, started: datetime, conversation: str = "test:room", user: str = "alice",
              lines: Sequence[str] = TO_TRANSFER_WAIT) -> Chat:
    chat = Chat(db, conversation)
    chat.clock.now = started
    for line in lines:
        chat.send(line, user=user)
    return chat


def scheduler(db: Path, clock: FakeClock, recorder: Recorder | None, prefix: str = "test:") -> Scheduler:
    routes = [Route(prefix, recorder)] if recorder is not None else []
    return Scheduler(CaseStore(db), clock=clock, routes=routes)


def outbox_states(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT purpose, state FROM outbox WHERE purpose != 'reply'"
                            " ORDER BY id").fetchall()


def test_an_overdue_wait_reminds_once_each_working_day_in_working_hours(db: Path) -> None:
    # Submitted Thursday 25 September 2025: due Monday 29th (Sunday 28th is a make-up working
    # day). Overdue from the 30th, across the National Day holiday (1–8 October) and the
    # make-up working Saturday 11 October.
    open_wait(db, shanghai(2025, 9, 25, 10))
    clock = FakeClock(shanghai(2025, 9, 25))
    recorder = Recorder(clock)
    sched = scheduler(db, clock, recorder)
    while clock.now < shanghai(2025, 10, 16):
        sched.tick()
        clock.now += timedelta(minutes=30)
    reminded = recorder.days("⏰")
    assert reminded == [date(2025, 9, 30), date(2025, 10, 9), date(2025, 10, 10),
                        date(2025, 10, 11), date(2025, 10, 13), date(2025, 10, 14),
                        date(2025, 10, 15)]
    assert all(9 <= when.hour < 18 for _, text, when in recorder.sent if "⏰" in text)
    first = recorder.texts("⏰")[0]
    assert first.startswith("@alice ⏰") and "2025-09-29（周一）" in first
    assert "晚了 1 个工作日" in first and "e-contract@tencent.com" in first
    assert "晚了 2 个工作日" in recorder.texts("⏰")[1]  # 30 Sep and 9 Oct; the holiday is not counted
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT state, reminders FROM waits").fetchall() == [("overdue", 7)]


def test_no_reminder_at_night_or_before_nine_then_one_at_nine(db: Path) -> None:
    open_wait(db, shanghai(2025, 9, 30, 10))  # due Saturday 11 October
    clock = FakeClock(shanghai(2025, 10, 13, 20))
    recorder = Recorder(clock)
    sched = scheduler(db, clock, recorder)
    for moment in (shanghai(2025, 10, 11, 12), shanghai(2025, 10, 12, 10),  # due day, Sunday
                   shanghai(2025, 10, 13, 20), shanghai(2025, 10, 14, 3),
                   shanghai(2025, 10, 14, 8, 59)):
        clock.now = moment
        report = sched.tick()
        assert report.reminders == 0 and recorder.sent == [], moment
    clock.now = shanghai(2025, 10, 14, 9)
    assert sched.tick().reminders == 1 and len(recorder.texts("⏰")) == 1


def test_a_restart_does_not_remind_again_the_same_day(db: Path) -> None:
    open_wait(db, shanghai(2025, 9, 30, 10))
    clock = FakeClock(shanghai(2025, 10, 13, 9, 5))
    recorder = Recorder(clock)
    scheduler(db, clock, recorder).tick()
    assert len(recorder.texts("⏰")) == 1
    for hour in (10, 14, 17):  # the process restarts several times that day
        clock.now = shanghai(2025, 10, 13, hour)
        report = scheduler(db, clock, recorder).tick()
        assert report.reminders == 0 and report.delivered == 0
    clock.now = shanghai(2025, 10, 14, 9, 30)
    scheduler(db, clock, recorder).tick()
    assert recorder.days("⏰") == [date(2025, 10, 13), date(2025, 10, 14)]


def test_a_reminder_written_while_nobody_serves_the_conversation_is_delivered_later(db: Path) -> None:
    open_wait(db, shanghai(2025, 9, 30, 10))
    clock = FakeClock(shanghai(2025, 10, 13, 9, 5))
    assert scheduler(db, clock, None).tick().reminders == 1  # e.g. only the console is running
    assert outbox_states(db) == [("reminder", "pending")]
    recorder = Recorder(clock)
    clock.now = shanghai(2025, 10, 13, 11)
    report = scheduler(db, clock, recorder).tick()
    assert report.delivered == 1 and report.reminders == 0
    assert outbox_states(db) == [("reminder", "sent")]


def test_a_stale_reminder_is_dropped_once_the_result_is_in(db: Path) -> None:
    chat = open_wait(db, shanghai(2025, 9, 30, 10))
    clock = FakeClock(shanghai(2025, 10, 13, 9, 5))
    scheduler(db, clock, None).tick()
    chat.clock.now = shanghai(2025, 10, 13, 10)
    chat.send("review transfer approved")
    recorder = Recorder(clock)
    clock.now = shanghai(2025, 10, 13, 10, 30)
    scheduler(db, clock, recorder).tick()
    assert recorder.texts("⏰") == [] and len(recorder.texts("📣")) == 1
    assert outbox_states(db) == [("reminder", "skipped"), ("result", "sent")]


def test_approval_and_rejection_notices_arrive_once(db: Path) -> None:
    first = open_wait(db, shanghai(2025, 9, 30, 10), "test:a")
    second = open_wait(db, shanghai(2025, 9, 30, 10), "test:b", user="U0123ABCD")
    first.clock.now = second.clock.now = shanghai(2025, 10, 9, 15)
    first.send("review transfer approved", user="bob")
    second.send("审核 transfer rejected 两次金额输错", user="bob")
    clock = FakeClock(shanghai(2025, 10, 9, 15, 1))
    recorder = Recorder(clock)
    for _ in range(3):
        scheduler(db, clock, recorder).tick()  # the same pass, and restarts
    assert [(c, t.split("\n")[0]) for c, t, _ in recorder.sent] == [
        ("test:a", "@alice 📣 对公打款认证已完成（bob 于 2025-10-09 15:00 记录）。"),
        ("test:b", "@U0123ABCD 📣 对公打款认证没有通过（bob 于 2025-10-09 15:00 记录）。"),
    ]
    assert "原因：两次金额输错" in recorder.sent[1][1] and "重新提交" in recorder.sent[1][1]
    assert outbox_states(db) == [("result", "sent"), ("result", "sent")]


def test_a_slack_conversation_mentions_the_case_starter_the_slack_way(db: Path) -> None:
    chat = open_wait(db, shanghai(2025, 9, 30, 10), "slack:T1:C42", user="U0123ABCD")
    chat.send("review transfer approved")
    clock = FakeClock(shanghai(2025, 9, 30, 11))
    recorder = Recorder(clock)
    Scheduler(CaseStore(db), clock=clock, routes=[Route("slack:", recorder, slack_mention)]).tick()
    [(conversation, text, _)] = recorder.sent
    assert conversation == "slack:T1:C42" and text.startswith("<@U0123ABCD> 📣")


def test_a_failed_send_is_retried_later_and_then_delivered_once(db: Path) -> None:
    chat = open_wait(db, shanghai(2025, 9, 30, 10))
    chat.send("review transfer approved")
    clock = FakeClock(shanghai(2025, 9, 30, 11))
    attempts: list[str] = []

    def flaky(conversation: str, replies: Sequence[Reply]) -> None:
        attempts.append(replies[0].text)
        if len(attempts) == 1:
            raise ConnectionError("platform unreachable")

    sched = Scheduler(CaseStore(db), clock=clock, routes=[Route("test:", flaky)])
    assert sched.tick().failed == 1
    assert sched.tick().delivered == 0  # not before the back-off
    clock.now += timedelta(minutes=2)
    assert sched.tick().delivered == 1
    clock.now += timedelta(hours=1)
    assert sched.tick().delivered == 0
    assert len(attempts) == 2 and outbox_states(db) == [("result", "sent")]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT attempts, last_error FROM outbox WHERE purpose != 'reply'")\
            .fetchall() == [(2, None)]


def test_a_message_that_never_goes_through_is_given_up_after_the_last_attempt(db: Path) -> None:
    chat = open_wait(db, shanghai(2025, 9, 30, 10))
    chat.send("review transfer approved")
    clock = FakeClock(shanghai(2025, 9, 30, 11))

    def broken(conversation: str, replies: Sequence[Reply]) -> None:
        raise ConnectionError("platform unreachable")

    sched = Scheduler(CaseStore(db), clock=clock, routes=[Route("test:", broken)], max_attempts=3)
    failures = 0
    for _ in range(10):
        failures += sched.tick().failed
        clock.now += timedelta(hours=2)
    assert failures == 3 and outbox_states(db) == [("result", "failed")]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT last_error FROM outbox WHERE purpose != 'reply'")\
            .fetchall() == [("ConnectionError",)]


def test_two_schedulers_in_two_threads_send_each_message_once(db: Path) -> None:
    chat = open_wait(db, shanghai(2025, 9, 30, 10))
    open_wait(db, shanghai(2025, 9, 30, 10), "test:other", user="carol")
    chat.clock.now = shanghai(2025, 10, 13, 8)
    chat.send("review transfer approved")  # one result for test:room; test:other stays late
    clock = FakeClock(shanghai(2025, 10, 13, 9))
    recorder = Recorder(clock)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            sched = scheduler(db, clock, recorder)
            for _ in range(15):
                barrier.wait(timeout=30)
                sched.tick()
        except BaseException as problem:  # surfaced by the assertion below
            errors.append(problem)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(recorder.texts("📣")) == 1
    assert [c for c, t, _ in recorder.sent if "⏰" in t] == ["test:other"]


def test_a_message_claimed_by_a_process_that_died_is_sent_again_after_the_lease(db: Path) -> None:
    chat = open_wait(db, shanghai(2025, 9, 30, 10))
    chat.send("review transfer approved")
    clock = FakeClock(shanghai(2025, 9, 30, 11))

    def dies(conversation: str, replies: Sequence[Reply]) -> None:
        raise SystemExit("the process is killed mid-send")  # not an Exception: nothing is given back

    dying = Scheduler(CaseStore(db), clock=clock, routes=[Route("test:", dies)],
                      lease=timedelta(minutes=5))
    with pytest.raises(SystemExit):
        dying.tick()
    assert outbox_states(db) == [("result", "sending")]
    recorder = Recorder(clock)
    clock.now += timedelta(minutes=4)
    assert scheduler(db, clock, recorder).tick().delivered == 0  # the claim still holds
    clock.now += timedelta(minutes=2)
    assert scheduler(db, clock, recorder).tick().delivered == 1
    assert len(recorder.texts("📣")) == 1 and outbox_states(db) == [("result", "sent")]


WORKER = """
import json, sys
from datetime import datetime, timedelta
from bot.scheduler import Route, Scheduler
from storage import CaseStore

db, out, *instants = sys.argv[1:]
store = CaseStore(db)
sent = []
route = Route("test:", lambda conversation, replies: sent.append([conversation, replies[0].text]))
for _ in range(20):
    for instant in instants:
        now = datetime.fromisoformat(instant)
        # Each process's clock jumps back and forth across a day, so a lease shorter than that
        # would look expired to the other process mid-send and it would (rightly) send again;
        # lease expiry has its own test, this one is about exclusive claims.
        Scheduler(store, clock=lambda: now, routes=[route], lease=timedelta(days=3)).tick()
with open(out, "w", encoding="utf-8") as handle:
    json.dump(sent, handle, ensure_ascii=False)
"""


def test_two_scheduler_processes_on_one_database_send_each_message_once(db: Path, tmp_path: Path) -> None:
    chat = open_wait(db, shanghai(2025, 9, 30, 10))
    open_wait(db, shanghai(2025, 9, 30, 10), "test:other", user="carol")
    chat.clock.now = shanghai(2025, 10, 13, 8)
    chat.send("review realname approved")  # not applicable: the case has no real-name route yet
    chat.send("review transfer approved")
    instants = [shanghai(2025, 10, 13, 9, 30).isoformat(), shanghai(2025, 10, 14, 10).isoformat()]
    outs = [tmp_path / "one.json", tmp_path / "two.json"]
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(db), str(out), *instants],
                              cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
             for out in outs]
    for proc in procs:
        output, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, output.decode()
    sent = [item for out in outs for item in json.loads(out.read_text(encoding="utf-8"))]
    assert sorted((c, t.split(" ")[1]) for c, t in sent) == [
        ("test:other", "⏰"), ("test:other", "⏰"), ("test:room", "📣")]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*), min(state), max(state) FROM outbox"
                            " WHERE purpose != 'reply'").fetchone() == (
            3, "sent", "sent")


def test_the_background_thread_ticks_until_stopped(db: Path) -> None:
    chat = open_wait(db, shanghai(2025, 9, 30, 10))
    chat.send("review transfer approved")
    clock = FakeClock(datetime(2025, 9, 30, 3, tzinfo=UTC))
    delivered = threading.Event()

    def send(conversation: str, replies: Sequence[Reply]) -> None:
        delivered.set()

    sched = Scheduler(CaseStore(db), clock=clock, routes=[Route("test:", send)], interval_s=0.05)
    sched.start()
    try:
        assert delivered.wait(timeout=30)
    finally:
        sched.stop()
    assert outbox_states(db) == [("result", "sent")]


def test_in_december_admins_hear_once_that_next_year_is_not_covered(db: Path) -> None:
    for conversation, user in (("test:admin-room", "alice"), ("test:team-room", "bob")):
        chat = Chat(db, conversation)
        chat.clock.now = shanghai(2026, 11, 20, 10)
        chat.send("start", user=user)
        chat.store.close()
    clock = FakeClock(shanghai(2026, 11, 30, 10))
    recorder = Recorder(clock)
    first = Scheduler(CaseStore(db), clock=clock, routes=[Route("test:", recorder)],
                      admins={"test:alice"})
    first.tick()
    assert recorder.texts("📅") == []  # November: nothing yet
    for day in (1, 1, 2, 15):
        clock.now = shanghai(2026, 12, day, 10)
        first.tick()
    restarted = Scheduler(CaseStore(db), clock=clock, routes=[Route("test:", recorder)],
                          admins={"test:alice"})
    restarted.tick()
    notices = [(conversation, text) for conversation, text, _ in recorder.sent if "📅" in text]
    assert len(notices) == 1 and notices[0][0] == "test:admin-room"  # once, and only to admins
    assert "2027" in notices[0][1] and "ESIGNBOT_HOLIDAYS" in notices[0][1]


def test_no_december_notice_when_the_operator_covers_next_year(db: Path) -> None:
    chat = Chat(db, "test:admin-room")
    chat.clock.now = shanghai(2026, 11, 20, 10)
    chat.send("start", user="alice")
    chat.store.close()
    workdays.use_operator_days(workdays.OperatorDays(frozenset({2027}), frozenset({date(2027, 1, 1)})))
    try:
        clock = FakeClock(shanghai(2026, 12, 1, 10))
        recorder = Recorder(clock)
        Scheduler(CaseStore(db), clock=clock, routes=[Route("test:", recorder)],
                  admins={"test:alice"}).tick()
    finally:
        workdays.use_operator_days(None)
    assert recorder.texts("📅") == []
