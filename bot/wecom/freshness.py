"""How old a WeCom callback may be, and a replay of one refused.

Why: a callback's signature covers its ``timestamp`` and ``nonce`` but nothing expires it, so a
captured callback stayed valid for ever. One encrypted with a timestamp 400 days old was
applied, and one replayed after the event-id retention (7 days) was applied again (an old
enterprise name came back). Now:

* a callback whose signed ``timestamp`` is more than :data:`WINDOW_S` from our clock, either
  way, is refused (403) before anything reads it;
* a callback whose signature, or whose message (its event id: ``MsgId``, or sender + time for
  events), was seen within the window is a replay: it never reaches the dialogue. The record is
  kept in SQLite (``wecom_callbacks``, migration 0014) for exactly the window, so it holds across
  workers and restarts, and does not depend on how long processed event ids are kept.

Why five minutes: WeCom gives up on a request after 5 s and retries it at once, three tries in
all, so a genuine delivery is seconds old; five minutes is Slack's own bound for signed requests
and leaves room for a server clock a little off (NTP keeps it within seconds). A replay within
the window is answered 200 with an empty body, as WeCom's own retry must be (a 4xx would make
WeCom try again), and is not applied; after the window it is too old, and refused.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.wecom.inbound import CallbackRejected, WeComMessage

WINDOW_S = 300
"""How far a callback's timestamp may be from our clock, in the past or in the future."""
_MAX_DIGITS = 12
"""Unix seconds have 10 digits until the year 2286; more is not a time."""


def signed_time(params: Mapping[str, str]) -> int:
    """The callback's ``timestamp`` (already covered by its verified signature) as unix
    seconds; 400 when it is not ASCII digits (``int`` would take '１２３' or ' 12')."""
    stamp = params.get("timestamp", "")
    if not (stamp.isascii() and stamp.isdigit()) or len(stamp) > _MAX_DIGITS:
        raise CallbackRejected(400, "malformed timestamp")
    return int(stamp)


def check_fresh(params: Mapping[str, str], now: float) -> int:
    """Refuse (403) a callback signed more than :data:`WINDOW_S` before or after ``now``;
    returns its time."""
    stamp = signed_time(params)
    if stamp < now - WINDOW_S:
        raise CallbackRejected(403, "callback too old")
    if stamp > now + WINDOW_S:
        raise CallbackRejected(403, "callback from the future")
    return stamp


def replay_keys(params: Mapping[str, str], message: WeComMessage) -> list[str]:
    """What identifies a callback for the replay record: its signature (one per timestamp,
    nonce and ciphertext) and its message's event id (the same message signed anew)."""
    return [f"sig:{params.get('msg_signature', '')}", f"event:{message.event_id}"]


def expiry(stamp: int, now: float) -> int:
    """Until when a callback signed at ``stamp`` must be remembered: as long as it would still
    be accepted as fresh (and at least one window from now)."""
    return int(max(stamp, now)) + WINDOW_S + 1
