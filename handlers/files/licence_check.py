"""The licence photo checked against the answers (issue 21): what the photo says, compared with
what the team typed, said in the conversation as ✓, a mismatch with both values, or an offer.

Why before Tencent: a real-name review rejected for a blurred photo or a code typed differently
from the licence costs 1–3 working days. Reading the photo (the optional ``ocr`` extra) lives in
``bot/``; this module only decides what the lines of text mean and what to say, so it is pure
and tested without any OCR.

The rules it keeps:

* A code is trusted only when it passes its check digit (the validators' own rules, called,
  never copied). OCR confuses O and 0, I and 1, …: those readings are tried only where the
  corrected code then passes its check, and only when exactly one correction does.
* A read is never an answer. A value is stored only when a person takes it: the button runs
  ``edit <field> <value>`` as that person, and the same text can be typed. So the materials
  sheet is never filled from a photo without someone's say.
* The photo is read after the turn that stored it has committed (a job, ``files.licence_read``,
  that names the photo by its file id and reads it from the store, so a process that dies
  first leaves the read to the next): off the acknowledgement path and never inside a turn's
  transaction; ``serve`` reads it in a child process (``bot/files/process.py``). Its result is
  recorded in a transaction of its own.
* A photo nothing can be trusted from gets one sentence and never blocks the flow.
* The photo's text is neither logged nor kept: only the values compared
  (``storage/licence_reads.py``), each stored as its answer would be.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any, Literal, Protocol, runtime_checkable

from handlers import flow, privacy
from handlers import validators as v
from handlers.catalogue import t
from handlers.jobs import JobContext, runs
from handlers.registry import Router
from handlers.render import display_value, field_label, local_time
from handlers.services import Services
from handlers.shapes import Choice, Reply, from_rows, reply_rows
from handlers.turn import Turn, fold
from storage import licence_reads as store

STEP_PREFIX = "ocr"
"""Buttons on a photo's result have step ``ocr:<read id>`` and the field as their value."""
LICENCE_READ = "files.licence_read"
"""The kind of job that reads a stored photo after its turn (``handlers.jobs``)."""

CODE_FIELDS = ("uscc", "business_reg_no", "cert_number", "org_code")
NAME_FIELD = "enterprise_name"
PERSON_FIELDS = ("legal_rep", "operator_name")
CHECKED_ORDER = (*CODE_FIELDS, NAME_FIELD, *PERSON_FIELDS)


router = Router("files.licence_check")
"""The answer hook, clicks and lines of ``help`` and ``status`` this module adds."""


@runtime_checkable
class LicenceReader(Protocol):
    """What the files service can also do when the ``ocr`` extra is installed (``bot/files``):
    the lines of text on a photo, or None when it cannot read photos here."""

    def licence_reading(self) -> bool: ...

    def read_licence(self, image: bytes) -> list[str] | None: ...


def reader(turn: Turn) -> LicenceReader | None:
    return _reader(turn.services)


def _reader(services: Services) -> LicenceReader | None:
    files = services.files
    return files if isinstance(files, LicenceReader) and files.licence_reading() else None


# -- what the lines say -------------------------------------------------------------------
CodeKind = Literal["uscc", "business_reg_no", "org_code"]

