"""Reading one email from Tencent: decode its MIME, then guess what it says.

Why in ``bot/``: MIME is wire format, and Chinese mail arrives in every shape — GBK or GB18030
bodies in base64 or quoted-printable, subjects as encoded words labelled ``gb2312`` that really
hold GBK, HTML-only messages, raw 8-bit headers. All of that stops here; the dialogue receives a
:class:`handlers.mail.findings.MailReading` of plain strings. The guess is deliberately
conservative: it proposes a kind (real-name result or app ID) and an outcome only when the words
agree, keeps the lines that decided it so a person can judge, and leaves the rest unknown rather
than guessing. Nothing is recorded from it without a person's confirmation.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email import policy
from email.header import decode_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

from handlers.mail.findings import MailAttachment, MailReading

MAX_LINES = 400
"""Lines of body text read at most (a review result is short; a thread is not)."""
MAX_EVIDENCE = 6
MAX_LINE_CHARS = 200
MAX_REASON_CHARS = 300

_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "x-gbk": "gb18030",
              "euc-cn": "gb18030", "hz-gb-2312": "hz", "ascii": "utf-8", "us-ascii": "utf-8"}
"""Charsets that mail clients mislabel with a narrower name than the bytes need."""

_QUOTE_STARTS = (
    "-----original message-----", "----- original message -----", "------------------ 原始邮件",
    "-------- 原始邮件", "----- 原始邮件", "-----邮件原件-----", "________________________________",
)
_QUOTE_HEADER = re.compile(r"^(from|发件人|寄件者)\s*[:：].+")

_REALNAME_WORDS = ("补充实名", "实名认证", "实名", "企业认证", "real-name", "real name", "realname",
                   "identity verification")
_APP_WORDS = ("应用号", "应用id", "应用 id", "appid", "app id", "app-id", "application id",
              "白名单", "whitelist", "应用申请", "申请应用")
_REJECT_WORDS = ("未通过", "不通过", "没有通过", "未能通过", "驳回", "被拒绝", "拒绝", "审核失败",
                 "认证失败", "not approved", "not been approved", "rejected", "declined",
                 "unsuccessful", "did not pass", "failed")
_APPROVE_WORDS = ("审核通过", "认证通过", "已通过", "通过", "已开通", "成功", "approved", "passed",
                  "successful", "has been activated")
_FUTURE_AFTER = ("后", "之后", "以后")
"""``审核通过后`` is "after approval": a promise, not a result."""
_CONDITIONAL = re.compile(
    r"(?:^|[\s，。；、,;:：(（])(?:如果|假如|一旦|若|如(?![下此今何同]))"
    r"|\b(?:if|once|in case|should|unless)\b")
"""A line that says what *would* happen (``如审核未通过，…``, "if approved") decides nothing."""
_REASON_MARK = re.compile(r"(驳回原因|拒绝原因|失败原因|不通过原因|原因|理由|reason(?:s)?)\s*[:：]\s*(.*)",
                          re.IGNORECASE)
_APP_ID = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{32}(?![A-Za-z0-9])")
_HEX = re.compile(r"[0-9a-f]{32}")
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_SPACES = re.compile(r"[ \t\u3000\xa0]+")


# -- decoding ---------------------------------------------------------------------------------
def decode_bytes(data: bytes, charset: str | None) -> str:
    """Text from ``data`` in its declared charset, read generously (GB2312 labels cover GBK
    bytes), falling back to UTF-8 then GB18030; never raises."""
    tried: list[str] = []
    if charset:
        name = charset.strip().strip('"').casefold()
        name = _SUPERSETS.get(name, name)
        try:
            codecs.lookup(name)
            tried.append(name)
        except LookupError:
            pass
    for fallback in ("utf-8", "gb18030"):
        if fallback not in tried:
            tried.append(fallback)
    for name in tried:
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode(tried[0], errors="replace")


def _unescape_8bit(text: str) -> str:
    """Raw 8-bit header bytes arrive as surrogate escapes; decode them as text."""
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    return decode_bytes(text.encode("ascii", "surrogateescape"), None)


def header_text(message: Message, name: str) -> str:
    """A header as one line of text, encoded words decoded tolerantly; empty when absent."""
    raw = _raw_header(message, name)
    if not raw:
        return ""
    try:
        parts = decode_header(raw)
    except Exception:  # a malformed encoded word: show the header as it came
        parts = [(raw, None)]
    words: list[str] = []
    for part, charset in parts:
        if isinstance(part, bytes):
            words.append(decode_bytes(part, charset))
        else:
            words.append(_unescape_8bit(part))
    return _SPACES.sub(" ", "".join(words)).strip()


class _HtmlText(HTMLParser):
    """The readable text of an HTML body: block elements become line breaks, scripts vanish."""

    _BLOCKS = frozenset({"p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4",
                         "h5", "h6", "blockquote", "section", "article", "header", "footer",
                         "hr", "pre", "dd", "dt"})
    _CELLS = frozenset({"td", "th"})
    _HIDDEN = frozenset({"script", "style", "head", "title", "noscript", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self._hidden += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")
        elif tag in self._CELLS:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # HTMLParser is lenient; this is for the truly broken
        return re.sub(r"<[^>]*>", " ", html)
    return "".join(parser.parts)


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        return b""
    return data if isinstance(data, bytes) else b""


def _filename(part: Message, index: int) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if not name:
        return f"attachment-{index}"
    return _SPACES.sub(" ", _unescape_8bit(str(name))).strip()[:200] or f"attachment-{index}"


def _is_attachment(part: Message) -> bool:
    disposition = (part.get_content_disposition() or "").casefold()
    if disposition == "attachment":
        return True
    return part.get_content_maintype() != "text" or (
        disposition == "inline" and bool(part.get_filename())
        and part.get_content_type() not in {"text/plain", "text/html"}
    )


def _body_and_attachments(message: Message) -> tuple[str, tuple[MailAttachment, ...]]:
    plain: list[str] = []
    html: list[str] = []
    attachments: list[MailAttachment] = []
    for part in message.walk():
        if part.is_multipart() or part.get_content_maintype() == "message":
            continue
        if _is_attachment(part):
            data = _payload(part)
            attachments.append(MailAttachment(_filename(part, len(attachments) + 1),
                                              part.get_content_type(), len(data)))
            continue
        text = decode_bytes(_payload(part), part.get_content_charset())
        (html if part.get_content_subtype() == "html" else plain).append(text)
    if any(p.strip() for p in plain):
        return "\n".join(plain), tuple(attachments)
    return "\n".join(html_to_text(h) for h in html), tuple(attachments)


def _sent_at(message: Message) -> str | None:
    raw = header_text(message, "date")
    if not raw:
        return None
    try:
        return parsedate_to_datetime(raw).isoformat(timespec="seconds")
    except (TypeError, ValueError, IndexError):
        return None


def _raw_header(message: Message, name: str) -> str:
    raw = next((str(v) for k, v in message.raw_items() if k.casefold() == name.casefold()), "")
    return re.sub(r"\r?\n[ \t]", " ", raw)


def sender_address(message: Message) -> str:
    """The From address, lower-cased — only when the header holds exactly one address and one
    From header exists. ``e-contract@tencent.com <mallory@example.com>`` parses as two, so it
    is nobody's: a look-alike must never pass for Tencent. Parsed before decoding, so a display
    name's encoded comma cannot split it."""
    if len([k for k, _ in message.raw_items() if k.casefold() == "from"]) != 1:
        return ""
    addresses = [addr.strip() for _, addr in getaddresses([_raw_header(message, "from")]) if addr]
    if len(addresses) != 1 or addresses[0].count("@") != 1:
        return ""
    return addresses[0].casefold()


