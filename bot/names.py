"""``NameCache``: people's display names by platform user id, for "who answered" in a case.

Why a cache with two lifetimes: a name is looked up on the way to a turn, where the platform's
deadline runs (Slack 3 s, WeCom 5 s), so a known name is remembered for an hour, and a lookup
that failed (unknown user, no permission, platform unreachable) remembers the id in its place
for a few minutes, so such a user costs one call now and then, never one per message. The
name is a courtesy: the id always stands in for it. At most ``max_entries`` people are
remembered, the least recently used forgotten first, so a workspace of many thousands (or a
stream of made-up ids) cannot grow it without bound.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

NAME_TTL_S = 3600.0
RETRY_S = 300.0
MAX_NAME_CHARS = 200
MAX_ENTRIES = 10_000


class NameCache:
    def __init__(self, *, ttl_s: float = NAME_TTL_S, retry_s: float = RETRY_S,
                 clock: Callable[[], float] = time.monotonic,
                 max_entries: int = MAX_ENTRIES) -> None:
        self._ttl_s, self._retry_s, self._clock = ttl_s, retry_s, clock
        self._max = max(1, max_entries)
        self._names: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()  # WeCom looks names up from worker threads too

    def __len__(self) -> int:
        return len(self._names)

    def get(self, user_id: str) -> str | None:
        """The remembered name (or stand-in), None when it must be looked up (again)."""
        with self._lock:
            found = self._names.get(user_id)
            if found is None:
                return None
            if found[0] <= self._clock():
                del self._names[user_id]
                return None
            self._names.move_to_end(user_id)
            return found[1]

    def _keep(self, user_id: str, until: float, name: str) -> None:
        with self._lock:
            self._names[user_id] = (until, name)
            self._names.move_to_end(user_id)
            while len(self._names) > self._max:
                self._names.popitem(last=False)

    def remember(self, user_id: str, name: str | None, fallback: str = "") -> str:
        """Keep what a lookup found (None or blank: it failed) and return the name to use."""
        shown = (name or "").strip()[:MAX_NAME_CHARS]
        if shown:
            self._keep(user_id, self._clock() + self._ttl_s, shown)
            return shown
        stand_in = fallback or user_id
        self._keep(user_id, self._clock() + self._retry_s, stand_in)
        return stand_in
