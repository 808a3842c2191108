"""``FileBuilderProcess``: the application files built in a child process, for ``serve``.

Why a process: openpyxl is pure Python and a build takes milliseconds of CPU. In a thread of
the server it competes for the GIL with the event loop and the SQLite writer, and every one of
their hand-offs of the GIL then waits for it: measured with ``bench``, fifty teams finishing
stage 3 together stalled the event loop for up to 300 ms and pushed the acknowledgement p99 from
~25 ms to ~350 ms. In a child process the build uses the other core and the server only waits on
a pipe. The console builds inline (:class:`bot.files.inline.InlineFileBuilder`): one person,
no event loop to protect.

The child is started with ``spawn`` (never ``fork``: the server has threads), on first use or by
:meth:`start`; a child that died is replaced at the next build, and that build is retried once.

Licence photos (the ``ocr`` extra, :mod:`bot.files.ocr`) are read in a second child of the same
kind, started at the first photo: a read takes about a second and holds ~300 MB of models and
buffers, so in the files child it would keep every workbook waiting behind it and make that
child as large as the reader for good.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from typing import Any, TypeVar

from bot.files import ocr
from handlers.services import PackageImage
from handlers.shapes import OutFile

log = logging.getLogger("esignbot.files")

T = TypeVar("T")


def _start_child(parent: int) -> None:
    """Run in the child at start.

    It yields the CPU to the server (``nice`` 10): a file is awaited after the acknowledgement,
    so a few milliseconds more there cost nobody, while on a two-core machine fifty builds at once
    at equal priority slowed the acknowledgements next to them (open-loop p99 ~35 ms in the
    bench's stage-3 burst). And it ends when the server that started it is gone, however it went
    (a SIGKILL runs no clean-up), instead of living on as an orphan holding its output."""
    with contextlib.suppress(OSError):  # not allowed here: builds keep their priority
        os.nice(10)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)
    threading.Thread(target=watch, name="esignbot-files-parent", daemon=True).start()


def _ready() -> int:
    """Run in the child by :meth:`FileBuilderProcess.start`: it loads the builders (openpyxl)
    there, so the first real build does not pay for them, while the server itself never imports
    them. Returns the child's process id (logged at start; ``/healthz`` shows no process ids)."""
    for builder in ("bot.files.materials", "bot.files.workbook"):
        importlib.import_module(builder)
    return os.getpid()


PROBE_TIMEOUT_S = 2.0
"""How long the health check waits for the child to answer (a build takes milliseconds)."""


class FileBuilderProcess:
    """The ``ApplicationFiles`` service for ``serve``: the same builders, in one child process."""

    def __init__(self, workers: int = 1) -> None:
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None
        self._reader: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._closed = False

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    self.workers, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_child, initargs=(os.getpid(),))
            return self._executor

    def _reader_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._reader is None:
                self._reader = ProcessPoolExecutor(
                    1, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_child, initargs=(os.getpid(),))
            return self._reader

    def _run(self, build: Callable[..., T], *args: Any) -> T:
        for attempt in (1, 2):
            pool = self._pool()
            try:
                return pool.submit(build, *args).result()
            except BrokenProcessPool:
                log.warning("the file-building process died; starting a new one")
                with self._lock:
                    if self._executor is pool:
                        self._executor = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def start(self) -> None:
        """Start the child now (at server start), not at the first team's build."""
        log.info("file-building process started (pid %d)", self._run(_ready))

    def health(self, timeout_s: float = PROBE_TIMEOUT_S) -> dict[str, object]:
        """For ``/healthz``: the child answers a call within ``timeout_s``. A child found dead
        is reported and replaced in the background (as the next build would replace it), so
        the failure shows once and the following check sees the new child."""
        with self._lock:
            pool, closed = self._executor, self._closed
        if closed:
            return {"ok": False, "error": "the file-building process has been shut down"}
        if pool is None:
            error = "the file-building process is not running"
        else:
            try:
                pool.submit(_ready).result(timeout=timeout_s)
                return {"ok": True}
            except BrokenProcessPool:
                with self._lock:
                    if self._executor is pool:
                        self._executor = None
                error = "the file-building process died"
            except TimeoutError:
                return {"ok": False, "error": "the file-building process did not answer within "
                                              f"{timeout_s:g} s"}
        log.warning("%s; starting a new one", error)
        threading.Thread(target=self._restart, name="esignbot-files-restart", daemon=True).start()
        return {"ok": False, "error": f"{error}; starting a new one"}

    def _restart(self) -> None:
        try:
            self.start()
        except Exception as problem:  # the next check or build tries again
            log.warning("the file-building process could not be started: %s",
                        type(problem).__name__)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
            reader, self._reader = self._reader, None
        for pool in (executor, reader):
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)

    # -- ApplicationFiles --------------------------------------------------------------------
    # The builders are imported here only to name them to the child, which runs them.
    def application_workbook(self, answers: Mapping[str, Any], today: date) -> OutFile:
        from bot.files.workbook import build_application_workbook

        return self._run(build_application_workbook, dict(answers), today)

    def materials_package(
        self, answers: Mapping[str, Any], images: Sequence[PackageImage], today: date
    ) -> OutFile:
        from bot.files.materials import build_materials_package

        return self._run(build_materials_package, dict(answers), list(images), today)

    # -- LicenceReader (handlers/files/licence_check.py) ---------------------------------------
    def licence_reading(self) -> bool:
        return ocr.available()

    def read_licence(self, image: bytes) -> list[str] | None:
        """The photo's lines of text, read in the reader child (None without the extra). A
        reader that died (out of memory on a huge photo) is replaced at the next photo; this
        one counts as unreadable rather than being tried again."""
        if not ocr.available():
            return None
        pool = self._reader_pool()
        try:
            return pool.submit(ocr.read_lines, image).result()
        except BrokenProcessPool:
            log.warning("the licence-reading process died; a new one starts with the next photo")
            with self._lock:
                if self._reader is pool:
                    self._reader = None
            return []
