"""The application workbook: reopened with openpyxl after every build, from the builder and
through ``esignbot console`` (a real process, a real SQLite file)."""

from __future__ import annotations

import io
import re
import sqlite3
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from bot.files.workbook import MAX_NAME_BYTES, build_application_workbook
from bot.settings import Settings
from bot.wiring import build_services
from handlers import Dialogue, Inbound, Reply
from handlers.flow import APP_TYPES
from storage import CaseStore
from tests.conftest import FakeClock, run_console

HEADERS = ["Uin", "企业名称", "应用名称", "应用类型", "应用简介", "白名单接口"]
ANSWERS: dict[str, Any] = {
    "uin": "100016315204", "enterprise_name": "腾讯科技（深圳）有限公司", "app_name": "合同助手",
    "app_type": "微信小程序", "app_description": "在线签署劳动合同的小程序",
    "whitelist_interfaces": ["VerifyUser", "FaceVerification"],
}
TODAY = date(2026, 3, 2)
STAGE_1 = ["2", "1", "100016315204", "腾讯科技（深圳）有限公司"]
ONLINE_APPROVED = ["1", "3"]
BY_EMAIL = "2"
"""Stage 3 of a production case begins with the route: 2, the guide's Excel by email (the word
``email`` is the email command)."""
INJECTIONS = ["=1+1", "+SUM(A1)", "-2", "@cmd", "\tcmd", "\rcmd"]


def sheet_of(content: bytes) -> Worksheet:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    return sheet


def rows(sheet: Worksheet) -> list[list[Any]]:
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


# -- the builder --------------------------------------------------------------------------
def test_header_row_values_and_text_cells() -> None:
    built = build_application_workbook(ANSWERS, TODAY)
    assert built.name == "腾讯科技（深圳）有限公司-电子签应用号申请-20260302.xlsx"
    assert built.mime == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = sheet_of(built.content)
    assert rows(sheet) == [HEADERS, ["100016315204", "腾讯科技（深圳）有限公司", "合同助手", "微信小程序",
                                     "在线签署劳动合同的小程序", "VerifyUser、人脸核身(SDK/H5)"]]
    uin = sheet["A2"]
    assert uin.value == "100016315204" and uin.data_type == "s" and uin.number_format == "@"
    assert all(cell.data_type == "s" for row in sheet.iter_rows() for cell in row)


def test_header_bold_frozen_widths_and_app_type_drop_down() -> None:
    sheet = sheet_of(build_application_workbook(ANSWERS, TODAY).content)
    assert all(cell.font.bold for cell in sheet[1])
    assert not any(cell.font.bold for cell in sheet[2])
    assert sheet.freeze_panes == "A2"
    widths = {c: sheet.column_dimensions[c].width for c in "ABCDEF"}
    assert widths["A"] >= len("100016315204") and widths["B"] >= 2 * len("腾讯科技（深圳）有限公司")
    assert all(10 <= w <= 60 for w in widths.values())
    validations = sheet.data_validations.dataValidation
    assert len(validations) == 1
    drop_down = validations[0]
    assert drop_down.type == "list" and str(drop_down.sqref) == "D2"
    assert drop_down.formula1 == '"' + ",".join(APP_TYPES) + '"'
    assert len(APP_TYPES) == 6 and not drop_down.showDropDown  # OOXML: False shows the arrow


@pytest.mark.parametrize("whitelist", [[], None])
def test_whitelist_column_empty_when_none_chosen(whitelist: list[str] | None) -> None:
    answers = {**ANSWERS, "whitelist_interfaces": whitelist}
    if whitelist is None:
        del answers["whitelist_interfaces"]
    sheet = sheet_of(build_application_workbook(answers, TODAY).content)
    assert sheet["F1"].value == "白名单接口" and sheet["F2"].value in (None, "")


@pytest.mark.parametrize("field", ["enterprise_name", "app_name", "app_description"])
@pytest.mark.parametrize("value", INJECTIONS)
def test_formula_like_values_stay_literal_text(field: str, value: str) -> None:
    content = build_application_workbook({**ANSWERS, field: value}, TODAY).content
    column = {"enterprise_name": "B", "app_name": "C", "app_description": "E"}[field]
    cell = sheet_of(content)[f"{column}2"]
    # XML reads a bare carriage return back as a line feed (XML 1.0, 2.11); it is still text.
    assert cell.value == value.replace("\r", "\n")
    assert cell.data_type == "s" and cell.quotePrefix
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml  # no formula anywhere in the sheet


def test_plain_values_get_no_quote_prefix() -> None:
    sheet = sheet_of(build_application_workbook(ANSWERS, TODAY).content)
    assert not any(cell.quotePrefix for cell in sheet[2])


@pytest.mark.parametrize("name", ['A/B\\C:D*E?F"G<H>I|J有限公司', "..隐藏.", "CON", "tab\tname\x01公司"])
def test_file_name_is_safe_on_every_file_system(name: str, tmp_path: Path) -> None:
    built = build_application_workbook({**ANSWERS, "enterprise_name": name}, TODAY)
    assert built.name.endswith("-电子签应用号申请-20260302.xlsx")
    assert not re.search(r'[\\/:*?"<>|\x00-\x1f]', built.name)
    assert not built.name.startswith((".", " ")) and not built.name.upper().startswith("CON-")
    (tmp_path / built.name).write_bytes(built.content)  # the file system takes it as is
    assert (tmp_path / built.name).read_bytes() == built.content


