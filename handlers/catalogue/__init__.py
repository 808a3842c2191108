"""Every sentence a person reads, in Chinese (default) and English, and the lookup ``t``.

Why one table: the engine and the adapters pass around keys and parameters, never sentences, so
a translation or a fix of wording is one edit, and a test can prove that every key exists in
both languages with the same placeholders. The table is merged from parts: the engine's own
(``core``), the sentences only an adapter or the admin commands say (``slack``, ``wecom``,
``wecom_bot``, ``admin``: here, because ``handlers`` may not import ``bot`` and the lookup must know every
key), and each feature's ``texts`` module beside its logic. A key defined twice stops the
import.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from handlers.catalogue import admin, core, slack, wecom, wecom_bot
from handlers.catalogue.core import CONTACT
from handlers.credentials import texts as credentials
from handlers.files import texts as files
from handlers.mail import texts as mail
from handlers.reviews import texts as reviews

__all__ = ["CONTACT", "DEFAULT_LANG", "LANGS", "MESSAGES", "SOURCES", "has", "labels",
           "normalise_lang", "t"]

LANGS: tuple[str, ...] = ("zh", "en")
DEFAULT_LANG = "zh"

SOURCES: tuple[Mapping[str, tuple[str, str]], ...] = (
    core.TEXTS, slack.TEXTS, wecom.TEXTS, wecom_bot.TEXTS, admin.TEXTS,
    credentials.TEXTS, files.TEXTS, mail.TEXTS, reviews.TEXTS,
)
"""The engine's table and the adapters' (in this package), then each feature's own
``handlers/<feature>/texts.py``."""


def _merge(sources: tuple[Mapping[str, tuple[str, str]], ...]) -> dict[str, Mapping[str, str]]:
    merged: dict[str, Mapping[str, str]] = {}
    for source in sources:
        for key, texts in source.items():
            if key in merged:
                raise ValueError(f"message key defined twice: {key}")
            merged[key] = MappingProxyType(dict(zip(LANGS, texts, strict=True)))
    return merged


MESSAGES: Mapping[str, Mapping[str, str]] = MappingProxyType(_merge(SOURCES))


def normalise_lang(lang: str | None) -> str:
    """Map what people type (zh, zh-CN, 中文, en, English) to a catalogue language."""
    if not lang:
        return DEFAULT_LANG
    folded = lang.strip().casefold()
    if folded in {"en", "english", "英文", "英语"} or folded.startswith("en"):
        return "en"
    return "zh"


def has(key: str) -> bool:
    return key in MESSAGES


def t(key: str, lang: str, **params: Any) -> str:
    """The sentence for ``key`` in ``lang``, with ``params`` filled in."""
    text = MESSAGES[key][lang if lang in LANGS else DEFAULT_LANG]
    return text.format(**params) if params else text


def labels(key: str) -> tuple[str, ...]:
    """The sentence for ``key`` in every language (to recognise what people type)."""
    return tuple(MESSAGES[key].values()) if key in MESSAGES else ()
