"""What an API key looks like: the one place that knows, for every entry point and every guard.

Two questions, kept apart on purpose:

* **Could this be a key at all?** (:func:`secret_id_problem`, :func:`secret_key_problem`) Only
  what no key Tencent issues can be: empty, white space inside, characters outside printable
  ASCII, or an absurd length. Shape never decides a verdict: a well-formed value is sent, and
  Tencent Cloud's answer decides. The SDK itself asks no more than this
  (``tencentcloud/common/credential.py``: not empty, no leading or trailing spaces), and the
  keys really issued come in several forms (docs/credentials.md, "Key formats"):

  - Tencent Cloud CAM keys (访问管理 › API 密钥管理): SecretId ``AKID`` + 32 letters and digits,
    SecretKey 32 letters and digits (Tencent Cloud API 3.0 signature docs,
    https://cloud.tencent.com/document/api/213/30654, "AKID********************************");
    some accounts are issued ``IKID…`` SecretIds; STS temporary keys are longer.
  - E-Sign console keys (应用集成 › 测试联调 / 生产运行 › 获取密钥): SecretId ``AK`` + 32, SecretKey
    ``SK`` + 32, 34 characters each (as public integration code shows them).

* **Does this message hold a key?** (:func:`looks_like_secret`) A SecretId of any of those forms,
  or an ``SK…`` SecretKey, is always a key. A bare 32-character token of letters *and* digits is
  a CAM SecretKey, or an app ID (应用号) — the two have exactly the same shape. So it counts as
  a key everywhere except where an app ID is expected (the app-ID questions, ``edit app_id``,
  ``review app approved <app ID>``: the engine decides that, ``handlers.credentials.commands``),
  and even there when a word names a key ("SecretKey", "密钥") or two such tokens stand in one
  message. Erring towards "key" costs one private hint; erring the other way could store a key.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

MIN_KEY_CHARS = 16
"""Shorter than any key Tencent issues (the shortest, a CAM SecretKey, has 32): a fragment."""
MAX_KEY_CHARS = 128
"""Longer than any key Tencent issues (STS temporary SecretIds run to about 70)."""

_EDGE = r"(?<![A-Za-z0-9])"
_END = r"(?![A-Za-z0-9])"
_SECRET_ID_IN_TEXT = re.compile(
    rf"{_EDGE}(?:(?:AKID|IKID)[A-Za-z0-9]{{32,{MAX_KEY_CHARS}}}|AK[A-Za-z0-9]{{32}}){_END}")
"""A CAM SecretId (``AKID``/``IKID`` + 32 or more) or an E-Sign console SecretId (``AK`` + 32)."""
_ESIGN_KEY_IN_TEXT = re.compile(rf"{_EDGE}SK[A-Za-z0-9]{{32}}{_END}")
"""An E-Sign console SecretKey: ``SK`` + 32, a shape nothing else in the dialogue has."""
_TOKEN32_IN_TEXT = re.compile(rf"{_EDGE}[A-Za-z0-9]{{32}}{_END}")
"""A CAM SecretKey, or an app ID: the same shape."""
_KEY_WORDS = re.compile(r"secret|(?<![a-z])(?:key|sk)(?![a-z])|密钥|私钥", re.IGNORECASE)

KeyKind = Literal["cam", "esign", "other"]


@dataclass(frozen=True, slots=True)
class FoundCredentials:
    """Key-shaped tokens found in a message."""

    secret_ids: tuple[str, ...]
    secret_keys: tuple[str, ...]
    """``SK…`` keys, then 32-character tokens of letters and digits (CAM SecretKeys, or app
    IDs: see :attr:`ambiguous`)."""
    ambiguous: tuple[str, ...]
    """The 32-character tokens among ``secret_keys``: a SecretKey, or an app ID."""
    rest: str
    """The message with all of them removed (what else the person typed)."""


def find_credentials(text: str) -> FoundCredentials:
    """Every key-shaped token in ``text`` (full-width characters folded first, as a Chinese
    input method may type them)."""
    folded = unicodedata.normalize("NFKC", text)
    ids = tuple(_SECRET_ID_IN_TEXT.findall(folded))
    rest = _SECRET_ID_IN_TEXT.sub(" ", folded)
    esign_keys = tuple(_ESIGN_KEY_IN_TEXT.findall(rest))
    rest = _ESIGN_KEY_IN_TEXT.sub(" ", rest)
    tokens = tuple(t for t in _TOKEN32_IN_TEXT.findall(rest) if _mixed(t))
    rest = _TOKEN32_IN_TEXT.sub(lambda m: " " if _mixed(m.group()) else m.group(), rest)
    return FoundCredentials(ids, esign_keys + tokens, tokens, rest)


def looks_like_secret(text: str, *, app_id_expected: bool = False) -> bool:
    """Whether ``text`` holds a SecretId or a SecretKey (see the module's docstring)."""
    found = find_credentials(text)
    if found.secret_ids or len(found.secret_keys) > len(found.ambiguous):
        return True
    if not found.ambiguous:
        return False
    if not app_id_expected or len(found.ambiguous) > 1:
        return True
    return bool(_KEY_WORDS.search(unicodedata.normalize("NFKC", found.rest)))


def _mixed(token: str) -> bool:
    """Keys mix letters and digits; a 32-letter word or a 32-digit number is something else."""
    return any(c.isdigit() for c in token) and any(c.isalpha() for c in token)


# -- one value typed where a key is asked for --------------------------------------------------
def typed(value: str) -> str:
    """A key as it was meant: full-width letters and digits folded (a Chinese input method may
    type them) and the spaces around it removed, as every entry point reads one."""
    return unicodedata.normalize("NFKC", value).strip()


def _problem(value: str, what: str) -> str | None:
    if not value:
        return f"cred.shape.{what}.empty"
    if any(c.isspace() for c in value):
        return f"cred.shape.{what}.space"
    if not value.isascii() or not value.isprintable():
        return f"cred.shape.{what}.characters"
    if not MIN_KEY_CHARS <= len(value) <= MAX_KEY_CHARS:
        return f"cred.shape.{what}.length"
    return None


def secret_id_problem(secret_id: str) -> str | None:
    """The catalogue key saying why ``secret_id`` cannot be a SecretId, or None: it is sent,
    and Tencent Cloud decides. Called with the value as typed, spaces around it removed."""
    return _problem(secret_id, "secret_id")


def secret_key_problem(secret_key: str) -> str | None:
    """The catalogue key saying why ``secret_key`` cannot be a SecretKey (a SecretId pasted in
    its place included), or None."""
    if _SECRET_ID_IN_TEXT.fullmatch(secret_key):
        return "cred.shape.secret_key.is_id"
    return _problem(secret_key, "secret_key")


def key_kind(secret_id: str) -> KeyKind:
    """Which issuer the SecretId's form suggests (for the words around it, never a verdict):
    ``cam`` (``AKID``/``IKID``), ``esign`` (``AK`` + 32, from the E-Sign console), ``other``."""
    value = secret_id.strip()
    if value[:4] in {"AKID", "IKID"}:
        return "cam"
    return "esign" if re.fullmatch(r"AK[A-Za-z0-9]{32}", value) else "other"


def mask_secret_id(secret_id: str) -> str:
    """Its prefix (``AKID``, ``IKID`` or ``AK``) and last four characters: enough to tell keys
    apart, not to use one."""
    value = secret_id.strip()
    prefix = value[:4] if key_kind(value) == "cam" else value[:2]
    return f"{prefix}****{value[-4:]}"
