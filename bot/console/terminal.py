"""A person at a terminal: prompt_toolkit's line editor instead of raw standard input.

Why: a terminal in its default (canonical) mode hands a program what the kernel's line
discipline made of the keys: arrow keys arrive as ``^[[D`` (then refused as control
characters), backspace over a Chinese character can remove one byte of three and garble the
line, and a line is cut at 4,095 bytes, so a long paste reported a wrong length. prompt_toolkit
reads the keys itself: editing, CJK widths, a history across runs, completion of command words
and field names, a hidden prompt for the SecretKey, and text printed by another thread (notices)
above the line being typed instead of through it. Piped input never comes here: it keeps the
plain line-by-line reading of ``bot.cli``.

The history is a file next to the database (``<db>.history``), owner-only like the database
itself; a line that holds, or looks like, a SecretId or SecretKey is never written to it.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO, cast

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.patch_stdout import StdoutProxy

from bot.console import key_prompt
from bot.private_files import ensure_owner_only
from handlers.catalogue import LANGS, t
from handlers.commands import COMMANDS, Command
from handlers.credentials.secret_shapes import looks_like_secret
from handlers.flow import FIELDS

log = logging.getLogger("esignbot.console")

COMPLETION_ORDER: tuple[Command, ...] = (
    Command.STATUS, Command.HELP, Command.EDIT, Command.BACK, Command.SKIP, Command.CHECK,
    Command.EXCEL, Command.MATERIALS, Command.EMAIL, Command.REVIEW, Command.LANG,
    Command.CANCEL, Command.START,
)
"""Which command a first Tab offers when several fit: ``sta`` is ``status`` (asked again and
again) before ``start`` (the console has already started the case)."""


def history_path(db: Path) -> Path:
    """Where the console's typed lines are kept: beside the database they belong to."""
    return db.with_name(db.name + ".history")


class PrivateHistory(FileHistory):
    """prompt_toolkit's history file, created 0600 and never given a secret-shaped line."""

    def __init__(self, path: Path) -> None:
        ensure_owner_only(path)
        super().__init__(path)

    def store_string(self, string: str) -> None:
        if looks_like_secret(string) or key_prompt.holds_key_pair(string):
            return
        super().store_string(string)

    def append_string(self, string: str) -> None:
        # Not even in this run's memory: Up must not bring a pasted key back onto the screen.
        if looks_like_secret(string) or key_prompt.holds_key_pair(string):
            return
        super().append_string(string)


def open_history(db: Path) -> History:
    """The history file for the database ``db``, or one in memory only when it cannot be had
    (a read-only folder): editing works either way."""
    path = history_path(db)
    try:
        return PrivateHistory(path)
    except OSError as problem:
        log.warning("console history not kept (%s): %s", path, type(problem).__name__)
        return InMemoryHistory()


def _command_words() -> list[str]:
    by_command = {spec.command: spec.words for spec in COMMANDS}
    words = [w for command in COMPLETION_ORDER for w in by_command.get(command, ())]
    return [w for w in dict.fromkeys(words) if len(w) > 1]  # not "?" or "h"


def _field_words() -> list[str]:
    words = list(FIELDS)
    for lang in LANGS:
        words += [t(f"field.{key}", lang) for key in FIELDS]
    return [w for w in dict.fromkeys(words) if " " not in w]  # one word: the value follows it


class CommandCompleter(Completer):
    """The command words (both languages) for the first word; field names after ``edit``."""

    def __init__(self) -> None:
        self.commands = _command_words()
        self.fields = _field_words()
        spec = next(s for s in COMMANDS if s.command is Command.EDIT)
        self.edit_words = {w.casefold() for w in spec.words}

    def get_completions(self, document: Document,
                        complete_event: CompleteEvent) -> Iterable[Completion]:
        text = document.text_before_cursor.lstrip()
        if text[:1] in {"/", "／"}:
            text = text[1:]
        parts = text.split(" ")
        if len(parts) == 1:
            candidates, word = self.commands, parts[0]
        elif len(parts) == 2 and unicodedata.normalize("NFKC", parts[0]).casefold() in self.edit_words:
            candidates, word = self.fields, parts[1]
        else:
            return
        folded = word.casefold()
        for candidate in candidates:
            if candidate.casefold().startswith(folded) and candidate != word:
                yield Completion(candidate, start_position=-len(word))


def _tab_bindings() -> KeyBindings:
    """Tab puts the first fitting word in at once (Tab again: the next one), rather than only
    opening a menu: ``sta`` + Tab is ``status``."""
    bindings = KeyBindings()

    @bindings.add("tab")
    def _(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if buffer.complete_state:
            buffer.complete_next()
        else:
            buffer.start_completion(select_first=True)

    return bindings


class Terminal:
    """The lines a person types, read with a line editor; the SecretKey read hidden."""

    def __init__(self, history: History, *, notices: TextIO) -> None:
        self.notices = notices
        self.session: PromptSession[str] = PromptSession(
            history=history, completer=CommandCompleter(), complete_while_typing=False,
            key_bindings=_tab_bindings(), enable_history_search=False)
        self.plain: PromptSession[str] = PromptSession(history=InMemoryHistory())
        """For follow-up lines such as the SecretId: edited the same way, kept nowhere."""
        self.quit = False
        """Set when the person ended the conversation (Ctrl-D or Ctrl-C at the main prompt)."""

    def lines(self, prompt: str) -> Iterator[str]:
        """Each line typed at ``prompt``, until Ctrl-D (on an empty line) or Ctrl-C."""
        while True:
            try:
                line = self.session.prompt(prompt)
            except (EOFError, KeyboardInterrupt):
                self.quit = True
                return
            yield line

    def ask(self, prompt: str) -> str | None:
        """One follow-up line (never into the history); None for Ctrl-D or Ctrl-C."""
        try:
            return self.plain.prompt(prompt)
        except (EOFError, KeyboardInterrupt):
            return None

    def read_secret(self, prompt: str) -> str:
        """A hidden line: each key shows as ``*``; kept nowhere. Ctrl-C / Ctrl-D raise
        KeyboardInterrupt / EOFError, as ``getpass`` does."""
        session: PromptSession[str] = PromptSession(history=InMemoryHistory())
        return session.prompt(prompt, is_password=True)



@contextmanager
def at_terminal(db: Path) -> Iterator[Terminal]:
    """The line editor for a console on ``db``, and its ``notices``: a stream that prints above
    the prompt while one is open, so a notice printed by the scheduler's thread while the person
    types lands on its own lines and the half-typed line is drawn again below it. The chat's own
    replies are written straight to the terminal: they come while no prompt is open, and so
    stay in order with it."""
    with StdoutProxy(raw=False) as notices:
        yield Terminal(open_history(db), notices=cast(TextIO, notices))
