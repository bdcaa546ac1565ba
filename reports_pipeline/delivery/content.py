"""The content of a delivery: the run's facts and its artifacts with signed download links."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from reports_pipeline import signing
from reports_pipeline.render import EXTENSIONS
from reports_pipeline.settings import Settings
from reports_pipeline.store.models import ReportRun

_UNSAFE_FILE_CHARACTERS = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
MAX_TITLE_IN_FILE_NAME = 120


@dataclass(frozen=True)
class ArtifactFile:
    format: str
    path: Path
    """The stored file, absolute."""
    file_name: str
    """Name on the remote side: `<report id>-<run id>[-branded].<ext>`, unique per run."""
    content_type: str
    size_bytes: int
    sha256: str
    url: str
    """Signed download URL, valid until `url_expires_at` without credentials."""
    url_expires_at: datetime


@dataclass(frozen=True)
class DeliveryContent:
    run_id: str
    organization_id: str
    report_id: str
    saved_report_id: str | None
    schedule_id: str | None
    title: str
    timezone: str
    period_start: datetime | None
    period_end: datetime | None
    row_count: int
    truncated: bool
    generated_at: datetime
    artifacts: tuple[ArtifactFile, ...]

    @property
    def period_text(self) -> str:
        """The period in the report's time zone, as dates when it covers whole days."""
        return describe_period(self.period_start, self.period_end, self.timezone)

    @property
    def total_bytes(self) -> int:
        return sum(artifact.size_bytes for artifact in self.artifacts)

    def attachment_name(self, artifact: ArtifactFile) -> str:
        """Return a readable attachment name: the title and the last day of the period."""
        title = _UNSAFE_FILE_CHARACTERS.sub("-", self.title)
        title = " ".join(title.split())[:MAX_TITLE_IN_FILE_NAME].strip(" .-") or self.report_id
        day = (self.period_end or self.generated_at).astimezone(ZoneInfo(self.timezone))
        suffix = " (branded)" if artifact.format == "pdf_branded" else ""
        return f"{title} {day:%Y-%m-%d}{suffix}.{EXTENSIONS[artifact.format]}"


def describe_period(start: datetime | None, end: datetime | None, timezone: str) -> str:
    if start is None or end is None:
        return "all time"
    zone = ZoneInfo(timezone)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    # Periods are inclusive, so a whole-day period ends at 23:59:59.999999.
    whole_days = local_start.time() == time(0) and (
        local_end + timedelta(microseconds=1)
    ).time() == time(0)
    if not whole_days:
        return f"{local_start:%Y-%m-%d %H:%M} to {local_end:%Y-%m-%d %H:%M}"
    if local_start.date() == local_end.date():
        return f"{local_start:%Y-%m-%d}"
    return f"{local_start:%Y-%m-%d} to {local_end:%Y-%m-%d}"


def delivery_file_name(report_id: str, run_id: str, format_key: str) -> str:
    suffix = "-branded" if format_key == "pdf_branded" else ""
    return f"{report_id}-{run_id}{suffix}.{EXTENSIONS[format_key]}"


def build_content(
    run: ReportRun, settings: Settings, now: datetime | None = None
) -> DeliveryContent:
    """Collect a ready run's facts and sign a download link for each of its artifacts.

    The links live for `delivery_link_ttl_seconds`, at most the longest lifetime a signed
    URL may have, and stop working earlier if the run expires first.
    """
    now = now or datetime.now(UTC)
    ttl = min(settings.delivery_link_ttl_seconds, settings.signed_url_max_ttl_seconds)
    expires_at = now.replace(microsecond=0) + timedelta(seconds=ttl)
    key = settings.signing_key.get_secret_value().encode("utf-8")
    root = settings.artifact_dir.resolve()
    artifacts = tuple(
        ArtifactFile(
            format=artifact.format,
            path=root / artifact.path,
            file_name=delivery_file_name(run.report_id, run.id, artifact.format),
            content_type=artifact.content_type,
            size_bytes=artifact.size_bytes,
            sha256=artifact.sha256,
            url=signing.signed_url(
                settings.public_base_url, key, artifact.path, int(expires_at.timestamp())
            ),
            url_expires_at=expires_at,
        )
        for artifact in run.artifacts
    )
    render_title = (run.render_options or {}).get("title")
    return DeliveryContent(
        run_id=run.id,
        organization_id=run.organization_id,
        report_id=run.report_id,
        saved_report_id=run.saved_report_id,
        schedule_id=run.schedule_id,
        title=render_title or str(run.definition.get("title") or run.report_id),
        timezone=run.timezone,
        period_start=run.period_start,
        period_end=run.period_end,
        row_count=run.row_count or 0,
        truncated=run.truncated,
        generated_at=run.finished_at or now,
        artifacts=artifacts,
    )


def human_size(size_bytes: int) -> str:
    """Return a size in B, KB or MB (powers of 1,000), as mail clients show it."""
    if size_bytes < 1000:
        return f"{size_bytes} B"
    if size_bytes < 1_000_000:
        return f"{size_bytes / 1000:.1f} KB"
    return f"{size_bytes / 1_000_000:.1f} MB"
