"""The dialogue's replies as the smart bot's messages: markdown, button cards, files.

Why markdown and not text: over the long connection a bot's message may be markdown, a template
card, a file or an image; ``text`` is refused everywhere but the welcome (doc 101463). The
dialogue writes plain text, so what markdown would read as markup is made inert first: ``*``
(a masked ID is ``1101**********002X``), links, HTML-like tags and leading ``#``/``>`` — a
company name typed as ``[点我](http://…)`` must not become a link for the whole group.

Choices go out as numbered lines (the dialogue accepts the numbers) and, for a single choice of
at most six, as a ``button_interaction`` card whose button keys carry the question and the value
(the same keys as the self-built app's, ``bot.wecom.render``).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from bot.wecom.render import CARD_MAX_BUTTONS, button_key, split_text
from handlers.catalogue import t
from handlers.shapes import OutFile, Reply

MARKDOWN_MAX_BYTES = 4096
"""WeCom's limit for one markdown message; longer replies are split at line ends."""
_TITLE_MAX = 36
_BUTTON_MAX = 16

_TAG = re.compile(r"<(?=[A-Za-z/@!])")
_LINK = re.compile(r"\]\(")
_LEADING = re.compile(r"^([ \t]*)([#>])", re.MULTILINE)
_MENTION = re.compile(r"^<@[A-Za-z0-9_.@-]{1,64}> ")


def inert(text: str) -> str:
    """``text`` shown as written, not read as markdown (look-alike characters, so a reader
    sees the same thing): a mention the bot put in front (``<@userid> ``) is kept."""
    mention = _MENTION.match(text)
    head, rest = (mention.group(0), text[mention.end():]) if mention else ("", text)
    rest = rest.replace("*", "∗").replace("`", "ˋ")
    rest = _TAG.sub("＜", rest)
    rest = _LINK.sub("］(", rest)
    rest = _LEADING.sub(lambda m: m.group(1) + {"#": "＃", ">": "＞"}[m.group(2)], rest)
    return head + rest


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message body for ``aibot_send_msg`` (without ``chatid``), or a file to upload first."""

    body: dict[str, Any]
    upload: OutFile | None = None


def markdown(text: str) -> list[Outgoing]:
    return [Outgoing({"msgtype": "markdown", "markdown": {"content": piece}})
            for piece in split_text(inert(text), MARKDOWN_MAX_BYTES)]


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _card(reply: Reply, lang: str) -> Outgoing:
    assert reply.step is not None
    title = next((line for line in reply.text.splitlines() if line.strip()), reply.text)
    return Outgoing({"msgtype": "template_card", "template_card": {
        "card_type": "button_interaction",
        "main_title": {"title": _short(title, _TITLE_MAX)},
        "sub_title_text": t("wecom.card_hint", lang),
        "task_id": f"esignbot-{uuid.uuid4().hex}",
        "button_list": [
            {"text": _short(f"{i}. {choice.label}", _BUTTON_MAX), "style": 1 if i == 1 else 2,
             "key": button_key(reply.step, choice.value)}
            for i, choice in enumerate(reply.choices, start=1)],
    }})


def closed_card(task_id: str, title: str, note: str) -> dict[str, Any]:
    """What a tapped card becomes (``aibot_respond_update_msg``): same ``task_id``, one button
    whose key is no choice (a tap on it is ignored), so the card cannot be answered twice."""
    return {"card_type": "button_interaction", "task_id": task_id,
            "main_title": {"title": _short(title, _TITLE_MAX)},
            "sub_title_text": note,
            "button_list": [{"text": _short(title, _BUTTON_MAX), "style": 2, "key": "esignbot-closed"}]}


def render(reply: Reply, lang: str, *, group: bool) -> list[Outgoing]:
    """The messages for one reply, in order. ``group``: the credential hint says to use a
    single chat with the bot."""
    if reply.kind == "credentials":
        how = t("wecombot.check_in_group" if group else "wecombot.check_how", lang)
        return markdown("\n\n".join(part for part in (reply.text, how) if part))
    lines = [reply.text] if reply.text else []
    card = (reply.step is not None and not reply.multi
            and 0 < len(reply.choices) <= CARD_MAX_BUTTONS)
    if ":" not in (reply.step or ""):  # numbers answer the flow's own open question only
        lines += [f"{i}. {choice.label}" for i, choice in enumerate(reply.choices, start=1)]
        if card:
            lines.append(t("wecom.choice_hint", lang))
    else:
        lines += [f"· {choice.label}" for choice in reply.choices]
    out = markdown("\n".join(lines))
    if card:
        out.append(_card(reply, lang))
    if reply.file is not None:
        out.append(Outgoing({"msgtype": "file"}, upload=reply.file))
    return out
