"""Waits and review results in the conversation: due dates in Chinese working days, the
``review`` command, who may record results, ``status`` and ``status all``, and the outbox row each
result leaves behind (read back from the real SQLite file)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from handlers import Dialogue
from handlers.reviews.tracking import end_wait
from handlers.services import Services
from tests.conftest import Chat

APP_ID = "yDCWpUUckpvv76rqUxjIE8qvXHjCqG4t"
# Tuesday 30 September 2025, 10:00 in Shanghai: the day before the National Day holiday.
BEFORE_NATIONAL_DAY = datetime(2025, 9, 30, 2, 0, tzinfo=UTC)
TO_TRANSFER = ["start", "2", "2"]  # production, no verified account yet (issue 26: a test case has no stage 1)
TO_REALNAME = ["start", "2", "1", "100016315204", "腾讯科技（深圳）有限公司", "online"]


def rows(chat: Chat, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(chat.store.path) as conn:
        return conn.execute(sql).fetchall()


def waits(chat: Chat) -> list[tuple[object, ...]]:
    return rows(chat, "SELECT kind, state, started_at, due_on, ended_at, reason, recorded_by "
                      "FROM waits ORDER BY id")


def outbox(chat: Chat) -> list[tuple[str, str, str, str]]:
    """(purpose, conversation, mention, text) of every queued message."""
    return [(str(p), str(c), str(m), json.loads(str(r))[0]["text"]) for p, c, m, r in
            rows(chat, "SELECT purpose, conversation, mention_user_id, replies FROM outbox "
                      "WHERE purpose != 'reply' ORDER BY id")]


def walk(chat: Chat, lines: list[str], *, user: str = "alice") -> str:
    return "\n".join(chat.say(line, user=user) for line in lines)


@pytest.fixture
def chat(db: Path) -> Chat:
    c = Chat(db)
    c.clock.now = BEFORE_NATIONAL_DAY
    return c


def with_admins(chat: Chat, *admins: str) -> Chat:
    chat.dialogue = Dialogue(chat.store, clock=chat.clock, services=Services(admins=frozenset(admins)))
    return chat


def test_three_working_days_from_30_september_2025_end_on_the_make_up_saturday(chat: Chat) -> None:
    text = walk(chat, [*TO_TRANSFER, "2"])
    assert waits(chat) == [("transfer", "waiting", "2025-09-30T02:00:04+00:00", "2025-10-11",
                            None, None, None)]
    assert "2025-10-11（周六，调休上班）" in text and "3 个工作日" in text
    status = chat.say("status")
    assert "预计 2025-10-11（周六，调休上班）前出结果 — 还剩 3 个工作日" in status
    chat.clock.now = datetime(2025, 10, 9, 2, 0, tzinfo=UTC)  # first working day after the holiday
    assert "还剩 2 个工作日" in chat.say("status")
    chat.clock.now = datetime(2025, 10, 11, 2, 0, tzinfo=UTC)
    assert "今天到期" in chat.say("status")
    chat.clock.now = datetime(2025, 10, 13, 2, 0, tzinfo=UTC)  # Monday; Sunday 12th is a rest day
    assert "已超期 1 个工作日" in chat.say("status")


def test_a_rejection_is_recorded_announced_once_and_moves_the_flow(chat: Chat) -> None:
    walk(chat, [*TO_REALNAME, "submitted"])
    chat.clock.now = datetime(2025, 10, 9, 3, 0, tzinfo=UTC)
    replies = chat.say("审核 realname rejected 营业执照照片不清晰", user="bob")
    assert "已记录「补充实名认证审核」：驳回" in replies and "通知 alice" in replies
    assert chat.answers()["realname_status"] == "rejected"
    assert chat.question() == "realname_status_online"
    [(kind, state, _, due, ended, reason, by)] = waits(chat)
    assert (kind, state, due, reason, by) == ("realname", "rejected", "2025-10-11",
                                              "营业执照照片不清晰", "bob")
    assert ended == "2025-10-09T03:00:01+00:00"
    [(purpose, conversation, mention, text)] = outbox(chat)
    assert (purpose, conversation, mention) == ("result", "test:room", "alice")
    assert "被驳回" in text and "原因：营业执照照片不清晰" in text and "修改" in text
    assert "重新提交" in text and "e-contract@tencent.com" in text
    # The same result again changes nothing and announces nothing.
    again = chat.say("审核 realname rejected 营业执照照片不清晰", user="bob")
    assert "这次没有改变任何内容" in again and len(outbox(chat)) == 1
    # Resubmitting starts a new wait, due three working days later.
    assert "已开始跟踪" in chat.say("submitted")
    assert [w[1] for w in waits(chat)] == ["rejected", "waiting"]
    assert waits(chat)[1][3] == "2025-10-13"  # Fri 10, Sat 11 (make-up), Mon 13


def test_approving_the_app_needs_a_valid_app_id_which_becomes_the_answer(chat: Chat) -> None:
    chat.lang = "en"
    walk(chat, ["start", "2", "1", "100016315204", "ACME Ltd", "online", "submitted", "approved",
                "2", "Contracts", "H5", "Sign contracts online", "skip", "sent"])
    before = (chat.history_count(), chat.answers(), outbox(chat))
    for bad in ("review app approved", "review app approved 12345", "review app maybe", "review visa approved"):
        replies = chat.send(bad)
        assert replies[0].kind == "error" and replies[0].private
        assert (chat.history_count(), chat.answers(), outbox(chat)) == before
    text = chat.say(f"review app approved {APP_ID}")
    assert chat.answers()["app_status"] == "approved" and chat.answers()["app_id"] == APP_ID
    assert chat.question() == "key_owner" and "API keys" in text
    notice = outbox(chat)[-1][3]
    assert f"the app ID is {APP_ID}" in notice and "stage 4" in notice


def test_a_result_for_a_wait_never_started_starts_and_ends_at_once(chat: Chat) -> None:
    walk(chat, TO_TRANSFER)
    chat.say("review transfer approved")
    [(kind, state, started, _, ended, _, _)] = waits(chat)
    assert (kind, state) == ("transfer", "approved") and started == ended
    assert chat.answers()["transfer_status"] == "verified" and chat.question() == "uin"
    assert len(outbox(chat)) == 1 and "对公打款认证已完成" in outbox(chat)[0][3]


def test_answering_the_gate_question_records_the_result_too(chat: Chat) -> None:
    walk(chat, [*TO_REALNAME, "submitted", "approved"])
    assert [w[1] for w in waits(chat)] == ["approved"]
    [(purpose, _, mention, text)] = outbox(chat)
    assert purpose == "result" and mention == "alice" and "补充实名认证审核已通过" in text
    assert "第 3 步" in text


def test_taking_a_submission_back_closes_the_wait_quietly(chat: Chat) -> None:
    walk(chat, [*TO_TRANSFER, "2"])
    chat.say("edit transfer_status 1")
    assert [w[1] for w in waits(chat)] == ["withdrawn"] and outbox(chat) == []


def test_a_transfer_rejection_starts_the_transfer_over(chat: Chat) -> None:
    walk(chat, [*TO_TRANSFER, "2"])
    chat.say("review transfer rejected 两次金额输错")
    assert chat.answers()["transfer_status"] == "not_started"
    assert [w[1] for w in waits(chat)] == ["rejected"]
    assert "原因：两次金额输错" in outbox(chat)[0][3]


def test_a_review_that_does_not_apply_yet_says_what_to_answer_first(chat: Chat) -> None:
    walk(chat, ["start", "2", "1"])
    replies = chat.send("review realname approved")
    assert replies[0].kind == "error" and "补充实名方式" in replies[0].text
    replies = chat.send("review transfer approved")
    assert replies[0].kind == "error" and "不适用" in replies[0].text
    assert waits(chat) == [] and outbox(chat) == []


def test_with_admins_only_they_record_results_by_command_or_by_answer(chat: Chat) -> None:
    with_admins(chat, "test:boss")
    walk(chat, [*TO_REALNAME, "submitted"])
    before = (chat.history_count(), chat.answers())
    for typed in ("review realname approved", "approved", "edit realname_status approved"):
        replies = chat.send(typed)
        assert replies[0].kind == "error" and "只有管理员" in replies[0].text, typed
        assert (chat.history_count(), chat.answers()) == before
    assert [w[1] for w in waits(chat)] == ["waiting"]
    chat.say("review realname approved", user="boss")
    assert [w[1] for w in waits(chat)] == ["approved"] and chat.question() == "app_id_route"


def test_status_all_lists_every_case_oldest_first_for_admins_only(db: Path) -> None:
    first = with_admins(Chat(db, "test:team-a"), "test:boss")
    first.clock.now = BEFORE_NATIONAL_DAY
    walk(first, [*TO_TRANSFER, "2"])
    second = with_admins(Chat(db, "test:team-b"), "test:boss")
    second.clock.now = datetime(2025, 10, 13, 2, 0, tzinfo=UTC)
    walk(second, ["start", "2"], user="carol")
    refused = first.send("status all")
    assert refused[0].kind == "error" and "ESIGNBOT_ADMINS" in refused[0].text
    admin = with_admins(Chat(db, "test:boss-dm"), "test:boss")
    admin.clock.now = datetime(2025, 10, 13, 2, 0, tzinfo=UTC)
    [listing] = admin.send("状态 全部", user="boss")  # no case in the admin's own conversation
    assert listing.private and listing.kind == "status"
    text = listing.text
    # By enterprise name (none given yet), not by conversation key; quietest first.
    assert text.index("#1 · （尚无企业名称） · 正式环境") < text.index("#2 · （尚无企业名称） · 正式环境")
    assert "test:team-a" not in text and "最近活动 2025-09-30 10:00" in text
    assert "对公打款认证" in text and "已超期 1 个工作日" in text and "没有进行中的等待" in text
    assert rows(first, "SELECT count(*) FROM cases") == [(2,)]
    # Team A names its enterprise later than team B's last answer: it is now the less quiet one.
    first.clock.now = datetime(2025, 10, 14, 2, 0, tzinfo=UTC)
    first.say("review transfer approved", user="boss")
    first.say("100016315204")
    first.say("甲科技有限公司")
    text = admin.send("status all", user="boss")[0].text
    assert text.index("#2 · （尚无企业名称）") < text.index("#1 · 甲科技有限公司 · 正式环境")


def test_status_all_without_admins_configured_is_refused(chat: Chat) -> None:
    walk(chat, ["start"])
    replies = chat.send("status all")
    assert replies[0].kind == "error" and "ESIGNBOT_ADMINS" in replies[0].text


def test_words_after_status_that_are_not_a_command_stay_an_answer(chat: Chat) -> None:
    walk(chat, ["start", "2", "1", "100016315204"])
    chat.say("Status Quo Ltd")
    assert chat.answers()["enterprise_name"] == "Status Quo Ltd"
    assert chat.send("/status quo")[0].kind == "error"


def test_a_wait_started_before_new_year_2027_skips_new_years_day_and_says_it_is_estimated(
        chat: Chat) -> None:
    # Tuesday 29 December 2026, 10:00 in Shanghai. chinese-calendar ends with 2026: 2027 is
    # counted by the statutory holidays (元旦 on Friday 1 January), not Monday to Friday.
    chat.clock.now = datetime(2026, 12, 29, 2, 0, tzinfo=UTC)
    text = walk(chat, [*TO_TRANSFER, "2"])
    assert waits(chat)[0][3] == "2027-01-04"  # Wed 30, Thu 31, (元旦, weekend) Mon 4
    assert "还没有 2027 年的正式节假日安排" in text and "按法定节日规则估算" in text
    assert "按法定节日规则估算" in chat.say("status")
    chat.clock.now = datetime(2027, 1, 1, 2, 0, tzinfo=UTC)  # 元旦: not a working day
    assert "还剩 1 个工作日" in chat.say("status")


def test_spring_festival_2027_is_not_counted_as_working_days(chat: Chat) -> None:
    chat.clock.now = datetime(2027, 2, 4, 2, 0, tzinfo=UTC)  # Thursday before 春节
    walk(chat, [*TO_TRANSFER, "2"])
    assert waits(chat)[0][3] == "2027-02-15"  # 5–10 February are the holiday


def test_the_app_review_duration_is_an_estimate_and_says_so(chat: Chat) -> None:
    walk(chat, ["start", "2", "1", "100016315204", "ACME", "online", "submitted", "approved",
                "2", "合同助手", "H5", "在线签署合同", "skip"])
    text = chat.say("sent")
    assert "没有写明这项审核的时长" in text and "5 个工作日" in text
    assert waits(chat)[-1][3] == "2025-10-14"


def test_end_wait_records_a_result_from_outside_a_turn_once(chat: Chat) -> None:
    walk(chat, ["start", "2", "1", "100016315204", "ACME", "online", "submitted", "approved",
                "2", "合同助手", "H5", "在线签署合同", "skip", "sent"])
    at = datetime(2025, 10, 9, 2, 0, tzinfo=UTC).isoformat(timespec="seconds")
    with chat.store.transaction() as tx:
        case = tx.active_case(chat.conversation)
        assert case is not None
        assert end_wait(tx, case.id, "app", approved=True, by="credential-check", at=at,
                        app_id=APP_ID)
    with chat.store.transaction() as tx:
        assert not end_wait(tx, case.id, "app", approved=True, by="credential-check", at=at)
    assert chat.answers()["app_status"] == "approved" and chat.question() == "app_id"
    assert [w[1] for w in waits(chat)][-1] == "approved"
    assert len([o for o in outbox(chat) if APP_ID in o[3]]) == 1
    assert len(outbox(chat)) == 2  # the real-name approval and this one


def test_status_in_english_shows_each_wait(chat: Chat) -> None:
    chat.lang = "en"
    walk(chat, [*TO_TRANSFER, "2", "review transfer approved", "100016315204", "ACME", "online",
                "submitted"])
    chat.clock.now = datetime(2025, 10, 14, 2, 0, tzinfo=UTC)
    text = chat.say("status")
    assert "Waits and reviews:" in text
    assert "✅ bank-transfer verification: approved (alice," in text
    assert "⚠️ supplementary real-name review: started 2025-09-30" in text
    assert "due by 2025-10-11 (Sat, a make-up working day) — overdue by 2 working day(s)" in text


def test_the_due_date_uses_the_day_in_shanghai(chat: Chat) -> None:
    # 23:30 UTC on Friday 10 October is Saturday 11 October (a make-up working day) in Shanghai.
    chat.clock.now = datetime(2025, 10, 10, 23, 30, tzinfo=UTC)
    walk(chat, [*TO_TRANSFER, "2"])
    assert waits(chat)[0][3] == date(2025, 10, 15).isoformat()  # Mon 13, Tue 14, Wed 15
