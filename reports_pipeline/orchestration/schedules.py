"""Dagster schedules built from the schedule rows of the application database.

Every active row becomes one `ScheduleDefinition` on the report job, with the row's cron and
time zone. The code location reads the rows when it loads; the API reloads the location after
every schedule write. Each tick checks its row again, so a schedule that was disabled or
deleted, or whose saved report was deleted, stops at its next tick even before the reload.
"""

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
)
from dagster._utils.schedules import cron_string_iterator

from reports_pipeline.cron import parse_cron
from reports_pipeline.errors import ValidationError
from reports_pipeline.orchestration import tags
from reports_pipeline.orchestration.jobs import report_run_job
from reports_pipeline.settings import get_settings

logger = logging.getLogger(__name__)

SCHEDULE_NAME_PREFIX = "report_schedule_"

_CHECKED_CRON = "0 0 * * *"
"""The cron `build_schedule` gives Dagster before it sets the row's own. Dagster caches the croniter
expansions that check it."""


@dataclass(frozen=True)
class ScheduleRow:
    """The fields of a schedule row that its Dagster schedule needs."""

    id: str
    organization_id: str
    target_id: str
    cron: str
    """The normal form of the row's cron, which fires exactly as validated."""
    timezone: str


def schedule_name(schedule_id: str) -> str:
    return SCHEDULE_NAME_PREFIX + schedule_id


def fire_times(cron: str, timezone: str, after: datetime, count: int = 5) -> list[datetime]:
    """Return the next `count` times a schedule fires after `after`, as Dagster fires them.

    Dagster's own iterator is used so the times shown match the ticks, daylight-saving
    changes included: a local time that does not exist fires at the next existing time, and
    one that occurs twice fires once.
    """
    iterator = cron_string_iterator(after.timestamp(), cron, timezone)
    times: list[datetime] = []
    for moment in iterator:
        if moment.timestamp() > after.timestamp():
            times.append(moment)
        if len(times) == count:
            break
    return times


def _evaluate(row: ScheduleRow) -> "object":
    def evaluate(context: ScheduleEvaluationContext) -> Iterator[RunRequest | SkipReason]:
        from reports_pipeline.access import SCHEDULES_ENTITLEMENT
        from reports_pipeline.store.db import session_scope
        from reports_pipeline.store.models import Organization, Schedule

        scheduled_at = context.scheduled_execution_time
        if scheduled_at is None:
            yield SkipReason("no scheduled execution time; start the schedule from its cron")
            return
        with session_scope(get_settings().database_url) as session:
            schedule = session.get(Schedule, row.id)
            organization = session.get(Organization, row.organization_id)
            if schedule is None:
                yield SkipReason(f"schedule {row.id} was deleted")
                return
            if not schedule.active:
                reason = schedule.disabled_reason or "disabled"
                yield SkipReason(f"schedule {row.id} is stopped: {reason}")
                return
            if organization is None or SCHEDULES_ENTITLEMENT not in organization.entitlements:
                yield SkipReason(
                    f"organisation {row.organization_id} lacks the {SCHEDULES_ENTITLEMENT} "
                    "entitlement"
                )
                return
            report_id = schedule.report_id or schedule.saved_report_id or ""
        tick = scheduled_at.isoformat()
        yield RunRequest(
            run_key=f"{row.id}:{tick}",
            run_config={
                "ops": {"compile_report": {"config": {"schedule_id": row.id, "scheduled_at": tick}}}
            },
            tags={
                tags.ORGANIZATION: row.organization_id,
                tags.REPORT: report_id,
                tags.SCHEDULE: row.id,
                tags.TRIGGER: "schedule",
            },
        )

    return evaluate


def dagster_accepts_normal_form(cron: str) -> bool:
    """Return whether `cron` is a normal form from `parse_cron` that Dagster also accepts.

    Dagster 1.13 accepts every five-field expression that croniter parses, except one whose only
    day of month is 30 or 31 and whose only month is February. `parse_cron` rejects those too;
    the check here covers rows stored before it did.
    """
    try:
        if parse_cron(cron).key != cron:
            return False
    except ValidationError:
        return False
    _, _, days, months, _ = cron.split()
    return not (months == "2" and days in ("30", "31"))


def build_schedule(row: ScheduleRow) -> ScheduleDefinition:
    # ScheduleDefinition checks its cron in about 0.12 ms (two croniter expansions and a regex
    # pass, Dagster 1.13.27), which was 1.2 s of the 1.5 s that 10,000 schedules took to build.
    # Every process that imports the code location builds them all. parse_cron checks a
    # normal form in about 0.015 ms, so such a schedule is built with _CHECKED_CRON and then
    # given the row's cron. Any other cron goes through Dagster's check, which raises.
    # tests/reports_pipeline/test_schedule_build.py checks that both ways build equal schedules.
    checked = dagster_accepts_normal_form(row.cron)
    schedule = ScheduleDefinition(
        name=schedule_name(row.id),
        cron_schedule=_CHECKED_CRON if checked else row.cron,
        execution_timezone=row.timezone,
        job=report_run_job,
        execution_fn=_evaluate(row),  # type: ignore[arg-type]
        default_status=DefaultScheduleStatus.RUNNING,
        description=f"Schedule {row.id} of organisation {row.organization_id}: {row.target_id}",
        tags={
            tags.ORGANIZATION: row.organization_id,
            tags.SCHEDULE: row.id,
            tags.REPORT: row.target_id,
        },
    )
    if checked:
        schedule._cron_schedule = row.cron
    return schedule


def is_buildable(row: ScheduleRow) -> bool:
    """Return whether Dagster accepts the row's cron and zone, so one bad row cannot stop the
    whole code location from loading."""
    from dagster._utils.schedules import is_valid_cron_schedule

    from reports_pipeline.periods import parse_timezone

    try:
        parse_timezone(row.timezone)
    except ValidationError:
        return False
    return dagster_accepts_normal_form(row.cron) or is_valid_cron_schedule(row.cron)


def load_schedule_rows() -> list[ScheduleRow]:
    """Read every active schedule row; an application database without tables has none."""
    from sqlalchemy import inspect, select

    from reports_pipeline.store.db import get_engine, session_scope
    from reports_pipeline.store.models import Schedule

    url = get_settings().database_url
    sqlite_file = url.split(":///", 1)[1] if url.startswith("sqlite:///") else None
    if (sqlite_file is not None and not Path(sqlite_file).exists()) or not inspect(
        get_engine(url)
    ).has_table(Schedule.__tablename__):
        logger.warning(
            "the application database at %s has no schedules table; run `reports db upgrade`",
            url.split("@")[-1],
        )
        return []
    query = (
        select(
            Schedule.id,
            Schedule.organization_id,
            Schedule.target_id,
            Schedule.cron_key,
            Schedule.timezone,
        )
        .where(Schedule.enabled.is_(True), Schedule.disabled_reason.is_(None))
        .order_by(Schedule.id)
    )
    with session_scope(url) as session:
        return [ScheduleRow(*values) for values in session.execute(query)]
