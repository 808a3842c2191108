"""The catalogue is complete in both languages, and the flow table is consistent with it."""

from __future__ import annotations

import importlib
import string
from pathlib import Path

import handlers
from handlers import flow
from handlers.catalogue import LANGS, MESSAGES, SOURCES, has
from handlers.commands import COMMANDS, Command, parse_command


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_in_both_languages_with_the_same_placeholders() -> None:
    for key, texts in MESSAGES.items():
        assert set(texts) == set(LANGS), key
        assert all(texts.values()), key
        assert placeholders(texts["zh"]) == placeholders(texts["en"]), key


def test_every_step_field_and_option_has_its_words() -> None:
    for step in flow.STEPS:
        assert has(step.question_key), step.name
        assert step.intro is None or has(step.intro), step.name
        assert all(has(note) for note in step.notes.values()), step.name
        assert all(key in flow.FIELDS for key in step.fields), step.name
    for field in flow.FIELDS.values():
        assert has(f"field.{field.key}")
        assert all(has(f"opt.{field.key}.{o.value}") for o in field.options), field.key
        # A typed answer is always checked; a choice or an image never goes through a text
        # validator. A multi-choice may check items typed by name that are not on its list
        # (the whitelist takes any real essbasic action name).
        if field.kind is flow.Kind.TEXT:
            assert field.validate is not None, field.key
        elif field.kind is not flow.Kind.MULTI:
            assert field.validate is None, field.key
    for command in Command:
        assert has(f"help.{command.value}")


def test_the_stable_field_keys_exist() -> None:
    stable = ["environment", "has_verified_account", "uin", "enterprise_name", "realname_route", "org_type", "uscc", "business_reg_no", "cert_type", "cert_number", "org_code", "legal_rep", "operator_name", "operator_id_number", "contact_name", "contact_phone", "org_email", "license_image", "app_name", "app_type", "app_description", "whitelist_interfaces", "app_id", "key_owner"]
    assert set(stable) <= set(flow.FIELDS)


def test_the_four_organisation_types_ask_exactly_their_fields() -> None:
    base = {"environment": "prod", "realname_route": "offline"}
    expected = {
        "enterprise": {"uscc", "legal_rep", "contact_name", "contact_phone", "org_email", "license_image"},
        "individual": {"uscc", "business_reg_no", "operator_name", "operator_id_number",
                       "contact_phone", "org_email", "license_image"},
        "government": {"cert_type", "cert_number", "license_image", "legal_rep", "contact_name",
                       "contact_phone", "org_email"},
        "other": {"org_code", "license_image", "legal_rep", "contact_name", "contact_phone", "org_email"},
    }
    for org_type, fields in expected.items():
        values = {**base, "org_type": org_type}
        asked = {k for s in flow.applicable_steps(values) if s.stage == 2 for k in s.fields}
        assert asked - {"realname_route", "org_type", "realname_status"} == fields, org_type


def test_app_type_by_number_english_chinese_any_case() -> None:
    field = flow.FIELDS["app_type"]
    from handlers.turn import option_labels
    for typed, value in [("4", "微信小程序"), ("wechat mini program", "微信小程序"), ("微信小程序", "微信小程序"),
                         ("app(ios)", "APP(IOS)"), ("APP(ANDROID)", "APP(Android)"), ("Pc Web", "PC Web"),
                         ("h5", "H5"), ("OTHER", "其他"), ("其他", "其他")]:
        assert flow.match_option(field, typed, option_labels) == value, typed
    assert flow.match_option(field, "7", option_labels) is None


def test_command_words() -> None:
    assert all(spec.words for spec in COMMANDS)
    assert parse_command("状态") is not None
    assert parse_command("／STATUS") is not None
    assert parse_command("Start Technologies Ltd") is None  # an answer, not a command
    parsed = parse_command("修改 enterprise_name 腾讯科技（深圳）有限公司")
    assert parsed is not None and parsed.args == "enterprise_name 腾讯科技（深圳）有限公司"


def test_every_table_of_sentences_is_in_the_catalogue() -> None:
    """A feature's ``texts`` module, wherever it lives in ``handlers``, is looked up by ``t``:
    one left out of ``SOURCES`` would pass every other test and fail in front of a user."""
    tables = []
    for path in sorted(Path(handlers.__file__).parent.rglob("*.py")):
        name = ".".join(path.relative_to(Path(handlers.__file__).parents[1]).with_suffix("").parts)
        module = importlib.import_module(name.removesuffix(".__init__"))
        if isinstance(getattr(module, "TEXTS", None), dict):
            tables.append(module)
    assert len(tables) >= 8
    missing = [m.__name__ for m in tables if not any(m.TEXTS is source for source in SOURCES)]
    assert not missing, missing
