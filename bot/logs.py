"""Log lines for the long-running modes (``serve``, ``slack --socket``, the console's stderr).

Why one module: an operator reads the lines of every part — the dialogue, the scheduler, the
mail watcher, uvicorn — in one place and one shape, each with its time and level, as text for a
person or as one JSON object per line for a log collector (``ESIGNBOT_LOG_FORMAT=json``).

What goes in a line is decided where it is logged, and the practice there holds: ids, counts,
conversation keys and error types, never a message's text, an ID or phone number, or a secret.
Other libraries are held at WARNING whatever ``ESIGNBOT_LOG_LEVEL`` says, because some of them
write whole request URLs (WeCom's carry ``access_token`` and ``corpsecret``) or message bodies
at INFO and DEBUG; esignbot's own loggers and uvicorn's follow the setting.

The JSON formatter is the standard library's ``json`` over a ``logging.Formatter``: six fields
and the access log's few extras do not call for a dependency.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import sys
from datetime import datetime
from typing import Any, TextIO

from bot.settings import ConfigError, Settings

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("text", "json")
OWN_LOGGERS = ("esignbot", "uvicorn", "uvicorn.error")
"""Loggers that follow ``ESIGNBOT_LOG_LEVEL``; every other library's stays at WARNING."""
QUIET_LIBRARIES = ("slack_bolt", "slack_sdk", "urllib3", "requests", "httpx", "httpcore",
                   "aiohttp", "wechatpy", "tencentcloud", "asyncio", "multipart")
"""Pinned at WARNING explicitly (not only inherited): slack_sdk and bolt test their own level
before formatting a debug line (see ``bot.slack.app._level_pinned``)."""
EXTRAS = ("method", "path", "status", "duration_ms", "client")
"""Fields a line may carry besides its message (the access log's), copied into JSON lines."""


def _timestamp(record: logging.LogRecord) -> str:
    """ISO 8601 with milliseconds and the UTC offset: unambiguous whatever the host's zone."""
    return datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds")


class TextFormatter(logging.Formatter):
    """``2026-12-01T10:00:00.123+08:00 INFO esignbot.scheduler: message``; in a worker of
    ``serve --workers N``, ``esignbot.scheduler[4242]:`` with the worker's process id. Why only
    there: the workers write into the stream of the process systemd or Docker started, which
    names every line with that one process; a single process is named by its journal already."""

    def __init__(self) -> None:
        super().__init__()
        self.worker = multiprocessing.parent_process() is not None

    def format(self, record: logging.LogRecord) -> str:
        name = f"{record.name}[{record.process}]" if self.worker else record.name
        line = f"{_timestamp(record)} {record.levelname} {name}: {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time``, ``level``, ``logger``, ``message``, ``worker`` (the
    process id: with ``serve --workers N`` which worker wrote it, as ``/metrics`` names them),
    the access log's fields when present, and ``exception`` (the traceback as one string) when
    there is one."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {"time": _timestamp(record), "level": record.levelname,
                                "logger": record.name, "message": record.getMessage(),
                                "worker": record.process}
        for name in EXTRAS:
            if name in record.__dict__:
                data[name] = record.__dict__[name]
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def log_level(settings: Settings) -> str:
    """``ESIGNBOT_LOG_LEVEL`` checked; raises :class:`ConfigError` naming it."""
    level = settings.esignbot_log_level.strip().upper()
    if level not in LEVELS:
        raise ConfigError(f"ESIGNBOT_LOG_LEVEL must be one of {', '.join(LEVELS)}, "
                          f"not {settings.esignbot_log_level!r}.")
    return level


def log_format(settings: Settings) -> str:
    """``ESIGNBOT_LOG_FORMAT`` checked; raises :class:`ConfigError` naming it."""
    chosen = settings.esignbot_log_format.strip().lower()
    if chosen not in FORMATS:
        raise ConfigError(f"ESIGNBOT_LOG_FORMAT must be text or json, "
                          f"not {settings.esignbot_log_format!r}.")
    return chosen


def configure(settings: Settings, *, stream: TextIO | None = None,
              default_level: str | None = None, handler: logging.Handler | None = None) -> str:
    """Send every log line to ``stream`` (stderr) in the chosen format; returns the level.

    ``default_level`` replaces INFO when ``ESIGNBOT_LOG_LEVEL`` is not set (the console: a
    person's terminal shows warnings, not the scheduler's routine). Call it before building the
    platforms: the Slack adapter pins its libraries' levels when it is built. ``handler``
    replaces the stream (the console's log file, opened on its first line)."""
    level = log_level(settings)
    if default_level is not None and "esignbot_log_level" not in settings.model_fields_set:
        level = default_level
    handler = handler or logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format(settings) == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(level)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
    return level
