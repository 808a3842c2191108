"""The ``excel``, ``materials`` and ``email`` commands, the workbook offered when stage 3 is
complete, and the confirmation that sends the email.

Why the email is two turns and a deferred send: a message to Tencent cannot be taken back, so
``email`` only shows exactly what would leave (recipient, subject, body, attachments) and asks;
the confirming turn drafts the same email again from the answers and leaves the SMTP session
to a job (``files.email_send``), which runs after the turn has committed (never while SQLite's
write lock is held). Only a send the server accepted is recorded, in a transaction of its own.
The turns only decide what the email can hold; its files are built by jobs too, like ``excel``'s.

Why jobs and not closures (issue 27): a job is a row written with the turn, so a process that
dies after the turn was acknowledged leaves its workbook, preview or send to the next one
instead of losing it. A job's payload says what to do (which file, for which day), never what
the answers are: its runner reads them, and the uploaded images, from the store again.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from typing import Any, Literal

from handlers import flow, privacy
from handlers.catalogue import CONTACT, has, labels, t
from handlers.commands import Command, ParsedCommand, reads_arguments
from handlers.files.contents import (
    WORKBOOK_FIELDS,
    image_steps,
    material_fields,
    missing_for_materials,
    missing_for_workbook,
    needs_materials,
    whitelist_names,
)
from handlers.jobs import JobContext, runs
from handlers.registry import Router
from handlers.render import (
    DISPLAY_ZONE,
    answer_label,
    field_label,
    field_labels,
    local_time,
    option_label,
)
from handlers.services import (
    ApplicationFiles,
    Mailer,
    MailError,
    OutgoingEmail,
    PackageImage,
    Services,
)
from handlers.shapes import Choice, Inbound, OutFile, Reply, from_rows, reply_rows
from handlers.turn import Turn, fold
from storage import AnswerRecord, CaseRecord, HistoryRecord, StoreTransaction
from storage.sent_emails import SentAttachment, record_sent_email, sent_emails

log = logging.getLogger("esignbot.files")

EMAIL_CONFIRM_STEP = "email_confirm"
"""The ``pending_confirm`` value (and button step) of an email waiting for its confirmation."""
RECIPIENT = CONTACT
OFFERED_NOTE = "workbook_offered"
"""History kind recording that the dialogue offered the workbook by itself (only once)."""
SENT_NOTE = "email_sent"
SENDING_NOTE = "email_sending"
"""History kind written, keyed by the send's ``key``, just before its SMTP session: a run of the
same send that finds it (and no ``email_sent`` with that key) sends nothing (``run_email_send``)."""
HAND_OVER = "files.hand_over"
EMAIL_PREVIEW = "files.email_preview"
EMAIL_BY_HAND = "files.email_by_hand"
EMAIL_SEND = "files.email_send"
"""The kinds of job this module leaves (``handlers.jobs``) and runs."""
SEND_VALUE, KEEP_VALUE = "send", "keep"

_SEND_WORDS = {"send", "yes", "y", "ok", "1", "发送", "发", "确认", "确认发送", "确定", "是", "是的",
               "好", "好的"}
_KEEP_WORDS = {"keep", "no", "n", "2", "不发送", "不发", "不", "否", "暂不发送", "先不发"}
_HISTORY_WORDS = {"history", "log", "sent", "list", "记录", "历史", "已发送", "列表"}
_MAIL_LANG = "zh"
"""The email goes to Tencent's reviewers, so it is written in Chinese whatever the chat uses."""


router = Router("files")
"""The commands, answer hook and confirmation this module adds (``handlers.registry``)."""


def today(turn: Turn) -> date:
    """The turn's date in China, which names the files (``...-20260302.xlsx``)."""
    return turn.clock_now.astimezone(DISPLAY_ZONE).date()


