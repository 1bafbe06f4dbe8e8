"""All settings, read once from the environment (prefix ``SOCIALDESK_``) or a ``.env`` file.

No other module reads the environment: everything goes through :func:`get_settings`.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "socialdesk"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOCIALDESK_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir, description="Folder for the database, keys and task queue")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default is SQLite in data_dir")
    secret_key: SecretStr | None = Field(default=None, description="Signs session cookies; generated into data_dir if unset")
    vault_keys: SecretStr | None = Field(
        default=None, description="Comma-separated Fernet keys, newest first; generated into data_dir if unset"
    )
    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str = "http://127.0.0.1:8000"
    link_base_url: str = Field(
        default="", description="Public base of short links (/l/<code>), e.g. a short domain; empty: base_url"
    )
    secure_cookies: bool = False
    session_days: int = 14
    login_max_failures: int = 5
    login_window_seconds: int = 900
    invitation_days: int = 7
    task_backend: str = Field(default="sqlite", description="'sqlite' (embedded), 'redis' or 'immediate' (run inline)")
    redis_url: str = "redis://127.0.0.1:6379/0"
    assets_dir: Path | None = Field(default=None, description="node_modules folder holding the front-end libraries")
    auto_migrate: bool = True
    allow_private_urls: bool = Field(
        default=False, description="Let user-given server URLs point at private/loopback addresses"
    )
    network_timeout_seconds: float = Field(
        default=15.0, gt=0, le=300, description="How long one call to a social network may take before it gives up"
    )
    publish_lease_seconds: float = Field(
        default=60.0, ge=5, description="How long a worker's claim on a due post lasts before another may take over"
    )
    # Outgoing e-mail (inbox handoffs to an address). The password is a secret: never logged or shown.
    smtp_host: str = Field(default="", description="SMTP server for handoff e-mails; empty: e-mail handoffs fail")
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: SecretStr | None = None
    smtp_from: str = Field(default="socialdesk@localhost", description="The From address of handoff e-mails")
    smtp_starttls: bool = Field(default=True, description="Upgrade the SMTP connection with STARTTLS")
    handoff_attempts: int = Field(default=6, ge=1, le=20, description="Deliveries tried before a handoff fails")
    handoff_retry_seconds: float = Field(
        default=30.0, ge=0, description="Wait before the first retry of a handoff; doubles each time"
    )
    handoff_timeout_seconds: float = Field(default=10.0, gt=0, description="Timeout of one webhook or SMTP delivery")
    analytics_window_days: int = Field(
        default=30, ge=1, le=3650, description="Days after publishing during which a post's counts are collected daily"
    )

    @field_validator("task_backend")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if value not in {"sqlite", "redis", "immediate"}:
            raise ValueError("SOCIALDESK_TASK_BACKEND must be 'sqlite', 'redis' or 'immediate'")
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'socialdesk.db'}"

    @property
    def resolved_assets_dir(self) -> Path:
        if self.assets_dir:
            return self.assets_dir
        # A source checkout keeps node_modules at the repository root.
        return Path(__file__).resolve().parents[2] / "node_modules"

    def ensure_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir

    def session_secret(self) -> str:
        if self.secret_key:
            return self.secret_key.get_secret_value()
        return read_or_create_key_file(self.ensure_data_dir() / "secret.key", lambda: secrets.token_urlsafe(48))


def read_or_create_key_file(path: Path, make) -> str:
    """Return the key kept in ``path``, creating it with mode 0600 on first use."""
    if path.exists():
        return path.read_text().strip()
    value = make()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return path.read_text().strip()
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)
    return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
