"""The mailbox watcher against a real Dovecot on 127.0.0.1, real SQLite files, and the real
scheduler delivering into conversations; only the clock is the tests'.

Each test delivers Tencent-shaped emails into the mailbox with IMAP APPEND, lets the watcher look
once (``tick``), and checks what reached which conversation, what was stored, and that the
mailbox was left exactly as it was."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from email.header import Header
from email.message import EmailMessage
from email.mime.text import MIMEText
from pathlib import Path
from typing import Any

import pytest

from bot.mail.watch import MailboxConfig, MailConfigError, MailWatcher, mailbox_config
from bot.scheduler import Route, Scheduler
from bot.settings import Settings
from handlers import Action, Dialogue, Reply
from handlers.services import Services
from storage import CaseStore
from storage.sent_emails import record_sent_email
from tests.conftest import Chat
from tests.fakes.dovecot import Dovecot, DovecotMissing, missing_dovecot, running_dovecot

APP_ID = "yDCWpUUckpvv76rqUxjIE8qvXHjCqG4t"
UIN = "100016315204"
COMPANY = "深圳市示例科技有限公司"
TENCENT = "腾讯电子签 <e-contract@tencent.com>"
TO_REALNAME_WAIT = ["start", "2", "1", UIN, COMPANY, "online", "submitted"]
"""A production case, verified account, waiting for the real-name review (the test environment
has no real-name stage: Tencent's test-account doc, issue 26)."""
TO_APP_WAIT = [*TO_REALNAME_WAIT[:-1], "approved", "2", "示例签约", "H5", "在线签署劳动合同", "skip",
               "sent"]
"""The same case on the guide's route for the app ID (2: by email), waiting for its review."""


# -- fixtures and helpers ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def dovecot_server() -> Iterator[Dovecot]:
    try:
        with running_dovecot() as server:
            yield server
    except DovecotMissing as missing:
        missing_dovecot(missing)


@pytest.fixture
def dovecot(dovecot_server: Dovecot, request: pytest.FixtureRequest) -> Dovecot:
    """The server, as a user of its own: each test starts with an empty mailbox."""
    return dovecot_server.new_user(f"t{abs(hash(request.node.nodeid))}")


@dataclass
class Recorder:
    """Plays the chat platforms behind the scheduler: keeps every reply per conversation."""

    sent: list[tuple[str, Reply]] = field(default_factory=list)

    def __call__(self, conversation: str, replies: Sequence[Reply]) -> None:
        self.sent += [(conversation, reply) for reply in replies]

    def to(self, conversation: str) -> list[Reply]:
        return [reply for where, reply in self.sent if where == conversation]

    def mail(self, conversation: str) -> list[Reply]:
        """Only what the mailbox watcher sent (not the reviews' own notices)."""
        return [reply for reply in self.to(conversation) if "📬" in reply.text or "📮" in reply.text
                or "邮箱" in reply.text]


def team(db: Path, conversation: str, lines: Sequence[str], *, user: str = "alice",
         admins: Sequence[str] = ()) -> Chat:
    """A case walked through ``lines`` in its own conversation (admins as configured)."""
    chat = Chat(db, conversation)
    chat.dialogue = Dialogue(chat.store, clock=chat.clock,
                             services=Services(admins=frozenset(admins)))
    for line in lines:
        chat.send(line, user=user)
    return chat


def settings_for(server: Dovecot, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "esignbot_imap_host": server.host, "esignbot_imap_port": server.port,
        "esignbot_imap_user": server.user, "esignbot_imap_password": server.password,
        "esignbot_imap_security": "none", "esignbot_imap_poll_seconds": 60, **extra}
    return Settings(_env_file=None, **values)


def watcher(chat: Chat, server: Dovecot, **extra: Any) -> MailWatcher:
    config = mailbox_config(settings_for(server, **extra))
    assert config is not None
    return MailWatcher(chat.dialogue, config)


def deliver(chat: Chat) -> Recorder:
    """One pass of the real scheduler, delivering the outbox to every ``test:`` conversation."""
    recorder = Recorder()
    Scheduler(chat.store, clock=chat.clock, routes=[Route("test:", recorder)]).tick()
    return recorder


def rows(db: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def findings(db: Path) -> list[tuple[Any, ...]]:
    return rows(db, "SELECT id, case_id, state, kind, outcome, reason, app_id, decided_by "
                    "FROM mail_findings ORDER BY id")


def email(subject: str, body: str, *, sender: str = TENCENT, charset: str = "utf-8",
          html: bool = False, message_id: str | None = None,
          in_reply_to: str | None = None, attachment: tuple[str, bytes] | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "ops@example.com"
    msg["Subject"] = subject
    msg["Date"] = "Mon, 02 Mar 2026 10:15:00 +0800"
    msg["Message-ID"] = message_id or f"<{abs(hash((subject, body)))}@tencent.com>"
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    msg.set_content(body, subtype="html" if html else "plain", charset=charset,
                    cte="quoted-printable" if html else "base64")
    if attachment:
        msg.add_attachment(attachment[1], maintype="application", subtype="pdf",
                           filename=attachment[0])
    return msg.as_bytes()


def gbk_approval(*, mentions: str = COMPANY, message_id: str = "<gbk-1@tencent.com>") -> bytes:
    """How a Chinese mail client sends it: GBK, base64 body, encoded-word subject."""
    msg = MIMEText(f"尊敬的客户：\n\n贵司（{mentions}）提交的补充实名认证资料已审核通过。\n"
                   "现在可以申请应用号了。\n\n如有疑问，请联系 e-contract@tencent.com。\n腾讯电子签团队",
                   "plain", "gbk")
    msg["Subject"] = Header("【腾讯电子签】补充实名认证审核通过", "gbk")
    msg["From"] = f"{Header('腾讯电子签', 'gbk').encode()} <e-contract@tencent.com>"
    msg["Date"] = "Mon, 02 Mar 2026 10:15:00 +0800"
    msg["Message-ID"] = message_id
    return msg.as_bytes()


def html_rejection() -> bytes:
    return email("补充实名认证结果通知",
                 f"<html><body><p>您好，</p><p>贵司（主账号 UIN {UIN}）提交的补充实名认证"
                 "<b>审核未通过</b>。</p><p>驳回原因：营业执照照片不清晰，请上传清晰的彩色照片后重新提交。</p>"
                 "<p>审核通过后即可申请应用号。</p></body></html>", html=True)


def app_approval() -> bytes:
    return email("应用号申请结果通知",
                 f"您好，贵司应用「示例签约」（UIN {UIN}）的应用号申请已审核通过。\n应用号：{APP_ID}\n"
                 "接入说明见附件。", attachment=("接入指引.pdf", b"%PDF-1.4 guide"))


def click(chat: Chat, finding_id: int, value: str, *, user: str = "alice") -> str:
    return "\n".join(r.text for r in chat.send(action=Action(step=f"mail:{finding_id}",
                                                             value=value), user=user))


# -- the three kinds of email ---------------------------------------------------------------
def test_a_gbk_approval_is_proposed_in_its_case_with_the_lines_that_decided_it(
        db: Path, dovecot: Dovecot) -> None:
    chat = team(db, "test:acme", TO_REALNAME_WAIT)
    other = team(db, "test:other", ["start", "2", "1", "100099998888", "另一家有限公司"])
    uid = dovecot.deliver(gbk_approval(), received=chat.clock.now)
    flags_before = dovecot.flags(uid)

    assert watcher(chat, dovecot).tick() == 60  # the poll interval: nothing failed
    (finding,) = findings(db)
    assert finding[1:5] == (1, "proposed", "realname", "approved")
    assert chat.answers()["realname_status"] == "submitted"  # nothing recorded yet

    recorder = deliver(chat)
    (posted,) = recorder.to("test:acme")
    assert recorder.to("test:other") == [] and other.answers()["uin"] == "100099998888"
    assert posted.kind == "question" and posted.step == f"mail:{finding[0]}"
    assert [c.value for c in posted.choices] == ["confirm", "dismiss"]
    assert posted.text.startswith("@alice 📬")
    for expected in ("主题：【腾讯电子签】补充实名认证审核通过", "发件人：e-contract@tencent.com · 2026-03-02 10:15",
                     f"│ 贵司（{COMPANY}）提交的补充实名认证资料已审核通过。", "补充实名认证审核已通过",
                     "企业名称", "review realname approved"):
        assert expected in posted.text, expected
    assert deliver(chat).sent == []  # posted once
    assert dovecot.flags(uid) == flags_before and "\\Seen" not in flags_before
    assert dovecot.count() == 1


def test_confirming_records_the_review_through_the_dialogue_with_its_notice(
        db: Path, dovecot: Dovecot) -> None:
    chat = team(db, "test:acme", TO_REALNAME_WAIT)
    dovecot.deliver(gbk_approval(), received=chat.clock.now)
    watcher(chat, dovecot).tick()
    deliver(chat)
    ((finding_id, *_),) = findings(db)

    text = click(chat, finding_id, "confirm", user="bob")
    assert "已按第 1 封邮件记录（review realname approved）" in text
    assert chat.answers()["realname_status"] == "approved"
    assert chat.question() == "app_id_route"  # the flow moved on, exactly as the command does
    assert rows(db, "SELECT kind, state, recorded_by FROM waits") == [
        ("realname", "approved", "bob")]
    assert findings(db)[0][2] == "confirmed" and findings(db)[0][7] == "bob"
    announced = deliver(chat).to("test:acme")  # the review's own notification
    assert len(announced) == 1 and "@alice" in announced[0].text

    history = chat.history_count()
    again = click(chat, finding_id, "confirm", user="carol")
    assert "已经由 bob" in again and "不会重复记录" in again
    assert chat.history_count() == history and deliver(chat).sent == []


def test_an_html_only_rejection_carries_its_reason_into_the_review(
        db: Path, dovecot: Dovecot) -> None:
    chat = team(db, "test:acme", TO_REALNAME_WAIT)
    chat.say("lang en")
    dovecot.deliver(html_rejection(), received=chat.clock.now)
    watcher(chat, dovecot).tick()
    (posted,) = deliver(chat).mail("test:acme")
    reason = "营业执照照片不清晰，请上传清晰的彩色照片后重新提交"
    assert f"was rejected. Reason: {reason}" in posted.text
    assert "main account UIN" in posted.text  # why this case: its UIN is in the email
    assert f"review realname rejected {reason}" in posted.text

    ((finding_id, *_),) = findings(db)
    click(chat, finding_id, "confirm")
    assert chat.answers()["realname_status"] == "rejected"
    assert rows(db, "SELECT state, reason FROM waits") == [("rejected", reason)]


def test_an_app_id_in_the_mail_is_proposed_and_becomes_the_app_id_only_on_confirm(
        db: Path, dovecot: Dovecot) -> None:
    chat = team(db, "test:acme", TO_APP_WAIT)
    dovecot.deliver(app_approval(), received=chat.clock.now)
    watcher(chat, dovecot).tick()
    (posted,) = deliver(chat).mail("test:acme")
    assert f"应用号是 {APP_ID}" in posted.text and "附件：接入指引.pdf (14 B)" in posted.text
    assert f"review app approved {APP_ID}" in posted.text
    assert "app_id" not in chat.answers()

    ((finding_id, *_),) = findings(db)
    click(chat, finding_id, "confirm")
    assert chat.answers()["app_id"] == APP_ID and chat.answers()["app_status"] == "approved"
    assert chat.question() == "key_owner"  # the flow moved on to the keys


# -- what is not guessed --------------------------------------------------------------------
def test_mail_from_another_sender_is_ignored_even_when_it_names_the_case(
        db: Path, dovecot: Dovecot) -> None:
    chat = team(db, "test:acme", TO_REALNAME_WAIT)
    for sender in ("Mallory <mallory@example.com>",
                   "Tencent <e-contract@tencent.com.example.net>",  # SEARCH FROM matches this
                   "e-contract@tencent.com <mallory@example.com>"):  # and this display name
        dovecot.deliver(email("补充实名认证审核通过", f"{COMPANY} 的补充实名认证已审核通过。",
                              sender=sender), received=chat.clock.now)
    watch = watcher(chat, dovecot)
    watch.tick()
    assert findings(db) == [] and deliver(chat).sent == []
    assert rows(db, "SELECT disposition, sender FROM mail_seen ORDER BY uid") == [
        ("other_sender", "e-contract@tencent.com.example.net"),
        ("other_sender", "")]  # the first was never even fetched: SEARCH FROM left it out
    assert watch.poll_once().new == 0


def test_a_mail_that_matches_two_cases_goes_to_admins_who_choose_the_case(
        db: Path, dovecot: Dovecot) -> None:
    admins = ("test:boss",)
    first = team(db, "test:acme-test", TO_REALNAME_WAIT, admins=admins)
    second = team(db, "test:acme-prod", TO_REALNAME_WAIT, admins=admins)
    desk = team(db, "test:admin-desk", ["start"], user="boss", admins=admins)
    dovecot.deliver(gbk_approval(), received=first.clock.now)
    watcher(first, dovecot).tick()

    ((finding_id, case_id, state, *_),) = findings(db)
    assert (case_id, state) == (None, "ambiguous")
    recorder = deliver(first)
    assert recorder.to("test:acme-test") == [] and recorder.to("test:acme-prod") == []
    (notice,) = recorder.to("test:admin-desk")
    assert notice.text.startswith("@boss 📮") and "同时对得上好几个案例" in notice.text
    assert "案例 #1 · 深圳市示例科技有限公司 · 正式环境 · test:acme-test" in notice.text
    assert "案例 #2 · 深圳市示例科技有限公司 · 正式环境 · test:acme-prod" in notice.text
    assert [c.value for c in notice.choices] == ["case:1", "case:2", "dismiss"]

    # Only where the notice went: a click from a team's conversation decides nothing.
    assert "要由收到提醒的管理员处理" in click(first, finding_id, "case:1")
    assert findings(db)[0][2] == "ambiguous"

    assert "已交给案例 #2" in click(desk, finding_id, "case:2", user="boss")
    (posted,) = deliver(first).to("test:acme-prod")
    assert posted.step == f"mail:{finding_id}" and "案例 #2" in posted.text

    # With admins configured, only an admin may record a result: the finding stays open.
    refused = click(second, finding_id, "confirm", user="alice")
    assert "只有管理员可以记录审核结果" in refused and "会一直留着" in refused
    assert findings(db)[0][2] == "proposed"
    click(second, finding_id, "confirm", user="boss")
    assert second.answers()["realname_status"] == "approved"
    assert first.answers()["realname_status"] == "submitted"


def test_a_mail_that_matches_no_case_is_shown_to_admins(db: Path, dovecot: Dovecot) -> None:
    team(db, "test:acme", TO_REALNAME_WAIT, admins=("test:boss",))
    desk = team(db, "test:admin-desk", ["start"], user="boss", admins=("test:boss",))
    dovecot.deliver(gbk_approval(mentions="无关企业有限公司"), received=desk.clock.now)
    watcher(desk, dovecot).tick()
    assert findings(db)[0][1:3] == (None, "unmatched")
    recorder = deliver(desk)
    (notice,) = recorder.to("test:admin-desk")
    assert "对不上任何进行中的案例" in notice.text and "review realname approved" in notice.text
    assert recorder.to("test:acme") == []


def test_a_reply_to_the_email_the_bot_sent_belongs_to_that_case(
        db: Path, dovecot: Dovecot) -> None:
    first = team(db, "test:one", TO_REALNAME_WAIT)
    team(db, "test:two", TO_REALNAME_WAIT)  # the same enterprise in another conversation
    with first.store.transaction() as tx:
        record_sent_email(tx, 1, message_id="<sent-by-bot-1@example.com>",
                          recipient="e-contract@tencent.com", sender="ops@example.com",
                          subject="补充实名认证材料", attachments=[], user_id="alice",
                          user_name="alice", at=first.clock().isoformat())
    dovecot.deliver(gbk_approval(), received=first.clock.now)  # names the company: ambiguous
    dovecot.deliver(email("Re: 补充实名认证材料", f"{COMPANY}：补充实名认证已审核通过。",
                          in_reply_to="<sent-by-bot-1@example.com>"), received=first.clock.now)
    watcher(first, dovecot).tick()
    assert [(f[1], f[2]) for f in findings(db)] == [(None, "ambiguous"), (1, "proposed")]
    (posted,) = deliver(first).to("test:one")
    assert "它回复的是机器人为本案例发出的邮件" in posted.text


def test_dismissing_records_nothing(db: Path, dovecot: Dovecot) -> None:
    chat = team(db, "test:acme", TO_REALNAME_WAIT)
    dovecot.deliver(gbk_approval(), received=chat.clock.now)
    watcher(chat, dovecot).tick()
    deliver(chat)
    ((finding_id, *_),) = findings(db)
    answers, history = chat.answers(), chat.history_count()

    assert "已忽略，什么也没有记录" in click(chat, finding_id, "dismiss", user="bob")
    assert chat.answers() == answers and chat.history_count() == history
    assert rows(db, "SELECT state FROM waits") == [("waiting",)]
    assert findings(db)[0][2] == "dismissed"
    assert "已经由 bob" in click(chat, finding_id, "confirm")
    assert chat.answers() == answers and deliver(chat).sent == []
    for stale in ("mail:999", "mail:abc"):
        reply = chat.send(action=Action(step=stale, value="confirm"))
        assert reply[0].kind == "error" and "什么也没有改变" in reply[0].text


# -- the mailbox itself -------------------------------------------------------------------------
def test_a_restart_reads_nothing_twice_and_the_mailbox_is_left_untouched(
        db: Path, dovecot: Dovecot) -> None:
    chat = team(db, "test:acme", TO_REALNAME_WAIT)
    uids = [dovecot.deliver(gbk_approval(), received=chat.clock.now),
            dovecot.deliver(email("广告", "与审核无关", sender="ads@example.com"),
                            received=chat.clock.now)]
    flags = [dovecot.flags(uid) for uid in uids]
    first = watcher(chat, dovecot).poll_once()
    assert (first.new, len(first.filed)) == (1, 1)

    # A new process: its own store and watcher on the same file.
    restarted = Chat(db, "test:acme")
    assert watcher(restarted, dovecot).poll_once().new == 0
    # The same message delivered again (a copy, a new UID): known by its Message-ID.
    dovecot.deliver(gbk_approval(), received=chat.clock.now)
    again = watcher(restarted, dovecot).poll_once()
    assert (again.new, again.duplicate, again.filed) == (1, 1, [])
    assert len(findings(db)) == 1
    assert [dovecot.flags(uid) for uid in uids] == flags
    assert all("\\Seen" not in f for f in flags) and dovecot.count() == 3
    assert "expunged=0" in dovecot.log_text and "deleted=1" not in dovecot.log_text
    restarted.store.close()


def test_messages_older_than_the_look_back_window_are_not_read(db: Path, dovecot: Dovecot) -> None:
    chat = team(db, "test:acme", TO_REALNAME_WAIT)
    dovecot.deliver(gbk_approval(), received=chat.clock.now - timedelta(days=40))
    assert watcher(chat, dovecot).poll_once().new == 0
    assert watcher(chat, dovecot, esignbot_imap_lookback_days=60).poll_once().new == 1


def test_starttls_and_ssl_verify_the_server_certificate(db: Path, dovecot: Dovecot) -> None:
    chat = team(db, "test:acme", TO_REALNAME_WAIT)
    dovecot.deliver(gbk_approval(), received=chat.clock.now)
    trusted = {"esignbot_imap_ca_file": dovecot.cert_file, "esignbot_imap_host": "localhost"}
    assert watcher(chat, dovecot, esignbot_imap_security="starttls", **trusted).poll_once().new == 1
    assert watcher(chat, dovecot, esignbot_imap_security="ssl", esignbot_imap_port=dovecot.tls_port,
                   **trusted).poll_once().new == 0  # already read over STARTTLS
    # Without trusting the self-signed certificate the connection is refused, and said so.
    untrusted = watcher(chat, dovecot, esignbot_imap_security="ssl",
                        esignbot_imap_port=dovecot.tls_port)
    assert untrusted.tick() == 120
    assert rows(db, "SELECT kind FROM mail_faults") == [("unreachable",)]
    assert "CERTIFICATE_VERIFY_FAILED" in rows(db, "SELECT detail FROM mail_notices")[0][0]


def test_a_chinese_folder_name_is_read(db: Path, dovecot: Dovecot) -> None:
    chat = team(db, "test:acme", TO_REALNAME_WAIT)
    dovecot.create_folder("&gX6Lr1uhaDg-")  # 腾讯审核 in modified UTF-7
    dovecot.deliver(gbk_approval(), received=chat.clock.now, folder="&gX6Lr1uhaDg-")
    report = watcher(chat, dovecot, esignbot_imap_folder="腾讯审核").poll_once()
    assert report.new == 1 and findings(db)[0][2] == "proposed"


# -- faults -----------------------------------------------------------------------------------
def test_a_wrong_password_is_reported_once_retried_with_backoff_and_the_bot_keeps_running(
        db: Path, dovecot: Dovecot) -> None:
    admins = ("test:boss",)
    chat = team(db, "test:acme", TO_REALNAME_WAIT, admins=admins)
    desk = team(db, "test:admin-desk", ["start"], user="boss", admins=admins)
    dovecot.deliver(gbk_approval(), received=chat.clock.now)
    wrong = watcher(chat, dovecot, esignbot_imap_password="not-the-password")
    assert [wrong.tick() for _ in range(4)] == [120, 240, 480, 960]
    # A restart while it still fails: counted, not reported again.
    assert watcher(Chat(db, "test:x"), dovecot,
                   esignbot_imap_password="not-the-password").tick() == 1800  # the longest
    assert rows(db, "SELECT kind, attempts FROM mail_faults") == [("login_failed", 5)]
    (notice,) = deliver(chat).to("test:admin-desk")
    assert "拒绝了登录" in notice.text and "AUTHENTICATIONFAILED" in notice.text
    assert "not-the-password" not in notice.text
    assert rows(db, "SELECT count(*) FROM mail_notices") == [(1,)]

    # Meanwhile the conversation goes on as usual.
    assert "补充实名" in chat.say("status") and desk.say("help")

    # Fixed: one notice that it works again, and the mail that waited is read.
    assert watcher(chat, dovecot).tick() == 60
    assert rows(db, "SELECT kind FROM mail_faults") == []
    (recovered,) = deliver(chat).to("test:admin-desk")
    assert "又能正常读取了" in recovered.text
    assert findings(db)[0][2] == "proposed"


def test_an_unreachable_mailbox_is_reported_once(db: Path, dovecot: Dovecot) -> None:
    chat = team(db, "test:admin-desk", ["start"], user="boss", admins=("test:boss",))
    closed = watcher(chat, dovecot, esignbot_imap_port=1)  # nothing listens there
    assert [closed.tick() for _ in range(3)] == [120, 240, 480]
    (notice,) = deliver(chat).to("test:admin-desk")
    assert "连不上邮箱" in notice.text and "Connection refused" in notice.text


def test_settings_that_cannot_work_are_refused_before_anything_runs() -> None:
    base = {"esignbot_imap_host": "mail.example.com", "esignbot_imap_user": "ops@example.com",
            "esignbot_imap_password": "secret"}
    with pytest.raises(MailConfigError, match="unencrypted"):
        mailbox_config(Settings(_env_file=None, **base, esignbot_imap_security="none"))
    with pytest.raises(MailConfigError, match="ESIGNBOT_IMAP_PASSWORD"):
        mailbox_config(Settings(_env_file=None, esignbot_imap_host="mail.example.com",
                                esignbot_imap_user="ops@example.com"))
    assert mailbox_config(Settings(_env_file=None)) is None
    config = mailbox_config(Settings(_env_file=None, **base))
    assert isinstance(config, MailboxConfig) and config.port == 993
    assert "secret" not in repr(config)


# -- the front doors: the CLI and the console as real processes -------------------------------
def _env(server: Dovecot, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESIGNBOT_")}
    env.update({"PYTHONIOENCODING": "utf-8", "ESIGNBOT_IMAP_HOST": server.host,
                "ESIGNBOT_IMAP_PORT": str(server.port), "ESIGNBOT_IMAP_USER": server.user,
                "ESIGNBOT_IMAP_PASSWORD": server.password, "ESIGNBOT_IMAP_SECURITY": "none",
                "ESIGNBOT_IMAP_LOOKBACK_DAYS": "3650", **extra})
    return env


def _run(args: list[str], env: dict[str, str], cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin,
                          capture_output=True, text=True, encoding="utf-8", timeout=120,
                          cwd=cwd, env=env)


def test_mail_check_reads_the_mailbox_once_and_says_what_it_found(
        tmp_path: Path, db: Path, dovecot: Dovecot) -> None:
    team(db, "test:acme", TO_REALNAME_WAIT).store.close()
    dovecot.deliver(gbk_approval())
    checked = _run(["mail-check", "--db", str(db)], _env(dovecot), tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "read 1 new message(s)" in checked.stdout and "for case #1" in checked.stdout
    again = _run(["mail-check", "--db", str(db)], _env(dovecot), tmp_path)
    assert "read 0 new message(s)" in again.stdout

    refused = _run(["mail-check", "--db", str(db)],
                   _env(dovecot, ESIGNBOT_IMAP_PASSWORD="wrong"), tmp_path)
    assert refused.returncode == 1 and "login_failed" in refused.stderr
    assert "wrong" not in refused.stderr
    assert "Traceback" not in refused.stderr


def test_the_console_prints_the_finding_and_keeps_working_with_a_wrong_password(
        tmp_path: Path, dovecot: Dovecot) -> None:
    db = tmp_path / "console.db"
    without_mail = {k: v for k, v in _env(dovecot).items() if not k.startswith("ESIGNBOT_IMAP")}
    lines = ["2", "1", UIN, COMPANY, "online", "submitted"]
    setup = _run(["console", "--db", str(db), "--user", "alice"], without_mail, tmp_path,
                 "\n".join(lines) + "\n")
    assert setup.returncode == 0, setup.stderr
    dovecot.deliver(gbk_approval())
    ok = _run(["console", "--db", str(db), "--user", "alice"], _env(dovecot), tmp_path, "status\n")
    assert ok.returncode == 0 and "Traceback" not in ok.stdout + ok.stderr, ok.stderr
    assert "📬 腾讯电子签来信了（案例 #1）" in ok.stdout
    assert "review realname approved" in ok.stdout

    store = CaseStore(db)
    with store.transaction() as tx:
        store_answers = {k: a.value for k, a in tx.answers(1).items()}
    store.close()
    assert store_answers["realname_status"] == "submitted"  # proposed, not recorded

    wrong = _run(["console", "--db", str(tmp_path / "other.db"), "--user", "bob"],
                 _env(dovecot, ESIGNBOT_IMAP_PASSWORD="wrong"), tmp_path, "1\nstatus\n")
    assert wrong.returncode == 0 and "Traceback" not in wrong.stdout + wrong.stderr
    assert "环境" in wrong.stdout  # the conversation went on
    # The failing mailbox is for whoever runs the bot: in the console's log file (beside the
    # database), never in the conversation; the person is told in a sentence that it is there.
    log = (tmp_path / "other.log").read_text(encoding="utf-8")
    assert log.count("login_failed") == 1 and "wrong" not in log
    assert "login_failed" not in wrong.stdout + wrong.stderr
    assert "条给运维人员的警告，已写入" in wrong.stdout


def test_serve_refuses_a_half_configured_mailbox_with_one_sentence(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ESIGNBOT_", "SLACK_", "WECOM_"))}
    env.update(PYTHONIOENCODING="utf-8", ESIGNBOT_IMAP_HOST="imap.example.com")
    served = _run(["serve", "--db", str(tmp_path / "x.db")], env, tmp_path)
    assert served.returncode == 2 and "Traceback" not in served.stderr
    assert "ESIGNBOT_IMAP_USER and ESIGNBOT_IMAP_PASSWORD" in served.stderr
