"""``Offload``: where an async adapter (Slack, the WeCom smart bot) runs blocking work, by kind,
so no kind waits on another.

Why two executors instead of ``asyncio.to_thread``'s one shared pool (measured with ``bench``,
see docs/benchmark.md): turns queue on SQLite's write lock, so under load a shared pool filled
with threads waiting for that lock, and the quick read-only lookups every request starts with
queued behind them (pool wait p95 > 100 ms).

- ``turn``: one thread. Turns are applied one at a time anyway (``CaseStore.transaction``);
  here they wait in a FIFO queue instead of each holding a thread, in arrival order.
- ``lookup``: a few threads for short snapshot reads, never behind a turn.

Slow work (a shared file to fetch, a credential check, files to build) is no longer here: it is
a job (``handlers.jobs``), run by the delivery runtime's worker threads (issue 27).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

T = TypeVar("T")


class Offload:
    def __init__(self, name: str, *, lookups: int = 2,
                 turns: ThreadPoolExecutor | None = None) -> None:
        """``turns``: the dialogue's writer thread (``Dialogue.writer``), shared with the
        delivery runtime's bookkeeping; not shut down here."""
        self._own_turns = turns is None
        self._turns = turns or ThreadPoolExecutor(1, thread_name_prefix=f"{name}-turn")
        self._lookups = ThreadPoolExecutor(lookups, thread_name_prefix=f"{name}-lookup")

    @staticmethod
    async def _run(executor: ThreadPoolExecutor, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(executor, partial(fn, *args))

    async def turn(self, fn: Callable[..., T], *args: Any) -> T:
        """A write to the database (a dialogue turn, a thread claim), in arrival order."""
        return await self._run(self._turns, fn, *args)

    async def lookup(self, fn: Callable[..., T], *args: Any) -> T:
        """A short read-only query."""
        return await self._run(self._lookups, fn, *args)

    def close(self) -> None:
        """After the adapter's own tasks are done: nothing is still queued."""
        for executor in (self._turns, self._lookups):
            if executor is not self._turns or self._own_turns:
                executor.shutdown(wait=True)
