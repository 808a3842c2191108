"""``check`` in the conversation: the terminal (a real ``esignbot console`` process), shared and
private chats through the dialogue, and ``check_for_case`` for the chat adapters — each against
the fake Tencent Cloud on loopback and a real SQLite file, which is then searched for the key."""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.credentials.checker import check_for_case
from bot.settings import Settings
from bot.wiring import build_services
from handlers import Dialogue, Inbound, Reply
from storage import CaseStore
from storage.credential_checks import checks_for_case
from tests.conftest import REPO, FakeClock
from tests.fakes.tencentcloud import (
    APP_PROD,
    APP_TEST,
    UIN,
    FakeTencentCloud,
    secret_id,
    secret_key,
    standard_cloud,
)

STAGE_1 = ["2", "1", UIN, "腾讯科技（深圳）有限公司"]
WALK = [*STAGE_1, "1", "2", "3", "2", "合同助手", "微信小程序", "在线签署劳动合同的小程序", "5, 9", "2",
        "3", APP_PROD, "1"]


@pytest.fixture
def cloud() -> Iterator[FakeTencentCloud]:
    with standard_cloud().serving() as fake:
        yield fake


def _db_bytes(db: Path) -> bytes:
    """The database as it sits on disk, write-ahead log included."""
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))


def _console(tmp_path: Path, cloud: FakeTencentCloud, lines: list[str],
             key: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ESIGNBOT_", "TENCENTCLOUD_"))}
    env.update({"PYTHONPATH": str(REPO), "PYTHONIOENCODING": "utf-8",
                "ESIGNBOT_TENCENTCLOUD_ENDPOINT": cloud.endpoint,
                "ESIGNBOT_TENCENTCLOUD_TEST_ENDPOINT": cloud.test_endpoint})
    if key is not None:
        env["TENCENTCLOUD_SECRET_KEY"] = key
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "console", "--db", str(tmp_path / "esignbot.db"),
         "--out", str(tmp_path / "out"), "--user", "alice"],
        input="".join(line + "\n" for line in lines), capture_output=True, text=True,
        encoding="utf-8", timeout=180, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc


def test_console_check_with_piped_input_takes_the_key_from_the_environment(
        tmp_path: Path, cloud: FakeTencentCloud) -> None:
    key = secret_key("Root")
    proc = _console(tmp_path, cloud, [*WALK, "check", secret_id("Root")], key)
    out = proc.stdout
    assert "SecretId：\n> AKID****opqr" in out
    assert "SecretKey 取自环境变量 TENCENTCLOUD_SECRET_KEY" in out
    report = out[out.index("🔐 API 密钥检查"):]
    assert report.count("✅") == 5, report
    assert "结论：全部通过" in report and "（由 alice 发起）" in report
    db = tmp_path / "esignbot.db"
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT user_id, secret_id_masked, environment, outcome, identity "
                            "FROM credential_checks").fetchall()
        results = conn.execute("SELECT name, status FROM credential_check_results "
                               "ORDER BY position").fetchall()
    assert rows == [("alice", "AKID****opqr", "prod", "pass",
                     '{"account_id": "100016315204", "kind": "main", "principal_id": '
                     '"100016315204", "type": "CAMUser", "user_id": "100016315204"}')]
    assert results == [(n, "pass") for n in ("key_valid", "account_matches", "identity",
                                             "ess_policy", "app_id")]
    assert key.encode() not in _db_bytes(db)
    assert key not in proc.stdout + proc.stderr


