"""How stored values, progress and times read in a message.

Kept apart from the engine so that status, confirmations and the other issues' outputs show a
value the same way everywhere, masking personal data in shared conversations.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from handlers import flow
from handlers.catalogue import has, t
from handlers.flow import FIELDS, Kind

DISPLAY_ZONE = ZoneInfo("Asia/Shanghai")


def field_label(key: str, lang: str) -> str:
    return t(f"field.{key}", lang)


def answer_label(step: flow.Step, key: str, lang: str) -> str:
    """What an answer is called where it was asked: the guide names some fields by their step
    (an individual business's phone is its 经营者联系方式; the image is the 多合一营业执照 or
    the 证件照片 its question asked for), so a question and the label it is stored under agree."""
    own = f"label.{step.name}"
    return t(own, lang) if has(own) and key == step.fields[0] else field_label(key, lang)


def field_labels(keys: Iterable[str], lang: str) -> str:
    """Several fields' names as a list in running text."""
    return ("、" if lang == "zh" else ", ").join(field_label(k, lang) for k in keys)


def option_label(key: str, value: str, lang: str) -> str:
    """An option's label; a value stored without one (an essbasic action typed by name at the
    whitelist question) reads as itself."""
    label = f"opt.{key}.{value}"
    return t(label, lang) if has(label) else value


def stage_title(stage: int, values: Mapping[str, Any], lang: str) -> str:
    """A stage's name; a test case on the console route has its own for the stages it does
    differently (the test enterprise instead of the bank transfer, no real-name review)."""
    route = flow.test_route(values)
    variant = f"stage.{stage}.{route}"
    if route is not None and has(variant):
        return t(variant, lang)
    return t(f"stage.{stage}", lang)


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


_BRANCH_KEYS: tuple[str, ...] = tuple(dict.fromkeys(
    key for step in flow.STEPS for key in (*step.when, *step.unless)))
"""The answers the flow branches on (environment, route, organisation type…)."""


def _branch_values(key: str) -> tuple[str, ...]:
    """One value for each way ``key`` can steer the flow: every value a condition names, and
    one that none names (an option such as ``not_sent``), if there is such an option."""
    named = {v for step in flow.STEPS for cond in (step.when, step.unless)
             for v in cond.get(key, ())}
    others = [o.value for o in FIELDS[key].options if o.value not in named]
    return (*sorted(named), *others[:1])


_BRANCHES: Mapping[str, tuple[str, ...]] = {key: _branch_values(key) for key in _BRANCH_KEYS}


@lru_cache(maxsize=4096)
def _applicable_names(branch: tuple[str | None, ...]) -> frozenset[str]:
    values = dict(zip(_BRANCH_KEYS, branch, strict=True))
    return frozenset(s.name for s in flow.applicable_steps(values))


@lru_cache(maxsize=8192)
def _lowest_share(branch: tuple[str | None, ...], complete: frozenset[str]) -> tuple[int, int]:
    """(done, total) on the way still open to this case that has the most left to do."""
    open_keys = [i for i, value in enumerate(branch) if value is None]
    worst: tuple[int, int] | None = None
    for choice in itertools.product(*(_BRANCHES[_BRANCH_KEYS[i]] for i in open_keys)):
        filled = list(branch)
        for i, value in zip(open_keys, choice, strict=True):
            filled[i] = value
        names = _applicable_names(tuple(filled))
        done, total = len(names & complete), len(names)
        if worst is None or done * worst[1] < worst[0] * total:
            worst = (done, total)
    assert worst is not None
    return worst


def progress(values: Mapping[str, Any]) -> tuple[int, int]:
    """(done, total), counted on the longest way the flow can still take from these answers.

    Why not the steps that apply now: a branch that adds questions (offline real-name adds the
    organisation's fields) would make the bar go backwards. Counted on every way still open and
    shown for the one with the lowest share done, an answer can only move it forward (the ways
    left after it are some of those before, each with one more step done), and answers already
    given on a way not yet taken (carried over from the test case) count where they apply.
    """
    if flow.first_incomplete(values) is None:
        steps = flow.applicable_steps(values)
        return len(steps), len(steps)
    branch = tuple(v if isinstance(v := values.get(k), str) else None for k in _BRANCH_KEYS)
    complete = frozenset(s.name for s in flow.STEPS if flow.is_complete(s, values))
    return _lowest_share(branch, complete)


def progress_text(values: Mapping[str, Any], lang: str) -> str:
    done, total = progress(values)
    percent = (100 * done) // total if total else 0
    filled = round(10 * done / total) if total else 0
    return t("ui.progress", lang, bar="▰" * filled + "▱" * (10 - filled), percent=percent)


def local_time(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(DISPLAY_ZONE).strftime("%Y-%m-%d %H:%M")
