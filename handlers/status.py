"""The ``status`` report: per stage done / current / waiting, every answer, what is missing."""

from __future__ import annotations

from collections.abc import Mapping

from handlers import flow
from handlers.catalogue import t
from handlers.flow import STAGES, Step
from handlers.render import (
    answer_label,
    display_value,
    local_time,
    progress_text,
    stage_title,
)
from storage import AnswerRecord, CaseRecord

STAGE_ICONS = {"done": "✅", "current": "▶️", "waiting": "⏳", "pending": "▫️", "not_needed": "➖"}


def stage_state(stage: int, current: Step | None, values: Mapping[str, object]) -> str:
    steps = [s for s in flow.applicable_steps(values) if s.stage == stage]
    if not steps and flow.test_route(values) is not None:
        return "not_needed"
    if all(flow.is_complete(s, values) for s in steps):
        # Answered only for now (the key check put off): still in progress, not done.
        return "current" if any(flow.is_missing(s, values) for s in steps) else "done"
    if current is not None and current.stage == stage:
        return "waiting" if flow.is_waiting(current, values) else "current"
    return "pending"


def step_label(step: Step, lang: str) -> str:
    return " / ".join(answer_label(step, key, lang) for key in step.fields)


def render_status(
    case: CaseRecord,
    answers: Mapping[str, AnswerRecord],
    current: Step | None,
    lang: str,
    *,
    private: bool,
) -> str:
    values = {key: a.value for key, a in answers.items()}
    environment = (
        display_value("environment", values["environment"], lang, private=private)
        if "environment" in values
        else t("status.environment_unset", lang)
    )
    lines = [
        t("status.title", lang, case_id=case.id, environment=environment,
          creator=case.created_by_name or case.created_by, created=local_time(case.created_at)),
        progress_text(values, lang),
    ]
    applicable = flow.applicable_steps(values)
    for stage in STAGES:
        state = stage_state(stage, current, values)
        lines.append(t("status.stage_line", lang, icon=STAGE_ICONS[state],
                       stage=stage_title(stage, values, lang),
                       state=t(f"stage_state.{state}", lang)))
        for step in (s for s in applicable if s.stage == stage):
            key = flow.answered_field(step, values)
            if key is None:
                continue
            answer = answers[key]
            lines.append(t("status.answer_line", lang, label=answer_label(step, key, lang),
                           value=display_value(key, answer.value, lang, private=private),
                           who=answer.user_name or answer.user_id, when=local_time(answer.at)))
    missing = [step_label(s, lang) for s in applicable if flow.is_missing(s, values)]
    sep = "、" if lang == "zh" else ", "
    lines.append(t("status.missing", lang, fields=sep.join(missing)) if missing
                 else t("status.nothing_missing", lang))
    return "\n".join(lines)
