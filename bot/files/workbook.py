"""The application workbook Tencent asks for in stage 3, built with openpyxl.

Why so careful with cells: the file is opened by a reviewer in Excel or WPS. A UIN written as a
number turns into ``1.00016E+11``; a name that starts with ``=`` would be evaluated as a formula
(and ``+``, ``-``, ``@``, tab and carriage return are read as the start of one by spreadsheet
programs). Every value is therefore written as literal text, and risky ones also carry Excel's
quote prefix, so the cell shows exactly what the team typed and nothing in it ever runs.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from handlers.catalogue import t
from handlers.files.contents import WORKBOOK_HEADERS, missing_for_workbook, whitelist_names
from handlers.flow import APP_TYPES
from handlers.shapes import OutFile

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet program treat a typed value as a formula (OWASP CSV injection)."""

MAX_NAME_BYTES = 180
"""File names are cut to this many UTF-8 bytes: under every file system's 255-byte limit, with
room for a folder, and under the console's 150-character cut for any script."""

_MIN_WIDTH, _MAX_WIDTH = 10, 60
_UNSAFE_CHARS = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])$", re.IGNORECASE)


# -- file names ---------------------------------------------------------------------------
def safe_name_part(text: str) -> str:
    """``text`` as part of a file name accepted by Windows, macOS and Linux: separators,
    reserved and control characters become ``_``, no leading or trailing dots or spaces, not
    a reserved device name."""
    cleaned = _UNSAFE_CHARS.sub("_", unicodedata.normalize("NFC", text))
    cleaned = re.sub(r"\s+", " ", cleaned).strip(" .")
    if not cleaned or _WINDOWS_RESERVED.match(cleaned):
        cleaned = f"_{cleaned}"
    return cleaned


def _cut_bytes(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore").rstrip(" .")


def file_name(subject: str, kind: str, today: date, suffix: str) -> str:
    """``<subject>-<kind>-<YYYYMMDD><suffix>``, safe everywhere; a long subject is shortened,
    the kind, date and suffix are always kept."""
    tail = f"-{safe_name_part(kind)}-{today:%Y%m%d}{suffix}"
    head = _cut_bytes(safe_name_part(subject), MAX_NAME_BYTES - len(tail.encode("utf-8")))
    return f"{head or '_'}{tail}"


# -- cells --------------------------------------------------------------------------------
def write_text(cell: Cell, value: str) -> None:
    """Put ``value`` in ``cell`` as literal text that no spreadsheet evaluates. Control
    characters XML cannot carry (the validators refuse them anyway) show as U+FFFD."""
    value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    cell.value = value
    cell.data_type = "s"  # openpyxl would store a leading "=" as a formula
    cell.number_format = "@"
    if value.startswith(FORMULA_STARTS):
        cell.quotePrefix = True


def _display_width(text: str) -> int:
    """Columns a text needs: East Asian wide characters take two."""
    longest = max((line for line in text.splitlines() or [""]), key=len)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in longest)


def style_sheet(sheet: Worksheet, rows: Iterable[Sequence[str]], *, wrap_columns: set[int]) -> None:
    """Write a header row and data rows as text; bold frozen header, readable widths."""
    widths: dict[int, int] = {}
    for row_index, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            cell = sheet.cell(row=row_index, column=column)
            write_text(cell, value)
            if row_index == 1:
                cell.font = Font(bold=True)
            cell.alignment = Alignment(vertical="top", wrap_text=column in wrap_columns)
            widths[column] = max(widths.get(column, 0), _display_width(value) + 2)
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(
            max(width, _MIN_WIDTH), _MAX_WIDTH
        )
    sheet.freeze_panes = "A2"


def workbook_bytes(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# -- the application workbook -------------------------------------------------------------
def build_application_workbook(answers: Mapping[str, Any], today: date) -> OutFile:
    """One sheet: the header row Tencent expects and the case's one data row."""
    missing = missing_for_workbook(answers)
    if missing:
        raise ValueError(f"the workbook needs {', '.join(missing)}")
    row = [
        str(answers["uin"]),
        str(answers["enterprise_name"]),
        str(answers["app_name"]),
        str(answers["app_type"]),
        str(answers["app_description"]),
        "、".join(whitelist_names(answers)),
    ]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = t("files.sheet.application", "zh")
    style_sheet(sheet, [WORKBOOK_HEADERS, row], wrap_columns={5, 6})
    app_types = DataValidation(
        type="list",
        formula1='"' + ",".join(APP_TYPES) + '"',
        allow_blank=False,
        showDropDown=False,  # False means "show the in-cell arrow" in OOXML's inverted wording
        showErrorMessage=True,
        errorTitle=WORKBOOK_HEADERS[3],
        error=" / ".join(APP_TYPES),
    )
    sheet.add_data_validation(app_types)
    app_types.add("D2")
    name = file_name(str(answers["enterprise_name"]), t("files.name.workbook", "zh"), today, ".xlsx")
    return OutFile(name=name, content=workbook_bytes(book), mime=XLSX_MIME)
