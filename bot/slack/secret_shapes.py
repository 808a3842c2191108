"""Recognising an API key typed into a shared Slack channel, so it is never used.

Why a heuristic and where it draws the line: a SecretKey is 32 letters and digits, exactly the
shape of an app ID (应用号), so the shape alone cannot tell them apart. A message is held back
when it contains a SecretId (``AKID`` + 32), or a 32-character token of letters *and* digits
that either comes with a word naming a key ("SecretKey", "密钥", "SK") or is the whole message
while the open question is not the app ID. Erring towards "key" costs one private hint; erring
the other way could store a key. The tokens are found by the credential check's own parser
(``handlers.credentials.report.find_credentials``), so both agree on what a key looks like.
"""

from __future__ import annotations

import re
import unicodedata

from handlers.credentials.report import find_credentials

_KEY_WORDS = re.compile(r"secret[\s_-]*key|密钥|私钥|(?<![a-z])sk(?![a-z])", re.IGNORECASE)


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
    bare = unicodedata.normalize("NFKC", text).strip().strip("`'\"")
    return not app_id_expected and bare == keys[0]


def _mixed(token: str) -> bool:
    """Keys mix letters and digits; a 32-letter word or a 32-digit number is something else."""
    return any(c.isdigit() for c in token) and any(c.isalpha() for c in token)