# -- building -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CaseView:
    """What building a file reads of a case: its answers and uploaded images, in its language.

    Read in the turn's transaction to decide (is anything missing?), and again, from the store,
    by the job that builds after the commit: so a job's payload holds no answer, and a job run
    again after a crash builds from what is stored then."""

    tx: StoreTransaction
    id: int
    answers: Mapping[str, AnswerRecord]
    lang: str

    @classmethod
    def of_turn(cls, turn: Turn) -> CaseView:
        return cls(turn.tx, turn.require_case().id, turn.answers, turn.lang)

    @classmethod
    def read(cls, tx: StoreTransaction, case_id: int, lang: str) -> CaseView:
        return cls(tx, case_id, tx.answers(case_id), lang)

    @property
    def values(self) -> dict[str, Any]:
        return {key: answer.value for key, answer in self.answers.items()}


def _package_images(case: CaseView) -> tuple[list[PackageImage], list[str]]:
    """The uploaded images the offline package holds, and the fields (images included) it
    still lacks."""
    values = case.values
    missing = missing_for_materials(values)
    images: list[PackageImage] = []
    for step in image_steps(values):
        key = flow.answered_field(step, values)
        if key is None:
            continue  # already named by missing_for_materials
        record = case.tx.file(case.id, str(values[key].get("file_id", "")))
        if record is None:
            missing.append(key)
        else:
            images.append(PackageImage(step.name, record.name, record.mime, record.data))
    return images, list(dict.fromkeys(missing))


def _labels_asked(case: CaseView, keys: list[str]) -> str:
    """Missing fields by what their question here calls them (the image as 多合一营业执照 or
    证件照片, the individual business's phone as 经营者联系方式)."""
    values, sep = case.values, "、" if case.lang == "zh" else ", "
    named = []
    for key in keys:
        step = flow.applicable_step_for_field(key, values)
        named.append(answer_label(step, key, case.lang) if step else field_label(key, case.lang))
    return sep.join(named)


def _error(key: str, lang: str, **params: object) -> Reply:
    """A job's reason for the one person who asked (as ``Turn.error``)."""
    return Reply(kind="error", text=t(key, lang, **params), private=True)


