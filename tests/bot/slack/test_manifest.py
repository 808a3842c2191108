"""The Slack app manifests: what `esignbot slack --manifest` prints is what is committed, and
they ask for exactly the scopes and events the app uses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def manifest(*args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "bot.cli", "slack", "--manifest", *args],
                          capture_output=True, text=True, encoding="utf-8", timeout=60, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize(("name", "args"), [("slack.yaml", ()), ("slack-socket.yaml", ("--socket",))])
def test_the_committed_manifests_are_what_the_app_generates(name: str, args: tuple[str, ...]) -> None:
    assert (REPO / "manifests" / name).read_text(encoding="utf-8") == manifest(*args)


def test_http_manifest_points_every_request_url_at_slack_events() -> None:
    text = manifest("--url", "https://bot.example.com/")
    assert text.count('"https://bot.example.com/slack/events"') == 3  # command, events, interactivity
    assert "socket_mode_enabled: false" in text
    socket = (REPO / "manifests" / "slack-socket.yaml").read_text(encoding="utf-8")
    assert "request_url" not in socket and "socket_mode_enabled: true" in socket


def test_the_manifest_asks_for_exactly_what_the_app_uses() -> None:
    text = (REPO / "manifests" / "slack.yaml").read_text(encoding="utf-8")

    def listed(after: str) -> set[str]:
        lines = text.split(after + ":\n", 1)[1].splitlines()
        items = []
        for line in lines:
            if not line.lstrip().startswith("- "):
                break
            items.append(line.strip()[2:].strip('"'))
        return set(items)

    assert listed("    bot") == {"commands", "chat:write", "channels:history", "groups:history",
                                   "im:history", "mpim:history", "im:write", "files:read",
                                   "files:write", "users:read"}
    assert listed("    bot_events") == {"app_home_opened", "message.channels", "message.groups",
                                         "message.im", "message.mpim"}
    assert '"/esign"' in text and "usage_hint" in text


def test_a_bad_manifest_url_is_refused(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "bot.cli", "slack", "--manifest", "--url", "bot.example.com"],
                          capture_output=True, text=True, timeout=60, cwd=REPO)
    assert proc.returncode == 2 and "https://" in proc.stderr
