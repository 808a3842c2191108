"""``esignbot backup`` through the front door: a real process copying a real SQLite file of
several thousand cases (about 10 MB, so the copy goes in many steps) while ``esignbot serve``
answers Slack clients on the same file; the copy checked, restored into a new place and read by
``esignbot console``; and the refusals (an existing file, bad paths) as one sentence each.

Why the load matters: SQLite restarts a stepwise backup whenever another process commits
between two steps, so under steady load a naive stepwise copy never ends; the copy must hold
one snapshot (storage/backup.py). Bounded: the load stops by itself after a fixed number of
turns per client, and the test waits at most a fixed time for it.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

from cryptography.fernet import Fernet

from storage import CaseStore
from storage.backup import PAGES_PER_STEP
from tests.bot.hardening.test_crash import Client, drive
from tests.conftest import run_console
from tests.fakes.local_server import clean_env, serving
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_world import BOT_TOKEN, SIGNING_SECRET, TEAM

SEEDED_CASES = 4000
RESIDENT_ID = "11010519491231002X"
PHONE = "13812345678"
WALK = ["start", "2", "1", "100016315204", "备份测试科技有限公司", "2", "2",
        "9144030071526726XG", "张三", RESIDENT_ID, PHONE, "ops@example.com"]
"""The console's case: test environment on the guide's route, an individual business offline,
with the operator's resident ID and phone (sealed at rest with the data key)."""
CLIENTS = 3
ACKS_BEFORE_BACKUP = 24


def esignbot(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ESIGNBOT_")}
    proc = subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True,
                          encoding="utf-8", timeout=120, cwd=cwd,
                          env={**clean, "PYTHONIOENCODING": "utf-8", **env})
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    return proc


def seed(db: Path, cases: int) -> None:
    """Cases of real shape (a dozen answers each, with history), written through the store."""
    store = CaseStore(db, synchronous="normal")
    at = "2026-11-02T02:00:00+00:00"
    try:
        with store.transaction() as tx:
            for i in range(cases):
                case = tx.create_case(f"slack:{TEAM}:CSEED{i}", "zh", "U1", "Seed", at)
                for field, value in (
                        ("environment", "test"), ("has_verified_account", "yes"),
                        ("uin", f"1000{i:08d}"), ("enterprise_name", f"种子{i}号科技有限公司"),
                        ("realname_route", "offline"), ("org_type", "enterprise"),
                        ("legal_rep", "张三"), ("contact_name", "李四"),
                        ("org_email", f"ops{i}@example.com"), ("app_name", f"合同助手{i}"),
                        ("app_description", "在线签署合同，" * 6)):
                    tx.put_answer(case.id, field, value, kind="answer", user_id="U1",
                                  user_name="Seed", at=at)
    finally:
        store.close()


