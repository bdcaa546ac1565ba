"""The Dagster code location: every job, resource and schedule of the Reports service."""

from __future__ import annotations

from dagster import Definitions

from reports_pipeline.orchestration.jobs import health_check_job, report_run_job
from reports_pipeline.orchestration.resources import ReportsService

defs = Definitions(
    jobs=[report_run_job, health_check_job],
    resources={"reports": ReportsService()},
)
