"""The smart bot as a platform: its chats in, the delivery runtime's messages out.

How, and why:

* **Conversations.** A group chat is one case shared by its members, as a Slack channel is
  (``wecombot:<bot>:group:<chatid>``); a single chat is that member's own case
  (``wecombot:<bot>:single:<userid>``). Personal data is masked in groups (``Inbound.private`` is
  False there); a group reply meant for one person carries their mention.
* **Every input once.** A callback's ``msgid`` is the same on every delivery, whichever
  connection or process gets it: it is the turn's ``event_id``, claimed in the turn's
  transaction. A card tap answers once (the engine's stale-answer rule) and the card is turned
  into a closed one (``aibot_respond_update_msg`` within WeCom's 5 s).
* **One way out.** Nothing is posted while an input is handled: replies are outbox rows, sent by
  the delivery runtime through :meth:`deliver` with ``aibot_send_msg`` — a proactive send, which
  works for a reply, a job's result after a restart and a reminder a week later alike, where a
  reply tied to the callback's ``req_id`` would die with its connection. Only the welcome and
  the card update, which WeCom accepts only as answers to their event within 5 s, go at once.
* **Slow work is a job.** A picture or file is downloaded, decrypted with the message's own key
  and checked whole in a ``wecombot.media`` job, then applied as a turn of its own.
* **Keys.** A key typed in a group is never used, stored or echoed; ``check`` there says to use a
  single chat. In a single chat ``检查 <SecretId> <SecretKey>`` is checked as work held in memory
  (never a row), and the member is told the chat history still holds it.
* **One connection per bot.** WeCom keeps one connection per bot and closes the older one, so
  ``serve --workers N`` (or a second ``wecom --bot``) must not each open one: the process that
  holds a lock file beside the database opens it; the others stand by and take over when it
  ends. A platform that stands by is not ``active``: the runtime leaves its messages to the
  holder.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import os
import re
from base64 import b64encode
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import aiohttp
from starlette.routing import BaseRoute

from bot.credentials.checker import check_for_case
from bot.credentials.typed import KeysToCheck, keys_in
from bot.delivery.transport import NotNow, Parcel
from bot.offload import Offload
from bot.settings import ConfigError, Settings
from bot.uploads import CHUNK_BYTES, Receiving, areceive, declared_length
from bot.wecom.render import action_from_key
from bot.wecom.smartbot import protocol
from bot.wecom.smartbot.connection import (
    AuthRefused,
    LongConnection,
    NotConnected,
    Refused,
    TakenOver,
)
from bot.wecom.smartbot.render import MARKDOWN_MAX_BYTES, Outgoing, closed_card, markdown, render
from handlers import Dialogue, Inbound, InboundFile, Reply
from handlers.catalogue import t
from handlers.commands import Command, parse_command
from handlers.credentials.commands import expects_app_id
from handlers.credentials.secret_shapes import looks_like_secret
from handlers.dialogue import Outcome
from handlers.flow import STEPS_BY_NAME
from handlers.jobs import JobContext
from handlers.shapes import MAX_UPLOAD_BYTES, OutFile
from storage import wecom as wecom_store
from storage.conversation_langs import remembered_lang

log = logging.getLogger("esignbot.wecom.smartbot")

MEDIA_JOB = "wecombot.media"
_MEDIA_THREADS = 8
_MEDIA_TIMEOUT_S = 90.0
_CONNECT_WAIT_S = 10.0
"""How long a send waits for the connection to come back before the runtime retries later."""
_STANDBY_POLL_S = 2.0
_BOT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")

REFUSED = ("WeCom refused WECOM_BOT_ID / WECOM_BOT_SECRET ({detail}). Copy both again from the "
           "admin console (应用管理 > 智能机器人 > your bot > API 模式, 长连接); a secret that was "
           "reset replaces the old one. Steps: `esignbot guide wecom-bot`.")
TAKEN_OVER = ("Another connection took this smart bot over (another esignbot, or a program using "
              "WeCom's SDK with the same bot ID): WeCom keeps one connection per bot. Stop the "
              "other one, then start this again.")


class StandbyLock:
    """An exclusive lock on a file beside the database: held by one process per bot, let go by
    the kernel when that process ends (however it ends).

    A POSIX record lock (``lockf``), not ``flock``: a ``flock`` belongs to the open file, which
    any child forked after it would share and keep after the holder died; a record lock is the
    process's own."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        if self._fd is not None:
            return True
        if self.path is None:
            return True
        import fcntl

        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


