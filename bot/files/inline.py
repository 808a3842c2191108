"""``InlineFileBuilder``: the application files built in the calling thread, for the console.

Why its own module: the console and every short command build the dialogue's services, but most
runs never build a file, and openpyxl is a tenth of the console's start (~50 ms of ~0.5 s). The
builders are imported at the first build. ``serve`` builds in a child process instead
(:class:`bot.files.process.FileBuilderProcess`): there an event loop needs protecting; here one
person waits on their own file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from bot.files import ocr
from handlers.services import PackageImage
from handlers.shapes import OutFile


class InlineFileBuilder:
    """The ``ApplicationFiles`` service the dialogue is given (see ``bot/wiring.py``)."""

    def application_workbook(self, answers: Mapping[str, Any], today: date) -> OutFile:
        from bot.files.workbook import build_application_workbook

        return build_application_workbook(answers, today)

    def materials_package(
        self, answers: Mapping[str, Any], images: Sequence[PackageImage], today: date
    ) -> OutFile:
        from bot.files.materials import build_materials_package

        return build_materials_package(answers, images, today)

    # The LicenceReader capability (handlers/files/licence_check.py), read inline like the files.
    def licence_reading(self) -> bool:
        return ocr.available()

    def read_licence(self, image: bytes) -> list[str] | None:
        return ocr.read_lines(image)
