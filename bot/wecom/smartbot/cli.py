"""``esignbot wecom --bot``: the WeCom smart bot over its long connection, no public URL.

Why a sub-command as ``slack --socket`` is one: it holds a WebSocket instead of serving HTTP, so
a laptop or a server behind a firewall can run it. ``serve`` opens the same connection too when
``WECOM_BOT_ID`` and ``WECOM_BOT_SECRET`` are set, beside its HTTP endpoints.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path

from bot import logs
from bot.settings import ConfigError, load_settings
from bot.wiring import build_dialogue

USAGE = ("Use `esignbot wecom --bot` for the smart bot's long connection (WECOM_BOT_ID and "
         "WECOM_BOT_SECRET), or `esignbot serve` for the self-built app's HTTP callback; "
         "`esignbot guide wecom-bot` says which to choose.")
def run_wecom(args: argparse.Namespace) -> int:
    if not args.bot:
        print(USAGE, file=sys.stderr)
        return 2
    from bot.background import background_work
    from bot.files.process import FileBuilderProcess
    from bot.mail.watch import MailConfigError
    from bot.wecom.smartbot.platform import wecom_bot_platform

    settings = load_settings()
    logs.configure(settings)
    files = FileBuilderProcess()
    dialogue = build_dialogue(settings, Path(args.db) if args.db else None, files=files)
    try:
        platform = wecom_bot_platform(settings, dialogue)
        if platform is None:
            raise ConfigError("The smart bot needs WECOM_BOT_ID and WECOM_BOT_SECRET (in the "
                              "environment or .env); steps: `esignbot guide wecom-bot`.")
        work = background_work(settings, dialogue, [platform], files)
    except (ConfigError, MailConfigError) as problem:
        dialogue.store.close()
        print(problem, file=sys.stderr)
        return 2
    try:
        return asyncio.run(_serve(platform, work))
    except KeyboardInterrupt:
        return 0
    finally:
        dialogue.store.close()


async def _serve(platform: object, work: object) -> int:
    from bot.background import Background
    from bot.web.server import running
    from bot.wecom.smartbot.connection import AuthRefused, TakenOver
    from bot.wecom.smartbot.platform import WeComBotPlatform

    assert isinstance(platform, WeComBotPlatform) and isinstance(work, Background)
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    if task is not None:
        with contextlib.suppress(NotImplementedError, RuntimeError):  # no signals off Unix
            loop.add_signal_handler(signal.SIGTERM, task.cancel)
    async with running([platform], work.starts, work.stops, work.finals):
        assert platform.task is not None
        try:
            await asyncio.shield(platform.task)
        except asyncio.CancelledError:
            return 0  # stopped (Ctrl-C, SIGTERM): shut down in order
        except AuthRefused:
            return 2  # said in the log, in the words of ``REFUSED``
        except TakenOver:
            return 1
    return 0