def _iso(moment: datetime) -> str:
    """A job's moment as a turn writes its own (``Turn.now``)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


# -- excel / materials --------------------------------------------------------------------
HandedOver = Literal["workbook", "materials"]


def _hand_over(turn: Turn, what: HandedOver, text_key: str, *, private: bool = False) -> None:
    """Build a file after the turn has committed, and hand it over then (a job,
    :data:`HAND_OVER`, run by :func:`run_hand_over`).

    Why not in the turn: openpyxl takes milliseconds of CPU, and inside the turn it held
    SQLite's write lock that long, so under load every other team's answer queued behind it
    (measured with ``bench``: open-loop p99 450 ms with the build in the turn, tens of ms out
    of it). What the turn decided goes in the payload — which file, the sentence, the day it is
    built for (it names the file), the case's tag — and nothing of the answers: the job reads
    them again from the store. For the materials, also where it was asked for (the platform,
    a private chat or not), so the job checks again who may be handed its personal data."""
    payload: dict[str, Any] = {
        "file": what, "text": text_key, "private": private, "tag": case_tag(turn),
        "day": today(turn).isoformat(),
        "hint": not private and turn.services.mailer is not None,
    }
    if what == "materials":
        payload["asked"] = {"platform": turn.msg.platform, "private": turn.msg.private}
    turn.defer(HAND_OVER, payload)


@dataclass(frozen=True, slots=True)
class _Asker:
    """The person a job hands a file to, as ``handlers.privacy`` reads a turn: who asked and
    where (the job and its payload), the services, and the case as stored when the job runs."""

    msg: Inbound
    services: Services
    case: CaseRecord | None
    answers: Mapping[str, AnswerRecord]


def _materials(context: JobContext, case: CaseView,
               files: ApplicationFiles, day: date) -> Callable[[], OutFile] | list[Reply]:
    """The package's build from the case as stored now, or why there is none any more (the
    answers changed since the turn, or who may receive them)."""
    values, lang = case.values, case.lang
    if not needs_materials(values):
        key = "files.materials_online" if values.get("realname_route") else \
            "files.materials_no_route"
        return [Reply(kind="info", text=t(key, lang))]
    images, missing = _package_images(case)
    if missing:
        return [_error("files.materials_missing", lang, fields=_labels_asked(case, missing))]
    asked = context.payload.get("asked") or {}
    asker = _Asker(
        Inbound(platform=str(asked.get("platform") or "unknown"),
                conversation=context.job.conversation, user_id=context.job.actor or "unknown",
                private=bool(asked.get("private"))),
        context.services, case.tx.case(case.id), case.answers)
    carried = material_fields(values)
    if not privacy.may_receive(asker, carried):
        who = privacy.who_may(case.answers, carried, "、" if lang == "zh" else ", ")
        return [_error("files.materials_not_yours", lang, who=who or "—")]
    return partial(files.materials_package, values, images, day)


@runs(HAND_OVER)
def run_hand_over(context: JobContext) -> list[Reply]:
    """Build the file the payload names from the case's answers as stored now, and hand it
    over. Safe to run again (a build writes nothing): a job left by a process that died is
    built again, and handed over once (its replies are queued when the job is marked done)."""
    payload, lang, case_id = context.payload, context.lang, context.job.case_id
    files = context.services.files
    if files is None or case_id is None:
        return [_error("files.unavailable", lang)]
    day = date.fromisoformat(str(payload["day"]))
    build: Callable[[], OutFile] | list[Reply]
    with context.store.snapshot() as tx:
        case = CaseView.read(tx, case_id, lang)
        if payload.get("file") == "materials":
            build = _materials(context, case, files, day)
        elif missing := missing_for_workbook(case.values):
            build = [_error("files.workbook_missing", lang, fields=field_labels(missing, lang))]
        else:
            build = partial(files.application_workbook, case.values, day)
    if isinstance(build, list):
        return build
    built = build()
    out = built.model_copy(update={"name": tagged_name(built.name, str(payload["tag"]))})
    hint = "\n" + t("files.email_hint", lang) if payload.get("hint") else ""
    return [Reply(kind="file", text=t(str(payload["text"]), lang, name=out.name) + hint, file=out,
                  private=bool(payload.get("private")))]


def case_tag(turn: Turn) -> str:
    """``案例2-正式``: which case and environment a file handed over belongs to. Without it the
    production case's workbook took the test case's name, and writing it replaced that file."""
    environment = turn.values.get("environment")
    word = t(f"word.environment.{environment}", "zh") if environment in ("test", "prod") else ""
    return "-".join(part for part in (f"案例{turn.require_case().id}", word) if part)


def tagged_name(name: str, tag: str) -> str:
    """``<name>-<tag><suffix>``: the tag before the extension, so the file still opens."""
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}-{tag}.{suffix}" if dot else f"{name}-{tag}"


@router.command(Command.EXCEL)
def cmd_excel(turn: Turn, args: str) -> list[Reply]:
    files = turn.services.files
    if files is None:
        return [turn.error("files.unavailable")]
    missing = missing_for_workbook(turn.values)
    if missing:
        return [turn.error("files.workbook_missing", fields=field_labels(missing, turn.lang)), *turn.reask()]
    _hand_over(turn, "workbook", "files.workbook_ready")
    return []


@router.command(Command.MATERIALS)
def cmd_materials(turn: Turn, args: str) -> list[Reply]:
    files = turn.services.files
    if files is None:
        return [turn.error("files.unavailable")]
    route = turn.values.get("realname_route")
    if route is None:
        return [turn.reply("info", "files.materials_no_route"), *turn.reask()]
    if not needs_materials(turn.values):
        return [turn.reply("info", "files.materials_online")]
    case = CaseView.of_turn(turn)
    _images, missing = _package_images(case)
    if missing:
        return [turn.error("files.materials_missing", fields=_labels_asked(case, missing)), *turn.reask()]
    # The package holds full personal data (resident ID, phone): handed, privately, only to
    # someone the rule lets see every one of them (handlers/privacy.py).
    carried = material_fields(turn.values)
    if not privacy.may_receive(turn, carried):
        who = privacy.who_may(turn.answers, carried, "、" if turn.lang == "zh" else ", ")
        return [turn.error("files.materials_not_yours", who=who or "—")]
    _hand_over(turn, "materials", "files.materials_ready", private=True)
    return []


_WHITELIST_AT = flow.STEPS.index(flow.STEPS_BY_NAME["whitelist_interfaces"])


def _past_stage_3_questions(turn: Turn) -> bool:
    """The flow has gone past the whitelist question (answered, skipped or carried over)."""
    current = turn.current_step()
    return current is None or flow.STEPS.index(current) > _WHITELIST_AT


@router.answer_hook
def offer_workbook(turn: Turn, step: flow.Step, key: str, value: object) -> list[Reply]:
    """Answer hook: the first time stage 3's answers are complete and the flow has gone past
    them, hand over the workbook unasked; after that, say when its contents changed.

    Why not only on the whitelist answer: a production case opened by ``start prod`` carries
    the app's answers over and never asks them, so its workbook came only when asked for."""
    files = turn.services.files
    values = turn.values
    if files is None or values.get("app_id_route") == "console":
        return []  # on the console route the app ID needs no application: the workbook on request
    if key not in WORKBOOK_FIELDS and ("whitelist_interfaces" not in values
                                       or missing_for_workbook(values)
                                       or not _past_stage_3_questions(turn)):
        return []
    case = turn.require_case()
    if any(entry.kind == OFFERED_NOTE for entry in turn.tx.history(case.id)):
        return [turn.reply("info", "files.workbook_changed")] if key in WORKBOOK_FIELDS else []
    if "whitelist_interfaces" not in values or missing_for_workbook(values) \
            or not _past_stage_3_questions(turn):
        return []
    turn.tx.note(case.id, OFFERED_NOTE, today(turn).isoformat(), **turn.who())
    _hand_over(turn, "workbook", "files.workbook_offered")
    turn.question_after_files = True
    return []


