"""One way in (issue 27): every path that writes an answer — a person's answer, ``edit``, a
``review`` result, and the changes made outside any input (a review result recorded by
``end_wait``, a passing credential check answering ``key_check``) — goes through
``handlers.turn.apply_answer``, so the focus it answers ends, what it makes stale is cleared,
and every feature's hooks run, whichever path it came by. And features plug into the engine
through ``handlers.registry`` routers, which ``handlers.features`` includes in one place."""

from __future__ import annotations

import importlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from handlers.credentials.commands import record_and_render
from handlers.credentials.report import CheckResult, CredentialReport, CredentialRequest
from handlers.reviews.tracking import end_wait
from tests.conftest import Chat

APP_ID = "yDCWpUUckpvv76rqUxjIE8qvXHjCqG4t"
TO_APP_REVIEW = ["start", "2", "1", "100016315204", "ACME", "online", "submitted", "approved",
                 "2", "合同助手", "H5", "在线签署合同", "skip", "sent"]
"""A production case waiting for the app-ID review (``app_status=sent``)."""
TO_DONE = [*TO_APP_REVIEW, f"review app approved {APP_ID}", "main", "later"]
"""The same case run through to the end, its key check put off (``key_check=later``)."""
AT = datetime(2025, 10, 9, 2, 0, tzinfo=UTC).isoformat(timespec="seconds")


@pytest.fixture
def chat(tmp_path: Path) -> Iterator[Chat]:
    c = Chat(tmp_path / "esignbot.db")
    yield c
    c.store.close()


def walk(chat: Chat, lines: list[str]) -> None:
    for line in lines:
        chat.say(line)


def case_id(chat: Chat) -> int:
    with chat.store.transaction() as tx:
        case = tx.active_case(chat.conversation)
        assert case is not None
        return case.id


def focus(chat: Chat) -> str | None:
    with chat.store.transaction() as tx:
        case = tx.active_case(chat.conversation)
        assert case is not None
        return case.focus_step


def history(chat: Chat, field: str) -> list[str]:
    with sqlite3.connect(chat.store.path) as conn:
        return [str(kind) for (kind,) in conn.execute(
            "SELECT kind FROM history WHERE field = ? ORDER BY id", [field])]


def ended_outside(chat: Chat, *, approved: bool, reason: str | None = None) -> bool:
    case = case_id(chat)
    with chat.store.transaction() as tx:
        return end_wait(tx, case, "app", approved=approved, by="credential-check",
                        at=AT, reason=reason)


# -- end_wait: a result recorded outside a turn ---------------------------------------------------
def test_a_result_recorded_outside_a_turn_ends_the_focus_on_its_question(chat: Chat) -> None:
    """``edit app_status`` put the question back in front of the team; the approval recorded
    outside the turn answers it. Before, ``end_wait`` stored the answer but kept the focus, so
    the conversation asked the answered question again instead of going on to the app ID."""
    walk(chat, [*TO_APP_REVIEW, "edit app_status"])
    assert focus(chat) == "app_status"
    assert ended_outside(chat, approved=True)
    assert focus(chat) is None
    assert chat.question() == "app_id"


def test_a_rejection_recorded_outside_a_turn_clears_what_it_made_stale_as_an_answer_would(
        tmp_path: Path) -> None:
    """The app ID pasted while the review was open belongs to an application Tencent then
    rejected: answering "rejected" clears it (its question no longer applies), and now so does
    the same rejection recorded outside a turn. Before, ``end_wait`` kept it."""
    outside, typed = Chat(tmp_path / "outside.db"), Chat(tmp_path / "typed.db")
    for room in (outside, typed):
        walk(room, [*TO_APP_REVIEW, f"edit app_id {APP_ID}"])
        assert room.answers()["app_id"] == APP_ID
    assert ended_outside(outside, approved=False, reason="材料不全")
    typed.say("edit app_status rejected")
    assert outside.answers()["app_status"] == typed.answers()["app_status"] == "rejected"
    assert "app_id" not in outside.answers()
    assert outside.answers() == typed.answers()
    assert history(outside, "app_id")[-1] == "invalidated"
    for room in (outside, typed):
        room.store.close()


