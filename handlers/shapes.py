"""The platform-neutral shapes that cross the line between adapters and the dialogue.

Why pydantic: adapters build ``Inbound`` from untrusted platform payloads, so the shape is
checked once at the border (types, sizes) and the dialogue can trust it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class InboundFile(BaseModel):
    """A file a person sent (an image for the licence question)."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(max_length=255)
    content: bytes
    mime: str | None = None


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
