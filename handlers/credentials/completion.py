""""Done" means keys that work: a passing check finishes stage 4, and the closing message says
what the team now holds and what to do next.

Why the check and not the key-owner answer ends onboarding: the costly surprise of onboarding is
a key that fails at the first real call (wrong environment, a CAM key on the test host, an app
ID of the other environment). So the last step, ``key_check``, is answered ``passed`` only by a
credential check that passed for the case's own environment; a team may say ``later`` to go on,
and ``status`` then keeps the check on its missing list.

The passing check's answer is written the one way every answer is (``Turn.store``, from outside
a turn: ``handlers.registry.turn_for_case``), so it ends a focus left on the question and runs
every feature's hooks, as the team's own answer would; and this module registers the closing
message every finished case says (``Router.closing``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers import flow
from handlers.catalogue import t
from handlers.credentials.report import CredentialReport, environment_label
from handlers.credentials.snippet import first_call_snippet
from handlers.registry import Router
from handlers.shapes import Reply
from handlers.turn import Turn
from storage import StoreTransaction
from storage.credential_checks import CredentialCheckRecord, checks_for_case

KEY_CHECK = "key_check"

router = Router("credentials.completion")


def passing_check(tx: StoreTransaction, case_id: int, environment: str | None
                  ) -> CredentialCheckRecord | None:
    """The latest check of this case that passed for its environment, if any."""
    return next((c for c in reversed(checks_for_case(tx, case_id))
                 if c.outcome == "pass" and c.environment == environment), None)


def check_completes_stage(turn: Turn, report: CredentialReport) -> list[Reply]:
    """A report hook: a check that passed for the case's environment answers ``key_check``
    (credited to who ran it); if that was the last step, the closing message follows.
    ``turn``: the case's turn for this change made outside an input (``turn_for_case``)."""
    case = turn.require_case()
    values = turn.values
    if report.outcome != "pass" or report.environment != values.get("environment") \
            or values.get(KEY_CHECK) == "passed":
        return []
    step = flow.applicable_step_for_field(KEY_CHECK, values)
    if step is None:
        return []
    # Recorded on evidence (the keys worked), not on a person's say: no choice check decides it.
    turn.store(step, KEY_CHECK, "passed", checks=False)
    values = turn.values
    if flow.first_incomplete(values) is not None:
        return [Reply(kind="info", text=t("done.check_recorded", case.lang))]
    return closing_replies(turn.tx, case.id, values, case.lang)


@router.closing
def closing(turn: Turn) -> list[Reply]:
    """What a case says once every step is done (``Turn.ask`` with no step left): the
    first time with the first-call program, afterwards how to get it again."""
    case = turn.require_case()
    return closing_replies(turn.tx, case.id, turn.values, turn.lang,
                           first_time=case.completed_at is None)


def closing_replies(tx: StoreTransaction, case_id: int, values: Mapping[str, Any],
                    lang: str, *, first_time: bool = True) -> list[Reply]:
    """What a finished case says: with a passing check, what the team holds, the next steps
    and the first-call program (attached the first time; later on, how to get it again);
    without one, that the keys are still to be shown to work."""
    environment = str(values.get("environment") or "prod")
    check = passing_check(tx, case_id, environment)
    where = t(f"done.console_env.{environment}", lang)
    nxt = [t("done.next.callback", lang, where=where), t("done.next.sub_enterprise", lang)]
    if environment == "test":
        nxt.append(t("done.next.prod", lang))
    if check is None:
        text = "\n".join([t("done.title.unchecked", lang), *nxt])
        return [Reply(kind="done", text=text)]
    identity = check.identity or {}
    user = identity.get("user_id") or t("done.user.console_key", lang)
    app_id = str(values.get("app_id") or "")
    held = t("done.held", lang, secret_id=check.secret_id_masked, app_id=app_id or "—",
             user=user, environment=environment_label(environment, lang))
    lines = [t("done.title.checked", lang), held, t("done.next_title", lang), *nxt]
    if app_id and not first_time:
        lines.append(t("done.snippet_again", lang))
    replies = [Reply(kind="done", text="\n".join(lines))]
    if app_id and first_time:
        replies.append(snippet_reply(app_id, environment, case_id, lang))
    return replies


def snippet_reply(app_id: str, environment: str, case_id: int, lang: str) -> Reply:
    """The first-call program as a file, with a line saying how to run it."""
    out = first_call_snippet(app_id, environment, case_id)
    return Reply(kind="file", text=t("done.snippet", lang, name=out.name), file=out)
