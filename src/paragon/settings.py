"""The one registry of settings. Each setting is declared once, with its type, default and help;
the CLI, the docs (docs/settings.md, checked by a test) and validation all read this class.

Every setting can be given as an environment variable ``PARAGON_<NAME>``.
"""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_network
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
    postcode_directory: Path | None = Field(
        default=None,
        description="An ONS postcode directory CSV (ONSPD or NSPL, any force) for the web's "
        "postcode search: columns `pcds` (or `pcd`, `pcd7`, `pcd8`, `postcode`) and `lsoa11` "
        "(or `lsoa11cd`, `lsoa21`, `lsoa21cd`, `lsoa_code`); a .csv.gz is read too. Without it, "
        "the bundled Birmingham (B) postcodes are used.",
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
        default=5, description="Failed sign-ins allowed per account per minute (from any "
        "address); an address may fail five times as many across all accounts."
    )
    session_minutes: int = Field(default=60, description="Idle minutes before a session expires.")
    session_max_hours: int = Field(
        default=12, description="Hours after sign-in when a session ends however active it is."
    )
    ops_url: str = Field(
        default="",
        description="Operational store (users, sessions, audit log, login attempts, local "
        "priorities): `sqlite:///relative/file`, `sqlite:////absolute/file` or "
        "`postgresql://user:password@host:port/database` (PostgreSQL, for several servers). "
        "Empty: a SQLite file beside the warehouse, `<warehouse>.ops.sqlite`.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses or CIDR networks of reverse proxies whose "
        "X-Forwarded-For and X-Forwarded-Proto are believed. Empty: none (the peer address "
        "is the client).",
    )
    login_hash_concurrency: int = Field(
        default=4, description="Most password checks (argon2, about 64 MiB each) run at once; "
        "sign-ins beyond it are answered 503 at once."
    )

    @field_validator("query_row_cap", "login_attempts_per_minute", "session_minutes",
                     "session_max_hours", "login_hash_concurrency")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be positive")
        return value

    def ops_location(self) -> str:
        """The operational store's URL: ``ops_url`` or the file beside the warehouse."""
        from paragon.ops.store import default_url

        return self.ops_url or default_url(self.db)

    def proxy_networks(self) -> list[IPv4Network | IPv6Network]:
        """``trusted_proxies`` as networks (a bad entry is refused with its text)."""
        networks: list[IPv4Network | IPv6Network] = []
        for item in self.trusted_proxies.split(","):
            if item.strip():
                try:
                    networks.append(ip_network(item.strip(), strict=False))
                except ValueError as exc:
                    from paragon.errors import ParagonError

                    raise ParagonError(f"PARAGON_TRUSTED_PROXIES: '{item.strip()[:60]}' is not "
                                       f"an address or CIDR network") from exc
        return networks

    def require_secret(self) -> str:
        """The signing key, refusing a missing or placeholder one."""
        if self.secret_key.strip().lower() in PLACEHOLDER_SECRETS or len(self.secret_key) < 16:
            from paragon.errors import ParagonError

            raise ParagonError(
                "PARAGON_SECRET_KEY is missing or a placeholder: set it to a random string of "
                "at least 16 characters (the demo makes one for you)"
            )
        return self.secret_key