def test_a_backup_under_load_holds_every_acknowledged_answer_and_restores(tmp_path: Path) -> None:
    db = tmp_path / "esignbot.db"
    data_key = Fernet.generate_key().decode()
    seed(db, SEEDED_CASES)
    run_console(tmp_path, WALK, "--conversation", "restore-me", env={"ESIGNBOT_DATA_KEY": data_key})
    assert db.stat().st_size > 8 * 2**20
    target = tmp_path / "backups" / "esignbot-backup.db"
    clients = [Client(i) for i in range(1, CLIENTS + 1)]
    with FakeSlackApi(BOT_TOKEN, team_id=TEAM).serving() as api:
        api.users.update({f"U{c.number}": f"Person {c.number}" for c in clients})
        env = clean_env(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                        SLACK_API_URL=api.api_url, ESIGNBOT_DATA_KEY=data_key)
        with serving(db, env) as server:
            stop = threading.Event()
            threads = [threading.Thread(target=drive, args=(c, server.base, stop), daemon=True)
                       for c in clients]
            for thread in threads:
                thread.start()
            try:
                deadline = time.monotonic() + 90
                while sum(len(c.acked) for c in clients) < ACKS_BEFORE_BACKUP:
                    assert time.monotonic() < deadline, "the load never got going"
                    time.sleep(0.02)
                before = {c.number: list(c.acked) for c in clients}
                backup = esignbot(tmp_path, "backup", "--db", str(db), "--to", str(target),
                                  "--lang", "en")
                during = sum(len(c.acked) for c in clients) - sum(map(len, before.values()))
            finally:
                stop.set()
                for thread in threads:
                    thread.join(30)
                    assert not thread.is_alive()
            assert server.proc.poll() is None, "serve died during the backup"

    assert backup.returncode == 0, backup.stderr
    [line] = backup.stdout.splitlines()
    assert line.startswith(f"Backed up {db} to {target}: ") and "integrity check passed" in line
    assert "sealed personal values stay sealed" in line
    found = re.search(r"(\d+) pages copied in (\d+) steps", line)
    assert found, line
    pages, steps = int(found.group(1)), int(found.group(2))
    # ~2,500 pages at 256 a step: the copy really went stepwise, and never started over
    # (a restart after a commit by serve would add steps).
    assert pages > 2000 and steps == math.ceil(pages / PAGES_PER_STEP), line
    assert during > 0  # serve kept answering while the backup ran
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no partial file left

    with sqlite3.connect(f"file:{target}?mode=ro", uri=True) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one file
        assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == SEEDED_CASES + 1 + CLIENTS
        events = {row[0] for row in conn.execute("SELECT event_id FROM events")}
        for client in clients:
            case_id = conn.execute("SELECT id FROM cases WHERE conversation = ?",
                                   [f"slack:{TEAM}:{client.channel}"]).fetchone()[0]
            names = {json.loads(v) for (v,) in conn.execute(
                "SELECT value FROM history WHERE case_id = ? AND field = 'enterprise_name'",
                [case_id])}
            for event_id, text in before[client.number]:
                assert f"slack:event:{event_id}" in events, (event_id, text)
                if text.startswith("edit enterprise_name "):
                    assert text.removeprefix("edit enterprise_name ") in names, text
    # A page-for-page copy: the sealed values are in it sealed, never in plain.
    assert RESIDENT_ID.encode() not in target.read_bytes()
    assert PHONE.encode() not in target.read_bytes()

    # Restored into a new place, the console (with the same key) finds the case as it was.
    restored = tmp_path / "restored" / "esignbot.db"
    restored.parent.mkdir()
    shutil.copyfile(target, restored)
    out = run_console(restored.parent, ["status"], "--conversation", "restore-me", db=restored,
                      env={"ESIGNBOT_DATA_KEY": data_key})
    case_id = SEEDED_CASES + 1
    assert f"#{case_id}" in out and "备份测试科技有限公司" in out and "100016315204" in out
    assert RESIDENT_ID in out and PHONE in out  # unsealed with the same key, in a private terminal


def test_a_backup_never_overwrites_unless_forced(tmp_path: Path) -> None:
    run_console(tmp_path, ["start", "1"])
    target = tmp_path / "backup.db"
    target.write_bytes(b"an older backup")
    refused = esignbot(tmp_path, "backup", "--db", "esignbot.db", "--to", str(target), "--lang", "en")
    assert refused.returncode == 2
    assert refused.stderr.strip() == (f"{target} already exists; nothing was written. Choose "
                                      "another file, or add --force to replace it.")
    assert target.read_bytes() == b"an older backup" and refused.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    forced = esignbot(tmp_path, "backup", "--db", "esignbot.db", "--to", str(target), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "完整性检查通过" in forced.stdout
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT value FROM answers WHERE field = 'environment'").fetchone() == (
            '"test"',)
    # The live database itself (or its journal) is never a target, not even with --force.
    for live in ("esignbot.db", "esignbot.db-wal"):
        same = esignbot(tmp_path, "backup", "--db", "esignbot.db", "--to", live, "--force",
                        "--lang", "en")
        assert same.returncode == 2 and "is the database itself" in same.stderr
    assert esignbot(tmp_path, "cases", "--db", "esignbot.db").returncode == 0


def test_bad_paths_get_one_sentence_and_exit_2(tmp_path: Path) -> None:
    missing = esignbot(tmp_path, "backup", "--db", "nowhere.db", "--to", "b.db", "--lang", "en")
    assert missing.returncode == 2
    assert missing.stderr.strip() == ("There is no SQLite database at nowhere.db; nothing was "
                                      "changed. Check --db or ESIGNBOT_DB.")
    assert not (tmp_path / "nowhere.db").exists() and not (tmp_path / "b.db").exists()

    (tmp_path / "notes.txt").write_text("not a database\n" * 500, encoding="utf-8")
    not_db = esignbot(tmp_path, "backup", "--db", "notes.txt", "--to", "b.db", "--lang", "en")
    assert not_db.returncode == 2 and "no SQLite database at notes.txt" in not_db.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]  # no partial file left

    run_console(tmp_path, ["start"])
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    under_file = esignbot(tmp_path, "backup", "--db", "esignbot.db", "--to", "afile/b.db",
                          "--lang", "en")
    assert under_file.returncode == 2
    [sentence] = under_file.stderr.strip().splitlines()
    assert sentence.startswith("Cannot write afile/b.db (") and sentence.endswith(
        "); no file was left behind.")
