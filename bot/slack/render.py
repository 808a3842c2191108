"""Replies in Slack's idiom (Block Kit): text sections, choices as buttons, several-choice
questions as checkboxes with a submit button, and the keys prompt.

Why the step travels inside each button: a click must answer the question it was shown with,
not whatever question is open when it arrives; the dialogue compares the two and refuses a
stale click. Everything here is pure (dicts in, dicts out), so it is the same in HTTP and
Socket Mode.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from handlers.catalogue import t
from handlers.shapes import Choice, Reply

Block = dict[str, Any]

ACTION_CHOICE = "esign:choice"
"""Prefix of a single-choice button's action_id (``esign:choice:3``)."""
ACTION_MULTI_PICK = "esign:multi:pick"
"""Ticking a checkbox: acknowledged and otherwise ignored until the submit button."""
ACTION_MULTI_SUBMIT = "esign:multi:submit"
ACTION_KEYS = "esign:keys"
"""Opens the keys modal (where a typed ``check`` had no trigger to open it directly)."""

_SECTION_MAX = 2900  # Slack allows 3000 characters in a section's text
_BUTTON_TEXT_MAX = 75
_BUTTONS_PER_BLOCK = 25
_CHECKBOXES_MAX = 10
_BLOCKS_PER_MESSAGE = 50
_ERROR_ICON = "⚠️ "


_LEAD_MENTION = re.compile(r"^<@[UW][A-Z0-9]{2,}> ")
"""The mention the scheduler puts before an announcement (``bot.scheduler.slack_mention``)."""
_URL = re.compile(r"https://(?:[a-z0-9-]+\.)*(?:tencent\.com|tencent\.cn|qq\.com)(?:/[^\s<>&|（）()，。；：、「」]*)?")
_URL_TAIL = ".,;:!?'\""


def escape(text: str) -> str:
    """Slack's mrkdwn escaping: ``&``, ``<`` and ``>`` are the only special characters, so a
    mention (``<@U1>``, ``<!channel>``) or a disguised link (``<http://…|text>``) typed by a
    person shows as typed and calls on nobody. Everything the bot posts goes through this;
    the bot's own markup (a mention it builds) is added after escaping, never inside it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def linked(escaped: str) -> str:
    """Tencent's web addresses in escaped text as explicit links. Our sections are ``verbatim``
    (Slack auto-parses nothing in them, so a typed ``@channel``, ``#general`` or address stays
    text), and the console and e-mail addresses in the bot's sentences should still be
    clickable; only Tencent's own hosts are linked, each showing its own address."""
    def link(found: re.Match[str]) -> str:
        url = found.group(0).rstrip(_URL_TAIL)
        return f"<{url}>{found.group(0)[len(url):]}"
    return _URL.sub(link, escaped)


def split_lead(text: str) -> tuple[str, str]:
    """(the scheduler's leading mention, the rest) of an announcement's first text."""
    found = _LEAD_MENTION.match(text)
    return (found.group(0), text[found.end():]) if found else ("", text)


def mrkdwn(escaped: str) -> dict[str, Any]:
    """A verbatim mrkdwn text object (the text already escaped)."""
    return {"type": "mrkdwn", "text": escaped, "verbatim": True}


def _plain(text: str, limit: int = _BUTTON_TEXT_MAX) -> dict[str, Any]:
    clipped = text if len(text) <= limit else text[: limit - 1] + "…"
    return {"type": "plain_text", "text": clipped, "emoji": True}


