"""The outbox sends at least once (issue 27): a server killed after WeCom took a notice and before
the row was marked sent sends it again when it starts once more. WeCom's duplicate check, asked
for on notices, drops the repeat, so the members hear it once; replies never ask for it (WeCom
compares content only, and would drop a reply rightly the same as an earlier one)."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from tests.bot.wecom.test_callback import AES_KEY, AGENT, CORP, SECRET, TOKEN, wecom_env
from tests.fakes.local_server import start_serve
from tests.fakes.wecom_api import FakeWeComApi
from tests.fakes.wecom_callbacks import WeComCallbacks

TO_TRANSFER_WAIT = ["start", "2", "2", "2"]
"""production, the guide's route, not verified, submitted: a bank-transfer wait opens."""
NOTICE = "📣"


def notice_rows(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT state, attempts FROM outbox WHERE purpose != 'reply'"
                            ).fetchall()


def test_a_notice_sent_again_after_a_kill_mid_send_reaches_nobody_twice(tmp_path: Path) -> None:
    db = tmp_path / "esignbot.db"
    with FakeWeComApi(CORP, SECRET) as api:
        env = wecom_env(api.url, ESIGNBOT_SCHEDULER_SECONDS="0.2")
        first = start_serve(db, env, log=tmp_path / "serve.log")
        callbacks = WeComCallbacks(first.base, token=TOKEN, aes_key=AES_KEY, corp_id=CORP,
                                   agent_id=AGENT)
        try:
            for text in TO_TRANSFER_WAIT:
                callbacks.text("alice", text)
            api.wait_for(lambda a: any("已开始跟踪" in t for t in a.texts_to("alice")))
            callbacks.text("bob", "状态")  # bob is a member of the case too
            api.wait_for(lambda a: any("案例 #1" in t for t in a.texts_to("bob")))
            api.stall_sends(NOTICE)
            callbacks.text("bob", "审核 transfer rejected 两次金额输错")
            api.wait_for(lambda a: a.stalled == 1)  # WeCom has the notice; no answer yet
        finally:
            callbacks.close()
        first.proc.kill()  # SIGKILL: the row stays claimed, never marked sent
        first.proc.wait(timeout=30)
        api.unstall()  # WeCom delivers it all the same
        api.wait_for(lambda a: any(NOTICE in t for t in a.texts_to("alice")))
        assert notice_rows(db) == [("sending", 1)]

        again = start_serve(db, env, log=tmp_path / "serve-again.log")
        try:
            api.wait_for(lambda a: len(a.dropped) == 1)  # sent again, dropped by WeCom
            deadline = time.monotonic() + 30
            while notice_rows(db) != [("sent", 2)]:
                assert time.monotonic() < deadline, notice_rows(db)
                time.sleep(0.1)
        finally:
            output = again.stop()
        assert "Traceback" not in output, output

    for member in ("alice", "bob"):
        assert sum(NOTICE in t for t in api.texts_to(member)) == 1, member
    sends = [c.body for c in api.calls if c.path == "message/send" and c.body]
    announced = next(body for body in sends if NOTICE in json.dumps(body, ensure_ascii=False))
    assert announced["enable_duplicate_check"] == 1
    assert announced["duplicate_check_interval"] == 1800
    assert set(announced["touser"].split("|")) == {"alice", "bob"}
    assert [json.dumps(d, sort_keys=True) for d in api.dropped] == [
        json.dumps(announced, sort_keys=True)]
    replies = [body for body in sends if body is not announced]
    assert replies and not any("enable_duplicate_check" in body for body in replies)