# -- email --------------------------------------------------------------------------------
@dataclass(slots=True)
class EmailDraft:
    """What the answers let the email hold today, decided in the turn (and again by the job
    that writes it), or why it cannot be sent; ``build`` makes its files and writes it, after
    the commit."""

    build: Callable[[], OutgoingEmail] | None = None
    notes: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def _mail(key: str, **params: object) -> str:
    return t(key, _MAIL_LANG, **params)


def draft_email(turn: Turn, files: ApplicationFiles) -> EmailDraft:
    """The turn's draft: what it can hold today, from the answers the turn sees."""
    return plan_email(CaseView.of_turn(turn), files, today(turn), turn.msg.display_name)


def plan_email(case: CaseView, files: ApplicationFiles, day: date, user: str) -> EmailDraft:
    """The application email: the workbook when stage 3 is answered, and on the offline route
    (until real-name verification is approved) the materials package when it is complete.
    Only what must be read in a transaction (answers, uploaded images) is read here; ``build``
    runs outside it."""
    values, lang = case.values, case.lang
    draft = EmailDraft()
    workbook_missing = missing_for_workbook(values)
    images: list[PackageImage] | None = None
    if needs_materials(values) and values.get("realname_status") != "approved":
        images, materials_missing = _package_images(case)
        if materials_missing:
            images = None
            fields = _labels_asked(case, materials_missing)
            if workbook_missing:
                draft.reasons.append(t("files.materials_missing", lang, fields=fields))
            else:
                draft.notes.append(t("files.mail_without_materials", lang, fields=fields))
    if workbook_missing:
        fields = field_labels(workbook_missing, lang)
        if images is not None:  # a note beside "send it?", not a line that reads as an error
            draft.notes.insert(0, t("files.mail_without_workbook", lang, fields=fields))
        else:
            draft.reasons.insert(0, t("files.workbook_missing", lang, fields=fields))
    if not workbook_missing or images is not None:
        draft.build = partial(_write_email, files, values, day, not workbook_missing, images,
                              user)
    return draft


