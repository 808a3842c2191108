"""A SecretKey is never an answer, on any platform: pasted on a line of its own, or after
``check``, it is not stored (not as the answer to the open question, not in the history), not
echoed to the other members of a WeCom case, and its sender is told why. A 32-character app ID
is still taken where the app ID is asked."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.bot.wecom.test_callback import Served, running
from tests.conftest import run_console
from tests.fakes.slack_world import slack_world

KEY = "Zq8XbN2vLmR4tYp6wKs9dHc3jFg7aE5u"
"""Shaped exactly like a Tencent Cloud SecretKey (32 letters and digits, mixed)."""
APP_ID = "yDCWzUUckp6mzd8dUuO5GdJ3HEIUsbIf"
TO_ENTERPRISE_NAME = ["start", "2", "1", "100016315204"]  # production, verified, UIN
TO_APP_ID = [*TO_ENTERPRISE_NAME, "ACME", "online", "submitted", "approved",
             "2", "合同助手", "H5", "在线签署合同", "skip", "sent", "approved"]


def db_bytes(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))


def answers(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT field, value FROM answers").fetchall())


def test_the_console_never_takes_a_secret_key_as_an_answer(tmp_path: Path) -> None:
    out = run_console(tmp_path, [*TO_ENTERPRISE_NAME, KEY, f"check {KEY}", f"检查 {KEY}",
                                 f"my secret key is {KEY}", "ACME 有限公司", "status"])
    assert out.count("看起来是一个 SecretKey，我没有保存也没有使用它") == 4
    assert KEY not in out
    db = tmp_path / "esignbot.db"
    assert KEY.encode() not in db_bytes(db)
    assert answers(db)["enterprise_name"] == '"ACME 有限公司"'


def test_an_app_id_is_still_an_answer_where_the_app_id_is_asked(tmp_path: Path) -> None:
    run_console(tmp_path, [*TO_APP_ID, APP_ID])
    assert answers(tmp_path / "esignbot.db")["app_id"] == f'"{APP_ID}"'


def test_wecom_never_stores_or_echoes_a_pasted_secret_key(tmp_path: Path) -> None:
    with running(tmp_path) as served:
        served.say("bob", "状态")  # bob shares the corp's case and hears its answers
        served.say("alice", *TO_ENTERPRISE_NAME, KEY)
        served.settle("alice")
        served.settle("bob")
        # A WeCom case is shared by the corp's members: the sender is told to rotate the key.
        assert any("没有使用它" in text and "禁用这对密钥" in text
                   for text in served.api.texts_to("alice"))
        _never_seen(served)
        assert "enterprise_name" not in served.answers()


def _never_seen(served: Served) -> None:
    for user in ("alice", "bob"):
        assert not any(KEY in text for text in served.api.texts_to(user)), user
    assert KEY.encode() not in db_bytes(served.db)


def test_a_slack_dm_never_stores_a_pasted_secret_key(tmp_path: Path) -> None:
    with slack_world(tmp_path) as world:
        for n, line in enumerate([*TO_ENTERPRISE_NAME, KEY]):
            world.sender.message(line, channel="DKEY", channel_type="im", event_id=f"EvKey{n}")
        posted = world.settle("DKEY")
        assert any("看起来是一个 SecretKey" in call.text() for call in posted)
        assert not any(KEY in call.text() for call in posted)
        assert KEY.encode() not in db_bytes(world.db)
