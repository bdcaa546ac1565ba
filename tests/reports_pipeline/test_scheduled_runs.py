"""A schedule tick stores its run with relative periods resolved in the schedule's zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from reports_pipeline.crypto import SecretBox
from reports_pipeline.delivery.model import parse_channels
from reports_pipeline.errors import NotFound
from reports_pipeline.pipeline import create_scheduled_run
from reports_pipeline.settings import Settings
from reports_pipeline.store import repository
from reports_pipeline.store.db import session_scope
from tests.conftest import Tenant

CHANNELS = parse_channels(
    [{"type": "s3", "bucket": "acme-reports", "prefix": "weekly/", "region": "us-west-2"}]
)


def _schedule(
    settings: Settings, tenant: Tenant, timezone: str, cron: str, **fields: object
) -> str:
    with session_scope(settings.database_url) as session:
        schedule = repository.create_schedule(
            session,
            SecretBox.from_settings(settings),
            organization_id=tenant.organization_id,
            report_id=fields.pop("report_id", "ciso.alerts_by_severity"),
            target_id="ciso.alerts_by_severity",
            cron=cron,
            cron_key=cron,
            timezone=timezone,
            formats=["json"],
            params=fields.pop("params", {"period": "previous_week"}),
            render_options={},
            enabled=True,
            channels=CHANNELS,
            **fields,
        )
        return schedule.id


@pytest.mark.parametrize(
    ("timezone", "tick", "start", "end"),
    [
        # Los Angeles: the week before the tick contains the spring-forward Sunday (23 hours).
        (
            "America/Los_Angeles",
            "2026-03-09T08:00:00",
            "2026-03-02T00:00:00-08:00",
            "2026-03-08T23:59:59.999999-07:00",
        ),
        # London: the previous week ends on the autumn fall-back Sunday (25 hours).
        (
            "Europe/London",
            "2026-10-26T08:00:00",
            "2026-10-19T00:00:00+01:00",
            "2026-10-25T23:59:59.999999+00:00",
        ),
        # Sydney: clocks go forward on Sunday 4 October 2026.
        (
            "Australia/Sydney",
            "2026-10-05T08:00:00",
            "2026-09-28T00:00:00+10:00",
            "2026-10-04T23:59:59.999999+11:00",
        ),
        (
            "Asia/Kolkata",
            "2026-06-01T09:00:00",
            "2026-05-25T00:00:00+05:30",
            "2026-05-31T23:59:59.999999+05:30",
        ),
        # A Monday 01:00 tick in Tokyo is still Sunday in UTC: the week is Tokyo's.
        (
            "Asia/Tokyo",
            "2026-06-01T01:00:00",
            "2026-05-25T00:00:00+09:00",
            "2026-05-31T23:59:59.999999+09:00",
        ),
    ],
)
def test_previous_week_resolves_in_schedule_zone(
    settings: Settings, tenant_a: Tenant, timezone: str, tick: str, start: str, end: str
) -> None:
    schedule_id = _schedule(
        settings, tenant_a, timezone, f"0 {tick[11:13].lstrip('0') or '0'} * * 1"
    )
    scheduled_at = datetime.fromisoformat(tick).replace(tzinfo=ZoneInfo(timezone))
    with session_scope(settings.database_url) as session:
        run = create_scheduled_run(session, schedule_id, scheduled_at)
        assert run.trigger == "schedule"
        assert run.schedule_id == schedule_id
        assert run.timezone == timezone
        assert run.period_start is not None
        assert run.period_end is not None
        assert run.period_start == datetime.fromisoformat(start)
        assert run.period_end == datetime.fromisoformat(end)
        hours = (run.period_end.timestamp() - run.period_start.timestamp()) / 3600
    expected_hours = (
        datetime.fromisoformat(end).timestamp() - datetime.fromisoformat(start).timestamp()
    ) / 3600
    assert hours == pytest.approx(expected_hours)


def test_explicit_timezone_param_wins(settings: Settings, tenant_a: Tenant) -> None:
    schedule_id = _schedule(
        settings,
        tenant_a,
        "America/New_York",
        "0 6 * * 1",
        params={"period": "previous_day", "timezone": "UTC"},
    )
    scheduled_at = datetime(2026, 6, 1, 6, tzinfo=ZoneInfo("America/New_York"))
    with session_scope(settings.database_url) as session:
        run = create_scheduled_run(session, schedule_id, scheduled_at)
        assert run.timezone == "UTC"
        assert run.period_start == datetime.fromisoformat("2026-05-31T00:00:00+00:00")


def test_deleted_saved_report_fails_the_tick(settings: Settings, tenant_a: Tenant) -> None:
    schedule_id = _schedule(
        settings,
        tenant_a,
        "UTC",
        "0 7 * * 1",
        report_id=None,
        saved_report_id="rsav_01JF8RRSV1A2B3C4D5E6F7G8H9",
    )
    with session_scope(settings.database_url) as session, pytest.raises(NotFound, match="deleted"):
        create_scheduled_run(session, schedule_id, datetime(2026, 6, 1, 7, tzinfo=ZoneInfo("UTC")))
