"""Answers as people give them on a phone or by voice (WeCom's smart bot hands a voice message
over as its transcription, ending with a full stop): a Chinese numeral for an option's number
(``二``), a sentence-final mark after an option or a command word (``正式环境。``, ``状态。``).
Through ``esignbot console`` (a real process, piped stdin, the real SQLite file read
afterwards), and over every choice the flow offers (hypothesis). Only reading a choice or a
command word is lenient: a free-text answer is stored as typed."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers import flow
from handlers.commands import COMMANDS, Command, parse_command
from handlers.flow import FIELDS
from handlers.turn import option_labels, parse_environment
from tests.conftest import run_console

MARKS = "。．.！!？?～~｡"
"""Sentence-final marks, full- and half-width, as typed (before any folding)."""
SPACES = ["", " ", "  ", "\t", "\u3000"]
NUMERALS = "一二三四五六七八九十"
CHOICE_FIELDS = [field for field in FIELDS.values() if field.options]


def _answers(db: Path) -> dict[str, object]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT field, value FROM answers WHERE case_id = "
                            "(SELECT max(id) FROM cases)").fetchall()
    return {field: json.loads(value) for field, value in rows}


def _said(out: str, line: str) -> str:
    """What the console answered to ``line`` (up to the next prompt)."""
    return out.split(f"> {line}\n", 1)[1].split("\n> ", 1)[0]


@pytest.mark.parametrize("typed", ["二", "二。", "正式环境。", "2。", "２！", "②。", " 正式 ？ "])
def test_the_environment_question_takes_a_numeral_or_an_answer_said_as_a_sentence(
        tmp_path: Path, typed: str) -> None:
    out = run_console(tmp_path, [typed])
    assert "已保存「环境」：正式环境" in out
    assert "请回复选项编号或名称" not in out
    assert _answers(tmp_path / "esignbot.db") == {"environment": "prod"}


def test_a_command_word_said_as_a_sentence_is_the_command(tmp_path: Path) -> None:
    out = run_console(tmp_path, ["状态。", "帮助。", "status?", "help."])
    for line in ("状态。", "status?"):
        assert "案例 #1" in _said(out, line) and "还缺：" in _said(out, line), line
    for line in ("帮助。", "help."):
        assert "可用命令（中英文均可）" in _said(out, line), line
    assert "请回复选项编号或名称" not in out
    assert _answers(tmp_path / "esignbot.db") == {}  # read as commands, not as answers


def test_free_text_is_stored_as_typed_after_choices_said_as_sentences(tmp_path: Path) -> None:
    out = run_console(tmp_path, ["一。", "控制台。", "二", "腾讯测试科技有限公司。"])
    assert "已保存「企业名称」：腾讯测试科技有限公司。" in out
    assert _answers(tmp_path / "esignbot.db") == {
        "environment": "test", "app_id_route": "console", "test_enterprise": "created",
        "enterprise_name": "腾讯测试科技有限公司。"}


def test_a_yes_said_as_a_sentence_confirms(tmp_path: Path) -> None:
    """The confirmation reads its yes and no through the same fold as the flow's options."""
    db = tmp_path / "esignbot.db"
    out = run_console(tmp_path, ["取消。", "二。", "取消", "是。"])
    assert "案例 #1 已取消" in _said(out, "是。")
    assert "案例 #1 已取消" not in _said(out, "二。")  # option 2: 不取消
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT state FROM cases").fetchall() == [("cancelled",)]


def _forms(number: int) -> list[str]:
    """``number`` as people write an item's number: Arabic, full-width, circled, Chinese."""
    forms = [str(number), "".join(chr(0xFF10 + int(d)) for d in str(number))]
    if 1 <= number <= 20:
        forms.append(chr(0x2460 + number - 1))  # ① .. ⑳, which NFKC folds to 1 .. 20
    if 1 <= number <= 10:
        forms.append(NUMERALS[number - 1])
    return forms


_marks = st.text(alphabet=MARKS, max_size=3)
_space = st.sampled_from(SPACES)


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_every_option_is_chosen_by_its_number_in_any_digits_with_or_without_a_mark(
        data: st.DataObject) -> None:
    field = data.draw(st.sampled_from(CHOICE_FIELDS), label="field")
    count = len(field.options)

    def said(text: str) -> str:
        return (data.draw(_space) + text + data.draw(_space) + data.draw(_marks)
                + data.draw(_space))

    index = data.draw(st.integers(1, count), label="index")
    typed = said(data.draw(st.sampled_from(_forms(index))))
    assert flow.match_option(field, typed, option_labels) == field.options[index - 1].value

    option = data.draw(st.sampled_from(field.options))
    word = data.draw(st.sampled_from(
        [option.value, *option.aliases, *option_labels(field.key, option.value)]))
    assert flow.match_option(field, said(word), option_labels) == option.value

    outside = data.draw(st.integers(0, 99).filter(lambda n: not 1 <= n <= count))
    typed = said(data.draw(st.sampled_from(_forms(outside))))
    assert flow.match_option(field, typed, option_labels) is None, typed
    typed = said(data.draw(st.sampled_from(["十一", "二二", "十二", "二十", "两", "零", "〇", "一二"])))
    assert flow.match_option(field, typed, option_labels) is None, typed

    text = data.draw(st.text(max_size=12))
    assert flow.match_option(field, text + data.draw(_marks), option_labels) == \
        flow.match_option(field, text, option_labels)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_command_word_with_a_mark_is_the_command_and_a_number_is_no_environment(
        data: st.DataObject) -> None:
    spec = data.draw(st.sampled_from(COMMANDS))
    word = data.draw(st.sampled_from(spec.words))
    marks = data.draw(st.text(alphabet=MARKS, min_size=1, max_size=3))
    parsed = parse_command(data.draw(_space) + word + marks + data.draw(_space))
    assert parsed is not None and (parsed.command, parsed.args) == (spec.command, "")
    # A name that starts with a command word stays an answer, mark or not.
    assert parse_command(f"{word} Ltd{marks}") is None or not word.isascii()
    assert parse_command(f"Start Ltd{marks}") is None

    environment = data.draw(st.sampled_from(FIELDS["environment"].options))
    said = data.draw(st.sampled_from([environment.value, *environment.aliases]))
    assert parse_environment(said + marks) == environment.value
    number = data.draw(st.sampled_from(_forms(data.draw(st.integers(1, 12)))))
    assert parse_environment(number + data.draw(_marks)) is None  # ``开始 二`` means nothing
    parsed = parse_command(f"开始 {number}")
    assert parsed is not None and parsed.command is Command.START
    assert parse_environment(parsed.args) is None
