"""What goes into the application workbook and the offline materials package, and what is missing.

Why apart from the builders: the dialogue must name missing fields *before* anything is built,
and the builders in ``bot/`` must put exactly those fields in the file. Both read the same
lists from here, derived from the flow table, so a new field of an organisation type reaches the
package and its "missing" list with one edit of ``flow.STEPS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers import flow
from handlers.flow import FIELDS, Kind, Step

WORKBOOK_HEADERS: tuple[str, ...] = ("Uin", "企业名称", "应用名称", "应用类型", "应用简介", "白名单接口")
"""The header row of the application workbook, exactly as Tencent's reviewers expect it."""

WORKBOOK_REQUIRED: tuple[str, ...] = ("uin", "enterprise_name", "app_name", "app_type",
                                      "app_description")
"""Fields the workbook cannot be built without (the whitelist may be skipped)."""

WORKBOOK_FIELDS: tuple[str, ...] = (*WORKBOOK_REQUIRED, "whitelist_interfaces")
"""Every field that appears in the workbook, in column order."""

WHITELIST_LABELS: Mapping[str, str] = {"FaceVerification": "人脸核身(SDK/H5)"}
"""How an interface reads in the workbook and the email when its API name is not what
Tencent's whitelist list calls it."""

MATERIALS_LEAD: tuple[str, ...] = ("enterprise_name", "uin")
"""Fields from stage 1 that open the materials sheet, so the reviewer knows whose they are."""


def missing_for_workbook(values: Mapping[str, Any]) -> list[str]:
    return [key for key in WORKBOOK_REQUIRED if values.get(key) in (None, "")]


def whitelist_names(values: Mapping[str, Any]) -> list[str]:
    chosen = values.get("whitelist_interfaces") or []
    return [WHITELIST_LABELS.get(name, name) for name in chosen]


def needs_materials(values: Mapping[str, Any]) -> bool:
    return values.get("realname_route") == "offline"


def material_steps(values: Mapping[str, Any]) -> list[Step]:
    """The offline route's questions that apply to this organisation type, in asking order
    (the review-progress gate is not material)."""
    return [
        step for step in flow.applicable_steps(values)
        if "realname_route" in step.when and step.done_when is None
    ]


def material_fields(values: Mapping[str, Any]) -> list[str]:
    """The field of each material row: the lead fields, then each offline step's answer (for a
    step that accepts one of several identifiers, the one given)."""
    keys = list(MATERIALS_LEAD)
    for step in material_steps(values):
        key = flow.answered_field(step, values) or step.fields[0]
        if key not in keys:
            keys.append(key)
    return keys


def image_steps(values: Mapping[str, Any]) -> list[Step]:
    return [s for s in material_steps(values) if FIELDS[s.fields[0]].kind is Kind.IMAGE]


def missing_for_materials(values: Mapping[str, Any]) -> list[str]:
    """Material fields without an answer. Before the organisation type is chosen only it is
    known to be missing, because it decides the rest."""
    missing = [key for key in MATERIALS_LEAD if values.get(key) in (None, "")]
    missing += [
        step.fields[0] for step in material_steps(values)
        if flow.answered_field(step, values) is None
    ]
    return list(dict.fromkeys(missing))
