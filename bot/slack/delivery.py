"""Posting what the outbox holds into Slack, each reply where it belongs.

Why one object owns this: where a reply goes depends on the case, not on the reply. In a
channel, the case's first message becomes the root of its thread and everything after it goes
into that thread; a reply meant for one person is ephemeral to them; a file is uploaded with
``files_upload_v2`` into the thread; in a DM with the bot everything is a plain message.

What it no longer does (issue 27, one way out): order, queue or retry anything. Every reply is
an outbox row written with its turn; the delivery runtime (``bot.delivery.runtime``) hands one
row at a time per conversation to :meth:`SlackDelivery.deliver`, in commit order across
processes, and retries what Slack did not take for now (:class:`~bot.delivery.transport.NotNow`).
The case's thread is read when the row is sent, so a reply queued before the thread existed
still goes into it, and the one post that roots it records it (``claim_thread``) before the
runtime hands over the conversation's next row.
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import groupby
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.delivery.transport import NotNow, Parcel
from bot.offload import Offload
from bot.slack.keys import KeysTarget, keys_modal
from bot.slack.render import (
    batches,
    escape,
    fallback_text,
    keys_prompt_blocks,
    reply_blocks,
    split_lead,
    thread_root_blocks,
)
from handlers.catalogue import normalise_lang, t
from handlers.shapes import Reply
from storage import CaseStore
from storage.conversation_langs import remembered_lang
from storage.slack_threads import SlackCase, case_and_thread, claim_thread, slack_case

log = logging.getLogger("esignbot.slack")

_NOT_THERE = {"not_in_channel", "channel_not_found", "is_archived"}
_FOR_NOW = {"ratelimited", "rate_limited", "service_unavailable", "fatal_error", "internal_error",
            "request_timeout"}
"""Slack error codes that say "not now" rather than "never": the runtime tries again later."""


@dataclass(frozen=True, slots=True)
class Where:
    """Where an input came from, and so where its replies go.

    ``thread`` is the thread the person acted in (ephemeral replies appear there); ``dm`` is a
    direct message with the bot, whose replies are ordinary messages; ``from_command`` marks a
    slash command typed in the channel, whose first public reply in the case's thread is also
    shown in the channel so the person sees it. ``group_dm`` marks a group DM (several people
    and the bot): shared like a channel, so only telling someone the bot is not there differs.
    ``trigger_id`` opens the keys modal (Slack honours it for three seconds); ``response_url``
    reaches a channel the bot is not in.
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

    def to_address(self) -> dict[str, Any]:
        """What an outbox row keeps of it (``Inbound.address``): everything but the
        conversation (the row's own key) and the person (the row's ``actor``)."""
        address: dict[str, Any] = {"dm": self.dm}
        for name, value in (("thread", self.thread), ("from_command", self.from_command),
                            ("trigger_id", self.trigger_id), ("response_url", self.response_url),
                            ("group_dm", self.group_dm)):
            if value:
                address[name] = value
        return address

    @classmethod
    def from_address(cls, conversation: str, address: dict[str, Any] | None,
                     user: str | None) -> Where | None:
        """The inverse of :meth:`to_address`, for a row of ``conversation`` and its ``actor``;
        None when the conversation is not Slack's."""
        base = parse_conversation(conversation)
        if base is None:
            return None
        found = address or {}

        def text(name: str) -> str | None:
            value = found.get(name)
            return str(value) if value else None

        return cls(base.team, base.channel, user or None,
                   dm=bool(found["dm"]) if "dm" in found else base.dm, thread=text("thread"),
                   from_command=bool(found.get("from_command")), trigger_id=text("trigger_id"),
                   response_url=text("response_url"), group_dm=bool(found.get("group_dm")))


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
    """Slack refused a notice (its error codes only: never the text); the runtime retries it."""


class _Gone(Exception):
    """The bot cannot post in this channel (not a member, archived)."""


class _Busy(Exception):
    """Slack did not take a call for now: still rate limited after the SDK's retries, a server
    error, or unreachable."""


def _for_now(problem: SlackApiError) -> bool:
    status = getattr(problem.response, "status_code", 200)
    return status == 429 or status >= 500 or str(problem.response.get("error")) in _FOR_NOW


@dataclass(frozen=True, slots=True)
class Target:
    """The case a row belongs to, as posting needs it, read when the row is sent."""

    case_id: int | None
    lang: str
    thread: str | None
    """The case's thread: None in a DM, or before the case's first public post."""
    environment: Any = None


@dataclass(slots=True)
class _Progress:
    """One row being posted: replies fully posted so far, and what Slack refused."""

    done: int = 0
    failures: list[str] = field(default_factory=list)


