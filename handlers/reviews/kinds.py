"""The three waits at Tencent as data: which answer starts each, which answers end it, how long.

Why a table: the flow already records where the team is in each wait as a *gate* answer
(``transfer_status``, ``realname_status``, ``app_status``; see ``handlers.flow``). A wait is the
same fact with a clock attached, so each row ties a wait to its gate field and says which gate
values start it, end it (and with which result), or take it back; and which gate value a result
recorded with ``review`` stores, so the flow moves exactly as if the team had answered.
Durations come from ``ONBOARDING.md``: 1–3 working days for the bank transfer and the real-name
review (we count the upper bound); the guide states none for the app-ID review, so we count an
estimate and say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class WaitKind:
    name: str
    gate: str
    """The flow field recording where the team is in this wait."""
    starts: str
    """The gate value that means "submitted, now waiting"."""
    ends: Mapping[str, str]
    """Gate value -> the wait's result (``approved`` / ``rejected``)."""
    answer_for: Mapping[str, str]
    """Result -> the gate value a recorded result stores, so the flow moves on."""
    withdraws: frozenset[str]
    """Gate values that take the submission back (the team had not submitted after all)."""
    workdays: int
    duration_stated: bool
    """False when the guide gives no duration and ``workdays`` is our estimate."""


KINDS: Mapping[str, WaitKind] = MappingProxyType({
    "transfer": WaitKind(
        "transfer", "transfer_status", "waiting",
        MappingProxyType({"verified": "approved"}),
        # A failed transfer verification starts over: the bank details are submitted again.
        MappingProxyType({"approved": "verified", "rejected": "not_started"}),
        frozenset({"not_started"}), 3, True),
    "realname": WaitKind(
        "realname", "realname_status", "submitted",
        MappingProxyType({"approved": "approved", "rejected": "rejected"}),
        MappingProxyType({"approved": "approved", "rejected": "rejected"}),
        frozenset({"not_submitted"}), 3, True),
    "app": WaitKind(
        "app", "app_status", "sent",
        MappingProxyType({"approved": "approved", "rejected": "rejected"}),
        MappingProxyType({"approved": "approved", "rejected": "rejected"}),
        frozenset({"not_sent"}), 5, False),
})

KIND_BY_GATE: Mapping[str, WaitKind] = MappingProxyType({k.gate: k for k in KINDS.values()})

RESULTS = ("approved", "rejected")
