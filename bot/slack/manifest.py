"""The Slack app manifest, built from the same constants the app uses.

Why generated: the scopes and events an admin grants must be exactly what the code listens to
and calls, no more; deriving ``manifests/slack.yaml`` and ``manifests/slack-socket.yaml`` from
here (``esignbot slack --manifest``) and testing that the committed files match keeps the two
from drifting apart.
"""

from __future__ import annotations

import json
from typing import Any

PLACEHOLDER_URL = "https://YOUR_HOST"
EVENTS_PATH = "/slack/events"
COMMAND = "/esign"

BOT_EVENTS: tuple[str, ...] = ("app_home_opened", "message.channels", "message.groups", "message.im",
                               "message.mpim")
"""``message.*``: answers in a case's thread (public and private channels, group DMs) and in a
DM with the bot; ``app_home_opened``: the Home tab."""

BOT_SCOPES: tuple[str, ...] = (
    "commands",          # /esign
    "chat:write",        # questions, answers, ephemeral hints, updating answered questions
    "channels:history",  # message.channels
    "groups:history",    # message.groups
    "im:history",        # message.im
    "mpim:history",      # message.mpim (a group DM is shared like a channel: docs/slack.md)
    "files:read",        # the licence image uploaded in a thread
    "files:write",       # the workbook and materials package (files_upload_v2)
    "im:write",          # a file with personal data goes to the asker's DM (conversations.open)
    "users:read",        # the name recorded with each answer (users.info)
)

USAGE_HINT = ("start | status | help | check | excel | back | skip | edit <field> [value] | cancel "
              "| lang zh|en")


def manifest(*, socket_mode: bool, base_url: str = PLACEHOLDER_URL) -> dict[str, Any]:
    """The manifest for HTTP mode (request URLs under ``base_url``) or Socket Mode (none)."""
    url = base_url.rstrip("/") + EVENTS_PATH
    command: dict[str, Any] = {
        "command": COMMAND,
        "description": "Onboarding onto Tencent E-Sign / 腾讯电子签集成版接入",
        "usage_hint": USAGE_HINT,
        "should_escape": False,
    }
    events: dict[str, Any] = {"bot_events": list(BOT_EVENTS)}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if not socket_mode:
        command["url"] = url
        events = {"request_url": url, **events}
        interactivity["request_url"] = url
    return {
        "display_information": {
            "name": "esignbot",
            "description": "Walks your team through onboarding onto Tencent E-Sign integration version.",
            "long_description": (
                "esignbot walks a team through onboarding onto Tencent E-Sign integration version "
                "(腾讯电子签集成版): the enterprise account, the supplementary real-name "
                "verification, the app ID and whitelist, and the API keys. One question at a time "
                "in a channel thread, every answer checked before it is kept, choices as buttons, "
                "keys checked in a private form, and everyone's progress in the Home tab."
            ),
            "background_color": "#1d4e89",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": "esignbot", "always_online": True},
            "slash_commands": [command],
        },
        "oauth_config": {"scopes": {"bot": list(BOT_SCOPES)}},
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket_mode,
            "token_rotation_enabled": False,
        },
    }


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    # A JSON string is a valid YAML double-quoted scalar, whatever it contains.
    return json.dumps(value, ensure_ascii=False)


def _emit(value: Any, indent: int) -> list[str]:
    pad = "  " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                lines.append(f"{pad}{key}:")
                lines += _emit(item, indent + 1)
            else:
                lines.append(f"{pad}{key}: {_scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                nested = _emit(item, indent + 1)
                lines.append(f"{pad}- {nested[0].lstrip()}")
                lines += nested[1:]
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    return lines


def manifest_yaml(*, socket_mode: bool, base_url: str = PLACEHOLDER_URL) -> str:
    """The manifest as YAML, for "Create an app > From a manifest" at api.slack.com/apps."""
    mode = ("Socket Mode: no public URL needed" if socket_mode
            else f"HTTP mode: replace {PLACEHOLDER_URL} with your host" if base_url == PLACEHOLDER_URL
            else f"HTTP mode at {base_url.rstrip('/')}")
    header = [
        "# esignbot's Slack app manifest. Generated by `esignbot slack --manifest"
        + (" --socket" if socket_mode else "") + "`; do not edit by hand.",
        f"# {mode}.",
        "_metadata:",
        "  major_version: 1",
        "  minor_version: 1",
    ]
    return "\n".join(header + _emit(manifest(socket_mode=socket_mode, base_url=base_url), 0)) + "\n"
