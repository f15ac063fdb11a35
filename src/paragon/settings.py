"""The one registry of settings. Each setting is declared once, with its type, default and help;
the CLI, the docs (docs/settings.md, checked by a test) and validation all read this class.

Every setting can be given as an environment variable ``PARAGON_<NAME>``.
"""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_dir
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "please-change"}


def default_db_path() -> Path:
    """The warehouse file used when no --db is given: in the user's data directory."""
    return Path(user_data_dir("paragon")) / "paragon.duckdb"


class Settings(BaseSettings):
    """Paragon's settings. Built on demand (never at import time) so tests can pass their own."""

    model_config = SettingsConfigDict(env_prefix="PARAGON_", extra="ignore")

    db: Path = Field(
        default_factory=default_db_path, description="Path of the DuckDB warehouse file."
    )
    plan: Path | None = Field(
        default=None,
        description="Plan YAML to use instead of the default West Midlands 2011-15 plan.",
    )
    policeuk_base_url: str = Field(
        default="https://data.police.uk/data/archive/",
        description="Base URL of the data.police.uk monthly archives used by `paragon fetch`.",
    )
    secret_key: str = Field(
        default="",
        description="Key that signs session cookies. Required by `paragon serve`; the demo makes "
        "a random one per run.",
    )
    query_row_cap: int = Field(
        default=100_000, description="Most rows a user-driven query returns."
    )
    login_attempts_per_minute: int = Field(
        default=5, description="Failed logins allowed per user name and address per minute."
    )
    session_minutes: int = Field(default=60, description="Idle minutes before a session expires.")

    @field_validator("query_row_cap")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be positive")
        return value

    def require_secret(self) -> str:
        """The signing key, refusing a missing or placeholder one."""
        if self.secret_key.strip().lower() in PLACEHOLDER_SECRETS or len(self.secret_key) < 16:
            from paragon.errors import ParagonError

            raise ParagonError(
                "PARAGON_SECRET_KEY is missing or a placeholder: set it to a random string of "
                "at least 16 characters (the demo makes one for you)"
            )
        return self.secret_key
