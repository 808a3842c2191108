"""The scheduler inside ``esignbot console``: notices and reminders for the terminal's own case.

Why two ways of ticking: with piped input the scheduler runs between lines, in the main thread
(:func:`ticking`), so what a line caused — a recorded result's announcement — prints right after
that line's replies, in a stable order, and once more when the input ends. A person at a
terminal may sit idle for hours while a wait goes overdue, so there a background thread also
ticks every ``interval_s`` seconds. Only this terminal's conversation is delivered here; waits of
other conversations are still marked and reminded, and their platforms deliver them.

Two people may work on one case from two terminals (one ``--conversation``, two ``--user``).
Each console claims only what is for everyone on the case or for its own user: a notice for one
admin (a finding no case claims, a message given up on) carries that admin as its ``actor`` in
the outbox, and waits for that admin's console instead of showing in a colleague's window.
At a terminal the prompt is prompt_toolkit's, which draws itself again below what is printed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import TextIO

from bot.scheduler import Clock, Route, Scheduler, plain_mention
from handlers.shapes import Reply
from storage import CaseStore

log = logging.getLogger("esignbot.console")


class ConsolePrinter:
    """Prints delivered messages into the running terminal, each as one write."""

    def __init__(self, stdout: TextIO, *, prompt: str = "") -> None:
        self.stdout = stdout
        self.prompt = prompt

    def __call__(self, conversation: str, replies: Sequence[Reply]) -> None:
        text = "".join(f"{reply.text}\n\n" for reply in replies)
        # At a prompt the person may be typing: start on a fresh line and show the prompt again.
        lead = "\n" if self.prompt else ""
        self.stdout.write(f"{lead}{text}{self.prompt}")
        self.stdout.flush()


def console_scheduler(
    store: CaseStore, conversation: str, stdout: TextIO, *, prompt: str = "",
    clock: Clock | None = None, interval_s: float = 10.0, admins: Iterable[str] = (),
    user: str | None = None,
) -> Scheduler:
    """``user``: the person at this terminal; messages addressed to someone else stay queued."""
    route = Route(conversation, ConsolePrinter(stdout, prompt=prompt), plain_mention)
    return Scheduler(store, routes=[route], interval_s=interval_s, clock=clock, admins=admins,
                     recipient=user)


def ticking(lines: Iterable[str], scheduler: Scheduler) -> Iterator[str]:
    """``lines``, with a scheduler pass after each has been handled (and once at the end)."""
    _tick(scheduler)
    for line in lines:
        yield line
        _tick(scheduler)


def _tick(scheduler: Scheduler) -> None:
    try:
        scheduler.tick()
    except Exception:
        # A busy or broken database must not end the conversation; the next pass retries.
        log.exception("scheduler pass failed")
