"""The Slack app: bolt's ``AsyncApp`` behind ``POST /slack/events``, or over Socket Mode.

Why this shape:

- **Verify, commit, acknowledge, return.** The app runs with ``process_before_response``: each
  listener applies the input with ``dialogue.process`` (in a worker thread: SQLite never runs on
  the event loop), which commits the turn with its replies as outbox rows and its slow work as
  job rows, and only then acknowledges, so Slack is never told an answer arrived that is not on
  disk. Nothing is posted by a listener: every reply leaves through the outbox, sent by the
  delivery runtime through :meth:`SlackPlatform.deliver` (issue 27, one way out).
- **Nothing slow before the acknowledgement.** A person's name is the cached one or their id
  (the cache is refreshed in the background); a shared file is committed as a ``slack.file`` job
  and downloaded after the acknowledgement, then applied as its own turn; a reply in a thread
  not yet recorded as the case's is committed as a ``slack.message`` job that waits for the
  record. A crash after the acknowledgement resumes the job in another process. Acks stay a few
  milliseconds of SQLite, whatever Slack, the file host or the disk do.
- **Conversations.** ``slack:<team>:<channel>`` is one case: a channel's, or a DM's with the
  bot. In a channel only replies in the case's thread are answers (see ``storage/slack_threads``);
  ordinary chat is never read as one. In a DM every message is.
- **Retries.** Events carry Slack's ``event_id`` into ``Inbound.event_id``; the dialogue claims it
  in the transaction that commits the input (or the job it leaves), before the acknowledgement,
  so a retried delivery changes nothing and posts nothing. Slash commands and clicks, which
  Slack does not retry, use their one-time ``trigger_id``.
- **Trust.** ``bot.slack.body.read_request`` checks every request's signature and timestamp
  and answers 401 before bolt reads it (so bolt's own second check is off). A SecretKey typed
  into a message is never passed on (``handlers.credentials.secret_shapes``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import logging
import re
import signal
import time
from collections.abc import Awaitable, Callable, Coroutine
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
from slack_bolt.adapter.starlette.async_handler import to_starlette_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.credentials.checker import check_for_case
from bot.delivery.transport import Parcel, slack_mention
from bot.names import NameCache
from bot.offload import Offload
from bot.origins import Origin, origin, same_origin
from bot.settings import ConfigError, Settings
from bot.slack.body import read_request
from bot.slack.delivery import SlackDelivery, Where, parse_conversation
from bot.slack.home import publish_home
from bot.slack.keys import KEYS_CALLBACK, KeysSubmission, KeysTarget, read_submission
from bot.slack.manifest import COMMAND, EVENTS_PATH
from bot.slack.rate_limits import retry_handlers
from bot.slack.render import (
    ACTION_CHOICE,
    ACTION_KEYS,
    ACTION_MULTI_PICK,
    ACTION_MULTI_SUBMIT,
    answered_blocks,
    escape,
    parse_choice_value,
    selected_values,
)
from bot.uploads import CHUNK_BYTES, Receiving, areceive, declared_length
from bot.web.server import running
from handlers import Action, Dialogue, Inbound, InboundFile, Reply
from handlers.catalogue import t
from handlers.commands import parse_command
from handlers.credentials.commands import expects_app_id
from handlers.credentials.secret_shapes import looks_like_secret
from handlers.dialogue import Outcome
from handlers.flow import STEPS_BY_NAME
from handlers.jobs import JobContext
from storage.slack_threads import SlackCase

if TYPE_CHECKING:
    from bot.background import Background

log = logging.getLogger("esignbot.slack")
T = TypeVar("T")

FILE_JOB = "slack.file"
"""A file shared in a case: downloaded after the acknowledgement, then applied as its turn."""
MESSAGE_JOB = "slack.message"
"""A reply in a thread not yet recorded as the case's: decided once the record is there."""
THREAD_WAIT_TRIES = 30
THREAD_WAIT_SECONDS = 0.1
"""How long a reply in a not-yet-recorded thread waits for its record (in a job, after the
acknowledgement; a worker thread sleeps, nothing else waits)."""

Job = Callable[[], Awaitable[None]]
_AFTER_RESPONSE: ContextVar[list[Job] | None] = ContextVar("esignbot_slack_after", default=None)
"""Work a listener leaves for after the HTTP response (set per request by the endpoint): calls
that are not replies (a modal to open, a card to update, the Home tab), never a reply."""

