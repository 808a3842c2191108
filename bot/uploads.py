"""Whole files or none: a file a person sent, read to its end within the upload limit.

Why one module: every platform hands a file over as a stream — Slack's file host (aiohttp),
WeCom's ``media/get`` (requests), a path typed at the terminal — and any of them can end early or
run long. One ``read(n)`` of a stream returns whatever has arrived so far: aiohttp's
``StreamReader.read(n)`` gave the first ~100 KB of a 3 MB licence photo, which was stored,
confirmed as saved and shipped in the materials zip. Here a stream is read chunk by chunk to its
end, never more than the limit + 1 byte kept, and checked against every size declared for it (the
platform's file object, ``Content-Length``, the file system). What cannot be had whole becomes an
``InboundFile`` with ``problem`` set, which the dialogue refuses with its sentence like any bad
answer, so nothing partial is ever stored.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterable, Iterable, Mapping
from typing import Literal

from handlers import InboundFile
from handlers.shapes import MAX_UPLOAD_BYTES

CHUNK_BYTES = 64 * 1024
DEFAULT_DEADLINE_S = 60.0
"""The longest one file may take to arrive: a peer that sends a byte a second is given up on."""


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
        self._data = bytearray()
        self._over = False
        self._late = False

    def too_large_already(self) -> InboundFile | None:
        """The refusal when a declared size is over the limit: no need to fetch the body."""
        over = [size for size in self.declared if size > self.limit]
        return self._refused("too_large", max(over)) if over else None

    def add(self, chunk: bytes) -> bool:
        """Keep ``chunk``; False once there is no point reading on (over the limit, too slow)."""
        room = self.limit + 1 - len(self._data)
        self._data += chunk[:room]
        if len(self._data) > self.limit:
            self._over = True
            return False
        if time.monotonic() > self._deadline:
            self._late = True
            return False
        return True

    def result(self, *, broken: bool = False) -> InboundFile:
        """The whole file, or why not. ``broken``: the stream failed before its end."""
        if self._over:
            # Cut at the limit: the real size is known only when it was declared above it.
            known = [size for size in self.declared if size > self.limit]
            return self._refused("too_large", max(known) if known else None)
        early = self.too_large_already()
        if early is not None:
            return early
        if broken or self._late or any(size != len(self._data) for size in self.declared):
            return self._refused("incomplete", None)
        return InboundFile(name=self.name, content=bytes(self._data), mime=self.mime,
                           size=len(self._data))

    def _refused(self, problem: Literal["too_large", "incomplete"], size: int | None) -> InboundFile:
        self._data = bytearray()
        return InboundFile(name=self.name, content=b"", mime=self.mime, problem=problem, size=size)


def receive(receiving: Receiving, chunks: Iterable[bytes],
            errors: tuple[type[BaseException], ...] = (OSError,)) -> InboundFile:
    """Read ``chunks`` to their end (or the limit) into ``receiving``; ``errors`` raised while
    reading mean the stream broke, and the file is refused as incomplete."""
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
        async for chunk in chunks:
            if not receiving.add(chunk):
                break
    except errors:
        return receiving.result(broken=True)
    return receiving.result()
