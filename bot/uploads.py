"""Whole files or none: a file a person sent, read to its end within the upload limit.

Why one module: every platform hands a file over as a stream — Slack's file host (aiohttp),
WeCom's ``media/get`` (requests), a path typed at the terminal — and any of them can end early or
run long. One ``read(n)`` of a stream returns whatever has arrived so far: aiohttp's
``StreamReader.read(n)`` gave the first ~100 KB of a 3 MB licence photo, which was stored,
confirmed as saved and shipped in the materials zip. Here a stream is read chunk by chunk to its
end, never more than the limit + one chunk kept, and checked against every size declared for it
(the platform's file object, ``Content-Length``, the file system). A file over the limit is
still read on, to count it and so to tell its real size (nobody can act on "10.0 MB, at most
10 MB"), but its bytes are dropped as they come, up to :data:`COUNT_UP_TO` times the limit.
What cannot be had whole becomes an ``InboundFile`` with ``problem`` set, which the dialogue
refuses with its sentence like any bad answer, so nothing partial is ever stored.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterable, Iterable, Mapping
from typing import Literal

from handlers import InboundFile
from handlers.shapes import MAX_UPLOAD_BYTES

CHUNK_BYTES = 64 * 1024
DEFAULT_DEADLINE_S = 60.0
"""The longest one file may take to arrive: a peer that sends a byte a second is given up on."""
COUNT_UP_TO = 8
"""A file over the limit is counted to its end up to this many times the limit (80 MB): enough
for any photo, and a stream without end is not read for ever; past it, "more than 10 MB"."""


def declared_length(headers: Mapping[str, str]) -> int | None:
    """``Content-Length`` as a number, when it counts the bytes we are given (not when the body
    is compressed in transit: then it counts the compressed bytes)."""
    if (headers.get("Content-Encoding") or "identity").strip().lower() != "identity":
        return None
    try:
        length = int(headers.get("Content-Length") or "")
    except ValueError:
        return None
    return length if length >= 0 else None


class Receiving:
    """One file on its way in: give it the chunks as they arrive, then take :meth:`result`.

    ``declared`` are the sizes anyone announced for the file (None where nobody did); the bytes
    received must match every one of them."""

    def __init__(self, name: str, mime: str | None, *, declared: Iterable[int | None] = (),
                 limit: int = MAX_UPLOAD_BYTES, deadline_s: float = DEFAULT_DEADLINE_S) -> None:
        self.name = name[:255]
        self.mime = mime
        self.declared = [size for size in declared if size is not None]
        self.limit = limit
        self._deadline = time.monotonic() + deadline_s
        self._data: list[bytes] = []
        """The chunks as they came (no growing buffer that over-allocates past the limit)."""
        self._count = 0
        """Every byte received, also those dropped once the file is over the limit."""
        self._over = False
        self._late = False
        self._stopped = False
        """Reading ended before the stream did (counted too far, or too slow)."""

    def remaining(self) -> float:
        """Seconds left before the whole file must have arrived (0 once past)."""
        return max(0.0, self._deadline - time.monotonic())

    def late(self) -> None:
        """The deadline passed while waiting for the next chunk: the file is incomplete."""
        self._late = self._stopped = True

    def too_large_already(self) -> InboundFile | None:
        """The refusal when a declared size is over the limit: no need to fetch the body."""
        over = [size for size in self.declared if size > self.limit]
        return self._refused("too_large", max(over)) if over else None

    def add(self, chunk: bytes) -> bool:
        """Keep ``chunk`` (only count it, once over the limit); False once there is no point
        reading on (counted far enough, too slow)."""
        self._count += len(chunk)
        if not self._over:
            self._data.append(chunk)
            if self._count > self.limit:
                self._over = True
                self._data = []  # refused whatever follows: hold none of it
        if self._over and self._count > self.limit * COUNT_UP_TO:
            self._stopped = True
            return False
        if time.monotonic() > self._deadline:
            self._late = self._stopped = True
            return False
        return True

    def result(self, *, broken: bool = False) -> InboundFile:
        """The whole file, or why not. ``broken``: the stream failed before its end."""
        if self._over:
            # Counted to its end, the real size; cut short, known only when declared above it.
            known = [size for size in self.declared if size > self.limit]
            if not (broken or self._stopped):
                known.append(self._count)
            return self._refused("too_large", max(known) if known else None)
        early = self.too_large_already()
        if early is not None:
            return early
        if broken or self._late or any(size != self._count for size in self.declared):
            return self._refused("incomplete", None)
        return InboundFile(name=self.name, content=b"".join(self._data), mime=self.mime,
                           size=self._count)

    def _refused(self, problem: Literal["too_large", "incomplete"], size: int | None) -> InboundFile:
        self._data = []
        return InboundFile(name=self.name, content=b"", mime=self.mime, problem=problem, size=size)


def receive(receiving: Receiving, chunks: Iterable[bytes],
            errors: tuple[type[BaseException], ...] = (OSError,)) -> InboundFile:
    """Read ``chunks`` to their end (or the limit) into ``receiving``; ``errors`` raised while
    reading mean the stream broke, and the file is refused as incomplete.

    The deadline is checked as each chunk arrives, so ``chunks`` must yield what has arrived
    (``read1``, not a buffered ``read(n)`` that waits for n bytes) and each of its reads must
    have a timeout: then the whole file takes at most the deadline plus one read's timeout."""
    early = receiving.too_large_already()
    if early is not None:
        return early
    try:
        for chunk in chunks:
            if not receiving.add(chunk):
                break
    except errors:
        return receiving.result(broken=True)
    return receiving.result()


async def areceive(receiving: Receiving, chunks: AsyncIterable[bytes],
                   errors: tuple[type[BaseException], ...] = (OSError,)) -> InboundFile:
    """:func:`receive` for a stream read on the event loop."""
    early = receiving.too_large_already()
    if early is not None:
        return early
    try:
        # The deadline holds even while nothing arrives: a stream that stalls is cut at it.
        async with asyncio.timeout(receiving.remaining()):
            async for chunk in chunks:
                if not receiving.add(chunk):
                    break
    except TimeoutError:
        receiving.late()
    except errors:
        return receiving.result(broken=True)
    return receiving.result()
