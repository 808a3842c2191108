"""The platform-neutral shapes that cross the line between adapters and the dialogue.

Why pydantic: adapters build ``Inbound`` from untrusted platform payloads, so the shape is
checked once at the border (types, sizes) and the dialogue can trust it.
"""

from __future__ import annotations

import base64
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class InboundFile(BaseModel):
    """A file a person sent (an image for the licence question)."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(max_length=255)
    content: bytes
    mime: str | None = None
    problem: Literal["too_large", "incomplete"] | None = None
    """Set by the adapter when it could not have the whole file, ``content`` then empty:
    ``too_large`` (more than ``MAX_UPLOAD_BYTES``, declared or counted) or ``incomplete`` (the
    download ended before the size the platform declared, or the connection broke). Why here and
    not an adapter's own sentence: the dialogue then refuses it like any bad answer — the reason,
    the question again, the event id claimed — and nothing is stored."""
    size: int | None = None
    """The file's real size in bytes when it is known (declared, or counted to the end), for the
    sentence about a file too large; None when the download was cut at the limit."""


class Action(BaseModel):
    """A click on a choice: ``step`` is the question the button belonged to."""

    model_config = ConfigDict(frozen=True)

    step: str = Field(max_length=100)
    value: str = Field(max_length=200)


class Inbound(BaseModel):
    """One thing a person did in a conversation: typed text, clicked a choice, or sent a file.

    ``conversation`` identifies the case (one case per conversation, e.g. ``slack:T1:C42`` or
    ``console:default``); ``event_id`` is the platform's id for de-duplicating its retries;
    ``private`` says only this person reads the replies (a DM or the terminal), which decides
    whether personal data may be shown unmasked.
    """

    model_config = ConfigDict(frozen=True)

    platform: str
    conversation: str = Field(min_length=1, max_length=300)
    user_id: str = Field(min_length=1, max_length=200)
    user_name: str = Field(default="", max_length=200)
    text: str = ""
    action: Action | None = None
    file: InboundFile | None = None
    event_id: str | None = Field(default=None, max_length=300)
    private: bool = False
    lang: str | None = None
    """Language for a case this input creates (e.g. the console's ``--lang``)."""
    address: dict[str, Any] | None = None
    """Where the replies go, as the adapter describes it (a Slack thread, a slash command's
    response URL): stored with the replies in the outbox and read back by that adapter's
    transport only. The dialogue never looks inside."""

    @property
    def display_name(self) -> str:
        return self.user_name or self.user_id


class Choice(BaseModel):
    model_config = ConfigDict(frozen=True)

    value: str
    label: str


class OutFile(BaseModel):
    """A file the dialogue produced, for the adapter to post its own way."""

    model_config = ConfigDict(frozen=True)

    name: str
    content: bytes
    mime: str

    # A reply may wait in the outbox (a JSON column) when its platform could not take it:
    # the bytes travel there as base64, and come back as bytes.
    @field_serializer("content", when_used="json")
    def _content_as_base64(self, content: bytes) -> str:
        return base64.b64encode(content).decode("ascii")

    @field_validator("content", mode="before")
    @classmethod
    def _content_from_base64(cls, value: Any) -> Any:
        return base64.b64decode(value, validate=True) if isinstance(value, str) else value


ReplyKind = Literal["question", "info", "error", "status", "help", "file", "done", "credentials"]
"""``credentials`` asks the adapter to collect a SecretId/SecretKey privately (a Slack modal, a
private WeCom chat, a hidden terminal prompt) and run the credential check with them."""


class Reply(BaseModel):
    """One message back. Adapters render ``choices`` as buttons or numbered lines.

    ``step`` names the question a reply asks, so a click can be tied to the question it answered;
    ``private`` marks text meant for the one person who acted (Slack: ephemeral).
    """

    model_config = ConfigDict(frozen=True)

    kind: ReplyKind
    text: str
    step: str | None = None
    choices: tuple[Choice, ...] = ()
    multi: bool = False
    file: OutFile | None = None
    private: bool = False


def reply_row(reply: Reply) -> dict[str, Any]:
    """A reply as the outbox stores it, whole (buttons, file, privacy): ``Reply.model_validate``
    reads it back."""
    return reply.model_dump(mode="json")


def reply_rows(replies: list[Reply]) -> list[dict[str, Any]]:
    return [reply_row(reply) for reply in replies]


def from_rows(rows: list[dict[str, Any]]) -> list[Reply]:
    return [Reply.model_validate(row) for row in rows]
