"""Service settings: every knob of the API, the Dagster code location and the command line."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

STATE_DIR = Path(".reports")
DEV_SIGNING_KEY = "dev-only-signing-key-do-not-use-in-production"
DEV_ENCRYPTION_KEY = "dev-only-encryption-key-do-not-use-in-production"


class Settings(BaseSettings):
    """Configuration read from `REPORTS_*` environment variables and `.reports/reports.env`."""

    model_config = SettingsConfigDict(
        env_prefix="REPORTS_",
        env_file=STATE_DIR / "reports.env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    environment: Literal["dev", "test", "production"] = "dev"
    database_url: str = Field(
        default=f"sqlite:///{STATE_DIR / 'reports.db'}",
        description="SQLAlchemy URL of the application database (Postgres in production).",
    )
    dagster_database_url: str | None = Field(
        default=None,
        description="Postgres URL of Dagster's storage; SQLite under DAGSTER_HOME if unset.",
    )
    warehouse_path: Path = STATE_DIR / "warehouse.duckdb"
    artifact_dir: Path = STATE_DIR / "artifacts"
    dagster_home: Path = STATE_DIR / "dagster"
    dagster_host: str = "127.0.0.1"
    dagster_port: int = 3000
    dagster_code_server_port: int = 4266
    dagster_location_name: str = "reports_pipeline"
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Base URL clients use to reach the API; prefixes signed download links.",
    )
    signing_key: SecretStr = SecretStr(DEV_SIGNING_KEY)
    retention_days: int = Field(
        default=30, gt=0, le=3650, description="Days a run and its artifacts are kept."
    )
    rate_limit_requests_per_minute: int = Field(
        default=600, ge=0, description="API requests per organisation and minute; 0 disables."
    )
    rate_limit_runs_per_minute: int = Field(
        default=60, ge=0, description="Run launches per organisation and minute; 0 disables."
    )
    signed_url_default_ttl_seconds: int = Field(default=3600, gt=0)
    signed_url_max_ttl_seconds: int = Field(
        default=7 * 24 * 3600,
        gt=0,
        description="Maximum lifetime of a signed download URL, in seconds.",
    )
    run_wait_seconds: float = Field(
        default=120.0,
        gt=0,
        description="Seconds POST /v1/reports/runs waits for a run before responding 202.",
    )
    run_poll_interval_seconds: float = Field(
        default=0.02, gt=0, description="Interval between two reads of a running run's record."
    )
    encryption_key: SecretStr = Field(
        default=SecretStr(DEV_ENCRYPTION_KEY),
        description="Key that encrypts channel secrets at rest (any string of 32+ characters).",
    )
    encryption_previous_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="Earlier encryption keys, comma-separated, still accepted for decryption.",
    )
    egress_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "Hosts, comma-separated, that webhooks and logo fetches may reach over http or at "
            "private addresses; every other host needs https and a public address."
        ),
    )
    row_cap: int = Field(default=10_000, gt=0, le=10_000)
    preview_rows: int = Field(default=100, gt=0, le=1_000)

    # Delivery of scheduled runs over email, webhook, SFTP and S3.
    delivery_max_attempts: int = Field(
        default=5,
        ge=1,
        le=20,
        description="Maximum attempts per channel and run, the first included.",
    )
    delivery_backoff_base_seconds: float = Field(
        default=10.0,
        gt=0,
        description="Seconds before the second attempt, doubled before every further attempt.",
    )
    delivery_backoff_max_seconds: float = Field(
        default=300.0, gt=0, description="Maximum seconds between two attempts, before jitter."
    )
    delivery_retry_after_max_seconds: float = Field(
        default=600.0,
        ge=0,
        description="Maximum seconds of a Retry-After header (429 or 503) that are honoured.",
    )
    delivery_link_ttl_seconds: int = Field(
        default=7 * 24 * 3600,
        gt=0,
        description="Lifetime in seconds of the signed links in emails and webhook payloads.",
    )
    smtp_host: str | None = Field(
        default=None, description="SMTP server for email delivery; email channels fail if unset."
    )
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        default="starttls",
        description="none: plain SMTP; starttls: upgrade with STARTTLS; tls: TLS from the start.",
    )
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_sender: str = Field(
        default="reports@localhost", description="From address of delivered emails."
    )
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    email_max_attachment_bytes: int = Field(
        default=10_000_000,
        ge=0,
        description=(
            "Largest total size of the files attached to one email, before base64 encoding; "
            "larger deliveries carry signed download links instead."
        ),
    )
    webhook_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    webhook_read_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Seconds to wait for each read and write of a webhook."
    )
    sftp_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Seconds to wait for the TCP connection, the SSH handshake and each reply.",
    )
    s3_endpoint_url: str | None = Field(
        default=None,
        description="Endpoint of an S3-compatible store; AWS's regional endpoint when unset.",
    )
    s3_timeout_seconds: float = Field(default=30.0, gt=0)
    s3_multipart_threshold_bytes: int = Field(
        default=8 * 1024 * 1024,
        ge=5 * 1024 * 1024,
        description="Files of at least this size are uploaded in parts (S3's minimum is 5 MiB).",
    )
    s3_multipart_chunk_bytes: int = Field(
        default=8 * 1024 * 1024, ge=5 * 1024 * 1024, description="Size of each uploaded part."
    )

    @field_validator("database_url", "dagster_database_url")
    @classmethod
    def _use_psycopg2(cls, value: str | None) -> str | None:
        # SQLAlchemy 2.1 maps a bare postgresql:// URL to psycopg 3; the installed driver is
        # psycopg2, which dagster-postgres also needs.
        if value and value.startswith(("postgresql://", "postgres://")):
            return "postgresql+psycopg2://" + value.split("://", 1)[1]
        return value

    @field_validator("egress_allowed_hosts", "encryption_previous_keys", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @model_validator(mode="after")
    def _reject_placeholder_secrets(self) -> Settings:
        if self.environment != "production":
            return self
        for name, key, placeholder in (
            ("REPORTS_SIGNING_KEY", self.signing_key, DEV_SIGNING_KEY),
            ("REPORTS_ENCRYPTION_KEY", self.encryption_key, DEV_ENCRYPTION_KEY),
        ):
            value = key.get_secret_value()
            if value == placeholder or len(value) < 32:
                raise ValueError(
                    f"{name} must be set to a random value of at least 32 characters "
                    "when REPORTS_ENVIRONMENT=production"
                )
        return self

    @property
    def uses_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read once."""
    return Settings()
