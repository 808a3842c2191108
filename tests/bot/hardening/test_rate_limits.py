"""No reply is lost to a rate limit (issue 17, part 8). Slack answers HTTP 429 with
``Retry-After`` and WeCom errcode 45009 for the next N calls: the reply that could not go out,
the rest of its turn and the next turn's replies wait in the durable outbox, and once the limit
has passed the person sees them — the next question included — in order, exactly once."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from bot.slack.rate_limits import MAX_RETRIES
from tests.bot.wecom.test_callback import running
from tests.fakes.slack_api import Call
from tests.fakes.slack_world import slack_world

SAVED_ENVIRONMENT = "Saved environment: test (joint debugging)"
NEXT_QUESTION = "How will you set up the test environment?"
SAVED_ROUTE = "Saved route (console or email): by email"


def until(condition: Callable[[], bool], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.2)


def in_order_once(texts: list[str]) -> None:
    """Each marker in exactly one of ``texts``, and in this order."""
    places = []
    for marker in (SAVED_ENVIRONMENT, NEXT_QUESTION, SAVED_ROUTE):
        holding = [i for i, text in enumerate(texts) if marker in text]
        assert len(holding) == 1, (marker, texts)
        places.append(holding[0])
    assert places == sorted(places), texts


def test_slack_replies_held_back_by_a_rate_limit_arrive_in_order_once(tmp_path: Path) -> None:
    with slack_world(tmp_path, ESIGNBOT_SCHEDULER_SECONDS="1", ESIGNBOT_LANG="en") as world:
        channel = "CRATE"
        assert world.sender.command("start", channel=channel).status_code == 200
        world.wait_posts(channel, 1)
        world.settle(channel)
        root = str(world.rows("SELECT thread_ts FROM slack_threads")[0][0])
        # Every try of the reply's post is refused (the first and the SDK's retries), and the
        # runtime's first retry from the outbox too (its own SDK retry after Retry-After goes
        # through).
        world.api.rate_limit(MAX_RETRIES + 2, retry_after=1)
        assert world.sender.message("1", channel=channel, thread_ts=root).status_code == 200
        assert world.sender.message("2", channel=channel, thread_ts=root).status_code == 200

        def refused() -> list[tuple[str, str | None]]:
            return [(str(state), error) for state, error in world.rows(
                "SELECT state, last_error FROM outbox WHERE purpose = 'reply' AND conversation = ?"
                " ORDER BY id", f"slack:T1:{channel}")]
        # The refused reply waits for its retry at the head of the conversation's queue (both
        # turns' replies were committed with their turns, before Slack was acknowledged), and
        # the next turn's replies wait behind it: nothing overtakes it.
        until(lambda: any(error for _, error in refused()))
        waiting = refused()[-2:]
        assert [state for state, _ in waiting] == ["pending", "pending"], waiting
        assert waiting[0][1] and not waiting[1][1]

        def delivered() -> bool:
            rows = world.rows("SELECT state FROM outbox WHERE purpose = 'reply'")
            return bool(rows) and all(state == "sent" for (state,) in rows)
        until(delivered)
        posted = [c for c in world.settle(channel)
                  if c.method == "chat.postMessage" and c.answer.get("ok")]
        in_order_once([str(c.params.get("text")) for c in posted])
        assert all(c.params.get("thread_ts") == root for c in posted[1:])  # in the case's thread
        limited: list[Call] = [c for c in world.api.calls if c.answer.get("error") == "ratelimited"]
        assert len(limited) == MAX_RETRIES + 2 and world.api.limited == 0
        assert world.answers(channel) == {"environment": "test", "app_id_route": "email"}


def test_wecom_replies_held_back_by_45009_arrive_in_order_once(tmp_path: Path) -> None:
    with running(tmp_path, ESIGNBOT_SCHEDULER_SECONDS="1", ESIGNBOT_LANG="en") as served:
        served.say("alice", "start")
        served.api.wait_for(lambda api: any("Which environment" in t for t in api.texts_to("alice")))
        served.api.rate_limit(1)
        served.say("alice", "1", "2")

        def delivered() -> bool:
            rows = served.rows("SELECT state FROM outbox WHERE purpose = 'reply'")
            return bool(rows) and all(state == "sent" for (state,) in rows)
        until(delivered)
        served.api.wait_for(lambda api: any(SAVED_ROUTE in t for t in api.texts_to("alice")))
        in_order_once(served.api.texts_to("alice"))
        refused = [c for c in served.api.calls if c.answer.get("errcode") == 45009]
        assert len(refused) == 1 and served.api.limited == 0
