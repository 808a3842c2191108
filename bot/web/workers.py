"""``esignbot serve`` assembled from settings, in one process or as ``--workers N`` processes
sharing the port and the SQLite file.

Why uvicorn's own multi-process mode (``uvicorn.run("bot.web.workers:app", factory=True,
workers=N)``) rather than forking our own servers on a pre-bound socket: its supervisor binds the
socket once, starts each worker with ``spawn`` (a fresh interpreter, so no thread, SQLite
connection or aiohttp session of the parent is ever inherited half-way through a fork), pings
every worker and replaces one that dies or hangs, stops the whole server when a worker cannot
start (a broken setting would fail the same way in every restart), and on SIGTERM or SIGINT
sends SIGTERM to every worker and waits for each, so every worker's lifespan drains its
scheduler, its file-building child and its platforms as a single process does. Writing that
supervisor ourselves would be the same code, less tested.

What it asks of us: the app comes from a factory named by an import string (:func:`app`), the
HTTP protocol too (:data:`LimitedHttp`, built on first use from the settings), and whatever
``serve`` was told on its command line reaches the workers through the environment
(``ESIGNBOT_DB``), since a spawned worker starts from settings like any other process.

Why every worker runs the whole background (scheduler, mailbox watcher) and not one elected
worker: everything that must happen once is claimed in SQLite inside ``BEGIN IMMEDIATE`` — input
ids (``events``), reminders (``waits.last_reminded_on``), outbox rows (``claimed_by`` /
``claimed_until``), mail uids (``mail_seen``) — so N schedulers send each message once (tested
with two ``serve`` workers, ``tests/bot/web/test_workers.py``), and no election is needed that
could itself be lost when the elected worker dies. The migrations run once, in the parent,
before any worker starts.

What must be added up across workers — the counts of ``/metrics`` — goes through a directory
the parent makes for this run alone (:func:`metrics_directory`) and removes when it ends.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from bot import logs
from bot.background import background_work
from bot.files.process import FileBuilderProcess
from bot.mail.watch import MailConfigError
from bot.settings import ConfigError, Settings, load_settings
from bot.web.connections import connection_cap, limited_http
from bot.web.metrics import SHARED_DIRECTORY, Metrics, process_alive
from bot.web.server import build_app
from bot.wiring import build_dialogue, configured_platforms
from storage import CaseStore

STARTUP_FAILURE = 3
"""uvicorn's exit code for a worker that could not start: its supervisor then stops ``serve``
instead of restarting the worker for ever."""


NOTHING_TO_SERVE = (
    "Nothing to serve: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET for Slack, and/or "
    "WECOM_CORP_ID, WECOM_AGENT_ID, WECOM_SECRET, WECOM_TOKEN and WECOM_AES_KEY for WeCom "
    "(in the environment or .env)."
)


class NothingToServe(Exception):
    """No platform is configured (``serve`` prints :data:`NOTHING_TO_SERVE`)."""


@dataclass(frozen=True, slots=True)
class Assembled:
    app: Starlette
    level: str
    """The log level ``logs.configure`` chose, for uvicorn's own lines."""
    store: CaseStore
    """The app's database: ``serve``'s parent closes it once it has checked the settings."""


def assemble(settings: Settings, db: Path | None) -> Assembled:
    """The app ``serve`` runs: the dialogue on ``db``, every configured platform, and the work
    beside them (``bot.background``). Raises :class:`ConfigError` (or ``MailConfigError``)
    naming a setting to fix, or :class:`NothingToServe`."""
    level = logs.configure(settings)  # before the platforms: Slack pins its loggers' levels
    files = FileBuilderProcess()  # workbooks built off the event loop's GIL (bot/files/process.py)
    dialogue = build_dialogue(settings, db, files=files)
    metrics = Metrics(dialogue.store)  # /metrics (bot/web/metrics.py); the engine reports each turn
    dialogue.observers.append(metrics.count_turn)
    try:
        platforms = configured_platforms(settings, dialogue)
        work = background_work(settings, dialogue, platforms, files, metrics)
    except Exception:
        dialogue.store.close()
        raise
    if not platforms:
        dialogue.store.close()
        raise NothingToServe
    return Assembled(build_app(platforms, extra_startup=work.starts, extra_shutdown=work.stops,
                               final_shutdown=[*work.finals, metrics.close], probes=work.probes,
                               metrics=metrics),
                     level, dialogue.store)


