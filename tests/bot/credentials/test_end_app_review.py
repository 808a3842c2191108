"""A passing ``app_id`` credential check ends the app-ID review wait as approved, announced once
(issue 4 × issue 7), through the dialogue and the real checker against the fake Tencent Cloud."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.credentials.checker import check_for_case
from tests.bot.credentials.test_chat import Room
from tests.fakes.tencentcloud import APP_PROD, UIN, FakeTencentCloud, secret_id, secret_key, standard_cloud

TO_APP_REVIEW = ["start", "2", "1", UIN, "腾讯科技（深圳）有限公司", "1", "2", "3", "2", "合同助手", "微信小程序",
                 "在线签署劳动合同的小程序", "none", "2"]


@pytest.fixture
def cloud() -> Iterator[FakeTencentCloud]:
    with standard_cloud().serving() as fake:
        yield fake


def test_a_passing_check_with_the_pasted_app_id_ends_the_app_review(tmp_path: Path,
                                                                    cloud: FakeTencentCloud) -> None:
    room = Room(tmp_path / "esignbot.db", cloud, private=True)
    for line in TO_APP_REVIEW:
        room.send(line)
    assert "✔" in room.send(f"edit app_id {APP_PROD}")[0].text  # pasted while the review is open
    for _ in range(2):  # a second passing check announces nothing again
        check_for_case(room.dialogue, conversation=room.conversation, user_id="U7", user_name="Bob",
                       secret_id=secret_id("Root"), secret_key=secret_key("Root"))
    with sqlite3.connect(room.store.path) as conn:
        waits = conn.execute("SELECT kind, state FROM waits").fetchall()
        gate = conn.execute("SELECT value FROM answers WHERE field = 'app_status'").fetchone()
        notices = conn.execute(
            "SELECT count(*) FROM outbox JOIN waits ON waits.id = outbox.wait_id "
            "WHERE waits.kind = 'app' AND outbox.purpose = 'result'").fetchone()
        step = conn.execute("SELECT current_step FROM cases").fetchone()
    assert ("app", "approved") in waits
    assert gate == ('"approved"',)
    assert step == ("key_owner",)
    assert notices == (1,)  # the approval is announced exactly once
    room.store.close()
