"""Settings from the environment or a ``.env`` file (pydantic-settings).

Why here and nowhere else: tokens and keys must never live in code, and every entry point reads
the same names, so a newcomer learns them once from the README.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    esignbot_db: Path = Field(default=Path("esignbot.db"))
    esignbot_lang: str = Field(default="zh")
    esignbot_out: Path = Field(default=Path("out"))


def load_settings() -> Settings:
    return Settings()
