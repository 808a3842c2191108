"""``esignbot console`` at a real pseudo-terminal (pexpect): the keys a person presses are
editing, not characters — arrows move, backspace removes a whole Chinese character, Up brings
back a line from an earlier run, Tab completes command words and field names — a long paste
arrives whole, the SecretKey prompt shows nothing of the key, and quitting says how to go on.

Every wait is bounded (``TIMEOUT_S``); what was stored is read back from the real SQLite file."""

from __future__ import annotations

import json
import sqlite3
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from tests.fakes.local_server import clean_env

TIMEOUT_S = 20
ESIGNBOT = Path(sys.executable).with_name("esignbot")
LEFT, UP, BACKSPACE, CTRL_C, CTRL_D = "\x1b[D", "\x1b[A", "\x7f", "\x03", "\x04"
SECRET_ID = "AKID" + "Ab12" * 8
SECRET_KEY = "Zx9" * 10 + "Q7"


class Console:
    """One ``esignbot console --lang en`` on a pseudo-terminal of 40×200."""

    def __init__(self, tmp_path: Path, *, user: str = "alice") -> None:
        self.db = tmp_path / "esignbot.db"
        # The emulator here answers no cursor-position requests; a real terminal does.
        env = clean_env(TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1")
        self.child = pexpect.spawn(
            str(ESIGNBOT), ["console", "--db", str(self.db), "--out", str(tmp_path / "out"),
                            "--user", user, "--lang", "en"],
            cwd=str(tmp_path), env=env, encoding="utf-8", timeout=TIMEOUT_S, dimensions=(40, 200))
        self.seen: list[str] = []
        self.ready()

    def expect(self, text: str) -> None:
        self.child.expect_exact(text)
        self.seen.append(f"{self.child.before}{self.child.after}")

    def ready(self, prompt: str = ">") -> None:
        """Until ``prompt`` is drawn and waits for keys (bracketed paste on, cursor shown); a
        plain ``prompt`` and a space is what a console without a line editor printed."""
        if self.child.expect_exact(["\x1b[?2004h", prompt + " "]) == 1:
            self.seen.append(f"{self.child.before}{self.child.after}")
            return
        self.seen.append(f"{self.child.before}{self.child.after}")
        self.expect(prompt)
        self.expect("\x1b[?25h")

    def line(self, *keys: str) -> None:
        """Press ``keys``, then Enter."""
        for key in keys:
            self.child.send(key)
        self.child.send("\r")

    def quit(self, key: str = CTRL_D) -> str:
        self.child.send(key)
        self.expect("Saved; run the same command to continue.")
        self.child.expect(pexpect.EOF)
        self.seen.append(str(self.child.before))
        self.child.close()
        assert self.child.exitstatus == 0, self.output()
        assert "Traceback" not in self.output()
        return self.output()

    def output(self) -> str:
        return "".join(self.seen)

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    started = Console(tmp_path)
    yield started
    started.close()


def answer(db: Path, field: str) -> object:
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT value FROM answers WHERE field = ?", [field]).fetchone()
    return None if row is None else json.loads(row[0])


def given(db: Path, field: str) -> list[object]:
    """Every value stored for ``field``, oldest first (the history keeps replaced ones)."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT value FROM history WHERE field = ? AND value IS NOT NULL"
                            " ORDER BY id", [field]).fetchall()
    return [json.loads(value) for (value,) in rows]


def test_arrow_keys_move_and_backspace_removes_a_whole_chinese_character(console: Console) -> None:
    console.line("edit enterprise_name 腾讯科技有限司", LEFT, "公")
    console.expect("Saved enterprise name: 腾讯科技有限公司")
    console.ready()
    console.line("edit enterprise_name 测试科技有限公司X", BACKSPACE)
    console.expect("Saved enterprise name: 测试科技有限公司")
    console.ready()
    console.quit()
    assert given(console.db, "enterprise_name") == ["腾讯科技有限公司", "测试科技有限公司"]


def test_up_brings_back_a_line_from_an_earlier_run_and_no_key_is_kept(tmp_path: Path) -> None:
    first = Console(tmp_path)
    try:
        first.line("edit enterprise_name 历史科技有限公司")
        first.expect("Saved enterprise name: 历史科技有限公司")
        first.ready()
        first.line(f"{SECRET_ID} {SECRET_KEY}")  # a key pair on a visible line: refused
        first.expect("That line holds a SecretKey")
        first.ready()
        first.quit()
    finally:
        first.close()
    history = tmp_path / "esignbot.db.history"
    assert stat.S_IMODE(history.stat().st_mode) == 0o600
    kept = history.read_text(encoding="utf-8")
    assert "edit enterprise_name 历史科技有限公司" in kept
    assert SECRET_KEY not in kept and SECRET_ID not in kept

    second = Console(tmp_path, user="bob")
    try:
        second.line("edit enterprise_name 别的科技有限公司")
        second.expect("Saved enterprise name: 别的科技有限公司")
        second.ready()
        # Up: this run's line; Up again: the earlier run's (the refused key pair is not there).
        second.line(UP, UP)
        second.expect("Saved enterprise name: 历史科技有限公司")
        second.ready()
        second.quit(CTRL_C)
    finally:
        second.close()
    assert answer(tmp_path / "esignbot.db", "enterprise_name") == "历史科技有限公司"


def test_tab_completes_command_words_and_field_names(console: Console) -> None:
    console.line("sta\t")
    console.expect("Case #1 · environment not chosen")
    console.ready()
    console.line("edit enterprise_n\t", " 补全科技有限公司")
    console.expect("Saved enterprise name: 补全科技有限公司")
    console.ready()
    console.quit()
    assert answer(console.db, "enterprise_name") == "补全科技有限公司"


def test_the_secret_key_prompt_shows_nothing_and_ctrl_c_there_cancels_the_check(
        console: Console) -> None:
    console.line("check")
    console.ready("SecretId:")
    console.line("AKID12345")  # a typo: asked again, not cancelled
    console.expect("This is not a whole SecretId")
    console.ready("SecretId:")
    console.line(SECRET_ID)
    console.ready("(not shown as you type):")
    console.child.send(SECRET_KEY)
    console.expect("*" * len(SECRET_KEY))  # each key shows as a star
    console.child.send(CTRL_C)
    console.expect("No SecretKey received; the check is cancelled.")
    console.ready()
    out = console.quit()
    assert SECRET_KEY not in out and SECRET_KEY[:8] not in out
    assert "No SecretId given" not in out and "Checking" not in out
    with sqlite3.connect(console.db) as conn:
        assert conn.execute("SELECT count(*) FROM credential_checks").fetchone() == (0,)


def test_a_pasted_line_of_6000_bytes_arrives_whole(console: Console) -> None:
    pasted = "edit app_description " + "述" * 1993
    assert len(pasted.encode()) == 6000 and len(pasted) == 2014  # past the tty's 4,095 bytes
    # As a terminal sends a paste: between bracketed-paste marks, then Enter.
    console.line(f"\x1b[200~{pasted}\x1b[201~")
    console.expect("That message is too long (2014 characters)")
    console.ready()
    console.quit()
    assert answer(console.db, "app_description") is None
