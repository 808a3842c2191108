"""The terminal adapter: one line typed (or piped) is one message; replies print as text.

Choices print numbered because a terminal has no buttons; the dialogue accepts the numbers on
every platform. A line naming an existing file is sent as an upload, which is how a licence image
reaches the dialogue from a terminal; while an image is asked for, a line that looks like a path
to a file that is not there is answered "file not found" (not "this question needs an image",
which would send the person looking for another way to upload). Files the dialogue produces are
written under ``--out``; when that cannot be done (a file in its place, no permission) the
person is told why in one sentence and the chat goes on: the answers are stored, and ``excel`` /
``materials`` build the file again once ``--out`` is fixed.
"""

from __future__ import annotations

import errno
import os
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TextIO

from bot.console import key_prompt
from bot.credentials.checker import case_language
from bot.private_files import write_owner_only
from bot.uploads import CHUNK_BYTES, Receiving, receive
from handlers import Dialogue, Inbound, InboundFile, Reply
from handlers.catalogue import t
from handlers.credentials.commands import expects_app_id
from handlers.credentials.secret_shapes import looks_like_secret
from handlers.flow import FIELDS, STEPS_BY_NAME, Kind

_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def safe_file_name(name: str) -> str:
    """A name every file system accepts: no separators, reserved or control characters."""
    cleaned = _UNSAFE_NAME.sub("_", name).strip(" .") or "file"
    return cleaned[:150]


def _as_upload(line: str) -> InboundFile | None:
    candidate = line.strip().strip("'\"")
    if not candidate or len(candidate) > 4096 or "\n" in candidate:
        return None
    try:
        path = Path(candidate).expanduser()
        if not path.is_file():
            return None
        with path.open("rb") as handle:
            # Read to the end in chunks, against the size the file system gives: a file too
            # large is refused with its real size, one that changes while read as incomplete.
            receiving = Receiving(path.name, None, declared=[os.fstat(handle.fileno()).st_size])
            return receive(receiving, iter(lambda: handle.read(CHUNK_BYTES), b""))
    except (OSError, ValueError):
        return None


def _looks_like_path(line: str) -> bool:
    """A line meant as a file's path: it has a separator or ends in an image's extension."""
    candidate = line.strip().strip("'\"")
    return bool(candidate) and ("/" in candidate or "\\" in candidate
                                or candidate.lower().endswith(_IMAGE_SUFFIXES))


def _wants_image(step: str | None) -> bool:
    found = STEPS_BY_NAME.get(step or "")
    return found is not None and any(
        key in FIELDS and FIELDS[key].kind is Kind.IMAGE for key in found.fields)


def _why_not_written(problem: OSError) -> tuple[str, dict[str, object]]:
    """The catalogue key (and parameters) saying why a file could not be written."""
    if problem.errno in (errno.ENOTDIR, errno.EEXIST, errno.EISDIR):
        return "console.why_not_folder", {}
    if problem.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "console.why_no_permission", {}
    if problem.errno in (errno.ENOSPC, errno.EDQUOT):
        return "console.why_full", {}
    return "console.why_other", {"error": errno.errorcode.get(problem.errno or 0, type(problem).__name__)}


