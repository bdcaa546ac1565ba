"""The Dagster code location: every job, resource and schedule of the Reports service."""

from __future__ import annotations

from dagster import Definitions, mem_io_manager

from reports_pipeline.orchestration.jobs import health_check_job, report_run_job
from reports_pipeline.orchestration.resources import ReportsService

defs = Definitions(
    jobs=[report_run_job, health_check_job],
    # Every job runs its ops in one process and passes small values (the plan, paths,
    # artifact fields), so outputs stay in memory; result rows go through an Arrow file.
    resources={"reports": ReportsService(), "io_manager": mem_io_manager},
)
