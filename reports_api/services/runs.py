"""Starting runs through Dagster, waiting for them, and shaping their records for clients."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from reports_api.deps import Principal
from reports_api.launcher import TERMINAL_STATUSES, DagsterLauncher
from reports_api.schemas import (
    ArtifactPublic,
    DeliveryAttemptPublic,
    DeliveryPublic,
    RenderOptions,
    ResultPreview,
    RunCreate,
    RunError,
    RunPublic,
    RunResult,
)
from reports_pipeline import ids
from reports_pipeline.access import BRANDED_PDF_ENTITLEMENT, BUILDER_ENTITLEMENT
from reports_pipeline.catalogue.loader import get_catalogue
from reports_pipeline.catalogue.model import ReportDefinition
from reports_pipeline.egress import EgressPolicy
from reports_pipeline.errors import (
    NotFound,
    ResourceGone,
    ServiceUnavailable,
    ValidationError,
    error_from_code,
)
from reports_pipeline.pipeline import new_run
from reports_pipeline.render import AVAILABLE_FORMATS
from reports_pipeline.settings import Settings
from reports_pipeline.store import repository
from reports_pipeline.store.db import session_scope
from reports_pipeline.store.models import DeliveryAttempt, ReportRun

logger = logging.getLogger(__name__)

DAGSTER_CHECK_EVERY = 10
"""Polls of the run record between two status reads from Dagster."""


def find_definition(
    session: Session, principal: Principal, request: RunCreate
) -> tuple[ReportDefinition, str]:
    """Return the definition to run and its catalogue report id.

    Another organisation's saved report is not found, like a missing one.
    """
    if request.saved_report_id is not None:
        saved = (
            repository.get_saved_report(session, principal.organization_id, request.saved_report_id)
            if ids.has_prefix(request.saved_report_id, ids.SAVED_REPORT)
            else None
        )
        if saved is None:
            raise NotFound(f"saved report {request.saved_report_id} not found")
        principal.require_entitlement(BUILDER_ENTITLEMENT)
        definition = ReportDefinition.model_validate(saved.definition)
        if definition.entitlement_key:
            principal.require_entitlement(definition.entitlement_key)
        return definition, saved.base_report_id
    assert request.report_id is not None
    catalogue_definition = get_catalogue().get(request.report_id)
    if catalogue_definition is None:
        raise NotFound(
            f"catalogue report {request.report_id} not found; GET /v1/reports/catalog lists them"
        )
    if catalogue_definition.entitlement_key:
        principal.require_entitlement(catalogue_definition.entitlement_key)
    return catalogue_definition, catalogue_definition.id


def check_formats(principal: Principal, formats: Sequence[str]) -> None:
    """Check the branded-PDF entitlement and that this server renders every format."""
    if "pdf_branded" in formats:
        principal.require_entitlement(BRANDED_PDF_ENTITLEMENT)
    unavailable = [f for f in formats if f not in AVAILABLE_FORMATS]
    if unavailable:
        raise ValidationError(
            f"format {unavailable[0]!r} cannot be rendered by this server yet; "
            f"available formats: {', '.join(AVAILABLE_FORMATS)}",
            details=[
                {"field": "formats", "value": unavailable[0], "allowed": list(AVAILABLE_FORMATS)}
            ],
        )


def check_render_options(settings: Settings, options: RenderOptions | None) -> dict[str, Any]:
    """Check the logo URL against the egress policy and return the options to store."""
    if options is None:
        return {}
    if options.logo_url is not None:
        try:
            EgressPolicy.from_settings(settings).check_url(options.logo_url)
        except ValidationError as exc:
            raise ValidationError(
                f"render_options.logo_url: {exc.message}",
                details=[{"field": "render_options.logo_url", "message": exc.message}],
            ) from exc
    return options.model_dump(exclude_none=True)


def start_run(
    session: Session,
    settings: Settings,
    principal: Principal,
    request: RunCreate,
    launcher: DagsterLauncher,
    *,
    trigger: str = "api",
) -> ReportRun:
    """Validate the request, store the run as queued and launch it in Dagster."""
    definition, report_id = find_definition(session, principal, request)
    check_formats(principal, request.formats)

    run = new_run(
        session,
        organization_id=principal.organization_id,
        definition=definition,
        report_id=report_id,
        formats=list(request.formats),
        params=request.params,
        render_options=check_render_options(settings, request.render_options),
        trigger=trigger,
        now=datetime.now(UTC),
        retention_days=settings.retention_days,
        saved_report_id=request.saved_report_id,
    )
    session.commit()

    try:
        dagster_run_id = launcher.launch_report(run.id, run.organization_id, run.report_id, trigger)
    except ServiceUnavailable as exc:
        repository.record_failure(session, run.id, code=exc.code, message=exc.message)
        session.commit()
        raise
    run.dagster_run_id = dagster_run_id
    session.commit()
    logger.info(
        "launched run %s (%s) for org %s as Dagster run %s",
        run.id,
        run.report_id,
        run.organization_id,
        dagster_run_id,
    )
    return run


def wait_for_run(settings: Settings, launcher: DagsterLauncher, run: ReportRun) -> ReportRun:
    """Poll until the run is ready or failed, or until the configured wait has passed."""
    deadline = time.monotonic() + settings.run_wait_seconds
    polls = 0
    while True:
        with session_scope(settings.database_url) as session:
            current = repository.get_run(session, run.organization_id, run.id)
            assert current is not None
            if current.status in ("ready", "failed"):
                return current
            polls += 1
            if polls % DAGSTER_CHECK_EVERY == 0 and current.dagster_run_id:
                status = launcher.status(current.dagster_run_id)
                if status in TERMINAL_STATUSES:
                    session.refresh(current)
                    if current.status not in ("ready", "failed"):
                        # The run ended without reaching the record or failure step, for
                        # example when its worker process died.
                        repository.record_failure(
                            session,
                            current.id,
                            code="run_failed",
                            message=f"the Dagster run ended with status {status}",
                        )
                    return current
        if time.monotonic() >= deadline:
            return current
        time.sleep(settings.run_poll_interval_seconds)


def raise_if_failed(run: ReportRun) -> None:
    if run.status == "failed":
        raise error_from_code(
            run.error_code,
            run.error_message or "the run failed",
            details={"run_id": run.id},
        )


def check_not_expired(run: ReportRun) -> None:
    if run.status == "expired" or (
        run.expires_at is not None and run.expires_at <= datetime.now(UTC)
    ):
        raise ResourceGone(f"run {run.id} has expired and its artifacts were removed")


def to_public(run: ReportRun) -> RunPublic:
    error = (
        RunError(code=run.error_code, message=run.error_message or "") if run.error_code else None
    )
    return RunPublic(
        run_id=run.id,
        organization_id=run.organization_id,
        report_id=run.report_id,
        saved_report_id=run.saved_report_id,
        schedule_id=run.schedule_id,
        status=run.status,
        trigger=run.trigger,
        formats=list(run.formats),
        params=dict(run.params),
        timezone=run.timezone,
        period_start=run.period_start,
        period_end=run.period_end,
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        row_count=run.row_count,
        truncated=run.truncated,
        error=error,
        dagster_run_id=run.dagster_run_id,
        delivery_status=delivery_status(run),
        deliveries=deliveries_public(run),
    )


def delivery_status(run: ReportRun) -> str:
    """Return the stored delivery status, or what it will be before deliveries are planned."""
    if run.delivery_status is not None:
        return run.delivery_status
    if run.schedule_id is not None and run.status in ("queued", "running", "ready"):
        return "pending"
    return "none"


def deliveries_public(run: ReportRun) -> list[DeliveryPublic]:
    """Group the run's attempts by channel, whose status is the outcome of its last attempt."""
    by_channel: dict[int, list[DeliveryAttempt]] = {}
    for attempt in run.delivery_attempts:
        by_channel.setdefault(attempt.channel_index, []).append(attempt)
    result = []
    for index, attempts in sorted(by_channel.items()):
        attempts.sort(key=lambda a: a.attempt)
        last = attempts[-1]
        result.append(
            DeliveryPublic(
                channel_index=index,
                channel_type=last.channel_type,
                target=last.target,
                delivery_id=last.delivery_id,
                status=last.status if last.status in ("delivered", "failed") else "pending",
                attempts=[
                    DeliveryAttemptPublic(
                        attempt=a.attempt,
                        status=a.status,
                        started_at=a.started_at,
                        finished_at=a.finished_at,
                        error=a.error_message,
                        http_status=a.http_status,
                        remote_detail=a.remote_detail,
                    )
                    for a in attempts
                ],
            )
        )
    return result


