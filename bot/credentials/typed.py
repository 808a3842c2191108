"""A key pair typed into a chat message: ``检查 <SecretId> <SecretKey> [test|prod]``.

Why here and not in one adapter: the WeCom self-built app's private chat and the smart bot's
single chat both take keys typed this way (neither has a private form like Slack's modal), and
must find them exactly as the dialogue's own guard does, or a key would slip past one of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.commands import Command, parse_command
from handlers.credentials.secret_shapes import find_credentials
from handlers.turn import parse_environment


@dataclass(frozen=True, slots=True)
class KeysToCheck:
    """A SecretId/SecretKey pair typed into the app chat; never stored, logged or repr'd."""

    secret_id: str
    secret_key: str
    environment: str | None

    def __repr__(self) -> str:
        return "KeysToCheck(<hidden>)"


def keys_in(text: str) -> KeysToCheck | str | None:
    """The key pair in a message (``检查 <SecretId> <SecretKey> [test|prod]``, or the pair
    pasted alone), found the way the dialogue's own guard finds it; the catalogue key of a
    usage hint for a ``check`` with something else after it, or a SecretId without exactly one
    key; None when the message is not about keys (it goes to the dialogue)."""
    found = find_credentials(text)
    parsed = parse_command(text)
    if not found.secret_ids:
        if parsed is not None and parsed.command is Command.CHECK and parsed.args \
                and parse_environment(parsed.args) is None:
            return "wecom.check_usage"
        return None
    if len(found.secret_ids) != 1 or len(found.secret_keys) != 1:
        return "wecom.check_usage"
    environment = None
    for word in found.rest.split():
        environment = parse_environment(word) or environment
    return KeysToCheck(found.secret_ids[0], found.secret_keys[0], environment)
