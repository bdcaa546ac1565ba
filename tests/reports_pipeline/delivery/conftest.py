"""Fixtures of the delivery tests: the servers, short timeouts and backoffs, and run content."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reports_pipeline import ids
from reports_pipeline.delivery.content import ArtifactFile, DeliveryContent, delivery_file_name
from reports_pipeline.delivery.retry import AttemptResult
from reports_pipeline.render import CONTENT_TYPES
from reports_pipeline.settings import Settings
from tests.delivery_servers import (  # noqa: F401 - fixtures
    moto_server,
    sftp_server,
    silent_server,
    smtp_server,
    webhook_receiver,
)

PERIOD_START = datetime(2026, 4, 1, 7, 0, tzinfo=UTC)
PERIOD_END = datetime(2026, 5, 1, 6, 59, 59, 999999, tzinfo=UTC)
"""April 2026 in America/Los_Angeles, inclusive."""


def delivery_settings(artifact_dir: Path, **overrides: object) -> Settings:
    """Settings with backoffs of a few milliseconds.

    Timeouts stay at five seconds, because moto and the other servers share this process and
    respond slowly while the rest of the suite runs. Timeout tests set shorter ones.
    """
    values: dict[str, object] = {
        "environment": "test",
        "artifact_dir": artifact_dir,
        "public_base_url": "https://reports.example.com",
        "signing_key": "test-signing-key-0123456789abcdef0123456789",
        "egress_allowed_hosts": ["127.0.0.1"],
        "smtp_host": "127.0.0.1",
        "smtp_security": "none",
        "smtp_sender": "Trinitite Reports <reports@example.com>",
        "smtp_timeout_seconds": 5.0,
        "webhook_connect_timeout_seconds": 5.0,
        "webhook_read_timeout_seconds": 5.0,
        "sftp_timeout_seconds": 5.0,
        "s3_timeout_seconds": 5.0,
        "delivery_max_attempts": 3,
        "delivery_backoff_base_seconds": 0.01,
        "delivery_backoff_max_seconds": 0.05,
        "delivery_retry_after_max_seconds": 2.0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings_for(tmp_path: Path) -> Callable[..., Settings]:
    """Return a function that builds the test's settings, with overrides."""

    def build(**overrides: object) -> Settings:
        return delivery_settings(tmp_path / "artifacts", **overrides)

    return build


@pytest.fixture
def content_for(tmp_path: Path) -> Callable[..., DeliveryContent]:
    """Return a function that writes artifacts and describes them as a run's content."""

    def build(files: dict[str, bytes], **options: Any) -> DeliveryContent:
        return write_content(tmp_path / "artifacts", files, **options)

    return build


def write_content(
    artifact_dir: Path,
    files: dict[str, bytes],
    *,
    title: str = "Alerts by severity",
    report_id: str = "ciso.alerts_by_severity",
    truncated: bool = False,
) -> DeliveryContent:
    """Write one file per format under `artifact_dir` and describe them as a run's content."""
    run_id = ids.new_id(ids.RUN)
    organization_id = ids.new_id(ids.ORGANIZATION)
    directory = artifact_dir / organization_id / run_id
    directory.mkdir(parents=True, exist_ok=True)
    artifacts = []
    for format_key, data in files.items():
        path = directory / f"{report_id}.{format_key}"
        path.write_bytes(data)
        artifacts.append(
            ArtifactFile(
                format=format_key,
                path=path,
                file_name=delivery_file_name(report_id, run_id, format_key),
                content_type=CONTENT_TYPES[format_key],
                size_bytes=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                url=f"https://reports.example.com/v1/reports/artifacts/local/{organization_id}/"
                f"{run_id}/{path.name}?expires=1893456000&sig={'0' * 64}",
                url_expires_at=datetime(2030, 1, 1, tzinfo=UTC),
            )
        )
    return DeliveryContent(
        run_id=run_id,
        organization_id=organization_id,
        report_id=report_id,
        saved_report_id=None,
        schedule_id=ids.new_id(ids.SCHEDULE),
        title=title,
        timezone="America/Los_Angeles",
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        row_count=5,
        truncated=truncated,
        generated_at=datetime(2026, 5, 1, 15, 0, tzinfo=UTC),
        artifacts=tuple(artifacts),
    )


class AttemptLog:
    """An AttemptObserver that keeps the attempt numbers started and the results."""

    def __init__(self) -> None:
        self.numbers: list[int] = []
        self.results: list[AttemptResult] = []

    def started(self, number: int) -> None:
        self.numbers.append(number)

    def finished(self, result: AttemptResult) -> None:
        self.results.append(result)

    @property
    def statuses(self) -> list[str]:
        return [result.status for result in self.results]


@pytest.fixture
def observer() -> AttemptLog:
    return AttemptLog()
