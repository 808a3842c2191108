"""Builds the running program from settings: store, services, dialogue, platforms.

One place for it so ``console``, ``serve`` and the tests assemble the same thing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.server import Platform
from bot.settings import Settings
from handlers import Dialogue
from handlers.catalogue import normalise_lang
from handlers.services import Services
from storage import CaseStore


class ConfigError(Exception):
    """Settings that cannot work; the message names what to set, for a person to read."""


PlatformFactory = Callable[[Settings, Dialogue], Platform | None]
"""Returns the platform when its settings are present, None when none of them are; raises
:class:`ConfigError` naming the missing ones when it is only half configured."""

PLATFORM_FACTORIES: tuple[PlatformFactory, ...] = ()
"""Every chat platform ``serve`` knows; each feature adds its factory here."""


def build_services(settings: Settings) -> Services:
    return Services()


def build_dialogue(settings: Settings, db_path: Path | None = None) -> Dialogue:
    store = CaseStore(db_path or settings.esignbot_db)
    return Dialogue(store, default_lang=normalise_lang(settings.esignbot_lang),
                    services=build_services(settings))


def configured_platforms(settings: Settings, dialogue: Dialogue) -> list[Platform]:
    platforms = [factory(settings, dialogue) for factory in PLATFORM_FACTORIES]
    return [p for p in platforms if p is not None]
