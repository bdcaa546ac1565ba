"""The Dagster code location: every job, resource and schedule of the Reports service."""

from __future__ import annotations

from dagster import DefaultScheduleStatus, Definitions, ScheduleDefinition, mem_io_manager

from reports_pipeline.orchestration.jobs import health_check_job, report_run_job, retention_job
from reports_pipeline.orchestration.resources import ReportsService
from reports_pipeline.orchestration.schedules import tenant_schedules

retention_schedule = ScheduleDefinition(
    name="artifact_retention_hourly",
    job=retention_job,
    cron_schedule="17 * * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every hour, remove the artifacts of runs past their retention period.",
)

defs = Definitions(
    jobs=[report_run_job, health_check_job, retention_job],
    # One schedule per active schedule row, read from the application database at load time.
    schedules=[retention_schedule, *tenant_schedules()],
    # Every job runs its ops in one process and passes small values (the plan, paths,
    # artifact fields), so outputs stay in memory. Result rows go through an Arrow file.
    resources={"reports": ReportsService(), "io_manager": mem_io_manager},
)
