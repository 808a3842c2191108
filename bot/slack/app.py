"""The Slack app: bolt's ``AsyncApp`` behind ``POST /slack/events``, or over Socket Mode.

Why this shape:

- **Commit, then acknowledge.** The app runs with ``process_before_response``: each listener
  applies the input with ``dialogue.process`` (in a worker thread: SQLite never runs on the
  event loop), and only then acknowledges, so Slack is never told an answer arrived that is not
  on disk. Posting the replies and any slow work (the credential check, uploads) is scheduled to
  start once the HTTP response has gone out (a Starlette background task), so every
  acknowledgement is a few milliseconds of SQLite, whatever the command does afterwards.
- **Conversations.** ``slack:<team>:<channel>`` is one case: a channel's, or a DM's with the
  bot. In a channel only replies in the case's thread are answers (see ``storage/slack_threads``);
  ordinary chat is never read as one. In a DM every message is.
- **Retries.** Events carry Slack's ``event_id`` into ``Inbound.event_id``; the dialogue claims it
  in the turn's transaction, so a retried delivery changes nothing and posts nothing. Slash
  commands and clicks, which Slack does not retry, use their one-time ``trigger_id``.
- **Trust.** ``bot.slack.body.read_request`` checks every request's signature and timestamp
  and answers 401 before bolt reads it (so bolt's own second check is off). A SecretKey typed
  into a message is never passed on (``handlers.credentials.secret_shapes``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import re
import signal
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any
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
from bot.names import NameCache
from bot.origins import Origin, origin, same_origin
from bot.settings import ConfigError, Settings
from bot.slack.body import read_request
from bot.slack.delivery import SlackDelivery, Where, parse_conversation
from bot.slack.home import publish_home
from bot.slack.keys import KEYS_CALLBACK, KeysSubmission, KeysTarget, read_submission
from bot.slack.manifest import COMMAND, EVENTS_PATH
from bot.slack.offload import Offload
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
    split_lead,
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
from storage.slack_threads import SlackCase

if TYPE_CHECKING:
    from bot.background import Background

log = logging.getLogger("esignbot.slack")
THREAD_WAIT_TRIES = 15
THREAD_WAIT_SECONDS = 0.1
"""How long a reply in a not-yet-recorded thread waits for its record (well inside Slack's 3 s)."""

Job = Callable[[], Awaitable[None]]
_AFTER_RESPONSE: ContextVar[list[Job] | None] = ContextVar("esignbot_slack_after", default=None)
"""Work a listener leaves for after the HTTP response (set per request by the endpoint)."""

_ANSWER_SUBTYPES = {None, "file_share", "thread_broadcast"}
_NAME_TIMEOUT_S = 1.5
_DOWNLOAD_TIMEOUT_S = 20.0
_SHUTDOWN_GRACE_S = 30.0


def _slack_size(file: dict[str, Any]) -> int | None:
    """The size Slack's file object declares (None when it says none)."""
    try:
        size = int(file["size"])
    except (KeyError, TypeError, ValueError):
        return None
    return size if size >= 0 else None


class UserNames:
    """Display names for the "who answered" of each answer (``bot.names.NameCache``).

    A lookup that fails or is slow falls back to the id: the acknowledgement must stay inside
    Slack's three seconds."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._cache = NameCache()

    async def name(self, user_id: str, fallback: str = "") -> str:
        cached = self._cache.get(user_id)
        if cached is not None:
            return cached
        try:
            response = await asyncio.wait_for(self.client.users_info(user=user_id), _NAME_TIMEOUT_S)
        except (SlackApiError, aiohttp.ClientError, TimeoutError):
            return self._cache.remember(user_id, None, fallback)
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        return self._cache.remember(user_id, str(
            profile.get("display_name") or profile.get("real_name") or user.get("real_name")
            or user.get("name") or ""), fallback)


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


@dataclass(frozen=True, slots=True)
class TurnResult:
    """One input applied, with the case read in the same worker call on either side of it:
    ``before`` as the input found it (its thread is where a cancelled case's last words go),
    ``after`` as the turn left it (language, thread), so posting needs no lookup of its own."""

    outcome: Outcome
    before: SlackCase | None
    after: SlackCase | None


class SlackPlatform:
    """Slack as a :class:`bot.web.server.Platform`: its route, and posting into its conversations."""

    name = "slack"

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
        self.offload = Offload("slack")
        self.delivery = SlackDelivery(self.client, dialogue.store, dialogue.default_lang, self.offload)
        self.names = UserNames(self.client)
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None
        self.bot_user_id: str | None = None
        """The bot's own user id (``auth.test``), to know a message that @mentions it."""
        self._register()

    # -- Platform ----------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        return [Route(EVENTS_PATH, self._endpoint, methods=["POST"])]

    async def startup(self) -> None:
        # One connection pool for every Web API call: without it slack_sdk opens a new aiohttp
        # session, and so a new TCP connection, per call (seen in a py-spy profile under load).
        self._session = aiohttp.ClientSession()
        self.client.session = self._session
        await self.delivery.load_waiting()
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
        await asyncio.to_thread(self.offload.close)
        if self._session is not None:
            self.client.session = None
            await self._session.close()
            self._session = None

    async def send(self, conversation: str, replies: Sequence[Reply]) -> None:
        where = parse_conversation(conversation)
        if where is None:
            raise ValueError(f"not a Slack conversation: {conversation!r}")
        # The scheduler puts its mention first; everything after it is escaped like any text.
        lead, first = split_lead(replies[0].text) if replies else ("", "")
        if lead:
            replies = [replies[0].model_copy(update={"text": first}), *replies[1:]]
        await self.delivery.post(replies, where, strict=True, lead=lead)

    async def send_for(self, conversation: str, replies: Sequence[Reply], actor: str) -> None:
        """A live reply that waited in the outbox, posted as its turn would have (private
        replies ephemeral to ``actor``); raises when Slack still does not take it."""
        where = parse_conversation(conversation)
        if where is None:
            raise ValueError(f"not a Slack conversation: {conversation!r}")
        await self.delivery.post(replies, Where(where.team, where.channel, actor or None, where.dm),
                                 drain=True)

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
        bolt sends it when the listener returns)."""
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

    async def _process(self, inbound: Inbound) -> TurnResult:
        return await self.offload.turn(self._turn, inbound)

    def _turn(self, inbound: Inbound) -> TurnResult:
        before = self.delivery.read_case(inbound.conversation)
        outcome = self.dialogue.process(inbound)
        return TurnResult(outcome, before, self.delivery.read_case(inbound.conversation))

    def _deliver(self, result: TurnResult, where: Where, before: Job | None = None,
                 notes: Sequence[Reply] = ()) -> Job:
        """The replies, then each piece of slow work and its replies, in order."""
        outcome = result.outcome
        was, now = result.before, result.after
        # A turn that ended its case (cancel) still answers in that case's thread; one that
        # replaced it (``start prod`` after a finished case) starts the new case's thread.
        thread = was.thread_ts if was and (now is None or now.case_id == was.case_id) else None
        lang = self.delivery.lang_of(result.after or result.before)

        async def job() -> None:
            if before is not None:
                await before()
            await self.delivery.post([*notes, *outcome.replies], where, thread=thread,
                                     case=result.after)
            for later in outcome.later:
                replies = await self.offload.slow(self.dialogue.run_later, later, lang)
                await self.delivery.post(replies, Where(where.team, where.channel, where.user,
                                                        where.dm, where.thread), thread=thread)
        return job

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
        if looks_like_secret(text, app_id_expected=expects_app_id("/" + text, None)):
            # Only Slack and we saw the command, but typed keys are never used: the form is
            # the one way in, so open it now.
            await ack()

            async def refuse() -> None:
                await self._open_keys(where)  # first: its trigger is valid for three seconds
                lang = self.delivery.lang_of(await self.delivery.case(where.conversation))
                await self.delivery.ephemeral_text(where, t("slack.secret_in_command", lang))
            self._after(refuse)
            return
        await self._command(where, text, event_id=input_id("command", body, request),
                            user_name=str(body.get("user_name") or ""), ack=ack)

    async def _command(self, where: Where, text: str, *, event_id: str, user_name: str = "",
                       ack: AsyncAck | None = None) -> None:
        """``text`` as a command: ``/esign <text>``, or ``@esignbot <text>`` in the channel.
        Empty means help; a word that is no command gets help and a private note saying so."""
        unknown = ""
        if not text:
            text = "help"
        elif parse_command("/" + text) is None:
            unknown, text = text.split()[0][:40], "help"
        inbound = Inbound(
            platform="slack", conversation=where.conversation, user_id=where.user or "",
            user_name=await self.names.name(where.user or "", user_name),
            text="/" + text, event_id=event_id, private=where.dm,
        )
        result = await self._process(inbound)
        if ack is not None:
            await ack()
        lang = self.delivery.lang_of(result.after or result.before)
        notes = [Reply(kind="error", text=t("slack.not_a_command", lang, word=unknown),
                       private=True)] if unknown else []
        self._after(self._deliver(result, where, notes=notes))

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
        known = await self.delivery.case(where.conversation) if (dm or thread_ts) else None
        if not dm and thread_ts and known is not None and known.thread_ts is None:
            known = await self._thread_recorded(where.conversation, known)
        in_case = dm or (known is not None and thread_ts is not None and thread_ts == known.thread_ts)
        step = STEPS_BY_NAME.get(known.current_step or "") if known is not None and in_case else None
        app_id_open = expects_app_id(self._addressed(text) or text, step)
        if not dm and looks_like_secret(text, app_id_expected=app_id_open):
            # Anyone in the channel saw it: not used, and its poster told privately to rotate.
            # (In a DM the dialogue itself decides: a SecretId with its key there is a check.)
            if known is None:
                known = await self.delivery.case(where.conversation)
            lang = self.delivery.lang_of(known)
            self._after(lambda: self.delivery.ephemeral_text(where, t("slack.secret_in_channel", lang)))
            return
        addressed = self._addressed(text)
        if not in_case:
            if addressed is not None and not dm:  # "@esignbot status" in the channel: a command
                event_id = body.get("event_id") or event.get("client_msg_id") or event.get("ts")
                channel_where = Where(team=where.team, channel=channel, user=where.user,
                                      from_command=True, group_dm=where.group_dm)
                await self._command(channel_where, addressed, event_id=f"slack:event:{event_id}")
            return  # otherwise ordinary channel chat, or a thread that is not the case's
        if addressed is not None:
            text = addressed  # "@esignbot 2" in the thread answers like "2"
        upload: InboundFile | None = None
        files = [f for f in event.get("files") or [] if isinstance(f, dict)]
        if files:
            fetched = await self._fetch_file(files[0], self.delivery.lang_of(known))
            if isinstance(fetched, str):
                problem: str = fetched
                self._after(lambda: self.delivery.ephemeral_text(where, problem))
                return
            upload = fetched
        inbound = Inbound(
            platform="slack", conversation=where.conversation, user_id=where.user or "",
            user_name=await self.names.name(where.user or ""),
            text="" if upload else text, file=upload,
            event_id=f"slack:event:{body.get('event_id') or event.get('client_msg_id') or event.get('ts')}",
            private=dm,
        )
        self._after(self._deliver(await self._process(inbound), where))

    async def _thread_recorded(self, conversation: str, known: SlackCase) -> SlackCase:
        """A reply can reach us between our posting the case's first message and our recording
        its ts as the case's thread (a quick person, or Slack delivering the event before our
        post's response): wait briefly for the record rather than drop the answer as chat."""
        for _ in range(THREAD_WAIT_TRIES):
            await asyncio.sleep(THREAD_WAIT_SECONDS)
            latest = await self.delivery.case(conversation)
            if latest is None or latest.thread_ts is not None:
                return latest or known
        return known

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
            await ack()
            self._after(lambda: self._open_keys(where))
            return
        parsed = parse_choice_value(str(action.get("value", "")))
        if action_id == ACTION_MULTI_PICK or parsed is None or not channel:
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
        inbound = Inbound(
            platform="slack", conversation=where.conversation, user_id=where.user or "",
            user_name=await self.names.name(where.user or ""),
            action=Action(step=step, value=value[:200]),
            event_id=input_id("action", body), private=where.dm,
        )
        result = await self._process(inbound)
        outcome = result.outcome
        await ack()
        accepted = bool(outcome.replies) and not any(r.kind == "error" for r in outcome.replies)
        before: Job | None = None
        container = body.get("container") or {}
        if accepted and message.get("ts") and not container.get("is_ephemeral"):
            lang = self.delivery.lang_of(result.after or result.before)
            note = t("slack.chosen", lang, user=f"<@{where.user}>", choice=escape(label))
            blocks = answered_blocks(message.get("blocks") or [], note)

            async def before_job() -> None:
                await self.delivery.update_message(channel, str(message["ts"]), blocks,
                                                   str(message.get("text") or ""))
            before = before_job
        self._after(self._deliver(result, where, before=before))

    # -- the keys modal ----------------------------------------------------------------------
    async def _open_keys(self, where: Where) -> None:
        known = await self.delivery.case(where.conversation)
        if known is None:
            await self.delivery.ephemeral_text(where, t("err.no_case", self.delivery.lang_of(None)))
            return
        await self.delivery.open_keys_modal(where, known.lang, known.environment)

    async def _on_keys_submitted(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        target = KeysTarget.from_metadata(str(view.get("private_metadata") or ""))
        if target is None:
            await ack()
            return
        submission, errors = read_submission(view, target.lang)
        if submission is None:
            await ack(response_action="errors", errors=errors)
            return
        # Claimed before the modal closes, like any input: a replayed submission runs no
        # second check (and no second round of calls to Tencent Cloud).
        if not await self.offload.turn(self._claim_input, input_id("view", body)):
            await ack()
            return
        await ack()
        user = body.get("user") or {}
        where = parse_conversation(target.conversation)
        if where is None:
            return
        where = Where(where.team, where.channel, str(user.get("id", "")), where.dm)
        self._after(lambda: self._run_check(target, where, str(user.get("name") or ""), submission))

    def _claim_input(self, event_id: str) -> bool:
        """Record an input the dialogue does not take itself; False when it was seen before."""
        with self.dialogue.store.transaction() as tx:
            return tx.claim_event(event_id, self.dialogue.clock().astimezone(UTC).isoformat(
                timespec="seconds"))

    async def _run_check(self, target: KeysTarget, where: Where, fallback_name: str,
                         submission: KeysSubmission) -> None:
        """The check, after the modal closed: a private "checking" note, the check in a worker
        thread (it calls Tencent Cloud), then its report (no secret in it) in the case's thread."""
        known = await self.delivery.case(target.conversation)
        if known is not None and not where.dm:
            where = Where(where.team, where.channel, where.user, where.dm, known.thread_ts)
        await self.delivery.ephemeral_text(where, t("slack.keys_checking", target.lang))
        user_name = await self.names.name(where.user or "", fallback_name)
        replies = await self.offload.slow(self._check, target, where, user_name, submission)
        await self.delivery.post(replies, where)

    def _check(self, target: KeysTarget, where: Where, user_name: str,
               submission: KeysSubmission) -> list[Reply]:
        return self.dialogue.run_later(
            lambda: check_for_case(
                self.dialogue, conversation=target.conversation, user_id=where.user or "",
                user_name=user_name, secret_id=submission.secret_id,
                secret_key=submission.secret_key, environment=submission.environment,
            ),
            target.lang,
        )

    # -- App Home ----------------------------------------------------------------------------
    async def _on_home(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab") not in (None, "home") or not event.get("user"):
            return
        user_id = str(event["user"])
        team_id = str(body.get("team_id") or "")
        self._after(lambda: publish_home(self.client, self.dialogue.store, user_id=user_id,
                                         team_id=team_id, default_lang=self.dialogue.default_lang))


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
