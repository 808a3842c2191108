"""Personal data at rest: sealed with ESIGNBOT_DATA_KEY, a key rotation, export and erase of a
case. Through the front doors: ``esignbot console`` and the admin sub-commands as processes, the
SQLite file read back byte by byte."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from bot.wiring import PERSONAL_FIELDS
from storage import CaseStore, mail
from storage.case_store import StoreTransaction
from storage.credential_checks import CheckResultRecord, record_check
from storage.sent_emails import SentAttachment, record_sent_email
from storage.slack_threads import claim_thread
from storage.wecom import add_member
from tests.conftest import run_console

RESIDENT_ID = "11010519491231002X"
PHONES = ("13812345678", "13912345678")
WALK = ["start", "2", "1", "100016315204", "测试科技有限公司", "2", "2", "9144030071526726XG",
        "张三", RESIDENT_ID, PHONES[0], "ops@example.com", f"edit contact_phone {PHONES[1]}"]
"""Test environment on the guide's route (2: by email), verified account, an individual business
offline: its operator's resident ID and phone, then the phone changed (so history holds both a
value and a previous one)."""


def key() -> str:
    return Fernet.generate_key().decode()


def admin(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ESIGNBOT_")}
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args, "--db", str(tmp_path / "esignbot.db")],
        capture_output=True, text=True, encoding="utf-8", timeout=120, cwd=tmp_path,
        env={**clean, "PYTHONIOENCODING": "utf-8", **env})
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    return proc


def file_bytes(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(db.parent.glob(db.name + "*")))


def stored(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute(sql).fetchall())


def test_the_flow_names_exactly_the_resident_id_and_phone_as_personal() -> None:
    assert {"operator_id_number", "contact_phone"} == PERSONAL_FIELDS


def test_with_a_data_key_personal_fields_never_reach_the_file_in_plain(tmp_path: Path) -> None:
    data_key = key()
    out = run_console(tmp_path, [*WALK, "status"], env={"ESIGNBOT_DATA_KEY": data_key})
    assert RESIDENT_ID in out and PHONES[1] in out  # a private terminal shows full values
    db = tmp_path / "esignbot.db"
    raw = file_bytes(db)
    for secret in (RESIDENT_ID, *PHONES):
        assert secret.encode() not in raw, secret
    assert "张三".encode() in raw  # the file is readable: only the personal fields are sealed
    values = stored(db, "SELECT value FROM answers WHERE field IN ('operator_id_number', 'contact_phone')")
    assert len(values) == 2 and all(str(v).startswith("sealed:") for (v,) in values)
    previous = stored(db, "SELECT previous FROM history WHERE field = 'contact_phone' AND previous IS NOT NULL")
    assert previous and all(str(p).startswith("sealed:") for (p,) in previous)

    # A restarted console with the key reads them back; without it the admin is told what to set.
    again = run_console(tmp_path, ["status"], env={"ESIGNBOT_DATA_KEY": data_key})
    assert RESIDENT_ID in again
    refused = admin(tmp_path, "export-case", "--case", "1")
    assert refused.returncode == 2 and "ESIGNBOT_DATA_KEY" in refused.stderr
    assert RESIDENT_ID not in refused.stdout + refused.stderr


def test_without_a_key_values_are_plain_and_a_later_key_seals_them_on_rotation(tmp_path: Path) -> None:
    run_console(tmp_path, WALK)
    db = tmp_path / "esignbot.db"
    assert RESIDENT_ID.encode() in file_bytes(db)
    new = key()
    rotated = admin(tmp_path, "rotate-data-key", ESIGNBOT_NEW_DATA_KEY=new)
    assert rotated.returncode == 0, rotated.stderr
    assert "ESIGNBOT_DATA_KEY" in rotated.stdout
    with sqlite3.connect(db) as conn:
        conn.execute("VACUUM")  # the freed pages that held the plain values are dropped
    assert RESIDENT_ID.encode() not in file_bytes(db)
    exported = admin(tmp_path, "export-case", "--case", "1", ESIGNBOT_DATA_KEY=new)
    assert json.loads(exported.stdout)["answers"]["operator_id_number"]["value"] == RESIDENT_ID


def test_rotation_re_seals_every_value_and_the_old_key_no_longer_opens_them(tmp_path: Path) -> None:
    old, new = key(), key()
    run_console(tmp_path, WALK, env={"ESIGNBOT_DATA_KEY": old})
    db = tmp_path / "esignbot.db"
    before = stored(db, "SELECT value, previous FROM history WHERE field IN ('operator_id_number', 'contact_phone')")

    bad = admin(tmp_path, "rotate-data-key", ESIGNBOT_DATA_KEY=old, ESIGNBOT_NEW_DATA_KEY="not-a-key-at-all")
    assert bad.returncode == 2 and "ESIGNBOT_NEW_DATA_KEY" in bad.stderr
    assert "not-a-key-at-all" not in bad.stdout + bad.stderr and old not in bad.stderr
    assert stored(db, "SELECT value, previous FROM history WHERE field IN "
                      "('operator_id_number', 'contact_phone')") == before  # nothing changed

    rotated = admin(tmp_path, "rotate-data-key", ESIGNBOT_DATA_KEY=old, ESIGNBOT_NEW_DATA_KEY=new)
    assert rotated.returncode == 0, rotated.stderr
    after = stored(db, "SELECT value, previous FROM history WHERE field IN ('operator_id_number', 'contact_phone')")
    assert len(after) == len(before) == 3
    for (value, previous), (old_value, old_previous) in zip(after, before, strict=True):
        assert value != old_value and str(value).startswith("sealed:")
        assert (previous is None) == (old_previous is None)
    new_fernet = Fernet(new.encode())
    assert new_fernet.decrypt(str(after[0][0]).removeprefix("sealed:").encode()) == json.dumps(RESIDENT_ID).encode()

    with_new = admin(tmp_path, "export-case", "--case", "1", ESIGNBOT_DATA_KEY=new)
    assert json.loads(with_new.stdout)["answers"]["contact_phone"]["value"] == PHONES[1]
    with_old = admin(tmp_path, "export-case", "--case", "1", ESIGNBOT_DATA_KEY=old)
    assert with_old.returncode == 2 and "ESIGNBOT_DATA_KEY" in with_old.stderr
    out = run_console(tmp_path, ["status"], env={"ESIGNBOT_DATA_KEY": new})
    assert PHONES[1] in out


def test_a_sealed_file_without_its_key_stops_console_and_serve_with_one_sentence(
        tmp_path: Path) -> None:
    """Before, the first turn to touch a sealed value got the generic apology and the log a
    traceback; the operator is told at start instead, and nothing is written."""
    run_console(tmp_path, WALK, env={"ESIGNBOT_DATA_KEY": key()})
    db = tmp_path / "esignbot.db"
    before = stored(db, "SELECT count(*) FROM history")
    for env, says in (({}, "set ESIGNBOT_DATA_KEY"),
                      ({"ESIGNBOT_DATA_KEY": key()}, "ESIGNBOT_DATA_KEY does not hold")):
        for command in (["console", "--db", str(db)], ["serve", "--db", str(db), "--port", "1"]):
            clean = {k: v for k, v in os.environ.items()
                     if not k.startswith(("ESIGNBOT_", "SLACK_", "WECOM_"))}
            proc = subprocess.run([sys.executable, "-m", "bot.cli", *command], input="status\n",
                                  capture_output=True, text=True, encoding="utf-8", timeout=60,
                                  cwd=tmp_path, env={**clean, "PYTHONIOENCODING": "utf-8", **env})
            assert proc.returncode == 2, (command, proc.stdout, proc.stderr)
            assert says in proc.stderr and "Traceback" not in proc.stdout + proc.stderr
            assert proc.stdout == ""
    assert stored(db, "SELECT count(*) FROM history") == before


def seed_everything_tied_to(db: Path, case_id: int) -> None:
    """Rows in every feature's tables for ``case_id``, written by the features' own store code."""
    store = CaseStore(db)
    try:
        with store.transaction() as tx:
            at = "2026-03-02T01:00:00+00:00"
            assert tx.claim_event(f"test:event:{case_id}", at)
            tx.link_event(f"test:event:{case_id}", case_id)
            tx.put_file(case_id, "licence.png", "image/png", b"\x89PNG" + bytes([case_id]), user_id="alice", at=at)
            record_check(tx, case_id, user_id="alice", user_name="alice", at=at,
                         secret_id_masked="AKID****MPLE", environment="prod", outcome="pass",
                         identity={"uin": "100016315204"},
                         results=[CheckResultRecord("key_valid", "pass", "ok", {})])
            record_sent_email(tx, case_id, message_id=f"<m{case_id}@x>", recipient="e-contract@tencent.com",
                              sender="ops@example.com", subject="申请", user_id="alice",
                              user_name="alice", at=at,
                              attachments=[SentAttachment.of("a.xlsx", b"xlsx")])
            claim_thread(tx, case_id, f"C{case_id}", f"17000000{case_id}.000100", at)
            add_member(tx, case_id, "zhangsan", at)
            tx.db.execute("INSERT INTO waits (case_id, kind, state, started_at, started_by, "
                          "started_by_name, due_on) VALUES (?, 'transfer', 'waiting', ?, 'alice', "
                          "'alice', '2026-03-05')", [case_id, at])
            wait_id = tx.db.execute("SELECT max(id) FROM waits").fetchone()[0]
            tx.db.execute("INSERT INTO outbox (dedupe_key, case_id, wait_id, purpose, conversation, "
                          "replies, created_at, next_attempt_at) VALUES (?, ?, ?, 'reminder', 'c', "
                          "'[]', ?, ?)", [f"k{case_id}", case_id, wait_id, at, at])
            tx.db.execute("INSERT INTO mail_findings (case_id, state, mailbox, subject, sender, "
                          "created_at) VALUES (?, 'proposed', 'INBOX', 's', 'e-contract@tencent.com', ?)",
                          [case_id, at])
            finding = tx.db.execute("SELECT max(id) FROM mail_findings").fetchone()[0]
            tx.db.execute("INSERT INTO mail_seen (mailbox, uidvalidity, uid, sender, disposition, "
                          "finding_id, seen_at) VALUES ('INBOX', 1, ?, 'e', 'finding', ?, ?)",
                          [case_id, finding, at])
    finally:
        store.close()


def test_export_then_delete_leaves_no_row_of_the_case_and_the_other_case_whole(tmp_path: Path) -> None:
    data_key = key()
    env = {"ESIGNBOT_DATA_KEY": data_key}
    run_console(tmp_path, WALK, env=env)
    run_console(tmp_path, ["start", "2"], "--conversation", "other", env=env)
    db = tmp_path / "esignbot.db"
    for case_id in (1, 2):
        seed_everything_tied_to(db, case_id)

    exported = admin(tmp_path, "export-case", "--case", "1", "--out", "case1.json", **env)
    assert exported.returncode == 0, exported.stderr
    path = tmp_path / "case1.json"
    assert (path.stat().st_mode & 0o777) == 0o600
    export = json.loads(path.read_text(encoding="utf-8"))
    assert export["case"]["id"] == 1
    assert export["answers"]["operator_id_number"]["value"] == RESIDENT_ID
    assert [h["value"] for h in export["history"] if h["field"] == "contact_phone"] == list(PHONES)
    assert export["credential_checks"][0]["secret_id_masked"] == "AKID****MPLE"
    assert export["credential_check_results"][0]["name"] == "key_valid"
    assert export["sent_emails"][0]["message_id"] == "<m1@x>"
    assert export["waits"][0]["kind"] == "transfer" and [row["purpose"] for row in export["outbox"]
                                                         if row["purpose"] != "reply"] == ["reminder"]
    assert export["files"][0]["data"] == {"bytes": 5}
    assert export["slack_threads"][0]["channel_id"] == "C1"
    assert export["wecom_members"][0]["user_id"] == "zhangsan"
    assert "test:event:1" in [e["event_id"] for e in export["events"]]

    not_yet = admin(tmp_path, "delete-case", "--case", "1", **env)
    assert not_yet.returncode == 2 and "--yes" in not_yet.stderr
    assert stored(db, "SELECT count(*) FROM cases") == [(2,)]
    deleted = admin(tmp_path, "delete-case", "--case", "1", "--yes", **env)
    assert deleted.returncode == 0, deleted.stderr
    assert admin(tmp_path, "delete-case", "--case", "1", "--yes", **env).returncode == 1

    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
            if "case_id" in columns:
                assert conn.execute(f'SELECT count(*) FROM "{table}" WHERE case_id = 1').fetchone() == (0,), table
        assert conn.execute("SELECT count(*) FROM cases WHERE id = 1").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM credential_check_results WHERE check_id NOT IN "
                            "(SELECT id FROM credential_checks)").fetchone() == (0,)
        assert conn.execute("SELECT finding_id FROM mail_seen WHERE uid = 1").fetchone() == (None,)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        # The other case keeps everything.
        for table in ("answers", "history", "files", "waits", "outbox", "credential_checks",
                      "sent_emails", "slack_threads", "wecom_members", "events", "mail_findings"):
            assert conn.execute(f"SELECT count(*) FROM {table} WHERE case_id = 2").fetchone()[0] >= 1, table
    out = run_console(tmp_path, ["status"], "--conversation", "other", env=env)
    assert "#2" in out


def mail_finding(tx: StoreTransaction, subject: str, case_id: int | None, candidates: list[int]) -> int:
    """A finding as the watcher files it, with its admin notice when no single case matched."""
    new = mail.NewFinding(mailbox="INBOX", message_id=f"<{subject}@tencent>", subject=subject,
                          sender="e-contract@tencent.com", sent_at=None, kind="realname",
                          outcome="approved", reason=None, app_id=None,
                          evidence=("测试科技有限公司 审核通过",), attachments=())
    state = "proposed" if case_id is not None else "ambiguous"
    at = "2026-03-02T01:00:00+00:00"
    finding_id = mail.add_finding(tx, new, state=state, case_id=case_id,
                                  candidates=candidates, matched_by=["enterprise_name"], at=at)
    mail.add_notice(tx, "ambiguous", "INBOX", at=at, finding_id=finding_id)
    return finding_id


def test_deleting_a_case_takes_it_out_of_the_mail_findings_that_named_it(tmp_path: Path) -> None:
    """A case id inside a finding's JSON list of candidates is a reference no foreign key
    declares; erasing the case must not leave it, nor a mail that was only about that case."""
    run_console(tmp_path, WALK)
    run_console(tmp_path, ["start", "2"], "--conversation", "other")
    db = tmp_path / "esignbot.db"
    store = CaseStore(db)
    try:
        with store.transaction() as tx:
            only_one = mail_finding(tx, "only-1", None, [1])
            both = mail_finding(tx, "both", None, [1, 2])
            given_to_2 = mail_finding(tx, "given-to-2", 2, [1, 2])
            own = mail_finding(tx, "own", 1, [1])
    finally:
        store.close()

    exported = json.loads(admin(tmp_path, "export-case", "--case", "1").stdout)
    assert {f["subject"] for f in exported["mail_findings"]} == {"only-1", "both", "given-to-2", "own"}

    deleted = admin(tmp_path, "delete-case", "--case", "1", "--yes")
    assert deleted.returncode == 0, deleted.stderr
    left = dict(stored(db, "SELECT id, candidates FROM mail_findings"))
    assert left == {both: "[2]", given_to_2: "[2]"}
    assert {r[0] for r in stored(db, "SELECT finding_id FROM mail_notices")} == {both, given_to_2}
    assert only_one not in left and own not in left
    assert stored(db, "SELECT count(*) FROM mail_findings, json_each(mail_findings.candidates) "
                      "WHERE json_each.value = 1") == [(0,)]
    assert stored(db, "PRAGMA foreign_key_check") == []
