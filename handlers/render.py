"""How stored values, progress and times read in a message.

Kept apart from the engine so that status, confirmations and the other issues' outputs show a
value the same way everywhere, masking personal data in shared conversations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from handlers import flow
from handlers.catalogue import t
from handlers.flow import FIELDS, Kind

DISPLAY_ZONE = ZoneInfo("Asia/Shanghai")


def field_label(key: str, lang: str) -> str:
    return t(f"field.{key}", lang)


def field_labels(keys: Iterable[str], lang: str) -> str:
    """Several fields' names as a list in running text."""
    return ("、" if lang == "zh" else ", ").join(field_label(k, lang) for k in keys)


def option_label(key: str, value: str, lang: str) -> str:
    return t(f"opt.{key}.{value}", lang)


def mask(key: str, value: str) -> str:
    """Hide the middle of a resident ID or phone number (1101**********002X, 138****5678)."""
    if key == "operator_id_number" and len(value) == 18:
        return value[:4] + "*" * 10 + value[-4:]
    if key == "contact_phone":
        if "-" in value:
            area, _, rest = value.partition("-")
            return f"{area}-{'*' * max(len(rest) - 4, 0)}{rest[-4:]}"
        if len(value) == 11:
            return value[:3] + "****" + value[-4:]
    return value


def display_value(key: str, value: Any, lang: str, *, private: bool) -> str:
    field = FIELDS[key]
    if value is None:
        return t("ui.none", lang)
    if field.kind is Kind.CHOICE:
        return option_label(key, str(value), lang)
    if field.kind is Kind.MULTI:
        items = [option_label(key, item, lang) for item in value]
        return ("、" if lang == "zh" else ", ").join(items) if items else t("ui.none", lang)
    if field.kind is Kind.IMAGE:
        return t("ui.file_label", lang, name=value["name"], size=max(1, value["size"] // 1024))
    text = str(value)
    return text if private or not field.personal else mask(key, text)


def progress(values: Mapping[str, Any]) -> tuple[int, int]:
    """(done, total) over the steps that apply to this case's answers."""
    steps = flow.applicable_steps(values)
    return sum(flow.is_complete(s, values) for s in steps), len(steps)


def progress_text(values: Mapping[str, Any], lang: str) -> str:
    done, total = progress(values)
    percent = (100 * done) // total if total else 0
    filled = round(10 * done / total) if total else 0
    return t("ui.progress", lang, bar="▰" * filled + "▱" * (10 - filled), percent=percent)


def local_time(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(DISPLAY_ZONE).strftime("%Y-%m-%d %H:%M")
