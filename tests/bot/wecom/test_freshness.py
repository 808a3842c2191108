"""WeCom callbacks expire (issue 30), through ``esignbot serve``: one signed 400 days ago, or an
hour ahead, is refused with a 4xx and leaves no trace; one replayed after its event id was
forgotten is not applied again; a timestamp that is no number is a 400, never a 500."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import httpx

from tests.bot.wecom.test_callback import Served, running
from tests.fakes.wecom_callbacks import signature

DAY = 86400
TABLES = ("cases", "events", "history", "answers", "wecom_members")


def nothing_stored(served: Served) -> None:
    for table in TABLES:
        assert served.rows(f"SELECT count(*) FROM {table}") == [(0,)], table


def test_a_callback_signed_long_ago_or_ahead_is_refused(tmp_path: Path) -> None:
    with running(tmp_path) as served:
        wecom, now = served.wecom, int(time.time())
        for stamp in (now - 400 * DAY, now - 8 * DAY, now - 3600, now + 3600):
            old = wecom.seal(wecom.text_xml("mallory", "开始"), timestamp=stamp)
            response = wecom.deliver(old)
            assert 400 <= response.status_code < 500, (stamp - now, response.status_code)
        nothing_stored(served)
        assert "message/send" not in served.api.paths()
        # Within the window (WeCom's clock a little behind ours): taken as usual.
        fresh = wecom.seal(wecom.text_xml("mallory", "开始"), timestamp=now - 30)
        assert wecom.deliver(fresh).status_code == 200
        served.api.wait_for(lambda api: any("第 1 步" in t for t in api.texts_to("mallory")))


def test_a_callback_replayed_after_its_event_id_was_forgotten_is_not_applied(
        tmp_path: Path) -> None:
    """The events table keeps processed ids for a week and is pruned; a replay must stay
    refused whatever it holds, for as long as the callback itself would be accepted. Here a
    captured ``lang en`` is replayed after the team went back to Chinese."""
    with running(tmp_path) as served:
        wecom = served.wecom
        wecom.text("alice", "开始")
        captured = wecom.seal(wecom.text_xml("alice", "lang en", msg_id=515151))
        assert wecom.deliver(captured).status_code == 200
        served.api.wait_for(lambda api: any("Switched to English" in t for t in api.texts_to("alice")))
        wecom.text("alice", "语言 中文")
        served.settle()
        assert served.rows("SELECT lang FROM cases") == [("zh",)]
        history = served.rows("SELECT count(*) FROM history")
        with sqlite3.connect(served.db) as conn:
            conn.execute("DELETE FROM events")  # retention passed, or pruned early
        response = wecom.deliver(captured)
        assert response.status_code < 500
        served.settle()
        assert served.rows("SELECT lang FROM cases") == [("zh",)]
        assert served.rows("SELECT count(*) FROM history") == history


def test_a_timestamp_that_is_no_number_is_a_400(tmp_path: Path) -> None:
    with running(tmp_path) as served:
        wecom = served.wecom
        good = wecom.seal(wecom.text_xml("mallory", "开始"))
        encrypted = good.body.decode().split("<Encrypt><![CDATA[")[1].split("]]>")[0]
        for stamp in ("１７００００００００", "17e8", " 1700000000", "9" * 40):
            nonce = "abcdef0123"
            query = {"msg_signature": signature(wecom.token, stamp, nonce, encrypted),
                     "timestamp": stamp, "nonce": nonce}
            response = httpx.post(wecom.url, params=query, content=good.body)
            assert response.status_code == 400, (stamp, response.status_code)
        nothing_stored(served)