def _email_payload(turn: Turn) -> dict[str, Any]:
    """What an email's job needs of its turn: the day (it names the files) and who asked (the
    email is signed on their behalf, the send recorded under their name)."""
    return {"day": today(turn).isoformat(), "user": turn.msg.display_name}


def _job_draft(context: JobContext) -> EmailDraft | list[Reply]:
    """The email a job writes, drafted again from the case as stored now (the turn drafted it
    from the same answers: only a change in between makes it differ), or why there is none."""
    files, case_id, lang = context.services.files, context.job.case_id, context.lang
    if files is None or case_id is None:
        return [_error("files.unavailable", lang)]
    user = str(context.payload.get("user") or context.job.actor or "")
    with context.store.snapshot() as tx:
        draft = plan_email(CaseView.read(tx, case_id, lang), files,
                           date.fromisoformat(str(context.payload["day"])), user)
    if draft.build is None:
        return [_error("files.mail_nothing", lang, reasons=" ".join(draft.reasons))]
    return draft


def _write_email(files: ApplicationFiles, values: Mapping[str, Any], day: date,
                 with_workbook: bool, images: list[PackageImage] | None,
                 user: str) -> OutgoingEmail:
    workbook = files.application_workbook(values, day) if with_workbook else None
    materials = files.materials_package(values, images, day) if images is not None else None
    attachments = tuple(f for f in (workbook, materials) if f is not None)
    enterprise, uin = str(values["enterprise_name"]), str(values["uin"])
    app = str(values.get("app_name", ""))
    subject_kind = "both" if workbook and materials else ("app" if workbook else "materials")
    subject = _mail(f"files.mail.subject.{subject_kind}", enterprise=enterprise, uin=uin, app=app)
    paragraphs = [_mail("files.mail.greeting")]
    if materials is not None:
        org_type = option_label("org_type", str(values["org_type"]), _MAIL_LANG)
        paragraphs.append(_mail("files.mail.intro.materials", enterprise=enterprise, uin=uin,
                                org_type=org_type))
    if workbook is not None:
        whitelist = "、".join(whitelist_names(values)) or _mail("files.none")
        paragraphs.append(_mail("files.mail.intro.app", enterprise=enterprise, uin=uin) + "\n"
                          + _mail("files.mail.app_lines", app=app, app_type=values["app_type"],
                                  description=values["app_description"], whitelist=whitelist))
    details = []
    if values.get("environment"):
        environment = option_label("environment", str(values["environment"]), _MAIL_LANG)
        details.append(_mail("files.mail.environment", environment=environment))
    if values.get("org_email"):
        details.append(_mail("files.mail.reply_to", email=values["org_email"]))
    details.append(_mail("files.mail.attachments", names="、".join(f.name for f in attachments)))
    paragraphs.append("\n".join(details))
    paragraphs.append(_mail("files.mail.closing", enterprise=enterprise, user=user))
    return OutgoingEmail(
        to=RECIPIENT, subject=subject, body="\n\n".join(paragraphs) + "\n",
        attachments=attachments, reply_to=str(values["org_email"]) if values.get("org_email") else None,
    )