_ANSWER_SUBTYPES = {None, "file_share", "thread_broadcast"}
_NAME_TIMEOUT_S = 5.0
_DOWNLOAD_TIMEOUT_S = 20.0
_FILE_JOB_TIMEOUT_S = 120.0
_DOWNLOAD_THREADS = 8
"""Shared files downloading (or replies waiting for their thread's record) at once."""
"""The longest a file job waits for its download on the event loop (a backstop: the download
has its own limits, ``_DOWNLOAD_TIMEOUT_S`` and ``bot.uploads``)."""
_SHUTDOWN_GRACE_S = 30.0
_FILE_FIELDS = ("id", "name", "title", "mimetype", "size", "url_private", "url_private_download")
"""What a file job keeps of Slack's file object (its payload): enough to fetch and check it."""


def _slack_size(file: dict[str, Any]) -> int | None:
    """The size Slack's file object declares (None when it says none)."""
    try:
        size = int(file["size"])
    except (KeyError, TypeError, ValueError):
        return None
    return size if size >= 0 else None


def _file_fields(file: dict[str, Any]) -> dict[str, Any]:
    return {name: file[name] for name in _FILE_FIELDS if file.get(name) is not None}


class UserNames:
    """Display names for the "who answered" of each answer (``bot.names.NameCache``).

    Never waited for: a listener takes the remembered name, or the name the input carries, or
    the id, and a person not remembered is looked up in the background (once at a time), so the
    next input has the name. The acknowledgement never waits on ``users.info``."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._cache = NameCache()
        self._looking: dict[str, asyncio.Task[None]] = {}

    def name(self, user_id: str, fallback: str = "") -> str:
        """The name to use now (on the event loop); an unknown person is looked up behind."""
        if not user_id:
            return fallback
        cached = self._cache.get(user_id)
        if cached is not None:
            return cached
        if user_id not in self._looking:
            task = asyncio.get_running_loop().create_task(self._look_up(user_id, fallback))
            self._looking[user_id] = task
            task.add_done_callback(lambda _: self._looking.pop(user_id, None))
        return fallback or user_id

    def known(self, user_id: str, fallback: str = "") -> str:
        """The remembered name, from any thread, without a look-up (a job's turn)."""
        return self._cache.get(user_id) or fallback or user_id

    async def _look_up(self, user_id: str, fallback: str) -> None:
        try:
            response = await asyncio.wait_for(self.client.users_info(user=user_id), _NAME_TIMEOUT_S)
        except (SlackApiError, aiohttp.ClientError, TimeoutError):
            self._cache.remember(user_id, None, fallback)
            return
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        self._cache.remember(user_id, str(
            profile.get("display_name") or profile.get("real_name") or user.get("real_name")
            or user.get("name") or ""), fallback)

    async def close(self) -> None:
        """Look-ups still running are dropped (a name is a courtesy)."""
        tasks = list(self._looking.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


def _level_pinned(name: str) -> logging.Logger:
    """The logger, with the level it has now set on it rather than inherited.

    Why: slack_sdk and bolt test ``logger.level <= DEBUG`` — the logger's own level, 0 when
    unset — before formatting a debug line, so with an inherited level every Web API call
    formatted its whole request and response only for the line to be dropped (about 4% of the
    server's CPU under load in a py-spy profile). Set ``logging`` up before building the app."""
    logger = logging.getLogger(name)
    if logger.level == logging.NOTSET:
        logger.setLevel(logger.getEffectiveLevel())
    return logger


class _TokenNotice(logging.Filter):
    """Drops bolt's "As you gave `client` as well, `token` will be unused.": bolt reads
    ``SLACK_BOT_TOKEN`` from the environment itself whenever no token is passed, so beside our
    client (which holds that very token) it warned once per start and per worker, about
    nothing. Only that sentence, by bolt's own text for it, is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped

        return record.getMessage() != warning_client_prioritized_and_token_skipped()


def _without_token_notice(logger: logging.Logger) -> logging.Logger:
    if not any(isinstance(f, _TokenNotice) for f in logger.filters):
        logger.addFilter(_TokenNotice())
    return logger


class SlackPlatform:
    """Slack as a :class:`bot.web.server.Platform`: its route, its listeners, and (as a
    :class:`~bot.delivery.transport.Transport`) posting the outbox into its conversations."""

    name = "slack"
    key = "slack:"
    posts_on_loop = True
    """The Web API client lives on the server's event loop (``bot.delivery.transport``)."""

    def __init__(
        self,
        dialogue: Dialogue,
        *,
        bot_token: str,
        api_url: str,
        signing_secret: str | None,
    ) -> None:
        self.dialogue = dialogue
        self.bot_token = bot_token
        self.api_url = api_url
        self._file_origins = file_origins(api_url)
        self._signing_secret = signing_secret
        self.client = AsyncWebClient(token=bot_token, base_url=api_url,
                                     logger=_level_pinned("esignbot.slack.api"),
                                     retry_handlers=retry_handlers())
        self.app = AsyncApp(
            client=self.client,
            signing_secret=signing_secret or "",
            # ``read_request`` has checked the signature of every request that reaches bolt.
            request_verification_enabled=False,
            process_before_response=True,
            logger=_without_token_notice(_level_pinned("esignbot.slack.bolt")),
        )
        self.offload = Offload("slack", turns=dialogue.writer)
        self.delivery = SlackDelivery(self.client, dialogue.store, dialogue.default_lang, self.offload)
        self.names = UserNames(self.client)
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.bot_user_id: str | None = None
        """The bot's own user id (``auth.test``), to know a message that @mentions it."""
        dialogue.job_runners[FILE_JOB] = self._file_job
        dialogue.job_runners[MESSAGE_JOB] = self._message_job
        self.job_lanes = {FILE_JOB: _DOWNLOAD_THREADS, MESSAGE_JOB: _DOWNLOAD_THREADS}
        """Threads of their own in the delivery runtime: downloads and the thread wait each
        hold a thread for seconds, and must not hold up workbook builds or key checks."""
        self._register()

    # -- Platform ----------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        return [Route(EVENTS_PATH, self._endpoint, methods=["POST"])]

    async def startup(self) -> None:
        self._loop = asyncio.get_running_loop()
        # One connection pool for every Web API call: without it slack_sdk opens a new aiohttp
        # session, and so a new TCP connection, per call (seen in a py-spy profile under load).
        self._session = aiohttp.ClientSession()
        self.client.session = self._session
        try:
            identity = await self.client.auth_test()
            self.bot_user_id = str(identity.get("user_id") or "") or None
        except SlackApiError as problem:
            log.warning("Slack auth.test failed (%s): check SLACK_BOT_TOKEN",
                        problem.response.get("error", "unknown"))
        except (aiohttp.ClientError, TimeoutError) as problem:
            log.warning("Slack API not reachable at start (%s)", type(problem).__name__)

    async def shutdown(self) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=_SHUTDOWN_GRACE_S)
        await self.names.close()
        await asyncio.to_thread(self.offload.close)
        if self._session is not None:
            self.client.session = None
            await self._session.close()
            self._session = None

    # -- Transport ---------------------------------------------------------------------------
    def mention(self, user_id: str, name: str) -> str:
        return slack_mention(user_id, name)

    def deliver(self, parcel: Parcel) -> Coroutine[Any, Any, None]:
        """One outbox row into Slack: where it goes is read in the runtime's sender thread,
        the posting runs on this app's event loop (``SlackDelivery.deliver``)."""
        return self.delivery.deliver(parcel)

    # -- plumbing ----------------------------------------------------------------------------
    async def _endpoint(self, request: Request) -> Response:
        prepared = await read_request(request, self._signing_secret)
        if isinstance(prepared, Response):  # forged or malformed: bolt never sees it
            return prepared
        pending: list[Job] = []
        token = _AFTER_RESPONSE.set(pending)
        try:
            response = to_starlette_response(await self.app.async_dispatch(prepared))
        finally:
            _AFTER_RESPONSE.reset(token)
        if pending:
            response.background = BackgroundTask(self._start_all, pending)
        return response

    async def _start_all(self, jobs: list[Job]) -> None:
        for job in jobs:
            self._spawn(job)

    def _after(self, job: Job) -> None:
        """Run ``job`` once the acknowledgement has been sent (at once in Socket Mode, where
        bolt sends it when the listener returns). Only for calls that are not replies."""
        pending = _AFTER_RESPONSE.get()
        if pending is None:
            self._spawn(job)
        else:
            pending.append(job)

    def _spawn(self, job: Job) -> None:
        task = asyncio.get_running_loop().create_task(self._guarded(job))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _guarded(job: Job) -> None:
        try:
            await job()
        except Exception:
            log.exception("Slack background work failed")

    def _on_loop(self, make: Callable[[], Coroutine[Any, Any, T]], timeout_s: float) -> T:
        """From a worker thread (a job): run a coroutine on the app's event loop, where its
        HTTP clients live, and wait for its result."""
        loop = self._loop
        if loop is None or loop.is_closed():
            raise RuntimeError("the Slack app is not running")
        future = asyncio.run_coroutine_threadsafe(make(), loop)
        try:
            return future.result(timeout_s)
        except TimeoutError:
            future.cancel()
            raise

    def _inbound(self, where: Where, user_name: str, *, event_id: str | None,
                 **what: Any) -> Inbound:
        return Inbound(platform="slack", conversation=where.conversation,
                       user_id=where.user or "", user_name=user_name, event_id=event_id,
                       private=where.dm, address=where.to_address(), **what)

    async def _process(self, inbound: Inbound) -> Outcome:
        return await self.offload.turn(self.dialogue.process, inbound)

    def _say(self, where: Where, user_name: str, event_id: str | None, *keys: str) -> Outcome:
        """The adapter's own sentences about an input, privately to its person, queued like
        any reply (with the input's id claimed: a retry says nothing twice). In a worker."""
        lang = self.delivery.conversation_lang(where.conversation)
        replies = [Reply(kind="info", text=t(key, lang), private=True) for key in keys]
        return self.dialogue.tell(self._inbound(where, user_name, event_id=event_id), replies)

    async def _leave(self, where: Where, user_name: str, event_id: str, kind: str,
                     payload: dict[str, Any]) -> Outcome:
        """Commit work for after the acknowledgement as a job, with the input's id claimed in
        the same transaction; the delivery runtime starts it at once."""
        inbound = self._inbound(where, user_name, event_id=event_id)
        return await self.offload.turn(
            lambda: self.dialogue.tell(inbound, [], jobs=[(kind, payload)]))

    def _register(self) -> None:
        self.app.command(COMMAND)(self._on_command)
        self.app.event("message")(self._on_message)
        self.app.event("app_home_opened")(self._on_home)
        self.app.action(re.compile(r"^esign:"))(self._on_action)
        self.app.view(KEYS_CALLBACK)(self._on_keys_submitted)

    # -- /esign ------------------------------------------------------------------------------
    async def _on_command(self, ack: AsyncAck, body: dict[str, Any], request: AsyncBoltRequest) -> None:
        channel = str(body.get("channel_id", ""))
        where = Where(
            team=str(body.get("team_id", "")), channel=channel, user=str(body.get("user_id", "")),
            dm=channel.startswith("D"), from_command=True,
            trigger_id=body.get("trigger_id"), response_url=body.get("response_url"),
            # A group DM's id looks like a channel's (C… or G…); only its name tells it apart.
            group_dm=str(body.get("channel_name") or "").startswith("mpdm-"),
        )
        text = str(body.get("text") or "").strip()
        event_id = input_id("command", body, request)
        user_name = self.names.name(where.user or "", str(body.get("user_name") or ""))
        if looks_like_secret(text, app_id_expected=expects_app_id("/" + text, None)):
            # Only Slack and we saw the command, but typed keys are never used: the form is
            # the one way in, so open it now (its trigger is valid for three seconds).
            known = await self.delivery.case(where.conversation)
            keys = ("slack.secret_in_command",) if known else ("err.no_case",
                                                               "slack.secret_in_command")
            told = await self.offload.turn(self._say, where, user_name, event_id, *keys)
            await ack()
            if known is not None and told.status != "duplicate":
                self._after(self._modal_opener(where, known))
            return
        await self.offload.turn(
            lambda: self._apply_command(where, text, event_id=event_id, user_name=user_name))
        await ack()

    def _apply_command(self, where: Where, text: str, *, event_id: str, user_name: str) -> Outcome:
        """``text`` as a command: ``/esign <text>``, or ``@esignbot <text>`` in the channel.
        Empty means help; a word that is no command gets help and a private note saying so
        (after it). In a worker thread."""
        unknown = ""
        if not text:
            text = "help"
        elif parse_command("/" + text) is None:
            unknown, text = text.split()[0][:40], "help"
        inbound = self._inbound(where, user_name, event_id=event_id, text="/" + text)
        outcome = self.dialogue.process(inbound)
        if unknown and outcome.status != "duplicate":
            lang = outcome.lang or self.delivery.conversation_lang(where.conversation)
            note = Reply(kind="error", text=t("slack.not_a_command", lang, word=unknown),
                         private=True)
            self.dialogue.tell(inbound.model_copy(update={"event_id": None}), [note])
        return outcome

    def _addressed(self, text: str) -> str | None:
        """What follows a leading @mention of the bot (``<@UBOT> status`` → ``status``);
        None when the message does not start by addressing the bot."""
        if not self.bot_user_id:
            return None
        found = re.match(rf"\s*<@{re.escape(self.bot_user_id)}(?:\|[^>]*)?>[\s:：,，]*(.*)",
                         text, re.DOTALL)
        return found.group(1).strip() if found else None

    # -- messages ----------------------------------------------------------------------------
    async def _on_message(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("bot_id") or event.get("subtype") not in _ANSWER_SUBTYPES or not event.get("user"):
            return
        channel = str(event.get("channel", ""))
        # Only a DM with the bot is private; a group DM ("mpim") is shared like a channel: its
        # case lives in a thread and personal data is masked there (docs/slack.md).
        dm = event.get("channel_type") == "im"
        thread_ts = event.get("thread_ts")
        where = Where(team=str(body.get("team_id") or event.get("team") or ""), channel=channel,
                      user=str(event["user"]), dm=dm, thread=thread_ts if not dm else None,
                      group_dm=event.get("channel_type") == "mpim")
        text = str(event.get("text") or "")
        key = str(body.get("event_id") or event.get("client_msg_id") or event.get("ts"))
        event_id = f"slack:event:{key}"
        known = await self.delivery.case(where.conversation) if (dm or thread_ts) else None
        # A reply can reach us between our posting the case's first message and our recording
        # its ts as the case's thread (a quick person, or Slack delivering the event before our
        # post's response): decided after the acknowledgement, once the record is there.
        unsure = not dm and bool(thread_ts) and known is not None and known.thread_ts is None
        in_case = dm or (known is not None and thread_ts is not None and thread_ts == known.thread_ts)
        step = (STEPS_BY_NAME.get(known.current_step or "")
                if known is not None and (in_case or unsure) else None)
        addressed = self._addressed(text)
        app_id_open = expects_app_id(addressed or text, step)
        if not dm and looks_like_secret(text, app_id_expected=app_id_open):
            # Anyone in the channel saw it: not used, and its poster told privately to rotate.
            # (In a DM the dialogue itself decides: a SecretId with its key there is a check.)
            await self.offload.turn(self._say, where, self.names.name(where.user or ""), event_id,
                                    "slack.secret_in_channel")
            return
        if not (in_case or unsure) and (addressed is None or dm):
            return  # ordinary channel chat, or a thread that is not the case's
        # Only for an input: a person who merely chats in the channel costs no look-up.
        user_name = self.names.name(where.user or "")
        files = [f for f in event.get("files") or [] if isinstance(f, dict)]
        if unsure:
            payload: dict[str, Any] = {"event": key, "thread": thread_ts, "text": text,
                                       "addressed": addressed, "user_name": user_name}
            if files:
                payload["file"] = _file_fields(files[0])
            await self._leave(where, user_name, event_id, MESSAGE_JOB, payload)
            return
        if not in_case and addressed is not None:  # "@esignbot status" in the channel: a command
            await self.offload.turn(lambda: self._apply_command(
                _in_channel(where), addressed, event_id=event_id, user_name=user_name))
            return
        if files:
            # Fetched after the acknowledgement (a file host may take its time), then applied
            # as its own turn: committed now as a job, so a crash after the ack resumes it.
            await self._leave(where, user_name, event_id, FILE_JOB,
                              {"event": key, "file": _file_fields(files[0]),
                               "user_name": user_name})
            return
        if addressed is not None:
            text = addressed  # "@esignbot 2" in the thread answers like "2"
        await self._process(self._inbound(where, user_name, event_id=event_id, text=text))

    # -- work after the acknowledgement (jobs, in the delivery runtime's worker threads) ----
    def _job_where(self, context: JobContext) -> Where:
        job = context.job
        where = Where.from_address(job.conversation, job.address, job.actor)
        if where is None or not where.user:
            raise ValueError(f"not a Slack input: job {job.id}")
        return where

    def _file_job(self, context: JobContext) -> list[Reply]:
        """Download the shared file whole (on the event loop, where the HTTP clients live)
        and apply it as its own turn; the sentence saying it could not be read otherwise."""
        where = self._job_where(context)
        payload = context.payload
        file = dict(payload.get("file") or {})
        fetched = self._on_loop(lambda: self._fetch_file(file, context.lang), _FILE_JOB_TIMEOUT_S)
        if isinstance(fetched, str):
            return [Reply(kind="info", text=fetched, private=True)]
        user_name = self.names.known(where.user or "", str(payload.get("user_name") or ""))
        # Its own id: a second run of this job (its process died) applies the file once.
        self.dialogue.process(self._inbound(where, user_name,
                                            event_id=f"slack:file:{payload.get('event')}",
                                            file=fetched))
        return []

    def _message_job(self, context: JobContext) -> list[Reply]:
        """A reply in a thread that was not yet the case's recorded thread: wait (here, not
        before the acknowledgement) for the record, then apply it if it is the case's."""
        where = self._job_where(context)
        payload = context.payload
        key = str(payload.get("event"))
        user_name = self.names.known(where.user or "", str(payload.get("user_name") or ""))
        addressed = payload.get("addressed")
        if not self._thread_recorded(where.conversation, str(payload.get("thread"))):
            if isinstance(addressed, str):  # "@esignbot status" in another thread: a command
                self._apply_command(_in_channel(where), addressed,
                                    event_id=f"slack:event:{key}:late", user_name=user_name)
            return []
        if payload.get("file"):
            return self._file_job(context)
        text = addressed if isinstance(addressed, str) else str(payload.get("text") or "")
        self.dialogue.process(self._inbound(where, user_name, event_id=f"slack:event:{key}:late",
                                            text=text))
        return []

    def _thread_recorded(self, conversation: str, thread: str) -> bool:
        """Whether ``thread`` is the case's thread, waiting briefly for a record on its way."""
        for attempt in range(THREAD_WAIT_TRIES + 1):
            case = self.delivery.read_case(conversation)
            if case is None:
                return False
            if case.thread_ts is not None:
                return case.thread_ts == thread
            if attempt < THREAD_WAIT_TRIES:
                time.sleep(THREAD_WAIT_SECONDS)
        return False

    async def _fetch_file(self, file: dict[str, Any], lang: str) -> InboundFile | str:
        """The whole file shared in the thread (or the dialogue's reason to refuse it: too large,
        or not arrived whole — ``bot.uploads``), or the sentence saying it could not be read."""
        name = str(file.get("name") or file.get("title") or "upload")
        mime = str(file["mimetype"]) if file.get("mimetype") else None
        early = Receiving(name, mime, declared=[_slack_size(file)]).too_large_already()
        if early is not None:
            return early  # refused without fetching it
        url = file.get("url_private_download") or file.get("url_private")
        if not url and file.get("id"):
            try:
                info = await self.client.files_info(file=str(file["id"]))
                file = dict(info.get("file") or {})
                url = file.get("url_private_download") or file.get("url_private")
            except (SlackApiError, aiohttp.ClientError, TimeoutError):
                url = None
        if not url or not self._trusted_file_host(str(url)):
            return t("slack.file_unreadable", lang)
        try:
            timeout = aiohttp.ClientTimeout(total=_DOWNLOAD_TIMEOUT_S)
            async with aiohttp.ClientSession(timeout=timeout) as session, session.get(
                # Never redirected with the token: a 3xx is not the file (aiohttp would follow
                # it, dropping the header only for another origin); refused like any non-200.
                str(url), headers={"Authorization": f"Bearer {self.bot_token}"},
                allow_redirects=False,
            ) as response:
                if response.status != 200:
                    return t("slack.file_unreadable", lang)
                # Slack's ``size`` and the host's Content-Length must both match what arrives.
                receiving = Receiving(name, mime, declared=[
                    _slack_size(file), declared_length(response.headers)])
                return await areceive(receiving, response.content.iter_chunked(CHUNK_BYTES),
                                      (aiohttp.ClientError, TimeoutError))
        except (aiohttp.ClientError, TimeoutError):
            return t("slack.file_unreadable", lang)

    def _trusted_file_host(self, url: str) -> bool:
        """The bot token is only ever sent to Slack's file origin, https://files.slack.com, or
        the configured API's origin (``SLACK_API_URL``: tests serve files from their fake):
        scheme, host and port all equal, so another port or plain http never sees it."""
        return trusted_file_url(url, self._file_origins)

    # -- buttons -----------------------------------------------------------------------------
    async def _on_action(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        action = (body.get("actions") or [{}])[0]
        action_id = str(action.get("action_id", ""))
        channel = str((body.get("channel") or {}).get("id")
                      or (body.get("container") or {}).get("channel_id") or "")
        message = body.get("message") or {}
        where = Where(
            team=str((body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or ""),
            channel=channel, user=str((body.get("user") or {}).get("id", "")),
            dm=channel.startswith("D"), thread=message.get("thread_ts"),
            trigger_id=body.get("trigger_id"), response_url=body.get("response_url"),
        )
        if action_id == ACTION_KEYS:
            known = await self.delivery.case(where.conversation) if channel and where.user else None
            if known is None and channel and where.user:
                await self.offload.turn(self._say, where, self.names.name(where.user),
                                        input_id("action", body), "err.no_case")
            await ack()
            if known is not None:
                self._after(self._modal_opener(where, known))
            return
        parsed = parse_choice_value(str(action.get("value", "")))
        if action_id == ACTION_MULTI_PICK or parsed is None or not channel or not where.user:
            await ack()  # ticking a checkbox: nothing to do until the submit button
            return
        step, value = parsed
        label = str((action.get("text") or {}).get("text", ""))
        if action_id == ACTION_MULTI_SUBMIT:
            state = body.get("state") or {}
            picked = selected_values(state, step)
            value = ",".join(picked) or "none"
            label = ", ".join(picked) or "—"
        elif not action_id.startswith(ACTION_CHOICE):
            await ack()
            return
        outcome = await self._process(self._inbound(
            where, self.names.name(where.user), event_id=input_id("action", body),
            action=Action(step=step, value=value[:200])))
        await ack()
        accepted = bool(outcome.replies) and not any(r.kind == "error" for r in outcome.replies)
        container = body.get("container") or {}
        if accepted and message.get("ts") and not container.get("is_ephemeral"):
            # Not a reply: the question's buttons give way to who chose what (an edit).
            lang = outcome.lang or self.dialogue.default_lang
            note = t("slack.chosen", lang, user=f"<@{where.user}>", choice=escape(label))
            blocks = answered_blocks(message.get("blocks") or [], note)
            ts, fallback = str(message["ts"]), str(message.get("text") or "")
            self._after(lambda: self.delivery.update_message(channel, ts, blocks, fallback))

    # -- the keys modal ----------------------------------------------------------------------
    def _modal_opener(self, where: Where, known: SlackCase) -> Job:
        async def open_modal() -> None:
            await self.delivery.open_keys_modal(where, known.lang, known.environment)
        return open_modal

    async def _on_keys_submitted(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        target = KeysTarget.from_metadata(str(view.get("private_metadata") or ""))
        if target is None:
            await ack()
            return
        submission, errors = read_submission(view, target.lang)
        if submission is None:
            await ack(response_action="errors", errors=errors)
            return
        user = body.get("user") or {}
        base = parse_conversation(target.conversation)
        user_id = str(user.get("id", ""))
        if base is None or not user_id:
            await ack()
            return
        user_name = self.names.name(user_id, str(user.get("name") or ""))
        # Claimed before the modal closes, with the "checking" note and the check itself (held
        # in memory: it holds the SecretKey): a replayed submission runs no second check.
        await self.offload.turn(self._start_check, target, base, user_id, user_name, submission,
                                input_id("view", body))
        await ack()

    def _start_check(self, target: KeysTarget, base: Where, user_id: str, user_name: str,
                     submission: KeysSubmission, event_id: str) -> Outcome:
        """The private "checking" note now, the check (it calls Tencent Cloud) as held work
        started after the commit; its report (no secret in it) follows in the case's thread."""
        known = self.delivery.read_case(target.conversation)
        where = Where(base.team, base.channel, user_id, base.dm,
                      known.thread_ts if known is not None and not base.dm else None)

        def check() -> list[Reply]:
            return check_for_case(
                self.dialogue, conversation=target.conversation, user_id=user_id,
                user_name=self.names.known(user_id, user_name), secret_id=submission.secret_id,
                secret_key=submission.secret_key, environment=submission.environment,
            )

        note = Reply(kind="info", text=t("slack.keys_checking", target.lang), private=True)
        return self.dialogue.tell(self._inbound(where, user_name, event_id=event_id), [note],
                                  held=[(check, "check")])

    # -- App Home ----------------------------------------------------------------------------
    async def _on_home(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab") not in (None, "home") or not event.get("user"):
            return
        user_id = str(event["user"])
        team_id = str(body.get("team_id") or "")
        self._after(lambda: publish_home(self.client, self.dialogue.store, user_id=user_id,
                                         team_id=team_id, default_lang=self.dialogue.default_lang))


def _in_channel(where: Where) -> Where:
    """A command said by @mentioning the bot in the channel: answered like ``/esign``."""
    return dataclasses.replace(where, thread=None, from_command=True)


SLACK_FILES: Origin = ("https", "files.slack.com", 443)


def file_origins(api_url: str) -> frozenset[Origin]:
    """Where the bot token may go to fetch a shared file: Slack's file host, and the origin
    of ``SLACK_API_URL`` (a proxy in front of Slack, or the tests' fake, serves files there)."""
    api_origin = origin(api_url)
    return frozenset({SLACK_FILES, *([api_origin] if api_origin else [])})


def trusted_file_url(url: str, allowed: frozenset[Origin]) -> bool:
    return same_origin(url, allowed)


def input_id(kind: str, body: dict[str, Any], request: AsyncBoltRequest | None = None) -> str:
    """The id under which an input is claimed once (``Inbound.event_id``).

    A click or slash command carries a one-time ``trigger_id``; a modal submission is one per
    modal and state, ``view.id`` + ``view.hash`` (a replay repeats both; a second genuine
    check opens a new modal). Without them, a digest of what makes the input itself: for a
    slash command its team, channel, user, text, one-time ``response_url`` and the request's
    signed timestamp — a replay of the same signed request repeats every one of them, while a
    person typing the same command again gets a new response URL and timestamp."""
    view = body.get("view") or {}
    if kind == "view" and view.get("id"):
        return f"slack:view:{view.get('id')}:{view.get('hash') or ''}"
    if body.get("trigger_id"):
        return f"slack:{kind}:{body['trigger_id']}"
    stamp = ""
    if request is not None:
        stamp = str((request.headers.get("x-slack-request-timestamp") or [""])[0])
    action = (body.get("actions") or [{}])[0]
    parts = [kind, stamp, *(str(body.get(k) or "") for k in (
        "team_id", "channel_id", "user_id", "command", "text", "response_url"))]
    parts += [json.dumps(v, sort_keys=True, default=str)
              for v in (body.get("team"), body.get("user"), body.get("channel"), action,
                        view.get("state"), (body.get("container") or {}).get("message_ts"))]
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:40]
    return f"slack:{kind}:h:{digest}"


def _secret(value: Any) -> str | None:
    """A ``SecretStr`` setting's value, or None when unset or blank."""
    if value is None:
        return None
    text = str(value.get_secret_value()).strip()
    return text or None


def _check_tokens(bot_token: str, app_token: str | None, api_url: str) -> None:
    if not bot_token.startswith("xoxb-"):
        raise ConfigError("SLACK_BOT_TOKEN must be the app's Bot User OAuth Token (xoxb-…), "
                            "from OAuth & Permissions.")
    if app_token is not None and not app_token.startswith("xapp-"):
        raise ConfigError("SLACK_APP_TOKEN must be an app-level token (xapp-…) with the "
                            "connections:write scope, from Basic Information.")
    if urlsplit(api_url).scheme not in {"http", "https"}:
        raise ConfigError("SLACK_API_URL must be an http(s) URL, e.g. https://slack.com/api/.")


def slack_http_settings(settings: Settings) -> tuple[str, str] | None:
    """The bot token and signing secret for Slack over HTTP: None when no SLACK_* token is set;
    a ConfigError naming what is missing or wrong when only some are. Builds nothing, so
    ``esignbot doctor`` asks it too."""
    bot_token = _secret(settings.slack_bot_token)
    signing_secret = _secret(settings.slack_signing_secret)
    app_token = _secret(settings.slack_app_token)
    if bot_token is None and signing_secret is None and app_token is None:
        return None
    missing = [name for name, value in (("SLACK_BOT_TOKEN", bot_token),
                                        ("SLACK_SIGNING_SECRET", signing_secret)) if value is None]
    if missing:
        hint = " (or run `esignbot slack --socket` for Socket Mode)" if app_token and bot_token else ""
        raise ConfigError(f"Slack is only partly configured: set {' and '.join(missing)} "
                            f"to serve Slack over HTTP{hint}.")
    assert bot_token is not None and signing_secret is not None
    _check_tokens(bot_token, app_token, settings.slack_api_url)
    return bot_token, signing_secret


def slack_platform(settings: Settings, dialogue: Dialogue) -> SlackPlatform | None:
    """Slack over HTTP for ``serve`` when its settings are present (:func:`slack_http_settings`)."""
    found = slack_http_settings(settings)
    if found is None:
        return None
    bot_token, signing_secret = found
    return SlackPlatform(dialogue, bot_token=bot_token, api_url=settings.slack_api_url,
                         signing_secret=signing_secret)


def socket_platform(settings: Settings, dialogue: Dialogue) -> tuple[SlackPlatform, str]:
    """Slack over Socket Mode for ``esignbot slack --socket``: the app and its app-level token."""
    bot_token = _secret(settings.slack_bot_token)
    app_token = _secret(settings.slack_app_token)
    missing = [name for name, value in (("SLACK_BOT_TOKEN", bot_token),
                                        ("SLACK_APP_TOKEN", app_token)) if value is None]
    if missing:
        raise ConfigError(f"Socket Mode needs {' and '.join(missing)} (in the environment or .env).")
    assert bot_token is not None and app_token is not None
    _check_tokens(bot_token, app_token, settings.slack_api_url)
    platform = SlackPlatform(dialogue, bot_token=bot_token, api_url=settings.slack_api_url,
                             signing_secret=None)
    return platform, app_token


async def run_socket_mode(platform: SlackPlatform, app_token: str, work: Background) -> None:
    """Connect to Slack over a WebSocket and serve until interrupted (no public URL needed),
    with the same work beside it as ``serve`` (scheduler, mail watcher, file builder).
    SIGTERM (a service manager stopping it) ends it as gracefully as Ctrl-C."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    if task is not None:
        with contextlib.suppress(NotImplementedError, RuntimeError):  # no signals off Unix
            loop.add_signal_handler(signal.SIGTERM, task.cancel)
    handler = AsyncSocketModeHandler(platform.app, app_token)
    async with running([platform], work.starts, work.stops, work.finals):
        try:
            await handler.start_async()  # type: ignore[no-untyped-call]
        except asyncio.CancelledError:
            pass  # stopped: shut down in order below
        finally:
            await handler.close_async()  # type: ignore[no-untyped-call]
