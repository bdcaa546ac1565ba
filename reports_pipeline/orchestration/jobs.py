"""The report job, the retention job, and the one-op job that measures a bare Dagster run."""

from __future__ import annotations

from dagster import in_process_executor, job

from reports_pipeline.orchestration import tags
from reports_pipeline.orchestration.delivery import deliver, plan_deliveries, record_deliveries
from reports_pipeline.orchestration.ops import (
    compile_report,
    execute_query,
    ping,
    record_failure,
    record_outcome,
    remove_expired_artifacts,
    render_artifact,
)


@job(
    name=tags.REPORT_JOB,
    executor_def=in_process_executor,
    hooks={record_failure},
    description=(
        "Compile, execute and render one report run, record its outcome, then deliver it "
        "over each channel of its schedule."
    ),
)
def report_run_job() -> None:
    executed, formats = execute_query(compile_report())
    artifacts = formats.map(lambda format_key: render_artifact(executed, format_key))
    _, delivery = record_outcome(executed, artifacts.collect())
    run_id, channels = plan_deliveries(delivery)
    record_deliveries(run_id, channels.map(deliver).collect())


@job(
    name=tags.HEALTH_CHECK_JOB,
    executor_def=in_process_executor,
    description="One op that does nothing: checks the run launcher and sets the latency floor.",
)
def health_check_job() -> None:
    ping()


@job(
    name=tags.RETENTION_JOB,
    executor_def=in_process_executor,
    description="Delete the artifacts of runs past their retention; the API then returns 410.",
)
def retention_job() -> None:
    remove_expired_artifacts()