def to_result(run: ReportRun) -> RunResult:
    preview = ResultPreview(**run.preview) if run.preview else None
    artifacts = [
        ArtifactPublic(
            format=a.format,
            url=f"/v1/reports/runs/{run.id}/artifacts/{a.format}",
            size_bytes=a.size_bytes,
            sha256=a.sha256,
            content_type=a.content_type,
        )
        for a in run.artifacts
    ]
    return RunResult(run=to_public(run), result_preview=preview, artifacts=artifacts)


def artifact_file(settings: Settings, run: ReportRun, format_key: str) -> tuple[Path, str]:
    """Return the stored file of one format and its content type, or raise NotFound."""
    artifact = next((a for a in run.artifacts if a.format == format_key), None)
    if artifact is None:
        raise NotFound(f"run {run.id} has no {format_key} artifact")
    root = settings.artifact_dir.resolve()
    path = (root / artifact.path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise NotFound(f"run {run.id} has no {format_key} artifact")
    return path, artifact.content_type


def query_params(definition: ReportDefinition, raw: dict[str, str | list[str]]) -> dict[str, Any]:
    """Type query-string parameters by the definition's parameter specs."""
    params: dict[str, Any] = {}
    for name, value in raw.items():
        spec = definition.param(name)
        values = value if isinstance(value, list) else [value]
        if len(values) > 1 and (spec is None or not spec.multiple):
            raise ValidationError(
                f"params.{name} takes one value, and the query string gives it {len(values)}",
                details=[{"field": f"params.{name}", "value": values}],
            )
        if spec is None:
            params[name] = values[0]
            continue
        if spec.multiple:
            items = [item for v in values for item in v.split(",") if item]
            params[name] = [_typed(spec.type, name, item) for item in items]
        else:
            params[name] = _typed(spec.type, name, values[-1])
    return params


def _typed(kind: str, name: str, text: str) -> Any:
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
    except ValueError as exc:
        raise ValidationError(
            f"params.{name}: {text!r} is not a valid {kind}",
            details=[{"field": name, "value": text}],
        ) from exc
    if kind == "boolean":
        if text.lower() not in ("true", "false"):
            raise ValidationError(
                f"params.{name}: {text!r} is not true or false",
                details=[{"field": name, "value": text}],
            )
        return text.lower() == "true"
    return text
