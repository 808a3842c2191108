"""The application email, through a real SMTP server on 127.0.0.1 (aiosmtpd) started here:
previewed, confirmed by typing or by a click, sent after the turn commits, recorded; failures
say why and record nothing; the password never shows."""

from __future__ import annotations

import hashlib
import io
import json
import socket
import sqlite3
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from bot.mail.sending import SmtpConfig, SmtpMailer
from bot.settings import Settings
from bot.wiring import build_services
from handlers import Action, Dialogue, Inbound, Reply
from handlers.services import ApplicationFiles, MailError, OutgoingEmail, PackageImage
from handlers.shapes import OutFile
from storage import CaseStore
from tests.conftest import FakeClock, png_bytes, run_console, write_lock_free
from tests.fakes.local_server import free_port
from tests.fakes.smtp import Certificate, Received, SmtpServer, make_certificate, smtp_server

# Plaintext AUTH on loopback is what the "none" variant of the fake server is for.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

PASSWORD = "s3cret-Pa55word"
USER = "bot@example.com"
STAGE_1 = ["2", "1", "100016315204", "腾讯科技（深圳）有限公司"]
BY_EMAIL = "2"
"""A production case's first stage-3 answer: the guide's route, by email (typed as its number:
the word ``email`` is the email command)."""
STAGE_3 = [BY_EMAIL, "合同助手", "微信小程序", "在线签署劳动合同的小程序", "5, 10"]
ONLINE_TO_STAGE_3_DONE = [*STAGE_1, "1", "3", *STAGE_3]
OFFLINE_ENTERPRISE = [*STAGE_1, "2", "1", "9144030071526726XG", "张三", "李四", "13812345678",
                      "ops@example.com"]


def smtp_env(server: SmtpServer, **extra: str) -> dict[str, str]:
    return {"ESIGNBOT_SMTP_HOST": server.host, "ESIGNBOT_SMTP_PORT": str(server.port),
            "ESIGNBOT_SMTP_FROM": "Onboarding <bot@example.com>", "ESIGNBOT_SMTP_SECURITY": "none",
            **extra}


def sent_rows(db: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT message_id, recipient, sender, subject, attachments, user_id, user_name "
            "FROM sent_emails ORDER BY id").fetchall()


