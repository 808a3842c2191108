"""The WeCom (企业微信) self-built app: encrypted callbacks in, the message API out.

How a callback is handled, and why:

* ``GET /wecom/callback`` is WeCom's URL verification; ``POST`` carries one encrypted message.
  Both are checked by :class:`~bot.wecom.inbound.CallbackCrypto` first; anything that does not
  verify, decrypt to our corp ID and parse gets a 4xx and never reaches the dialogue.
* WeCom drops a callback after 5 seconds and delivers it again. So the handler only commits
  (SQLite, in a turn thread — never on the event loop) and answers 200 with an empty body once
  the commit is done. What is committed is everything the input leads to: the turn and its
  replies (``Dialogue.process``), or the adapter's own sentence about it, or the work it leaves
  (``Dialogue.tell``). Nothing is posted here: every reply is an outbox row, and the delivery
  runtime (``bot.delivery``) posts it through :meth:`WeComPlatform.deliver`, in commit order.
* A picture must be downloaded before the dialogue can see it, and that may take longer than
  WeCom waits. So the callback writes a ``wecom.image`` job (the MediaId, no bytes) with the
  message's id claimed, and answers; the job downloads the picture and applies it as a turn of
  its own. A crash during the download leaves the job to be run again after the restart, and a
  retry of the callback finds the message's id claimed and downloads nothing.
* Repeated deliveries carry the same MsgId (events: sender + time), passed as the dialogue's
  ``event_id``, so a retry is dropped inside the turn's transaction and answered once.
* The app belongs to one corp, and the corp's members share one case (``wecom:<corp id>``).
  Each person talks to the app in a private chat, so a case's replies are sent to every member
  who has messaged the app for it (``storage.wecom``), except replies meant only for the person
  who acted. Personal data is masked in what members see (``Inbound.private`` is False);
  only the member who gave it, or an admin, receives it in full (``handlers/privacy.py``).
* A SecretKey may be typed only here, in a member's one-to-one chat with the app:
  ``检查 <SecretId> <SecretKey>`` is taken out before the dialogue (its text is never stored or
  logged) and checked off the callback path, as work held in memory only
  (``Dialogue.tell(held=...)``); the result goes to every member.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.credentials.checker import check_for_case
from bot.credentials.typed import KeysToCheck, keys_in
from bot.delivery.transport import NotNow, Parcel, plain_mention
from bot.names import NameCache
from bot.settings import ConfigError, Settings
from bot.wecom import freshness
from bot.wecom.client import WeComApi, WeComApiError
from bot.wecom.inbound import MAX_BODY_BYTES, CallbackCrypto, CallbackRejected, WeComMessage
from bot.wecom.render import Outgoing, action_from_key, file_message, render, text_messages
from handlers import Dialogue, Inbound, Reply
from handlers.catalogue import t
from handlers.commands import Command, parse_command
from handlers.dialogue import Outcome
from handlers.jobs import JobContext
from handlers.turn import Later
from storage import StoreTransaction
from storage import wecom as wecom_store
from storage.conversation_langs import remembered_lang

log = logging.getLogger("esignbot.wecom")

PATH = "/wecom/callback"
IMAGE_JOB = "wecom.image"
"""The job a picture leaves: download it (``media/get``) and apply it as a turn of its own."""
_IMAGE_SUFFIX = {"image/png": ".png", "image/jpeg": ".jpg"}
_REPEAT_WINDOW_S = 1800
"""WeCom's duplicate check window for notices (its default)."""
_DOWNLOAD_THREADS = 16
"""Pictures downloading at once in one process (each has a whole-file deadline; a thread waits
on a socket). Their own threads in the delivery runtime (``job_lanes``): four slow pictures once
held every thread other work needed, and delayed a member's key check by 130 s (issue 30)."""
_DOWNLOADS_PER_MEMBER = 2
"""Pictures one member may have downloading at once in one process; a third is refused with a
sentence until one is done, so one member's slow pictures cannot fill the download threads."""
_NAME_TIMEOUT_S = 1.5
"""How long a name lookup may take before the input goes ahead under the UserID (WeCom waits
5 s for the callback)."""


class _Busy(Exception):
    """WeCom did not take a message for now (errcode 45009 and kin, or no answer)."""


