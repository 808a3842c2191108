"""Who may receive a case's personal data in full: the rule, written once.

Personal data here is what ``Field.personal`` marks in the flow table (the operator's resident
ID and the contact's phone). Everywhere else they are masked (``1101**********002X``,
``138****5678``; ``handlers.render.mask``).

The rule (the reasons are in ``docs/privacy.md``). A case's personal values reach a person in
full only when both hold:

1. **the output reaches that person alone** — a DM with the bot, the terminal, a WeCom
   message sent to that member only, a file handed over in a DM; never a channel, a thread or
   every member of a WeCom case;
2. **that person is entitled** to the value:

   * the member who gave it (each answer records who gave it),
   * anyone on a platform that runs on the bot's own machine (the terminal: whoever types there
     can read the SQLite file), or the case's starter when the case lives in a private chat
     (a Slack DM has one member; nobody else can have given its answers),
   * an admin of the case's workspace (``ESIGNBOT_ADMINS``, ``handlers.admins``).

A file that carries several personal values (the offline materials package) is handed over only
to someone entitled to every one of them; anybody else is told, in one sentence, who can ask for
it. ``export-case`` is an operator's command on the machine that holds the database, outside the
chat, and so outside this rule (like the terminal).

Why a module and not a flag on each command: ``Inbound.private`` alone said only "this chat is
private", and ``materials`` (which always goes privately) handed the package to whoever asked —
a member who never answered anything got the resident ID and phone in full. One function that
every output consults keeps the next output from forgetting the second half.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from handlers import admins
from handlers.flow import FIELDS
from handlers.services import Services
from handlers.shapes import Inbound
from storage import AnswerRecord, CaseRecord


class Turn(Protocol):
    """What the rule reads of a turn (``handlers.turn.Turn`` has it): who acted where, the
    admins, the case and its answers. A protocol, so the turn can consult the rule without the
    two modules importing each other."""

    @property
    def msg(self) -> Inbound: ...
    @property
    def services(self) -> Services: ...
    @property
    def case(self) -> CaseRecord | None: ...
    @property
    def answers(self) -> Mapping[str, AnswerRecord]: ...

LOCAL_PLATFORMS = frozenset({"console"})
"""Platforms that run on the bot's own machine: whoever uses them can read the database."""

PERSONAL_FIELDS = frozenset(key for key, field in FIELDS.items() if field.personal)


def is_entitled(turn: Turn, key: str | None = None) -> bool:
    """The person who acted may see this case's personal value ``key`` in full (any of them,
    for ``key`` None, only by a role, not by having given one), wherever the output goes;
    whether it goes to them alone is :func:`shown_in_full`'s half."""
    msg = turn.msg
    if msg.platform in LOCAL_PLATFORMS:
        return True
    if admins.is_admin(turn.services.admins, msg.conversation, msg.user_id):
        return True
    case = turn.case
    if case is not None and msg.private and case.created_by == msg.user_id:
        return True  # the starter of a case in a private chat: nobody else is in it
    if key is None:
        return False
    answer = turn.answers.get(key)
    return answer is not None and answer.user_id == msg.user_id


def shown_in_full(turn: Turn, key: str | None = None) -> bool:
    """Text for the person who acted may show ``key`` (any personal value, for None) unmasked:
    it reaches them alone (``Inbound.private``) and they are entitled to it."""
    return turn.msg.private and is_entitled(turn, key)


def may_receive(turn: Turn, fields: Iterable[str]) -> bool:
    """The person who acted may be handed, privately, a file holding these fields in full:
    entitled to every personal value among them (a file without any: anyone)."""
    return all(is_entitled(turn, key) for key in fields if key in PERSONAL_FIELDS)


def who_may(answers: Mapping[str, AnswerRecord], fields: Iterable[str], sep: str) -> str:
    """The names of the members who gave the personal values among ``fields``, for the
    sentence that tells everyone else who can ask (the admins are named by the sentence)."""
    names = [answers[key].user_name or answers[key].user_id
             for key in fields if key in PERSONAL_FIELDS and key in answers]
    return sep.join(dict.fromkeys(names))
