"""What Slack sends, as far as the bot reads it: the fields of events, slash commands and
interactions that bolt's routing and our listeners rely on, with their types.

Why check shapes and not only signatures: a signed request is not necessarily a well-formed one
(a leaked signing secret, a proxy that rewrites bodies, a Slack change). bolt's routing and our
listeners index into the body (``body["user"]["id"]``, ``event.get("files")``), so a field of
the wrong type made them raise, and the caller got a 500 with a traceback. Checked here, before
bolt dispatches, such a request gets a 400 and a one-line log entry. Only the fields we read are
named; everything else Slack sends passes through untouched (``extra="allow"``), so a field
Slack adds tomorrow changes nothing.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


class _Id(_Shape):
    id: str


class SlackFile(_Shape):
    id: str
    name: str | None = None
    title: str | None = None
    mimetype: str | None = None
    size: int | None = None
    url_private: str | None = None
    url_private_download: str | None = None


class MessageEvent(_Shape):
    type: str
    user: str | None = None
    channel: str | None = None
    channel_type: str | None = None
    text: str | None = None
    ts: str | None = None
    thread_ts: str | None = None
    subtype: str | None = None
    bot_id: str | None = None
    client_msg_id: str | None = None
    team: str | None = None
    files: list[SlackFile] | None = None


class HomeEvent(_Shape):
    type: str
    user: str
    tab: str | None = None


class EventEnvelope(_Shape):
    type: str
    team_id: str | None = None
    event_id: str | None = None
    event: dict[str, Any] | None = None
    challenge: str | None = None


class Command(_Shape):
    command: str
    text: str = ""
    channel_id: str
    user_id: str
    team_id: str
    user_name: str | None = None
    channel_name: str | None = None
    trigger_id: str | None = None
    response_url: str | None = None


class Action(_Shape):
    action_id: str
    value: str | None = None
    block_id: str | None = None
    text: dict[str, Any] | None = None
    selected_options: list[dict[str, Any]] | None = None


class View(_Shape):
    type: str
    callback_id: str
    private_metadata: str | None = None
    state: dict[str, dict[str, dict[str, Any]]] | None = None
    id: str | None = None
    hash: str | None = None


class _StateValues(_Shape):
    values: dict[str, dict[str, dict[str, Any]]]


class Interaction(_Shape):
    type: str
    user: _Id
    team: _Id | None = None
    channel: _Id | None = None
    actions: list[Action] | None = None
    view: View | None = None
    container: dict[str, Any] | None = None
    message: dict[str, Any] | None = None
    state: _StateValues | None = None
    trigger_id: str | None = None
    response_url: str | None = None


EVENTS_WE_READ: dict[str, type[_Shape]] = {
    "message": MessageEvent,
    "app_mention": MessageEvent,
    "app_home_opened": HomeEvent,
}
"""Events bolt hands to our listeners; any other event type goes to bolt as it is (it answers
an event nobody listens for without reading it)."""

INTERACTIONS_WE_READ = frozenset({"block_actions", "view_submission", "view_closed"})


def problem(body: dict[str, Any], *, form: bool) -> str | None:
    """Why ``body`` (as bolt parsed it) is not a request we can read; None when it is.
    ``form``: it came form-encoded (a slash command, or an interaction's ``payload``)."""
    try:
        if not form:
            envelope = EventEnvelope.model_validate(body)
            if envelope.type == "event_callback":
                if envelope.event is None:
                    return "event_callback without an event"
                kind = envelope.event.get("type")
                if not isinstance(kind, str):
                    return "event without a type"
                shape = EVENTS_WE_READ.get(kind)
                if shape is not None:
                    shape.model_validate(envelope.event)
            elif envelope.type == "url_verification" and envelope.challenge is None:
                return "url_verification without a challenge"
        elif "command" in body:
            Command.model_validate(body)
        elif isinstance(body.get("type"), str) and body["type"] in INTERACTIONS_WE_READ:
            interaction = Interaction.model_validate(body)
            if interaction.type != "block_actions" and interaction.view is None:
                return f"{interaction.type} without a view"
        elif not isinstance(body.get("type"), str):
            return "interaction without a type"
    except ValidationError as error:
        first = error.errors()[0]
        return f"{'.'.join(map(str, first['loc'])) or 'body'}: {first['type']}"
    return None
