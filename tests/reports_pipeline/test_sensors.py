"""Closing a report run whose Dagster run ended without storing its outcome: the record and its
unfinished deliveries fail, final records stay, and the sensors react to Dagster's own events."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from dagster import DagsterInstance, build_sensor_context, instance_for_test
from dagster_graphql import DagsterGraphQLClient

from reports_api.launcher import DagsterLauncher
from reports_pipeline.crypto import SecretBox
from reports_pipeline.definitions import defs
from reports_pipeline.delivery.model import parse_channels
from reports_pipeline.orchestration import tags
from reports_pipeline.pipeline import create_scheduled_run, record_ended
from reports_pipeline.settings import Settings, get_settings
from reports_pipeline.stack import process_env
from reports_pipeline.store import deliveries, repository
from reports_pipeline.store.db import session_scope
from reports_pipeline.store.models import DeliveryAttempt, ReportRun
from tests.conftest import Tenant

CRONS = (f"{minute} 6 * * *" for minute in itertools.count())
"""A distinct cron per schedule, because equal schedules of one organisation conflict."""


def _scheduled_run(settings: Settings, tenant: Tenant, channel_count: int) -> str:
    channels = parse_channels(
        [
            {"type": "s3", "bucket": f"bucket-{index}", "prefix": "daily/", "region": "us-east-1"}
            for index in range(channel_count)
        ]
    )
    cron = next(CRONS)
    with session_scope(settings.database_url) as session:
        schedule = repository.create_schedule(
            session,
            SecretBox.from_settings(settings),
            organization_id=tenant.organization_id,
            report_id="ciso.alerts_by_severity",
            target_id="ciso.alerts_by_severity",
            cron=cron,
            cron_key=cron,
            timezone="UTC",
            formats=["json"],
            params={"period": "previous_week"},
            render_options={},
            enabled=True,
            channels=channels,
        )
        run = create_scheduled_run(session, schedule.id, datetime(2027, 1, 4, 6, tzinfo=UTC))
        for index, channel in enumerate(channels):
            deliveries.add_planned_attempt(
                session,
                run,
                channel_index=index,
                channel_type=channel.type,
                target=f"s3://bucket-{index}/daily/",
                delivery_id=f"dlv_{run.id}_{index}",
            )
        run.delivery_status = "pending"
        return run.id


def _finish(session: Any, run_id: str, index: int, number: int, status: str, error: str) -> None:
    started = datetime.now(UTC)
    deliveries.start_attempt(session, run_id=run_id, channel_index=index, number=number)
    deliveries.finish_attempt(
        session,
        run_id=run_id,
        channel_index=index,
        number=number,
        status=status,
        error_message=error or None,
        http_status=None,
        remote_detail=None,
        started_at=started,
        finished_at=datetime.now(UTC),
    )


def _last_attempts(settings: Settings, run_id: str) -> dict[int, DeliveryAttempt]:
    with session_scope(settings.database_url) as session:
        run = session.get(ReportRun, run_id)
        assert run is not None
        last: dict[int, DeliveryAttempt] = {}
        for attempt in sorted(run.delivery_attempts, key=lambda a: (a.channel_index, a.attempt)):
            session.expunge(attempt)
            last[attempt.channel_index] = attempt
        return last


def _run(settings: Settings, run_id: str) -> ReportRun:
    with session_scope(settings.database_url) as session:
        run = session.get(ReportRun, run_id)
        assert run is not None
        session.expunge(run)
        return run


@pytest.fixture
def mixed_run(settings: Settings, tenant_a: Tenant) -> str:
    """A queued scheduled run whose four channels are delivered, sending, retrying and pending."""
    run_id = _scheduled_run(settings, tenant_a, 4)
    with session_scope(settings.database_url) as session:
        _finish(session, run_id, 0, 1, "delivered", "")
        deliveries.start_attempt(session, run_id=run_id, channel_index=1, number=1)
        _finish(session, run_id, 2, 1, "retrying", "connect timed out")
    return run_id


def test_ended_run_fails_open_record(settings: Settings, mixed_run: str) -> None:
    with session_scope(settings.database_url) as session:
        ended = record_ended(session, mixed_run, "FAILURE")

    assert ended.failed_run
    assert ended.closed_attempts == 3
    run = _run(settings, mixed_run)
    assert run.status == "failed"
    assert run.error_code == "run_failed"
    assert run.error_message == (
        "the Dagster run ended with status FAILURE before the report was stored"
    )
    assert run.delivery_status == "partial"


def test_ended_run_closes_each_unfinished_attempt(settings: Settings, mixed_run: str) -> None:
    with session_scope(settings.database_url) as session:
        record_ended(session, mixed_run, "CANCELED")

    last = _last_attempts(settings, mixed_run)
    ended = "the Dagster run ended with status CANCELED"
    assert [last[index].status for index in range(4)] == ["delivered", "failed", "failed", "failed"]
    assert last[0].error_message is None
    assert last[1].error_message == f"{ended} during this attempt, so whether it arrived is unknown"
    assert last[2].error_message == f"connect timed out. {ended} before the next attempt"
    assert last[3].error_message == f"{ended} before this delivery started"
    assert all(last[index].finished_at is not None for index in range(4))


def test_ended_run_without_deliveries_left(settings: Settings, tenant_a: Tenant) -> None:
    run_id = _scheduled_run(settings, tenant_a, 2)
    with session_scope(settings.database_url) as session:
        _finish(session, run_id, 0, 1, "delivered", "")
        _finish(session, run_id, 1, 1, "failed", "access denied")
        deliveries.set_delivery_status(session, run_id, "partial")
        repository.record_failure(session, run_id, code="run_failed", message="compile failed")

    with session_scope(settings.database_url) as session:
        ended = record_ended(session, run_id, "FAILURE")

    assert not ended.failed_run
    assert ended.closed_attempts == 0
    run = _run(settings, run_id)
    assert run.error_message == "compile failed"
    assert run.delivery_status == "partial"
    assert _last_attempts(settings, run_id)[1].error_message == "access denied"


def test_ended_run_all_pending_fails_delivery(settings: Settings, tenant_a: Tenant) -> None:
    run_id = _scheduled_run(settings, tenant_a, 2)
    with session_scope(settings.database_url) as session:
        ended = record_ended(session, run_id, "FAILURE")

    assert ended.closed_attempts == 2
    assert _run(settings, run_id).delivery_status == "failed"


def test_ended_run_unknown_id(settings: Settings) -> None:
    with session_scope(settings.database_url) as session:
        ended = record_ended(session, "rrun_01HZX3K5Q8V2N4M6P7R9T1W3Y5", "FAILURE")

    assert not ended.failed_run
    assert ended.closed_attempts == 0


# --- The sensors in Dagster ------------------------------------------------------------------


@pytest.fixture
def instance(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[DagsterInstance]:
    """Return a Dagster instance; the sensors read the test settings from the environment, as
    they do in the code server."""
    for name, value in process_env(settings, base={}).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    with instance_for_test() as dagster_instance:
        yield dagster_instance
    get_settings.cache_clear()


def _end_dagster_run(instance: DagsterInstance, sensor_name: str, run_tags: dict[str, str]) -> None:
    """Evaluate the sensor once to set its cursor, end a tagged run, and evaluate it again."""
    sensor = defs.get_sensor_def(sensor_name)
    # Without a repository in the context, the sensor matches runs created outside one.
    first = sensor.evaluate_tick(build_sensor_context(instance=instance))
    dagster_run = instance.create_run_for_job(
        job_def=defs.get_job(tags.HEALTH_CHECK_JOB), tags=run_tags
    )
    if sensor_name == "report_run_canceled":
        instance.report_run_canceled(dagster_run)
    else:
        instance.report_run_failed(dagster_run)
    result = sensor.evaluate_tick(build_sensor_context(instance=instance, cursor=first.cursor))
    # The sensor reacts to the run; an exception in its body would be stored here.
    assert [reaction.error for reaction in result.dagster_run_reactions or []] == [None]


@pytest.mark.parametrize("sensor_name", ["report_run_failed", "report_run_canceled"])
def test_sensor_closes_tagged_run(
    settings: Settings, instance: DagsterInstance, mixed_run: str, sensor_name: str
) -> None:
    _end_dagster_run(instance, sensor_name, {tags.RUN: mixed_run})

    run = _run(settings, mixed_run)
    assert run.status == "failed"
    assert run.delivery_status == "partial"
    assert _last_attempts(settings, mixed_run)[1].status == "failed"


def test_sensor_ignores_untagged_run(
    settings: Settings, instance: DagsterInstance, mixed_run: str
) -> None:
    _end_dagster_run(instance, "report_run_failed", {})

    run = _run(settings, mixed_run)
    assert run.status == "queued"
    assert _last_attempts(settings, mixed_run)[1].status == "sending"


def test_sensors_run_by_default() -> None:
    for name in ("report_run_failed", "report_run_canceled"):
        assert defs.get_sensor_def(name).default_status.value == "RUNNING"


# --- In the real daemon ----------------------------------------------------------------------

SENSOR_TICKS = """
query SensorTicks($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    __typename
    ... on Sensor { sensorState { status ticks(limit: 1) { status } } }
  }
}
"""
SENSOR_WAIT_SECONDS = 90
"""Maximum wait for a sensor tick: the daemon evaluates each sensor at most every 15 s, later
when the two cores are busy."""

CANCEL_WAIT_SECONDS = 300
"""Maximum wait for the terminated run to be CANCELED. A run terminated while its worker starts
can stay CANCELING until run monitoring ends it: 180 s of cancel timeout plus a 30 s poll."""


def _sensor_ticked(settings: Settings, name: str) -> bool:
    selector = {
        "repositoryLocationName": settings.dagster_location_name,
        "repositoryName": "__repository__",
        "sensorName": name,
    }
    response = httpx.post(
        f"http://127.0.0.1:{settings.dagster_port}/graphql",
        json={"query": SENSOR_TICKS, "variables": {"selector": selector}},
        timeout=30,
    )
    response.raise_for_status()
    sensor = response.json()["data"]["sensorOrError"]
    assert sensor["__typename"] == "Sensor", sensor
    assert sensor["sensorState"]["status"] == "RUNNING"
    return bool(sensor["sensorState"]["ticks"])


def _wait_until(condition: Callable[[], bool], seconds: float, failure: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{failure} within {seconds} s"
        time.sleep(1)


@pytest.mark.stack
def test_daemon_closes_canceled_run(settings: Settings, stack: object, tenant_a: Tenant) -> None:
    # The sensor's first tick starts it after the events that exist then, so the run ends later.
    _wait_until(
        lambda: _sensor_ticked(settings, "report_run_canceled"),
        SENSOR_WAIT_SECONDS,
        "no first tick of report_run_canceled",
    )
    run_id = _scheduled_run(settings, tenant_a, 1)
    launcher = DagsterLauncher(settings)
    dagster_run_id = launcher.launch_report(
        run_id, tenant_a.organization_id, "ciso.alerts_by_severity", "schedule"
    )
    client = DagsterGraphQLClient("127.0.0.1", port_number=settings.dagster_port, timeout=30)
    client.terminate_run(dagster_run_id)
    _wait_until(
        lambda: launcher.status(dagster_run_id) == "CANCELED",
        CANCEL_WAIT_SECONDS,
        "the Dagster run was not canceled",
    )

    _wait_until(
        lambda: _last_attempts(settings, run_id)[0].status == "failed",
        SENSOR_WAIT_SECONDS,
        "the sensor did not close the pending delivery",
    )
    run = _run(settings, run_id)
    assert run.status == "failed"
    assert run.delivery_status == "failed"
    assert "CANCELED" in (_last_attempts(settings, run_id)[0].error_message or "")