class SlackDelivery:
    def __init__(self, client: AsyncWebClient, store: CaseStore, default_lang: str,
                 offload: Offload) -> None:
        self.client = client
        self.store = store
        self.default_lang = default_lang
        self.offload = offload

    # -- reading the case (in a worker thread: SQLite never runs on the event loop) --------
    async def case(self, conversation: str) -> SlackCase | None:
        return await self.offload.lookup(self.read_case, conversation)

    def read_case(self, conversation: str) -> SlackCase | None:
        with self.store.snapshot() as tx:
            return slack_case(tx, conversation)

    def conversation_lang(self, conversation: str) -> str:
        """The active case's language, else the one the conversation chose (``lang``)."""
        with self.store.snapshot() as tx:
            case = tx.active_case(conversation)
            lang = case.lang if case else remembered_lang(tx, conversation)
        return normalise_lang(lang or self.default_lang)

    def read_target(self, conversation: str, case_id: int | None, *,
                    environment: bool = False) -> Target:
        """The row's case with its thread as recorded now: a cancelled case's last words
        still go to its thread, and a row queued before the thread existed goes into it.
        One statement (the keys form's environment only when a row asks for keys)."""
        with self.store.reading() as tx:
            found = case_and_thread(tx, case_id) if case_id is not None else None
            if case_id is None or found is None:
                lang = remembered_lang(tx, conversation) or self.default_lang
                return Target(None, normalise_lang(lang), None)
            lang, thread = found
            answer = tx.answer(case_id, "environment") if environment else None
            return Target(case_id, normalise_lang(lang), thread,
                          answer.value if answer is not None else None)

    def _claim(self, case_id: int, channel: str, ts: str) -> str:
        with self.store.transaction() as tx:
            return claim_thread(tx, case_id, channel, ts, datetime.now(UTC).isoformat(timespec="seconds"))

    # -- the transport ----------------------------------------------------------------------
    def deliver(self, parcel: Parcel) -> Coroutine[Any, Any, None]:
        """Read where the row goes now, in the calling thread (the delivery runtime's sender,
        never the event loop: one thread hop less per message than a lookup from the loop),
        and return the posting, which the runtime runs on this app's event loop."""
        target = self.read_target(parcel.conversation, parcel.case_id, environment=any(
            reply.kind == "credentials" for reply in parcel.replies))
        return self._deliver(parcel, target)

    async def _deliver(self, parcel: Parcel, target: Target) -> None:
        """Post one outbox row. A turn's replies (``purpose`` ``reply``) go where its input
        came from (``parcel.address``); one Slack refuses for good is logged and skipped, as a
        person's next input would make it moot. A scheduler notice (a review result, a
        reminder, a note to the admins) is posted into the case's thread behind its mention,
        and any refusal raises, so the runtime tries it again and in the end tells the admins.
        Raises :class:`NotNow` with the replies that went out when Slack does not take the
        rest for now (rate limited past the SDK's retries, a server error, unreachable)."""
        notice = parcel.purpose != "reply"
        where = Where.from_address(parcel.conversation, None if notice else parcel.address,
                                   None if notice else parcel.actor)
        if where is None:
            raise ValueError(f"not a Slack conversation: {parcel.conversation!r}")
        replies: Sequence[Reply] = parcel.replies
        lead = ""
        if notice and replies:
            # The runtime puts the mention first; everything after it is escaped like any text.
            lead, first = split_lead(replies[0].text)
            if lead:
                replies = [replies[0].model_copy(update={"text": first}), *replies[1:]]
        progress = _Progress()
        try:
            await self._post(replies, where, target, lead, progress)
        except _Gone:
            progress.failures.append("not_in_channel")
            await self._tell_not_there(where, target.lang)
        except _Busy as busy:
            raise NotNow(progress.done, str(busy)) from None
        if notice and progress.failures:
            raise DeliveryError(f"Slack refused: {', '.join(progress.failures)}")

    async def _post(self, replies: Sequence[Reply], where: Where, target: Target, lead: str,
                    progress: _Progress) -> None:
        """Post in order; ``progress.done`` counts the replies fully posted (or refused for
        good), which is where a retry resumes."""
        lang = target.lang
        thread = None if where.dm else target.thread
        broadcast = where.from_command
        for route, grouped in groupby(replies, key=lambda reply: _route(reply, where)):
            group = list(grouped)
            if route == "credentials":
                for reply in group:
                    await self.keys_prompt(reply, where, lang, target.environment, progress)
                    progress.done += 1
            elif route == "file":
                for reply in group:
                    await self._file(reply, where, None if where.dm else thread, lang, progress)
                    progress.done += 1
            elif route == "ephemeral":
                for blocks, text, count in batches(group, lang):
                    await self._ephemeral(where, blocks, text, progress, thread=where.thread,
                                          escaped=True)
                    progress.done += count
            elif where.dm:
                for blocks, text, count in batches(group, lang, lead=lead):
                    await self._call(progress, "chat_postMessage", channel=where.channel,
                                     blocks=blocks, text=text)
                    progress.done += count
                    lead = ""
            else:
                if thread is None and target.case_id is not None:
                    # The case's first public post in a channel: the root of its thread.
                    root, group = group[0], group[1:]
                    posted = await self._call(progress, "chat_postMessage", channel=where.channel,
                                              blocks=thread_root_blocks(root, lang, lead=lead),
                                              text=fallback_text(root, lead=lead))
                    lead = ""
                    if posted is not None:
                        thread = await self.offload.turn(self._claim, target.case_id,
                                                         where.channel, str(posted["ts"]))
                    progress.done += 1
                    broadcast = False
                for blocks, text, count in batches(group, lang, lead=lead):
                    extra: dict[str, Any] = {"reply_broadcast": True} if broadcast and thread else {}
                    await self._call(progress, "chat_postMessage", channel=where.channel,
                                     thread_ts=thread, blocks=blocks, text=text, **extra)
                    progress.done += count
                    broadcast = False
                    lead = ""

    async def keys_prompt(self, reply: Reply, where: Where, lang: str, environment: Any,
                          progress: _Progress) -> None:
        """The dialogue asked for keys: open the private modal when the input carried a
        trigger, otherwise offer a button that opens it (a typed ``check`` has no trigger).
        The reply's first choice is the environment to check first."""
        preset = reply.choices[0].value if reply.choices else environment
        if where.trigger_id and await self.open_keys_modal(where, lang, preset):
            return
        blocks = keys_prompt_blocks(reply.text, lang)
        if where.dm or not where.user:
            await self._call(progress, "chat_postMessage", channel=where.channel, blocks=blocks,
                             text=escape(reply.text))
        else:
            await self._ephemeral(where, blocks, reply.text, progress, thread=where.thread)

    async def open_keys_modal(self, where: Where, lang: str, environment: Any) -> bool:
        """Open the keys modal with the input's trigger; False when Slack refused (the trigger
        is only valid for three seconds) or did not answer for now."""
        if not where.trigger_id:
            return False
        target = KeysTarget(where.conversation, where.channel, lang)
        preset = environment if isinstance(environment, str) else None
        try:
            opened = await self._call(_Progress(), "views_open", trigger_id=where.trigger_id,
                                      view=keys_modal(target, preset))
        except (_Busy, _Gone):
            return False  # the trigger will not outlive a wait: the button instead
        return opened is not None

    async def _ephemeral(self, where: Where, blocks: list[dict[str, Any]], text: str,
                         progress: _Progress, *, thread: str | None, escaped: bool = False) -> None:
        await self._call(progress, "chat_postEphemeral", channel=where.channel, user=where.user,
                         blocks=blocks, text=(text if escaped else escape(text))[:3000],
                         thread_ts=thread)

    async def _file(self, reply: Reply, where: Where, thread: str | None, lang: str,
                    progress: _Progress) -> None:
        """Upload a file into the case's thread; a private one (personal data, e.g. the
        materials package) goes to the asker's DM with the bot instead, with a note in place."""
        assert reply.file is not None
        if not reply.private or where.dm:
            await self._upload(reply, where.channel, thread, progress)
            return
        if not where.user:
            log.warning("not posting a private file in %s: nobody asked for it", where.conversation)
            return
        opened = await self._call(progress, "conversations_open", users=where.user)
        channel = str(((opened or {}).get("channel") or {}).get("id") or "")
        if channel and await self._upload(reply, channel, None, progress):
            note = t("slack.file_sent_privately", lang, name=reply.file.name)
            await self._ephemeral(where, reply_blocks(Reply(kind="info", text=note), lang), note,
                                  progress, thread=where.thread)

    async def _upload(self, reply: Reply, channel: str, thread: str | None,
                      progress: _Progress) -> bool:
        assert reply.file is not None
        uploaded = await self._call(progress, "files_upload_v2", channel=channel, thread_ts=thread,
                                    content=reply.file.content, filename=reply.file.name,
                                    title=reply.file.name, initial_comment=reply.text or None)
        return uploaded is not None

    async def update_message(self, channel: str, ts: str, blocks: list[dict[str, Any]], text: str) -> None:
        """Edit a message the bot posted (a question's buttons give way to who chose what)."""
        try:
            await self._call(_Progress(), "chat_update", channel=channel, ts=ts, blocks=blocks,
                             text=text)
        except (_Gone, _Busy):
            return

    async def _call(self, progress: _Progress, method: str, **kwargs: Any) -> dict[str, Any] | None:
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
            progress.failures.append(f"{method} {error}")
            if _for_now(problem):
                raise _Busy(f"{method} {error}") from None
            return None
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as problem:
            log.warning("Slack %s failed: %s", method, type(problem).__name__)
            progress.failures.append(f"{method} {type(problem).__name__}")
            raise _Busy(f"{method} {type(problem).__name__}") from None
        data: dict[str, Any] = dict(response.data) if isinstance(response.data, dict) else {}
        return data

    async def _tell_not_there(self, where: Where, lang: str) -> None:
        """The bot is not in the channel: say so privately through the command's response URL
        (the only way to reach a channel the bot is not in)."""
        if not where.response_url:
            log.warning("cannot post in %s: the bot is not in the channel", where.conversation)
            return
        try:
            await AsyncWebhookClient(where.response_url).send(
                text=t("slack.not_in_group_dm" if where.group_dm else "slack.not_in_channel",
                       lang), response_type="ephemeral")
        except (aiohttp.ClientError, TimeoutError) as problem:
            log.warning("Slack response_url failed: %s", type(problem).__name__)
