"""SQLAlchemy tables of the application database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware, SQLite included."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self,
        value: datetime | None,
        dialect: Dialect,  # noqa: ARG002 - fixed by SQLAlchemy's signature
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(
        self,
        value: datetime | None,
        dialect: Dialect,  # noqa: ARG002 - fixed by SQLAlchemy's signature
    ) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    entitlements: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Credential(Base):
    """An API key or session token. Only the SHA-256 of the secret is stored."""

    __tablename__ = "credentials"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_prefix: Mapped[str] = mapped_column(String(16))
    permissions: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)

    organization: Mapped[Organization] = relationship(lazy="joined")


class ReportRun(Base):
    """One execution of a report, from request to outcome."""

    __tablename__ = "report_runs"
    __table_args__ = (Index("ix_report_runs_org_id", "organization_id", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    report_id: Mapped[str] = mapped_column(String(120))
    saved_report_id: Mapped[str | None] = mapped_column(String(40), default=None)
    schedule_id: Mapped[str | None] = mapped_column(String(40), default=None)
    definition: Mapped[dict[str, Any]] = mapped_column()
    """The report definition as it was when the run was requested."""
    trigger: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    formats: Mapped[list[Any]] = mapped_column()
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    render_options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    period_start: Mapped[datetime | None] = mapped_column(default=None)
    period_end: Mapped[datetime | None] = mapped_column(default=None)
    row_count: Mapped[int | None] = mapped_column(Integer, default=None)
    truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    preview: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    error_code: Mapped[str | None] = mapped_column(String(60), default=None)
    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    dagster_run_id: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    delivery_status: Mapped[str | None] = mapped_column(String(20), default=None)
    """Outcome of the deliveries (none, pending, delivered, partial or failed), set once they
    are planned; None before that and for runs without a schedule."""

    artifacts: Mapped[list[RunArtifact]] = relationship(
        back_populates="run",
        order_by="RunArtifact.id",
        lazy="selectin",
        cascade="all, delete-orphan",
    )
    delivery_attempts: Mapped[list[DeliveryAttempt]] = relationship(
        order_by="(DeliveryAttempt.channel_index, DeliveryAttempt.attempt)",
        lazy="selectin",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class RunArtifact(Base):
    """A rendered file of a run, stored under the artifact directory."""

    __tablename__ = "run_artifacts"
    __table_args__ = (
        UniqueConstraint("run_id", "format"),
        Index("ix_run_artifacts_path", "path", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("report_runs.id", ondelete="CASCADE"))
    format: Mapped[str] = mapped_column(String(20))
    path: Mapped[str] = mapped_column(String(500))
    """Path relative to the artifact directory: `<org id>/<run id>/<file>`."""
    content_type: Mapped[str] = mapped_column(String(120))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    run: Mapped[ReportRun] = relationship(back_populates="artifacts")


class RateLimitWindow(Base):
    """Requests one organisation made in one minute, per budget (`api` or `runs`)."""

    __tablename__ = "rate_limit_windows"

    organization_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    budget: Mapped[str] = mapped_column(String(20), primary_key=True)
    window_start: Mapped[int] = mapped_column(Integer, primary_key=True)
    """Unix time of the window's first second; windows are 60 s long."""
    count: Mapped[int] = mapped_column(Integer, default=0)


class SavedReport(Base):
    """A tenant's report definition derived from a catalogue report."""

    __tablename__ = "saved_reports"
    __table_args__ = (Index("ix_saved_reports_org_id", "organization_id", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    base_report_id: Mapped[str] = mapped_column(String(120))
    overrides: Mapped[dict[str, Any]] = mapped_column()
    """The fields the tenant set, as submitted after validation."""
    definition: Mapped[dict[str, Any]] = mapped_column()
    """The complete definition the runs use: the base report with the overrides applied."""
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Schedule(Base):
    """A cron schedule that runs a catalogue or saved report and delivers it over channels."""

    __tablename__ = "schedules"
    __table_args__ = (
        Index("ix_schedules_org_id", "organization_id", "id"),
        Index("ix_schedules_saved_report", "saved_report_id"),
        # Equivalent crons in one zone on one definition collide; cron_key is the normal form.
        UniqueConstraint(
            "organization_id", "target_id", "timezone", "cron_key", name="uq_schedules_cron"
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    report_id: Mapped[str | None] = mapped_column(String(120), default=None)
    saved_report_id: Mapped[str | None] = mapped_column(String(40), default=None)
    target_id: Mapped[str] = mapped_column(String(120))
    """The report id or saved report id, whichever the schedule points at."""
    name: Mapped[str | None] = mapped_column(String(200), default=None)
    cron: Mapped[str] = mapped_column(String(120))
    cron_key: Mapped[str] = mapped_column(String(400))
    timezone: Mapped[str] = mapped_column(String(64))
    formats: Mapped[list[Any]] = mapped_column()
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    render_options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    channels: Mapped[list[Any]] = mapped_column()
    """The channels without their secret values, which are in `channel_secrets`."""
    channel_secrets: Mapped[str] = mapped_column(Text)
    """The channels' secret values, encrypted with the service's encryption key."""
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(60), default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def active(self) -> bool:
        """Whether the schedule fires: enabled and not stopped by a deleted saved report."""
        return self.enabled and self.disabled_reason is None


class DeliveryAttempt(Base):
    """One attempt to deliver a run's artifacts over one channel of its schedule.

    The first attempt of every channel is stored as `pending` when deliveries are planned.
    An attempt then moves to `sending` and ends `delivered`, `retrying` (another attempt
    follows) or `failed` (the channel's last attempt). No column contains a secret: the target
    is the channel's secret-free description, and error messages have secret values masked.
    """

    __tablename__ = "delivery_attempts"
    __table_args__ = (
        UniqueConstraint("run_id", "channel_index", "attempt"),
        Index("ix_delivery_attempts_schedule", "schedule_id", "run_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("report_runs.id", ondelete="CASCADE"))
    schedule_id: Mapped[str | None] = mapped_column(String(40), default=None)
    channel_index: Mapped[int] = mapped_column(Integer)
    channel_type: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(String(500))
    delivery_id: Mapped[str] = mapped_column(String(40))
    """Same for every attempt of one channel and run; webhooks send it as X-Trinitite-Delivery."""
    attempt: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    http_status: Mapped[int | None] = mapped_column(Integer, default=None)
    remote_detail: Mapped[str | None] = mapped_column(String(1000), default=None)
    """The remote side's report: object keys, remote path, SMTP reply or response body."""
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