_CONFUSIONS = {"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "Z": "2", "S": "5", "B": "8"}
"""Letters OCR reads for digits. Tried only where the corrected code passes its check."""
_MAX_CONFUSIONS = 6
"""At most 2**6 corrections of one code are tried (a longer run of look-alikes is not a code)."""
_DIGITS = "0123456789"
_CODE_RULES: tuple[tuple[CodeKind, int, Callable[[str, Mapping[str, Any]], str], str,
                         tuple[str, ...]], ...] = (
    # (kind, length, the validator, the characters the code may hold, labels it needs)
    ("uscc", 18, v.uscc_number, _DIGITS + "ABCDEFGHJKLMNPQRTUWXY", ()),
    # 15 digits or 9 characters turn up elsewhere on a licence (phone numbers, dates): these
    # count only on a line labelled as the code, or the one after it.
    ("business_reg_no", 15, v.business_reg_no, _DIGITS, ("注册号",)),
    ("org_code", 9, v.org_code, _DIGITS + "ABCDEFGHIJKLMNOPQRSTUVWXYZ", ("机构代码", "代码证")),
)
_NAME_LABEL = re.compile(r"^(?:(?:企业|字号|单位|机构)?名称|称)[:：]?(?P<value>.*)$")
_PERSON_LABEL = re.compile(
    r"^(?:法定代表人|法人代表|负责人|经营者|执行事务合伙人|投资人)(?:姓名)?[:：]?(?P<value>.*)$")


@dataclass(frozen=True, slots=True)
class Found:
    """What the photo's lines were found to say (each None when not found or not trusted)."""

    code_kind: CodeKind | None = None
    code: str | None = None
    name: str | None = None
    person: str | None = None


def _compact(line: str) -> str:
    return "".join(unicodedata.normalize("NFKC", line).split())


def _corrections(token: str, alphabet: str) -> Iterator[str]:
    """A look-alike the code's alphabet cannot hold (O in a credit code) is always corrected;
    one it can hold (B, D) is tried both ways."""
    token = "".join(_CONFUSIONS[c] if c in _CONFUSIONS and c not in alphabet else c for c in token)
    yield token
    positions = [i for i, char in enumerate(token) if char in _CONFUSIONS][:_MAX_CONFUSIONS]
    for mask in range(1, 1 << len(positions)):
        chars = list(token)
        for bit, position in enumerate(positions):
            if mask >> bit & 1:
                chars[position] = _CONFUSIONS[chars[position]]
        yield "".join(chars)


def trusted_code(token: str, validate: Callable[[str, Mapping[str, Any]], str],
                 alphabet: str) -> str | None:
    """``token`` normalised by ``validate`` when it passes; else the one correction of look-alike
    letters that passes (two that pass: neither is trusted)."""
    try:
        return validate(token, {})
    except v.Invalid:
        pass
    passing: set[str] = set()
    for candidate in _corrections(token, alphabet):
        try:
            passing.add(validate(candidate, {}))
        except v.Invalid:
            continue
    return passing.pop() if len(passing) == 1 else None


def _tokens(line: str, length: int) -> Iterator[str]:
    """Every ``length``-character window of each run of code characters on the line (a label
    run into the code, ``统一社会信用代码91350100M000100Y43``, leaves the run alone)."""
    for run in re.findall(r"[0-9A-Z-]+", line.upper()):
        run = run.replace("-", "")
        if length <= len(run) <= length + 4:
            for start in range(len(run) - length + 1):
                yield run[start:start + length]


def _find_code(lines: Sequence[str]) -> tuple[CodeKind, str] | None:
    for kind, length, validate, alphabet, labels in _CODE_RULES:
        for index, line in enumerate(lines):
            near = line + (lines[index - 1] if index else "")
            if labels and not any(label in near for label in labels):
                continue
            for token in _tokens(line, length):
                code = trusted_code(token, validate, alphabet)
                if code is not None:
                    return kind, code
    return None


def _labelled(lines: Sequence[str], label: re.Pattern[str],
              validate: Callable[[str, Mapping[str, Any]], str]) -> str | None:
    """The value after ``label`` on its line (or on the next line when the label stands
    alone), if it passes ``validate``."""
    for index, line in enumerate(lines):
        match = label.match(line)
        if match is None:
            continue
        value = match["value"] or (lines[index + 1] if index + 1 < len(lines) else "")
        try:
            return validate(value, {})
        except v.Invalid:
            continue
    return None


def find(lines: Sequence[str]) -> Found:
    """What a licence's lines of text say: its code (trusted only past its check digit), the
    organisation's name, and the legal representative or operator."""
    compact = [c for c in (_compact(line) for line in lines) if c]
    code = _find_code(compact)
    return Found(
        code_kind=code[0] if code else None, code=code[1] if code else None,
        name=_labelled(compact, _NAME_LABEL, v.organisation_name),
        person=_labelled(compact, _PERSON_LABEL, v.person_name),
    )


# -- which answers they compare with ------------------------------------------------------
def _applies(key: str, values: Mapping[str, Any]) -> bool:
    return flow.applicable_step_for_field(key, values) is not None


def read_values(found: Found, values: Mapping[str, Any]) -> dict[str, str]:
    """The values found, by the field of this case each compares with (fields that do not
    apply to the case's organisation type are left out)."""
    out: dict[str, str] = {}
    if found.code is not None:
        kind, code = found.code_kind, found.code
        if kind == "uscc" and _applies("uscc", values):
            out["uscc"] = code
        elif kind == "business_reg_no" and _applies("business_reg_no", values):
            out["business_reg_no"] = code
        elif kind == "uscc" and _applies("cert_number", values) and values.get("cert_type") == "uscc":
            out["cert_number"] = code
        elif kind == "uscc" and _applies("org_code", values):
            out["org_code"] = f"{code[8:16]}-{code[16]}"  # a USCC carries the org code inside
        elif kind == "org_code" and _applies("org_code", values):
            out["org_code"] = code
        else:
            out[kind or "uscc"] = code  # shown, not compared: another kind of code
    if found.name is not None:
        out[NAME_FIELD] = found.name
    person = next((key for key in PERSON_FIELDS if _applies(key, values)), PERSON_FIELDS[0])
    if found.person is not None:
        out[person] = found.person
    return out


Verdict = Literal["match", "mismatch", "unanswered", "other"]


@dataclass(frozen=True, slots=True)
class Check:
    field: str
    read: str
    verdict: Verdict
    answered_field: str | None = None
    answered: Any = None


def _same(read: str, answered: Any) -> bool:
    return fold(read) == fold(str(answered))


def compare(read: Mapping[str, str], values: Mapping[str, Any]) -> list[Check]:
    """Each value read against the answer of its field (for a question answered by one of two
    fields, ``uscc`` or ``business_reg_no``, against whichever holds the answer)."""
    checks = []
    for key in sorted(read, key=CHECKED_ORDER.index):
        step = flow.applicable_step_for_field(key, values)
        if step is None:
            checks.append(Check(key, read[key], "other"))
            continue
        answered_key = flow.answered_field(step, values)
        if answered_key is None:
            checks.append(Check(key, read[key], "unanswered"))
        elif answered_key == key and _same(read[key], values[key]):
            checks.append(Check(key, read[key], "match", key, values[key]))
        else:
            checks.append(Check(key, read[key], "mismatch", answered_key, values[answered_key]))
    return checks


# -- saying it ----------------------------------------------------------------------------
def _edit_text(lang: str, key: str, value: str) -> str:
    return t("files.ocr.edit_command", lang, field=key, value=value)


def check_lines(checks: Sequence[Check], lang: str, *, private: bool) -> list[str]:
    lines = []
    for check in checks:
        label = field_label(check.field, lang)
        read = display_value(check.field, check.read, lang, private=private)
        if check.verdict == "mismatch":
            assert check.answered_field is not None
            answered = display_value(check.answered_field, check.answered, lang, private=private)
            if check.answered_field != check.field:
                answered = f"{field_label(check.answered_field, lang)} {answered}"
            lines.append(t("files.ocr.mismatch", lang, label=label, read=read, answered=answered))
        else:
            lines.append(t(f"files.ocr.{check.verdict}", lang, label=label, read=read))
    return lines


def result_replies(read_id: int, found: Found, checks: Sequence[Check], lang: str, *,
                   private: bool) -> list[Reply]:
    """The notice after a photo was read: one sentence when no code could be trusted (the
    person may keep the photo), else a line per value and an offer for each one to take."""
    if found.code is None:
        return [Reply(kind="info", text=t("files.ocr.unreadable", lang))]
    lines = [t("files.ocr.title", lang), *check_lines(checks, lang, private=private)]
    offers = [c for c in checks if c.verdict in ("mismatch", "unanswered")]
    if not offers:
        lines.append(t("files.ocr.all_match", lang))
        return [Reply(kind="info", text="\n".join(lines))]
    commands = "\n".join(f"  {_edit_text(lang, c.field, c.read)}" for c in offers)
    lines.append(t("files.ocr.offer_hint", lang, commands=commands))
    choices = tuple(Choice(value=c.field, label=t("files.ocr.take", lang,
                                                   label=field_label(c.field, lang)))
                    for c in offers)
    return [Reply(kind="question", text="\n".join(lines), step=f"{STEP_PREFIX}:{read_id}",
                  choices=choices)]


# -- the answer hook and the deferred read ------------------------------------------------
@router.answer_hook
def on_answer(turn: Turn, step: flow.Step, key: str, value: object) -> list[Reply]:
    """Answer hook: a licence or certificate photo was stored; read it after the commit.

    The job's payload names the photo by its file id (the bytes are read from the store), says
    whether the result may show values in full (``private``: decided by who sent it, where), and
    holds the question an offer ends with, asked again (captured now: the one that followed the
    photo), so the last numbered choices a terminal shows are still the question's: its buttons
    are the offer's, its typed form ``edit``."""
    if key != "license_image" or turn.msg.file is None or reader(turn) is None \
            or not isinstance(value, dict):
        return []
    turn.defer(LICENCE_READ, {"file_id": str(value.get("file_id", "")),
                              "private": privacy.shown_in_full(turn),
                              "question": reply_rows(turn.reask())})
    return []


@runs(LICENCE_READ)
def run_read(context: JobContext) -> list[Reply]:
    """Read the photo, then record and say what it showed against the answers of that moment;
    a photo replaced meanwhile (or a case ended) is not reported (its successor's read will be).

    Run again after a crash, it reads the photo again and records a second read of it (the
    latest is the one ``status`` shows and its buttons point at): at least once, said once."""
    payload, lang, case_id = context.payload, context.lang, context.job.case_id
    found_reader = _reader(context.services)
    file_id = str(payload.get("file_id") or "")
    if found_reader is None or case_id is None or not file_id:
        return []
    with context.store.snapshot() as tx:
        photo = tx.file(case_id, file_id)
    if photo is None:
        return []
    lines = found_reader.read_licence(photo.data)
    if lines is None:
        return []
    found = find(lines)
    with context.store.transaction() as tx:
        case = tx.case(case_id)
        answer = tx.answer(case_id, "license_image")
        if case is None or case.state != "active" or answer is None \
                or not isinstance(answer.value, dict) or answer.value.get("file_id") != file_id:
            return []
        values = {k: a.value for k, a in tx.answers(case_id).items()}
        read = read_values(found, values) if found.code is not None else {}
        read_id = store.record_read(tx, case_id, file_id,
                                    "read" if found.code is not None else "unreadable", read,
                                    at=context.now.astimezone(UTC).isoformat(timespec="seconds"))
    replies = result_replies(read_id, found, compare(read, values), lang,
                             private=bool(payload.get("private")))
    question = from_rows(list(payload.get("question") or []))
    return [*replies, *question] if replies[-1].choices else replies


# -- the click ----------------------------------------------------------------------------
CommandRunner = Callable[[Turn, str], list[Reply]]


@router.action(STEP_PREFIX)
def on_action(turn: Turn, target: str, value: str, run_command: CommandRunner) -> list[Reply]:
    """A click on "take the licence's …": the value read is stored as this person's ``edit``
    (checked again by the field's rule). A read of a photo since replaced changes nothing."""
    case = turn.case
    found = store.read(turn.tx, int(target)) if target.isdigit() else None
    if case is None or found is None or found.case_id != case.id or value not in found.values:
        return [turn.error("files.ocr.err.unknown")]
    photo = turn.values.get("license_image")
    if not isinstance(photo, dict) or photo.get("file_id") != found.file_id:
        return [turn.error("files.ocr.err.stale")]
    if not _applies(value, turn.values):
        return [turn.error("err.field_not_applicable", name=field_label(value, turn.lang))]
    if value in turn.values and _same(found.values[value], turn.values[value]):
        return [turn.reply("info", "files.ocr.already", label=field_label(value, turn.lang),
                           value=turn.display(value, turn.values[value]))]
    return run_command(turn, f"edit {value} {found.values[value]}")


# -- status and help ----------------------------------------------------------------------
@router.status_part
def status_lines(turn: Turn) -> list[str]:
    """For ``status``: what the current photo was read to say, against today's answers."""
    photo = turn.values.get("license_image")
    if turn.case is None or not isinstance(photo, dict):
        return []
    found = store.latest_read(turn.tx, turn.case.id, str(photo.get("file_id", "")))
    if found is None:
        return []
    when = local_time(found.at)
    if found.outcome == "unreadable":
        return [t("files.ocr.status_unreadable", turn.lang, when=when)]
    checks = compare(found.values, turn.values)
    return [t("files.ocr.status_title", turn.lang, when=when),
            *(f"  {line}" for line in check_lines(checks, turn.lang, private=privacy.shown_in_full(turn)))]


@router.help_line
def help_line(turn: Turn) -> str:
    """For ``help``: what the photo check does here, or what installing the extra would add."""
    return turn.t("files.ocr.help_on" if reader(turn) is not None else "files.ocr.help_off")