def test_console_never_reads_a_key_from_a_visible_line(tmp_path: Path,
                                                        cloud: FakeTencentCloud) -> None:
    key = secret_key("Root")
    pasted = f"{secret_id('Root')} {key}"
    proc = _console(tmp_path, cloud, [*STAGE_1, pasted, "check", secret_id("Root"),
                                      "check", pasted], None)
    out = proc.stdout
    assert "> AKID****opqr ********" in out
    assert "这一行里有 SecretKey，我没有使用它" in out
    assert "请设置环境变量 TENCENTCLOUD_SECRET_KEY" in out  # piped, and no variable: refused
    assert out.count("这一行里有 SecretKey，我没有使用它") == 2  # the pair on the SecretId line: refused too
    assert key not in out + proc.stderr
    assert cloud.calls == [] and cloud.rejected == []
    db = tmp_path / "esignbot.db"
    assert key.encode() not in _db_bytes(db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM credential_checks").fetchone() == (0,)


# -- the dialogue, as a chat adapter drives it --------------------------------------------------
class Room:
    """A conversation on a real SQLite file with the real services (endpoint: the fake)."""

    def __init__(self, db: Path, cloud: FakeTencentCloud, *, private: bool) -> None:
        settings = Settings(esignbot_tencentcloud_endpoint=cloud.endpoint,
                            esignbot_tencentcloud_test_endpoint=cloud.test_endpoint,
                            esignbot_tencentcloud_timeout=2)
        self.store = CaseStore(db)
        self.dialogue = Dialogue(self.store, clock=FakeClock(), services=build_services(settings))
        self.private = private
        self.conversation = "slack:T1:C42" if not private else "slack:T1:D7"
        self.events = 0

    def inbound(self, text: str, user: str = "alice") -> Inbound:
        self.events += 1
        return Inbound(platform="slack", conversation=self.conversation, user_id=user,
                       user_name=user, text=text, event_id=f"ev{self.events}",
                       private=self.private)

    def send(self, text: str, user: str = "alice") -> list[Reply]:
        return self.dialogue.handle(self.inbound(text, user))

    def history(self) -> list[tuple[str, str | None]]:
        with sqlite3.connect(self.store.path) as conn:
            return conn.execute("SELECT kind, field FROM history ORDER BY id").fetchall()

    def put(self, **answers: str) -> None:
        with self.store.transaction() as tx:
            case = tx.active_case(self.conversation)
            assert case is not None
            for field, value in answers.items():
                tx.put_answer(case.id, field, value, kind="answer", user_id="setup",
                              user_name="setup", at="2026-03-02T01:00:00+00:00")

    def checks(self) -> list[object]:
        with self.store.transaction() as tx:
            case = tx.active_case(self.conversation)
            assert case is not None
            return list(checks_for_case(tx, case.id))


@pytest.fixture
def shared(db: Path, cloud: FakeTencentCloud) -> Iterator[Room]:
    room = Room(db, cloud, private=False)
    yield room
    room.store.close()


@pytest.fixture
def private(db: Path, cloud: FakeTencentCloud) -> Iterator[Room]:
    room = Room(db, cloud, private=True)
    yield room
    room.store.close()


def test_check_in_a_shared_channel_says_how_to_do_it_privately(shared: Room) -> None:
    shared.send("start")
    outcome = shared.dialogue.process(shared.inbound("check"))
    assert outcome.jobs == []
    how, ask = outcome.replies
    assert how.private and "/esign check" in how.text and "私聊" in how.text
    assert ask.kind == "credentials" and ask.private
    assert [c.value for c in ask.choices] == ["prod", "test"]  # no environment answered yet
    shared.send("1")  # environment: test
    ask = shared.send("检查")[-1]
    assert [c.value for c in ask.choices] == ["test", "prod"]
    ask = shared.send("check prod")[-1]
    assert [c.value for c in ask.choices] == ["prod", "test"]
    shared.send("lang en")
    # "check tomorrow" is an answer by the one rule (issue 26); with the slash it is the command
    assert shared.send("/check tomorrow")[0].text.startswith("Usage: check [test|prod]")


def test_a_key_pasted_in_a_shared_channel_is_not_used_and_nothing_is_kept(
        shared: Room, cloud: FakeTencentCloud, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    shared.send("start")
    shared.send("2")
    shared.send("1")
    shared.send(UIN)  # now the free-text question: the enterprise name
    before = shared.history()
    key = secret_key("Root")
    replies = shared.send(f"这是我们的密钥 {secret_id('Root')} {key} 帮忙看看")
    assert len(replies) == 1 and replies[0].private and replies[0].kind == "error"
    assert "没有使用它" in replies[0].text and "禁用这对密钥并新建一对" in replies[0].text
    assert shared.history() == before
    with shared.store.transaction() as tx:
        case = tx.active_case(shared.conversation)
        assert case is not None and case.current_step == "enterprise_name"
    # a SecretId alone is refused in a shared channel as well
    assert "没有使用它" in shared.send(secret_id("Root"))[0].text
    assert cloud.calls == []
    assert key.encode() not in _db_bytes(shared.store.path)
    assert key not in caplog.text


def test_a_key_pair_in_a_private_chat_runs_the_check_after_the_commit(
        private: Room, cloud: FakeTencentCloud, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    private.send("start")
    private.put(environment="prod", uin=UIN, app_id=APP_PROD, key_owner="main")
    key = secret_key("SubNone")
    history = private.history()
    message = private.inbound(f"检查 {secret_id('SubNone')} {key}")
    outcome = private.dialogue.process(message)
    assert [r.text for r in outcome.replies] == [f"正在检查 AKID****{secret_id('SubNone')[-4:]}（正式环境），几秒钟后给出结果……"]
    assert len(outcome.jobs) == 1 and cloud.calls == []  # nothing sent inside the turn
    report = private.dialogue.run_job(outcome.jobs[0])[0][0].text
    assert "❌ 电子签权限：电子签拒绝了这个密钥（AuthFailure.UnauthorizedOperation）" in report
    assert "案例里记录的是用主账号的密钥" in report  # identity: a sub-account's key after all
    assert private.history() == history  # the message itself was not kept
    (stored,) = private.checks()
    assert stored.outcome == "fail" and stored.user_id == "alice"  # type: ignore[attr-defined]
    assert key.encode() not in _db_bytes(private.store.path)
    assert key not in caplog.text + report
    # the same event delivered again (a platform retry) does not run the check twice
    again = private.dialogue.process(message)
    assert again.replies == [] and again.jobs == []


def test_check_for_case_stores_the_result_for_the_case(private: Room,
                                                       cloud: FakeTencentCloud) -> None:
    private.send("start")
    private.put(environment="test", uin=UIN, app_id=APP_TEST)
    replies = check_for_case(private.dialogue, conversation=private.conversation, user_id="U7",
                             user_name="Bob", secret_id=secret_id("Both"),
                             secret_key=secret_key("Both"))
    assert "✅ 应用号：应用号 yDTestUUckpvv76rqUxjIE8qvXHjTEST 在测试环境（联调）可以正常调用。" in replies[0].text
    replies = check_for_case(private.dialogue, conversation=private.conversation, user_id="U7",
                             user_name="Bob", secret_id=secret_id("Both"),
                             secret_key=secret_key("Both"), environment="prod")
    assert "「测试联调」里建的应用号只在测试环境有效" in replies[0].text
    first, second = private.checks()
    assert (first.environment, second.environment) == ("test", "prod")  # type: ignore[attr-defined]
    assert second.user_name == "Bob" and second.secret_id_masked == "AKID****opqr"  # type: ignore[attr-defined]
    assert [r.status for r in second.results] == ["pass", "pass", "pass", "pass", "fail"]  # type: ignore[attr-defined]
    assert check_for_case(private.dialogue, conversation="slack:T1:none", user_id="U7",
                          user_name="Bob", secret_id=secret_id("Both"),
                          secret_key=secret_key("Both"))[0].kind == "error"
    assert check_for_case(private.dialogue, conversation=private.conversation, user_id="U7",
                          user_name="Bob", secret_id=secret_id("Both"),
                          secret_key=secret_key("Both"), environment="staging")[0].kind == "error"
    assert secret_key("Both").encode() not in _db_bytes(private.store.path)


class Screen:
    """What a pseudo-terminal has shown so far, read on demand."""

    def __init__(self, fd: int) -> None:
        self.fd, self.seen, self.position = fd, b"", 0

    def until(self, marker: str, deadline_s: float = 60) -> None:
        """Read until ``marker`` appears after the last one found (a deadline, not a timing
        check: a bot that never shows it fails the test instead of hanging it)."""
        end = time.monotonic() + deadline_s
        while (found := self.seen.find(marker.encode(), self.position)) < 0:
            ready, _, _ = select.select([self.fd], [], [], max(0.0, end - time.monotonic()))
            if not ready:
                raise AssertionError(f"{marker!r} never appeared: {self.seen[-800:]!r}")
            chunk = os.read(self.fd, 4096)
            if not chunk:
                raise AssertionError(f"the terminal closed before {marker!r}")
            self.seen += chunk
        self.position = found + len(marker.encode())

    @property
    def text(self) -> str:
        return self.seen.decode("utf-8", errors="replace")


def _end_child(pid: int, fd: int, deadline_s: float = 30) -> int:
    """Wait for the child to exit, reading what it still writes; if it has not exited by the
    deadline (the test failed midway), kill it, so a failing test never hangs the suite."""
    end = time.monotonic() + deadline_s
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            os.close(fd)
            return status
        if time.monotonic() > end:
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            os.close(fd)
            return status
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            with contextlib.suppress(OSError):
                os.read(fd, 4096)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs a POSIX pseudo-terminal")
def test_at_a_terminal_the_secret_key_prompt_is_hidden(tmp_path: Path,
                                                       cloud: FakeTencentCloud) -> None:
    import pty

    env = {k: v for k, v in os.environ.items() if not k.startswith(("ESIGNBOT_", "TENCENTCLOUD_"))}
    env.update({"PYTHONPATH": str(REPO), "PYTHONIOENCODING": "utf-8",
                "ESIGNBOT_TENCENTCLOUD_ENDPOINT": cloud.endpoint})
    db = tmp_path / "esignbot.db"
    pid, fd = pty.fork()
    if pid == 0:  # the child: esignbot console on a real (pseudo-)terminal
        try:
            os.chdir(tmp_path)
            os.execve(sys.executable, [sys.executable, "-m", "bot.cli", "console", "--db",
                                       str(db), "--user", "alice", "--lang", "en"], env)
        finally:
            os._exit(127)  # never run the rest of the test suite in the child
    key = secret_key("Root")
    screen = Screen(fd)
    try:
        screen.until("\x1b[?2004h")
        os.write(fd, b"check\n")
        screen.until("SecretId:")  # drawn by the line editor: the space is a cursor move
        os.write(fd, (secret_id("Root") + "\n").encode())
        screen.until("(not shown as you type):")
        os.write(fd, (key + "\n").encode())
        screen.until("Verdict: ")
        screen.until("\x1b[?2004h")  # the line editor's next prompt (bracketed paste on)
        os.write(fd, b"\x04")  # Ctrl-D ends the conversation
    finally:
        status = _end_child(pid, fd)
    assert os.waitstatus_to_exitcode(status) == 0
    shown = screen.text
    assert secret_id("Root") in shown  # the SecretId is typed visibly...
    assert key not in shown  # ...the SecretKey is not echoed
    assert "✅ Key valid: Tencent Cloud accepted this SecretId/SecretKey pair." in shown
    assert "Traceback" not in shown
    assert key.encode() not in _db_bytes(db)