def test_every_answer_hook_runs_for_an_answer_written_outside_a_turn(chat: Chat) -> None:
    """A feature's answer hook sees the gate answer ``end_wait`` writes, as it sees a person's
    (before, only answers given in a turn ran the hooks)."""
    from handlers.registry import ENGINE, Router

    seen: list[tuple[str, str, Any, str, str]] = []
    probe = Router("probe")

    @probe.answer_hook
    def record(turn: Any, step: Any, key: str, value: Any) -> list[Any]:
        seen.append((step.name, key, value, turn.msg.user_id, turn.now))
        return []

    walk(chat, TO_APP_REVIEW)
    ENGINE.include(probe)
    try:
        assert ended_outside(chat, approved=True)
    finally:
        ENGINE.remove(probe)
    assert seen == [("app_status", "app_status", "approved", "credential-check", AT)]


# -- a passing credential check -------------------------------------------------------------------
@dataclass
class PassingChecker:
    """Tencent Cloud, as far as the check goes: the key and the app ID work."""

    def check(self, request: CredentialRequest) -> CredentialReport:
        return CredentialReport(request.environment, "AKID****2345", (
            CheckResult("key_valid", "pass", "cred.key.pass"),
            CheckResult("app_id", "pass", "cred.app.pass",
                        {"app_id": APP_ID, "environment": request.environment}),
        ))


def passing_check(chat: Chat) -> str:
    request = CredentialRequest(secret_id="AKIDEXAMPLE2345", secret_key=SecretStr("k" * 32),
                                environment="prod", app_id=APP_ID)
    replies = record_and_render(chat.store, PassingChecker(), request, case_id=case_id(chat),
                                user_id="bob", user_name="bob", at=AT, lang="zh")
    return "\n".join(reply.text for reply in replies)


def test_a_passing_check_ends_the_focus_on_the_key_check_question(chat: Chat) -> None:
    """``back`` put "check the keys now?" in front of the team (its answer: later); the passing
    check answers it. Before, the check stored ``passed`` but left the focus, so ``help`` still
    said the key check was next."""
    walk(chat, [*TO_DONE, "back"])
    assert focus(chat) == "key_check"
    passing_check(chat)
    assert chat.answers()["key_check"] == "passed"
    assert focus(chat) is None
    assert chat.question() is None
    help_text = chat.say("help")
    assert help_text.rstrip().endswith("所有步骤已完成。")


def test_a_passing_check_still_says_it_completes_the_case(chat: Chat) -> None:
    walk(chat, TO_DONE)
    said = passing_check(chat)
    assert "✅" in said and "SecretId" in said  # the report, then the closing message
    assert history(chat, "key_check") == ["answer", "edit"]
    done = case_id(chat)
    with chat.store.transaction() as tx:
        case = tx.case(done)
        assert case is not None and case.completed_at is not None


# -- the registry ---------------------------------------------------------------------------------
def test_every_router_a_module_defines_is_included_in_the_engine() -> None:
    """A feature that registers on a router ``handlers.features`` forgot is switched off: its
    commands would answer "not available" with nothing to say why."""
    from handlers.registry import ENGINE, Router
    from tests.test_layout import MODULES

    included = set(map(id, ENGINE.routers()))
    forgotten = []
    for name in sorted(MODULES):
        if not name.startswith("handlers"):
            continue
        router = getattr(importlib.import_module(name), "router", None)
        if isinstance(router, Router) and id(router) not in included:
            forgotten.append(name)
    assert not forgotten, f"routers not included in handlers.features: {forgotten}"


def test_the_engine_has_every_command_and_the_hooks_in_their_order() -> None:
    from handlers.commands import Command
    from handlers.registry import ENGINE

    assert set(ENGINE.commands) == set(Command)
    assert [f"{h.__module__}.{h.__name__}" for h in ENGINE.answer_hooks] == [
        "handlers.reviews.commands.on_answer", "handlers.files.commands.offer_workbook",
        "handlers.files.licence_check.on_answer"]


def test_a_router_refuses_a_second_handler_for_a_command_or_a_click() -> None:
    from handlers.commands import Command
    from handlers.registry import Router

    def one(turn: Any, args: str) -> list[Any]:
        return []

    def other(turn: Any, args: str) -> list[Any]:
        return []

    root, first, second = Router("root"), Router("first"), Router("second")
    first.command(Command.EXCEL)(one)
    second.command(Command.EXCEL)(other)
    root.include(first)
    with pytest.raises(ValueError, match="excel"):
        root.include(second)
    assert root.commands[Command.EXCEL] is one and root.routers() == (root, first)
    with pytest.raises(ValueError, match="excel"):
        first.command(Command.EXCEL)(other)
    root.include(first)  # again: nothing changes
    assert root.routers() == (root, first)