async def _read_body(request: Request) -> bytes | None:
    """The body, or None when it is larger than any WeCom callback."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


class WeComPlatform:
    """One WeCom self-built app served at ``/wecom/callback``, and the transport the delivery
    runtime posts the corp's conversation through."""

    name = "wecom"

    def __init__(self, dialogue: Dialogue, *, corp_id: str, agent_id: int,
                 crypto: CallbackCrypto, api: WeComApi) -> None:
        self.dialogue = dialogue
        self.corp_id = corp_id
        self.agent_id = agent_id
        self.conversation = f"wecom:{corp_id}"
        self.key = self.conversation
        """The transport's key: exactly this app's conversation, so another WeCom integration
        under the ``wecom`` name (a smart bot) never has its messages posted through this app."""
        self.job_lanes = {IMAGE_JOB: _DOWNLOAD_THREADS}
        """Job kinds the delivery runtime runs in threads of their own (see ``_DOWNLOAD_THREADS``)."""
        self.crypto = crypto
        self.api = api
        self._turns = ThreadPoolExecutor(4, thread_name_prefix="wecom-turn")
        self._cards = ThreadPoolExecutor(1, thread_name_prefix="wecom-card")
        self._downloading: dict[str, set[str]] = {}
        """The pictures (message ids) each member has downloading in this process."""
        self._downloading_lock = threading.Lock()
        self._names = NameCache()
        dialogue.job_runners[IMAGE_JOB] = self._image_job

    # -- Platform ---------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        return [Route(PATH, self._callback, methods=["GET", "POST"])]

    async def startup(self) -> None:
        return None

    async def shutdown(self) -> None:
        """Finish what was accepted: the commits in flight, then the card updates."""
        def drain() -> None:
            for pool in (self._turns, self._cards):
                pool.shutdown(wait=True)
        await asyncio.to_thread(drain)

    # -- Transport: the delivery runtime's only way into WeCom ---------------------------------
    def mention(self, user_id: str, name: str) -> str:
        """An app message has no mention: the name, as the members know it."""
        return plain_mention(user_id, name)

    def deliver(self, parcel: Parcel) -> None:
        """Post one outbox row, in order, reply by reply; raises :class:`NotNow` saying how many
        replies went out when WeCom does not take the rest for now (the runtime resumes there).

        A reply goes to the person who acted and every member of its case, a private reply to
        the person who acted only. A notice (``purpose`` not ``reply``: a reminder, a review's
        result) goes to every member, with WeCom's duplicate check: the outbox sends at least
        once, and a notice sent again after a crash between WeCom's answer and the row being
        marked sent is dropped by WeCom instead of reaching everyone twice. Replies do not ask
        for it: WeCom compares the content only, so it would also drop a reply that is
        rightly the same as one a few minutes before (``help`` twice, a question asked again)."""
        if parcel.conversation != self.conversation:
            raise ValueError(f"this WeCom app posts to {self.conversation}, "
                             f"not {parcel.conversation}")
        notice = parcel.purpose != "reply"
        actor = None if notice else parcel.actor
        everyone, lang = self._audience(parcel.case_id, actor)
        if not everyone:
            log.warning("WeCom: nobody to send message %s to (case %s)", parcel.message_id,
                        parcel.case_id)
            return
        for index, reply in enumerate(parcel.replies):
            try:
                for outgoing in render(reply, lang):
                    users = [actor] if outgoing.private and actor else everyone
                    self._send(outgoing, users, lang, notice=notice)
            except _Busy as busy:
                raise NotNow(index, str(busy)) from None

    def _audience(self, case_id: int | None, actor: str | None) -> tuple[list[str], str]:
        """Who receives a row of ``case_id``, and the language its labels are in.

        The person who acted is recorded as a member of the case here, as their row goes out,
        and a case's first row brings in the members of the case before it
        (``inherit_members``). Why here and not after the turn: the runtime may post a turn's
        row before the thread that committed it gets any further, and it posts in commit order,
        so every row committed after this one (another member's answer) is posted after this
        member is on the list, and the acting person is on their own row's list anyway. When the
        database refuses writes (replies sent without being stored), the list is only read."""
        try:
            with self.dialogue.store.transaction() as tx:
                members, lang = self._members(tx, case_id, actor, join=True)
        except Exception as problem:
            log.warning("WeCom membership not recorded (%s)", type(problem).__name__)
            with self.dialogue.store.snapshot() as tx:
                members, lang = self._members(tx, case_id, actor, join=False)
        people = [actor, *members] if actor else members
        return list(dict.fromkeys(people)), lang

    def _members(self, tx: StoreTransaction, case_id: int | None, actor: str | None, *,
                 join: bool) -> tuple[list[str], str]:
        if case_id is None:
            # No case took the input (or it just ended one): the latest case's members.
            latest = wecom_store.latest_case(tx, self.conversation)
            members = wecom_store.members(tx, latest) if latest is not None else []
            return members, self._default_lang(tx)
        case = tx.case(case_id)
        if case is None:
            return [], self._default_lang(tx)  # deleted since: the person who acted alone
        if join:
            wecom_store.inherit_members(tx, case.id, self.conversation)
            if actor:
                wecom_store.add_member(tx, case.id, actor, self._now())
        return wecom_store.members(tx, case.id), case.lang

    def _send(self, outgoing: Outgoing, users: list[str], lang: str, *, notice: bool) -> None:
        try:
            if outgoing.upload is not None:
                upload = outgoing.upload
                media_id = self.api.upload_file(upload.name, upload.content, upload.mime)
                self.api.send(users, file_message(media_id))
            elif notice:
                self.api.send(users, {**outgoing.message, "enable_duplicate_check": 1,
                                      "duplicate_check_interval": _REPEAT_WINDOW_S})
            else:
                self.api.send(users, outgoing.message)
        except WeComApiError as problem:
            log.warning("WeCom %s failed (errcode %s)", problem.operation, problem.code)
            if problem.for_now:
                raise _Busy(f"WeCom {problem.operation}: errcode {problem.code}") from None
            if notice:
                raise  # tried again later, then given up on and told to the admins
            if outgoing.upload is not None:  # refused for good: say so rather than nothing
                for fallback in text_messages(t("wecom.file_failed", lang,
                                                name=outgoing.upload.name)):
                    self._send(fallback, users, lang, notice=notice)

    # -- HTTP ---------------------------------------------------------------------------------
    async def _callback(self, request: Request) -> Response:
        params = dict(request.query_params)
        if request.method == "GET":
            try:
                return PlainTextResponse(self.crypto.verify_url(params))
            except CallbackRejected as rejected:
                log.warning("WeCom URL verification refused: %s", rejected.reason)
                return PlainTextResponse(rejected.reason, status_code=rejected.status)
        body = await _read_body(request)
        if body is None:
            return PlainTextResponse("body too large", status_code=413)
        try:
            message = self.crypto.open(params, body)
            now = self.dialogue.clock().timestamp()
            stamp = freshness.check_fresh(params, now)  # too old or from the future: 403
        except CallbackRejected as rejected:
            log.warning("WeCom callback refused: %s", rejected.reason)
            return PlainTextResponse(rejected.reason, status_code=rejected.status)
        if message.agent_id is not None and message.agent_id != self.agent_id:
            log.warning("WeCom callback for agent %s refused (this app is %s)",
                        message.agent_id, self.agent_id)
            return PlainTextResponse("another app", status_code=403)
        keys = freshness.replay_keys(params, message)
        if await asyncio.to_thread(self._seen, keys, now):
            # WeCom's own retry looks the same: 200 and nothing applied (bot/wecom/freshness.py).
            log.info("WeCom callback seen before: not applied again")
            self._count_duplicate(message)
            return Response(status_code=200)
        await self._learn_name(message.user_id)
        loop = asyncio.get_running_loop()
        if not await loop.run_in_executor(self._turns, self._handle_safely, message):
            # Nothing was committed: WeCom's retry is welcome.
            return PlainTextResponse("not applied", status_code=500)
        # Only once the input is committed: a crash before it leaves WeCom's retry welcome.
        await asyncio.to_thread(self._remember, keys, stamp, now)
        return Response(status_code=200)

    # -- replays (bot/wecom/freshness.py) -------------------------------------------------
    def _seen(self, keys: list[str], now: float) -> bool:
        """A replay within the window. A failed read lets the callback through: the dialogue
        still drops a message id it has applied, and a 500 would make WeCom retry."""
        try:
            with self.dialogue.store.snapshot() as tx:
                return wecom_store.callback_seen(tx, keys, int(now))
        except Exception as problem:  # e.g. the database not writable: /healthz says so
            log.warning("WeCom replay record could not be read: %s", type(problem).__name__)
            return False

    def _remember(self, keys: list[str], stamp: int, now: float) -> None:
        try:
            with self.dialogue.store.transaction() as tx:
                wecom_store.remember_callback(tx, keys, int(now), freshness.expiry(stamp, now))
        except Exception as problem:
            log.warning("WeCom replay record could not be written: %s", type(problem).__name__)

    def _count_duplicate(self, message: WeComMessage) -> None:
        """A replay counts as a duplicate turn for the metrics, as the dialogue counts a retry."""
        inbound = Inbound(platform="wecom", conversation=self.conversation,
                          user_id=message.user_id, event_id=message.event_id)
        for observer in self.dialogue.observers:
            observer(inbound, Outcome([], status="duplicate"))

    # -- names ------------------------------------------------------------------------------
    async def _learn_name(self, user_id: str) -> None:
        """Look the member's name up (once an hour) before their input is applied, so each
        answer records who gave it by name; a slow or refused lookup leaves the UserID."""
        if user_id and self._names.get(user_id) is None:
            try:
                await asyncio.wait_for(asyncio.to_thread(self._look_up_name, user_id),
                                       _NAME_TIMEOUT_S)
            except TimeoutError:  # e.g. the access token is still being fetched
                self._names.remember(user_id, None)  # the lookup, if it ends, still counts

    def _look_up_name(self, user_id: str) -> None:
        self._names.remember(user_id, self.api.member_name(user_id, timeout=_NAME_TIMEOUT_S))

    def _name(self, user_id: str) -> str:
        return self._names.get(user_id) or user_id

    # -- inputs (turn threads) ------------------------------------------------------------
    def _handle_safely(self, message: WeComMessage) -> bool:
        """Commit one input; False when that failed before anything was committed. Only ids
        are logged, never what was typed (it may hold a SecretKey)."""
        try:
            self._handle(message)
        except Exception:
            log.exception("WeCom input %s not applied", message.event_id)
            return False
        return True

    def _handle(self, message: WeComMessage) -> None:
        if message.kind == "event":
            return  # entering the app, subscribing...: nothing to answer
        if message.kind == "other":
            self._say(message, "wecom.unsupported")
            return
        if message.kind == "image":
            self._accept_image(message)
            return
        if message.kind == "card":
            action = action_from_key(message.key)
            if action is None:
                log.warning("WeCom card tap with a key this bot did not make")
                return
            outcome = self.dialogue.process(self._inbound(message, action=action))
            if message.response_code and outcome.status != "duplicate":
                refused = any(reply.kind == "error" for reply in outcome.replies)
                self._cards.submit(self._close_card, message, refused)
            return
        text = message.text if message.kind == "text" else message.key
        keys = keys_in(text)
        if isinstance(keys, KeysToCheck):
            self._start_check(message, keys)
        elif isinstance(keys, str):
            self._say(message, keys)
        else:
            # ``check`` alone: its replies (how to send the keys) go to this person only, and
            # this chat is theirs alone, so the dialogue may treat it as private.
            parsed = parse_command(text)
            alone = parsed is not None and parsed.command is Command.CHECK
            self.dialogue.process(self._inbound(message, text=text, private=alone))

    def _inbound(self, message: WeComMessage, *, private: bool = False, **what: Any) -> Inbound:
        return Inbound(platform="wecom", conversation=self.conversation,
                       user_id=message.user_id, user_name=self._name(message.user_id),
                       event_id=message.event_id, private=private, **what)

    def _say(self, message: WeComMessage, key: str, kind: Literal["error", "info"] = "error",
             held: Sequence[tuple[Later, str]] = ()) -> Outcome:
        """The adapter's own sentence about an input (to its sender only), queued with the
        input's id claimed, so WeCom's retry neither says it again nor redoes ``held``."""
        lang = self._lang_safely()
        replies = [Reply(kind=kind, text=t(key, lang), private=True)] if key else []
        return self.dialogue.tell(self._inbound(message), replies, held=held)

    # -- pictures: a job each -------------------------------------------------------------------
    def _accept_image(self, message: WeComMessage) -> None:
        """Write the picture's download as a job, with the message's id claimed; at most
        :data:`_DOWNLOADS_PER_MEMBER` of one member's pictures download at once (more are
        refused with a sentence, at once, and claimed: WeCom's retry is not a new picture)."""
        reserved = self._reserve(message.user_id, message.event_id, cap=True)
        if reserved == "refused":
            self._say(message, "wecom.image_busy")
            return
        payload = {"media_id": message.media_id, "event_id": message.event_id,
                   "user_name": self._name(message.user_id)}
        outcome = self.dialogue.tell(self._inbound(message), [], jobs=[(IMAGE_JOB, payload)])
        if not outcome.jobs and reserved == "new":
            self._release(message.user_id, message.event_id)  # a retry, or nothing written
        if outcome.status == "failed":
            self._say(message, "wecom.image_failed")

    def _reserve(self, user_id: str, event_id: str, *,
                 cap: bool) -> Literal["new", "held", "refused"]:
        with self._downloading_lock:
            held = self._downloading.setdefault(user_id, set())
            if event_id in held:
                return "held"
            if cap and len(held) >= _DOWNLOADS_PER_MEMBER:
                return "refused"
            held.add(event_id)
            return "new"

    def _release(self, user_id: str, event_id: str) -> None:
        with self._downloading_lock:
            held = self._downloading.get(user_id, set())
            held.discard(event_id)
            if not held:
                self._downloading.pop(user_id, None)

    def _image_job(self, context: JobContext) -> list[Reply]:
        """Download a picture a member sent and apply it as a turn of its own (a job: run by
        the process that accepted the picture, or by another after that one died).

        The turn's id is the message's with ``:file``: if this process dies after the turn
        committed and before the job is marked done, the job runs again and its turn is a
        duplicate — the picture is stored and confirmed once."""
        job = context.job
        event_id = str(context.payload["event_id"])
        user_id = job.actor or ""
        self._reserve(user_id, event_id, cap=False)  # a job taken over counts too
        try:
            try:
                media = self.api.download(str(context.payload["media_id"]))
            except WeComApiError as problem:
                log.warning("WeCom image download failed (errcode %s)", problem.code)
                return [Reply(kind="error", text=t("wecom.image_failed", context.lang),
                              private=True)]
            suffix = _IMAGE_SUFFIX.get(media.mime or "", "")
            name = (media.name or f"wecom-{event_id.rsplit(':', 1)[-1]}{suffix}")[:255]
            # The bytes, or why they could not be had whole: the dialogue refuses the latter.
            upload = media.received.model_copy(update={"name": name})
            self.dialogue.process(Inbound(
                platform="wecom", conversation=job.conversation, user_id=user_id,
                user_name=str(context.payload.get("user_name") or user_id), file=upload,
                event_id=f"{event_id}:file"))
            return []
        finally:
            self._release(user_id, event_id)

    # -- keys typed into the chat -------------------------------------------------------------
    def _start_check(self, message: WeComMessage, keys: KeysToCheck) -> None:
        """Claim the message (so a retry does not check twice) and leave the check as work
        held in memory: the SecretKey is in this closure only, never in a row. If this process
        dies first, the job is found without it and the member is told to check again."""
        user_name = self._name(message.user_id)

        def check() -> list[Reply]:
            return check_for_case(self.dialogue, conversation=self.conversation,
                                  user_id=message.user_id, user_name=user_name,
                                  secret_id=keys.secret_id, secret_key=keys.secret_key,
                                  environment=keys.environment)

        # "Checking…" only when there is a case to check for; without one the check itself
        # says so.
        self._say(message, "wecom.check_started" if self._has_case() else "", kind="info",
                  held=[(check, "check")])

    # -- the case ------------------------------------------------------------------------------
    def _now(self) -> str:
        return self.dialogue.clock().astimezone(UTC).isoformat(timespec="seconds")

    def _lang_safely(self) -> str:
        """The language of the corp's case (or the conversation's) for the adapter's own
        sentences; the default when the database cannot be read (the sentence still goes)."""
        try:
            with self.dialogue.store.snapshot() as tx:
                return self._default_lang(tx)
        except Exception:
            return self.dialogue.default_lang

    def _has_case(self) -> bool:
        with self.dialogue.store.snapshot() as tx:
            return tx.active_case(self.conversation) is not None

    def _default_lang(self, tx: StoreTransaction) -> str:
        """The corp case's language, else the one the conversation chose with ``lang``."""
        case = tx.active_case(self.conversation)
        lang = case.lang if case else remembered_lang(tx, self.conversation)
        return lang or self.dialogue.default_lang

    def _close_card(self, message: WeComMessage, refused: bool) -> None:
        """Turn the tapped card's buttons into one label, so it cannot be answered twice (a
        direct call, in a thread of its own: it edits a card that was sent, it is no reply)."""
        try:
            with self.dialogue.store.snapshot() as tx:
                case_id = wecom_store.case_of_event(tx, message.event_id) \
                    or wecom_store.latest_case(tx, self.conversation)
                case = tx.case(case_id) if case_id is not None else None
                members = wecom_store.members(tx, case_id) if case_id is not None else []
                lang = case.lang if case is not None else self._default_lang(tx)
            users = [message.user_id] if refused else list(dict.fromkeys(
                [message.user_id, *members]))
            label = t("wecom.card_closed" if refused else "wecom.card_chosen", lang)
            self.api.update_card_button(users, message.response_code, label)
        except WeComApiError as problem:
            log.warning("WeCom card update failed (errcode %s)", problem.code)
        except Exception:
            log.exception("WeCom card update failed")


