"""Sensors that close a report run's record when its Dagster run ends without doing so.

A report run's ops store its outcome: the record step marks it ready, the failure hook marks
it failed, and the delivery steps finish every attempt. A worker process that is killed, or a
run canceled from the Dagster UI, runs none of them. Dagster's run monitoring ends such a run:
FAILURE for a worker that never started, CANCELED after the maximum run time set in
`dagster.yaml`. These sensors then fail the record and its unfinished deliveries, so neither the
API nor the schedule's run list shows them in progress forever.
"""

import logging

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunStatusSensorContext,
    run_failure_sensor,
    run_status_sensor,
)

from reports_pipeline.orchestration import tags
from reports_pipeline.settings import get_settings

logger = logging.getLogger(__name__)

INTERVAL_SECONDS = 15
"""Shortest time between two evaluations of each sensor by the daemon."""


def close_report_run(context: RunStatusSensorContext, dagster_status: str) -> None:
    """Close the report run that the ended Dagster run carries in its tags, if any."""
    from reports_pipeline.pipeline import record_ended
    from reports_pipeline.store.db import session_scope

    dagster_run = context.dagster_run
    report_run_id = dagster_run.tags.get(tags.RUN)
    if not report_run_id:
        # Health checks and retention runs carry no report run.
        return
    with session_scope(get_settings().database_url) as session:
        ended = record_ended(session, report_run_id, dagster_status)
    if ended.failed_run or ended.closed_attempts:
        logger.warning(
            "Dagster run %s ended with status %s: report run %s of org %s %s, "
            "%d unfinished deliveries failed",
            dagster_run.run_id,
            dagster_status,
            report_run_id,
            dagster_run.tags.get(tags.ORGANIZATION),
            "failed" if ended.failed_run else "left as stored",
            ended.closed_attempts,
        )


@run_failure_sensor(
    name="report_run_failed",
    minimum_interval_seconds=INTERVAL_SECONDS,
    default_status=DefaultSensorStatus.RUNNING,
    description="Fail the record and unfinished deliveries of a report run whose Dagster run "
    "failed without storing them, for example when its worker process was killed.",
)
def report_run_failed(context: RunFailureSensorContext) -> None:
    close_report_run(context, DagsterRunStatus.FAILURE.value)


@run_status_sensor(
    name="report_run_canceled",
    run_status=DagsterRunStatus.CANCELED,
    minimum_interval_seconds=INTERVAL_SECONDS,
    default_status=DefaultSensorStatus.RUNNING,
    description="Fail the record and unfinished deliveries of a canceled report run.",
)
def report_run_canceled(context: RunStatusSensorContext) -> None:
    close_report_run(context, DagsterRunStatus.CANCELED.value)


SENSORS = (report_run_failed, report_run_canceled)
