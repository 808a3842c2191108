"""The console's bugs of issue 18, through ``esignbot console`` with piped input (a real
process, a real SQLite file): an ``--out`` that cannot take the workbook, a mistyped image
path, and two terminals on one case that must each see only their own user's notices.

The answers are given with ``edit <field> <value>``, which needs no particular order of
questions, so the tests do not depend on where the flow asks what (:func:`workbook_answers`)."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from handlers.reviews import undelivered
from storage import CaseStore, outbox
from tests.conftest import run_console


def workbook_answers() -> list[str]:
    """What the workbook needs (handlers/files/contents.py WORKBOOK_REQUIRED), as edits."""
    return ["2", "edit uin 100016315204", "edit enterprise_name 测试科技有限公司",
            "edit app_name 合同助手", "edit app_type 1", "edit app_description 在线签署劳动合同"]


def image_question() -> list[str]:
    """Lines that bring the licence image question up (the offline route of an enterprise)."""
    return ["2", "edit realname_route 2", "edit org_type 1", "edit license_image"]


def workbooks(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.xlsx")) if folder.is_dir() else []


def test_an_out_that_is_a_file_is_said_in_one_sentence_and_excel_works_once_fixed(
        tmp_path: Path) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("not a folder")
    out = run_console(tmp_path, [*workbook_answers(), "excel", "status"], "--lang", "en")
    assert ("Could not write 测试科技有限公司-电子签应用号申请-" in out
            and f"to the folder {blocker}: it, or a folder above it, is a file rather than a folder."
            in out), out
    assert "Case #1 ·" in out  # the chat went on after it
    assert blocker.read_text() == "not a folder"
    blocker.unlink()
    again = run_console(tmp_path, ["excel"], "--lang", "en")
    assert len(workbooks(blocker)) == 1 and f"→ {workbooks(blocker)[0]}" in again


@pytest.fixture
def immutable_out(tmp_path: Path) -> Iterator[Path]:
    """A folder nobody may write into, root included (``chattr +i``; permissions do not stop
    root, which the tests may run as)."""
    folder = tmp_path / "out"
    folder.mkdir()
    if shutil.which("chattr") is None or subprocess.run(
            ["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available on this file system")
    try:
        yield folder
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_an_out_folder_that_takes_no_files_is_said_and_the_answers_are_kept(
        tmp_path: Path, immutable_out: Path) -> None:
    out = run_console(tmp_path, [*workbook_answers(), "excel"])
    assert f"写到文件夹 {immutable_out}：没有在那里写入的权限。回答已保存；修正 --out 后输入「表格」或「材料」即可再取得文件。" in out, out
    assert list(immutable_out.iterdir()) == []
    with sqlite3.connect(tmp_path / "esignbot.db") as conn:
        assert conn.execute("SELECT count(*) FROM answers WHERE field = 'app_description'"
                            ).fetchone() == (1,)


def test_a_mistyped_image_path_is_file_not_found_and_nothing_changes(tmp_path: Path) -> None:
    missing = tmp_path / "scans" / "licence.png"
    out = run_console(tmp_path, [*image_question(), str(missing), "licence.jpg", "C:\\scan\\x"],
                      "--lang", "en")
    assert f"File not found: {missing}" in out
    assert "File not found: licence.jpg" in out and "File not found: C:\\scan\\x" in out
    assert "needs an image upload" not in out
    with sqlite3.connect(tmp_path / "esignbot.db") as conn:
        assert conn.execute("SELECT count(*) FROM answers WHERE field = 'license_image'"
                            ).fetchone() == (0,)
    # A line that is no path at all still gets the question's own sentence.
    out = run_console(tmp_path, ["edit license_image", "我稍后上传"], "--lang", "en")
    assert "needs an image upload" in out and "File not found" not in out


def test_two_terminals_on_one_case_each_see_only_their_own_users_notices(tmp_path: Path) -> None:
    db = tmp_path / "esignbot.db"
    admins = {"ESIGNBOT_ADMINS": "console:alice"}
    run_console(tmp_path, ["1"], env=admins)  # alice, an admin, starts the case
    store = CaseStore(db)
    with store.transaction() as tx:  # a notice for the admins only (a message given up on)
        told = undelivered.tell_admins(tx, message_id=99, conversation="slack:T1:C1", case_id=7,
                                       attempts=8, error="SlackApiError", admins=["console:alice"],
                                       at=datetime(2026, 12, 1, 4, tzinfo=UTC).isoformat())
        case = tx.active_case("console:default")
        assert case is not None  # and one for everyone on the case, queued after it
        outbox.add_message(tx, dedupe_key="result:test", case_id=case.id, wait_id=None,
                           purpose="result", conversation="console:default",
                           mention_user_id="alice", mention_name="alice",
                           replies=[{"kind": "info", "text": "📣 for the whole team"}],
                           at=datetime(2026, 12, 1, 4, tzinfo=UTC).isoformat())
    store.close()
    assert told == ["console:default"]
    notice = "slack:T1:C1"  # the notice names the conversation it is about

    bob = run_console(tmp_path, ["status"], user="bob", env=admins)
    assert notice not in bob
    assert "@alice 📣 for the whole team" in bob  # a notice for everyone reaches bob's window
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT state, actor FROM outbox WHERE dedupe_key LIKE 'undelivered:%'"
                            ).fetchall() == [("pending", "alice")]

    alice = run_console(tmp_path, ["status"], env=admins)
    assert alice.count(notice) == 1
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT state FROM outbox WHERE state != 'sent'").fetchall() == []


def test_check_asks_again_after_a_secret_id_typo_and_says_it_is_checking(tmp_path: Path) -> None:
    from tests.fakes.tencentcloud import UIN, secret_id, secret_key, standard_cloud

    with standard_cloud().serving() as cloud:
        env = {"ESIGNBOT_TENCENTCLOUD_ENDPOINT": cloud.endpoint,
               "TENCENTCLOUD_SECRET_KEY": secret_key("Root")}
        out = run_console(tmp_path, ["2", f"edit uin {UIN}", "check", "AKID-typo",
                                     secret_id("Root")], "--lang", "en", env=env)
    assert out.count("This is not a whole SecretId") == 1 and "(2 more tries left)" in out
    checking = out.index("Checking AKID****opqr; this may take a few seconds…")
    assert checking < out.index("🔐")  # said before the call, and the report follows
    assert "The check is cancelled" not in out and secret_key("Root") not in out
