"""Command words, the same on every platform, in English and Chinese.

A word alone is a command (``status``, ``状态``); a leading slash makes it one even with
arguments (``/status``). Commands that take arguments (``edit``, ``lang``) are recognised by
their first word. Anything else is an answer, so an enterprise called "Start Ltd" is not
mistaken for ``start``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from handlers.flow import FIELDS


class Command(StrEnum):
    START = "start"
    HELP = "help"
    STATUS = "status"
    BACK = "back"
    SKIP = "skip"
    EDIT = "edit"
    CANCEL = "cancel"
    LANG = "lang"
    EXCEL = "excel"
    MATERIALS = "materials"
    EMAIL = "email"
    CHECK = "check"
    SNIPPET = "snippet"
    REVIEW = "review"


@dataclass(frozen=True, slots=True)
class CommandSpec:
    command: Command
    words: tuple[str, ...]
    takes_args: bool = False
    arg_words: frozenset[str] = frozenset()
    """For a command without ``takes_args``: the one-word arguments that still make it a
    command without the slash (``start prod``), while ``Start Ltd`` stays an answer."""


def _environment_words() -> frozenset[str]:
    field = FIELDS["environment"]
    return frozenset(w.casefold() for o in field.options for w in (o.value, *o.aliases))


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(Command.START, ("start", "开始", "begin"), arg_words=_environment_words()),
    CommandSpec(Command.HELP, ("help", "帮助", "?", "？", "h")),
    CommandSpec(Command.STATUS, ("status", "状态", "进度"), takes_args=True),
    CommandSpec(Command.BACK, ("back", "返回", "上一步")),
    CommandSpec(Command.SKIP, ("skip", "跳过")),
    CommandSpec(Command.EDIT, ("edit", "修改"), takes_args=True),
    CommandSpec(Command.CANCEL, ("cancel", "取消")),
    CommandSpec(Command.LANG, ("lang", "language", "语言"), takes_args=True),
    CommandSpec(Command.EXCEL, ("excel", "表格", "申请表")),
    CommandSpec(Command.MATERIALS, ("materials", "材料")),
    CommandSpec(Command.EMAIL, ("email", "邮件"), takes_args=True),
    CommandSpec(Command.CHECK, ("check", "检查"), takes_args=True),
    CommandSpec(Command.SNIPPET, ("snippet", "代码", "示例代码")),
    CommandSpec(Command.REVIEW, ("review", "审核"), takes_args=True),
)

HELP_ORDER: tuple[Command, ...] = (
    Command.START, Command.STATUS, Command.BACK, Command.SKIP, Command.EDIT, Command.CANCEL,
    Command.LANG, Command.HELP, Command.REVIEW, Command.CHECK, Command.EXCEL, Command.MATERIALS,
    Command.EMAIL, Command.SNIPPET,
)
"""The commands ``help`` lists; a feature appends its command once its handler is wired."""

_BY_WORD = {word.casefold(): spec for spec in COMMANDS for word in spec.words}


@dataclass(frozen=True, slots=True)
class ParsedCommand:
    command: Command
    args: str
    word: str


def parse_command(text: str) -> ParsedCommand | None:
    """The command in ``text``, or None when it is an answer.

    Only the command word is normalised (full-width slash and letters from a Chinese IME); the
    arguments are returned as typed, so ``edit enterprise_name 腾讯科技（深圳）有限公司`` keeps
    its full-width brackets.
    """
    stripped = text.strip()
    explicit = stripped[:1] in {"/", "／"}
    if explicit:
        stripped = stripped[1:].lstrip()
    parts = stripped.split(maxsplit=1)
    if not parts:
        return None
    word = unicodedata.normalize("NFKC", parts[0]).casefold()
    spec = _BY_WORD.get(word)
    if spec is None:
        return None
    args = parts[1].strip() if len(parts) > 1 else ""
    if args and not spec.takes_args and not explicit \
            and unicodedata.normalize("NFKC", args).casefold() not in spec.arg_words:
        return None
    return ParsedCommand(spec.command, args, parts[0])
