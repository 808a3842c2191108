"""What the delivery runtime hands a platform, and what a platform hands back.

Why so small: each platform knows how to post (Slack threads and ephemeral messages, WeCom's
members, a terminal's lines); none of them should know about claims, leases, order or retries.
A :class:`Transport` gets one :class:`Parcel` — the replies of one outbox row, with the address
its adapter wrote — and either posts all of it or raises :class:`NotNow` saying how many of its
replies did go out; the runtime keeps the rest at the head of the conversation's queue.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from handlers.shapes import Reply


@dataclass(frozen=True, slots=True)
class Parcel:
    """One outbox row to post: ``replies`` are those not yet sent (a retry resumes after the
    ones a refusal let through), the mention already in front of the first when it has one."""

    conversation: str
    replies: list[Reply]
    purpose: str
    """``reply`` (a turn's or a job's), ``result`` or ``reminder`` (the scheduler's notices)."""
    actor: str | None
    """Who the replies are for: the person who acted (private replies are theirs alone), or
    the one admin a notice is for; None: everyone in the conversation."""
    address: dict[str, Any]
    case_id: int | None
    message_id: int | None
    """None for replies that could not be queued (the database refuses writes)."""


class NotNow(Exception):
    """The platform did not take the rest for now (rate limited, an outage): ``sent`` replies
    of the parcel went out. The runtime tries again later, resuming after them, in order."""

    def __init__(self, sent: int, reason: str) -> None:
        super().__init__(reason)
        self.sent = sent
        self.reason = reason


class Transport(Protocol):
    """A platform as the runtime sees it. One may also have ``active`` (a bool, read on every
    pass): while it is False the runtime leaves its conversations and jobs to the process where
    it is True (the WeCom smart bot's one connection is held by one process, the others stand
    by)."""

    @property
    def key(self) -> str:
        """The conversations it posts to: a prefix ending in ``:`` (``slack:``), or one exact
        conversation (a terminal's ``console:default``)."""
        ...

    def mention(self, user_id: str, name: str) -> str:
        """How this platform calls on a person (a reminder starts with it)."""
        ...

    def deliver(self, parcel: Parcel) -> Awaitable[None] | None:
        """Post the parcel, or raise :class:`NotNow` (or anything else: also tried again).

        Called in one of the runtime's threads, never on an event loop. A transport whose
        client lives on the server's event loop returns an awaitable that posts there (and
        sets ``posts_on_loop = True``: the runtime then runs the posting on the loop without
        a thread waiting for it); the work before it (reading where the message goes) runs
        in the calling thread."""
        ...


def owns(key: str, conversation: str) -> bool:
    return conversation.startswith(key) if key.endswith(":") else conversation == key


_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")


def plain_mention(user_id: str, name: str) -> str:
    return f"@{name or user_id}"


def slack_mention(user_id: str, name: str) -> str:
    """``<@U0123>``, which Slack renders as the person's name and notifies them."""
    return f"<@{user_id}>" if _SLACK_USER.match(user_id) else plain_mention(user_id, name)


Sender = Callable[[str, Sequence[Reply]], None]
"""Posts replies into a conversation; raises when it could not (the message is retried)."""
Mention = Callable[[str, str], str]
SenderFor = Callable[[str, Sequence[Reply], str], None]
"""Posts replies meant for one person first (the third argument): their private ones to them."""


@dataclass(frozen=True, slots=True)
class Route:
    """A transport made of plain functions (a terminal's printer, tests' recorders): ``send``
    for everyone, ``send_for`` (when it has one) for a reply to one person's input."""

    key: str
    send: Sender
    mention_with: Mention = plain_mention
    send_for: SenderFor | None = None

    def mention(self, user_id: str, name: str) -> str:
        return self.mention_with(user_id, name)

    def owns(self, conversation: str) -> bool:
        return owns(self.key, conversation)

    def deliver(self, parcel: Parcel) -> None:
        if parcel.purpose == "reply" and parcel.actor and self.send_for is not None:
            self.send_for(parcel.conversation, parcel.replies, parcel.actor)
        else:
            self.send(parcel.conversation, parcel.replies)
