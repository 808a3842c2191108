"""Settings from the environment or a ``.env`` file (pydantic-settings).

Why here and nowhere else: tokens and keys must never live in code, and every entry point reads
the same names, so a newcomer learns them once from the README.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import annotated_types
from pydantic import Field, SecretStr, ValidationError
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConfigError(Exception):
    """Settings that cannot work; the message names what to set, for a person to read.

    Defined beside the settings (not in ``bot.wiring``) because every platform raises it from
    its own factory, and ``bot.wiring`` imports the platforms: here nobody imports in a circle."""


_URL = r"^\s*https?://[^/\s?#]+(/\S*)?\s*$"
"""An API base: ``http://`` alone started "healthy" and then failed every call."""

_HOST_ONLY = "an http(s) URL of a host and no path, such as http://127.0.0.1:9000"


class Settings(BaseSettings):
    # allow_inf_nan=False: "nan" passes no range check by comparison, so it is refused by name.
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      allow_inf_nan=False)

    esignbot_db: Path = Field(default=Path("esignbot.db"))
    esignbot_db_sync: Literal["full", "normal"] = Field(default="full")
    """SQLite's synchronous mode: ``full`` survives a power cut, ``normal`` a killed process."""
    esignbot_lang: str = Field(default="zh")
    esignbot_out: Path = Field(default=Path("out"))
    # Reviews: comma-separated platform user ids (U0123, or slack:U0123 / wecom:zhangsan) who
    # may record review results and use `status all`; empty: anyone records, nobody lists all.
    esignbot_admins: str = ""
    # How often the scheduler looks for late waits and undelivered notices (seconds).
    esignbot_scheduler_seconds: float = Field(default=10.0, gt=0, le=3600)
    # `serve`'s connection limits (bot/web/connections.py): a request must arrive whole within
    # REQUEST_TIMEOUT seconds; past MAX_CONNECTIONS open connections new ones get 503.
    esignbot_http_request_timeout: float = Field(default=10.0, gt=0, le=300)
    esignbot_http_max_connections: int = Field(default=500, ge=1, le=100000)
    # Log lines of the long-running modes (bot/logs.py): the level of esignbot's and uvicorn's
    # own lines (DEBUG..CRITICAL), and `text` or `json` (one object per line).
    esignbot_log_level: str = "INFO"
    esignbot_log_format: str = "text"
    # Holidays and make-up working days for years chinese-calendar does not know yet (TOML, see
    # bot/holidays.py and docs/reviews.md); read at start, before the packaged calendars.
    esignbot_holidays: Path | None = None
    # Personal fields (resident ID, phone) encrypted at rest with this Fernet key when set;
    # NEW_DATA_KEY only for `esignbot rotate-data-key` (see bot/admin.py).
    esignbot_data_key: SecretStr | None = None
    esignbot_new_data_key: SecretStr | None = None

    # Credential check: Tencent Cloud's own hosts unless ENDPOINT (e.g. http://127.0.0.1:9000)
    # sends STS, CAM and essbasic to one server; TEST_ENDPOINT then plays E-Sign's test host.
    esignbot_tencentcloud_endpoint: str | None = Field(default=None, pattern=r"^https?://[^/]+/?$",
                                                        description=_HOST_ONLY)
    esignbot_tencentcloud_test_endpoint: str | None = Field(default=None,
                                                             pattern=r"^https?://[^/]+/?$",
                                                             description=_HOST_ONLY)
    esignbot_tencentcloud_timeout: float = Field(default=10.0, gt=0, le=120)

    # Outgoing mail (the application email to e-contract@tencent.com): HOST and FROM (or a USER
    # that is an address) turn it on; SECURITY is ssl (port 465), starttls (587) or none (25,
    # for a local relay; a password is never sent unencrypted to another machine).
    esignbot_smtp_host: str | None = None
    esignbot_smtp_port: int | None = Field(default=None, ge=1, le=65535)
    esignbot_smtp_user: str | None = None
    esignbot_smtp_password: SecretStr | None = None
    esignbot_smtp_from: str | None = None
    esignbot_smtp_security: Literal["ssl", "starttls", "none"] = "ssl"
    esignbot_smtp_timeout: float = Field(default=30.0, gt=0, le=600)
    esignbot_smtp_ca_file: Path | None = None

    # The mailbox watcher (Tencent's review emails): HOST, USER and PASSWORD turn it on; it only
    # reads (EXAMINE + BODY.PEEK), from SENDER, within LOOKBACK_DAYS. SECURITY is ssl (port 993),
    # starttls (143) or none (143, only for a server on this machine).
    esignbot_imap_host: str | None = None
    esignbot_imap_port: int | None = Field(default=None, ge=1, le=65535)
    esignbot_imap_user: str | None = None
    esignbot_imap_password: SecretStr | None = None
    esignbot_imap_folder: str = "INBOX"
    esignbot_imap_security: Literal["ssl", "starttls", "none"] = "ssl"
    esignbot_imap_sender: str = "e-contract@tencent.com"
    esignbot_imap_poll_seconds: float = Field(default=60.0, ge=1, le=86400)
    esignbot_imap_lookback_days: int = Field(default=30, ge=1, le=3650)
    esignbot_imap_ca_file: Path | None = None

    # WeCom (企业微信) self-built app: all five of the first set, or none (see manifests/wecom.md).
    wecom_corp_id: str | None = None
    wecom_agent_id: str | None = None
    wecom_secret: SecretStr | None = None
    wecom_token: SecretStr | None = None
    wecom_aes_key: SecretStr | None = None
    wecom_api_url: str = Field(default="https://qyapi.weixin.qq.com/cgi-bin/", pattern=_URL,
                               description="an http(s) URL with a host, such as "
                                           "https://qyapi.weixin.qq.com/cgi-bin/")

    # WeCom smart bot (智能机器人, API mode, long connection): its ID and secret from the admin
    # console (see manifests/wecom-bot.md); WECOM_BOT_URL only for tests (a local ws:// server).
    wecom_bot_id: str | None = None
    wecom_bot_secret: SecretStr | None = None
    wecom_bot_url: str = Field(default="wss://openws.work.weixin.qq.com",
                               pattern=r"^\s*wss?://[^/\s?#]+(/\S*)?\s*$",
                               description="a ws(s):// URL with a host, such as "
                                           "wss://openws.work.weixin.qq.com")
    # Seconds between the smart bot's heartbeats; two unanswered and the connection is opened
    # again (WeCom's SDKs use 30; shorter notices a dead NAT mapping sooner).
    wecom_bot_heartbeat_seconds: float = Field(default=30.0, gt=0, le=300)

    # Slack: bot token and signing secret for HTTP (`serve`); bot token and app-level token for
    # Socket Mode (`slack --socket`). SLACK_API_URL is the Web API base (tests use a local one).
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = Field(default="https://slack.com/api/", pattern=_URL,
                               description="an http(s) URL with a host, such as "
                                           "https://slack.com/api/")