def _configured(turn: Turn) -> tuple[ApplicationFiles, Mailer] | list[Reply]:
    files, mailer = turn.services.files, turn.services.mailer
    if mailer is None:
        return [turn.reply("info", "files.mail_not_configured")]
    if files is None or turn.case_store is None:
        return [turn.error("files.unavailable")]
    return files, mailer


@reads_arguments(Command.EMAIL)
def reads_email(args: str) -> bool:
    """``email history``: "Email Helper" is an app's name, not the email command."""
    return fold(args) in _HISTORY_WORDS


@router.command(Command.EMAIL)
def cmd_email(turn: Turn, args: str) -> list[Reply]:
    if args:
        if fold(args) in _HISTORY_WORDS:
            return [email_history(turn)]
        return [turn.error("files.mail_usage")]
    if turn.services.mailer is None and turn.services.files is not None:
        return _draft_by_hand(turn, turn.services.files)
    services = _configured(turn)
    if isinstance(services, list):
        return services
    files, _mailer = services
    draft = draft_email(turn, files)
    if draft.build is None:
        return [turn.error("files.mail_nothing", reasons=" ".join(draft.reasons)), *turn.reask()]
    turn.defer(EMAIL_PREVIEW, _email_payload(turn))
    return []


def _draft_by_hand(turn: Turn, files: ApplicationFiles) -> list[Reply]:
    """No mailbox to send from: the same draft (recipient, subject, body, attachment names),
    so it can be sent by hand, then how to set one up. Nothing waits for a confirmation."""
    if draft_email(turn, files).build is None:
        return [turn.reply("info", "files.mail_not_configured")]
    turn.defer(EMAIL_BY_HAND, _email_payload(turn))
    return []


@runs(EMAIL_BY_HAND)
def run_email_by_hand(context: JobContext) -> list[Reply]:
    """The draft to send by hand, once its files are built. Writes nothing: safe to run again."""
    lang = context.lang
    draft = _job_draft(context)
    if isinstance(draft, list):
        return draft
    assert draft.build is not None
    text = "\n\n".join([_preview_text(lang, t("files.mail_no_sender", lang), draft.build()),
                         *draft.notes, t("files.mail_not_configured", lang)])
    return [Reply(kind="info", text=text)]


def _preview_text(lang: str, sender: str, email: OutgoingEmail) -> str:
    attachments = "\n".join(
        t("files.mail_attachment", lang, name=f.name, size=max(1, math.ceil(len(f.content) / 1024)))
        for f in email.attachments
    )
    return t("files.mail_preview", lang, sender=sender, to=email.to, subject=email.subject,
             attachments=attachments, body=email.body.rstrip())


@runs(EMAIL_PREVIEW)
def run_email_preview(context: JobContext) -> list[Reply]:
    """The preview, once the files are built (after the commit): exactly what would leave.

    Why the confirmation is opened here and not in the turn: it exists only once its question
    can be shown. When the build fails, the person gets an apology and no invisible "send it?"
    is left to swallow their next answer (issue 26). Safe to run again: a second run opens the
    same confirmation and shows the same question (once: it is queued with the job's end)."""
    lang, case_id, mailer = context.lang, context.job.case_id, context.services.mailer
    if mailer is None:
        return [Reply(kind="info", text=t("files.mail_not_configured", lang))]
    draft = _job_draft(context)
    if isinstance(draft, list):
        return draft
    assert draft.build is not None and case_id is not None
    text = "\n\n".join([_preview_text(lang, mailer.sender, draft.build()), *draft.notes,
                         t("files.mail_confirm", lang)])
    with context.store.transaction() as tx:
        case = tx.case(case_id)
        if case is None or case.state != "active":
            return []  # cancelled while the files were built: nothing to ask
        tx.update_case(case_id, pending_confirm=EMAIL_CONFIRM_STEP)
    return [Reply(kind="question", text=text, step=EMAIL_CONFIRM_STEP, choices=(
        Choice(value=SEND_VALUE, label=t("files.opt.send", lang)),
        Choice(value=KEEP_VALUE, label=t("files.opt.dont_send", lang)),
    ))]


