"""The report run's stages as plain functions, called by the Dagster ops.

Each function takes and returns plain data, so the same code runs under Dagster, in tests and
in benchmarks. The order of the stages is written once, in the report job's graph.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from reports_pipeline.catalogue.model import ReportDefinition
from reports_pipeline.compile import CompiledQuery, compile_report
from reports_pipeline.errors import CompileError, NotFound, ReportsError
from reports_pipeline.params import resolve_params
from reports_pipeline.render import CONTENT_TYPES, artifact_name, renderer_for
from reports_pipeline.render.context import ChartSpec, ColumnMeta, RenderContext
from reports_pipeline.settings import get_settings
from reports_pipeline.store import deliveries, repository
from reports_pipeline.store.models import ReportRun, Schedule

if TYPE_CHECKING:
    import pyarrow as pa

logger = logging.getLogger(__name__)

RESULT_FILE = "result.arrow"


@dataclass(frozen=True)
class RunPlan:
    """Everything the later stages need, fixed at compile time."""

    run_id: str
    organization_id: str
    report_id: str
    definition: ReportDefinition
    query: CompiledQuery
    formats: tuple[str, ...]
    render_options: dict[str, Any]

    @property
    def run_dir(self) -> Path:
        """Directory of the run's files, relative to the artifact root."""
        return Path(self.organization_id) / self.run_id


@dataclass(frozen=True)
class ExecutedResult:
    row_count: int
    truncated: bool
    result_path: str
    """Arrow IPC file of the rows, relative to the artifact root."""
    preview: dict[str, Any]
    """The first rows as JSON-ready columns and rows, stored with the run."""


def new_run(
    session: Session,
    *,
    organization_id: str,
    definition: ReportDefinition,
    report_id: str,
    formats: list[str],
    params: dict[str, Any],
    render_options: dict[str, Any],
    trigger: str,
    now: datetime,
    retention_days: int,
    saved_report_id: str | None = None,
    schedule_id: str | None = None,
) -> ReportRun:
    """Check the parameters, compile once to reject a bad request early, and store the run.

    Compiling here rejects an invalid definition or filter value before anything is launched;
    the compile op compiles again from the stored record.
    """
    resolved = resolve_params(definition, params, now=now)
    compile_report(
        definition,
        organization_id=organization_id,
        period=resolved.period,
        timezone=resolved.timezone,
        extra_filters=resolved.filters,
    )
    return repository.create_run(
        session,
        organization_id=organization_id,
        report_id=report_id,
        saved_report_id=saved_report_id,
        schedule_id=schedule_id,
        definition=definition.model_dump(mode="json"),
        trigger=trigger,
        formats=list(formats),
        params=params,
        render_options=render_options,
        timezone=resolved.timezone,
        period_start=resolved.period.start if resolved.period else None,
        period_end=resolved.period.end if resolved.period else None,
        created_at=now,
        expires_at=now + timedelta(days=retention_days),
    )


def schedule_definition(session: Session, schedule: Schedule) -> ReportDefinition:
    """Return the definition a schedule runs now: its saved report's latest version or the
    catalogue report."""
    from reports_pipeline.catalogue.loader import get_catalogue

    if schedule.saved_report_id is not None:
        saved = repository.get_saved_report(
            session, schedule.organization_id, schedule.saved_report_id
        )
        if saved is None:
            raise NotFound(f"saved report {schedule.saved_report_id} was deleted")
        return ReportDefinition.model_validate(saved.definition)
    assert schedule.report_id is not None
    definition = get_catalogue().get(schedule.report_id)
    if definition is None:
        raise NotFound(f"catalogue report {schedule.report_id} no longer exists")
    return definition


def schedule_params(definition: ReportDefinition, schedule: Schedule) -> dict[str, Any]:
    """Return the schedule's parameters, with the report's time zone set to the schedule's.

    A relative period such as `previous_week` then resolves in the zone the schedule fires in.
    """
    params = dict(schedule.params or {})
    if definition.param("timezone") is not None and "timezone" not in params:
        params["timezone"] = schedule.timezone
    return params


def create_scheduled_run(session: Session, schedule_id: str, scheduled_at: datetime) -> ReportRun:
    """Store the run a schedule tick starts, with periods resolved at the tick's time."""
    schedule = session.get(Schedule, schedule_id)
    if schedule is None:
        raise NotFound(f"schedule {schedule_id} does not exist")
    definition = schedule_definition(session, schedule)
    run = new_run(
        session,
        organization_id=schedule.organization_id,
        definition=definition,
        report_id=schedule.report_id or _base_report_id(session, schedule),
        formats=list(schedule.formats),
        params=schedule_params(definition, schedule),
        render_options=dict(schedule.render_options or {}),
        trigger="schedule",
        now=scheduled_at,
        retention_days=get_settings().retention_days,
        saved_report_id=schedule.saved_report_id,
        schedule_id=schedule.id,
    )
    logger.info(
        "schedule %s of org %s started run %s for %s",
        schedule.id,
        schedule.organization_id,
        run.id,
        scheduled_at.isoformat(),
    )
    return run


def _base_report_id(session: Session, schedule: Schedule) -> str:
    assert schedule.saved_report_id is not None
    saved = repository.get_saved_report(session, schedule.organization_id, schedule.saved_report_id)
    assert saved is not None
    return saved.base_report_id


