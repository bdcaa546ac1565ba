"""Request and response models of the runs and artifacts surface."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from reports_pipeline.catalogue.model import ReportDefinition, ReportFilterBinding, ReportSortSpec
from reports_pipeline.semantic.model import Dimension, Metric, Source, TimeGrain

Format = Literal["json", "csv", "pdf", "pdf_branded", "xlsx"]
RunStatus = Literal["queued", "running", "ready", "failed", "expired"]

NUL_MESSAGE = "must not contain NUL characters"
TEXT_MESSAGE = "must not contain NUL characters or unpaired UTF-16 surrogates"
_INVALID_CHARACTERS = re.compile("[\x00\ud800-\udfff]")
"""NUL, and surrogate code points, which JSON text keeps only when one half of a pair is missing
(a client that cut an emoji in two), and which UTF-8 cannot encode."""


def has_invalid_text(value: Any) -> bool:
    """Return whether `value`, or a key or value nested in it, is text with a NUL character or an
    unpaired surrogate."""
    if isinstance(value, str):
        return _INVALID_CHARACTERS.search(value) is not None
    if isinstance(value, dict):
        return any(has_invalid_text(key) or has_invalid_text(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(has_invalid_text(item) for item in value)
    return False


class RequestModel(BaseModel):
    """Base of every request body: unknown fields and text that cannot be stored are rejected.

    Postgres cannot store NUL in text, UTF-8 cannot encode an unpaired surrogate, and no field of
    the API has a use for either.
    """

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _reject_invalid_text(cls, value: Any) -> Any:
        if has_invalid_text(value):
            raise ValueError(TEXT_MESSAGE)
        return value


class RenderOptions(RequestModel):
    """Branded-PDF options: cover texts, logo and brand colours (see docs/rendering.md)."""

    title: str | None = Field(
        default=None, max_length=200, description="Cover title; the report's title if omitted."
    )
    subtitle: str | None = Field(default=None, max_length=300)
    organization_name: str | None = Field(
        default=None,
        max_length=200,
        description=(
            "Shown on the cover and as 'Confidential — <name>' in every page footer; the "
            "organisation's name if omitted."
        ),
    )
    logo_url: str | None = Field(
        default=None,
        max_length=2000,
        pattern=r"(?i)^https?://",
        description=(
            "https URL of a PNG, JPEG, SVG, WebP or GIF logo of at most 1 MiB. Plain http and "
            "private addresses work only for hosts in REPORTS_EGRESS_ALLOWED_HOSTS. A logo that "
            "cannot be fetched is left out with a note; the run does not fail."
        ),
    )
    primary_color: str | None = Field(
        default=None,
        pattern=r"^#[0-9A-Fa-f]{6}$",
        examples=["#1F3A5F"],
        description="#RRGGBB of the cover band, headings and table header; default #1F3A5F.",
    )
    accent_color: str | None = Field(
        default=None,
        pattern=r"^#[0-9A-Fa-f]{6}$",
        examples=["#C8553D"],
        description="#RRGGBB of rules and the confidentiality line; default #C8553D.",
    )


class RunCreate(RequestModel):
    """A request to run one catalogue report or saved report."""

    report_id: str | None = Field(
        default=None, max_length=120, examples=["ciso.alerts_by_severity"]
    )
    saved_report_id: str | None = Field(default=None, max_length=40)
    formats: list[Format] = Field(default=["json"], min_length=1, max_length=5)
    params: dict[str, Any] = Field(default_factory=dict, examples=[{"period": "30d"}])
    render_options: RenderOptions | None = None

    @model_validator(mode="after")
    def _one_target(self) -> RunCreate:
        if (self.report_id is None) == (self.saved_report_id is None):
            raise ValueError("give exactly one of report_id and saved_report_id")
        if len(set(self.formats)) != len(self.formats):
            raise ValueError("formats must not repeat a format")
        return self


class RunError(BaseModel):
    code: str
    message: str


DeliveryStatus = Literal["none", "pending", "delivered", "partial", "failed"]


class DeliveryAttemptPublic(BaseModel):
    attempt: int
    status: Literal["pending", "sending", "delivered", "retrying", "failed"]
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    http_status: int | None = None
    remote_detail: str | None = None
    """The remote side's report: object keys, remote path, SMTP reply or response body."""


class DeliveryPublic(BaseModel):
    """The delivery of a run over one channel of its schedule, with no secret values in it."""

    channel_index: int
    channel_type: Literal["email", "webhook", "sftp", "s3"]
    target: str
    delivery_id: str
    status: Literal["pending", "delivered", "failed"]
    attempts: list[DeliveryAttemptPublic]


class RunPublic(BaseModel):
    run_id: str
    organization_id: str
    report_id: str
    saved_report_id: str | None = None
    schedule_id: str | None = None
    status: RunStatus
    trigger: Literal["api", "schedule"]
    formats: list[str]
    params: dict[str, Any]
    timezone: str
    period_start: datetime | None = None
    period_end: datetime | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    row_count: int | None = None
    truncated: bool = False
    error: RunError | None = None
    dagster_run_id: str | None = None
    delivery_status: DeliveryStatus = "none"
    """none (the run delivers nothing), pending, delivered, partial or failed."""
    deliveries: list[DeliveryPublic] = Field(default_factory=list)
    """One entry per channel of the run's schedule, with every attempt."""


class ArtifactPublic(BaseModel):
    format: str
    url: str
    size_bytes: int
    sha256: str
    content_type: str


class ResultPreview(BaseModel):
    columns: list[str]
    rows: list[list[Any]]
    preview_truncated: bool


class RunResult(BaseModel):
    """A run with its preview (first 100 rows) and downloadable artifacts."""

    run: RunPublic
    result_preview: ResultPreview | None = None
    artifacts: list[ArtifactPublic] = Field(default_factory=list)