def test_long_name_is_shortened_but_keeps_the_kind_and_date() -> None:
    built = build_application_workbook({**ANSWERS, "enterprise_name": "长" * 100}, TODAY)
    assert len(built.name.encode()) <= MAX_NAME_BYTES
    assert built.name.startswith("长" * 10) and built.name.endswith("-电子签应用号申请-20260302.xlsx")


def test_builder_refuses_missing_fields() -> None:
    with pytest.raises(ValueError, match="app_description"):
        build_application_workbook({k: v for k, v in ANSWERS.items() if k != "app_description"},
                                   TODAY)


# -- through the console ------------------------------------------------------------------
def out_files(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "out"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_console_offers_the_workbook_once_stage_3_is_complete(tmp_path: Path) -> None:
    out = run_console(tmp_path, [*STAGE_1, *ONLINE_APPROVED, BY_EMAIL, "合同助手", "微信小程序",
                                 "在线签署劳动合同的小程序", "5, 10"])
    assert "第 3 步的信息齐了" in out
    [path] = out_files(tmp_path)
    assert re.fullmatch(r"腾讯科技（深圳）有限公司-电子签应用号申请-20\d{6}-案例1-正式\.xlsx", path.name)  # today
    assert f"→ {path}" in out
    sheet = sheet_of(path.read_bytes())
    assert rows(sheet)[1] == ["100016315204", "腾讯科技（深圳）有限公司", "合同助手", "微信小程序",
                              "在线签署劳动合同的小程序", "VerifyUser、人脸核身(SDK/H5)"]
    # The file is built after the answer is committed (off SQLite's write lock); the next
    # question, which asks where its application stands, follows it (issue 18).
    assert out.index(f"→ {path}") < out.rindex("应用号申请进行到哪一步了？")


def test_console_excel_after_skip_and_after_an_edit(tmp_path: Path) -> None:
    lines = [*STAGE_1, *ONLINE_APPROVED, BY_EMAIL, "合同助手", "pc web", "在线签署合同", "skip"]
    out = run_console(tmp_path, lines)
    assert "第 3 步的信息齐了" in out
    sheet = sheet_of(out_files(tmp_path)[0].read_bytes())
    assert sheet["D2"].value == "PC Web" and sheet["F2"].value in (None, "")
    # A later edit of a workbook field: no file unasked, a hint to ask for the new one.
    out = run_console(tmp_path, ["修改 app_name 签约通", "表格"])
    assert "输入「表格」获取更新后的申请表" in out
    assert out.count("  → ") == 1  # only the one asked for with 表格
    assert sheet_of(out_files(tmp_path)[0].read_bytes())["C2"].value == "签约通"


def test_console_injection_values_that_pass_the_validators(tmp_path: Path) -> None:
    # The validators let =, +, -, @ through (tab and CR are refused as control characters).
    lines = ["2", "1", "100016315204", "=1+1", *ONLINE_APPROVED, BY_EMAIL, "@cmd", "h5", "-2",
             "none", "excel"]
    out = run_console(tmp_path, lines, "--lang", "en")
    assert "Here is the E-Sign app-ID application workbook" in out
    [path] = out_files(tmp_path)
    assert re.fullmatch(r"=1\+1-电子签应用号申请-20\d{6}-案例1-正式\.xlsx", path.name)
    sheet = sheet_of(path.read_bytes())
    for ref, value in (("B2", "=1+1"), ("C2", "@cmd"), ("E2", "-2")):
        assert sheet[ref].value == value and sheet[ref].data_type == "s" and sheet[ref].quotePrefix
    run_console(tmp_path, ["edit enterprise_name +SUM(A1)", "excel"], "--lang", "en")
    newest = next(p for p in out_files(tmp_path) if p.name.startswith("+SUM"))
    cell = sheet_of(newest.read_bytes())["B2"]
    assert cell.value == "+SUM(A1)" and cell.data_type == "s" and cell.quotePrefix


def test_console_excel_lists_missing_fields_and_builds_nothing(tmp_path: Path) -> None:
    out = run_console(tmp_path, ["2", "1", "100016315204", "excel"])
    assert "还不能生成申请表，缺少：企业名称、应用名称、应用类型、应用简介" in out
    assert out_files(tmp_path) == []
    out = run_console(tmp_path, ["excel"], "--lang", "en")
    assert "missing: enterprise name, app name, app type, app description" in out
    assert out_files(tmp_path) == []
    with sqlite3.connect(tmp_path / "esignbot.db") as conn:
        offered = conn.execute("SELECT count(*) FROM history WHERE kind = 'workbook_offered'")
        assert offered.fetchone()[0] == 0


# -- in process: the offer happens once -----------------------------------------------------
def test_offer_only_the_first_time(tmp_path: Path) -> None:
    store = CaseStore(tmp_path / "esignbot.db")
    dialogue = Dialogue(store, clock=FakeClock(), services=build_services(Settings()))

    def send(text: str) -> list[Reply]:
        return dialogue.handle(Inbound(platform="test", conversation="t:1", user_id="u",
                                       text=text, private=True))

    for line in ["start", *STAGE_1, *ONLINE_APPROVED, BY_EMAIL, "合同助手", "1", "网页签署"]:
        assert not [r for r in send(line) if r.kind == "file"]
    [offered] = [r for r in send("6") if r.kind == "file"]  # CreateUserAndSeal
    assert offered.file is not None and "电子签应用号申请" in offered.file.name
    assert not [r for r in send("back") if r.kind == "file"]
    again = send("5, 6")  # the whitelist answered again: a hint, not a second file
    assert not [r for r in again if r.kind == "file"]
    assert any("更新后的申请表" in r.text for r in again)
    store.close()
