"""The private modal that collects a SecretId/SecretKey for the credential check.

Why a modal: only the person who opens it sees what is typed, and Slack sends the values to us
alone, so a SecretKey never passes through a channel. Malformed input is answered on the
modal's own fields before anything runs; the SecretKey is kept out of every ``repr``, message
and log line.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from handlers.catalogue import t
from handlers.credentials.secret_shapes import (
    MAX_KEY_CHARS,
    secret_id_problem,
    secret_key_problem,
    typed,
)

KEYS_CALLBACK = "esign_keys"
BLOCK_SECRET_ID = "secret_id"
BLOCK_SECRET_KEY = "secret_key"
BLOCK_ENVIRONMENT = "environment"
_ACTION = "value"
ENVIRONMENTS = ("test", "prod")


@dataclass(frozen=True, slots=True)
class KeysTarget:
    """Where the check belongs: the case's conversation and channel, and its language."""

    conversation: str
    channel: str
    lang: str

    def metadata(self) -> str:
        return json.dumps({"c": self.conversation, "ch": self.channel, "l": self.lang})

    @classmethod
    def from_metadata(cls, raw: str) -> KeysTarget | None:
        try:
            data = json.loads(raw or "{}")
            return cls(str(data["c"]), str(data["ch"]), str(data["l"]))
        except (ValueError, KeyError, TypeError):
            return None


@dataclass(frozen=True, slots=True)
class KeysSubmission:
    secret_id: str
    secret_key: str = field(repr=False)
    environment: str


def keys_modal(target: KeysTarget, environment: str | None) -> dict[str, Any]:
    """The modal view, in the case's language, preset to the case's environment if known."""
    lang = target.lang

    def plain(key: str) -> dict[str, Any]:
        return {"type": "plain_text", "text": t(key, lang)}

    options = [{"text": plain(f"opt.environment.{env}"), "value": env} for env in ENVIRONMENTS]
    select: dict[str, Any] = {"type": "static_select", "action_id": _ACTION, "options": options}
    if environment in ENVIRONMENTS:
        select["initial_option"] = options[ENVIRONMENTS.index(environment)]
    return {
        "type": "modal",
        "callback_id": KEYS_CALLBACK,
        "private_metadata": target.metadata(),
        "title": plain("slack.keys_title"),
        "submit": plain("slack.keys_submit"),
        "close": plain("slack.keys_close"),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": t("slack.keys_intro", lang)}},
            {"type": "input", "block_id": BLOCK_SECRET_ID, "label": plain("slack.keys_secret_id"),
             "element": {"type": "plain_text_input", "action_id": _ACTION,
                         "max_length": MAX_KEY_CHARS,
                         "placeholder": {"type": "plain_text", "text": "AKID… / AK…"}}},
            {"type": "input", "block_id": BLOCK_SECRET_KEY, "label": plain("slack.keys_secret_key"),
             "hint": plain("slack.keys_secret_key_hint"),
             "element": {"type": "plain_text_input", "action_id": _ACTION,
                         "max_length": MAX_KEY_CHARS}},
            {"type": "input", "block_id": BLOCK_ENVIRONMENT, "label": plain("field.environment"),
             "element": select},
        ],
    }


def _value(values: Mapping[str, Any], block: str) -> str:
    entry = values.get(block, {}).get(_ACTION, {})
    if not isinstance(entry, dict):
        return ""
    if entry.get("type") == "static_select":
        option = entry.get("selected_option") or {}
        return str(option.get("value", "")) if isinstance(option, dict) else ""
    return str(entry.get("value") or "").strip()


def read_submission(view: Mapping[str, Any], lang: str) -> tuple[KeysSubmission | None, dict[str, str]]:
    """The submitted keys, or the field errors to show on the modal (``{block_id: message}``).

    The messages give lengths, never the values typed."""
    values = view.get("state", {}).get("values", {})
    secret_id = typed(_value(values, BLOCK_SECRET_ID))
    secret_key = typed(_value(values, BLOCK_SECRET_KEY))
    environment = _value(values, BLOCK_ENVIRONMENT)
    errors: dict[str, str] = {}
    # Only what cannot be a key is answered here; the check itself decides the rest.
    for block, value, problem in ((BLOCK_SECRET_ID, secret_id, secret_id_problem(secret_id)),
                                  (BLOCK_SECRET_KEY, secret_key, secret_key_problem(secret_key))):
        if problem is not None:
            errors[block] = t(problem, lang, length=len(value))
    if environment not in ENVIRONMENTS:
        errors[BLOCK_ENVIRONMENT] = t("err.choice", lang, options=" / ".join(
            t(f"opt.environment.{env}", lang) for env in ENVIRONMENTS))
    if errors:
        return None, errors
    return KeysSubmission(secret_id, secret_key, environment), {}
