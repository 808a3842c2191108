"""A server process's clock set to a moment the test chooses, and nothing else changed.

Why libfaketime and not a setting: the scheduler in ``esignbot serve`` reads the wall clock, and
a reminder goes out only on a working day between 09:00 and 18:00 in Shanghai, so a front-door
test of reminders needs the server to believe it is such a moment, whenever the test runs. A
setting that moved the bot's clock would be a way to lie to a production server; preloading
libfaketime (the ``libfaketime`` test extra ships the library) moves only the process under
test — and its workers and children, which inherit the environment — by a fixed offset, so
time still passes at its real pace. Monotonic clocks are left alone (timeouts, asyncio).

Anything that signs with the time for that server (Slack's request signatures are refused when
more than five minutes off) adds :attr:`FakedClock.offset_s` to its own clock.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

import libfaketime


@dataclass(frozen=True, slots=True)
class FakedClock:
    env: dict[str, str]
    """What to add to the server's environment."""
    offset_s: int
    """Seconds to add to this process's time to get the server's."""


def clock_at(moment: datetime) -> FakedClock:
    """The server's wall clock reads ``moment`` now, and runs on from there."""
    offset = int(moment.timestamp() - time.time())
    _, preload = libfaketime.get_reload_information()
    env = {**preload, "FAKETIME": f"{offset:+d}", "DONT_FAKE_MONOTONIC": "1",
           "FAKETIME_DONT_FAKE_MONOTONIC": "1", "FAKETIME_NO_CACHE": "1"}
    return FakedClock(env, offset)
