"""The terminal adapter: one line typed (or piped) is one message; replies print as text.

Choices print numbered because a terminal has no buttons; the dialogue accepts the numbers on
every platform. A line naming an existing file is sent as an upload, which is how a licence image
reaches the dialogue from a terminal. Files the dialogue produces are written under ``--out``.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TextIO

from bot.console import key_prompt
from bot.private_files import write_owner_only
from bot.uploads import CHUNK_BYTES, Receiving, receive
from handlers import Dialogue, Inbound, InboundFile, Reply
from handlers.credentials.secret_shapes import looks_like_secret

_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


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
        self._lines: Iterator[str] = iter(())

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

    def send(self, text: str) -> None:
        self.render(self.dialogue.handle(self._inbound(text, _as_upload(text))))

    def render(self, replies: Iterable[Reply]) -> None:
        for reply in replies:
            if reply.kind == "credentials":
                self.render(key_prompt.collect_and_check(self, reply))
                continue
            lines = [reply.text]
            lines += [f"  {i}. {choice.label}" for i, choice in enumerate(reply.choices, start=1)]
            if reply.file is not None:
                # The workbook and the materials hold ID and phone numbers in full.
                path = self.out_dir / safe_file_name(reply.file.name)
                write_owner_only(path, reply.file.content)
                lines.append(f"  → {path}")
            self.stdout.write("\n".join(lines) + "\n\n")
        self.stdout.flush()

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
                if self.echo_input:  # a key-shaped token is never mirrored (an app ID neither)
                    shown = key_prompt.redacted(line) if looks_like_secret(line) else line
                    self.stdout.write(f"> {shown}\n")
                self.send(line)
            if prompt:
                self.stdout.write(prompt)
                self.stdout.flush()

    def next_line(self, prompt: str) -> str | None:
        """The next input line (for a follow-up question such as the SecretId), or None."""
        self.stdout.write(prompt)
        self.stdout.flush()
        line = next(self._lines, None)
        if self.echo_input or line is None:
            self.stdout.write("\n")  # a person's Enter ends the prompt's line; piped input does not
        return None if line is None else line.rstrip("\r\n")
