"""Settings that hold secrets never print: not in a repr, not in a validation error, not in what
``esignbot`` says when a setting is wrong.

The SecretKey of a credential check is proven absent from the database file, logs and every
posted message per adapter elsewhere (not repeated here): the console and the CLI in
tests/bot/credentials/test_chat.py and tests/bot/credentials/test_cli.py, the Slack modal in
tests/bot/slack/test_app.py::test_the_keys_modal_errors_then_checks_after_it_closed (and keys typed
into a channel: test_a_key_typed_into_the_channel_is_not_used), WeCom's private chat in
tests/bot/wecom/test_callback.py::test_keys_are_checked_from_a_private_chat_and_the_result_goes_to_every_member.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from bot.settings import Settings

SECRETS = {
    "SLACK_SIGNING_SECRET": "sig-8f742231b10e8888abcd99",
    "SLACK_BOT_TOKEN": "xoxb-secret-bot-token-0001",
    "SLACK_APP_TOKEN": "xapp-secret-app-token-0002",
    "WECOM_SECRET": "wecom-secret-value-0003",
    "WECOM_TOKEN": "wecomtokenvalue0004",
    "WECOM_AES_KEY": "AesKeyValue0005AesKeyValue0005AesKeyValue0",
    "ESIGNBOT_SMTP_PASSWORD": "smtp-password-0006",
    "ESIGNBOT_IMAP_PASSWORD": "imap-password-0007",
    "ESIGNBOT_DATA_KEY": "data-key-value-0008",
    "ESIGNBOT_NEW_DATA_KEY": "new-data-key-value-0009",
}


def test_every_setting_that_names_a_secret_is_a_secret_str() -> None:
    for name in SECRETS:
        annotation = str(Settings.model_fields[name.lower()].annotation)
        assert "SecretStr" in annotation, name
    words = ("secret", "token", "password", "aes_key", "data_key")
    for name, field in Settings.model_fields.items():
        if any(w in name for w in words) and not name.endswith(("_url", "_endpoint")):
            assert "SecretStr" in str(field.annotation), name


def test_a_repr_and_a_dump_do_not_show_them(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    shown = repr(settings) + str(settings) + settings.model_dump_json() + str(settings.model_dump())
    for value in SECRETS.values():
        assert value not in shown
    assert isinstance(settings.slack_signing_secret, SecretStr)
    assert settings.slack_signing_secret.get_secret_value() == SECRETS["SLACK_SIGNING_SECRET"]


def test_a_validation_error_does_not_show_them(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ESIGNBOT_SMTP_PORT", "not-a-port")
    monkeypatch.setenv("ESIGNBOT_SCHEDULER_SECONDS", "-1")
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None)  # type: ignore[call-arg]
    shown = str(caught.value) + repr(caught.value) + caught.value.json()
    assert "esignbot_smtp_port" in shown
    for value in SECRETS.values():
        assert value not in shown


def test_serve_with_a_bad_data_key_says_which_setting_and_never_a_secret(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ESIGNBOT_", "SLACK_", "WECOM_"))}
    env.update(SECRETS)
    env.update(PYTHONIOENCODING="utf-8", ESIGNBOT_DB=str(tmp_path / "x.db"))
    for command in (["serve", "--port", "1"], ["console"], ["export-case", "--case", "1"]):
        proc = subprocess.run([sys.executable, "-m", "bot.cli", *command], capture_output=True,
                              text=True, cwd=tmp_path, env=env, timeout=60, input="")
        assert proc.returncode == 2, (command, proc.stderr)
        assert "ESIGNBOT_DATA_KEY" in proc.stderr and "Traceback" not in proc.stderr
        for value in SECRETS.values():
            assert value not in proc.stdout + proc.stderr, (command, value)