def history_kinds(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [k for (k,) in conn.execute("SELECT kind FROM history ORDER BY id")]


def attachments(received: Received) -> dict[str, bytes]:
    found = {}
    for part in received.message.iter_attachments():
        name = part.get_filename()
        assert name is not None
        found[name] = part.get_content()
    return found


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return make_certificate(tmp_path_factory.mktemp("tls"))


# -- through the console ------------------------------------------------------------------
def test_without_smtp_settings_it_explains_what_to_set(tmp_path: Path) -> None:
    out = run_console(tmp_path, [*ONLINE_TO_STAGE_3_DONE, "邮件", "状态"])
    for name in ("ESIGNBOT_SMTP_HOST", "ESIGNBOT_SMTP_PORT", "ESIGNBOT_SMTP_USER",
                 "ESIGNBOT_SMTP_PASSWORD", "ESIGNBOT_SMTP_FROM", "ESIGNBOT_SMTP_SECURITY"):
        assert name in out
    assert "也可以输入「邮件」" not in out  # no offer to send what cannot be sent
    with sqlite3.connect(tmp_path / "esignbot.db") as conn:
        assert conn.execute("SELECT pending_confirm FROM cases").fetchone() == (None,)


def test_preview_confirm_send_and_record(tmp_path: Path) -> None:
    with smtp_server() as server:
        out = run_console(tmp_path, [*ONLINE_TO_STAGE_3_DONE, "邮件", "1"], env=smtp_env(server))
        [received] = server.inbox.messages
    assert "也可以输入「邮件」" in out
    preview = out[out.index("请确认这封邮件"):out.index("确认发送吗？")]
    assert "收件人：e-contract@tencent.com" in preview
    assert "发件人：Onboarding <bot@example.com>" in preview
    assert "主题：电子签应用号申请 - 腾讯科技（深圳）有限公司 - UIN 100016315204 - 合同助手" in preview
    assert "白名单接口：VerifyUser、人脸核身(SDK/H5)" in preview
    assert "-电子签应用号申请-" in preview and "KB" in preview
    # The message on the wire.
    message = received.message
    assert received.rcpt_tos == ["e-contract@tencent.com"]
    assert received.mail_from == "bot@example.com"
    assert message["To"] == "e-contract@tencent.com"
    assert message["Subject"] == "电子签应用号申请 - 腾讯科技（深圳）有限公司 - UIN 100016315204 - 合同助手"
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    for expected in ("腾讯科技（深圳）有限公司", "100016315204", "应用名称：合同助手",
                     "应用类型：微信小程序", "白名单接口：VerifyUser、人脸核身(SDK/H5)", "由 esignbot 代 alice 发送"):
        assert expected in text
    [(name, content)] = attachments(received).items()
    assert name.startswith("腾讯科技（深圳）有限公司-电子签应用号申请-") and name.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    assert [c.value for c in sheet[2]][:4] == ["100016315204", "腾讯科技（深圳）有限公司", "合同助手", "微信小程序"]
    # What the case recorded: the Message-ID on the wire, who, and the exact bytes sent.
    [(message_id, recipient, sender, subject, files, user_id, user_name)] = sent_rows(
        tmp_path / "esignbot.db")
    assert message_id == message["Message-ID"] and message_id in out
    assert (recipient, sender, user_id, user_name) == (
        "e-contract@tencent.com", "Onboarding <bot@example.com>", "alice", "alice")
    assert subject == message["Subject"]
    assert json.loads(files) == [{"name": name, "sha256": hashlib.sha256(content).hexdigest(),
                                  "size": len(content)}]
    assert "email_sent" in history_kinds(tmp_path / "esignbot.db")
    # And the conversation carries on at the next question.
    assert out.rindex("应用号申请进行到哪一步了？") > out.index(message_id)
    history = run_console(tmp_path, ["email history"], "--lang", "en", env=smtp_env(server))
    assert "Emails sent:" in history and message_id in history and "alice" in history


def test_offline_route_attaches_the_materials_package(tmp_path: Path) -> None:
    image = tmp_path / "licence.png"
    image.write_bytes(png_bytes(4, 3))
    # While the real-name review runs, stage 3 can be filled in with edit; both go together.
    lines = [*OFFLINE_ENTERPRISE, str(image), "submitted", "edit app_name 合同助手",
             "edit app_type 微信小程序", "edit app_description 在线签署劳动合同的小程序", "email", "yes"]
    with smtp_server() as server:
        out = run_console(tmp_path, lines, env=smtp_env(server))
        [received] = server.inbox.messages
    assert "邮件已发送到 e-contract@tencent.com" in out
    assert received.message["Subject"] == (
        "补充实名认证材料及电子签应用号申请 - 腾讯科技（深圳）有限公司 - UIN 100016315204 - 合同助手")
    files = attachments(received)
    [zip_name] = [n for n in files if n.endswith(".zip")]
    assert any(n.endswith(".xlsx") for n in files) and len(files) == 2
    with zipfile.ZipFile(io.BytesIO(files[zip_name])) as archive:
        assert archive.read("多合一营业执照.png") == image.read_bytes()
    assert received.message["Reply-To"] == "ops@example.com"
    [row] = sent_rows(tmp_path / "esignbot.db")
    recorded = {a["name"]: a["sha256"] for a in json.loads(row[4])}
    assert recorded == {n: hashlib.sha256(c).hexdigest() for n, c in files.items()}


def test_after_real_name_approval_only_the_workbook_goes(tmp_path: Path) -> None:
    image = tmp_path / "licence.png"
    image.write_bytes(png_bytes())
    lines = [*OFFLINE_ENTERPRISE, str(image), "approved", *STAGE_3, "email", "1"]
    with smtp_server() as server:
        run_console(tmp_path, lines, env=smtp_env(server))
        [received] = server.inbox.messages
    assert received.message["Subject"].startswith("电子签应用号申请 - ")
    assert [n.endswith(".xlsx") for n in attachments(received)] == [True]


def test_offline_materials_alone_before_stage_3(tmp_path: Path) -> None:
    image = tmp_path / "licence.png"
    image.write_bytes(png_bytes())
    with smtp_server() as server:
        out = run_console(tmp_path, [*OFFLINE_ENTERPRISE, str(image), "email", "发送"],
                          env=smtp_env(server))
        [received] = server.inbox.messages
    assert "这次不附应用号申请表" in out  # said in the preview: the workbook is not attached
    assert received.message["Subject"] == "补充实名认证材料 - 腾讯科技（深圳）有限公司 - UIN 100016315204"
    assert [n.endswith(".zip") for n in attachments(received)] == [True]


def test_nothing_to_send_lists_what_is_missing(tmp_path: Path) -> None:
    with smtp_server() as server:
        out = run_console(tmp_path, [*STAGE_1, "1", "3", BY_EMAIL, "合同助手", "email", "1"],
                          env=smtp_env(server))
        assert server.inbox.messages == []
    assert "还没有可以发送的附件。还不能生成申请表，缺少：应用类型、应用简介" in out
    assert sent_rows(tmp_path / "esignbot.db") == []


def test_server_down_says_why_and_records_nothing(tmp_path: Path) -> None:
    env = {"ESIGNBOT_SMTP_HOST": "127.0.0.1", "ESIGNBOT_SMTP_PORT": str(free_port()),
           "ESIGNBOT_SMTP_FROM": USER, "ESIGNBOT_SMTP_SECURITY": "none"}
    out = run_console(tmp_path, [*ONLINE_TO_STAGE_3_DONE, "email", "1"], "--lang", "en", env=env)
    assert "Sending failed: could not reach the mail server 127.0.0.1:" in out
    assert "Nothing was recorded" in out
    assert sent_rows(tmp_path / "esignbot.db") == []
    assert "email_sent" not in history_kinds(tmp_path / "esignbot.db")


def test_refused_login_says_why_and_never_shows_the_password(tmp_path: Path) -> None:
    with smtp_server(login=(USER, "the-right-one")) as server:
        env = smtp_env(server, ESIGNBOT_SMTP_USER=USER, ESIGNBOT_SMTP_PASSWORD=PASSWORD)
        out = run_console(tmp_path, [*ONLINE_TO_STAGE_3_DONE, "邮件", "1"], env=env)
        assert server.inbox.messages == []
        assert server.inbox.logins and set(server.inbox.logins) == {(USER, False)}
    assert "发送失败：邮件服务器拒绝了登录（535" in out and "ESIGNBOT_SMTP_PASSWORD" in out
    assert PASSWORD not in out
    assert sent_rows(tmp_path / "esignbot.db") == []
    assert PASSWORD.encode() not in (tmp_path / "esignbot.db").read_bytes()


def test_login_over_starttls_with_a_private_ca(tmp_path: Path, certificate: Certificate) -> None:
    with smtp_server(login=(USER, PASSWORD), tls="starttls", certificate=certificate) as server:
        env = smtp_env(server, ESIGNBOT_SMTP_USER=USER, ESIGNBOT_SMTP_PASSWORD=PASSWORD,
                       ESIGNBOT_SMTP_SECURITY="starttls",
                       ESIGNBOT_SMTP_CA_FILE=str(certificate.cert_file))
        out = run_console(tmp_path, [*ONLINE_TO_STAGE_3_DONE, "email", "1"], env=env)
        assert len(server.inbox.messages) == 1
        assert server.inbox.logins == [(USER, True)]  # the password went over TLS only
    assert PASSWORD not in out
    assert len(sent_rows(tmp_path / "esignbot.db")) == 1


def test_implicit_tls_checks_the_certificate(tmp_path: Path, certificate: Certificate) -> None:
    with smtp_server(tls="ssl", certificate=certificate) as server:
        env = smtp_env(server, ESIGNBOT_SMTP_SECURITY="ssl")
        out = run_console(tmp_path, [*ONLINE_TO_STAGE_3_DONE, "email", "1"], env=env)
        assert server.inbox.messages == []  # an unknown certificate is refused ...
        assert "没有成功（CERTIFICATE_VERIFY_FAILED）" in out
        env["ESIGNBOT_SMTP_CA_FILE"] = str(certificate.cert_file)
        run_console(tmp_path, ["email", "1"], env=env)
        assert len(server.inbox.messages) == 1  # ... and a trusted one accepted
    assert len(sent_rows(tmp_path / "esignbot.db")) == 1


# -- in process: buttons, the deferred send, the confirmation routing ----------------------
class Room:
    """The dialogue with real services from settings, as an adapter drives it."""

    def __init__(self, db: Path, settings: Settings) -> None:
        self.store = CaseStore(db)
        self.dialogue = Dialogue(self.store, clock=FakeClock(), services=build_services(settings))

    def inbound(self, text: str = "", action: Action | None = None, user: str = "alice") -> Inbound:
        return Inbound(platform="test", conversation="test:room", user_id=user, user_name=user,
                       text=text, action=action, private=False)

    def send(self, text: str = "", action: Action | None = None) -> list[Reply]:
        return self.dialogue.handle(self.inbound(text, action))

    def say(self, text: str = "", action: Action | None = None) -> str:
        return "\n".join(r.text for r in self.send(text, action))

    def pending(self) -> str | None:
        with self.store.transaction() as tx:
            case = tx.active_case("test:room")
            return case.pending_confirm if case else "no case"


@pytest.fixture
def room(tmp_path: Path) -> Iterator[tuple[Room, SmtpServer]]:
    with smtp_server() as server:
        settings = Settings(esignbot_smtp_host=server.host, esignbot_smtp_port=server.port,
                            esignbot_smtp_from=USER, esignbot_smtp_security="none")
        r = Room(tmp_path / "esignbot.db", settings)
        for line in ["start", *ONLINE_TO_STAGE_3_DONE]:
            r.send(line)
        yield r, server
        r.store.close()


def test_buttons_keep_then_send_then_a_stale_click(room: tuple[Room, SmtpServer]) -> None:
    r, server = room
    [question] = [x for x in r.send("email") if x.kind == "question"]
    assert question.step == "email_confirm"
    assert [c.value for c in question.choices] == ["send", "keep"]
    assert "邮件没有发送" in r.say(action=Action(step="email_confirm", value="keep"))
    assert r.pending() is None and server.inbox.messages == []
    r.send("email")
    sent = r.say(action=Action(step="email_confirm", value="send"))
    assert "邮件已发送" in sent and len(server.inbox.messages) == 1
    assert "这个按钮属于之前的问题" in r.say(action=Action(step="email_confirm", value="send"))
    assert len(server.inbox.messages) == 1  # a second click sends nothing


def test_typed_cancel_keeps_the_case_and_sends_nothing(room: tuple[Room, SmtpServer]) -> None:
    r, server = room
    r.send("email")
    assert "邮件没有发送" in r.say("取消")
    assert r.pending() is None and server.inbox.messages == []
    # cancel's own confirmation is still routed to cancel
    r.send("cancel")
    r.send("yes")
    assert r.pending() == "no case"


def test_the_send_runs_after_the_commit(room: tuple[Room, SmtpServer], tmp_path: Path) -> None:
    r, server = room
    r.send("email")
    outcome = r.dialogue.process(r.inbound("确认"))
    assert [x.text for x in outcome.replies] == ["正在发送到 e-contract@tencent.com……"]
    assert len(outcome.jobs) == 1
    assert server.inbox.messages == [] and sent_rows(tmp_path / "esignbot.db") == []
    assert r.pending() is None  # committed before any network I/O
    replies = r.dialogue.run_job(outcome.jobs[0])[0]
    assert "Message-ID" in replies[0].text and len(server.inbox.messages) == 1
    assert len(sent_rows(tmp_path / "esignbot.db")) == 1


class LockWitness:
    """The real file builder, noting at each build whether another connection could take
    SQLite's write lock at that moment (it cannot while a turn is open)."""

    def __init__(self, files: ApplicationFiles, db: Path) -> None:
        self.files, self.db, self.lock_free = files, db, list[bool]()

    def _note(self) -> None:
        self.lock_free.append(write_lock_free(self.db))

    def application_workbook(self, answers: Mapping[str, Any], today: date) -> OutFile:
        self._note()
        return self.files.application_workbook(answers, today)

    def materials_package(self, answers: Mapping[str, Any], images: Sequence[PackageImage],
                          today: date) -> OutFile:
        self._note()
        return self.files.materials_package(answers, images, today)


def test_preview_and_send_build_their_files_after_the_turn_commits(
        room: tuple[Room, SmtpServer], tmp_path: Path) -> None:
    """openpyxl inside a turn held the write lock for every team (see docs/benchmark.md)."""
    r, server = room
    assert r.dialogue.services.files is not None
    witness = LockWitness(r.dialogue.services.files, tmp_path / "esignbot.db")
    r.dialogue.services = replace(r.dialogue.services, files=witness)

    outcome = r.dialogue.process(r.inbound("email"))
    assert outcome.replies == [] and witness.lock_free == []
    assert r.pending() is None  # the confirmation opens with its question (issue 26)
    [preview] = r.dialogue.run_job(outcome.jobs[0])[0]
    assert preview.kind == "question" and "KB" in preview.text
    assert r.pending() == "email_confirm"
    assert witness.lock_free == [True]

    outcome = r.dialogue.process(r.inbound("发送"))
    assert witness.lock_free == [True] and r.pending() is None
    r.dialogue.run_job(outcome.jobs[0])
    assert witness.lock_free == [True, True] and len(server.inbox.messages) == 1


def test_an_unknown_sender_address_is_a_clear_error() -> None:
    mailer = SmtpMailer(SmtpConfig(host="127.0.0.1", port=free_port(), sender="not an address",
                                   security="none", timeout_s=5))
    with pytest.raises(MailError) as problem:
        mailer.send(OutgoingEmail(to="e-contract@tencent.com", subject="s", body="b"))
    assert problem.value.kind in {"sender_refused", "connect"}


def test_no_password_in_clear_text_to_another_machine() -> None:
    mailer = SmtpMailer(SmtpConfig(host="mail.invalid", sender=USER, security="none", user=USER,
                                   password=PASSWORD, timeout_s=1))
    with pytest.raises(MailError) as problem:
        mailer.send(OutgoingEmail(to="e-contract@tencent.com", subject="s", body="b"))
    assert problem.value.kind == "insecure" and PASSWORD not in str(problem.value)
    assert PASSWORD not in repr(mailer.config)


def test_a_server_that_never_answers_times_out() -> None:
    with socket.socket() as silent:  # accepts the connection (backlog) but never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        mailer = SmtpMailer(SmtpConfig(host="127.0.0.1", port=silent.getsockname()[1],
                                       sender=USER, security="none", timeout_s=1))
        with pytest.raises(MailError) as problem:
            mailer.send(OutgoingEmail(to="e-contract@tencent.com", subject="s", body="b"))
    assert problem.value.kind == "timeout" and problem.value.server.startswith("127.0.0.1:")