class ConsoleChat:
    """Runs one conversation between a person at a terminal and the dialogue."""

    def __init__(
        self,
        dialogue: Dialogue,
        *,
        conversation: str,
        user: str,
        out_dir: Path,
        lang: str | None,
        stdout: TextIO,
        echo_input: bool,
        read_secret: Callable[[str], str] | None = None,
        environ: Mapping[str, str] | None = None,
        ask_line: Callable[[str], str | None] | None = None,
    ) -> None:
        self.dialogue = dialogue
        self.conversation = f"console:{conversation}"
        self.user = user
        self.out_dir = out_dir
        self.lang = lang
        self.stdout = stdout
        self.echo_input = echo_input
        self.read_secret = read_secret
        """A hidden prompt (getpass) when a person is at a terminal; None when input is piped."""
        self.environ = os.environ if environ is None else environ
        self.ask_line = ask_line
        """At a terminal, the line editor's prompt for a follow-up line; None: the next input line."""
        self._lines: Iterator[str] = iter(())
        self.asking: str | None = None
        """The step of the question asked last (whether it wants an image)."""

    def _inbound(self, text: str, upload: InboundFile | None = None) -> Inbound:
        return Inbound(
            platform="console",
            conversation=self.conversation,
            user_id=self.user,
            user_name=self.user,
            text="" if upload else text,
            file=upload,
            event_id=f"console:{uuid.uuid4()}",
            private=True,
            lang=self.lang,
        )

    def case_lang(self) -> str:
        """The case's language, for what the terminal says itself."""
        return case_language(self.dialogue, self.conversation)

    def send(self, text: str) -> None:
        upload = _as_upload(text)
        if upload is None and _wants_image(self.asking) and _looks_like_path(text):
            # Nothing is sent: the question stands, and the person fixes the path.
            shown = text.strip().strip("'\"")[:300]
            self.stdout.write(t("console.file_not_found", self.case_lang(), path=shown) + "\n\n")
            self.stdout.flush()
            return
        self.render(self.dialogue.handle(self._inbound(text, upload)))

    def say_saved(self) -> None:
        """The person quit: say the case is kept and how to come back to it."""
        self.stdout.write("\n" + t("console.quit_saved", self.case_lang()) + "\n")
        self.stdout.flush()

    def render(self, replies: Iterable[Reply]) -> None:
        for reply in replies:
            if reply.kind == "credentials":
                self.render(key_prompt.collect_and_check(self, reply))
                continue
            if reply.kind == "question" and reply.step:
                self.asking = reply.step
            lines = [reply.text]
            lines += [f"  {i}. {choice.label}" for i, choice in enumerate(reply.choices, start=1)]
            if reply.file is not None:
                lines.append(self._hand_over(reply.file.name, reply.file.content))
            self.stdout.write("\n".join(lines) + "\n\n")
        self.stdout.flush()

    def _hand_over(self, name: str, content: bytes) -> str:
        """Write a produced file under ``--out``: the line pointing at it, or why it is not there."""
        path = self.out_dir / safe_file_name(name)
        try:
            # The workbook and the materials hold ID and phone numbers in full.
            write_owner_only(path, content)
        except OSError as problem:
            key, params = _why_not_written(problem)
            lang = self.case_lang()
            return "  " + t("console.out_unwritable", lang, name=path.name, folder=str(self.out_dir),
                            why=t(key, lang, **params))
        return f"  → {path}"

    def run(self, lines: Iterable[str], prompt: str = "") -> None:
        """Open (or resume) the case, then answer each line until the input ends."""
        self.render(self.dialogue.handle(self._inbound("start")))
        if prompt:
            self.stdout.write(prompt)
            self.stdout.flush()
        self._lines = iter(lines)
        for raw in self._lines:
            line = raw.rstrip("\r\n")
            if key_prompt.holds_key_pair(line):  # never a SecretKey from a visible line
                if self.echo_input:
                    self.stdout.write(f"> {key_prompt.redacted(line)}\n")
                self.render(key_prompt.refuse_inline(self))
            else:
                if self.echo_input:  # a key-shaped token is never mirrored; an app ID is,
                    # where one was asked for (the same line the engine draws)
                    step = STEPS_BY_NAME.get(self.asking or "")
                    secret = looks_like_secret(line, app_id_expected=expects_app_id(line, step))
                    shown = key_prompt.redacted(line) if secret else line
                    self.stdout.write(f"> {shown}\n")
                self.send(line)
            if prompt:
                self.stdout.write(prompt)
                self.stdout.flush()

    def next_line(self, prompt: str) -> str | None:
        """The next input line (for a follow-up question such as the SecretId), or None."""
        if self.ask_line is not None:
            line = self.ask_line(prompt)
            return None if line is None else line.rstrip("\r\n")
        self.stdout.write(prompt)
        self.stdout.flush()
        line = next(self._lines, None)
        if self.echo_input or line is None:
            self.stdout.write("\n")  # a person's Enter ends the prompt's line; piped input does not
        return None if line is None else line.rstrip("\r\n")
