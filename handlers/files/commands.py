"""The ``excel``, ``materials`` and ``email`` commands, the workbook offered when stage 3 is
complete, and the confirmation that sends the email.

Why the email is two turns and a deferred send: a message to Tencent cannot be taken back, so
``email`` only shows exactly what would leave (recipient, subject, body, attachments) and asks;
the confirming turn drafts the same email again from the answers and leaves the SMTP session
to ``turn.later``, which runs after the turn has committed (never while SQLite's write lock is
held). Only a send the server accepted is recorded, in a transaction of its own. The turns only
decide what the email can hold; its files are built in ``later`` too, like ``excel``'s.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any

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
from handlers.render import (
    DISPLAY_ZONE,
    answer_label,
    field_label,
    field_labels,
    local_time,
    option_label,
)
from handlers.services import ApplicationFiles, Mailer, MailError, OutgoingEmail, PackageImage
from handlers.shapes import Choice, OutFile, Reply
from handlers.turn import Turn, fold
from storage.sent_emails import SentAttachment, record_sent_email, sent_emails

log = logging.getLogger("esignbot.files")

EMAIL_CONFIRM_STEP = "email_confirm"
"""The ``pending_confirm`` value (and button step) of an email waiting for its confirmation."""
RECIPIENT = CONTACT
OFFERED_NOTE = "workbook_offered"
"""History kind recording that the dialogue offered the workbook by itself (only once)."""
SENT_NOTE = "email_sent"
SEND_VALUE, KEEP_VALUE = "send", "keep"

_SEND_WORDS = {"send", "yes", "y", "ok", "1", "发送", "发", "确认", "确认发送", "确定", "是", "是的",
               "好", "好的"}
_KEEP_WORDS = {"keep", "no", "n", "2", "不发送", "不发", "不", "否", "暂不发送", "先不发"}
_HISTORY_WORDS = {"history", "log", "sent", "list", "记录", "历史", "已发送", "列表"}
_MAIL_LANG = "zh"
"""The email goes to Tencent's reviewers, so it is written in Chinese whatever the chat uses."""


def today(turn: Turn) -> date:
    """The turn's date in China, which names the files (``...-20260302.xlsx``)."""
    return turn.clock_now.astimezone(DISPLAY_ZONE).date()


# -- building -----------------------------------------------------------------------------
def _package_images(turn: Turn) -> tuple[list[PackageImage], list[str]]:
    """The uploaded images the offline package holds, and the fields (images included) it
    still lacks."""
    values = turn.values
    missing = missing_for_materials(values)
    images: list[PackageImage] = []
    for step in image_steps(values):
        key = flow.answered_field(step, values)
        if key is None:
            continue  # already named by missing_for_materials
        record = turn.tx.file(turn.require_case().id, str(values[key].get("file_id", "")))
        if record is None:
            missing.append(key)
        else:
            images.append(PackageImage(step.name, record.name, record.mime, record.data))
    return images, list(dict.fromkeys(missing))


def _labels_asked(turn: Turn, keys: list[str]) -> str:
    """Missing fields by what their question here calls them (the image as 多合一营业执照 or
    证件照片, the individual business's phone as 经营者联系方式)."""
    values, sep = turn.values, "、" if turn.lang == "zh" else ", "
    named = []
    for key in keys:
        step = flow.applicable_step_for_field(key, values)
        named.append(answer_label(step, key, turn.lang) if step else field_label(key, turn.lang))
    return sep.join(named)


def _email_hint(turn: Turn) -> str:
    return "\n" + turn.t("files.email_hint") if turn.services.mailer is not None else ""


# -- excel / materials --------------------------------------------------------------------
def _hand_over(turn: Turn, build: Callable[[], OutFile], text_key: str, *,
               private: bool = False) -> None:
    """Build a file after the turn has committed, and hand it over then.

    Why not in the turn: openpyxl takes milliseconds of CPU, and inside the turn it held
    SQLite's write lock that long, so under load every other team's answer queued behind it
    (measured with ``bench``: open-loop p99 450 ms with the build in the turn, tens of ms out
    of it). What it needs is captured now; it reads nothing of the closed turn."""
    lang, hint = turn.lang, _email_hint(turn) if not private else ""
    tag = case_tag(turn)

    def run() -> list[Reply]:
        built = build()
        out = built.model_copy(update={"name": tagged_name(built.name, tag)})
        return [Reply(kind="file", text=t(text_key, lang, name=out.name) + hint, file=out,
                      private=private)]
    turn.hold(run, "work")


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


def cmd_excel(turn: Turn, args: str) -> list[Reply]:
    files = turn.services.files
    if files is None:
        return [turn.error("files.unavailable")]
    missing = missing_for_workbook(turn.values)
    if missing:
        return [turn.error("files.workbook_missing", fields=field_labels(missing, turn.lang)), *turn.reask()]
    values, day = turn.values, today(turn)
    _hand_over(turn, lambda: files.application_workbook(values, day), "files.workbook_ready")
    return []


