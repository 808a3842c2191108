"""The dialogue's rough edges (issue 18, the engine half), each through ``esignbot console`` run
as a real process with piped input on a real SQLite file."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import dialogue_part, png_bytes, run_console

UIN = "100016315204"
APP_TEST = "yDCWpUUckpvv76rqUxjIE8qvXHjCqG4t"
PROD_START = ["lang en", "2", "1", UIN, "Acme Ltd"]
"""A production case up to the real-name route question."""
OFFLINE_ENTERPRISE = [*PROD_START, "2", "1", "9144030071526726XG", "张三", "李四", "13812345678",
                      "ops@example.com"]
"""Up to the licence image of an offline enterprise."""
OFFLINE_GOVERNMENT = [*PROD_START, "2", "3", "2", "事证第110000001234号", "赵六", "钱七",
                      "010-12345678", "gov@example.gov.cn"]
"""Up to the certificate photo of a public institution."""
TEST_ON_CONSOLE_DONE = ["lang en", "1", "console", "2", "Acme Test Ltd", "Contract helper", "pc web",
                        "Signs labour contracts online", APP_TEST, "skip", "later"]
"""A test case on the console route, finished (the key check put off)."""


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "licence.png"
    path.write_bytes(png_bytes())
    return path


def _answers(db: Path) -> dict[str, object]:
    with sqlite3.connect(db) as conn:
        case = conn.execute("SELECT max(id) FROM cases").fetchone()[0]
        rows = conn.execute("SELECT field, value FROM answers WHERE case_id = ?", (case,))
        return {field: json.loads(value) for field, value in rows}


def _history(db: Path, field: str) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [kind for (kind,) in conn.execute(
            "SELECT kind FROM history WHERE field = ? ORDER BY id", (field,))]


def _percents(out: str) -> list[int]:
    return [int(p) for p in re.findall(r"Progress [▰▱]+ (\d+)%", out)]


# -- 1. keep the current value ------------------------------------------------------------
def test_an_empty_line_or_keep_keeps_the_answer_after_back_and_edit(tmp_path: Path) -> None:
    db = tmp_path / "esignbot.db"
    out = run_console(tmp_path, [*PROD_START, "back", "", "edit uin", "keep"])
    assert "(press Enter or reply 'keep' to keep it)" in out
    assert "✔ Kept enterprise name: Acme Ltd" in out
    assert f"✔ Kept main account UIN: {UIN}" in out
    assert "That was empty" not in out
    # Nothing was written: one answer row each, and the flow went on to the next question.
    assert _history(db, "enterprise_name") == ["answer"]
    assert _history(db, "uin") == ["answer"]
    assert dialogue_part(out).endswith("2. offline, materials sent by email")


# -- 2. the progress bar ------------------------------------------------------------------
def test_the_progress_bar_never_goes_back_when_offline_real_name_adds_questions(
        tmp_path: Path, image: Path) -> None:
    out = run_console(tmp_path, [*OFFLINE_ENTERPRISE, str(image), "submitted", "approved"])
    percents = _percents(out)
    assert len(percents) >= 12
    assert percents == sorted(percents), percents


def test_a_production_case_opened_by_start_prod_counts_its_carried_answers_and_only_goes_on(
        tmp_path: Path) -> None:
    out = run_console(tmp_path, [*TEST_ON_CONSOLE_DONE, "start prod", "1", UIN, "2", "1",
                                 "9144030071526726XG"])
    prod = _percents(out.split("> start prod", 1)[1])
    (tmp_path / "fresh").mkdir()
    fresh = _percents(run_console(tmp_path / "fresh", ["lang en", "2"]))[0]
    assert prod[0] > fresh + 15, (prod, fresh)  # the app's carried answers count
    assert prod == sorted(prod), prod  # and offline real-name, asked later, takes nothing back


# -- 3. a rejection chosen as an answer asks for its reason -------------------------------
def test_choosing_rejected_asks_for_the_reason_and_the_announcement_carries_it(
        tmp_path: Path) -> None:
    db = tmp_path / "esignbot.db"
    out = run_console(tmp_path, [*PROD_START, "1", "2", "4", "the licence photo is blurred"])
    assert "What reason did Tencent give for rejecting the supplementary real-name review?" in out
    assert "✔ Recorded the supplementary real-name review: rejected." in out
    told = out.split("✔ Recorded the supplementary real-name review: rejected.", 1)[1]
    assert "Reason: the licence photo is blurred" in told  # the announcement, printed
    assert "not recorded; see the result email" not in told
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT state, reason FROM waits WHERE kind = 'realname'").fetchone() \
            == ("rejected", "the licence photo is blurred")


# -- 4. edit: several words, the guide's words, an image path -----------------------------
def test_edit_takes_multi_word_labels_and_the_guides_words_for_the_image(
        tmp_path: Path, image: Path) -> None:
    db = tmp_path / "esignbot.db"
    second = tmp_path / "second.png"
    second.write_bytes(png_bytes(3, 3))
    out = run_console(tmp_path, [*OFFLINE_ENTERPRISE, str(image), "edit enterprise name Acme Trading Ltd",
                                 f"edit 营业执照 {second}", str(second), "/edit nosuch x"])
    answers = _answers(db)
    assert answers["enterprise_name"] == "Acme Trading Ltd"
    assert "Send the new image now" in out
    assert answers["license_image"]["name"] == "second.png"  # type: ignore[index]
    # The list of fields: keys only, a line per stage.
    fields = out.split("Fields you can edit", 1)[1]
    assert "Stage 1: environment, has_verified_account, uin, enterprise_name\n" in fields
    assert "(enterprise name)" not in fields


# -- 5. Chinese review words, and Chinese hints in Chinese --------------------------------
def test_chinese_review_words_record_a_rejection_with_its_reason(tmp_path: Path) -> None:
    out = run_console(tmp_path, ["2", "1", UIN, "某某科技有限公司", "1", "2",
                                 "审核 实名 驳回 营业执照照片不清晰", "帮助"])
    assert "原因：营业执照照片不清晰" in out  # the announcement, printed
    assert "审核 实名 通过，或 审核 实名 驳回 原因" in out  # the tracking notice, in Chinese
    assert "审核 <打款|实名|应用号> <通过|驳回>" in out  # help
    assert "approved|rejected" not in out


# -- 6. status ends with the next step; a failed edit asks again --------------------------
def test_status_ends_with_the_next_step_and_a_failed_edit_asks_the_question_again(
        tmp_path: Path) -> None:
    out = run_console(tmp_path, [*PROD_START, "status", "edit uin abc", "x" * 5000])
    status = out.split("> status", 1)[1].split("> edit", 1)[0].strip()
    assert status.splitlines()[-1] == "Next: Which route for the supplementary real-name verification?"
    after_edit = out.split("> edit uin abc", 1)[1].split("> ", 1)[0]
    assert "Which route for the supplementary real-name verification?" in after_edit
    after_long = out.split("> " + "x" * 5000, 1)[1]
    assert "too long" in after_long
    assert "Which route for the supplementary real-name verification?" in after_long


# -- 7. layout --------------------------------------------------------------------------
def test_the_waiting_note_follows_the_options_and_the_workbook_comes_before_the_next_question(
        tmp_path: Path) -> None:
    out = run_console(tmp_path, ["lang en", "2", "2", "2", "3", UIN, "Test Ltd", "1", "2",
                                 "approved", "2", "Contract helper", "pc web", "Signs contracts",
                                 "skip"])
    waiting = out.split("⏳ I will wait here", 1)[0]
    assert dialogue_part(waiting).endswith("3. transfer received and amount verified")
    after_skip = out.split("> skip", 1)[1]
    assert after_skip.index("→ ") < after_skip.index("Where are you with the app ID application?")
    assert "Where are you with the app ID application?" not in after_skip[:after_skip.index("→ ")]
    question = out.split("Which whitelist-only features do you need?", 1)[1].split("  1. ", 1)[0]
    assert question.count("comma") == 1
    assert question.count("skip") == 1


def test_an_individual_business_phone_is_saved_as_the_operators(tmp_path: Path) -> None:
    out = run_console(tmp_path, [*PROD_START, "2", "2", "110108000000016", "王五",
                                 "11010519491231002X", "010-12345678-123", "status"])
    assert "✔ Saved operator's phone: 010-12345678-123" in out
    assert "    operator's phone: 010-12345678-123" in out


# -- 8. the email draft without SMTP ------------------------------------------------------
def test_email_without_smtp_shows_the_draft_to_send_by_hand(tmp_path: Path, image: Path) -> None:
    out = run_console(tmp_path, [*OFFLINE_ENTERPRISE, str(image), "email"])
    shown = out.split("> email", 1)[1]
    assert "To: e-contract@tencent.com" in shown
    assert "Subject: 补充实名认证材料 - Acme Ltd - UIN 100016315204" in shown
    assert "补充实名认证材料-" in shown and ".zip" in shown  # the attachment's name
    assert "The app-ID workbook is not attached this time" in shown
    assert "cannot be built yet" not in shown
    assert "No sending mailbox is configured" in shown


# -- 9. a restart while "are you sure?" waits ----------------------------------------------
def test_a_restart_while_cancel_waits_for_its_answer_resumes_the_case(tmp_path: Path) -> None:
    db = tmp_path / "esignbot.db"
    run_console(tmp_path, [*PROD_START, "cancel"])
    out = run_console(tmp_path, ["1"])
    assert out.startswith("Resuming case #1")
    assert "not cancelled" not in out
    assert _answers(db)["realname_route"] == "online"  # "1" answered the question, not "cancel?"


# -- 10. start prod / start test on an unfinished case -------------------------------------
def test_start_on_an_unfinished_case_names_the_environments_and_suggests_the_edit_only_when_it_fits(
        tmp_path: Path) -> None:
    same = run_console(tmp_path, [*PROD_START, "start prod", "start test"])
    assert "Case #1 is the production case and is not finished yet" in same
    assert "Case #1 (production) is not finished yet, so a case for the test environment" in same
    assert "edit environment prod" not in same
    assert "edit environment test" in same


# -- 11. changing the organisation type clears the certificate photo -----------------------
def test_changing_the_organisation_type_clears_the_photo_and_asks_again(
        tmp_path: Path, image: Path) -> None:
    db = tmp_path / "esignbot.db"
    out = run_console(tmp_path, [*OFFLINE_GOVERNMENT, str(image), "edit org_type other", "materials"])
    assert "'licence or certificate image' no longer fits the new answer" in out
    assert "license_image" not in _answers(db)
    assert _history(db, "license_image") == ["answer", "invalidated"]
    assert "materials package cannot be built yet" in out.split("> materials", 1)[1]


# -- 12 and 13. the production case's workbook; carrying over after a cancel ---------------
def test_the_production_case_offers_its_own_workbook_under_its_own_name(tmp_path: Path) -> None:
    # The test case asks for its test account by email (1420/53857): no workbook of its own.
    test_case = ["lang en", "1", "2", "Test Ltd", "Contract helper", "pc web", "Signs contracts",
                 "2", "3", APP_TEST, "later"]
    out = run_console(tmp_path, [*test_case, "start prod", "1", UIN, "1", "2", "3", "2", "skip"])
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(names) == 1 and "案例2-正式" in names[0], names
    prod = out.split("> start prod", 1)[1]
    assert "so I built the app-ID application workbook" in prod


def test_start_prod_after_a_cancelled_production_case_carries_over_again(tmp_path: Path) -> None:
    db = tmp_path / "esignbot.db"
    out = run_console(tmp_path, [*TEST_ON_CONSOLE_DONE, "start prod", "cancel", "yes", "start prod"])
    again = out.rsplit("> start prod", 1)[1]
    assert "Carried over from case #1" in again  # the conversation's language (issue 26)
    assert _answers(db)["app_name"] == "Contract helper"
