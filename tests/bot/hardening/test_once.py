"""Every input is applied once (issue 17, part 7): a replayed keys-modal submission runs no
second credential check while a second genuine one does, and slash commands that came without
a ``trigger_id`` each get their own de-duplication id — a replay of the same signed request is
dropped, a different command is not."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

from tests.fakes.slack_api import Call
from tests.fakes.slack_world import TEAM, SlackWorld, slack_world
from tests.fakes.tencentcloud import Key

SECRET_ID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
SECRET_KEY = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlackWorld]:
    with slack_world(tmp_path_factory.mktemp("slack-once")) as started:
        yield started


def start(world: SlackWorld, channel: str) -> None:
    assert world.sender.command("start", channel=channel).status_code == 200
    world.wait_posts(channel, 1)
    world.settle(channel)


def open_modal(world: SlackWorld, channel: str) -> dict[str, Any]:
    opened = len(world.api.calls_to("views.open"))
    assert world.sender.command("check", channel=channel).status_code == 200
    call: Call = world.api.wait_calls("views.open", opened + 1)[-1]
    return {**call.params["view"], "id": call.answer["view"]["id"]}


def submission(world: SlackWorld, view: dict[str, Any]) -> str:
    """One view_submission body, exactly as Slack would send it (to send twice)."""
    values = {"secret_id": {"value": {"type": "plain_text_input", "value": SECRET_ID}},
              "secret_key": {"value": {"type": "plain_text_input", "value": SECRET_KEY}},
              "environment": {"value": {"type": "static_select", "selected_option": {"value": "prod"}}}}
    payload = {
        "type": "view_submission", "api_app_id": "A1", "token": "deprecated",
        "team": {"id": TEAM, "domain": "fake"},
        "user": {"id": "U1", "username": "u1", "name": "u1", "team_id": TEAM},
        "trigger_id": f"trigger.{uuid.uuid4().hex}",
        "view": {**view, "state": {"values": values}, "hash": f"h{uuid.uuid4().hex[:8]}",
                 "team_id": TEAM},
    }
    return urlencode({"payload": json.dumps(payload)})


def checks(world: SlackWorld) -> int:
    """Credential checks run: each starts with one STS GetCallerIdentity call."""
    return sum("GetCallerIdentity" in json.dumps(c, default=str) for c in world.tencent.calls)


def wait_checks(world: SlackWorld, count: int) -> None:
    deadline = time.monotonic() + 20
    while checks(world) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    assert checks(world) == count


def test_a_replayed_keys_submission_runs_no_second_check(world: SlackWorld) -> None:
    world.tencent.add_key(Key(SECRET_ID, SECRET_KEY, account_id="100016315204",
                              user_id="100016315204", type="CAMUser"))
    start(world, "CONCEV")
    before = checks(world)
    body = submission(world, open_modal(world, "CONCEV"))
    assert world.sender.post(body, "application/x-www-form-urlencoded").status_code == 200
    wait_checks(world, before + 1)
    world.settle("CONCEV")
    reports = len([c for c in world.posts("CONCEV") if "AKID****" in c.text()])
    replayed = world.sender.post(body, "application/x-www-form-urlencoded")
    assert replayed.status_code == 200 and replayed.text == ""  # the modal just closes
    world.settle("CONCEV")
    assert checks(world) == before + 1
    assert len([c for c in world.posts("CONCEV") if "AKID****" in c.text()]) == reports
    # A second genuine check (a new modal) runs.
    body = submission(world, open_modal(world, "CONCEV"))
    assert world.sender.post(body, "application/x-www-form-urlencoded").status_code == 200
    wait_checks(world, before + 2)


def without_trigger(world: SlackWorld, text: str, channel: str) -> str:
    fields = [(k, v) for k, v in parse_qsl(world.sender.command_body(text, channel=channel))
              if k != "trigger_id"]
    return urlencode(fields)


def responses(world: SlackWorld, channel: str) -> int:
    return len([c for c in world.settle(channel) if c.method.startswith("chat.")])


def test_commands_without_a_trigger_id_are_each_applied_and_a_replay_is_not(world: SlackWorld) -> None:
    start(world, "CONCECMD")
    seen = responses(world, "CONCECMD")
    stamp = int(time.time())
    first = without_trigger(world, "status", "CONCECMD")
    assert world.sender.post(first, "application/x-www-form-urlencoded", timestamp=stamp).status_code == 200
    after_first = responses(world, "CONCECMD")
    assert after_first > seen
    # The same signed request again (a replay): nothing more.
    assert world.sender.post(first, "application/x-www-form-urlencoded", timestamp=stamp).status_code == 200
    assert responses(world, "CONCECMD") == after_first
    # Another command without a trigger_id is its own input (it used to share "None").
    second = without_trigger(world, "help", "CONCECMD")
    assert world.sender.post(second, "application/x-www-form-urlencoded").status_code == 200
    assert responses(world, "CONCECMD") > after_first
    assert world.rows("SELECT count(*) FROM events WHERE event_id LIKE 'slack:command:h:%'") == [(2,)]