@dataclass(frozen=True, slots=True)
class Chat:
    kind: Literal["single", "group"]
    id: str


class WeComBotPlatform:
    """One smart bot over its long connection, and the transport for its conversations."""

    name = "wecombot"
    posts_on_loop = True
    """Sends go over the connection, which lives on the event loop."""

    def __init__(self, dialogue: Dialogue, *, bot_id: str, secret: str, url: str,
                 lock: Path | None, heartbeat_s: float = 30.0) -> None:
        self.dialogue = dialogue
        self.bot_id = bot_id
        self.key = f"wecombot:{bot_id}:"
        self.active = False
        """True while this process holds the connection (the runtime sends only then)."""
        self.job_lanes = {MEDIA_JOB: _MEDIA_THREADS}
        self.connection = LongConnection(url, bot_id, secret, self._on_callback,
                                         heartbeat_s=heartbeat_s)
        self.offload = Offload("wecombot", turns=dialogue.writer)
        self._lock = StandbyLock(lock)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._session: aiohttp.ClientSession | None = None
        self.task: asyncio.Task[None] | None = None
        """Holding the lock, then the connection: ends with ``AuthRefused`` or ``TakenOver``."""
        self._tasks: set[asyncio.Task[Any]] = set()
        dialogue.job_runners[MEDIA_JOB] = self._media_job

    # -- Platform -------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        return []  # nothing is served: the bot connects out

    async def startup(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._session = aiohttp.ClientSession()
        self.task = asyncio.create_task(self._hold_and_run())

    async def shutdown(self) -> None:
        await self.connection.stop()
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(BaseException):
                await self.task
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=10)
        self.active = False
        self._lock.release()
        await asyncio.to_thread(self.offload.close)
        if self._session is not None:
            await self._session.close()

    async def _hold_and_run(self) -> None:
        said = False
        while not self._lock.acquire():
            if not said:
                log.info("WeCom smart bot: another esignbot process holds bot %s's connection "
                         "(lock %s); standing by to take over", self.bot_id, self._lock.path)
                said = True
            self.connection.state = "standby"
            await asyncio.sleep(_STANDBY_POLL_S)
        self.active = True
        try:
            await self.connection.run()
        except AuthRefused as refused:
            log.error(REFUSED.format(detail=f"errcode {refused.errcode}: {refused.errmsg}"))
            raise
        except TakenOver:
            log.error(TAKEN_OVER)
            raise
        finally:
            self.active = False

    def health(self) -> dict[str, object]:
        state = self.connection.state
        ok = state in ("starting", "standby", "up", "reconnecting")
        out: dict[str, object] = {"ok": ok, "state": state}
        if not ok:
            out["error"] = {"refused": "WeCom refused WECOM_BOT_ID/WECOM_BOT_SECRET",
                            "taken over": "another connection took this bot over"}.get(
                                state, state)
        return out

    # -- Transport --------------------------------------------------------------------------
    def mention(self, user_id: str, name: str) -> str:
        """In a group, ``<@userid>`` (WeCom shows the name and notifies them)."""
        return f"<@{user_id}>"

    def deliver(self, parcel: Parcel) -> Any:
        """Where and in which language (read here, in the runtime's thread), then the posting
        on the loop."""
        chat = chat_of(parcel.conversation)
        lang = self._lang(parcel)
        return self._post(parcel, chat, lang)

    async def _post(self, parcel: Parcel, chat: Chat, lang: str) -> None:
        """The row's replies as few messages as WeCom allows (one markdown holds several
        replies: a turn's "saved", progress and next question are one message, not three, which
        keeps a chat well under WeCom's ~30 messages a minute). A refusal raises
        :class:`NotNow` with the number of replies wholly sent before the refused message."""
        group = chat.kind == "group"
        planned: list[tuple[int, Chat, Outgoing]] = []
        for index, reply in enumerate(parcel.replies):
            to_them = group and reply.private and parcel.actor and parcel.purpose == "reply"
            if to_them:
                reply = reply.model_copy(update={"text": f"<@{parcel.actor}> {reply.text}"})
            for outgoing in render(reply, lang, group=group):
                if to_them and outgoing.upload is not None:
                    # A file meant for one person (it may hold their personal data in full)
                    # goes to their single chat with the bot, never into the group.
                    assert parcel.actor is not None
                    planned.append((index, Chat("single", parcel.actor), outgoing))
                else:
                    planned.append((index, chat, outgoing))
        for index, where, outgoing in coalesce(planned):
            try:
                if where == chat:
                    await self._send(where, outgoing, lang)
                else:
                    await self._send_privately(chat, where, outgoing, lang)
            except (NotConnected, TimeoutError) as problem:
                raise NotNow(index, f"WeCom not reachable now ({type(problem).__name__})") \
                    from None
            except Refused as refused:
                if refused.for_now:
                    raise NotNow(index, str(refused)) from None
                log.warning("WeCom refused a message for %s for good (%s)",
                            parcel.conversation, refused)
                raise

    async def _send_privately(self, group: Chat, person: Chat, outgoing: Outgoing,
                              lang: str) -> None:
        """A group member's own file into their single chat, and a line in the group saying so;
        WeCom sends only to chats that have messaged the bot, so when theirs has not, the group
        is told how to get it instead."""
        assert outgoing.upload is not None
        try:
            await self._send(person, outgoing, lang)
            key = "wecombot.file_sent_privately"
        except Refused as refused:
            if refused.for_now:
                raise
            key = "wecombot.file_needs_single_chat"
        for note in markdown(t(key, lang, user=person.id, name=outgoing.upload.name)):
            await self._send(group, note, lang)

    async def _send(self, chat: Chat, outgoing: Outgoing, lang: str) -> None:
        body = outgoing.body
        if outgoing.upload is not None:
            try:
                media_id = await self._upload(outgoing.upload)
            except Refused as refused:
                if refused.for_now:
                    raise
                log.warning("WeCom refused the file upload (%s)", refused)
                for fallback in markdown(t("wecom.file_failed", lang, name=outgoing.upload.name)):
                    await self._send(chat, fallback, lang)
                return
            body = {"msgtype": "file", "file": {"media_id": media_id}}
        try:
            await self.connection.request(protocol.SEND, {"chatid": chat.id, **body},
                                          wait_s=_CONNECT_WAIT_S)
        except NotConnected:
            # The connection dropped under this send (a network blip, WeCom's restart): once
            # it is back (the client reconnects in about a second), once more, rather than
            # leaving the message to the outbox's back-off of 5 s and more. WeCom may have
            # taken the first: at least once, as every send from the outbox.
            await self.connection.request(protocol.SEND, {"chatid": chat.id, **body},
                                          wait_s=_CONNECT_WAIT_S)

    async def _upload(self, file: OutFile) -> str:
        """``aibot_upload_media_init`` → chunks of 512 KiB → ``…_finish``: the ``media_id``."""
        data = file.content
        chunks = max(1, math.ceil(len(data) / protocol.UPLOAD_CHUNK_BYTES))
        if chunks > protocol.UPLOAD_MAX_CHUNKS:
            raise Refused(protocol.UPLOAD_INIT, 40006, "file larger than 100 chunks")
        init = await self.connection.request(protocol.UPLOAD_INIT, {
            "type": "file", "filename": file.name, "total_size": len(data),
            "total_chunks": chunks, "md5": hashlib.md5(data).hexdigest()},  # WeCom checks it
            wait_s=_CONNECT_WAIT_S)
        upload_id = (init.get("body") or {}).get("upload_id")
        if not upload_id:
            raise Refused(protocol.UPLOAD_INIT, -2, "no upload_id")
        for index in range(chunks):
            piece = data[index * protocol.UPLOAD_CHUNK_BYTES:(index + 1) * protocol.UPLOAD_CHUNK_BYTES]
            await self.connection.request(protocol.UPLOAD_CHUNK, {
                "upload_id": upload_id, "chunk_index": index,
                "base64_data": b64encode(piece).decode("ascii")})
        finish = await self.connection.request(protocol.UPLOAD_FINISH, {"upload_id": upload_id})
        media_id = (finish.get("body") or {}).get("media_id")
        if not media_id:
            raise Refused(protocol.UPLOAD_FINISH, -2, "no media_id")
        return str(media_id)

    def _lang(self, parcel: Parcel) -> str:
        try:
            with self.dialogue.store.snapshot() as tx:
                case = tx.case(parcel.case_id) if parcel.case_id is not None else \
                    tx.active_case(parcel.conversation)
                lang = case.lang if case is not None else remembered_lang(tx, parcel.conversation)
        except Exception:
            lang = None
        return lang or self.dialogue.default_lang

    # -- inputs (on the loop, one at a time: ``LongConnection`` hands them over in order) ------
    def conversation(self, chat: Chat) -> str:
        return f"{self.key}{chat.kind}:{chat.id}"

    def _inbound(self, got: protocol.BotInput, **what: Any) -> Inbound:
        chat = Chat(got.chat_type, got.chat_id)
        return Inbound(platform="wecombot", conversation=self.conversation(chat),
                       user_id=got.user_id, user_name=got.user_id,
                       event_id=f"wecombot:{self.bot_id}:{got.msgid}",
                       private=got.chat_type == "single", **what)

    async def _on_callback(self, message: dict[str, Any]) -> None:
        try:
            got = protocol.read_callback(message)
        except protocol.NotACallback as problem:
            log.warning("WeCom callback not read: %s", problem)
            return
        if got.kind in ("kicked", "event"):
            return
        inbound = self._inbound(got)
        if got.kind == "enter":
            told = await self.offload.turn(self.dialogue.tell, inbound, [])
            if told.status != "duplicate":
                self._spawn(self._welcome(got))
        elif got.kind == "click":
            action = action_from_key(got.key)
            if action is None:
                return  # a closed card's button, or a key this bot did not make
            outcome = await self.offload.turn(
                self.dialogue.process, inbound.model_copy(update={"action": action}))
            if outcome.status != "duplicate" and got.task_id:
                self._spawn(self._close_card(got, outcome))
        elif got.kind == "text":
            await self.offload.turn(self._text, got, inbound)
        elif got.kind in ("image", "file"):
            await self.offload.turn(self._media, got, inbound)
        elif got.kind == "unheard":
            await self.offload.turn(self._say, inbound, "wecombot.voice_unheard")
        else:
            await self.offload.turn(self._say, inbound, "wecombot.unsupported")

    def _media(self, got: protocol.BotInput, inbound: Inbound) -> Outcome:
        """Each picture or file becomes a job (the download waits for no acknowledgement). A
        picture alone reaches the bot only in a single chat, so one sent there by a member
        without a case of their own is for the group case they work on (the licence photo of a
        group's case); sent with words in a group (图文混排), it is the group's. Of several
        pictures in one message only the first is taken, as in Slack, and the sender is told:
        the jobs of one conversation run side by side, so which of them answered first would
        be chance."""
        target = self._working_case(inbound) if got.chat_type == "single" \
            else inbound.conversation
        there = inbound if target == inbound.conversation else \
            inbound.model_copy(update={"conversation": target, "private": False})
        media = got.media[0]
        payload = {"url": media.url, "aes_key": media.aes_key, "kind": got.kind,
                   "event_id": inbound.event_id}
        lang = self._conversation_lang(target)
        told = [] if len(got.media) == 1 else [Reply(kind="info", private=True, text=t(
            "wecombot.first_picture_only", lang, count=len(got.media)))]
        if got.chat_type == "group" and looks_like_secret(got.text):  # a caption is never used
            told.append(Reply(kind="error", private=True, text=t("wecombot.secret_in_group", lang)))
        return self.dialogue.tell(there, told, jobs=[(MEDIA_JOB, payload)])

    def _text(self, got: protocol.BotInput, inbound: Inbound) -> Outcome:
        """A typed message (in the writer thread): keys first, then the dialogue."""
        text = got.text
        if got.chat_type == "group":
            if looks_like_secret(text, app_id_expected=expects_app_id(
                    text, STEPS_BY_NAME.get(self._step(inbound.conversation) or ""))):
                return self._say(inbound, "wecombot.secret_in_group")
            parsed = parse_command(text)
            if parsed is not None and parsed.command is Command.CHECK:
                return self._say(inbound, "wecombot.check_in_group")
            return self.dialogue.process(inbound.model_copy(update={"text": text}))
        keys = keys_in(text)
        if isinstance(keys, KeysToCheck):
            return self._start_check(inbound, keys)
        if isinstance(keys, str):
            return self._say(inbound, keys)
        return self.dialogue.process(inbound.model_copy(update={"text": text}))

    def _say(self, inbound: Inbound, key: str) -> Outcome:
        """The adapter's own sentence (to the person who acted), with the input's id claimed."""
        lang = self._conversation_lang(inbound.conversation)
        return self.dialogue.tell(inbound, [Reply(kind="error", text=t(key, lang), private=True)])

    def _start_check(self, inbound: Inbound, keys: KeysToCheck) -> Outcome:
        """Check the keys for the case this member works on — their own single chat's, or the
        group's they last answered in (a group's keys are sent here, never there) — held in
        memory (the key never in a row); the report goes to that case's chat. The check is
        written first, with the message's id claimed; the note to the member follows."""
        target = self._working_case(inbound)
        lang = self._conversation_lang(target)

        def check() -> list[Reply]:
            return check_for_case(self.dialogue, conversation=target,
                                  user_id=inbound.user_id, user_name=inbound.display_name,
                                  secret_id=keys.secret_id, secret_key=keys.secret_key,
                                  environment=keys.environment)

        there = inbound.model_copy(update={"conversation": target, "private": False})
        outcome = self.dialogue.tell(there if target != inbound.conversation else inbound, [],
                                     held=[(check, "check")])
        if outcome.status != "duplicate" and self._step(target) is not None:
            note = Reply(kind="info", text=t("wecombot.check_started", lang), private=True)
            self.dialogue.tell(inbound.model_copy(update={"event_id": None}), [note])
        return outcome

    def _working_case(self, inbound: Inbound) -> str:
        """The conversation whose case a key or picture sent in a single chat is for: the
        member's own active case here, else the active group case of this bot they last acted
        in."""
        with self.dialogue.store.snapshot() as tx:
            if tx.active_case(inbound.conversation) is not None:
                return inbound.conversation
            group = wecom_store.last_active_case_of(tx, inbound.user_id, f"{self.key}group:")
        return group or inbound.conversation

    def _step(self, conversation: str) -> str | None:
        """The active case's current question ("" with a case and none open; None: no case)."""
        with self.dialogue.store.snapshot() as tx:
            case = tx.active_case(conversation)
        return None if case is None else (case.current_step or "")

    def _conversation_lang(self, conversation: str) -> str:
        try:
            with self.dialogue.store.snapshot() as tx:
                case = tx.active_case(conversation)
                lang = case.lang if case else remembered_lang(tx, conversation)
        except Exception:
            lang = None
        return lang or self.dialogue.default_lang

    # -- answers WeCom takes only within 5 s of their event ---------------------------------
    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _welcome(self, got: protocol.BotInput) -> None:
        try:
            await self.connection.request(protocol.RESPOND_WELCOME, {
                "msgtype": "text", "text": {"content": t("wecombot.welcome",
                                                         self.dialogue.default_lang)}},
                req_id=got.req_id)
        except Exception as problem:
            log.info("WeCom welcome not sent (%s)", problem)

    async def _close_card(self, got: protocol.BotInput, outcome: Outcome) -> None:
        refused = any(reply.kind == "error" for reply in outcome.replies)
        lang = outcome.lang or self.dialogue.default_lang
        title = t("wecom.card_closed" if refused else "wecom.card_chosen", lang)
        body: dict[str, Any] = {"response_type": "update_template_card",
                                "template_card": closed_card(got.task_id, title, got.user_id)}
        if refused:
            body["userids"] = [got.user_id]  # closed for them only: the others may still answer
        try:
            await self.connection.request(protocol.RESPOND_UPDATE, body, req_id=got.req_id)
        except Exception as problem:
            log.info("WeCom card not updated (%s)", problem)

    # -- pictures and files: a job each ------------------------------------------------------
    def _media_job(self, context: JobContext) -> list[Reply]:
        """Download, decrypt and check the file whole (on the loop), then apply it as a turn of
        its own (``<msgid>:file``: a second run after a crash applies it once)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            raise RuntimeError("the WeCom smart bot is not running")
        payload = context.payload
        job = context.job
        name = f"wecom-{str(payload['event_id']).rsplit(':', 1)[-1][:40]}"
        fetched = asyncio.run_coroutine_threadsafe(
            self._fetch(str(payload["url"]), str(payload["aes_key"]), name),
            loop).result(_MEDIA_TIMEOUT_S)
        if fetched is None:
            return [Reply(kind="error", text=t("wecom.image_failed", context.lang), private=True)]
        self.dialogue.process(Inbound(
            platform="wecombot", conversation=job.conversation, user_id=job.actor or "",
            user_name=job.actor or "", file=fetched, event_id=f"{payload['event_id']}:file",
            private=":single:" in job.conversation))
        return []

    async def _fetch(self, url: str, aes_key: str, name: str) -> InboundFile | None:
        """The decrypted file, a refusal the dialogue explains (too large, cut short), or None
        when it could not be had or opened."""
        assert self._session is not None
        receiving = Receiving(name, None, limit=MAX_UPLOAD_BYTES + 32)
        try:
            async with self._session.get(url, timeout=aiohttp.ClientTimeout(
                    total=None, sock_connect=10, sock_read=20)) as response:
                if response.status != 200:
                    log.warning("WeCom media download answered %s", response.status)
                    return None
                receiving.declared = [size for size in [declared_length(response.headers)]
                                      if size is not None]
                received = await areceive(receiving, response.content.iter_chunked(CHUNK_BYTES),
                                          errors=(OSError, aiohttp.ClientError))
        except (aiohttp.ClientError, OSError, TimeoutError) as problem:
            log.warning("WeCom media download failed (%s)", type(problem).__name__)
            return None
        if received.problem is not None:
            return received
        try:
            plain = protocol.decrypt_media(received.content, aes_key)
        except protocol.MediaUnreadable as problem:
            log.warning("WeCom media did not decrypt (%s)", problem)
            return None
        return InboundFile(name=name, content=plain, size=len(plain))


def chat_of(conversation: str) -> Chat:
    """``wecombot:<bot>:group:<chatid>`` → the group; ``…:single:<userid>`` → that member."""
    parts = conversation.split(":", 3)
    if len(parts) != 4 or parts[0] != "wecombot" or parts[2] not in ("single", "group"):
        raise ValueError(f"not a smart bot conversation: {conversation}")
    return Chat("group" if parts[2] == "group" else "single", parts[3])


def coalesce(planned: list[tuple[int, Chat, Outgoing]]) -> list[tuple[int, Chat, Outgoing]]:
    """Consecutive markdown messages to one chat joined while they fit one message; each
    keeps the index of the first reply in it (where a retry resumes)."""
    out: list[tuple[int, Chat, Outgoing]] = []
    for index, chat, outgoing in planned:
        if out and outgoing.body.get("msgtype") == "markdown":
            first, last_chat, last = out[-1]
            if last_chat == chat and last.body.get("msgtype") == "markdown":
                joined = f"{last.body['markdown']['content']}\n\n{outgoing.body['markdown']['content']}"
                if len(joined.encode()) <= MARKDOWN_MAX_BYTES:
                    out[-1] = (first, chat, Outgoing({"msgtype": "markdown",
                                                      "markdown": {"content": joined}}))
                    continue
        out.append((index, chat, outgoing))
    return out


@dataclass(frozen=True, slots=True)
class BotSettings:
    bot_id: str
    secret: str
    url: str
    heartbeat_s: float


def bot_settings(settings: Settings) -> BotSettings | None:
    """The smart bot's settings when present; None when neither ID nor secret is set; a
    ConfigError naming what is missing or malformed otherwise (``serve`` and ``doctor``)."""
    bot_id = (settings.wecom_bot_id or "").strip()
    secret = settings.wecom_bot_secret.get_secret_value().strip() \
        if settings.wecom_bot_secret is not None else ""
    if not bot_id and not secret:
        return None
    if not bot_id or not secret:
        missing = "WECOM_BOT_ID" if not bot_id else "WECOM_BOT_SECRET"
        raise ConfigError(f"The WeCom smart bot is only partly configured: set {missing} too "
                          "(steps: `esignbot guide wecom-bot`), or unset the other.")
    if not _BOT_ID.fullmatch(bot_id):  # ASCII only: str.isalnum() took a name like "E签助手"
        raise ConfigError("WECOM_BOT_ID must be the bot's ID as the admin console shows it "
                          "(letters and digits), not the bot's name.")
    url = settings.wecom_bot_url.strip()
    return BotSettings(bot_id, secret, url, settings.wecom_bot_heartbeat_seconds)


def wecom_bot_platform(settings: Settings, dialogue: Dialogue) -> WeComBotPlatform | None:
    found = bot_settings(settings)
    if found is None:
        return None
    store_path = getattr(dialogue.store, "path", None)
    lock = Path(f"{store_path}.wecom-bot-{found.bot_id}.lock") if store_path else None
    return WeComBotPlatform(dialogue, bot_id=found.bot_id, secret=found.secret, url=found.url,
                            lock=lock, heartbeat_s=found.heartbeat_s)
