"""Starting and ending waits, each end announced exactly once through the outbox.

Why these functions take a transaction and not a ``Turn``: a result is recorded by the ``review``
command and by answers to the gate questions (inside a turn), and also by a passing credential
check, which runs after its turn has committed and opens its own transaction. All of them must
write the wait's new state and its announcement together, so a result is never announced without
being recorded, nor recorded without being announced.
"""

from __future__ import annotations

from datetime import date, datetime

from handlers import flow
from handlers.reviews.kinds import KINDS
from handlers.reviews.notices import result_replies, to_rows
from handlers.reviews.workdays import DueDate, add_workdays, local_date
from storage import CaseRecord, StoreTransaction, outbox
from storage import waits as store


def start_day(at: str) -> date:
    """The local (Asia/Shanghai) day a wait started on, from its stored UTC time stamp."""
    return local_date(datetime.fromisoformat(at))


def due_date(kind: str, at: str) -> DueDate:
    return add_workdays(start_day(at), KINDS[kind].workdays)


def begin(
    tx: StoreTransaction, case_id: int, kind: str, *, user_id: str, user_name: str, at: str
) -> store.WaitRecord | None:
    """Open a wait; None when one of this kind is already open (the team said it twice)."""
    if store.open_wait(tx, case_id, kind) is not None:
        return None
    due = due_date(kind, at)
    return store.start_wait(tx, case_id, kind, due_on=due.day.isoformat(),
                            due_estimated=due.estimated, user_id=user_id, user_name=user_name,
                            at=at)


def already_recorded(tx: StoreTransaction, case_id: int, kind: str, state: str) -> store.WaitRecord | None:
    """The wait that already holds ``state`` as the latest result, with nothing open since."""
    if store.open_wait(tx, case_id, kind) is not None:
        return None
    latest = store.latest_wait(tx, case_id, kind)
    return latest if latest is not None and latest.state == state else None


def finish(
    tx: StoreTransaction,
    case: CaseRecord,
    kind: str,
    state: str,
    *,
    lang: str,
    user_id: str,
    user_name: str,
    at: str,
    reason: str | None = None,
    app_id: str | None = None,
) -> store.WaitRecord:
    """End the open wait with ``state`` — or, for a team that comes to the bot mid-way, record
    one that starts and ends at once — and queue its announcement, mentioning who started the
    case. The outbox key ``result:<wait id>`` makes a second announcement impossible."""
    wait = store.open_wait(tx, case.id, kind) or begin(
        tx, case.id, kind, user_id=user_id, user_name=user_name, at=at)
    assert wait is not None
    store.end_wait(tx, wait.id, state, reason=reason, user_id=user_id, user_name=user_name, at=at)
    replies = result_replies(kind, state, lang, recorded_by=user_name or user_id, at=at,
                             reason=reason, app_id=app_id)
    outbox.add_message(
        tx, dedupe_key=f"result:{wait.id}", case_id=case.id, wait_id=wait.id, purpose="result",
        conversation=case.conversation, mention_user_id=case.created_by,
        mention_name=case.created_by_name or case.created_by, replies=to_rows(replies), at=at)
    ended = store.latest_wait(tx, case.id, kind)
    assert ended is not None
    return ended


def withdraw(
    tx: StoreTransaction, case_id: int, kind: str, *, user_id: str, user_name: str, at: str
) -> bool:
    """The team took the submission back: close the open wait quietly (nothing to announce)."""
    wait = store.open_wait(tx, case_id, kind)
    return wait is not None and store.end_wait(
        tx, wait.id, "withdrawn", reason=None, user_id=user_id, user_name=user_name, at=at)


def end_wait(
    tx: StoreTransaction,
    case_id: int,
    kind: str,
    *,
    approved: bool,
    by: str,
    at: str,
    by_name: str = "",
    reason: str | None = None,
    app_id: str | None = None,
    store_answer: bool = True,
) -> bool:
    """Record a result outside a turn (e.g. a passing credential check ends the ``app`` wait).

    Ends the open wait (or records one that starts and ends at once) and queues its
    announcement; with ``store_answer`` also stores the gate answer the result implies
    (``app_status=approved``…) and refreshes the case's stored position, as a turn would.
    Returns False, writing nothing, when the case is not active or this result is already the
    latest one recorded. Call it inside a transaction of its own (``store.transaction()``).
    """
    case = tx.case(case_id)
    if case is None or case.state != "active":
        return False
    state = "approved" if approved else "rejected"
    spec = KINDS[kind]
    answers = tx.answers(case_id)
    gate_value = spec.answer_for[state]
    current = answers.get(spec.gate)
    if already_recorded(tx, case_id, kind, state) and current is not None \
            and current.value == gate_value:
        return False
    finish(tx, case, kind, state, lang=case.lang, user_id=by, user_name=by_name or by, at=at,
           reason=reason, app_id=app_id)
    values = {key: a.value for key, a in answers.items()}
    if not store_answer or flow.applicable_step_for_field(spec.gate, values) is None:
        return True
    if current is None or current.value != gate_value:
        tx.put_answer(case_id, spec.gate, gate_value, kind="edit" if current else "answer",
                      user_id=by, user_name=by_name or by, at=at)
        values[spec.gate] = gate_value
    _refresh_position(tx, case, values, at)
    return True


def _refresh_position(
    tx: StoreTransaction, case: CaseRecord, values: dict[str, object], at: str
) -> None:
    """What ``Turn.save_position`` does at the end of a turn, for a change made outside one."""
    focus = case.focus_step
    if focus and focus in flow.STEPS_BY_NAME and flow.applies(flow.STEPS_BY_NAME[focus], values):
        current: flow.Step | None = flow.STEPS_BY_NAME[focus]
    else:
        current = flow.first_incomplete(values)
    changes: dict[str, object] = {"current_step": current.name if current else None,
                                  "updated_at": at}
    if current is None and case.completed_at is None:
        changes["completed_at"] = at
    tx.update_case(case.id, **changes)
