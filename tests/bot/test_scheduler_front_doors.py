"""Result notices through the front doors: ``esignbot console`` (a real process printing its own
conversation's notices) and ``esignbot serve`` with the WeCom and Slack apps (the scheduler inside
the server delivers through WeCom's ``message/send`` and Slack's ``chat.postMessage`` on local
fakes), each exactly once."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.bot.wecom.test_callback import CORP, running
from tests.conftest import Chat, run_console
from tests.fakes.local_server import clean_env, serving
from tests.fakes.slack_api import FakeSlackApi

TO_TRANSFER_WAIT = ["2", "2", "2"]  # production (issue 26: a test case has no transfer)
"""After the console's own "start": test env, the guide's route, not verified, submitted."""


def outbox(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT conversation, state FROM outbox WHERE purpose != 'reply'"
                            " ORDER BY id").fetchall()


def test_the_console_prints_a_result_notice_once_after_the_reply(tmp_path: Path) -> None:
    out = run_console(tmp_path, [*TO_TRANSFER_WAIT, "review transfer approved"], "--lang", "en")
    assert out.count("📣") == 1
    recorded = out.index("✔ Recorded the bank-transfer verification: approved")
    assert out.index("@alice 📣 The bank-transfer verification is complete") > recorded
    assert "Next: tell me the Tencent Cloud main account's UIN" in out
    again = run_console(tmp_path, ["status"])  # a restart does not announce it again
    assert "📣" not in again and "✅ bank-transfer verification: approved" in again
    assert outbox(tmp_path / "esignbot.db") == [("console:default", "sent")]


def test_a_notice_waits_for_its_own_console_conversation(tmp_path: Path) -> None:
    db = tmp_path / "esignbot.db"
    chat = Chat(db, "console:team-a")  # recorded elsewhere, e.g. by another process
    for line in ["start", *TO_TRANSFER_WAIT, "审核 transfer rejected 两次金额输错"]:
        chat.send(line)
    chat.store.close()
    other = run_console(tmp_path, ["status"], "--conversation", "team-b")
    assert "📣" not in other
    assert outbox(db) == [("console:team-a", "pending")]
    own = run_console(tmp_path, ["status"], "--conversation", "team-a")
    assert own.count("@alice 📣 对公打款认证没有通过") == 1 and "原因：两次金额输错" in own
    assert outbox(db) == [("console:team-a", "sent")]


def test_console_admins_setting_restricts_who_records_results(tmp_path: Path) -> None:
    env = {"ESIGNBOT_ADMINS": "console:boss, console:carol"}
    out = run_console(tmp_path, [*TO_TRANSFER_WAIT, "review transfer approved", "status all"],
                      env=env)
    assert "只有管理员可以记录审核结果" in out and "「状态 全部」会列出所有团队的案例" in out
    assert "📣" not in out
    out = run_console(tmp_path, ["review transfer approved", "status all"], env=env, user="carol")
    assert out.count("@alice 📣") == 1 and "全部 1 个案例" in out


def test_serve_announces_a_result_in_wecom_exactly_once(tmp_path: Path) -> None:
    with running(tmp_path, ESIGNBOT_SCHEDULER_SECONDS="0.2") as served:
        for text in ["start", *TO_TRANSFER_WAIT]:
            served.wecom.text("alice", text)
        served.api.wait_for(lambda a: any("已开始跟踪" in t for t in a.texts_to("alice")))
        served.wecom.text("bob", "审核 realname approved")  # not applicable yet: refused, no notice
        served.wecom.text("bob", "审核 transfer rejected 两次金额输错")
        served.api.wait_for(lambda a: any("📣" in t for t in a.texts_to("alice")))
    notices = [t for t in served.api.texts_to("alice") if "📣" in t]  # the server has stopped
    assert len(notices) == 1
    assert notices[0].startswith("@alice 📣 对公打款认证没有通过（bob 于")
    assert "原因：两次金额输错" in notices[0]
    assert outbox(tmp_path / "esignbot.db") == [(f"wecom:{CORP}", "sent")]


def test_serve_announces_a_result_in_slack_with_a_real_mention(tmp_path: Path) -> None:
    db = tmp_path / "esignbot.db"
    chat = Chat(db, "slack:T1:C42")  # the case as the Slack adapter keys it
    for line in ["start", *TO_TRANSFER_WAIT]:
        chat.send(line, user="U0123ABCD")
    chat.send("review transfer approved", user="U0456EFGH")
    chat.store.close()
    token = "xoxb-esignbot-scheduler-test"
    with FakeSlackApi(token).serving() as slack:
        env = clean_env(SLACK_BOT_TOKEN=token, SLACK_SIGNING_SECRET="signing-secret-for-tests",
                        SLACK_API_URL=slack.api_url, ESIGNBOT_SCHEDULER_SECONDS="0.2")
        with serving(db, env):
            slack.wait_for(lambda calls: any("📣" in c.text() for c in calls
                                             if c.method == "chat.postMessage"))
        posts = [c for c in slack.calls_to("chat.postMessage") if "📣" in c.text()]
    assert len(posts) == 1 and posts[0].params["channel"] == "C42"
    assert "<@U0123ABCD> 📣 对公打款认证已完成" in posts[0].text()
    assert outbox(db) == [("slack:T1:C42", "sent")]
