"""The files' slow work as jobs (issue 27): each kind's payload, and its runner run from that
payload alone by another process after the one that wrote it died.

How a death is played here, in one process: the turn is committed by one ``Dialogue`` (its job
written, claimed by it) and that dialogue never runs the job; a second ``Dialogue`` on the same
file — another process: its own owner — claims the job once the lease has run out, as the
delivery runtime does, and runs it. A job whose closure lived in the first one's memory could
only say "interrupted" there; a job of data builds, previews, sends or reads.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from handlers import Dialogue, Inbound, InboundFile, Reply
from handlers.files import commands as files
from handlers.files import licence_check
from handlers.jobs import JobContext, runners
from handlers.services import OutgoingEmail, PackageImage, Services
from handlers.shapes import OutFile
from storage import CaseStore
from storage.jobs import JobRecord, claim_job
from tests.conftest import FakeClock, png_bytes, write_lock_free

STAGE_1 = ["2", "1", "100016315204", "腾讯科技（深圳）有限公司"]
STAGE_3 = ["2", "合同助手", "微信小程序", "在线签署劳动合同的小程序"]  # then the whitelist
ONLINE_APPROVED = ["1", "3"]
OFFLINE = ["2", "1", "9144030071526726XG", "张三", "李四", "13812345678", "ops@example.com"]
PHOTO = png_bytes(3, 2)
LATER = "2999-01-01T00:00:00+00:00"
"""A moment after every lease: a job still claimed then was left by a process that died."""


class Died(BaseException):
    """A process ending in the middle of a job (SIGKILL): nothing after it runs, no ``except
    Exception`` catches it, the job is never marked done."""


@dataclass
class Mailbox:
    """A mailer that keeps what it sent; ``die`` ends the process right after the server
    accepted the message (before anything is recorded)."""

    sent: list[OutgoingEmail] = field(default_factory=list)
    die: bool = False

    @property
    def sender(self) -> str:
        return "bot@example.com"

    def send(self, email: OutgoingEmail) -> str:
        self.sent.append(email)
        if self.die:
            raise Died
        return f"<m{len(self.sent)}@example.com>"


class Builder:
    """Builds "files" that show what they were built from (the answers, the images), and
    counts its builds by the day each was built for; with ``db``, notes at each build whether
    another connection could take SQLite's write lock (it cannot while a transaction is open:
    openpyxl inside one held up every other team, see docs/benchmark.md)."""

    def __init__(self) -> None:
        self.days: list[date] = []
        self.db: Path | None = None
        self.lock_free: list[bool] = []

    def _note(self, today: date) -> None:
        self.days.append(today)
        if self.db is None:
            return
        self.lock_free.append(write_lock_free(self.db))

    def application_workbook(self, answers: Mapping[str, Any], today: date) -> OutFile:
        self._note(today)
        return OutFile(name=f"{answers['enterprise_name']}-电子签应用号申请-{today:%Y%m%d}.xlsx",
                       content=json.dumps(dict(answers), ensure_ascii=False).encode(),
                       mime="application/json")

    def materials_package(self, answers: Mapping[str, Any], images: Sequence[PackageImage],
                          today: date) -> OutFile:
        self._note(today)
        return OutFile(name=f"{answers['enterprise_name']}-补充实名认证材料-{today:%Y%m%d}.zip",
                       content=b"".join(image.data for image in images), mime="application/zip")


class Reader(Builder):
    """... and a licence reader that "reads" a known licence from the bytes it is given (kept,
    to prove they came from the store)."""

    def __init__(self) -> None:
        super().__init__()
        self.photos: list[bytes] = []

    def licence_reading(self) -> bool:
        return True

    def read_licence(self, image: bytes) -> list[str] | None:
        self.photos.append(image)
        return ["营业执照", "统一社会信用代码 9144030071526726XG", "名称 腾讯科技（深圳）有限公司",
                "法定代表人 马化腾"]


class Room:
    """One conversation over one file, as two processes see it: ``first`` commits the turns,
    ``second`` takes over what the first left."""

    def __init__(self, db: Path, services: Services, *, private: bool = True) -> None:
        self.store = CaseStore(db)
        self.db = db
        self.private = private
        self.first = Dialogue(self.store, clock=FakeClock(), services=services)
        self.second = Dialogue(self.store, clock=FakeClock(), services=services)

    def inbound(self, text: str = "", *, user: str = "alice",
                file: InboundFile | None = None) -> Inbound:
        return Inbound(platform="test", conversation="test:room", user_id=user, user_name=user,
                       text=text, file=file, private=self.private)

    def send(self, text: str = "", **kwargs: Any) -> list[Reply]:
        return self.first.handle(self.inbound(text, **kwargs))

    def leave(self, text: str = "", **kwargs: Any) -> list[JobRecord]:
        """The turn committed (acknowledged), then its process died: its jobs, unrun."""
        outcome = self.first.process(self.inbound(text, **kwargs))
        assert outcome.jobs
        return outcome.jobs

    def take_over(self) -> list[Reply]:
        """The second process, after the lease: every job left, claimed and run in order."""
        said: list[Reply] = []
        while True:
            with self.store.transaction() as tx:
                job = claim_job(tx, owner=self.second.owner, now=LATER, lease_until=LATER + "Z")
            if job is None:
                return said
            replies, _ = self.second.run_job(job)
            said += replies

    def queued(self) -> list[dict[str, Any]]:
        """Every reply queued in the outbox, in order."""
        with sqlite3.connect(self.db) as conn:
            rows = conn.execute("SELECT replies FROM outbox ORDER BY id").fetchall()
        return [reply for (replies,) in rows for reply in json.loads(replies)]

    def pending(self) -> str | None:
        with self.store.transaction() as tx:
            case = tx.active_case("test:room")
            return case.pending_confirm if case else "no case"

    def history(self, kind: str) -> list[Any]:
        with sqlite3.connect(self.db) as conn:
            rows = conn.execute("SELECT value FROM history WHERE kind = ? ORDER BY id", [kind])
            return [json.loads(value) for (value,) in rows]


@pytest.fixture
def builder() -> Builder:
    return Builder()


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


@pytest.fixture
def stage_3(db: Path, builder: Builder, mailbox: Mailbox) -> Iterator[Room]:
    """A production case with stage 3 answered up to its whitelist question, with a mailer."""
    room = Room(db, Services(files=builder, mailer=mailbox))
    for line in ["start", *STAGE_1, *ONLINE_APPROVED, *STAGE_3]:
        room.send(line)
    yield room
    room.store.close()


@pytest.fixture
def done(stage_3: Room, builder: Builder) -> Room:
    """... and answered: the workbook was offered (and handed over) by the first process."""
    assert any(r.kind == "file" for r in stage_3.send("5, 10"))
    builder.days.clear()
    return stage_3


def payload_text(job: JobRecord) -> str:
    return json.dumps(job.payload, ensure_ascii=False)


# -- files.hand_over ------------------------------------------------------------------------
def test_an_excel_left_by_a_dead_process_is_built_by_the_next_and_handed_over_once(
        done: Room, builder: Builder) -> None:
    [job] = done.leave("excel")
    assert builder.days == []  # nothing built in the turn, nor by the process that died
    before = len(done.queued())
    [handed] = done.take_over()
    assert handed.kind == "file" and handed.file is not None
    assert handed.file.name == "腾讯科技（深圳）有限公司-电子签应用号申请-20260302-案例1-正式.xlsx"
    assert "也可以输入「邮件」" in handed.text
    assert builder.days == [date(2026, 3, 2)]
    assert [r["file"]["name"] for r in done.queued()[before:] if r.get("file")] \
        == [handed.file.name]  # queued once, with the job's end
    # The process that died, were it to wake and finish the job, would say nothing.
    assert done.first.run_job(job) == ([], None)
    assert done.take_over() == []
    # What was written down: which file, for which day, under which tag; no answer.
    assert job.kind == "files.hand_over"
    assert job.payload == {"file": "workbook", "text": "files.workbook_ready", "private": False,
                           "tag": "案例1-正式", "day": "2026-03-02", "hint": True}


def test_the_offer_left_by_a_dead_process_still_ends_with_the_next_question(
        stage_3: Room, builder: Builder) -> None:
    [job] = stage_3.leave("5, 10")
    replies = stage_3.take_over()
    assert replies[0].kind == "file" and replies[-1].kind == "question"
    assert [r.kind for r in replies].count("file") == 1
    assert "第 3 步的信息齐了" in replies[0].text
    assert builder.days == [date(2026, 3, 2)]
    assert job.payload["text"] == "files.workbook_offered" and job.payload["then"]


def test_the_workbook_is_built_from_the_answers_stored_when_it_runs(done: Room) -> None:
    done.leave("excel")
    done.send("edit app_name 签约通")  # committed while the job waited for its lease
    [handed] = done.take_over()
    assert handed.file is not None and json.loads(handed.file.content)["app_name"] == "签约通"


@pytest.fixture
def offline(db: Path, builder: Builder) -> Iterator[Room]:
    """An offline enterprise case in a group chat, every material given by alice."""
    room = Room(db, Services(files=builder), private=False)
    for line in ["start", *STAGE_1, *OFFLINE]:
        room.send(line)
    room.send(file=InboundFile(name="licence.png", content=PHOTO))
    yield room
    room.store.close()


def test_the_materials_left_by_a_dead_process_are_packed_from_the_stored_photo(
        offline: Room) -> None:
    [job] = offline.leave("materials")
    [handed] = offline.take_over()
    assert handed.private and handed.file is not None and handed.file.name.endswith(".zip")
    assert handed.file.content == PHOTO  # the package was built with the stored photo
    assert job.payload == {"file": "materials", "text": "files.materials_ready", "private": True,
                           "tag": "案例1-正式", "day": "2026-03-02", "hint": False,
                           "asked": {"platform": "test", "private": False}}
    assert "13812345678" not in payload_text(job)  # no personal data written down


def test_who_may_receive_the_materials_is_checked_again_when_they_are_packed(
        offline: Room) -> None:
    offline.leave("materials")
    offline.send("edit contact_phone 13900000000", user="bob")  # now bob's personal data
    [refused] = offline.take_over()
    assert refused.kind == "error" and refused.private and refused.file is None
    assert "bob" in refused.text


# -- files.email_preview / files.email_by_hand / files.email_send ----------------------------
def test_the_preview_left_by_a_dead_process_opens_the_confirmation_when_shown(
        done: Room, mailbox: Mailbox) -> None:
    [job] = done.leave("email")
    assert done.pending() is None
    [preview] = done.take_over()
    assert preview.kind == "question" and preview.step == files.EMAIL_CONFIRM_STEP
    assert "收件人：e-contract@tencent.com" in preview.text and "-案例" not in preview.text
    assert "-电子签应用号申请-20260302.xlsx" in preview.text
    assert done.pending() == files.EMAIL_CONFIRM_STEP and mailbox.sent == []
    assert job.kind == "files.email_preview"
    assert job.payload == {"day": "2026-03-02", "user": "alice"}


def test_the_draft_by_hand_left_by_a_dead_process_is_shown_by_the_next(db: Path) -> None:
    room = Room(db, Services(files=Builder()))
    for line in ["start", *STAGE_1, *ONLINE_APPROVED, *STAGE_3, "5, 10"]:
        room.send(line)
    [job] = room.leave("email")
    [shown] = room.take_over()
    assert "（你们自己的邮箱）" in shown.text and "ESIGNBOT_SMTP_HOST" in shown.text
    assert room.pending() is None
    assert job.kind == "files.email_by_hand"
    room.store.close()


def test_the_send_left_by_a_dead_process_is_sent_by_the_next_once(
        done: Room, mailbox: Mailbox) -> None:
    done.send("email")
    [job] = done.leave("发送")
    assert mailbox.sent == []
    replies = done.take_over()
    assert "邮件已发送" in replies[0].text and "<m1@example.com>" in replies[0].text
    assert len(mailbox.sent) == 1 and "由 esignbot 代 alice 发送" in mailbox.sent[0].body
    assert replies[-1].kind in ("question", "done")  # the flow goes on after it
    assert job.kind == "files.email_send"
    assert set(job.payload) == {"day", "user", "key", "question"}
    assert [e["key"] for e in done.history("email_sent")] == [job.payload["key"]]


def run_dying(room: Room, job: JobRecord) -> None:
    """The first process runs its job and dies before marking it done."""
    runner = runners()[job.kind]
    context = JobContext(room.store, room.first.services, job, room.first.clock())
    with contextlib.suppress(Died):
        runner(context)


def test_a_send_recorded_before_its_process_died_is_not_sent_again(
        done: Room, mailbox: Mailbox) -> None:
    done.send("email")
    [job] = done.leave("发送")
    run_dying(done, job)  # sent and recorded; the job never marked done, nothing said
    assert len(mailbox.sent) == 1 and not any("邮件已发送" in r["text"] for r in done.queued())
    replies = done.take_over()
    assert "邮件已发送" in replies[0].text and "<m1@example.com>" in replies[0].text
    assert len(mailbox.sent) == 1  # once
    with sqlite3.connect(done.db) as conn:
        assert conn.execute("SELECT count(*) FROM sent_emails").fetchone() == (1,)


def test_a_send_cut_off_in_its_smtp_session_is_not_tried_again_and_says_so(
        done: Room, mailbox: Mailbox) -> None:
    done.send("email")
    [job] = done.leave("发送")
    mailbox.die = True
    run_dying(done, job)  # the server took it, then the process died: nothing recorded
    mailbox.die = False
    [said] = done.take_over()
    assert said.kind == "error" and "无法确定邮件是否已经发出" in said.text
    assert len(mailbox.sent) == 1  # never twice
    with sqlite3.connect(done.db) as conn:
        assert conn.execute("SELECT count(*) FROM sent_emails").fetchone() == (0,)
    # A new confirmation is a new send.
    done.send("email")
    assert "邮件已发送" in "\n".join(r.text for r in done.send("发送"))
    assert len(mailbox.sent) == 2


def test_the_preview_and_the_send_run_after_the_commit_and_build_outside_any_transaction(
        done: Room, mailbox: Mailbox, builder: Builder) -> None:
    builder.db = done.db
    outcome = done.first.process(done.inbound("email"))
    assert outcome.replies == [] and builder.days == [] and done.pending() is None
    [preview] = done.first.run_job(outcome.jobs[0])[0]
    assert preview.kind == "question" and "KB" in preview.text
    assert done.pending() == files.EMAIL_CONFIRM_STEP and builder.lock_free == [True]
    outcome = done.first.process(done.inbound("确认"))
    assert [r.text for r in outcome.replies] == ["正在发送到 e-contract@tencent.com……"]
    assert mailbox.sent == [] and builder.lock_free == [True] and done.pending() is None
    [job] = outcome.jobs
    replies, message_id = done.first.run_job(job)
    assert "Message-ID" in replies[0].text and len(mailbox.sent) == 1 and message_id
    assert builder.days == [date(2026, 3, 2)] * 2 and builder.lock_free == [True, True]


# -- files.licence_read ---------------------------------------------------------------------
def test_a_photo_left_unread_by_a_dead_process_is_read_from_the_store(db: Path) -> None:
    reader = Reader()
    room = Room(db, Services(files=reader))
    for line in ["start", *STAGE_1, *OFFLINE]:
        room.send(line)
    [job] = room.leave(file=InboundFile(name="licence.png", content=PHOTO))
    assert reader.photos == []
    replies = room.take_over()
    assert reader.photos == [PHOTO]
    assert "照片上是 马化腾，回答是 张三" in replies[0].text
    assert replies[0].step is not None and replies[0].step.startswith("ocr:")
    assert replies[-1].kind == "question"  # the offer ends with the question again
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM licence_reads").fetchone() == (1,)
    assert job.kind == licence_check.LICENCE_READ == "files.licence_read"
    assert set(job.payload) == {"file_id", "private", "question"}  # the photo by its id only
    assert job.payload["private"] is True
    room.store.close()


def test_a_photo_replaced_before_its_read_ran_is_not_reported(db: Path) -> None:
    reader = Reader()
    room = Room(db, Services(files=reader))
    for line in ["start", *STAGE_1, *OFFLINE]:
        room.send(line)
    room.leave(file=InboundFile(name="licence.png", content=PHOTO))
    room.send("edit license_image")
    room.send(file=InboundFile(name="other.png", content=png_bytes(4, 2)))  # read at once
    assert reader.photos == [png_bytes(4, 2)]
    assert room.take_over() == []  # the first photo's read: read, not reported
    room.store.close()
