"""The offline real-name materials package: a workbook of the organisation type's fields and
the uploaded licence or certificate image, in one zip.

Why a zip with a sheet: the reviewers at ``e-contract@tencent.com`` need every field of the
organisation type (``ONBOARDING.md``, stage 2) and the image, together, in a form they can read
and file. Values are written in full (a resident ID is not masked): this package exists to be
sent to Tencent. Labels are Chinese, for the reviewers, whatever language the team chats in.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from openpyxl import Workbook

from bot.files.workbook import (
    file_name,
    safe_name_part,
    style_sheet,
    workbook_bytes,
)
from handlers.catalogue import t
from handlers.files.contents import (
    image_steps,
    material_fields,
    missing_for_materials,
    needs_materials,
)
from handlers.flow import FIELDS, Kind
from handlers.render import field_label, option_label
from handlers.services import PackageImage
from handlers.shapes import OutFile

ZIP_MIME = "application/zip"
_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg"}


class MaterialsIncomplete(ValueError):
    """Raised instead of building a package that lacks a field or an image."""

    def __init__(self, missing: Sequence[str]) -> None:
        super().__init__(f"missing: {', '.join(missing)}")
        self.missing = list(missing)


def image_member_name(image: PackageImage) -> str:
    """The image's name inside the zip: what it is for the reviewer (多合一营业执照.png)."""
    extension = _EXTENSIONS.get(image.mime, "")
    return safe_name_part(t(f"files.image.{image.step}", "zh")) + extension


def _cell_value(key: str, value: Any, images: Mapping[str, str]) -> str:
    kind = FIELDS[key].kind
    if kind is Kind.IMAGE:
        return images.get(key, "")
    if kind is Kind.CHOICE:
        return option_label(key, str(value), "zh")
    if kind is Kind.MULTI:
        return "、".join(option_label(key, str(v), "zh") for v in value)
    return str(value)


def build_materials_package(
    answers: Mapping[str, Any], images: Sequence[PackageImage], today: date
) -> OutFile:
    """The zip: ``<企业名称>-补充实名认证材料-<date>.xlsx`` and each image, named for what it is."""
    if not needs_materials(answers):
        raise ValueError("materials are only for the offline real-name route")
    missing = missing_for_materials(answers)
    by_step = {image.step: image for image in images}
    steps = image_steps(answers)
    missing += [s.fields[0] for s in steps if s.name not in by_step and s.fields[0] not in missing]
    if missing:
        raise MaterialsIncomplete(missing)
    members: dict[str, PackageImage] = {}
    image_names: dict[str, str] = {}
    for step in steps:
        image = by_step[step.name]
        name = image_member_name(image)
        while name in members:
            name = "_" + name
        members[name] = image
        image_names[step.fields[0]] = name
    rows = [(t("files.sheet.item", "zh"), t("files.sheet.value", "zh"))]
    rows += [
        (field_label(key, "zh"), _cell_value(key, answers[key], image_names))
        for key in material_fields(answers)
    ]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = t("files.sheet.materials", "zh")
    style_sheet(sheet, rows, wrap_columns={2})
    enterprise = str(answers["enterprise_name"])
    kind = t("files.name.materials", "zh")
    buffer = io.BytesIO()
    stamp = (today.year, today.month, today.day, 0, 0, 0)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        sheet_name = file_name(enterprise, kind, today, ".xlsx")
        archive.writestr(zipfile.ZipInfo(sheet_name, stamp), workbook_bytes(book),
                         compress_type=zipfile.ZIP_DEFLATED)
        for name, image in members.items():
            archive.writestr(zipfile.ZipInfo(name, stamp), image.data,
                             compress_type=zipfile.ZIP_STORED)
    return OutFile(name=file_name(enterprise, kind, today, ".zip"), content=buffer.getvalue(),
                   mime=ZIP_MIME)
