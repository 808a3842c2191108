"""Random conversations (hypothesis): nothing escapes, stored answers stay valid, position is
consistent with the answers, and history only grows."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers import Action, InboundFile, flow
from handlers.catalogue import t
from handlers.flow import FIELDS, Kind
from handlers.shapes import MAX_UPLOAD_BYTES
from tests.conftest import Chat, png_bytes

COMMANDS = ["start", "help", "status", "back", "skip", "cancel", "yes", "no", "lang en", "lang zh",
            "edit", "edit org_type", "edit uin 100016315204", "edit org_type 3", "edit cert_type 1",
            "edit app_description " + "长" * 101, "/start now", "start prod", "开始 联调", "start Ltd"]
ANSWERS = ["1", "2", "3", "4", "100016315204", "测试科技有限公司", "9144030071526726XG", "张三",
           "13812345678", "ops@example.com", "110108000000016", "11010519491231002X", "71526726X",
           "事证第110000001234号", "none", "1,2", "5, 9", "ChannelCreateFlowReminds", "VerifyUsr",
           "yDCWpUUckpvv76rqUxjIE8qvXHjCqG4t", "guide", "created", "later"]
inputs = st.one_of(
    st.sampled_from(COMMANDS),
    st.sampled_from(ANSWERS),
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=2000, max_size=2100),
    st.builds(lambda s, v: Action(step=s, value=v),
              st.sampled_from([s.name for s in flow.STEPS] + ["confirm_cancel"]),
              st.sampled_from(["1", "yes", "prod", "offline", "enterprise", "approved", "console",
                               "email", "created", "later", "passed"])),
)

def assert_case_consistent(chat: Chat) -> None:
    """Every stored answer passes its validator, and the stored position is the one the
    answers imply (unless a question was reopened with ``back`` or ``edit``)."""
    with chat.store.transaction() as tx:
        case = tx.active_case(chat.conversation)
        if case is None:
            return
        values = {k: a.value for k, a in tx.answers(case.id).items()}
    for key, value in values.items():
        field = FIELDS[key]
        if field.kind is Kind.TEXT and field.validate is not None:
            assert field.validate(str(value), values) == value, key
        elif field.kind is Kind.CHOICE:
            assert value in {o.value for o in field.options}, key
        elif field.kind is Kind.MULTI:
            # An item is one of the options or a name the field's own check accepts.
            offered = {o.value for o in field.options}
            assert isinstance(value, list), key
            assert all(item in offered or (field.validate is not None
                                           and field.validate(item, values) == item)
                       for item in value), key
        elif field.kind is Kind.IMAGE:
            assert value["size"] <= MAX_UPLOAD_BYTES
    if case.focus_step is None:
        expected = flow.first_incomplete(values)
        assert case.current_step == (expected.name if expected else None)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(inputs, st.sampled_from(["e1", "e2", None])), max_size=25))
def test_random_conversations_keep_the_invariants(steps: list[tuple[object, str | None]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        chat = Chat(Path(folder) / "p.db")
        internal = {t("err.internal", lang) for lang in ("zh", "en")}
        history = 0
        chat.send("start")
        for item, event in steps:
            if isinstance(item, Action):
                replies = chat.send(action=item, event_id=event)
            else:
                replies = chat.send(str(item), event_id=event)
            assert not any(r.text in internal for r in replies)
            now = chat.history_count()
            assert now >= history
            history = now
            assert_case_consistent(chat)
        chat.store.close()


# -- wider inputs: files, edits with arbitrary values, control characters, several people ----
CONTROL = st.text(alphabet=st.characters(categories=("Cc", "Cf", "Zl", "Zp", "Cs", "Co")),
                  min_size=1, max_size=40)
EDITABLE = sorted(FIELDS)
files = st.one_of(
    st.builds(lambda w, h: InboundFile(name="licence.png", content=png_bytes(w, h), mime="image/png"),
              st.integers(1, 4), st.integers(1, 4)),
    st.builds(lambda data, name, mime: InboundFile(name=name, content=data, mime=mime),
              st.binary(max_size=200), st.text(max_size=40), st.sampled_from([None, "image/png",
                                                                               "application/pdf"])),
)
wide_inputs = st.one_of(
    inputs,
    CONTROL,
    st.builds(lambda f, value: f"edit {f} {value}", st.sampled_from(EDITABLE), st.text(max_size=40)),
    st.builds(lambda f, value: f"/edit {f} {value}", st.sampled_from(EDITABLE),
              st.sampled_from(ANSWERS)),
    st.builds(lambda a, b: a + b, st.sampled_from(COMMANDS + ANSWERS), CONTROL),
    files,
)


def _snapshot(chat: Chat) -> list[tuple[object, ...]]:
    with sqlite3.connect(chat.store.path) as conn:
        return list(conn.execute("SELECT * FROM history ORDER BY id").fetchall())


def _assert_answers_match_history(chat: Chat) -> None:
    """No half-applied turn: each field's answer is the value of its last history row."""
    with sqlite3.connect(chat.store.path) as conn:
        for (case_id,) in conn.execute("SELECT id FROM cases").fetchall():
            answers = dict(conn.execute("SELECT field, value FROM answers WHERE case_id = ?",
                                        [case_id]).fetchall())
            last: dict[str, object] = {}
            for field, value in conn.execute("SELECT field, value FROM history WHERE case_id = ? "
                                             "AND field IS NOT NULL ORDER BY id", [case_id]):
                last[field] = value
            assert {f: v for f, v in last.items() if v is not None} == answers


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(wide_inputs, st.sampled_from(["e1", "e2", None]),
                          st.sampled_from(["alice", "bob"]), st.booleans()), max_size=20))
def test_files_edits_and_control_characters_from_several_people_keep_the_invariants(
        steps: list[tuple[object, str | None, str, bool]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        chat = Chat(Path(folder) / "p.db")
        internal = {t("err.internal", lang) for lang in ("zh", "en")}
        before: list[tuple[object, ...]] = []
        chat.send("start")
        for item, event, user, private in steps:
            chat.private = private
            if isinstance(item, Action):
                replies = chat.send(action=item, event_id=event, user=user)
            elif isinstance(item, InboundFile):
                replies = chat.send(file=item, event_id=event, user=user)
            else:
                replies = chat.send(str(item), event_id=event, user=user)
            assert not any(r.text in internal for r in replies), item
            now = _snapshot(chat)
            assert now[: len(before)] == before  # history only grows; no row ever changes
            before = now
            _assert_answers_match_history(chat)
            assert_case_consistent(chat)
        chat.store.close()
