"""The whitelist question's fallback: every essbasic action the installed SDK has (both API
versions) is a name it accepts, a near miss gets a "did you mean", and the copy of the action
lists in ``handlers/essbasic_actions.py`` (``handlers`` may not import the SDK) matches the SDK."""

from __future__ import annotations

import inspect

import pytest
from tencentcloud.essbasic.v20201222 import essbasic_client as legacy_client
from tencentcloud.essbasic.v20210526 import essbasic_client as current_client

from handlers import essbasic_actions
from handlers.flow import FIELDS, LEGACY_WHITELIST_INTERFACES, WHITELIST_FEATURES
from handlers.validators import Invalid
from handlers.whitelist import whitelist_name


def _actions(module: object) -> tuple[str, ...]:
    client = module.EssbasicClient  # type: ignore[attr-defined]
    return tuple(sorted(name for name, _ in inspect.getmembers(client, inspect.isfunction)
                        if name[:1].isupper()))


def test_the_copied_action_lists_match_the_installed_sdk() -> None:
    current, legacy = _actions(current_client), _actions(legacy_client)
    assert current == essbasic_actions.CURRENT, f"paste into CURRENT: {current!r}"
    assert legacy == essbasic_actions.LEGACY, f"paste into LEGACY: {legacy!r}"


def test_every_offered_feature_is_a_real_action_of_its_version() -> None:
    assert set(WHITELIST_FEATURES) <= set(essbasic_actions.CURRENT)
    assert set(LEGACY_WHITELIST_INTERFACES) <= set(essbasic_actions.LEGACY)
    assert not set(LEGACY_WHITELIST_INTERFACES) & set(essbasic_actions.CURRENT)
    offered = [o.value for o in FIELDS["whitelist_interfaces"].options]
    assert offered[:len(WHITELIST_FEATURES)] == list(WHITELIST_FEATURES)  # today's first


@pytest.mark.parametrize(("typed", "name"), [
    ("describechannelorganizations", "DescribeChannelOrganizations"),
    ("Ｃｒｅａｔｅ Console LoginUrl", "CreateConsoleLoginUrl"),  # full-width, spaces
    ("CheckMobileAndName", "CheckMobileAndName"),  # legacy only
])
def test_real_action_names_are_taken_in_any_case_or_width(typed: str, name: str) -> None:
    assert whitelist_name(typed, {}) == name


def test_a_near_miss_names_the_closest_actions_and_nonsense_is_refused() -> None:
    with pytest.raises(Invalid) as near:
        whitelist_name("ChannelCreateFlowRemind", {})
    assert near.value.key == "err.whitelist_did_you_mean"
    assert near.value.params["names"].split(", ")[0] == "ChannelCreateFlowReminds"
    with pytest.raises(Invalid) as far:
        whitelist_name("Frobnicate", {})
    assert far.value.key == "err.whitelist_unknown"