def parse_message(raw: bytes) -> Message:
    return BytesParser(policy=policy.default).parsebytes(raw)


# -- guessing ---------------------------------------------------------------------------------
def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def body_lines(body: str) -> list[str]:
    """The body's own lines: tidied, without quoted replies (our own email quoted back must not
    decide anything)."""
    lines: list[str] = []
    for raw in body.splitlines():
        line = _SPACES.sub(" ", raw).strip()
        if not line:
            continue
        folded = _fold(line)
        if folded.startswith(_QUOTE_STARTS) or (lines and _QUOTE_HEADER.match(folded)):
            break
        if line.startswith((">", "＞")):
            continue
        lines.append(line)
        if len(lines) >= MAX_LINES:
            break
    return lines


def _has_any(folded: str, words: Iterable[str]) -> bool:
    return any(word in folded for word in words)


def _outcome_of(line: str) -> str | None:
    """``rejected``, ``approved`` or None for one line; rejection words are removed before
    approval words are looked for (``未通过`` contains ``通过``)."""
    folded = _fold(line)
    if _CONDITIONAL.search(folded):
        return None
    rejected = _has_any(folded, _REJECT_WORDS)
    rest = folded
    for word in _REJECT_WORDS:
        rest = rest.replace(word, " ")
    for word in _APPROVE_WORDS:
        for future in _FUTURE_AFTER:
            rest = rest.replace(word + future, " ")
    approved = _has_any(rest, _APPROVE_WORDS)
    if rejected and not approved:
        return "rejected"
    if approved and not rejected:
        return "approved"
    return None


def _kind_score(line: str) -> tuple[int, int]:
    folded = _fold(line)
    return int(_has_any(folded, _REALNAME_WORDS)), int(_has_any(folded, _APP_WORDS))


