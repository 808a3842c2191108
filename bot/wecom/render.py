"""The dialogue's replies in WeCom's idiom: text messages, numbered choices, button cards, files.

Why text rather than markdown: an app's markdown messages are not shown to members who use
WeCom through the WeChat plugin (微信插件), and every reply is plain text already. A question
with choices goes out twice: as text with numbered options (readable everywhere; the dialogue
accepts the numbers) and, for a single choice of at most six options, as a ``button_interaction``
template card whose button keys carry the question and the value, so a tap comes back as an
``Action`` the dialogue can tie to the question it answered.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from handlers.catalogue import t
from handlers.shapes import Action, OutFile, Reply

TEXT_MAX_BYTES = 2048
"""WeCom cuts a text message's content at 2048 bytes; longer replies are split at lines."""

CARD_MAX_BUTTONS = 6
TITLE_MAX_CHARS = 36
BUTTON_MAX_CHARS = 16
_KEY_SEPARATOR = "|"


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One ``message/send`` body; ``upload`` is a file to upload first and send as its media."""

    message: dict[str, Any]
    private: bool = False
    upload: OutFile | None = None


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cut_line(line: str, limit: int) -> list[str]:
    """A line longer than ``limit`` bytes, cut between characters."""
    pieces: list[str] = []
    piece, size = "", 0
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            pieces.append(piece)
            piece, size = "", 0
        piece += char
        size += width
    return [*pieces, piece]


def split_text(text: str, limit: int = TEXT_MAX_BYTES) -> list[str]:
    """Pieces of at most ``limit`` UTF-8 bytes, cut at line ends where a line allows it."""
    if len(text.encode()) <= limit:
        return [text] if text.strip() else []
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        for part in _cut_line(line, limit) if len(line.encode()) > limit else [line]:
            candidate = f"{current}\n{part}" if current else part
            if current and len(candidate.encode()) > limit:
                pieces.append(current)
                current = part
            else:
                current = candidate
    pieces.append(current)
    return [piece for piece in pieces if piece.strip()]


_LINK_TAG = re.compile(r"<(/?a)(?=[\s>/])", re.IGNORECASE)
"""The one markup WeCom reads in a text message: ``<a href="…">`` (its "A标签")."""


def inert(text: str) -> str:
    """``text`` with every ``<a …>``/``</a>`` tag shown, not followed: the bot writes none, so
    any in a text is what somebody typed, and a typed link must not turn into a real one for
    every member of the corp. A full-width ``＜`` reads the same and is not markup."""
    return _LINK_TAG.sub(r"＜\1", text)


def text_messages(text: str, *, private: bool = False) -> list[Outgoing]:
    return [Outgoing({"msgtype": "text", "text": {"content": piece}}, private)
            for piece in split_text(inert(text))]


def button_key(step: str, value: str) -> str:
    return f"{step}{_KEY_SEPARATOR}{value}"


def action_from_key(key: str) -> Action | None:
    """The choice a tapped button stands for, or None for a key we did not make."""
    step, separator, value = key.partition(_KEY_SEPARATOR)
    if not separator or not step or not value or len(step) > 100 or len(value) > 200:
        return None
    return Action(step=step, value=value)


def _card(reply: Reply, lang: str) -> Outgoing:
    assert reply.step is not None
    title = next((line for line in reply.text.splitlines() if line.strip()), reply.text)
    buttons = [
        {"text": _shorten(f"{i}. {choice.label}", BUTTON_MAX_CHARS), "style": 1 if i == 1 else 2,
         "key": button_key(reply.step, choice.value)}
        for i, choice in enumerate(reply.choices, start=1)
    ]
    return Outgoing({
        "msgtype": "template_card",
        "template_card": {
            "card_type": "button_interaction",
            "main_title": {"title": _shorten(title, TITLE_MAX_CHARS)},
            "sub_title_text": t("wecom.card_hint", lang),
            "task_id": f"esignbot-{uuid.uuid4().hex}",
            "button_list": buttons,
        },
    }, reply.private)


def has_card(reply: Reply) -> bool:
    return (reply.step is not None and not reply.multi
            and 0 < len(reply.choices) <= CARD_MAX_BUTTONS)


def _answerable_by_number(reply: Reply) -> bool:
    """Typed numbers answer the case's current question, so only its choices are numbered.
    Choices of a message outside the flow (``mail:<id>``, a finding from Tencent's email) can
    only be clicked: a typed "1" would otherwise answer whatever question is open."""
    return ":" not in (reply.step or "")


def render(reply: Reply, lang: str) -> list[Outgoing]:
    """The WeCom messages for one reply, in the order to send them."""
    if reply.kind == "credentials":
        text = "\n\n".join(part for part in (reply.text, t("wecom.check_how", lang)) if part)
        return text_messages(text, private=True)
    lines = [reply.text] if reply.text else []
    card = has_card(reply)
    if _answerable_by_number(reply):
        lines += [f"{i}. {choice.label}" for i, choice in enumerate(reply.choices, start=1)]
        if card:
            lines.append(t("wecom.choice_hint", lang))
    else:
        lines += [f"· {choice.label}" for choice in reply.choices]
    out = text_messages("\n".join(lines), private=reply.private)
    if card:
        out.append(_card(reply, lang))
    if reply.file is not None:
        out.append(Outgoing({"msgtype": "file"}, reply.private, upload=reply.file))
    return out


def file_message(media_id: str) -> dict[str, Any]:
    return {"msgtype": "file", "file": {"media_id": media_id}}
