"""The Dagster code location: every job, resource and schedule of the Reports service."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence, Set
from typing import Any

from dagster import (
    DefaultScheduleStatus,
    JobDefinition,
    RepositoryData,
    ResourceDefinition,
    ScheduleDefinition,
    SensorDefinition,
    mem_io_manager,
    repository,
)
from dagster._core.definitions.repository_definition.repository_data import CachingRepositoryData

from reports_pipeline.orchestration.jobs import health_check_job, report_run_job, retention_job
from reports_pipeline.orchestration.resources import ReportsService
from reports_pipeline.orchestration.schedules import (
    build_schedule,
    is_buildable,
    load_schedule_rows,
    schedule_name,
)
from reports_pipeline.orchestration.sensors import SENSORS

logger = logging.getLogger(__name__)

# Every job runs its ops in one process and passes small values (the plan, paths, artifact
# fields), so outputs stay in memory. Result rows go through an Arrow file.
RESOURCES: dict[str, Any] = {
    "reports": ReportsService().get_resource_definition(),
    "io_manager": mem_io_manager,
}

retention_schedule = ScheduleDefinition(
    name="artifact_retention_hourly",
    job=retention_job,
    cron_schedule="17 * * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every hour, remove the artifacts of runs past their retention period.",
)


def _bound(job: JobDefinition) -> Callable[[], JobDefinition]:
    return lambda: job.with_top_level_resources(RESOURCES)


def fixed_contents() -> dict[str, Any]:
    """Return the jobs and the run-closing sensors, the definitions every process needs."""
    return {
        "jobs": {
            job.name: _bound(job) for job in (report_run_job, health_check_job, retention_job)
        },
        "sensors": {sensor.name: sensor for sensor in SENSORS},
    }


def repository_contents() -> dict[str, Any]:
    """Return the fixed contents, the retention schedule and one schedule per active schedule
    row.

    A repository in this dictionary form binds resources to a job only when the job is
    requested. `Definitions` binds them for every schedule's job at load, which took 2.6 s with
    10,000 schedules on a 2-core machine.
    """
    rows = load_schedule_rows()
    schedules: dict[str, Callable[[], ScheduleDefinition]] = {
        retention_schedule.name: lambda: retention_schedule
    }
    for row in rows:
        if not is_buildable(row):
            logger.error(
                "schedule %s of org %s has cron %r in %s, which Dagster rejects; it is not loaded",
                row.id,
                row.organization_id,
                row.cron,
                row.timezone,
            )
            continue
        schedules[schedule_name(row.id)] = lambda row=row: build_schedule(row)  # type: ignore[misc]
    return {**fixed_contents(), "schedules": schedules}


class ReportsRepositoryData(RepositoryData):
    """The code location's definitions, with the schedules read and built on first use.

    Dagster builds every schedule of a dictionary repository when it loads it, and every run
    worker loads the location to get its job. With 10,000 schedule rows that was a database
    read and about 2.2 s of CPU before each run's first step. A run worker requests only
    its job, so here it reads no schedule. The code server asks for all definitions when it loads
    the location, so the daemon and the UI see every schedule as before.
    """

    def __init__(self) -> None:
        self._fixed = CachingRepositoryData.from_dict(fixed_contents())
        self._complete: CachingRepositoryData | None = None

    def _with_schedules(self) -> CachingRepositoryData:
        if self._complete is None:
            self._complete = CachingRepositoryData.from_dict(repository_contents())
        return self._complete

    def get_top_level_resources(self) -> Mapping[str, ResourceDefinition]:
        return self._fixed.get_top_level_resources()

    def get_env_vars_by_top_level_resource(self) -> Mapping[str, Set[str]]:
        return self._fixed.get_env_vars_by_top_level_resource()

    def get_all_jobs(self) -> Sequence[JobDefinition]:
        return self._fixed.get_all_jobs()

    def get_job_names(self) -> Sequence[str]:
        return self._fixed.get_job_names()

    def has_job(self, job_name: str) -> bool:
        return self._fixed.has_job(job_name)

    def get_job(self, job_name: str) -> JobDefinition:
        return self._fixed.get_job(job_name)

    def get_all_sensors(self) -> Sequence[SensorDefinition]:
        return self._fixed.get_all_sensors()

    def get_all_schedules(self) -> Sequence[ScheduleDefinition]:
        return self._with_schedules().get_all_schedules()

    def get_schedule_names(self) -> Sequence[str]:
        return self._with_schedules().get_schedule_names()

    def get_schedule(self, schedule_name: str) -> ScheduleDefinition:
        return self._with_schedules().get_schedule(schedule_name)

    def has_schedule(self, schedule_name: str) -> bool:
        return self._with_schedules().has_schedule(schedule_name)


def reports_repository_data() -> RepositoryData:
    """Return the repository data the `@repository` decorator wraps.

    A function, not the class itself, because the decorator copies the attributes of what it
    wraps onto the repository, which would replace the repository's methods with the class's.
    """
    return ReportsRepositoryData()


# The decorator also takes a function returning RepositoryData, which its types leave out.
defs = repository(name="__repository__")(reports_repository_data)  # type: ignore[arg-type]