def cmd_materials(turn: Turn, args: str) -> list[Reply]:
    files = turn.services.files
    if files is None:
        return [turn.error("files.unavailable")]
    route = turn.values.get("realname_route")
    if route is None:
        return [turn.reply("info", "files.materials_no_route"), *turn.reask()]
    if not needs_materials(turn.values):
        return [turn.reply("info", "files.materials_online")]
    images, missing = _package_images(turn)
    if missing:
        return [turn.error("files.materials_missing", fields=_labels_asked(turn, missing)), *turn.reask()]
    values, day = turn.values, today(turn)
    # The package holds full personal data (resident ID, phone): handed, privately, only to
    # someone the rule lets see every one of them (handlers/privacy.py).
    carried = material_fields(values)
    if not privacy.may_receive(turn, carried):
        who = privacy.who_may(turn.answers, carried, "、" if turn.lang == "zh" else ", ")
        return [turn.error("files.materials_not_yours", who=who or "—")]
    _hand_over(turn, lambda: files.materials_package(values, images, day), "files.materials_ready",
               private=True)
    return []


_WHITELIST_AT = flow.STEPS.index(flow.STEPS_BY_NAME["whitelist_interfaces"])


def _past_stage_3_questions(turn: Turn) -> bool:
    """The flow has gone past the whitelist question (answered, skipped or carried over)."""
    current = turn.current_step()
    return current is None or flow.STEPS.index(current) > _WHITELIST_AT


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
    day = today(turn)
    turn.tx.note(case.id, OFFERED_NOTE, day.isoformat(), **turn.who())
    _hand_over(turn, lambda: files.application_workbook(values, day), "files.workbook_offered")
    turn.question_after_files = True
    return []


# -- email --------------------------------------------------------------------------------
@dataclass(slots=True)
class EmailDraft:
    """What the answers let the email hold today, decided in the turn, or why it cannot be
    sent; ``build`` makes its files and writes it, after the commit."""

    build: Callable[[], OutgoingEmail] | None = None
    notes: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def _mail(key: str, **params: object) -> str:
    return t(key, _MAIL_LANG, **params)


def draft_email(turn: Turn, files: ApplicationFiles) -> EmailDraft:
    """The application email: the workbook when stage 3 is answered, and on the offline route
    (until real-name verification is approved) the materials package when it is complete.
    Only what the turn must read (answers, uploaded images) is read here."""
    values = turn.values
    draft = EmailDraft()
    workbook_missing = missing_for_workbook(values)
    images: list[PackageImage] | None = None
    if needs_materials(values) and values.get("realname_status") != "approved":
        images, materials_missing = _package_images(turn)
        if materials_missing:
            images = None
            fields = _labels_asked(turn, materials_missing)
            if workbook_missing:
                draft.reasons.append(turn.t("files.materials_missing", fields=fields))
            else:
                draft.notes.append(turn.t("files.mail_without_materials", fields=fields))
    if workbook_missing:
        fields = field_labels(workbook_missing, turn.lang)
        if images is not None:  # a note beside "send it?", not a line that reads as an error
            draft.notes.insert(0, turn.t("files.mail_without_workbook", fields=fields))
        else:
            draft.reasons.insert(0, turn.t("files.workbook_missing", fields=fields))
    if not workbook_missing or images is not None:
        draft.build = partial(_write_email, files, values, today(turn), not workbook_missing,
                              images, turn.msg.display_name)
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
    files, mailer = services
    draft = draft_email(turn, files)
    if draft.build is None:
        return [turn.error("files.mail_nothing", reasons=" ".join(draft.reasons)), *turn.reask()]
    turn.hold(_preview_later(turn, mailer.sender, draft.build, draft.notes), "work")
    return []


def _draft_by_hand(turn: Turn, files: ApplicationFiles) -> list[Reply]:
    """No mailbox to send from: the same draft (recipient, subject, body, attachment names),
    so it can be sent by hand, then how to set one up. Nothing waits for a confirmation."""
    draft = draft_email(turn, files)
    if draft.build is None:
        return [turn.reply("info", "files.mail_not_configured")]
    build, notes, lang = draft.build, draft.notes, turn.lang

    def shown() -> list[Reply]:
        text = "\n\n".join([_preview_text(lang, t("files.mail_no_sender", lang), build()), *notes,
                             t("files.mail_not_configured", lang)])
        return [Reply(kind="info", text=text)]
    turn.hold(shown, "work")
    return []


def _preview_text(lang: str, sender: str, email: OutgoingEmail) -> str:
    attachments = "\n".join(
        t("files.mail_attachment", lang, name=f.name, size=max(1, math.ceil(len(f.content) / 1024)))
        for f in email.attachments
    )
    return t("files.mail_preview", lang, sender=sender, to=email.to, subject=email.subject,
             attachments=attachments, body=email.body.rstrip())