def answers_email(turn: Turn, command: ParsedCommand | None) -> bool:
    """Send or don't send (typed, clicked, or ``cancel``); anything else makes the preview's
    question lapse, unsent, and goes on as usual (``handlers.dialogue.Confirmation``)."""
    action = turn.msg.action
    if action is not None:
        return action.step == EMAIL_CONFIRM_STEP
    if command is not None:
        return command.command is Command.CANCEL
    labelled = {flow.fold_reply(w) for key in ("files.opt.send", "files.opt.dont_send")
                for w in labels(key)}
    return flow.fold_reply(turn.msg.text) in _SEND_WORDS | _KEEP_WORDS | labelled


def email_lapses(turn: Turn) -> list[Reply]:
    """Something else came instead of send or don't: nothing is sent, and that is said."""
    turn.tx.update_case(turn.require_case().id, pending_confirm=None)
    return [turn.reply("info", "files.mail_kept")]


@router.confirmation(EMAIL_CONFIRM_STEP, answers=answers_email, lapse=email_lapses)
def confirm_email(turn: Turn, command: ParsedCommand | None) -> list[Reply]:
    """The input after the preview: send (a click on Send, or yes/发送/1 typed); anything else,
    ``cancel`` included, leaves the email unsent and the case as it was."""
    case = turn.require_case()
    turn.tx.update_case(case.id, pending_confirm=None)
    action = turn.msg.action
    if action is not None:
        confirmed = action.step == EMAIL_CONFIRM_STEP and action.value == SEND_VALUE
    else:
        confirmed = command is None and flow.fold_reply(turn.msg.text) in _SEND_WORDS
    if not confirmed:
        return [turn.reply("info", "files.mail_kept"), *turn.reask()]
    services = _configured(turn)
    if isinstance(services, list):
        return services
    files, _mailer = services
    if draft_email(turn, files).build is None:  # the answers cannot have changed while the
        return [turn.error("files.mail_nothing", reasons=""), *turn.reask()]  # preview waited
    # ``key``: this confirmation's send, whichever process runs it and however often. The next
    # question follows the sent email (only it: after a failure the person reads why).
    turn.defer(EMAIL_SEND, {**_email_payload(turn), "key": uuid.uuid4().hex,
                            "question": reply_rows(turn.reask())})
    return [turn.reply("info", "files.mail_sending", to=RECIPIENT)]


def _earlier_run(tx: StoreTransaction, case_id: int, key: str) -> list[HistoryRecord]:
    """What an earlier run of the send ``key`` left in the case's history: ``email_sending``
    (its SMTP session began), ``email_sent`` (it was sent and recorded)."""
    return [entry for entry in tx.history(case_id)
            if entry.kind in (SENDING_NOTE, SENT_NOTE) and isinstance(entry.value, dict)
            and entry.value.get("key") == key]


def _as_run_before(earlier: list[HistoryRecord], lang: str,
                   question: list[Reply]) -> list[Reply]:
    """A send that ran before (its process died before its job was done): the email that was
    sent, as recorded; or, with only its start recorded, that nobody can tell whether it left."""
    sent = next((entry for entry in earlier if entry.kind == SENT_NOTE), None)
    if sent is None:
        return [Reply(kind="error", text=t("files.mail_interrupted", lang, to=RECIPIENT))]
    value = sent.value
    assert isinstance(value, dict)
    names = ("、" if lang == "zh" else ", ").join(str(n) for n in value.get("attachments") or [])
    return [Reply(kind="info", text=t("files.mail_sent", lang, to=value.get("to", RECIPIENT),
                                      attachments=names, message_id=value.get("message_id"))),
            *question]


