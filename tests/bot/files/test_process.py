"""``esignbot serve`` builds the application files in a child process (bot/files/process.py):
that child must never outlive the server, however the server ends — an orphan would hold the
server's output open and pile up across restarts."""

from __future__ import annotations

import signal
import time
from datetime import date
from pathlib import Path

import pytest

from bot.files.process import FileBuilderProcess
from bot.files.workbook import build_application_workbook
from tests.fakes.slack_world import slack_world

ANSWERS = {"uin": "100016315204", "enterprise_name": "腾讯科技（深圳）有限公司", "app_name": "合同助手",
           "app_type": "微信小程序", "app_description": "在线签署劳动合同的小程序",
           "whitelist_interfaces": ["VerifyUser"]}


def children(pid: int) -> set[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in path.read_text().split()} if path.exists() else set()


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL])
def test_the_builder_process_ends_with_the_server(tmp_path: Path, stop: signal.Signals) -> None:
    # slack_world's own teardown then reads the server's output to the end, which returns only
    # once nobody (no orphaned child) holds it open any more.
    with slack_world(tmp_path) as world:
        started = children(world.server.pid)
        assert started, "serve starts its file-building process at start"
        world.server.send_signal(stop)
        world.server.wait(timeout=30)
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in started)


def test_a_build_in_the_child_is_the_same_workbook() -> None:
    builder = FileBuilderProcess()
    try:
        built = builder.application_workbook(ANSWERS, date(2026, 3, 2))
    finally:
        builder.close()
    inline = build_application_workbook(ANSWERS, date(2026, 3, 2))
    assert built.name == inline.name and built.mime == inline.mime
    assert built.content[:2] == b"PK"  # an xlsx (a zip), read back cell by cell in test_workbook