@dataclass(frozen=True, slots=True)
class WeComSettings:
    """The WeCom app's settings, checked: what ``serve`` and ``esignbot doctor`` both read."""

    corp_id: str
    agent_id: int
    secret: str
    token: str
    aes_key: str
    api_url: str


def wecom_settings(settings: Settings) -> WeComSettings | None:
    """The WeCom app's settings when present; None when none are; a ConfigError naming what is
    missing or wrong when it is half configured. Builds nothing, so the doctor can ask too."""
    def secret(value: Any) -> str:
        return value.get_secret_value().strip() if value is not None else ""

    values = {
        "WECOM_CORP_ID": (settings.wecom_corp_id or "").strip(),
        "WECOM_AGENT_ID": (settings.wecom_agent_id or "").strip(),
        "WECOM_SECRET": secret(settings.wecom_secret),
        "WECOM_TOKEN": secret(settings.wecom_token),
        "WECOM_AES_KEY": secret(settings.wecom_aes_key),
    }
    missing = [name for name, value in values.items() if not value]
    if len(missing) == len(values):
        return None
    if missing:
        raise ConfigError(f"WeCom is only partly configured: set {', '.join(missing)} too "
                          "(steps: `esignbot guide wecom-app`), or unset the other WECOM_* settings.")
    if not values["WECOM_AGENT_ID"].isdigit():
        raise ConfigError("WECOM_AGENT_ID must be the app's AgentId, a number such as 1000002.")
    try:
        key_ok = len(values["WECOM_AES_KEY"]) == 43 and len(
            base64.b64decode(values["WECOM_AES_KEY"] + "=", validate=True)) == 32
    except (binascii.Error, ValueError):
        key_ok = False
    if not key_ok:
        raise ConfigError("WECOM_AES_KEY must be the app's 43-character EncodingAESKey "
                          "(API 接收消息 settings).")
    api_url = settings.wecom_api_url.strip()
    if not api_url.startswith(("https://", "http://")):
        raise ConfigError("WECOM_API_URL must be an http(s) URL, e.g. https://qyapi.weixin.qq.com/cgi-bin/.")
    return WeComSettings(values["WECOM_CORP_ID"], int(values["WECOM_AGENT_ID"]),
                         values["WECOM_SECRET"], values["WECOM_TOKEN"], values["WECOM_AES_KEY"],
                         api_url)


def wecom_platform(settings: Settings, dialogue: Dialogue) -> WeComPlatform | None:
    """The WeCom app when its settings are present (:func:`wecom_settings`), else None."""
    found = wecom_settings(settings)
    if found is None:
        return None
    return WeComPlatform(
        dialogue,
        corp_id=found.corp_id,
        agent_id=found.agent_id,
        crypto=CallbackCrypto(found.token, found.aes_key, found.corp_id),
        api=WeComApi(found.corp_id, found.agent_id, found.secret, found.api_url),
    )
