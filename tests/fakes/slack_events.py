"""Slack's side of the HTTP contract: signed deliveries of slash commands, events, button
clicks and modal submissions to ``POST /slack/events``, shaped as Slack sends them.

Signatures are made with ``slack_sdk.signature.SignatureVerifier`` (the same scheme Slack uses:
``v0=`` + HMAC-SHA256 of ``v0:{timestamp}:{body}``), so the server under test verifies real
signatures; a test can also send a wrong one, a stale timestamp, or none.

Given the app's manifest, a sender delivers a message event only as Slack would: to an app
subscribed to that kind of conversation's ``message.*`` event with its ``*:history`` scope (a
group DM's thread replies never reach an app without ``message.mpim``).
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

from tests.fakes.slack_api import Call

MESSAGE_SUBSCRIPTIONS = {
    "channel": ("message.channels", "channels:history"),
    "group": ("message.groups", "groups:history"),
    "im": ("message.im", "im:history"),
    "mpim": ("message.mpim", "mpim:history"),
}
"""A message event's ``channel_type`` → the event and scope Slack requires to deliver it."""


class SlackSender:
    def __init__(self, base_url: str, signing_secret: str, *, team: str = "T1",
                 api_base: str = "", app_manifest: dict[str, Any] | None = None) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=20)
        self.app_manifest = app_manifest
        self.signing_secret = signing_secret
        self.team = team
        self.api_base = api_base
        self._events = itertools.count(1)
        self._ts = itertools.count(1)

    def close(self) -> None:
        self.http.close()

    def post(self, body: str, content_type: str, *, timestamp: int | None = None,
             secret: str | None = None, signed: bool = True,
             headers: dict[str, str] | None = None) -> httpx.Response:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        sent = {"Content-Type": content_type, **(headers or {})}
        if signed:
            verifier = SignatureVerifier(secret or self.signing_secret)
            sent["X-Slack-Request-Timestamp"] = stamp
            sent["X-Slack-Signature"] = verifier.generate_signature(timestamp=stamp, body=body)
        return self.http.post("/slack/events", content=body.encode("utf-8"), headers=sent)

    # -- slash commands ----------------------------------------------------------------------
    def command_body(self, text: str, *, channel: str, user: str = "U1", user_name: str = "alice",
                     channel_name: str = "onboarding") -> str:
        return urlencode({
            "token": "deprecated", "team_id": self.team, "team_domain": "fake",
            "channel_id": channel, "channel_name": channel_name, "user_id": user,
            "user_name": user_name, "command": "/esign", "text": text, "api_app_id": "A1",
            "response_url": f"{self.api_base}/response/{uuid.uuid4().hex}",
            "trigger_id": f"trigger.{uuid.uuid4().hex}",
        })

    def command(self, text: str, *, channel: str, user: str = "U1", user_name: str = "alice",
                channel_name: str = "onboarding") -> httpx.Response:
        body = self.command_body(text, channel=channel, user=user, user_name=user_name,
                                 channel_name=channel_name)
        return self.post(body, "application/x-www-form-urlencoded")

    # -- events --------------------------------------------------------------------------------
    def event_body(self, event: dict[str, Any], *, event_id: str | None = None) -> str:
        return json.dumps({
            "token": "deprecated", "team_id": self.team, "api_app_id": "A1",
            "event": event, "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._events):08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": self.team, "user_id": "UBOT", "is_bot": True}],
        })

    def event(self, event: dict[str, Any], *, event_id: str | None = None,
              retry: int | None = None) -> httpx.Response:
        headers = ({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
                   if retry else None)
        return self.post(self.event_body(event, event_id=event_id), "application/json", headers=headers)

    def message(self, text: str, *, channel: str, user: str = "U1", thread_ts: str | None = None,
                channel_type: str = "channel", files: list[dict[str, Any]] | None = None,
                event_id: str | None = None, retry: int | None = None) -> httpx.Response:
        self._check_subscribed(channel_type)
        ts = f"{1800000000 + next(self._ts)}.000300"
        event: dict[str, Any] = {"type": "message", "channel": channel, "user": user, "text": text,
                                 "ts": ts, "channel_type": channel_type, "event_ts": ts,
                                 "team": self.team}
        if thread_ts:
            event["thread_ts"] = thread_ts
        if files:
            event["subtype"] = "file_share"
            event["files"] = files
        return self.event(event, event_id=event_id, retry=retry)

    def _check_subscribed(self, channel_type: str) -> None:
        if self.app_manifest is None:
            return
        event, scope = MESSAGE_SUBSCRIPTIONS[channel_type]
        events = self.app_manifest["settings"]["event_subscriptions"]["bot_events"]
        scopes = self.app_manifest["oauth_config"]["scopes"]["bot"]
        assert event in events and scope in scopes, (
            f"Slack does not deliver {channel_type} messages to this app: its manifest lacks "
            f"{event!r} and/or {scope!r}")

    # -- interactivity -------------------------------------------------------------------------
    def interaction(self, payload: dict[str, Any]) -> httpx.Response:
        return self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    def click(self, posted: Call, label: str, *, user: str = "U1",
              state: dict[str, Any] | None = None) -> httpx.Response:
        """Click the button labelled ``label`` (or the submit button, for ``state``) on a
        message the app posted (as recorded by the fake Web API)."""
        blocks = posted.params["blocks"]
        element, block_id = _find_button(blocks, label)
        ts = str(posted.answer.get("ts") or posted.answer.get("message_ts"))
        channel = str(posted.params["channel"])
        thread_ts = posted.params.get("thread_ts")
        message = {"type": "message", "ts": ts, "text": posted.params.get("text", ""),
                   "blocks": blocks, "user": "UBOT", "bot_id": "BBOT"}
        if thread_ts:
            message["thread_ts"] = thread_ts
        payload = {
            "type": "block_actions", "api_app_id": "A1", "token": "deprecated",
            "team": {"id": self.team, "domain": "fake"},
            "user": {"id": user, "username": user.lower(), "team_id": self.team},
            "channel": {"id": channel, "name": "onboarding"},
            "container": {"type": "message", "message_ts": ts, "channel_id": channel,
                          "is_ephemeral": posted.method == "chat.postEphemeral",
                          **({"thread_ts": thread_ts} if thread_ts else {})},
            "message": message,
            "trigger_id": f"trigger.{uuid.uuid4().hex}",
            "response_url": f"{self.api_base}/response/{uuid.uuid4().hex}",
            "state": {"values": state or {}},
            "actions": [{**element, "block_id": block_id, "action_ts": f"{time.time():.6f}"}],
        }
        return self.interaction(payload)

    def submit_view(self, view: dict[str, Any], values: dict[str, dict[str, Any]], *,
                    user: str = "U1") -> httpx.Response:
        """Submit a modal the app opened, with ``values`` as Slack reports a view's state."""
        payload = {
            "type": "view_submission", "api_app_id": "A1", "token": "deprecated",
            "team": {"id": self.team, "domain": "fake"},
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": self.team},
            "trigger_id": f"trigger.{uuid.uuid4().hex}",
            "view": {**view, "state": {"values": values}, "hash": "h", "team_id": self.team},
        }
        return self.interaction(payload)


def _find_button(blocks: list[dict[str, Any]], label: str) -> tuple[dict[str, Any], str]:
    for block in blocks:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("type") == "button" and element["text"]["text"] == label:
                return {k: v for k, v in element.items() if k != "style"}, str(block["block_id"])
    labels = [e.get("text", {}).get("text") for b in blocks for e in b.get("elements", [])
              if isinstance(e, dict)]
    raise AssertionError(f"no button {label!r} among {labels}")
