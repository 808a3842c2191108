"""Starting and ending waits, each end announced exactly once through the outbox.

Why these functions take a transaction and not a ``Turn``: a result is recorded by the ``review``
command and by answers to the gate questions (inside a turn), and also by a passing credential
check, which runs after its turn has committed and opens its own transaction. All of them must
write the wait's new state and its announcement together, so a result is never announced without
being recorded, nor recorded without being announced. The gate answer a result implies is
written the one way every answer is (``Turn.store``), also from outside a turn
(``handlers.registry.turn_for_case``).
"""

from __future__ import annotations

from datetime import date, datetime

from handlers import flow
from handlers.registry import leave_work, turn_for_case
from handlers.reviews.kinds import KINDS
from handlers.reviews.notices import result_replies, to_rows
from handlers.reviews.workdays import DueDate, add_workdays, local_date
from handlers.turn import Turn
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
    turn: Turn | None = None,
) -> bool:
    """Record a result outside a turn (e.g. a passing credential check ends the ``app`` wait).

    Ends the open wait (or records one that starts and ends at once) and queues its
    announcement; with ``store_answer`` also stores the gate answer the result implies
    (``app_status=approved``…) the one way every answer is stored (``Turn.store``: history,
    dependants and stale answers cleared, the focus on the gate ended, every feature's hooks,
    the stored position), as the person's own answer would. ``turn``: the caller's turn of the
    case for a change made outside an input (``registry.turn_for_case``), whose leftover work
    the caller writes; without one, one is opened here and its work written
    (``registry.leave_work``). Returns False, writing nothing, when the case is not active or
    this result is already the latest one recorded. Call it inside a transaction of its own
    (``store.transaction()``).
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
    step = flow.applicable_step_for_field(spec.gate, values)
    outside = turn or turn_for_case(tx, case_id, by=by, by_name=by_name or by, at=at)
    if not store_answer or step is None or outside is None:
        return True
    if current is None or current.value != gate_value:
        # Recorded on evidence, not on a person's say: no choice check decides it.
        outside.store(step, spec.gate, gate_value, checks=False)
    else:
        outside.save_position()
    if turn is None:
        leave_work(outside)
    return True
