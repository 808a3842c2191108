"""Command words, the same on every platform, in English and Chinese, and the one rule that
tells a command from an answer.

The rule (issue 26): a line is a command when it starts with a slash (``/status``, ``／状态``),
or with a Chinese command word (``状态``, ``修改 企业名称 …``); otherwise an English command word
makes it a command only alone (``status``) or followed by arguments that read as that
command's (``start prod``, ``status all``, ``edit enterprise_name Acme``, ``lang en``,
``review app approved …``). Anything else is an answer: "Start Ltd", "Email Helper" and
"Check Point 助手" are names, not commands. Each command says how its arguments read
(:func:`reads_arguments`), so the rule is one function here and no command keeps a list of
exceptions. The dialogue adds one clause that needs the conversation: a choice question's own
option words answer it (``handlers.dialogue.read_command``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from handlers.flow import FIELDS, SENTENCE_END, fold_reply


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


ArgReader = Callable[[str], bool]
"""Whether the words after a command word read as that command's arguments."""


@dataclass(frozen=True, slots=True)
class CommandSpec:
    command: Command
    words: tuple[str, ...]
    takes_args: bool = False
    """The command has arguments at all; how they read is its :data:`ArgReader`."""


def fold_word(text: str) -> str:
    """A word compared loosely: NFKC (full-width letters from a Chinese IME), case-folded."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


ENVIRONMENT_WORDS: frozenset[str] = frozenset(
    fold_word(w) for o in FIELDS["environment"].options for w in (o.value, *o.aliases))
"""``test`` / ``prod`` and the words the environment question takes for them."""
ALL_WORDS: frozenset[str] = frozenset({"all", "全部", "所有", "everything"})
"""``status all``."""
LANG_WORDS: dict[str, str] = {"zh": "zh", "zh-cn": "zh", "cn": "zh", "中文": "zh",
                              "chinese": "zh", "en": "en", "english": "en", "英文": "en",
                              "英语": "en"}
"""``lang <word>``: the catalogue language each word means."""


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(Command.START, ("start", "开始", "begin"), takes_args=True),
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

_READERS: dict[Command, ArgReader] = {
    Command.START: lambda args: fold_word(args) in ENVIRONMENT_WORDS,
    Command.CHECK: lambda args: fold_word(args) in ENVIRONMENT_WORDS,
    Command.STATUS: lambda args: fold_word(args) in ALL_WORDS,
    Command.LANG: lambda args: fold_word(args) in LANG_WORDS,
}
"""How each command's arguments read; a feature whose arguments need its own words (``edit``'s
field names, ``review``'s kinds and results, ``email``'s history) registers its reader with
:func:`reads_arguments`."""


def reads_arguments(command: Command) -> Callable[[ArgReader], ArgReader]:
    """Register how ``command``'s arguments read (a decorator, as bolt registers listeners)."""
    def register(reader: ArgReader) -> ArgReader:
        _READERS[command] = reader
        return reader
    return register


HELP_ORDER: tuple[Command, ...] = (
    Command.START, Command.STATUS, Command.BACK, Command.SKIP, Command.EDIT, Command.CANCEL,
    Command.LANG, Command.HELP, Command.REVIEW, Command.CHECK, Command.EXCEL, Command.MATERIALS,
    Command.EMAIL, Command.SNIPPET,
)
"""The commands ``help`` lists; a feature appends its command once its handler is wired."""

_BY_WORD = {fold_word(word): spec for spec in COMMANDS for word in spec.words}


@dataclass(frozen=True, slots=True)
class ParsedCommand:
    command: Command
    args: str
    word: str
    explicit: bool = False
    """Typed with a slash, or with a Chinese command word: the command whatever follows."""


def parse_command(text: str) -> ParsedCommand | None:
    """The command in ``text`` by the rule above, or None when it is an answer.

    Only the command word is normalised (full-width slash and letters from a Chinese IME); the
    arguments are returned as typed, so ``edit enterprise_name 腾讯科技（深圳）有限公司`` keeps
    its full-width brackets. A command word said as a sentence (``状态。``, ``help.``,
    ``帮助！``, as a voice message's transcription ends) is that word; a mark alone after it
    (``状态 。``) is no argument. ``?`` and ``？`` are themselves ``help``.
    """
    stripped = text.strip()
    slash = stripped[:1] in {"/", "／"}
    if slash:
        stripped = stripped[1:].lstrip()
    parts = stripped.split(maxsplit=1)
    if not parts:
        return None
    typed = parts[0]
    word = fold_word(typed)
    spec = _BY_WORD.get(word)
    if spec is None:  # ``?`` is a word of its own (``??`` too); ``help?`` is ``help`` asked
        word = word.rstrip(SENTENCE_END) or word[:1]
        spec = _BY_WORD.get(word)
        while len(typed) > 1 and not fold_reply(typed[-1]):  # shown without its mark
            typed = typed[:-1]
    if spec is None:
        return None
    args = parts[1].strip() if len(parts) > 1 else ""
    if not fold_reply(args):
        args = ""
    explicit = slash or not word.isascii()  # a Chinese command word is never an English name
    if args and not explicit:
        reader = _READERS.get(spec.command) if spec.takes_args else None
        if reader is None or not reader(args):
            return None
    return ParsedCommand(spec.command, args, typed, explicit)
