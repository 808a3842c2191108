"""The WeCom (企业微信) self-built app: encrypted callbacks in, the message API out.

How a callback is handled, and why:

* ``GET /wecom/callback`` is WeCom's URL verification; ``POST`` carries one encrypted message.
  Both are checked by :class:`~bot.wecom.inbound.CallbackCrypto` first; anything that does not
  verify, decrypt to our corp ID and parse gets a 4xx and never reaches the dialogue.
* WeCom drops a callback after 5 seconds and delivers it again. So the handler only commits the
  input (``Dialogue.process``, SQLite, in a thread — never on the event loop) and answers 200
  with an empty body; the replies go out afterwards through ``message/send`` from a single
  sender thread (one thread keeps every member's replies in order), and slow work — the
  dialogue's ``later`` work, the credential check, downloading an image — runs in its own pool.
  A picture is downloaded before the dialogue can see it, so an image callback is answered at
  once and committed in the background.
* Repeated deliveries carry the same MsgId (events: sender + time), passed as the dialogue's
  ``event_id``, so a retry is dropped inside the turn's transaction and answered once.
* The app belongs to one corp, and the corp's members share one case (``wecom:<corp id>``).
  Each person talks to the app in a private chat, so a case's replies are sent to every member
  who has messaged the app for it (``storage.wecom``), except replies meant only for the person
  who acted. Personal data is masked in what members see (``Inbound.private`` is False);
  only the member who gave it, or an admin, receives it in full (``handlers/privacy.py``).
* A SecretKey may be typed only here, in a member's one-to-one chat with the app:
  ``检查 <SecretId> <SecretKey>`` is taken out before the dialogue (its text is never stored or
  logged) and checked off the callback path; the result goes to every member.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.credentials.checker import check_for_case
from bot.names import NameCache
from bot.settings import ConfigError, Settings
from bot.wecom import freshness
from bot.wecom.client import WeComApi, WeComApiError
from bot.wecom.inbound import MAX_BODY_BYTES, CallbackCrypto, CallbackRejected, WeComMessage
from bot.wecom.render import Outgoing, action_from_key, file_message, render, text_messages
from handlers import Dialogue, Inbound, Reply
from handlers.catalogue import t
from handlers.commands import Command, parse_command
from handlers.credentials.secret_shapes import find_credentials
from handlers.dialogue import Outcome
from handlers.shapes import reply_row
from handlers.turn import Later, parse_environment
from storage import StoreTransaction
from storage import waits as outbox_store
from storage import wecom as wecom_store
from storage.conversation_langs import remembered_lang

log = logging.getLogger("esignbot.wecom")

PATH = "/wecom/callback"
_IMAGE_SUFFIX = {"image/png": ".png", "image/jpeg": ".jpg"}
_REPEAT_WINDOW_S = 1800
"""WeCom's duplicate check window for outbox deliveries (its default; a lease is 5 minutes)."""
_DOWNLOAD_THREADS = 16
"""Pictures downloading at once (each has a whole-file deadline; a thread waits on a socket)."""
_DOWNLOADS_PER_MEMBER = 2
"""Pictures one member may have downloading at once; a third is refused until one is done."""
_NAME_TIMEOUT_S = 1.5
"""How long a name lookup may take before the input goes ahead under the UserID (WeCom waits
5 s for the callback)."""


@dataclass(frozen=True, slots=True)
class Audience:
    """Who receives the replies of one input: the person who acted, and the case's members."""

    actor: str | None
    case_id: int | None
    lang: str


class _Busy(Exception):
    """WeCom did not take a live message for now (errcode 45009 and kin, or no answer)."""


@dataclass(frozen=True, slots=True)
class KeysToCheck:
    """A SecretId/SecretKey pair typed into the app chat; never stored, logged or repr'd."""

    secret_id: str
    secret_key: str
    environment: str | None

    def __repr__(self) -> str:
        return "KeysToCheck(<hidden>)"