def text_sections(text: str, *, lead: str = "") -> list[Block]:
    """``text`` (escaped here) as mrkdwn sections, split on line breaks to stay within Slack's
    limit; ``lead`` is the bot's own markup (a mention) put before it unescaped."""
    chunks: list[str] = []
    current = ""
    for line in (lead + linked(escape(text))).split("\n"):
        while len(line) > _SECTION_MAX:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:_SECTION_MAX])
            line = line[_SECTION_MAX:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > _SECTION_MAX:
            chunks.append(current)
            candidate = line
        current = candidate
    if current.strip():
        chunks.append(current)
    return [{"type": "section", "text": mrkdwn(chunk)} for chunk in chunks]


def choice_value(step: str, value: str) -> str:
    return json.dumps({"s": step, "v": value}, ensure_ascii=False, separators=(",", ":"))


def parse_choice_value(raw: str) -> tuple[str, str] | None:
    """(step, value) from a button's value, or None when it is not one of ours."""
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    step, value = data.get("s"), data.get("v", "")
    if not isinstance(step, str) or not isinstance(value, str):
        return None
    return step, value


def _buttons(step: str, choices: Sequence[Choice]) -> list[Block]:
    blocks = []
    for start in range(0, len(choices), _BUTTONS_PER_BLOCK):
        chunk = choices[start : start + _BUTTONS_PER_BLOCK]
        blocks.append({
            "type": "actions",
            "block_id": f"esign:q:{step}:{start // _BUTTONS_PER_BLOCK}",
            "elements": [
                {
                    "type": "button",
                    "action_id": f"{ACTION_CHOICE}:{start + i}",
                    "text": _plain(choice.label),
                    "value": choice_value(step, choice.value),
                }
                for i, choice in enumerate(chunk)
            ],
        })
    return blocks


def multi_block_id(step: str) -> str:
    return f"esign:multi:{step}"


def _checkboxes(step: str, choices: Sequence[Choice], lang: str) -> list[Block]:
    options = [{"text": _plain(c.label), "value": c.value[:150]} for c in choices]
    picker: dict[str, Any] = (
        {"type": "checkboxes", "action_id": ACTION_MULTI_PICK, "options": options}
        if len(options) <= _CHECKBOXES_MAX
        else {"type": "multi_static_select", "action_id": ACTION_MULTI_PICK, "options": options,
              "placeholder": _plain(t("slack.multi_none", lang))}
    )
    return [
        {"type": "actions", "block_id": multi_block_id(step), "elements": [picker]},
        {
            "type": "actions",
            "block_id": f"esign:submit:{step}",
            "elements": [{
                "type": "button",
                "style": "primary",
                "action_id": ACTION_MULTI_SUBMIT,
                "text": _plain(t("slack.multi_submit", lang)),
                "value": choice_value(step, ""),
            }],
        },
    ]


def selected_values(state: Mapping[str, Any], step: str) -> list[str]:
    """The options ticked for ``step``'s checkboxes, from an interaction payload's state."""
    block = state.get("values", {}).get(multi_block_id(step), {})
    picked = block.get(ACTION_MULTI_PICK, {}) if isinstance(block, dict) else {}
    options = (picked.get("selected_options") or []) if isinstance(picked, dict) else []
    return [str(o["value"]) for o in options if isinstance(o, dict) and "value" in o]


def reply_blocks(reply: Reply, lang: str, *, lead: str = "") -> list[Block]:
    """The blocks of one reply (``lead``: see :func:`text_sections`)."""
    text = _ERROR_ICON + reply.text if reply.kind == "error" else reply.text
    blocks = text_sections(text, lead=lead)
    if reply.choices and reply.step:
        blocks += (_checkboxes(reply.step, reply.choices, lang) if reply.multi
                   else _buttons(reply.step, reply.choices))
    return blocks


def batches(replies: Sequence[Reply], lang: str, *, lead: str = ""
            ) -> list[tuple[list[Block], str, int]]:
    """Consecutive replies of one turn as few messages as Slack allows (50 blocks each), so a
    confirmation, the progress bar and the next question arrive together, not as four pings:
    (blocks, escaped notification text, how many of ``replies`` the message holds)."""
    found: list[tuple[list[Block], str, int]] = []
    blocks: list[Block] = []
    texts: list[str] = []
    for reply in replies:
        more = reply_blocks(reply, lang, lead=lead)
        if blocks and len(blocks) + len(more) > _BLOCKS_PER_MESSAGE:
            found.append((blocks, "\n\n".join(texts)[:3000], len(texts)))
            blocks, texts = [], []
        blocks += more[:_BLOCKS_PER_MESSAGE]
        texts.append(lead + escape(reply.text))
        lead = ""
    if blocks:
        found.append((blocks, "\n\n".join(texts)[:3000], len(texts)))
    return found


def messages(replies: Sequence[Reply], lang: str, *, lead: str = "") -> list[tuple[list[Block], str]]:
    """:func:`batches` without the counts."""
    return [(blocks, text) for blocks, text, _ in batches(replies, lang, lead=lead)]


def fallback_text(reply: Reply, *, lead: str = "") -> str:
    """The notification text shown where blocks are not (push notifications, search), escaped."""
    return (lead + escape(reply.text))[:3000]


def thread_root_blocks(reply: Reply, lang: str, *, lead: str = "") -> list[Block]:
    """The first message of a case in a channel: the reply and how to answer (in its thread)."""
    hint = mrkdwn(escape(t("slack.thread_hint", lang)))
    return [*reply_blocks(reply, lang, lead=lead), {"type": "context", "elements": [hint]}]


def answered_blocks(blocks: Sequence[Mapping[str, Any]], note: str) -> list[Block]:
    """A question message after its choice was accepted: the buttons give way to who chose
    what, so nobody clicks an old question by mistake."""
    kept = [dict(b) for b in blocks if b.get("type") != "actions"]
    return [*kept, {"type": "context", "elements": [mrkdwn(note)]}]


def keys_prompt_blocks(text: str, lang: str) -> list[Block]:
    """Where no modal could be opened directly: the explanation and a button that opens it."""
    return [
        *text_sections(text),
        {
            "type": "actions",
            "block_id": "esign:keys",
            "elements": [{
                "type": "button",
                "style": "primary",
                "action_id": ACTION_KEYS,
                "text": _plain(t("slack.keys_button", lang)),
                "value": "keys",
            }],
        },
    ]
