"""Commands, bad input, buttons, retries and concurrent turns, on a real SQLite file."""

from __future__ import annotations

import re
import sqlite3
import threading
from pathlib import Path

import pytest

from handlers import Action, InboundFile
from handlers.validators import MAX_INPUT_CHARS
from tests.conftest import Chat, png_bytes


def to_org_type(chat: Chat) -> None:
    for line in ["start", "2", "1", "100016315204", "测试科技有限公司", "2"]:
        chat.send(line)
    assert chat.question() == "org_type"


def to_contact(chat: Chat) -> None:
    to_org_type(chat)
    for line in ["1", "9144030071526726XG", "张三"]:
        chat.send(line)
    assert chat.question() == "contact_name"


def test_first_message_without_a_case_says_how_to_start(chat: Chat) -> None:
    assert "开始" in chat.say("hello")
    assert chat.question() is None
    assert chat.history_count() == 0


def test_help_says_what_to_type_next(chat: Chat) -> None:
    chat.send("start")
    text = chat.say("帮助")
    assert "修改 <字段>" in text and "下一步：这次接入用于哪个环境？" in text


BAD_INPUTS = [
    ("", "没有收到内容"),
    ("   \t ", "没有收到内容"),
    ("x" * 100_000, "消息太长"),
    ("张\x00三", "看不见的字符或排版字符（U+0000）"),
    ("张三😀", "姓名只能包含"),
    ("张San", "混用了不同文字"),
    ("edit", "用法：修改"),
    ("/edit no_such_field 1", "没有名为「no_such_field」的字段"),
    ("edit org_code 71526726-X", "不适用于这个案例"),
    ("/lang fr", "用法：语言"),
    ("/status now", "不需要参数"),
]


@pytest.mark.parametrize(("typed", "reason"), BAD_INPUTS)
def test_bad_input_gets_one_clear_reason_and_changes_nothing(chat: Chat, typed: str, reason: str) -> None:
    to_contact(chat)
    before, answers = chat.history_count(), chat.answers()
    replies = chat.send(typed)
    assert replies[0].kind == "error" and reason in replies[0].text
    assert "\n" not in replies[0].text and len(replies[0].text) < 300
    assert chat.history_count() == before and chat.answers() == answers
    assert chat.question() == "contact_name"


def test_over_long_input_is_refused_before_parsing(chat: Chat) -> None:
    chat.send("start")
    text = chat.say("edit uin " + "1" * MAX_INPUT_CHARS)
    assert str(MAX_INPUT_CHARS + len("edit uin ")) in text


def test_rejected_answer_gives_the_reason_and_asks_again(chat: Chat) -> None:
    to_org_type(chat)
    chat.send("1")
    replies = chat.send("9144030071526726XA")
    assert [r.kind for r in replies] == ["error", "question"]
    assert "校验位不对" in replies[0].text and replies[1].step == "uscc"
    assert "uscc" not in chat.answers()


def test_back_then_answer_returns_to_where_the_case_was(chat: Chat) -> None:
    to_contact(chat)
    replies = chat.send("back")
    assert replies[-1].step == "legal_rep" and "当前值：张三" in replies[-1].text
    chat.send("back")
    assert chat.question() == "uscc"
    chat.send("91110000802100433B")
    assert chat.question() == "contact_name"
    assert chat.answers()["uscc"] == "91110000802100433B"
    assert chat.answers()["legal_rep"] == "张三"


def test_back_at_the_first_question(chat: Chat) -> None:
    chat.send("start")
    assert "已经是第一个问题" in chat.say("返回")


def test_edit_with_value_keeps_the_earlier_value_in_history(chat: Chat) -> None:
    to_contact(chat)
    assert "✔ 已保存「企业名称」：新名称科技有限公司" in chat.say("修改 企业名称 新名称科技有限公司", user="bob")
    assert chat.question() == "contact_name"
    with sqlite3.connect(chat.store.path) as conn:
        rows = conn.execute(
            "SELECT kind, value, previous, user_id FROM history WHERE field = 'enterprise_name' ORDER BY id"
        ).fetchall()
    assert rows == [("answer", '"测试科技有限公司"', None, "alice"),
                    ("edit", '"新名称科技有限公司"', '"测试科技有限公司"', "bob")]


def test_edit_without_value_asks_that_question_again(chat: Chat) -> None:
    to_contact(chat)
    replies = chat.send("edit uin")
    assert replies[-1].step == "uin" and "当前值：100016315204" in replies[-1].text
    chat.send("100016315205")
    assert chat.answers()["uin"] == "100016315205"
    assert chat.question() == "contact_name"


def test_edit_that_changes_a_branch(chat: Chat) -> None:
    to_contact(chat)
    chat.send("edit org_type 个体工商户")
    # Issue 26: what no longer applies, or is now another question, is cleared and asked
    # again (the credit code is asked as "credit code or registration number")
    assert chat.question() == "uscc_or_reg"
    assert "legal_rep" not in chat.answers() and "uscc" not in chat.answers()
    chat.send("edit org_type 1")
    assert chat.question() == "uscc"


def test_changing_the_certificate_type_clears_a_number_that_no_longer_fits(chat: Chat) -> None:
    to_org_type(chat)
    chat.send("3")
    chat.send("2")
    chat.send("事证第110000001234号")
    text = chat.say("edit cert_type 1")
    assert "已清除" in text
    assert "cert_number" not in chat.answers()
    assert chat.question() == "cert_number"


def test_skip_only_for_optional_questions(chat: Chat) -> None:
    to_contact(chat)
    assert "不能跳过" in chat.say("skip")
    assert chat.question() == "contact_name"