def _app_ids(lines: Sequence[str]) -> tuple[list[str], list[str]]:
    """(distinct candidate app IDs, the lines they were on), those on lines that name the app
    ID first; a bare lower-case hex token elsewhere is a tracking id, not an app number."""
    named: dict[str, str] = {}
    loose: dict[str, str] = {}
    for line in lines:
        on_named_line = _has_any(_fold(line), _APP_WORDS)
        for token in _APP_ID.findall(unicodedata.normalize("NFKC", line)):
            if not (any(c.isdigit() for c in token) and any(c.isalpha() for c in token)):
                continue
            if on_named_line:
                named.setdefault(token, line)
            elif not _HEX.fullmatch(token):
                loose.setdefault(token, line)
    chosen = named or loose
    return list(chosen), list(dict.fromkeys(chosen.values()))


def _reason(lines: Sequence[str]) -> tuple[str | None, list[str]]:
    for index, line in enumerate(lines):
        match = _REASON_MARK.search(line)
        if match is None:
            continue
        text = match.group(2).strip()
        used = [line]
        if not text:
            following = [ln for ln in lines[index + 1:index + 3] if not _has_any(
                _fold(ln), ("如有疑问", "如有问题", "联系", "谢谢", "regards", "thank"))]
            text = " ".join(following)
            used += following
        text = text.strip(" 。.;；")
        if text:
            return text[:MAX_REASON_CHARS], used
    return None, []


@dataclass(frozen=True, slots=True)
class Guess:
    kind: str | None
    outcome: str | None
    reason: str | None
    app_id: str | None
    evidence: tuple[str, ...]


def guess(subject: str, body: str) -> Guess:
    """What the email seems to say. The subject decides the outcome when it names exactly one;
    otherwise the body's lines must agree."""
    lines = body_lines(body)
    evidence: list[str] = []

    subject_outcome = _outcome_of(subject) if subject else None
    body_outcomes = {line: o for line in lines if (o := _outcome_of(line)) is not None}
    if subject_outcome is not None:
        outcome: str | None = subject_outcome
        evidence.append(subject)
        evidence += [ln for ln, o in body_outcomes.items() if o == subject_outcome][:2]
    else:
        found = set(body_outcomes.values())
        outcome = found.pop() if len(found) == 1 else None
        evidence += list(body_outcomes)[:3]

    app_ids, app_lines = _app_ids(lines)
    app_id = app_ids[0] if len(app_ids) == 1 else None

    realname, app = _kind_score(subject)
    realname, app = realname * 3, app * 3
    for line in lines:
        r, a = _kind_score(line)
        realname, app = realname + r, app + a
    if app_ids:
        app += 3
    kind = "realname" if realname > app else "app" if app > realname else None
    supports = {"realname": (1, 0), "app": (0, 1)}.get(kind or "")
    kind_lines = [ln for ln in lines if _kind_score(ln) == supports][:2]

    reason, reason_lines = _reason(lines) if outcome == "rejected" else (None, [])
    if outcome == "rejected" and reason is None:
        reason = _reason_after_colon(evidence)
    evidence += app_lines[:2] + kind_lines + reason_lines
    tidy = [ln[:MAX_LINE_CHARS] for ln in dict.fromkeys(e for e in evidence if e)]
    return Guess(kind, outcome, reason, app_id if outcome != "rejected" else None,
                 tuple(tidy[:MAX_EVIDENCE]))


def _reason_after_colon(lines: Sequence[str]) -> str | None:
    """``审核未通过：营业执照照片不清晰`` — the words after the colon on a rejection line."""
    for line in lines:
        colon = re.search(r"[:：]", line)
        if colon is None:
            continue
        head, tail = line[:colon.start()], line[colon.end():].strip(" 。.;；")
        if tail and _outcome_of(head) == "rejected":
            return tail[:MAX_REASON_CHARS]
    return None


# -- the whole message ------------------------------------------------------------------------
def read_message(raw: bytes) -> MailReading:
    """Decode one RFC 5322 message and guess what it says; never raises on malformed mail."""
    message = parse_message(raw)
    subject = header_text(message, "subject")
    body, attachments = _body_and_attachments(message)
    found = guess(subject, body)
    message_id = next(iter(_MESSAGE_ID.findall(header_text(message, "message-id"))), None)
    references = tuple(dict.fromkeys(
        _MESSAGE_ID.findall(header_text(message, "in-reply-to") + " "
                            + header_text(message, "references"))))
    return MailReading(
        message_id=message_id,
        subject=subject,
        sender=sender_address(message),
        sent_at=_sent_at(message),
        text="\n".join([subject, *body_lines(body), *(a.name for a in attachments)]),
        references=references,
        attachments=attachments,
        kind=found.kind,
        outcome=found.outcome,
        reason=found.reason,
        app_id=found.app_id,
        evidence=found.evidence,
    )
