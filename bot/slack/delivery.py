"""Posting the dialogue's replies into Slack, each where it belongs.

Why one object owns this: where a reply goes depends on the case, not on the reply. In a
channel, the case's first message becomes the root of its thread and everything after it goes
into that thread; a reply meant for one person is ephemeral to them; a file is uploaded with
``files_upload_v2`` into the thread; in a DM with the bot everything is a plain message. A lock
per conversation keeps replies in order and lets exactly one post become a case's thread root.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.slack.keys import KeysTarget, keys_modal
from bot.slack.offload import Offload
from bot.slack.render import (
    batches,
    escape,
    fallback_text,
    keys_prompt_blocks,
    reply_blocks,
    thread_root_blocks,
)
from handlers.catalogue import t
from handlers.shapes import Reply, reply_row
from storage import CaseStore
from storage import waits as outbox
from storage.slack_threads import SlackCase, claim_thread, slack_case

log = logging.getLogger("esignbot.slack")

_NOT_THERE = {"not_in_channel", "channel_not_found", "is_archived"}
_FOR_NOW = {"ratelimited", "rate_limited", "service_unavailable", "fatal_error", "internal_error",
            "request_timeout"}
"""Slack error codes that say "not now" rather than "never": the reply waits in the outbox."""


@dataclass(frozen=True, slots=True)
class Where:
    """Where an input came from, and so where its replies go.

    ``thread`` is the thread the person acted in (ephemeral replies appear there); ``dm`` is a
    direct message with the bot, whose replies are ordinary messages; ``from_command`` marks a
    slash command typed in the channel, whose first public reply in the case's thread is also
    shown in the channel so the person sees it. ``group_dm`` marks a group DM (several people
    and the bot): shared like a channel, so only telling someone the bot is not there differs.
    """

    team: str
    channel: str
    user: str | None = None
    dm: bool = False
    thread: str | None = None
    from_command: bool = False
    trigger_id: str | None = None
    response_url: str | None = None
    group_dm: bool = False

    @property
    def conversation(self) -> str:
        return conversation_key(self.team, self.channel)


def conversation_key(team: str, channel: str) -> str:
    """One case per Slack conversation: a channel, or a DM with the bot."""
    return f"slack:{team}:{channel}"


def parse_conversation(conversation: str) -> Where | None:
    parts = conversation.split(":")
    if len(parts) != 3 or parts[0] != "slack" or not parts[1] or not parts[2]:
        return None
    return Where(team=parts[1], channel=parts[2], dm=parts[2].startswith("D"))


def _route(reply: Reply, where: Where) -> str:
    """How a reply travels: the keys modal, a file upload, ephemeral, or a public message."""
    if reply.kind == "credentials":
        return "credentials"
    if reply.file is not None:
        return "file"
    if reply.private and where.user and not where.dm:
        return "ephemeral"
    return "public"


class DeliveryError(Exception):
    """Slack refused a post (its error codes only: never the text)."""


_FAILURES: ContextVar[list[str] | None] = ContextVar("esignbot_slack_failures", default=None)
"""What Slack refused during the current ``post`` (each asyncio task has its own)."""


class _Gone(Exception):
    """The bot cannot post in this channel (not a member, archived)."""


class _Busy(Exception):
    """Slack did not take a call for now: still rate limited after the SDK's retries, a server
    error, or unreachable. What is left of the post waits in the outbox."""


def _for_now(problem: SlackApiError) -> bool:
    status = getattr(problem.response, "status_code", 200)
    return status == 429 or status >= 500 or str(problem.response.get("error")) in _FOR_NOW


def _failed(what: str) -> None:
    failures = _FAILURES.get()
    if failures is not None:
        failures.append(what)


class SlackDelivery:
    def __init__(self, client: AsyncWebClient, store: CaseStore, default_lang: str,
                 offload: Offload) -> None:
        self.client = client
        self.store = store
        self.default_lang = default_lang
        self.offload = offload
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiting: set[str] = set()
        """Conversations with live replies queued in the outbox: newer ones queue behind them."""

    async def load_waiting(self) -> None:
        """At start: the conversations whose replies a previous run queued and not delivered."""
        def read() -> set[str]:
            with self.store.snapshot() as tx:
                return outbox.conversations_with_replies_waiting(tx, "slack:")
        self._waiting |= await self.offload.lookup(read)

    # -- reading the case (in a worker thread: SQLite never runs on the event loop) --------
    async def case(self, conversation: str) -> SlackCase | None:
        return await self.offload.lookup(self.read_case, conversation)

    def read_case(self, conversation: str) -> SlackCase | None:
        with self.store.snapshot() as tx:
            return slack_case(tx, conversation)

    def _claim(self, case_id: int, channel: str, ts: str) -> str:
        with self.store.transaction() as tx:
            return claim_thread(tx, case_id, channel, ts, datetime.now(UTC).isoformat(timespec="seconds"))

    def lang_of(self, case: SlackCase | None) -> str:
        return case.lang if case is not None else self.default_lang

    # -- posting ---------------------------------------------------------------------------
    async def post(self, replies: Sequence[Reply], where: Where, *, thread: str | None = None,
                   case: SlackCase | None = None, strict: bool = False, drain: bool = False,
                   lead: str = "") -> None:
        """Post ``replies`` for an input that came from ``where``.

        ``thread`` is the case's thread as known before the turn (a cancelled case's last
        words still belong in its thread); ``case`` is the case as the turn left it (read in
        the turn's own worker call, which saves a lookup per reply). Without them the case is
        looked up, and a channel case without a thread gets one, rooted at the first public
        reply. ``strict`` raises :class:`DeliveryError` when Slack refused any of it (for
        senders that retry later). ``lead`` is the bot's own markup before the first text (the
        scheduler's mention), the one thing not escaped.

        A live post that Slack does not take for now (rate limited past the SDK's retries, a
        server error, unreachable) is not lost: that reply and every one after it are queued in
        the outbox, in order, and so is every later reply of the conversation until the queue
        is delivered (the scheduler, through ``drain=True``, which raises only for those).
        """
        if not replies:
            return
        failures: list[str] = []
        token = _FAILURES.set(failures)
        lock = self._locks.setdefault(where.conversation, asyncio.Lock())
        try:
            async with lock:
                if not (strict or drain) and await self._behind_queue(where.conversation):
                    await self._queue(replies, where, case)
                    return
                done = [0]
                try:
                    await self._post_locked(replies, where, thread, case, lead, done)
                except _Gone:
                    failures.append("not_in_channel")
                    await self._tell_not_there(where)
                except _Busy as busy:
                    if strict or drain:
                        raise DeliveryError(f"Slack busy: {busy}") from None
                    await self._queue(replies[done[0]:], where, case)
        finally:
            _FAILURES.reset(token)
        if strict and failures:
            raise DeliveryError(f"Slack refused: {', '.join(failures)}")

    async def _behind_queue(self, conversation: str) -> bool:
        """Whether replies of this conversation wait in the outbox (then a new one queues too)."""
        if conversation not in self._waiting:
            return False

        def count() -> int:
            with self.store.snapshot() as tx:
                return outbox.replies_waiting(tx, conversation)
        if await self.offload.lookup(count):
            return True
        self._waiting.discard(conversation)
        return False

    async def _queue(self, replies: Sequence[Reply], where: Where, case: SlackCase | None) -> None:
        """Write replies to the outbox, one row each (so a retry resends none that went out)."""
        if not replies:
            return
        self._waiting.add(where.conversation)
        case_id = case.case_id if case is not None else None
        if case_id is None:
            known = await self.case(where.conversation)
            case_id = known.case_id if known is not None else None

        def write() -> None:
            at = datetime.now(UTC).isoformat(timespec="seconds")
            with self.store.transaction() as tx:
                for reply in replies:
                    outbox.add_message(
                        tx, dedupe_key=f"reply:{uuid.uuid4().hex}", case_id=case_id, wait_id=None,
                        purpose="reply", conversation=where.conversation, mention_user_id=None,
                        mention_name=None, replies=[reply_row(reply)], at=at, actor=where.user)
        await self.offload.turn(write)
        log.warning("Slack did not take %d repl%s for %s now: queued in the outbox",
                    len(replies), "y" if len(replies) == 1 else "ies", where.conversation)

    async def _post_locked(self, replies: Sequence[Reply], where: Where, thread: str | None,
                           case: SlackCase | None, lead: str, done: list[int]) -> None:
        """Post in order; ``done[0]`` counts the replies fully posted (what a failure leaves)."""
        if case is None or (case.thread_ts is None and not where.dm):
            # Unknown, or a channel case that may have gained its thread since the turn (an
            # earlier post, under this lock): read it now.
            case = await self.case(where.conversation)
        lang = self.lang_of(case)
        if thread is None and case is not None and not where.dm:
            thread = case.thread_ts
        broadcast = where.from_command
        for route, grouped in groupby(replies, key=lambda reply: _route(reply, where)):
            group = list(grouped)
            if route == "credentials":
                for reply in group:
                    await self.keys_prompt(reply, where, lang, case)
                    done[0] += 1
            elif route == "file":
                for reply in group:
                    await self._file(reply, where, None if where.dm else thread, lang)
                    done[0] += 1
            elif route == "ephemeral":
                for blocks, text, count in batches(group, lang):
                    await self._ephemeral(where, blocks, text, thread=where.thread, escaped=True)
                    done[0] += count
            elif where.dm:
                for blocks, text, count in batches(group, lang, lead=lead):
                    await self._call("chat_postMessage", channel=where.channel, blocks=blocks, text=text)
                    done[0] += count
                    lead = ""
            else:
                if thread is None and case is not None:
                    root, group = group[0], group[1:]
                    posted = await self._call("chat_postMessage", channel=where.channel,
                                              blocks=thread_root_blocks(root, lang, lead=lead),
                                              text=fallback_text(root, lead=lead))
                    lead = ""
                    if posted is not None:
                        thread = await self.offload.turn(self._claim, case.case_id, where.channel,
                                                         str(posted["ts"]))
                    done[0] += 1
                    broadcast = False
                for blocks, text, count in batches(group, lang, lead=lead):
                    extra: dict[str, Any] = {"reply_broadcast": True} if broadcast and thread else {}
                    await self._call("chat_postMessage", channel=where.channel, thread_ts=thread,
                                     blocks=blocks, text=text, **extra)
                    done[0] += count
                    broadcast = False
                    lead = ""

    async def keys_prompt(self, reply: Reply, where: Where, lang: str, case: SlackCase | None) -> None:
        """The dialogue asked for keys: open the private modal when the input carried a
        trigger, otherwise offer a button that opens it (a typed ``check`` has no trigger).
        The reply's first choice is the environment to check first."""
        environment = reply.choices[0].value if reply.choices else (case.environment if case else None)
        if where.trigger_id and await self.open_keys_modal(where, lang, environment):
            return
        blocks = keys_prompt_blocks(reply.text, lang)
        if where.dm or not where.user:
            await self._call("chat_postMessage", channel=where.channel, blocks=blocks,
                             text=escape(reply.text))
        else:
            await self._ephemeral(where, blocks, reply.text, thread=where.thread)

    async def open_keys_modal(self, where: Where, lang: str, environment: Any) -> bool:
        """Open the keys modal with the input's trigger; False when Slack refused (the trigger
        is only valid for three seconds)."""
        if not where.trigger_id:
            return False
        target = KeysTarget(where.conversation, where.channel, lang)
        preset = environment if isinstance(environment, str) else None
        try:
            opened = await self._call("views_open", trigger_id=where.trigger_id,
                                      view=keys_modal(target, preset))
        except _Busy:
            return False  # the trigger will not outlive a wait: the button instead
        return opened is not None

    async def ephemeral_text(self, where: Where, text: str) -> None:
        """One sentence for the person who acted only (a plain message in a DM)."""
        blocks = reply_blocks(Reply(kind="info", text=text), self.default_lang)
        try:
            if where.dm or not where.user:
                await self._call("chat_postMessage", channel=where.channel, blocks=blocks,
                                 text=escape(text))
            else:
                await self._ephemeral(where, blocks, text, thread=where.thread)
        except _Gone:
            await self._tell_not_there(where)
        except _Busy:
            return  # a note about this moment only (logged by _call)

    async def _ephemeral(self, where: Where, blocks: list[dict[str, Any]], text: str, *,
                         thread: str | None, escaped: bool = False) -> None:
        await self._call("chat_postEphemeral", channel=where.channel, user=where.user,
                         blocks=blocks, text=(text if escaped else escape(text))[:3000],
                         thread_ts=thread)

    async def _file(self, reply: Reply, where: Where, thread: str | None, lang: str) -> None:
        """Upload a file into the case's thread; a private one (personal data, e.g. the
        materials package) goes to the asker's DM with the bot instead, with a note in place."""
        assert reply.file is not None
        if not reply.private or where.dm:
            await self._upload(reply, where.channel, thread)
            return
        if not where.user:
            log.warning("not posting a private file in %s: nobody asked for it", where.conversation)
            return
        opened = await self._call("conversations_open", users=where.user)
        channel = str(((opened or {}).get("channel") or {}).get("id") or "")
        if channel and await self._upload(reply, channel, None):
            await self._ephemeral(where, reply_blocks(Reply(kind="info", text=t(
                "slack.file_sent_privately", lang, name=reply.file.name)), lang),
                t("slack.file_sent_privately", lang, name=reply.file.name), thread=where.thread)

    async def _upload(self, reply: Reply, channel: str, thread: str | None) -> bool:
        assert reply.file is not None
        uploaded = await self._call("files_upload_v2", channel=channel, thread_ts=thread,
                                    content=reply.file.content, filename=reply.file.name,
                                    title=reply.file.name, initial_comment=reply.text or None)
        return uploaded is not None

    async def update_message(self, channel: str, ts: str, blocks: list[dict[str, Any]], text: str) -> None:
        try:
            await self._call("chat_update", channel=channel, ts=ts, blocks=blocks, text=text)
        except (_Gone, _Busy):
            return

    async def _call(self, method: str, **kwargs: Any) -> dict[str, Any] | None:
        """One Web API call; None when Slack refused it (logged by its error code only, never
        with the text, which may hold personal data). Raises :class:`_Busy` when Slack did
        not take it for now (the client has already retried rate limits, bounded)."""
        try:
            response = await getattr(self.client, method)(**kwargs)
        except SlackApiError as problem:
            error = str(problem.response.get("error", "unknown"))
            if error in _NOT_THERE:
                raise _Gone from None
            log.warning("Slack %s failed: %s", method, error)
            _failed(f"{method} {error}")
            if _for_now(problem):
                raise _Busy(f"{method} {error}") from None
            return None
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as problem:
            log.warning("Slack %s failed: %s", method, type(problem).__name__)
            _failed(f"{method} {type(problem).__name__}")
            raise _Busy(f"{method} {type(problem).__name__}") from None
        data: dict[str, Any] = dict(response.data) if isinstance(response.data, dict) else {}
        return data

    async def _tell_not_there(self, where: Where) -> None:
        """The bot is not in the channel: say so privately through the command's response URL
        (the only way to reach a channel the bot is not in)."""
        if not where.response_url:
            log.warning("cannot post in %s: the bot is not in the channel", where.conversation)
            return
        case = await self.case(where.conversation)
        try:
            await AsyncWebhookClient(where.response_url).send(
                text=t("slack.not_in_group_dm" if where.group_dm else "slack.not_in_channel",
                       self.lang_of(case)), response_type="ephemeral")
        except (aiohttp.ClientError, TimeoutError) as problem:
            log.warning("Slack response_url failed: %s", type(problem).__name__)