def _preview_later(turn: Turn, sender: str, build: Callable[[], OutgoingEmail],
                   notes: list[str]) -> Callable[[], list[Reply]]:
    """The preview, once the files are built (after the commit): exactly what would leave.

    Why the confirmation is opened here and not in the turn: it exists only once its question
    can be shown. When the build fails, the person gets an apology and no invisible "send it?"
    is left to swallow their next answer (issue 26)."""
    store, case_id, lang = turn.case_store, turn.require_case().id, turn.lang
    assert store is not None

    def preview() -> list[Reply]:
        text = "\n\n".join([_preview_text(lang, sender, build()), *notes,
                             t("files.mail_confirm", lang)])
        with store.transaction() as tx:
            case = tx.case(case_id)
            if case is None or case.state != "active":
                return []  # cancelled while the files were built: nothing to ask
            tx.update_case(case_id, pending_confirm=EMAIL_CONFIRM_STEP)
        return [Reply(kind="question", text=text, step=EMAIL_CONFIRM_STEP, choices=(
            Choice(value=SEND_VALUE, label=t("files.opt.send", lang)),
            Choice(value=KEEP_VALUE, label=t("files.opt.dont_send", lang)),
        ))]
    return preview


def answers_email(turn: Turn, command: ParsedCommand | None) -> bool:
    """Send or don't send (typed, clicked, or ``cancel``); anything else makes the preview's
    question lapse, unsent, and goes on as usual (``handlers.dialogue.Confirmation``)."""
    action = turn.msg.action
    if action is not None:
        return action.step == EMAIL_CONFIRM_STEP
    if command is not None:
        return command.command is Command.CANCEL
    labelled = {fold(w) for key in ("files.opt.send", "files.opt.dont_send") for w in labels(key)}
    return fold(turn.msg.text) in _SEND_WORDS | _KEEP_WORDS | labelled


def email_lapses(turn: Turn) -> list[Reply]:
    """Something else came instead of send or don't: nothing is sent, and that is said."""
    turn.tx.update_case(turn.require_case().id, pending_confirm=None)
    return [turn.reply("info", "files.mail_kept")]


def confirm_email(turn: Turn, command: ParsedCommand | None) -> list[Reply]:
    """The input after the preview: send (a click on Send, or yes/发送/1 typed); anything else,
    ``cancel`` included, leaves the email unsent and the case as it was."""
    case = turn.require_case()
    turn.tx.update_case(case.id, pending_confirm=None)
    action = turn.msg.action
    if action is not None:
        confirmed = action.step == EMAIL_CONFIRM_STEP and action.value == SEND_VALUE
    else:
        confirmed = command is None and fold(turn.msg.text) in _SEND_WORDS
    if not confirmed:
        return [turn.reply("info", "files.mail_kept"), *turn.reask()]
    services = _configured(turn)
    if isinstance(services, list):
        return services
    files, mailer = services
    build = draft_email(turn, files).build
    if build is None:  # the answers cannot have changed while the preview waited; be safe
        return [turn.error("files.mail_nothing", reasons=""), *turn.reask()]
    turn.hold(_send_later(turn, mailer, build), "work")
    return [turn.reply("info", "files.mail_sending", to=RECIPIENT)]


def _send_later(turn: Turn, mailer: Mailer,
                build: Callable[[], OutgoingEmail]) -> Callable[[], list[Reply]]:
    """The files, the SMTP session and its record, captured from the turn so they can run
    after the commit (possibly in another thread); it touches nothing of the closed turn."""
    store = turn.case_store
    assert store is not None
    case_id, lang, who = turn.require_case().id, turn.lang, turn.who()
    next_question = turn.reask()

    def send() -> list[Reply]:
        email = build()
        names = ("、" if lang == "zh" else ", ").join(f.name for f in email.attachments)
        try:
            message_id = mailer.send(email)
        except MailError as problem:
            key = f"files.mail_err.{problem.kind}"
            reason = t(key if has(key) else "files.mail_err.protocol", lang,
                       server=problem.server, detail=problem.detail or problem.kind)
            return [Reply(kind="error", text=f"{reason} {t('files.mail_retry', lang)}",
                          private=True)]
        sent = t("files.mail_sent", lang, to=email.to, attachments=names, message_id=message_id)
        try:
            with store.transaction() as tx:
                record_sent_email(
                    tx, case_id, message_id=message_id, recipient=email.to,
                    sender=mailer.sender, subject=email.subject,
                    attachments=[SentAttachment.of(f.name, f.content) for f in email.attachments],
                    **who,
                )
                tx.note(case_id, SENT_NOTE, {"message_id": message_id, "to": email.to,
                                             "attachments": [f.name for f in email.attachments]},
                        **who)
        except Exception:
            # The email has left: say so, so nobody sends it twice, and that it is not on file.
            log.exception("sent email %s could not be recorded", message_id)
            return [Reply(kind="info", text=sent),
                    Reply(kind="error", text=t("files.mail_unrecorded", lang), private=True)]
        return [Reply(kind="info", text=sent), *next_question]

    return send


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