@runs(EMAIL_SEND)
def run_email_send(context: JobContext) -> list[Reply]:
    """The files, the SMTP session and its record, after the confirming turn committed.

    At most once: a confirmation's email goes through one SMTP session however often its job
    runs (a process that dies while running it leaves it to another). Before the session a
    history row ``email_sending`` with the send's ``key`` is committed — checked for and
    written under the write lock, so two processes cannot both pass — and after it the sent
    email and ``email_sent`` (with the same key) in one transaction. A later run that finds
    ``email_sent`` says the email was sent, from that record, and sends nothing; one that finds
    only ``email_sending`` cannot know whether the server took the email (the process died
    during or right after the session), so it sends nothing and says so: a second copy on
    Tencent's reviewers' desk is worse than asking the team to look. Whatever it says is said
    once, queued as the job is marked done (``Dialogue.run_job``)."""
    job, payload, lang = context.job, context.payload, context.lang
    mailer, case_id, key = context.services.mailer, job.case_id, str(payload.get("key") or "")
    if mailer is None:
        return [Reply(kind="info", text=t("files.mail_not_configured", lang))]
    if case_id is None or not key:
        return [_error("files.unavailable", lang)]
    question = from_rows(list(payload.get("question") or []))
    with context.store.snapshot() as tx:
        earlier = _earlier_run(tx, case_id, key)
    if earlier:
        return _as_run_before(earlier, lang, question)
    draft = _job_draft(context)
    if isinstance(draft, list):
        return draft
    assert draft.build is not None
    email = draft.build()
    who = {"user_id": job.actor or "", "user_name": str(payload.get("user") or job.actor or ""),
           "at": _iso(context.now)}
    with context.store.transaction() as tx:
        earlier = _earlier_run(tx, case_id, key)
        if not earlier:
            tx.note(case_id, SENDING_NOTE, {"key": key}, **who)
    if earlier:  # another process ran it meanwhile (this one's lease ran out while it built)
        return _as_run_before(earlier, lang, question)
    names = ("、" if lang == "zh" else ", ").join(f.name for f in email.attachments)
    try:
        message_id = mailer.send(email)
    except MailError as problem:
        reason_key = f"files.mail_err.{problem.kind}"
        reason = t(reason_key if has(reason_key) else "files.mail_err.protocol", lang,
                   server=problem.server, detail=problem.detail or problem.kind)
        return [Reply(kind="error", text=f"{reason} {t('files.mail_retry', lang)}",
                      private=True)]
    sent = t("files.mail_sent", lang, to=email.to, attachments=names, message_id=message_id)
    try:
        with context.store.transaction() as tx:
            record_sent_email(
                tx, case_id, message_id=message_id, recipient=email.to,
                sender=mailer.sender, subject=email.subject,
                attachments=[SentAttachment.of(f.name, f.content) for f in email.attachments],
                **who,
            )
            tx.note(case_id, SENT_NOTE, {"key": key, "message_id": message_id, "to": email.to,
                                         "attachments": [f.name for f in email.attachments]},
                    **who)
    except Exception:
        # The email has left: say so, so nobody sends it twice, and that it is not on file.
        log.exception("sent email %s could not be recorded", message_id)
        return [Reply(kind="info", text=sent),
                Reply(kind="error", text=t("files.mail_unrecorded", lang), private=True)]
    return [Reply(kind="info", text=sent), *question]


def email_history(turn: Turn) -> Reply:
    """Every email sent from this case: when, by whom, to whom, what, and its Message-ID."""
    sent = sent_emails(turn.tx, turn.require_case().id)
    if not sent:
        return turn.reply("info", "files.mail_history_empty")
    lines = [turn.t("files.mail_history_title")]
    lines += [
        turn.t("files.mail_history_line", at=local_time(e.at), user=e.user_name, to=e.recipient,
               subject=e.subject, attachments="、".join(a.name for a in e.attachments),
               message_id=e.message_id)
        for e in sent
    ]
    return Reply(kind="info", text="\n".join(lines))