def prepare_run(session: Session, run_id: str, *, dagster_run_id: str | None) -> RunPlan:
    """Mark the run as running and compile its query; fail closed on an unknown organisation."""
    run = repository.mark_running(session, run_id, dagster_run_id)
    organization = repository.get_organization(session, run.organization_id)
    if organization is None:
        raise CompileError(
            f"run {run_id} names organisation {run.organization_id}, which does not exist"
        )
    definition = ReportDefinition.model_validate(run.definition)
    resolved = resolve_params(definition, dict(run.params), now=run.created_at)
    query = compile_report(
        definition,
        organization_id=organization.id,
        period=resolved.period,
        timezone=resolved.timezone,
        extra_filters=resolved.filters,
        row_cap=get_settings().row_cap,
    )
    return RunPlan(
        run_id=run.id,
        organization_id=organization.id,
        report_id=run.report_id,
        definition=definition,
        query=query,
        formats=tuple(run.formats),
        # The branded PDF's cover and confidentiality footer name the organisation by default.
        render_options={"organization_name": organization.name} | dict(run.render_options or {}),
    )


def execute_plan(plan: RunPlan, warehouse: Path, artifact_root: Path) -> ExecutedResult:
    """Run the query and keep its rows as an Arrow file for the renderers."""
    from reports_pipeline.execute import run_query, write_arrow

    result = run_query(warehouse, plan.query)
    relative = plan.run_dir / RESULT_FILE
    write_arrow(result.table, artifact_root / relative)
    return ExecutedResult(
        row_count=result.table.num_rows,
        truncated=result.truncated,
        result_path=str(relative),
        preview=build_preview(plan, result.table),
    )


def _render_context(plan: RunPlan, result: ExecutedResult) -> RenderContext:
    period = plan.query.period
    return RenderContext(
        run_id=plan.run_id,
        organization_id=plan.organization_id,
        report_id=plan.report_id,
        report_title=plan.definition.title,
        report_version=plan.definition.version,
        columns=tuple(
            ColumnMeta(c.name, c.label, c.type, c.unit, c.format) for c in plan.query.columns
        ),
        timezone=plan.query.timezone,
        period_start=period.start if period else None,
        period_end=period.end if period else None,
        period_label=period.label if period else None,
        truncated=result.truncated,
        generated_at=datetime.now(UTC),
        render_options=plan.render_options,
        chart_hints=tuple(
            ChartSpec(hint.type, hint.x, tuple(hint.y), hint.series, hint.title)
            for hint in plan.definition.chart_hints or ()
        ),
        description=plan.definition.description,
    )


def render_format(
    plan: RunPlan, result: ExecutedResult, format_key: str, artifact_root: Path
) -> dict[str, Any]:
    """Render one format into the run's directory; return the artifact's stored fields."""
    from reports_pipeline.execute import read_arrow

    renderer = renderer_for(format_key)
    if renderer is None:
        raise ReportsError(f"no renderer for format {format_key!r}")
    table = read_arrow(artifact_root / result.result_path)
    relative = plan.run_dir / artifact_name(plan.report_id, format_key)
    target = artifact_root / relative
    partial = target.with_name(target.name + ".partial")
    renderer(table, _render_context(plan, result), partial)
    partial.replace(target)
    return {
        "format": format_key,
        "path": str(relative),
        "content_type": CONTENT_TYPES[format_key],
        "size_bytes": target.stat().st_size,
        "sha256": _sha256(target),
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build_preview(plan: RunPlan, table: pa.Table) -> dict[str, Any]:
    """Return the first rows of the result as JSON-ready columns and rows."""
    from reports_pipeline.render.values import json_rows

    limit = get_settings().preview_rows
    # The preview is for display, so decimals become floats; the JSON artifact keeps every digit.
    rows, _ = json_rows(table, plan.query.timezone, limit=limit, exact_decimals=False)
    return {
        "columns": [c.name for c in plan.query.columns],
        "rows": rows,
        "preview_truncated": table.num_rows > limit,
    }


def record_ready(
    session: Session,
    plan: RunPlan,
    result: ExecutedResult,
    artifacts: list[dict[str, Any]],
) -> None:
    repository.record_success(
        session,
        plan.run_id,
        row_count=result.row_count,
        truncated=result.truncated,
        preview=result.preview,
        artifacts=sorted(artifacts, key=lambda a: plan.formats.index(a["format"])),
    )


def record_failed(session: Session, run_id: str, error: BaseException | None, *, step: str) -> None:
    """Store a failed step's error on the run; internal errors keep their detail in the logs."""
    if isinstance(error, ReportsError) and error.status < 500:
        code, message = error.code, error.message
    elif isinstance(error, ReportsError):
        code, message = "run_failed", f"{step} failed: {error.message}"
    else:
        code = "run_failed"
        message = f"{step} failed: {type(error).__name__ if error else 'unknown error'}"
    logger.error("run %s failed in %s: %s", run_id, step, error, exc_info=error)
    repository.record_failure(session, run_id, code=code, message=message)


@dataclass(frozen=True)
class EndedRun:
    """Changes made by `record_ended`: whether it failed the run, and the attempts it closed."""

    failed_run: bool
    closed_attempts: int


def record_ended(session: Session, run_id: str, dagster_status: str) -> EndedRun:
    """Close the record of a run whose Dagster run ended (FAILURE or CANCELED) without its ops
    storing an outcome, for example because its worker process was killed.

    A run not yet ready or failed is failed, and every delivery still pending, sending or
    retrying is failed. Records that are already final are left as they are.
    """
    ended = f"the Dagster run ended with status {dagster_status}"
    run = session.get(ReportRun, run_id)
    if run is None:
        return EndedRun(failed_run=False, closed_attempts=0)
    open_run = run.status not in ("ready", "failed")
    repository.record_failure(
        session, run_id, code="run_failed", message=f"{ended} before the report was stored"
    )
    closed = deliveries.close_unfinished_attempts(session, run_id, ended)
    return EndedRun(failed_run=open_run, closed_attempts=closed)
