"""The terminal's side of ``check``: the SecretId on a visible line, the SecretKey never.

Why this shape: a terminal shows what is typed and a piped script leaves its input in files and
shell history, so the SecretKey comes from a hidden prompt (``getpass``) when a person sits at a
terminal, or from ``TENCENTCLOUD_SECRET_KEY`` when input is piped, and from nowhere else. A line
that carries a key pair is not used, and is echoed with the key blotted out.

A line that cannot be a SecretId at all (a space inside, a fragment) is asked for again
(:data:`SECRET_ID_TRIES` in all) rather than ending the check; any well-formed value, of
whatever form Tencent issues it in, goes to the check, which decides. A line with a key pair on
it ends the check at once. The call to Tencent Cloud can take seconds, so a line says it is
under way before it starts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol, TextIO

from bot.credentials.checker import case_language, check_for_case
from handlers import Dialogue, Reply
from handlers.catalogue import t
from handlers.credentials.secret_shapes import (
    find_credentials,
    mask_secret_id,
    secret_id_problem,
    secret_key_problem,
    typed,
)

SECRET_KEY_VARIABLE = "TENCENTCLOUD_SECRET_KEY"
SECRET_ID_TRIES = 3


class ConsoleSide(Protocol):
    """What the check needs from the terminal adapter."""

    dialogue: Dialogue
    conversation: str
    user: str
    stdout: TextIO
    echo_input: bool
    read_secret: Callable[[str], str] | None
    environ: Mapping[str, str]

    def next_line(self, prompt: str) -> str | None: ...


def holds_key_pair(line: str) -> bool:
    """A SecretId and something shaped like its SecretKey on one line."""
    found = find_credentials(line)
    return bool(found.secret_ids and found.secret_keys)


def redacted(line: str) -> str:
    """The line as it may be echoed: SecretIds masked, anything key-shaped blotted out."""
    found = find_credentials(line)
    text = line
    for secret_id in found.secret_ids:
        text = text.replace(secret_id, mask_secret_id(secret_id))
    for key in found.secret_keys:
        text = text.replace(key, "*" * 8)
    return text


def refuse_inline(console: ConsoleSide) -> list[Reply]:
    lang = case_language(console.dialogue, console.conversation)
    return [Reply(kind="error", text=t("cred.console.inline_refused", lang), private=True)]


def collect_and_check(console: ConsoleSide, request: Reply) -> list[Reply]:
    """Answer a ``Reply(kind="credentials")``: read the SecretId, take the SecretKey the safe
    way, run the check for this conversation's case and return its report."""
    lang = case_language(console.dialogue, console.conversation)

    def say(key: str) -> list[Reply]:
        return [Reply(kind="error", text=t(key, lang), private=True)]

    console.stdout.write(t("cred.console.intro", lang) + "\n")
    secret_id = ""
    for attempt in range(1, SECRET_ID_TRIES + 1):
        line = console.next_line(t("cred.console.secret_id_prompt", lang))
        if line is None or not line.strip():
            return say("cred.console.cancelled")
        secret_id = typed(line)
        if holds_key_pair(line):
            if console.echo_input:
                console.stdout.write(f"> {redacted(line)}\n")
            return say("cred.console.inline_refused")
        problem = secret_id_problem(secret_id)
        if problem is None:
            break
        if console.echo_input:
            console.stdout.write("> ****\n")
        why = t(problem, lang, length=len(secret_id))
        if attempt == SECRET_ID_TRIES:
            return [Reply(kind="error", text=f"{why} {t('cred.console.cancelled', lang)}",
                          private=True)]
        console.stdout.write(t("console.secret_id_again", lang, why=why,
                               left=SECRET_ID_TRIES - attempt) + "\n")
    if console.echo_input:
        console.stdout.write(f"> {mask_secret_id(secret_id)}\n")
    if console.read_secret is not None:
        try:
            secret_key = console.read_secret(t("cred.console.secret_key_prompt", lang))
        except (EOFError, KeyboardInterrupt):
            secret_key = ""
        if not secret_key.strip():  # Ctrl-C, Ctrl-D or an empty line: no key, no check
            return say("console.key_cancelled")
    else:
        secret_key = console.environ.get(SECRET_KEY_VARIABLE, "")
        if not secret_key.strip():
            return say("cred.console.no_key")
        console.stdout.write(t("cred.console.key_from_env", lang) + "\n")
    secret_key = typed(secret_key)
    problem = secret_key_problem(secret_key)
    if problem is not None:  # said here, with its length, never with the value
        return [Reply(kind="error", text=t(problem, lang, length=len(secret_key)), private=True)]
    environment = request.choices[0].value if request.choices else None
    console.stdout.write(t("console.checking", lang, secret_id=mask_secret_id(secret_id)) + "\n")
    console.stdout.flush()
    return check_for_case(console.dialogue, conversation=console.conversation,
                          user_id=console.user, user_name=console.user, secret_id=secret_id,
                          secret_key=secret_key, environment=environment)
