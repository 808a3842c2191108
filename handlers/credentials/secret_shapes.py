"""Recognising an API key typed into a message, on every platform, so it is never used or kept.

Why a heuristic and where it draws the line: a SecretKey is 32 letters and digits, exactly the
shape of an app ID (应用号), so the shape alone cannot tell them apart. A message is held back
when it contains a SecretId (``AKID`` + 32), or a 32-character token of letters *and* digits
that either comes with a word naming a key ("SecretKey", "密钥", "SK") or is the whole message
(after a command word such as ``check``, which a person may type before pasting) while the
open question is not the app ID. The engine asks this before anything of a message is stored
(``handlers.credentials.commands.guard_secrets``), so the console, Slack and WeCom agree; the
Slack adapter asks it earlier too, to keep a key typed after ``/esign`` out of the dialogue.
Erring towards "key" costs one private hint; erring the other way could store a key. The
tokens are found by the credential check's own parser
(``handlers.credentials.report.find_credentials``), so both agree on what a key looks like.
"""

from __future__ import annotations

import re
import unicodedata

from handlers.credentials.report import find_credentials

_LEADING_COMMAND = re.compile(r"^(?:/?esign\s+)?(?:/?check|/?检查)\s+", re.IGNORECASE)
"""A command word before a pasted key (``check <key>``, ``/esign check <key>``, ``检查 <key>``)."""
_KEY_WORDS = re.compile(r"secret|(?<![a-z])(?:key|sk)(?![a-z])|密钥|私钥", re.IGNORECASE)


def looks_like_secret(text: str, *, app_id_expected: bool = False) -> bool:
    """Whether ``text`` probably holds a SecretId or a SecretKey (see the module's docstring)."""
    found = find_credentials(text)
    if found.secret_ids:
        return True
    keys = [token for token in found.secret_keys if _mixed(token)]
    if not keys:
        return False
    if _KEY_WORDS.search(unicodedata.normalize("NFKC", text)):
        return True
    bare = _LEADING_COMMAND.sub("", unicodedata.normalize("NFKC", text).strip()).strip("`'\" ")
    return not app_id_expected and bare == keys[0]


def _mixed(token: str) -> bool:
    """Keys mix letters and digits; a 32-letter word or a 32-digit number is something else."""
    return any(c.isdigit() for c in token) and any(c.isalpha() for c in token)
