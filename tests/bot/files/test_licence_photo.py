"""Licence photos read with the ``ocr`` extra (bot/files/ocr.py) and checked against the answers
(handlers/files/licence_check.py), with photos rendered at test time (licence_images.py): the
reader finds the code on clean, blurred, rotated and low-resolution photos and trusts none on a
cropped one or a page that is not a licence; it never opens a socket; and through the front
doors, ``esignbot console`` and ``esignbot serve`` with a Slack upload, the result arrives in
the conversation after the photo was stored, a mismatch shows both values and the licence's is
stored only when a person takes it, an unreadable photo gets its one sentence and the flow goes
on, ``status`` shows what was read, and no text of the photo reaches the logs or the database
beyond the values compared. A handful of photos: each read takes about a second."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from handlers.files.licence_check import find
from tests.bot.console.test_uploads import AFTER_NAME, OFFLINE
from tests.bot.console.test_walks import STAGE_1_VERIFIED
from tests.bot.files.licence_images import Licence, Variant, render, require_ocr
from tests.bot.slack.test_app import texts, walk_to_the_licence_question
from tests.conftest import run_console
from tests.fakes.slack_world import SlackWorld, slack_world

# The console walk's own answers (tests/bot/console): its enterprise name and credit code.
CONSOLE = Licence(code="9144030071526726XG", name="腾讯科技（深圳）有限公司", representative="马化腾")
NOISE = ("经营范围", "注册资本", "软件大道", "gsxt")
"""Text on the photo that is no value compared: it must never be stored or logged."""


@pytest.fixture(autouse=True)
def _ocr() -> None:
    require_ocr()


@pytest.mark.parametrize(("variant", "readable"), [
    ("clean", True), ("blurred", True), ("rotated", True), ("low_res", True),
    ("cropped", False), ("blank", False)])
def test_the_code_is_read_from_degraded_photos_and_never_guessed(variant: Variant,
                                                                  readable: bool) -> None:
    from bot.files import ocr

    licence = Licence()
    lines = ocr.read_lines(render(licence, variant, fmt="JPEG" if variant == "rotated" else "PNG"))
    assert lines is not None
    found = find(lines)
    if readable:
        assert found.code == licence.code
    else:
        assert found.code is None  # half a code, or none: nothing is trusted
    if variant == "clean":
        assert (found.name, found.person) == (licence.name, licence.representative)


def test_reading_a_photo_opens_no_socket(tmp_path: Path) -> None:
    """The models are in the wheel: with every socket refused, the photo is still read."""
    photo = tmp_path / "licence.png"
    photo.write_bytes(render())
    script = (
        "import socket, sys\n"
        "tried = []\n"
        "def refuse(*args, **kwargs):\n"
        "    tried.append(args)\n"
        "    raise OSError('no network in this test')\n"
        "socket.socket.connect = refuse\n"
        "socket.getaddrinfo = refuse\n"
        "socket.create_connection = refuse\n"
        "from bot.files import ocr\n"
        "from handlers.files.licence_check import find\n"
        f"lines = ocr.read_lines(open({str(photo)!r}, 'rb').read())\n"
        "print(find(lines or []).code, len(tried))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).parents[3])
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [Licence().code, "0"]


def _db_text(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT field, value FROM licence_read_values").fetchall()
        history = conn.execute("SELECT kind, field, value FROM history").fetchall()
    return repr(rows) + repr(history)


def test_the_console_reports_a_mismatch_and_stores_the_licences_value_only_when_taken(
        tmp_path: Path) -> None:
    photo = tmp_path / "licence.png"
    photo.write_bytes(render(CONSOLE))
    db = tmp_path / "esignbot.db"
    # The walk's legal representative is 张三; the licence says 马化腾.
    lines = [*STAGE_1_VERIFIED, *OFFLINE, "张三", *AFTER_NAME, str(photo)]
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "console", "--db", str(db), "--out", str(tmp_path / "out"),
         "--user", "alice"], input="".join(f"{line}\n" for line in lines), capture_output=True,
        text=True, encoding="utf-8", timeout=180, cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8", "ESIGNBOT_LOG_LEVEL": "DEBUG"})
    assert proc.returncode == 0 and "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    out = proc.stdout
    assert "✓ 统一社会信用代码：9144030071526726XG" in out
    assert "✓ 企业名称：腾讯科技(深圳)有限公司" in out  # as the answer was kept (NFKC)
    assert "照片上是 马化腾，回答是 张三" in out and "修改 legal_rep 马化腾" in out
    # The flow went on: the question after the photo is asked (again, under the offer).
    assert "补充实名认证进行到哪一步了" in out.split("修改 legal_rep 马化腾")[1]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT value FROM answers WHERE field = 'legal_rep'").fetchone() == ('"张三"',)
    stored = _db_text(db)
    assert "马化腾" in stored and not any(noise in stored for noise in NOISE)
    assert not any(noise in proc.stderr for noise in (*NOISE, "马化腾"))

    # Typed as offered, it is stored as this person's edit; status shows the read, now ✓.
    out = run_console(tmp_path, ["修改 legal_rep 马化腾", "status"], db=db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT value, user_id FROM answers WHERE field = 'legal_rep'"
                            ).fetchone() == ('"马化腾"', "alice")
    status = out.split("证照照片（", 1)[1]
    assert "✓ 法人代表：马化腾" in status and "✓ 统一社会信用代码" in status


def test_an_unreadable_photo_gets_its_sentence_and_the_flow_goes_on(tmp_path: Path) -> None:
    photo = tmp_path / "licence.png"
    photo.write_bytes(render(CONSOLE, "cropped"))
    out = run_console(tmp_path, [*STAGE_1_VERIFIED, *OFFLINE, "张三", *AFTER_NAME, str(photo),
                                 "2", "status"])
    assert "照片可能模糊、被裁切或不是营业执照；腾讯会驳回不清晰的照片" in out
    assert "已保存「多合一营业执照」" in out  # kept: the person may go on with it
    with sqlite3.connect(tmp_path / "esignbot.db") as conn:
        assert conn.execute("SELECT value FROM answers WHERE field = 'realname_status'"
                            ).fetchone() == ('"submitted"',)
    assert "没有读到能通过校验的证照号码" in out.split("案例 #")[-1]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlackWorld]:
    with slack_world(tmp_path_factory.mktemp("slack-ocr")) as started:
        yield started


def _posted_until(world: SlackWorld, channel: str, words: str, seconds: float = 90) -> str:
    """The channel's posts once one holds ``words`` (the read runs after the acknowledgement,
    in the reader child: its first photo loads the models)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        posted = texts(world.posts(channel))
        if words in posted:
            return posted
        time.sleep(0.25)
    raise AssertionError(f"nothing with {words!r} was posted in {seconds:g} s")


def test_a_slack_upload_is_read_in_the_background_and_a_click_takes_the_licences_value(
        world: SlackWorld) -> None:
    thread = walk_to_the_licence_question(world, "COCR")
    photo = render(Licence(code="9144030071526726XG", name="测试科技有限公司", representative="王小明"),
                   fmt="JPEG")
    calls = thread.say("", files=[world.api.share_file(photo, "licence.jpg", "image/jpeg")])
    # Answered before the read is done: the photo's "saved" is posted first, the read's result
    # after it on its own (an order, not a time: a busy machine slows both).
    said = texts(calls)
    assert "已保存「多合一营业执照」" in said
    assert "照片上是" not in said.split("已保存「多合一营业执照」", 1)[0]
    posted = _posted_until(world, "COCR", "照片上是 王小明，回答是 张三")
    assert "✓ 统一社会信用代码：9144030071526726XG" in posted
    assert world.answers("COCR")["legal_rep"] == "张三"  # nothing taken without a person
    offer = next(c for c in reversed(world.posts("COCR")) if "王小明" in c.text())
    thread.click("采用照片上的法人代表", on=offer)
    assert world.answers("COCR")["legal_rep"] == "王小明"