def load_settings() -> Settings:
    """The settings, or :class:`ConfigError` with one sentence per setting that cannot be read
    (a line each), naming it as the operator wrote it: pydantic's own report is a traceback of
    22 lines in every command, not something to act on."""
    try:
        return Settings()
    except ValidationError as problem:
        raise ConfigError("\n".join(_sentence(error) for error in problem.errors())) from None


def _sentence(error: ErrorDetails) -> str:
    """``ESIGNBOT_SMTP_PORT must be a whole number from 1 to 65535, not 'abc'.``"""
    name = str(error["loc"][0]) if error["loc"] else ""
    field = Settings.model_fields.get(name)
    shown = str(error["input"])
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    if field is None:
        return f"{name.upper()}: {error['msg']}."
    secret = field.annotation is not None and SecretStr in get_args(field.annotation)
    value = "" if secret else f", not {shown!r}"  # a secret's value is never repeated
    return f"{name.upper()} must be {_expected(field.annotation, field.metadata, field.description)}{value}."


def _expected(annotation: Any, metadata: list[Any], description: str | None) -> str:
    """What a setting accepts, in words, from its type and its bounds."""
    if description:
        return description
    kind = annotation
    if get_origin(kind) is not Literal:  # X | None: what is said is X
        kinds = [a for a in (get_args(kind) or (kind,)) if a is not type(None)]
        kind = kinds[0] if kinds else str
    if get_origin(kind) is Literal:
        return "one of " + ", ".join(str(choice) for choice in get_args(kind))
    words = {int: "a whole number", float: "a number", Path: "a file path"}.get(kind, "text")
    bound = {type(m): m for m in metadata}
    ge, gt = bound.get(annotated_types.Ge), bound.get(annotated_types.Gt)
    le, lt = bound.get(annotated_types.Le), bound.get(annotated_types.Lt)
    if ge is not None and le is not None:
        return f"{words} from {ge.ge:g} to {le.le:g}"
    limits = [f"greater than {gt.gt:g}" if gt is not None else "",
              f"at least {ge.ge:g}" if ge is not None else "",
              f"less than {lt.lt:g}" if lt is not None else "",
              f"at most {le.le:g}" if le is not None else ""]
    limits = [limit for limit in limits if limit]
    return words + (" " + " and ".join(limits) if limits else "")