def app() -> Starlette:
    """The factory each worker calls (``bot.web.workers:app``). A setting that fails here was
    checked by the parent already, so this is rare (the file changed in between): one sentence
    and uvicorn's startup-failure code, which stops ``serve`` rather than restarting the worker."""
    try:
        settings = load_settings()
        return assemble(settings, None).app
    except (ConfigError, MailConfigError) as problem:
        print(problem, file=sys.stderr)
    except NothingToServe:
        print(NOTHING_TO_SERVE, file=sys.stderr)
    sys.exit(STARTUP_FAILURE)


@functools.cache
def _limited_http() -> type[HttpToolsProtocol]:
    settings = load_settings()
    return limited_http(settings.esignbot_http_request_timeout,
                        connection_cap(settings.esignbot_http_max_connections))


def __getattr__(name: str) -> type[HttpToolsProtocol]:
    """``LimitedHttp``: the connection limits of ``bot.web.connections`` from this process's
    settings. Why a module attribute made on first use: uvicorn's workers load the protocol by
    import string (a class made by ``limited_http`` cannot be pickled to a spawned worker)."""
    if name == "LimitedHttp":
        return _limited_http()
    raise AttributeError(name)


METRICS_PREFIX = "esignbot-metrics-"


@contextlib.contextmanager
def metrics_directory() -> Iterator[Path]:
    """A new directory, readable by this user only, for the workers' counts
    (``PROMETHEUS_MULTIPROC_DIR``), removed when ``serve`` ends.

    Why new for each run and never one named in the settings: files left by an earlier run (or
    by another ``serve`` on the same machine) would be added to this one's counts. Its name
    carries the parent's process id, so a directory left by a ``serve`` killed before it could
    clean up (SIGKILL) is removed by the next start once that process is gone. In the system's
    temporary folder (``$TMPDIR``; systemd's ``PrivateTmp`` gives the service its own)."""
    parent = Path(tempfile.gettempdir())
    for old in parent.glob(METRICS_PREFIX + "*"):
        owner = old.name.removeprefix(METRICS_PREFIX).split("-", 1)[0]
        with contextlib.suppress(OSError, ValueError):
            if old.stat().st_uid == os.getuid() and not process_alive(int(owner)):
                shutil.rmtree(old)
    made = Path(tempfile.mkdtemp(prefix=f"{METRICS_PREFIX}{os.getpid()}-", dir=parent))
    try:
        yield made
    finally:
        shutil.rmtree(made, ignore_errors=True)


def run_workers(settings: Settings, *, db: Path | None, host: str, port: int, workers: int,
                level: str) -> None:
    """``workers`` uvicorn workers on one socket, supervised by this process until SIGTERM.

    The caller has assembled the app once here first (:func:`assemble`, not started): a setting
    to fix is then one sentence from the command, not N workers failing one after the other,
    and opening the store applied the migrations once, before any worker starts."""
    import uvicorn

    # The workers are spawned from settings: the database this command was given goes with them.
    os.environ["ESIGNBOT_DB"] = str((db or settings.esignbot_db).resolve())
    with metrics_directory() as shared:
        # Read by prometheus-client when a worker imports it: set before any worker starts.
        os.environ[SHARED_DIRECTORY] = str(shared)
        uvicorn.run("bot.web.workers:app", factory=True, workers=workers, host=host, port=port,
                    log_config=None, log_level=level.lower(), access_log=False,
                    http="bot.web.workers:LimitedHttp")
