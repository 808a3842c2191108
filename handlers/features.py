"""Every feature, switched on: the one module that knows them all.

Why one place (aiogram's ``include_router``): the engine reads only ``handlers.registry.ENGINE``
and imports no feature, and a feature registers on its own router; something must still say
which features this bot has, and in which order their hooks run after an answer. That is this
module's only job, and ``handlers/__init__.py`` imports it, so anything that drives a
``Dialogue`` has every feature. A new feature adds its router here, and nowhere in the engine.
"""

from __future__ import annotations

from handlers import core_commands
from handlers.credentials import commands as credentials
from handlers.credentials import completion
from handlers.files import commands as files
from handlers.files import licence_check
from handlers.mail import findings
from handlers.registry import ENGINE
from handlers.reviews import commands as reviews

ENGINE.include(
    core_commands.router,
    # Their answer hooks run in this order: a gate answer starts or ends its wait (and may ask
    # for a rejection's reason) before the workbook is offered or a licence photo is read.
    reviews.router,
    files.router,
    licence_check.router,
    credentials.router,
    completion.router,
    findings.router,
)