def test_cancel_asks_first_and_keeps_the_history(chat: Chat) -> None:
    to_contact(chat)
    replies = chat.send("cancel")
    assert replies[0].step == "confirm_cancel" and len(replies[0].choices) == 2
    assert "没有取消" in chat.say("no")
    assert chat.question() == "contact_name"
    chat.send("取消")
    assert "已取消" in chat.say("确认")
    assert chat.question() is None
    assert "还没有进行中" in chat.say("李四")
    with sqlite3.connect(chat.store.path) as conn:
        assert conn.execute("SELECT state FROM cases").fetchone() == ("cancelled",)
        assert conn.execute("SELECT count(*) FROM answers").fetchone()[0] == 8
    assert "你好" in chat.say("start")  # a new case for the same conversation
    with sqlite3.connect(chat.store.path) as conn:
        assert conn.execute("SELECT id, state FROM cases ORDER BY id").fetchall() == [
            (1, "cancelled"), (2, "active")]


def test_language_switch_is_remembered(chat: Chat) -> None:
    assert "For English, reply: lang en" in chat.say("start")  # the greeting says how, in English
    assert "Switched to English" in chat.say("lang en")
    assert "Saved environment" in chat.say("1")
    assert "已切换为中文" in chat.say("语言 中文")


def test_status_shows_stages_answers_who_when_and_what_is_missing(chat: Chat) -> None:
    to_contact(chat)
    chat.send("李四", user="bob")
    text = chat.say("status")
    assert "✅ 第 1 步" in text and "▶️ 第 2 步" in text and "▫️ 第 4 步" in text
    assert "组织联系人：李四 — bob，2026-03-02 09:00" in text  # Asia/Shanghai time
    assert re.search(r"进度 [▰▱]{10} \d+%", text)
    assert "还缺：联系方式、组织邮箱、多合一营业执照" in text


def test_shared_conversations_mask_personal_data(db: Path) -> None:
    shared = Chat(db, "test:channel", private=False)
    for line in ["start", "2", "1", "100016315204", "测试科技有限公司", "2", "2", "110108000000016",
                 "王五", "11010519491231002X", "13812345678"]:
        replies = shared.send(line)
    text = "\n".join(r.text for r in replies)
    assert "138****5678" in text and "13812345678" not in text
    status = shared.say("status")
    assert "1101**********002X" in status and "11010519491231002X" not in status


def test_buttons_answer_only_their_own_question(chat: Chat) -> None:
    chat.send("start")
    replies = chat.send(action=Action(step="environment", value="test"))
    assert replies[0].text.startswith("✔")
    replies = chat.send(action=Action(step="environment", value="prod"), user="bob")
    assert replies[0].kind == "error" and replies[0].private and "之前的问题" in replies[0].text
    assert chat.answers()["environment"] == "test"


def test_image_questions_check_type_and_size(chat: Chat) -> None:
    to_contact(chat)
    for line in ["李四", "13812345678", "ops@example.com"]:
        chat.send(line)
    assert chat.question() == "license_image"
    assert "需要上传图片" in chat.say("licence.png")
    assert "JPEG 或 PNG" in chat.say(file=InboundFile(name="x.gif", content=b"GIF89a...."))
    too_big = b"\x89PNG\r\n\x1a\n" + b"0" * (10 * 2**20)
    assert "图片太大" in chat.say(file=InboundFile(name="big.png", content=too_big))
    assert "✔" in chat.say(file=InboundFile(name="执照.png", content=png_bytes()))
    assert chat.question() == "realname_status_offline"


def test_a_repeated_event_id_is_ignored(chat: Chat) -> None:
    chat.send("start")
    assert chat.send("1", event_id="Ev1")
    before = chat.history_count()
    assert chat.send("2", event_id="Ev1") == []
    assert chat.history_count() == before
    assert chat.answers()["environment"] == "test"


def test_many_threads_answering_one_case_lose_nothing_and_apply_nothing_twice(db: Path) -> None:
    """Eight people edit the same case at once, each through their own connection."""
    setup = Chat(db)
    to_contact(setup)
    chats = [Chat(db) for _ in range(8)]
    barrier = threading.Barrier(len(chats))
    errors: list[BaseException] = []

    def member(index: int, member_chat: Chat) -> None:
        try:
            barrier.wait()
            for n in range(25):
                replies = member_chat.send(f"edit contact_name 张{chr(0x4E00 + index * 100 + n)}{chr(0x4E00 + n)}",
                                           user=f"user{index}", event_id=f"e-{index}-{n}")
                assert replies[0].text.startswith("✔"), replies[0].text
                # a retry of the same event, racing with the others, is dropped
                assert member_chat.send("edit contact_name 重复", event_id=f"e-{index}-{n}") == []
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=member, args=(i, c)) for i, c in enumerate(chats)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT value FROM history WHERE field = 'contact_name' AND kind = 'edit' "
                            "ORDER BY id").fetchall()
        final = conn.execute("SELECT value FROM answers WHERE field = 'contact_name'").fetchone()
    values = [r[0] for r in rows]
    assert len(values) == 8 * 25 and len(set(values)) == 8 * 25
    assert final[0] == values[-1]
    for c in [setup, *chats]:
        c.store.close()


def test_an_unexpected_error_rolls_back_and_says_so(chat: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
    """The one place a failure is injected: the store's write, to prove the rollback."""
    chat.send("start")
    before = chat.history_count()
    from storage.case_store import StoreTransaction

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(StoreTransaction, "put_answer", broken)
    replies = chat.send("1", event_id="Ev-broken")
    assert replies[0].kind == "error" and "没有被保存" in replies[0].text
    assert "disk on fire" not in replies[0].text
    monkeypatch.undo()
    assert chat.history_count() == before
    assert chat.send("1", event_id="Ev-broken")  # the event was rolled back too, so a retry works
