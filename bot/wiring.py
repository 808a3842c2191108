"""Builds the running program from settings: store, services, dialogue, platforms.

One place for it so ``console``, ``serve`` and the tests assemble the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from bot.credentials.checker import build_checker
from bot.files.inline import InlineFileBuilder
from bot.holidays import load_holidays
from bot.mail.sending import smtp_mailer
from bot.settings import ConfigError, Settings
from handlers import Dialogue
from handlers.catalogue import normalise_lang
from handlers.flow import FIELDS
from handlers.reviews.workdays import use_operator_days
from handlers.services import ApplicationFiles, Services
from storage import CaseStore
from storage.case_admin import first_sealed
from storage.sealing import Sealer, SealingError, parse_key, unreadable

if TYPE_CHECKING:
    from bot.web.server import Platform

PlatformFactory: TypeAlias = "Callable[[Settings, Dialogue], Platform | None]"
"""Returns the platform when its settings are present, None when none of them are; raises
:class:`ConfigError` naming the missing ones when it is only half configured."""

# Each platform is imported when its factory runs (``serve``), not for ``console`` and the short
# commands: slack_bolt, aiohttp and wechatpy were a fifth of the console's start.
def _wecom_platform(settings: Settings, dialogue: Dialogue) -> Platform | None:
    from bot.wecom.callback import wecom_platform

    return wecom_platform(settings, dialogue)


def _slack_platform(settings: Settings, dialogue: Dialogue) -> Platform | None:
    from bot.slack.app import slack_platform

    return slack_platform(settings, dialogue)


def _wecom_bot_platform(settings: Settings, dialogue: Dialogue) -> Platform | None:
    from bot.wecom.smartbot.platform import wecom_bot_platform

    return wecom_bot_platform(settings, dialogue)


PLATFORM_FACTORIES: tuple[PlatformFactory, ...] = (_wecom_platform, _wecom_bot_platform,
                                                   _slack_platform)
"""Every chat platform ``serve`` knows; each feature adds its factory here."""


def build_services(settings: Settings, files: ApplicationFiles | None = None) -> Services:
    """``files``: how the application files are built (inline unless given: ``serve`` gives
    a :class:`bot.files.process.FileBuilderProcess`)."""
    return Services(files=files or InlineFileBuilder(), mailer=smtp_mailer(settings),
                    credential_checker=build_checker(settings),
                    admins=admin_ids(settings.esignbot_admins))


_ADMIN_SEPARATOR = re.compile(r"[,\uff0c\s]+")
"""Between admins: commas (ASCII or full-width) and white space, nothing else."""
_ADMIN_FORMS = (
    re.compile(r"slack:[A-Z0-9]{2,32}:[A-Z0-9]{2,32}"),
    re.compile(r"wecom:[A-Za-z0-9]{2,64}:[A-Za-z0-9_.@-]{1,64}"),
    re.compile(r"wecombot:[A-Za-z0-9_-]{2,64}:[A-Za-z0-9_.@-]{1,64}"),
    re.compile(r"console:[^\s:,\uff0c\"']{1,200}"),
)
"""``slack:<team_id>:<user_id>``, ``wecom:<corp_id>:<userid>`` (WeCom's UserID characters), and
``wecombot:<bot_id>:<userid>`` for the smart bot (it knows its bot, not the corp), and
``console:<user>`` for the terminal, which runs on the bot's own machine and has no workspace."""


def admin_ids(setting: str) -> frozenset[str]:
    """``ESIGNBOT_ADMINS`` as a set of ``platform:workspace:user`` ids (``handlers.admins``).

    Raises :class:`ConfigError` with one sentence naming the setting for anything else: a bare
    user id or ``slack:U0123`` (it would match that id in every workspace), a separator such as
    ``;`` or quotes (read as part of a name, they silently made nobody an admin), or a setting
    with separators and no id at all."""
    text = setting.strip()
    if not text:
        return frozenset()
    parts = [part for part in _ADMIN_SEPARATOR.split(text) if part]
    if not parts:
        raise ConfigError("ESIGNBOT_ADMINS holds only separators: list admins as "
                          "slack:<team_id>:<user_id> or wecom:<corp_id>:<userid>, separated by "
                          "commas or spaces, or leave it empty.")
    for part in parts:
        if not any(form.fullmatch(part) for form in _ADMIN_FORMS):
            shown = part if len(part) <= 60 else part[:57] + "..."
            raise ConfigError(
                f"ESIGNBOT_ADMINS cannot read {shown!r}: write each admin as "
                "slack:<team_id>:<user_id> (e.g. slack:T0123ABCD:U0456EFGH) or "
                "wecom:<corp_id>:<userid> (e.g. wecom:ww5f0c3e1b2a9d8e7f:lisi) or "
                "wecombot:<bot_id>:<userid> for the smart bot, separated by "
                "commas or spaces, without quotes; a bare user id is no longer accepted because "
                "it matched that id in every workspace.")
    return frozenset(parts)


def use_holidays(settings: Settings) -> None:
    """Hand the operator's holidays file (``ESIGNBOT_HOLIDAYS``) to the working-day calendar;
    raises :class:`ConfigError` naming what is wrong in it."""
    use_operator_days(load_holidays(settings.esignbot_holidays) if settings.esignbot_holidays
                      else None)


def build_dialogue(settings: Settings, db_path: Path | None = None, *,
                   files: ApplicationFiles | None = None) -> Dialogue:
    admin_ids(settings.esignbot_admins)  # a setting that cannot be read stops us before the file
    use_holidays(settings)
    store = CaseStore(db_path or settings.esignbot_db, sealer=build_sealer(settings),
                      synchronous=settings.esignbot_db_sync)
    try:
        check_data_key(store)
    except ConfigError:
        store.close()
        raise
    return Dialogue(store, default_lang=normalise_lang(settings.esignbot_lang),
                    services=build_services(settings, files))


def check_data_key(store: CaseStore) -> None:
    """Values sealed earlier need the key that sealed them. Found at start, the missing or
    wrong key is one sentence to the operator (:class:`ConfigError`), instead of an apology to
    whoever answers next and a traceback in the log."""
    with store.snapshot() as tx:
        sample = first_sealed(tx)
    if sample is None:
        return
    try:
        if store.sealer is None:
            raise unreadable(sample)
        store.sealer.open(sample)
    except SealingError as problem:
        raise ConfigError(str(problem)) from None


PERSONAL_FIELDS = frozenset(key for key, field in FIELDS.items() if field.personal)
"""The answers sealed at rest when ``ESIGNBOT_DATA_KEY`` is set (``Field.personal``)."""


def build_sealer(settings: Settings, *, new_key: bool = False) -> Sealer | None:
    """The sealer for ``ESIGNBOT_DATA_KEY`` (None when unset); with ``new_key``, one that seals
    with ``ESIGNBOT_NEW_DATA_KEY`` and still opens what the current key sealed (rotation).
    Raises :class:`ConfigError` naming the setting, never repeating a key."""
    try:
        keys = []
        if new_key:
            if settings.esignbot_new_data_key is None:
                raise SealingError("set ESIGNBOT_NEW_DATA_KEY to the key to rotate to")
            keys.append(parse_key(settings.esignbot_new_data_key.get_secret_value(),
                                  "ESIGNBOT_NEW_DATA_KEY"))
        if settings.esignbot_data_key is not None:
            keys.append(parse_key(settings.esignbot_data_key.get_secret_value(),
                                  "ESIGNBOT_DATA_KEY"))
    except SealingError as problem:
        raise ConfigError(str(problem)) from None
    return Sealer.build(keys, PERSONAL_FIELDS) if keys else None


def configured_platforms(settings: Settings, dialogue: Dialogue) -> list[Platform]:
    platforms = [factory(settings, dialogue) for factory in PLATFORM_FACTORIES]
    return [p for p in platforms if p is not None]
