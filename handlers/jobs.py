"""Slow work a turn leaves for after its commit, as data: a kind, and what it needs (a payload).

Why data and not a closure: a closure lives in one process's memory, so a crash after the turn
committed (and after the platform was told the answer arrived) lost the workbook it was going
to build, and nobody was told (issue 27). A job is a row written in the turn's own transaction
(``storage.jobs``); whichever process runs it looks its kind up here. A feature registers the
kinds it leaves (``@runs("files.workbook")``), as it registers its commands.

Work that must never be written down — a credential check holding a SecretKey — stays a closure
(``Turn.later``) but is recorded as a job of kind :data:`HELD_IN_MEMORY` without the secret: if
the process that holds it dies, the job is found without its closure and the person is told the
check was interrupted and to run it again, instead of waiting for ever.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from handlers.catalogue import t
from handlers.services import Services
from handlers.shapes import Reply
from storage import CaseStore
from storage.jobs import JobRecord

HELD_IN_MEMORY = "held"
"""A job whose work is a closure in the memory of the process that wrote it."""


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a job's runner may use: the store (its own transactions), the services, the job
    (conversation, case, language, payload) and the moment it runs."""

    store: CaseStore
    services: Services
    job: JobRecord
    now: datetime

    @property
    def payload(self) -> dict[str, Any]:
        return self.job.payload

    @property
    def lang(self) -> str:
        return self.job.lang


JobRunner = Callable[[JobContext], list[Reply]]

_RUNNERS: dict[str, JobRunner] = {}


def runs(kind: str) -> Callable[[JobRunner], JobRunner]:
    """Register the runner of a kind of job (a feature's module, at import)."""
    def register(runner: JobRunner) -> JobRunner:
        if _RUNNERS.get(kind, runner) is not runner:
            raise ValueError(f"two runners for job kind {kind!r}")
        _RUNNERS[kind] = runner
        return runner
    return register


def runners() -> Mapping[str, JobRunner]:
    return MappingProxyType(_RUNNERS)


@runs(HELD_IN_MEMORY)
def interrupted(context: JobContext) -> list[Reply]:
    """A closure's job found by a process that does not hold it: its process ended first."""
    what = str(context.payload.get("what") or "work")
    return [Reply(kind="error", private=True,
                  text=t(f"err.interrupted.{what}" if what == "check" else "err.interrupted",
                         context.lang))]
