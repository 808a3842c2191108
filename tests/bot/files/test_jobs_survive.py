"""Issue 27 through the front door: ``esignbot serve`` (a real process) is SIGKILLed after it
acknowledged ``excel`` and while the workbook was being built; started again on the same file,
it builds the workbook and uploads it to Slack, exactly once.

How the build is caught in the act: the serve under test (and its file-building child, which
inherits its environment) loads a ``sitecustomize`` from this test that makes the workbook
builder wait while a file exists, and say it began. Only the first server has it; the second
runs the code as shipped. Before issue 27 the build lived in the first server's memory: the
request was acknowledged, the server died, and nothing ever arrived.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from tests.fakes.local_server import clean_env, start_serve
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_events import SlackSender
from tests.fakes.slack_world import BOT_TOKEN, SIGNING_SECRET, TEAM

DM = "DJOBS1"
ANSWERS = ["start", "2", "1", "100016315204", "测试科技有限公司",  # stage 1, production
           "1", "3",  # real-name: online, approved
           "2", "合同助手", "微信小程序", "在线签署劳动合同的小程序", "5, 10"]  # stage 3: offered
WORKBOOK = "电子签应用号申请"

SITECUSTOMIZE = '''
import os
import time
from collections.abc import Callable
from pathlib import Path

import bot.files.workbook as _workbook

_build = _workbook.build_application_workbook
_STALL = Path(os.environ["JOBS_TEST_STALL"])


def build_application_workbook(answers, today):
    if _STALL.exists():
        (_STALL.parent / "stalled").touch()
        deadline = time.monotonic() + 120
        while _STALL.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    return _build(answers, today)


_workbook.build_application_workbook = build_application_workbook
'''


def workbook_uploads(api: FakeSlackApi) -> list[str]:
    """The sentence of each workbook uploaded into the DM (the upload's comment)."""
    return [str(c.params.get("initial_comment", "")) for c in api.calls_to(
                "files.completeUploadExternal")
            if c.params.get("channel_id") == DM
            and any(WORKBOOK in str(f.get("title", "")) for f in c.params["files"])]


def wait(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_an_excel_acknowledged_before_a_sigkill_is_delivered_once_after_the_restart(
        tmp_path: Path) -> None:
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    stall, stalled = tmp_path / "stall", tmp_path / "stalled"
    db = tmp_path / "esignbot.db"
    with FakeSlackApi(BOT_TOKEN, team_id=TEAM).serving() as api:
        env = clean_env(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                        SLACK_API_URL=api.api_url)
        shimmed = os.pathsep.join(p for p in (str(shim), env.get("PYTHONPATH")) if p)
        first = start_serve(db, {**env, "PYTHONPATH": shimmed, "JOBS_TEST_STALL": str(stall)},
                            log=tmp_path / "first.log")
        try:
            sender = SlackSender(first.base, SIGNING_SECRET, team=TEAM)
            for n, text in enumerate(ANSWERS):
                response = sender.message(text, channel=DM, channel_type="im",
                                          event_id=f"EvJobs{n}")
                assert response.status_code == 200, text
            wait(lambda: len(workbook_uploads(api)) == 1, "the workbook offered at stage 3")
            stall.touch()
            assert sender.message("excel", channel=DM, channel_type="im",
                                  event_id="EvJobsExcel").status_code == 200
            sender.close()
            wait(stalled.exists, "the excel's build began")
            os.kill(first.proc.pid, signal.SIGKILL)  # acknowledged, building, not delivered
            first.proc.wait(timeout=20)
        finally:
            if first.proc.poll() is None:
                first.proc.kill()
                first.proc.wait()
        stall.unlink()
        assert len(workbook_uploads(api)) == 1  # only the offer's: the excel's never came

        second = start_serve(db, env, log=tmp_path / "second.log")  # the code as shipped
        try:
            wait(lambda: len(workbook_uploads(api)) >= 2, "the excel's workbook after the restart")
            time.sleep(3)  # long enough for a second delivery (the runtime polls every second)
        finally:
            output = second.stop()
        assert "Traceback" not in output, output
        assert "taking over job" in output and "(files.hand_over)" in output
    offered, asked = workbook_uploads(api)  # the offer's, and the excel's: exactly once
    assert "第 3 步的信息齐了" in offered and "这是电子签应用号申请表" in asked
    with sqlite3.connect(db) as conn:  # the excel's job, taken over after its process died
        assert conn.execute("SELECT kind, state, attempts FROM jobs ORDER BY id").fetchall() \
            == [("files.hand_over", "done", 1), ("files.hand_over", "done", 2)]
