"""Sealing: personal fields encrypted at rest with Fernet (cryptography), when a key is set.

Why here and shaped like this: the store writes and reads every answer and history row, so it is
the one place where a value can be sealed before it reaches the SQLite file and opened after it
leaves it. The store holds no business rules, so *which* fields are personal is handed in by the
caller (bot/wiring.py reads ``Field.personal`` from the flow). A sealed value is kept as
``sealed:`` followed by a Fernet token: no JSON text starts with ``s``, so a value written before
a key was set (plain JSON) is still read, and ``rotate`` seals it on the next rotation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

PREFIX = "sealed:"


class SealingError(Exception):
    """A key that is not a Fernet key, or a sealed value no configured key opens. The message
    names the setting to fix and never contains a key or a value."""


def is_sealed(text: str | None) -> bool:
    return text is not None and text.startswith(PREFIX)


def parse_key(key: str, setting: str) -> Fernet:
    """A Fernet from a key as written in the environment, or a :class:`SealingError` naming
    ``setting`` (the key itself is never repeated)."""
    try:
        return Fernet(key.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise SealingError(
            f"{setting} is not a Fernet key (32 url-safe base64-encoded bytes; make one with "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)"
        ) from None


@dataclass(frozen=True)
class Sealer:
    """Seals with the first key, opens with any of them (``MultiFernet``), for ``fields``."""

    keys: Sequence[Fernet]
    fields: frozenset[str]

    @classmethod
    def build(cls, keys: Iterable[Fernet], fields: Iterable[str]) -> Sealer:
        listed = list(keys)
        if not listed:
            raise SealingError("a sealer needs at least one key")
        return cls(tuple(listed), frozenset(fields))

    @property
    def _multi(self) -> MultiFernet:
        return MultiFernet(list(self.keys))

    def applies(self, field: str | None) -> bool:
        return field is not None and field in self.fields

    def seal(self, text: str) -> str:
        return PREFIX + self.keys[0].encrypt(text.encode("utf-8")).decode("ascii")

    def open(self, text: str) -> str:
        """The plain JSON text of a stored value (plain values pass through unchanged)."""
        if not is_sealed(text):
            return text
        try:
            return self._multi.decrypt(text[len(PREFIX):].encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise SealingError(
                "a personal field is sealed with a key that ESIGNBOT_DATA_KEY does not hold"
            ) from None

    def reseal(self, text: str) -> str:
        """``text`` sealed with the first key, whatever it was sealed with before (or plain)."""
        return self.seal(self.open(text))


def unreadable(text: str) -> SealingError:
    """The error for a sealed value met while no key is configured."""
    del text
    return SealingError("personal fields in this database are sealed: set ESIGNBOT_DATA_KEY")
