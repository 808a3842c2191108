"""App Home: each person's onboarding cases, with stage, progress bar, what is next, and any
review pending at Tencent with its due date.

Why built from the store on every open: the Home tab is a snapshot Slack keeps until it is
published again, and the answers change in many conversations; reading afresh when the tab is
opened is simple and always right. The view is built by a pure function so it can be checked
without Slack; the read runs in a worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.render import escape, mrkdwn
from handlers import flow
from handlers.catalogue import t
from handlers.render import DISPLAY_ZONE, display_value, local_time, progress_text, stage_title
from handlers.reviews.status import open_wait_line
from handlers.status import STAGE_ICONS, stage_state
from storage import AnswerRecord, CaseRecord, CaseStore
from storage.case_people import cases_of_person
from storage.waits import WaitRecord, waits_for_case

_LIMIT = 20



@dataclass(frozen=True, slots=True)
class HomeCase:
    case: CaseRecord
    answers: dict[str, AnswerRecord]
    open_waits: tuple[WaitRecord, ...]


def _where(conversation: str, lang: str) -> str:
    channel = conversation.rsplit(":", 1)[-1]
    return t("slack.home_dm", lang) if channel.startswith("D") else f"<#{channel}>"


def _case_blocks(item: HomeCase, today: date, lang: str) -> list[dict[str, Any]]:
    case, answers = item.case, item.answers
    values = {key: answer.value for key, answer in answers.items()}
    environment = (display_value("environment", values["environment"], lang, private=False)
                   if "environment" in values else t("status.environment_unset", lang))
    current = (flow.STEPS_BY_NAME.get(case.current_step) if case.current_step
               else flow.first_incomplete(values))
    lines = [
        t("slack.home_case", lang, case_id=case.id, where=_where(case.conversation, lang),
          environment=escape(environment)),
        escape(progress_text(values, lang)),
    ]
    lines += [
        t("slack.home_stage", lang, icon=STAGE_ICONS[state], stage=stage_title(stage, values, lang),
          state=t(f"stage_state.{state}", lang))
        for stage in flow.STAGES
        for state in [stage_state(stage, current, values)]
    ]
    if current is None:
        lines.append(t("slack.home_done", lang))
    else:
        key = "slack.home_waiting" if flow.is_waiting(current, values) else "slack.home_next"
        lines.append(t(key, lang, question=escape(t(current.question_key, lang))))
    lines += [escape(open_wait_line(wait, today, lang)) for wait in item.open_waits]
    return [
        {"type": "section", "text": mrkdwn("\n".join(lines))},
        {"type": "context", "elements": [mrkdwn(t(
            "slack.home_updated", lang, when=local_time(case.updated_at)))]},
        {"type": "divider"},
    ]


def home_view(cases: Sequence[HomeCase], lang: str, today: date) -> dict[str, Any]:
    """The Home tab for one person (``today`` in Beijing, for the reviews' working days left)."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": t("slack.home_title", lang)}},
    ]
    if not cases:
        blocks.append({"type": "section", "text": mrkdwn(t("slack.home_empty", lang))})
        return {"type": "home", "blocks": blocks}
    blocks.append({"type": "section", "text": mrkdwn(t("slack.home_intro", lang))})
    for item in cases:
        blocks += _case_blocks(item, today, lang)
    if len(cases) >= _LIMIT:
        blocks.append({"type": "context", "elements": [
            mrkdwn(t("slack.home_more", lang, count=_LIMIT))]})
    return {"type": "home", "blocks": blocks}


def read_person_cases(store: CaseStore, user_id: str, team_id: str) -> list[HomeCase]:
    """The person's cases in this workspace (blocking: run it in a worker thread)."""
    with store.snapshot() as tx:
        return [
            HomeCase(case, answers, tuple(w for w in waits_for_case(tx, case.id) if w.is_open))
            for case, answers in cases_of_person(tx, user_id, f"slack:{team_id}:", limit=_LIMIT)
        ]


async def publish_home(
    client: AsyncWebClient, store: CaseStore, *, user_id: str, team_id: str, default_lang: str
) -> None:
    cases = await asyncio.to_thread(read_person_cases, store, user_id, team_id)
    lang = cases[0].case.lang if cases else default_lang
    today = datetime.now(UTC).astimezone(DISPLAY_ZONE).date()
    await client.views_publish(user_id=user_id, view=home_view(cases, lang, today))
