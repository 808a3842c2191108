"""Tencent's review emails in the conversation: which case a message is about, how a finding is
shown, and what a click on it does.

Why platform-neutral and why a person decides: an email can be forged, misread or about another
team, so the watcher (``bot/mail/watch.py``) only *proposes*. This module ties a message to a case
by what it contains — a reply to an email the bot sent, the case's UIN, enterprise name, app ID,
or (weakest) app name — and refuses to guess: a message that matches no case, or several, goes to
admins. The finding posted in the case's conversation shows what decided it and offers confirm /
not-this; confirming runs the very ``review …`` command a person could type, as that person, in
the same transaction as the finding's new state, so the review is recorded exactly once, with its
notification, or not at all.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from handlers.admins import admin_cases
from handlers.catalogue import t
from handlers.registry import Router
from handlers.render import DISPLAY_ZONE, field_label
from handlers.shapes import Choice, Reply
from handlers.turn import Turn
from storage import CaseRecord, StoreTransaction, outbox
from storage import mail as store

STEP_PREFIX = "mail"
"""Clicks on findings carry the step ``mail:<finding id>``."""
router = Router("mail")
CONFIRM = "confirm"
DISMISS = "dismiss"
ASSIGN_PREFIX = "case:"

STRONG_MATCHES = ("reply", "app_id", "uin", "enterprise_name")
"""What ties a message to one case; the app name only counts when none of these matches."""
_MIN_APP_NAME_CHARS = 2
_MAX_COMMAND_REASON = 300

CommandRunner = Callable[[Turn, str], list[Reply]]
"""Applies a command line as if this turn's person had typed it (the engine's
``run_command_text``, handed to every click handler: ``handlers.registry.ActionHandler``)."""


@dataclass(frozen=True, slots=True)
class MailAttachment:
    name: str
    mime: str
    size: int


@dataclass(frozen=True, slots=True)
class MailReading:
    """One email as ``bot/mail/reading.py`` decoded and read it: plain strings, no MIME.

    ``text`` is what matching searches (subject, the body's own lines, attachment names);
    ``kind``/``outcome``/``reason``/``app_id`` are the guess, ``evidence`` the lines behind it.
    """

    message_id: str | None
    subject: str
    sender: str
    sent_at: str | None
    text: str
    references: tuple[str, ...]
    attachments: tuple[MailAttachment, ...]
    kind: str | None
    outcome: str | None
    reason: str | None
    app_id: str | None
    evidence: tuple[str, ...]


# -- matching -------------------------------------------------------------------------------
def _fold(text: str) -> str:
    """Compared loosely: NFKC (full-width brackets and digits), case-folded, no white space."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def _contains_number(text: str, number: str) -> bool:
    return re.search(rf"(?<!\d){re.escape(number)}(?!\d)", text) is not None


def _evidence_for(case_answers: Mapping[str, Any], folded: str, plain: str) -> list[str]:
    found: list[str] = []
    uin = case_answers.get("uin")
    if isinstance(uin, str) and uin and _contains_number(plain, uin):
        found.append("uin")
    for key in ("enterprise_name", "app_id", "app_name"):
        value = case_answers.get(key)
        if not isinstance(value, str):
            continue
        needle = _fold(value)
        if key == "app_name" and len(needle) < _MIN_APP_NAME_CHARS:
            continue
        if needle and needle in folded:
            found.append(key)
    return found


@dataclass(frozen=True, slots=True)
class CaseMatch:
    """The cases a message may belong to, and why each one matched."""

    case_ids: tuple[int, ...]
    reasons: Mapping[int, tuple[str, ...]]


def match_cases(tx: StoreTransaction, reading: MailReading) -> CaseMatch:
    """Which active cases ``reading`` is about; the strongest kind of evidence wins."""
    active = {case.id: case for case in tx.cases() if case.state == "active"}
    replied = store.cases_for_sent_message_ids(tx, reading.references) & active.keys()
    reasons: dict[int, list[str]] = {case_id: ["reply"] for case_id in replied}
    plain = unicodedata.normalize("NFKC", reading.text)
    folded = _fold(reading.text)
    for case_id in active:
        found = _evidence_for({k: a.value for k, a in tx.answers(case_id).items()}, folded, plain)
        if found:
            reasons.setdefault(case_id, []).extend(found)
    if len(replied) == 1:
        (only,) = replied
        return CaseMatch((only,), {only: tuple(reasons[only])})
    strong = [c for c, why in reasons.items() if set(why) & set(STRONG_MATCHES)]
    chosen = sorted(strong or reasons)
    return CaseMatch(tuple(chosen), {c: tuple(reasons[c]) for c in chosen})


@dataclass(frozen=True, slots=True)
class Filed:
    """What became of one message: its finding, and where it was sent."""

    finding_id: int
    state: str
    case_ids: tuple[int, ...]
    notified: tuple[str, ...]
    """Admin conversations the notice was queued for (unmatched or ambiguous messages)."""


def file_reading(
    tx: StoreTransaction, reading: MailReading, *, mailbox: str, admins: Iterable[str], at: str
) -> Filed:
    """Store what a message seems to say and queue it, in the caller's transaction: into its
    case's conversation, or — when it matches no case or several — to admins."""
    match = match_cases(tx, reading)
    new = store.NewFinding(
        mailbox=mailbox, message_id=reading.message_id, subject=reading.subject,
        sender=reading.sender, sent_at=reading.sent_at, kind=reading.kind,
        outcome=reading.outcome, reason=reading.reason, app_id=reading.app_id,
        evidence=reading.evidence,
        attachments=tuple({"name": a.name, "mime": a.mime, "size": a.size}
                          for a in reading.attachments),
    )
    matched_by = sorted({why for reasons in match.reasons.values() for why in reasons})
    if len(match.case_ids) == 1:
        finding_id = store.add_finding(tx, new, state="proposed", case_id=match.case_ids[0],
                                       candidates=match.case_ids, matched_by=matched_by, at=at)
        post_finding(tx, finding_id, at)
        return Filed(finding_id, "proposed", match.case_ids, ())
    state = "ambiguous" if match.case_ids else "unmatched"
    finding_id = store.add_finding(tx, new, state=state, case_id=None, candidates=match.case_ids,
                                   matched_by=matched_by, at=at)
    notice_id = store.add_notice(tx, state, mailbox, at=at, finding_id=finding_id)
    return Filed(finding_id, state, match.case_ids, notify_admins(tx, notice_id, admins, at))


def _queue(tx: StoreTransaction, key: str, case: CaseRecord, replies: list[Reply],
           at: str, *, for_creator: bool = False) -> None:
    """Into the outbox (migration 0004), which the scheduler delivers through the platform that
    owns the conversation, once, retrying a failed send; the case's creator is mentioned. The
    outbox knows two purposes, ``result`` and ``reminder``: a finding is news of a result.
    ``for_creator``: for the creator alone (a notice for an admin), not everyone on the case."""
    outbox.add_message(
        tx, dedupe_key=key, case_id=case.id, wait_id=None, purpose="result",
        conversation=case.conversation, mention_user_id=case.created_by,
        mention_name=case.created_by_name or case.created_by,
        replies=[reply.model_dump(mode="json") for reply in replies], at=at,
        actor=case.created_by if for_creator else None)


def post_finding(tx: StoreTransaction, finding_id: int, at: str) -> None:
    """Queue a proposed finding for its case's conversation, in the case's language."""
    finding = store.finding(tx, finding_id)
    case = tx.case(finding.case_id) if finding and finding.case_id is not None else None
    if finding is None or case is None:
        return
    _queue(tx, f"mail:finding:{finding.id}:{case.id}", case, finding_replies(finding, case.lang),
           at)
    store.mark_posted(tx, finding.id, at)


def notify_admins(
    tx: StoreTransaction, notice_id: int, admins: Iterable[str], at: str
) -> tuple[str, ...]:
    """Queue a notice for every conversation where an admin started a case; returns them (none
    when no admin has a case yet: the notice is then only stored and logged)."""
    notice = store.notice(tx, notice_id)
    if notice is None:
        return ()
    cases = admin_cases(tx, admins)
    for case in cases:
        _queue(tx, f"mail:notice:{notice_id}:{case.conversation}", case,
               notice_replies(tx, notice, case.lang), at, for_creator=True)
    conversations = tuple(case.conversation for case in cases)
    store.mark_notice_queued(tx, notice_id, conversations, at)
    return conversations


def report_fault(
    tx: StoreTransaction, mailbox: str, kind: str, detail: str, *, admins: Iterable[str], at: str
) -> tuple[store.FaultRecord, bool]:
    """Count a failed attempt; the first of its kind is told to admins (once, also across a
    restart, since the fault is stored). Returns the fault and whether it was new."""
    fault, new = store.record_failure(tx, mailbox, kind, detail, at)
    if new:
        notice_id = store.add_notice(tx, kind, mailbox, at=at, detail=detail)
        notify_admins(tx, notice_id, admins, at)
    return fault, new


def report_recovery(
    tx: StoreTransaction, mailbox: str, *, admins: Iterable[str], at: str
) -> store.FaultRecord | None:
    """The mailbox answered again: end its fault and tell admins (when there was one)."""
    ended = store.clear_fault(tx, mailbox)
    if ended is not None:
        notice_id = store.add_notice(tx, "recovered", mailbox, at=at, detail=ended.since)
        notify_admins(tx, notice_id, admins, at)
    return ended


# -- words ----------------------------------------------------------------------------------
def review_command(finding: store.FindingRecord) -> str | None:
    """The ``review …`` line that records this finding, or None when the email did not say
    enough (unknown kind or outcome; an approval without a single app ID)."""
    if finding.kind not in {"realname", "app"} or finding.outcome not in {"approved", "rejected"}:
        return None
    if finding.kind == "app" and finding.outcome == "approved":
        return f"review app approved {finding.app_id}" if finding.app_id else None
    command = f"review {finding.kind} {finding.outcome}"
    reason = " ".join((finding.reason or "").split())[:_MAX_COMMAND_REASON]
    return f"{command} {reason}" if reason else command


def _when(iso: str | None) -> str:
    if not iso:
        return "—"
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(DISPLAY_ZONE).strftime("%Y-%m-%d %H:%M")


def _size(size: int) -> str:
    return f"{size} B" if size < 1024 else f"{size / 1024:.0f} KB" if size < 2**20 \
        else f"{size / 2**20:.1f} MB"


def _proposal(finding: store.FindingRecord, lang: str) -> str:
    if finding.kind is None or finding.outcome is None:
        return t("mail.proposal.unknown", lang)
    key = f"mail.proposal.{finding.kind}.{finding.outcome}"
    if finding.kind == "app" and finding.outcome == "approved":
        return (t(key, lang, app_id=finding.app_id) if finding.app_id
                else t("mail.proposal.app.no_id", lang))
    if finding.outcome == "rejected":
        return t(key, lang, reason=finding.reason or t("mail.no_reason", lang))
    return t(key, lang)


def _matched_by(finding: store.FindingRecord, lang: str) -> str:
    sep = "、" if lang == "zh" else ", "
    return sep.join(t("mail.match.reply", lang) if why == "reply" else field_label(why, lang)
                    for why in finding.matched_by)


def describe(finding: store.FindingRecord, lang: str) -> list[str]:
    """The lines every rendering of a finding shares: subject, sender, date, attachments, the
    lines that decided it and what it seems to say."""
    lines = [t("mail.subject", lang, subject=finding.subject or "—"),
             t("mail.from", lang, sender=finding.sender, date=_when(finding.sent_at))]
    if finding.attachments:
        sep = "、" if lang == "zh" else ", "
        names = sep.join(f"{a['name']} ({_size(int(a['size']))})" for a in finding.attachments)
        lines.append(t("mail.attachments", lang, names=names))
    if finding.evidence:
        lines.append(t("mail.evidence", lang))
        lines += [f"  │ {line}" for line in finding.evidence]
    lines.append(_proposal(finding, lang))
    return lines


def finding_replies(finding: store.FindingRecord, lang: str) -> list[Reply]:
    """The finding as posted in its case's conversation, with confirm / not-this choices."""
    lines = [t("mail.finding.title", lang, case_id=finding.case_id), *describe(finding, lang)]
    if finding.matched_by:
        lines.append(t("mail.matched_by", lang, reasons=_matched_by(finding, lang)))
    command = review_command(finding)
    choices: list[Choice] = []
    if command is not None:
        lines.append(t("mail.finding.ask", lang, command=command))
        choices.append(Choice(value=CONFIRM, label=t("mail.choice.confirm", lang)))
    else:
        lines.append(t("mail.finding.ask_typed", lang))
    choices.append(Choice(value=DISMISS, label=t("mail.choice.dismiss", lang)))
    return [Reply(kind="question", text="\n".join(lines), step=f"{STEP_PREFIX}:{finding.id}",
                  choices=tuple(choices))]


def _case_label(tx: StoreTransaction, case_id: int, lang: str) -> str:
    case = tx.case(case_id)
    answers = tx.answers(case_id)
    name = answers["enterprise_name"].value if "enterprise_name" in answers else "—"
    env = answers["environment"].value if "environment" in answers else None
    environment = t(f"opt.environment.{env}", lang) if env in {"test", "prod"} else "—"
    return t("mail.case_label", lang, case_id=case_id, name=name, environment=environment,
             conversation=case.conversation if case else "—")


def notice_replies(tx: StoreTransaction, notice: store.NoticeRecord, lang: str) -> list[Reply]:
    """An admin notice: a message no case claimed (or several did), or a mailbox fault."""
    if notice.finding_id is None:
        # A recovery's detail is when the trouble began; a fault's is the server's own words.
        detail = _when(notice.detail) if notice.kind == "recovered" else notice.detail or "—"
        return [Reply(kind="info", text=t(f"mail.notice.{notice.kind}", lang,
                                           mailbox=notice.mailbox, detail=detail))]
    finding = store.finding(tx, notice.finding_id)
    if finding is None:
        return []
    lines = [t(f"mail.notice.{notice.kind}", lang, mailbox=notice.mailbox),
             *describe(finding, lang)]
    command = review_command(finding) or t("mail.command_placeholder", lang)
    if notice.kind == "unmatched":
        lines.append(t("mail.notice.unmatched_hint", lang, command=command))
        return [Reply(kind="info", text="\n".join(lines))]
    lines.append(t("mail.notice.candidates", lang))
    lines += [f"  • {_case_label(tx, case_id, lang)}" for case_id in finding.candidates]
    lines.append(t("mail.notice.ambiguous_hint", lang))
    choices = [Choice(value=f"{ASSIGN_PREFIX}{case_id}",
                      label=t("mail.choice.assign", lang, case_id=case_id))
               for case_id in finding.candidates]
    choices.append(Choice(value=DISMISS, label=t("mail.choice.dismiss_all", lang)))
    return [Reply(kind="question", text="\n".join(lines), step=f"{STEP_PREFIX}:{finding.id}",
                  choices=tuple(choices))]


# -- the click ------------------------------------------------------------------------------
@router.action(STEP_PREFIX)
def on_action(turn: Turn, target: str, value: str, run_command: CommandRunner) -> list[Reply]:
    """A click on a finding (step ``mail:<id>``): confirm, dismiss, or (admins) pick the case an
    ambiguous message belongs to. Anything stale or out of place is refused and changes nothing."""
    finding = store.finding(turn.tx, int(target)) if target.isdigit() else None
    if finding is None:
        return [turn.error("mail.err.unknown")]
    if value == CONFIRM:
        return _confirm(turn, finding, run_command)
    if value == DISMISS:
        return _dismiss(turn, finding)
    if value.startswith(ASSIGN_PREFIX) and value[len(ASSIGN_PREFIX):].isdigit():
        return _assign(turn, finding, int(value[len(ASSIGN_PREFIX):]))
    return [turn.error("mail.err.unknown")]


def _already(turn: Turn, finding: store.FindingRecord) -> list[Reply]:
    if finding.state in {"confirmed", "dismissed"}:
        return [turn.error(f"mail.err.already_{finding.state}",
                           who=finding.decided_by_name or finding.decided_by or "—",
                           when=_when(finding.decided_at))]
    return [turn.error("mail.err.unknown")]


def _in_this_case(turn: Turn, finding: store.FindingRecord) -> bool:
    return turn.case is not None and finding.case_id == turn.case.id


def _may_decide_for_admins(turn: Turn, finding: store.FindingRecord) -> bool:
    """An unassigned finding is decided in a conversation its admin notice went to."""
    return turn.msg.conversation in store.notice_conversations(turn.tx, finding.id)


def _confirm(turn: Turn, finding: store.FindingRecord, run_command: CommandRunner) -> list[Reply]:
    if not _in_this_case(turn, finding):
        return [turn.error("mail.err.other_case")]
    if finding.state != "proposed":
        return _already(turn, finding)
    command = review_command(finding)
    if command is None:
        return [turn.error("mail.err.cannot_confirm")]
    replies = run_command(turn, command)
    errors = [reply for reply in replies if reply.kind == "error"]
    if errors:
        # The review refused (not an admin, a case not at that stage yet, an invalid app ID):
        # nothing was recorded and the finding stays open, to be confirmed again or typed.
        return [*errors, turn.reply("info", "mail.confirm_failed", command=command)]
    store.decide(turn.tx, finding.id, "confirmed", from_states=("proposed",),
                 user_id=turn.msg.user_id, user_name=turn.msg.display_name, at=turn.now)
    return [turn.reply("info", "mail.confirmed", finding_id=finding.id, command=command),
            *replies]


def _dismiss(turn: Turn, finding: store.FindingRecord) -> list[Reply]:
    if finding.state == "proposed" and not _in_this_case(turn, finding):
        return [turn.error("mail.err.other_case")]
    if finding.state == "ambiguous" and not _may_decide_for_admins(turn, finding):
        return [turn.error("mail.err.not_for_here")]
    if finding.state not in {"proposed", "ambiguous"}:
        return _already(turn, finding)
    store.decide(turn.tx, finding.id, "dismissed", from_states=("proposed", "ambiguous"),
                 user_id=turn.msg.user_id, user_name=turn.msg.display_name, at=turn.now)
    return [turn.reply("info", "mail.dismissed", finding_id=finding.id)]


def _assign(turn: Turn, finding: store.FindingRecord, case_id: int) -> list[Reply]:
    if finding.state != "ambiguous":
        return _already(turn, finding) if finding.state in {"confirmed", "dismissed"} \
            else [turn.error("mail.err.already_assigned", case_id=finding.case_id)]
    if not _may_decide_for_admins(turn, finding):
        return [turn.error("mail.err.not_for_here")]
    case = turn.tx.case(case_id)
    if case_id not in finding.candidates or case is None or case.state != "active":
        return [turn.error("mail.err.unknown")]
    store.assign(turn.tx, finding.id, case_id)
    post_finding(turn.tx, finding.id, turn.now)
    turn.tx.note(case_id, "mail_assigned", {"finding": finding.id}, **turn.who())
    return [turn.reply("info", "mail.assigned", finding_id=finding.id, case_id=case_id)]