class RunPage(BaseModel):
    items: list[RunPublic]
    next_cursor: str | None = None


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorEnvelope(BaseModel):
    error: ErrorBody


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorEnvelope} for code in (400, 401, 403, 404, 410, 422, 429)
}


class DimensionPublic(BaseModel):
    key: str
    label: str
    type: str
    description: str
    allowed_values: list[str] | None = None
    filter_ops: list[str]

    @classmethod
    def from_dimension(cls, dimension: Dimension) -> DimensionPublic:
        return cls(
            key=dimension.key,
            label=dimension.label,
            type=dimension.type.value,
            description=dimension.description,
            allowed_values=list(dimension.allowed_values) or None,
            filter_ops=[op.value for op in dimension.filter_ops],
        )


class MetricPublic(BaseModel):
    key: str
    label: str
    type: str
    aggregation: str
    description: str
    unit: str
    format: str
    numerator: str | None = None
    denominator: str | None = None
    percentile: float | None = None

    @classmethod
    def from_metric(cls, metric: Metric) -> MetricPublic:
        return cls(
            key=metric.key,
            label=metric.label,
            type=metric.type.value,
            aggregation=metric.aggregation.value,
            description=metric.description,
            unit=metric.unit,
            format=metric.format,
            numerator=metric.numerator,
            denominator=metric.denominator,
            percentile=metric.percentile,
        )


class SemanticSourcePublic(BaseModel):
    """A source's full schema: the only fields a report or saved report may reference."""

    id: str
    description: str
    organization_column: str
    time_column: str
    time_type: str
    time_grains: list[str]
    dimensions: list[DimensionPublic]
    metrics: list[MetricPublic]

    @classmethod
    def from_source(cls, source: Source) -> SemanticSourcePublic:
        return cls(
            id=source.id,
            description=source.description,
            organization_column=source.org_column,
            time_column=source.time_column,
            time_type=source.time_type.value,
            time_grains=[grain.value for grain in source.time_grains],
            dimensions=[DimensionPublic.from_dimension(d) for d in source.dimensions],
            metrics=[MetricPublic.from_metric(m) for m in source.metrics],
        )


class SemanticSourcePage(BaseModel):
    items: list[SemanticSourcePublic]


class CatalogReportPublic(ReportDefinition):
    """A catalogue report; `locked` when it needs an entitlement the organisation lacks."""

    locked: bool = False


class CatalogPage(BaseModel):
    items: list[CatalogReportPublic]
    next_cursor: str | None = None


class SignRequest(RequestModel):
    """How long the signed URL stays valid (default one hour, at most the configured maximum)."""

    ttl_seconds: int | None = Field(default=None, examples=[3600])


class SignedUrlPublic(BaseModel):
    url: str
    expires_at: datetime


class SavedReportFields(RequestModel):
    """The fields a saved report may set; every other field comes from its base report."""

    base_report_id: str = Field(max_length=120, examples=["ops.hourly_activity"])
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, min_length=1, max_length=2000)
    dimensions: list[str] | None = Field(default=None, max_length=20)
    metrics: list[str] | None = Field(default=None, min_length=1, max_length=20)
    time_grain: TimeGrain | None = None
    default_filters: list[ReportFilterBinding] | None = Field(default=None, max_length=50)
    sort: list[ReportSortSpec] | None = Field(default=None, max_length=10)
    limit: int | None = Field(default=None, ge=1, le=10_000)
    params: dict[str, Any] | None = Field(
        default=None,
        description="Values for the base report's parameters; they become the saved defaults.",
    )
    tags: list[str] | None = Field(default=None, max_length=20)


class SavedReportPublic(SavedReportFields):
    saved_report_id: str
    organization_id: str
    version: int
    definition: ReportDefinition
    """The complete definition runs use: the base report with this report's fields applied."""
    created_at: datetime
    updated_at: datetime


class SavedReportPage(BaseModel):
    items: list[SavedReportPublic]
    next_cursor: str | None = None


class ScheduleFields(RequestModel):
    """A schedule as a client writes it."""

    report_id: str | None = Field(default=None, max_length=120)
    saved_report_id: str | None = Field(default=None, max_length=40)
    name: str | None = Field(default=None, max_length=200)
    cron: str = Field(max_length=120, examples=["0 8 * * MON"])
    timezone: str = Field(max_length=64, examples=["America/Los_Angeles"])
    formats: list[Format] = Field(min_length=1, max_length=5)
    channels: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=10,
        description="One or more of email, webhook, sftp and s3 channels.",
    )
    enabled: bool = True
    params: dict[str, Any] = Field(default_factory=dict)
    render_options: RenderOptions | None = None

    @model_validator(mode="after")
    def _one_target(self) -> ScheduleFields:
        if (self.report_id is None) == (self.saved_report_id is None):
            raise ValueError("give exactly one of report_id and saved_report_id")
        if len(set(self.formats)) != len(self.formats):
            raise ValueError("formats must not repeat a format")
        return self


class SchedulePublic(BaseModel):
    schedule_id: str
    organization_id: str
    report_id: str | None = None
    saved_report_id: str | None = None
    name: str | None = None
    cron: str
    timezone: str
    formats: list[str]
    channels: list[dict[str, Any]]
    """The channels with every secret value replaced by `********`."""
    enabled: bool
    disabled_reason: str | None = None
    params: dict[str, Any]
    render_options: dict[str, Any]
    next_fire_times: list[datetime]
    """The next five times the schedule fires, in its time zone; empty while it is stopped."""
    version: int
    created_at: datetime
    updated_at: datetime


class SchedulePage(BaseModel):
    items: list[SchedulePublic]
    next_cursor: str | None = None
