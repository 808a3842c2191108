"""``esignbot slack``: Socket Mode, and the app manifest to paste into Slack.

Why a separate sub-command: Socket Mode needs no public URL (a laptop, a server behind a
firewall) but holds a WebSocket instead of serving HTTP, so it is not part of ``serve``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot import logs
from bot.settings import ConfigError, load_settings
from bot.slack.manifest import PLACEHOLDER_URL, manifest_yaml
from bot.wiring import build_dialogue

USAGE = ("Use `esignbot slack --socket` for Socket Mode, `esignbot slack --manifest` for the app "
         "manifest, or `esignbot serve` for HTTP mode.")


def run_slack(args: argparse.Namespace) -> int:
    if args.manifest:
        url = args.url or PLACEHOLDER_URL
        if not url.startswith(("https://", "http://")):
            print("--url must start with https://, e.g. https://bot.example.com", file=sys.stderr)
            return 2
        sys.stdout.write(manifest_yaml(socket_mode=args.socket, base_url=url))
        return 0
    if not args.socket:
        print(USAGE, file=sys.stderr)
        return 2
    from bot.background import background_work
    from bot.files.process import FileBuilderProcess
    from bot.mail.watch import MailConfigError
    from bot.slack.app import run_socket_mode, socket_platform

    settings = load_settings()
    logs.configure(settings)  # before the app is built: it pins its libraries' log levels
    files = FileBuilderProcess()
    dialogue = build_dialogue(settings, Path(args.db) if args.db else None, files=files)
    try:
        platform, app_token = socket_platform(settings, dialogue)
        work = background_work(settings, dialogue, [platform], files)
    except (ConfigError, MailConfigError) as problem:
        print(problem, file=sys.stderr)
        return 2
    try:
        asyncio.run(run_socket_mode(platform, app_token, work))
    except KeyboardInterrupt:
        pass
    finally:
        dialogue.store.close()
    return 0