def keys_in(text: str) -> KeysToCheck | str | None:
    """The key pair in a message (``检查 <SecretId> <SecretKey> [test|prod]``, or the pair
    pasted alone), found the way the dialogue's own guard finds it; the catalogue key of a
    usage hint for a ``check`` with something else after it, or a SecretId without exactly one
    key; None when the message is not about keys (it goes to the dialogue)."""
    found = find_credentials(text)
    parsed = parse_command(text)
    if not found.secret_ids:
        if parsed is not None and parsed.command is Command.CHECK and parsed.args \
                and parse_environment(parsed.args) is None:
            return "wecom.check_usage"
        return None
    if len(found.secret_ids) != 1 or len(found.secret_keys) != 1:
        return "wecom.check_usage"
    environment = None
    for word in found.rest.split():
        environment = parse_environment(word) or environment
    return KeysToCheck(found.secret_ids[0], found.secret_keys[0], environment)


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
    """One WeCom self-built app served at ``/wecom/callback``."""

    name = "wecom"

    def __init__(self, dialogue: Dialogue, *, corp_id: str, agent_id: int,
                 crypto: CallbackCrypto, api: WeComApi) -> None:
        self.dialogue = dialogue
        self.corp_id = corp_id
        self.agent_id = agent_id
        self.conversation = f"wecom:{corp_id}"
        self.crypto = crypto
        self.api = api
        self._turns = ThreadPoolExecutor(4, thread_name_prefix="wecom-turn")
        self._slow = ThreadPoolExecutor(4, thread_name_prefix="wecom-slow")
        self._downloads = ThreadPoolExecutor(_DOWNLOAD_THREADS, thread_name_prefix="wecom-download")
        self._downloading: dict[str, int] = {}
        """Pictures each member has downloading now (``_accept_image``)."""
        self._downloading_lock = threading.Lock()
        self._outbox = ThreadPoolExecutor(1, thread_name_prefix="wecom-send")
        self._names = NameCache()
        self._waiting = False
        """Live replies wait in the outbox: newer ones queue behind them (sender thread only)."""

    # -- Platform ---------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        return [Route(PATH, self._callback, methods=["GET", "POST"])]

    async def startup(self) -> None:
        def read() -> bool:
            with self.dialogue.store.snapshot() as tx:
                return bool(outbox_store.replies_waiting(tx, self.conversation))
        self._waiting = await asyncio.to_thread(read)

    async def shutdown(self) -> None:
        """Finish what was accepted: commits, then slow work, then the messages it produced."""
        def drain() -> None:
            for pool in (self._turns, self._downloads, self._slow, self._outbox):
                pool.shutdown(wait=True)
        await asyncio.to_thread(drain)

    async def send(self, conversation: str, replies: Sequence[Reply]) -> None:
        """Post to every member of the conversation's case (there is no one who acted, so
        replies marked private go to every member too). Raises :class:`WeComApiError` when
        WeCom refused a message, so the caller (the scheduler's outbox) tries again later."""
        if conversation != self.conversation:
            raise ValueError(f"this WeCom app posts to {self.conversation}, not {conversation}")
        audience = await asyncio.to_thread(self._conversation_audience)
        await asyncio.wrap_future(
            self._outbox.submit(self._deliver, list(replies), audience, True))

    async def send_for(self, conversation: str, replies: Sequence[Reply], actor: str) -> None:
        """A live reply that waited in the outbox: to the case's members as its turn would have
        sent it (private replies to ``actor`` only). Raises when WeCom still does not take it."""
        if conversation != self.conversation:
            raise ValueError(f"this WeCom app posts to {self.conversation}, not {conversation}")
        base = await asyncio.to_thread(self._conversation_audience)
        audience = Audience(actor or None, base.case_id, base.lang)
        await asyncio.wrap_future(
            self._outbox.submit(self._deliver, list(replies), audience, True, True))

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
        if message.kind == "image":
            # Downloading the picture may take longer than WeCom waits: answer now, and never
            # in a pool other members' work waits for (see ``_accept_image``).
            await asyncio.to_thread(self._remember, keys, stamp, now)
            self._accept_image(message)
        else:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._turns, self._safely, self._handle, message)
            # Only once the turn is committed: a crash before it leaves WeCom's retry welcome.
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

    # -- pictures: their own threads ----------------------------------------------------------
    def _accept_image(self, message: WeComMessage) -> None:
        """Download a picture in the download pool, at most :data:`_DOWNLOADS_PER_MEMBER` at a
        time per member (more are refused with a sentence, at once).

        Why a pool of its own: downloads shared the slow pool (four threads) with the key checks
        and the dialogue's later work, so four pictures whose ``media/get`` dripped a byte every
        2 s held all four threads and delayed another member's picture and key check by 130 s.
        Each download now has a whole-file deadline (``WeComApi.download``), and the per-member
        cap keeps one member's slow pictures from filling even this pool."""
        with self._downloading_lock:
            busy = self._downloading.get(message.user_id, 0)
            if busy >= _DOWNLOADS_PER_MEMBER:
                refused = True
            else:
                refused = False
                self._downloading[message.user_id] = busy + 1
        if refused:
            lang = self._lang_safely()
            self._post([Reply(kind="error", text=t("wecom.image_busy", lang), private=True)],
                       Audience(message.user_id, None, lang))
            return
        self._downloads.submit(self._safely, self._download_then_apply, message)

    def _download_then_apply(self, message: WeComMessage) -> None:
        try:
            self._image(message)
        finally:
            with self._downloading_lock:
                left = self._downloading.get(message.user_id, 1) - 1
                if left > 0:
                    self._downloading[message.user_id] = left
                else:
                    self._downloading.pop(message.user_id, None)

    def _lang_safely(self) -> str:
        try:
            return self._lang()
        except Exception:  # the refusal must not fail on a busy database
            return self.dialogue.default_lang

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

    # -- inputs (worker threads) ----------------------------------------------------------
    def _safely(self, job: Callable[..., None], *args: Any) -> None:
        """Run a job in a pool; a failure is logged (where, never what was typed)."""
        try:
            job(*args)
        except Exception:
            log.exception("WeCom %s failed", getattr(job, "__name__", "job"))

    def _handle(self, message: WeComMessage) -> None:
        if message.kind == "event":
            return  # entering the app, subscribing...: nothing to answer
        if message.kind == "other":
            lang = self._lang()
            self._post([Reply(kind="error", text=t("wecom.unsupported", lang), private=True)],
                       Audience(message.user_id, None, lang))
            return
        if message.kind == "card":
            action = action_from_key(message.key)
            if action is None:
                log.warning("WeCom card tap with a key this bot did not make")
                return
            self._apply(message, self._inbound(message, action=action), slow_inline=False)
            return
        text = message.text if message.kind == "text" else message.key
        keys = keys_in(text)
        if isinstance(keys, KeysToCheck):
            self._start_check(message, keys)
        elif isinstance(keys, str):
            audience = self._claim_only(message)
            if audience is not None:
                self._post([Reply(kind="error", text=t(keys, audience.lang), private=True)],
                           audience)
        else:
            # ``check`` alone: its replies (how to send the keys) go to this person only, and
            # this chat is theirs alone, so the dialogue may treat it as private.
            parsed = parse_command(text)
            alone = parsed is not None and parsed.command is Command.CHECK
            self._apply(message, self._inbound(message, text=text, private=alone),
                        slow_inline=False)

    def _image(self, message: WeComMessage) -> None:
        """Download a picture a member sent and give it to the dialogue (a download-pool job)."""
        try:
            media = self.api.download(message.media_id)
        except WeComApiError as problem:
            log.warning("WeCom image download failed (errcode %s)", problem.code)
            lang = self._lang()
            self._post([Reply(kind="error", text=t("wecom.image_failed", lang), private=True)],
                       Audience(message.user_id, None, lang))
            return
        suffix = _IMAGE_SUFFIX.get(media.mime or "", "")
        name = (media.name or f"wecom-{message.event_id.rsplit(':', 1)[-1]}{suffix}")[:255]
        # The bytes, or why they could not be had whole: the dialogue refuses the latter.
        upload = media.received.model_copy(update={"name": name})
        self._apply(message, self._inbound(message, file=upload), slow_inline=True)

    def _inbound(self, message: WeComMessage, *, private: bool = False, **what: Any) -> Inbound:
        return Inbound(platform="wecom", conversation=self.conversation,
                       user_id=message.user_id, user_name=self._name(message.user_id),
                       event_id=message.event_id, private=private, **what)

    def _apply(self, message: WeComMessage, inbound: Inbound, *, slow_inline: bool) -> None:
        """Commit one input, then queue its replies and its slow work."""
        outcome = self.dialogue.process(inbound)
        audience = self._join(message)
        self._post(outcome.replies, audience)
        if message.kind == "card" and message.response_code:
            refused = any(reply.kind == "error" for reply in outcome.replies)
            self._outbox.submit(self._safely, self._close_card, message, audience, refused)
        for later in outcome.later:
            if slow_inline:
                self._run_later(later, audience)
            else:
                self._slow.submit(self._safely, self._run_later, later, audience)

    def _run_later(self, later: Later, audience: Audience) -> None:
        self._post(self.dialogue.run_later(later, audience.lang), audience)

    def _start_check(self, message: WeComMessage, keys: KeysToCheck) -> None:
        """Claim the message (so a retry does not check twice), then check off the path."""
        audience = self._claim_only(message)
        if audience is None:
            return
        if audience.case_id is not None:
            self._post([Reply(kind="info", text=t("wecom.check_started", audience.lang),
                              private=True)], audience)
        self._slow.submit(self._safely, self._check, message, keys, audience)

    def _check(self, message: WeComMessage, keys: KeysToCheck, audience: Audience) -> None:
        def later() -> list[Reply]:
            return check_for_case(self.dialogue, conversation=self.conversation,
                                  user_id=message.user_id, user_name=self._name(message.user_id),
                                  secret_id=keys.secret_id, secret_key=keys.secret_key,
                                  environment=keys.environment)

        self._run_later(later, audience)

    # -- the case's members -----------------------------------------------------------------
    def _now(self) -> str:
        return self.dialogue.clock().astimezone(UTC).isoformat(timespec="seconds")

    def _lang(self) -> str:
        """The language of the corp's case (or the default) for the adapter's own sentences."""
        with self.dialogue.store.snapshot() as tx:
            return self._default_lang(tx)

    def _join(self, message: WeComMessage) -> Audience:
        """Record the sender as a member of the case this input worked on.

        In its own transaction right after the turn's: membership is the adapter's delivery
        list, not part of the case's answers, and writing it again is harmless."""
        with self.dialogue.store.transaction() as tx:
            case_id = wecom_store.case_of_event(tx, message.event_id)
            if case_id is not None:
                wecom_store.inherit_members(tx, case_id, self.conversation)
                wecom_store.add_member(tx, case_id, message.user_id, self._now())
            else:
                # No case took the input, or it just ended one (cancel): its members are
                # the ones to tell.
                case_id = wecom_store.latest_case(tx, self.conversation)
            case = tx.case(case_id) if case_id is not None else None
            return Audience(message.user_id, case_id,
                            case.lang if case else self.dialogue.default_lang)

    def _default_lang(self, tx: StoreTransaction) -> str:
        """The corp case's language, else the one the conversation chose with ``lang``."""
        case = tx.active_case(self.conversation)
        lang = case.lang if case else remembered_lang(tx, self.conversation)
        return lang or self.dialogue.default_lang

    def _claim_only(self, message: WeComMessage) -> Audience | None:
        """Mark an input the dialogue never sees as processed; None when it already was."""
        with self.dialogue.store.transaction() as tx:
            if not tx.claim_event(message.event_id, self._now()):
                return None
            case = tx.active_case(self.conversation)
            if case is None:
                return Audience(message.user_id, None, self.dialogue.default_lang)
            tx.link_event(message.event_id, case.id)
            wecom_store.add_member(tx, case.id, message.user_id, self._now())
            return Audience(message.user_id, case.id, case.lang)

    def _conversation_audience(self) -> Audience:
        with self.dialogue.store.snapshot() as tx:
            case_id = wecom_store.latest_case(tx, self.conversation)
            case = tx.case(case_id) if case_id is not None else None
            return Audience(None, case_id, case.lang if case else self.dialogue.default_lang)

    def _everyone(self, audience: Audience) -> list[str]:
        people = [audience.actor] if audience.actor else []
        if audience.case_id is not None:
            with self.dialogue.store.snapshot() as tx:
                people += wecom_store.members(tx, audience.case_id)
        return list(dict.fromkeys(people))

    # -- sending (the sender thread) ------------------------------------------------------------
    def _post(self, replies: Sequence[Reply], audience: Audience) -> None:
        if replies:
            self._outbox.submit(self._safely, self._deliver, list(replies), audience)

    def _deliver(self, replies: list[Reply], audience: Audience, outbox: bool = False,
                 drain: bool = False) -> None:
        """Send replies in order. An ``outbox`` delivery raises on the first refusal instead of
        going on (the outbox tries again later) and asks WeCom to drop a repeat of the same
        message: the outbox sends at least once, so after a crash between sending and marking
        sent the same announcement goes out again, and WeCom's duplicate check (same request
        within ``_REPEAT_WINDOW_S``) keeps members from receiving it twice."""
        everyone = self._everyone(audience)
        if not everyone:
            log.warning("WeCom: nobody to send to in case %s", audience.case_id)
            return
        if not outbox and self._behind_queue():
            self._queue(replies, audience)
            return
        for index, reply in enumerate(replies):
            try:
                for outgoing in render(reply, audience.lang):
                    users = [audience.actor] if outgoing.private and audience.actor else everyone
                    self._send(outgoing, users, audience.lang, outbox, drain=drain)
            except _Busy:
                # This reply and the rest of the turn's wait in the outbox, in order.
                self._queue(replies[index:], audience)
                return

    def _behind_queue(self) -> bool:
        if not self._waiting:
            return False
        with self.dialogue.store.snapshot() as tx:
            self._waiting = bool(outbox_store.replies_waiting(tx, self.conversation))
        return self._waiting

    def _queue(self, replies: Sequence[Reply], audience: Audience) -> None:
        """Write live replies to the outbox, one row each; the scheduler sends them when WeCom
        takes messages again (``send_for``), in order, each to the people it was for."""
        self._waiting = True
        with self.dialogue.store.transaction() as tx:
            for reply in replies:
                outbox_store.add_message(
                    tx, dedupe_key=f"reply:{uuid.uuid4().hex}", case_id=audience.case_id,
                    wait_id=None, purpose="reply", conversation=self.conversation,
                    mention_user_id=None, mention_name=None, replies=[reply_row(reply)],
                    at=self._now(), actor=audience.actor)
        log.warning("WeCom did not take %d repl%s now: queued in the outbox", len(replies),
                    "y" if len(replies) == 1 else "ies")

    def _send(self, outgoing: Outgoing, users: list[str], lang: str, outbox: bool, *,
              drain: bool = False) -> None:
        try:
            if outgoing.upload is not None:
                upload = outgoing.upload
                media_id = self.api.upload_file(upload.name, upload.content, upload.mime)
                self.api.send(users, file_message(media_id))
            elif outbox:
                self.api.send(users, {**outgoing.message, "enable_duplicate_check": 1,
                                      "duplicate_check_interval": _REPEAT_WINDOW_S})
            else:
                self.api.send(users, outgoing.message)
        except WeComApiError as problem:
            log.warning("WeCom %s failed (errcode %s)", problem.operation, problem.code)
            if outbox and (problem.for_now or not drain):
                raise
            if problem.for_now and not outbox:
                raise _Busy(problem.operation) from None
            if outgoing.upload is not None:
                for fallback in text_messages(t("wecom.file_failed", lang,
                                                name=outgoing.upload.name)):
                    self._send(fallback, users, lang, outbox, drain=drain)

    def _close_card(self, message: WeComMessage, audience: Audience, refused: bool) -> None:
        """Turn the tapped card's buttons into one label, so it cannot be answered twice."""
        users = [message.user_id] if refused else self._everyone(audience)
        label = t("wecom.card_closed" if refused else "wecom.card_chosen", audience.lang)
        try:
            self.api.update_card_button(users, message.response_code, label)
        except WeComApiError as problem:
            log.warning("WeCom card update failed (errcode %s)", problem.code)


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
