"""The ops of the report job: compile, execute, render (one per format) and record."""

from collections.abc import Iterator
from typing import Any

from dagster import (
    Config,
    DynamicOut,
    DynamicOutput,
    HookContext,
    In,
    MetadataValue,
    OpExecutionContext,
    Out,
    Output,
    failure_hook,
    op,
)

from reports_pipeline.orchestration import tags
from reports_pipeline.orchestration.delivery import DELIVERY_OPS
from reports_pipeline.orchestration.resources import ReportsService


class ReportRunConfig(Config):
    """The run to execute: a stored run record, or the schedule tick that creates one."""

    run_id: str = ""
    """The run record of an API run, which contains the definition, parameters and formats."""
    schedule_id: str = ""
    """The schedule whose tick started this run; the op stores the run record."""
    scheduled_at: str = ""
    """The tick's time, ISO 8601 with offset; relative periods resolve at this time."""


@op(out=Out(description="The run plan: compiled query, formats and render options."))
def compile_report(
    context: OpExecutionContext, config: ReportRunConfig, reports: ReportsService
) -> Any:
    """Load (or, for a schedule tick, store) the run record and compile its query."""
    from datetime import datetime

    from reports_pipeline.pipeline import create_scheduled_run, prepare_run

    run_id = config.run_id
    if not run_id:
        if not config.schedule_id or not config.scheduled_at:
            raise ValueError("the report job needs run_id, or schedule_id and scheduled_at")
        with reports.session() as session:
            run = create_scheduled_run(
                session, config.schedule_id, datetime.fromisoformat(config.scheduled_at)
            )
            run.dagster_run_id = context.run_id
            run_id = run.id
        context.instance.add_run_tags(context.run_id, {tags.RUN: run_id})
    with reports.session() as session:
        plan = prepare_run(session, run_id, dagster_run_id=context.run_id)
    # Metadata rather than log lines: each log line is one more event-log write per run.
    context.add_output_metadata(
        {
            "sql": MetadataValue.md(f"```sql\n{plan.query.sql}\n```"),
            "organization_id": plan.organization_id,
            "report_id": plan.report_id,
            "run_id": plan.run_id,
        }
    )
    return plan


@op(
    out={
        "result": Out(description="Where the rows are stored and how many there are."),
        "formats": DynamicOut(str, description="One output per requested format."),
    }
)
def execute_query(plan: Any, reports: ReportsService) -> Any:
    """Run the compiled query on the warehouse and fan out to the requested formats."""
    from reports_pipeline.pipeline import execute_plan

    result = execute_plan(plan, reports.warehouse_path, reports.artifact_dir)
    yield Output(
        {"plan": plan, "result": result},
        "result",
        metadata={"row_count": result.row_count, "truncated": result.truncated},
    )
    for format_key in plan.formats:
        yield DynamicOutput(format_key, output_name="formats", mapping_key=format_key)


@op(ins={"executed": In(), "format_key": In(str)})
def render_artifact(
    context: OpExecutionContext, executed: dict[str, Any], format_key: str, reports: ReportsService
) -> dict[str, Any]:
    """Render one format and return the artifact's path, size and SHA-256."""
    from reports_pipeline.pipeline import render_format

    artifact = render_format(executed["plan"], executed["result"], format_key, reports.artifact_dir)
    context.add_output_metadata(
        {
            "path": artifact["path"],
            "size_bytes": artifact["size_bytes"],
            "sha256": artifact["sha256"],
        }
    )
    return artifact


@op(
    out={
        "result": Out(str, description="The run id."),
        "delivery": Out(
            str,
            is_required=False,
            description="The run id, only for a run started by a schedule. API runs do not "
            "emit it, so Dagster skips their delivery steps.",
        ),
    }
)
def record_outcome(
    executed: dict[str, Any],
    artifacts: list[dict[str, Any]],
    reports: ReportsService,
) -> Iterator[Output[str]]:
    """Store the run as ready with its artifacts and preview; emit its id for delivery."""
    from reports_pipeline.pipeline import record_ready
    from reports_pipeline.store.models import ReportRun

    run_id = str(executed["plan"].run_id)
    with reports.session() as session:
        record_ready(session, executed["plan"], executed["result"], artifacts)
        run = session.get(ReportRun, run_id)
        scheduled = run is not None and run.schedule_id is not None
    yield Output(run_id, "result", metadata={"artifacts": len(artifacts)})
    if scheduled:
        yield Output(run_id, "delivery")


@failure_hook(required_resource_keys={"reports"})
def record_failure(context: HookContext) -> None:
    """Store the failed op's error on the run record, so the API can report it."""
    from reports_pipeline.pipeline import record_failed

    dagster_run = context.instance.get_run_by_id(context.run_id)
    report_run_id = dagster_run.tags.get(tags.RUN) if dagster_run else None
    if not report_run_id:
        context.log.error("failed run carries no reports/run_id tag; nothing recorded")
        return
    if context.op.name in DELIVERY_OPS:
        # Deliveries start after the run is stored as ready. Their outcome is stored with
        # the deliveries, and the run stays ready.
        context.log.warning(f"{context.op.name} failed; run {report_run_id} stays ready")
        return
    service: ReportsService = context.resources.reports
    with service.session() as session:
        record_failed(session, report_run_id, context.op_exception, step=context.op.name)


@op
def ping() -> str:
    """Do nothing: the health-check job measures the cost of one Dagster run."""
    return "ok"


@op
def remove_expired_artifacts(context: OpExecutionContext, reports: ReportsService) -> int:
    """Delete the artifacts of runs past their retention and mark the runs expired."""
    from datetime import UTC, datetime

    from reports_pipeline.retention import expire_runs

    with reports.session() as session:
        removed = expire_runs(session, reports.artifact_dir, datetime.now(UTC))
    for run in removed:
        context.log.info(
            f"expired run {run.run_id} of org {run.organization_id}: "
            f"removed {run.files} files, {run.bytes} bytes"
        )
    context.add_output_metadata(
        {
            "runs_expired": len(removed),
            "files_removed": sum(run.files for run in removed),
            "bytes_removed": sum(run.bytes for run in removed),
        }
    )
    return len(removed)
