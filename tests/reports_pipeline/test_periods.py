"""Tests for `reports_pipeline.periods`: shorthand, named periods, explicit bounds and zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from reports_pipeline.errors import ValidationError
from reports_pipeline.periods import NAMED_PERIODS, Period, resolve_period

LOS_ANGELES = ZoneInfo("America/Los_Angeles")

# Monday 2027-05-10 03:00 UTC is Sunday 20:00 in Los Angeles and Monday 08:30 in Kolkata.
MAY_10 = datetime(2027, 5, 10, 3, 0, tzinfo=UTC)
# 2026-12-31 19:30 UTC is already 2027-01-01 01:00 in Kolkata.
NEW_YEAR_KOLKATA = datetime(2026, 12, 31, 19, 30, tzinfo=UTC)
JAN_31 = datetime(2027, 1, 31, 10, 0, tzinfo=UTC)


def resolve(
    period: str | None = None,
    *,
    start: str | None = None,
    end: str | None = None,
    timezone: str = "UTC",
    now: datetime = MAY_10,
) -> Period:
    return resolve_period(
        period=period, period_start=start, period_end=end, timezone=timezone, now=now
    )


def elapsed(start: datetime, end: datetime) -> timedelta:
    """Return the real time between two instants (Python subtracts same-zone wall clocks)."""
    return end.astimezone(UTC) - start.astimezone(UTC)


def first_detail(error: pytest.ExceptionInfo[ValidationError]) -> dict[str, object]:
    details = error.value.details
    assert isinstance(details, list)
    return details[0]


# --- shorthand --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "now", "expected_start"),
    [
        ("1h", JAN_31, datetime(2027, 1, 31, 9, 0, tzinfo=UTC)),
        ("9999h", JAN_31, JAN_31 - timedelta(hours=9999)),
        ("1d", JAN_31, datetime(2027, 1, 30, 10, 0, tzinfo=UTC)),
        ("30d", JAN_31, datetime(2027, 1, 1, 10, 0, tzinfo=UTC)),
        ("9999d", JAN_31, JAN_31 - timedelta(days=9999)),
        ("2w", JAN_31, datetime(2027, 1, 17, 10, 0, tzinfo=UTC)),
        ("1m", JAN_31, datetime(2026, 12, 31, 10, 0, tzinfo=UTC)),
        ("12m", JAN_31, datetime(2026, 1, 31, 10, 0, tzinfo=UTC)),
        # A month back from 31 March lands on the last day of February.
        ("1m", datetime(2027, 3, 31, 10, 0, tzinfo=UTC), datetime(2027, 2, 28, 10, 0, tzinfo=UTC)),
        ("1m", datetime(2028, 3, 31, 10, 0, tzinfo=UTC), datetime(2028, 2, 29, 10, 0, tzinfo=UTC)),
    ],
)
def test_shorthand_window(period: str, now: datetime, expected_start: datetime) -> None:
    resolved = resolve(period, now=now)

    assert resolved.start == expected_start
    assert resolved.end == now
    assert resolved.label == period


def test_shorthand_default_is_30d() -> None:
    resolved = resolve(None, now=JAN_31)

    assert resolved.label == "30d"
    assert resolved.start == datetime(2027, 1, 1, 10, 0, tzinfo=UTC)


def test_shorthand_days_are_elapsed_time() -> None:
    # The week before Monday 2027-03-15 08:00 in Los Angeles spans the spring-forward change,
    # so 7 elapsed days start at 07:00 local on the Monday before.
    now = datetime(2027, 3, 15, 8, 0, tzinfo=LOS_ANGELES)

    resolved = resolve("7d", timezone="America/Los_Angeles", now=now)

    assert elapsed(resolved.start, now) == timedelta(days=7)
    assert resolved.start.isoformat() == "2027-03-08T07:00:00-08:00"


def test_shorthand_months_keep_wall_clock() -> None:
    now = datetime(2027, 4, 10, 12, 0, tzinfo=LOS_ANGELES)

    resolved = resolve("1m", timezone="America/Los_Angeles", now=now)

    assert resolved.start.isoformat() == "2027-03-10T12:00:00-08:00"


@pytest.mark.parametrize(
    "period",
    # The escaped case spells 30 in Arabic-Indic digits, which the grammar does not accept.
    [
        "0d",
        "30x",
        "10000d",
        "-1d",
        "01d",
        "30D",
        "1.5d",
        "30 d",
        "d",
        "h1",
        " ",
        "\u0663\u0660d",
        "30dd",
    ],
)
def test_shorthand_invalid(period: str) -> None:
    with pytest.raises(ValidationError) as error:
        resolve(period)

    assert first_detail(error)["field"] == "period"
    assert repr(period.strip()) in error.value.message


@pytest.mark.parametrize("period", ["9999m", "9999w"])
def test_shorthand_before_1970(period: str) -> None:
    with pytest.raises(ValidationError) as error:
        resolve(period, now=JAN_31)

    assert first_detail(error)["field"] == "period"
    assert "1970" in error.value.message


# --- named periods ----------------------------------------------------------------------------

# (start, end) of each named period per zone, resolved at MAY_10.
AT_MAY_10 = {
    "UTC": {
        "previous_day": ("2027-05-09T00:00:00+00:00", "2027-05-09T23:59:59.999999+00:00"),
        "previous_week": ("2027-05-03T00:00:00+00:00", "2027-05-09T23:59:59.999999+00:00"),
        "previous_month": ("2027-04-01T00:00:00+00:00", "2027-04-30T23:59:59.999999+00:00"),
        "previous_quarter": ("2027-01-01T00:00:00+00:00", "2027-03-31T23:59:59.999999+00:00"),
        "previous_year": ("2026-01-01T00:00:00+00:00", "2026-12-31T23:59:59.999999+00:00"),
        "month_to_date": ("2027-05-01T00:00:00+00:00", "2027-05-10T03:00:00+00:00"),
        "quarter_to_date": ("2027-04-01T00:00:00+00:00", "2027-05-10T03:00:00+00:00"),
        "year_to_date": ("2027-01-01T00:00:00+00:00", "2027-05-10T03:00:00+00:00"),
    },
    # Los Angeles is still on Sunday 9 May, so its previous week is the one before.
    "America/Los_Angeles": {
        "previous_day": ("2027-05-08T00:00:00-07:00", "2027-05-08T23:59:59.999999-07:00"),
        "previous_week": ("2027-04-26T00:00:00-07:00", "2027-05-02T23:59:59.999999-07:00"),
        "previous_month": ("2027-04-01T00:00:00-07:00", "2027-04-30T23:59:59.999999-07:00"),
        "previous_quarter": ("2027-01-01T00:00:00-08:00", "2027-03-31T23:59:59.999999-07:00"),
        "previous_year": ("2026-01-01T00:00:00-08:00", "2026-12-31T23:59:59.999999-08:00"),
        "month_to_date": ("2027-05-01T00:00:00-07:00", "2027-05-09T20:00:00-07:00"),
        "quarter_to_date": ("2027-04-01T00:00:00-07:00", "2027-05-09T20:00:00-07:00"),
        "year_to_date": ("2027-01-01T00:00:00-08:00", "2027-05-09T20:00:00-07:00"),
    },
    "Asia/Kolkata": {
        "previous_day": ("2027-05-09T00:00:00+05:30", "2027-05-09T23:59:59.999999+05:30"),
        "previous_week": ("2027-05-03T00:00:00+05:30", "2027-05-09T23:59:59.999999+05:30"),
        "previous_month": ("2027-04-01T00:00:00+05:30", "2027-04-30T23:59:59.999999+05:30"),
        "previous_quarter": ("2027-01-01T00:00:00+05:30", "2027-03-31T23:59:59.999999+05:30"),
        "previous_year": ("2026-01-01T00:00:00+05:30", "2026-12-31T23:59:59.999999+05:30"),
        "month_to_date": ("2027-05-01T00:00:00+05:30", "2027-05-10T08:30:00+05:30"),
        "quarter_to_date": ("2027-04-01T00:00:00+05:30", "2027-05-10T08:30:00+05:30"),
        "year_to_date": ("2027-01-01T00:00:00+05:30", "2027-05-10T08:30:00+05:30"),
    },
}

# The same instant is New Year's Day in Kolkata and still 2026 in UTC.
AT_NEW_YEAR_KOLKATA = {
    "Asia/Kolkata": {
        "previous_day": ("2026-12-31T00:00:00+05:30", "2026-12-31T23:59:59.999999+05:30"),
        "previous_week": ("2026-12-21T00:00:00+05:30", "2026-12-27T23:59:59.999999+05:30"),
        "previous_month": ("2026-12-01T00:00:00+05:30", "2026-12-31T23:59:59.999999+05:30"),
        "previous_quarter": ("2026-10-01T00:00:00+05:30", "2026-12-31T23:59:59.999999+05:30"),
        "previous_year": ("2026-01-01T00:00:00+05:30", "2026-12-31T23:59:59.999999+05:30"),
        "month_to_date": ("2027-01-01T00:00:00+05:30", "2027-01-01T01:00:00+05:30"),
        "quarter_to_date": ("2027-01-01T00:00:00+05:30", "2027-01-01T01:00:00+05:30"),
        "year_to_date": ("2027-01-01T00:00:00+05:30", "2027-01-01T01:00:00+05:30"),
    },
    "UTC": {
        "previous_day": ("2026-12-30T00:00:00+00:00", "2026-12-30T23:59:59.999999+00:00"),
        "previous_week": ("2026-12-21T00:00:00+00:00", "2026-12-27T23:59:59.999999+00:00"),
        "previous_month": ("2026-11-01T00:00:00+00:00", "2026-11-30T23:59:59.999999+00:00"),
        "previous_quarter": ("2026-07-01T00:00:00+00:00", "2026-09-30T23:59:59.999999+00:00"),
        "previous_year": ("2025-01-01T00:00:00+00:00", "2025-12-31T23:59:59.999999+00:00"),
        "month_to_date": ("2026-12-01T00:00:00+00:00", "2026-12-31T19:30:00+00:00"),
        "quarter_to_date": ("2026-10-01T00:00:00+00:00", "2026-12-31T19:30:00+00:00"),
        "year_to_date": ("2026-01-01T00:00:00+00:00", "2026-12-31T19:30:00+00:00"),
    },
}

NAMED_CASES = [
    pytest.param(name, zone, now, start, end, id=f"{name}-{zone}-{now:%Y%m%d}")
    for now, expected in ((MAY_10, AT_MAY_10), (NEW_YEAR_KOLKATA, AT_NEW_YEAR_KOLKATA))
    for zone, periods in expected.items()
    for name, (start, end) in periods.items()
]


@pytest.mark.parametrize("periods", [*AT_MAY_10.values(), *AT_NEW_YEAR_KOLKATA.values()])
def test_named_cases_cover_every_period(periods: dict[str, tuple[str, str]]) -> None:
    assert set(periods) == set(NAMED_PERIODS)


@pytest.mark.parametrize(("name", "zone", "now", "start", "end"), NAMED_CASES)
def test_named_period(name: str, zone: str, now: datetime, start: str, end: str) -> None:
    resolved = resolve(name, timezone=zone, now=now)

    assert resolved.start.isoformat() == start
    assert resolved.end.isoformat() == end
    assert resolved.timezone == zone
    assert resolved.label == name


def test_previous_week_across_dst() -> None:
    now = datetime(2027, 3, 15, 8, 0, tzinfo=LOS_ANGELES)

    resolved = resolve("previous_week", timezone="America/Los_Angeles", now=now)

    assert resolved.start.isoformat() == "2027-03-08T00:00:00-08:00"
    assert resolved.end.isoformat() == "2027-03-14T23:59:59.999999-07:00"
    assert resolved.start.utcoffset() != resolved.end.utcoffset()
    assert elapsed(resolved.start, resolved.end) == timedelta(days=7, hours=-1, microseconds=-1)


@pytest.mark.parametrize(
    ("now", "hours"),
    [
        (datetime(2027, 3, 15, 12, 0, tzinfo=LOS_ANGELES), 23),  # 14 March springs forward
        (datetime(2027, 11, 8, 12, 0, tzinfo=LOS_ANGELES), 25),  # 7 November falls back
    ],
)
def test_previous_day_dst_length(now: datetime, hours: int) -> None:
    resolved = resolve("previous_day", timezone="America/Los_Angeles", now=now)

    assert elapsed(resolved.start, resolved.end) == timedelta(hours=hours, microseconds=-1)


def test_previous_day_skipped_midnight() -> None:
    # Chile moves its clocks from 00:00 to 01:00 on 2027-09-05, so that day starts at 01:00.
    now = datetime(2027, 9, 6, 12, 0, tzinfo=UTC)

    resolved = resolve("previous_day", timezone="America/Santiago", now=now)

    assert resolved.start.isoformat() == "2027-09-05T01:00:00-03:00"
    assert resolved.end.isoformat() == "2027-09-05T23:59:59.999999-03:00"


# --- explicit bounds --------------------------------------------------------------------------


def test_bounds_date_only_cover_whole_days() -> None:
    resolved = resolve(start="2027-01-10", end="2027-01-11", timezone="Asia/Kolkata")

    assert resolved.start.isoformat() == "2027-01-10T00:00:00+05:30"
    assert resolved.end.isoformat() == "2027-01-11T23:59:59.999999+05:30"
    assert resolved.label == "2027-01-10 to 2027-01-11"


def test_bounds_same_day() -> None:
    resolved = resolve(start="2027-01-10", end="2027-01-10", timezone="America/Los_Angeles")

    assert elapsed(resolved.start, resolved.end) == timedelta(days=1, microseconds=-1)


def test_bounds_timestamps_with_offset() -> None:
    resolved = resolve(
        start="2027-01-10T00:00:00Z", end="2027-01-11T12:00:00+01:00", timezone="Asia/Kolkata"
    )

    assert resolved.start == datetime(2027, 1, 10, 0, 0, tzinfo=UTC)
    assert resolved.end == datetime(2027, 1, 11, 11, 0, tzinfo=UTC)
    assert resolved.start.isoformat() == "2027-01-10T05:30:00+05:30"


def test_bounds_naive_timestamp_is_local() -> None:
    resolved = resolve(
        start="2027-01-10T06:00:00", end="2027-01-10T07:00:00", timezone="Asia/Kolkata"
    )

    assert resolved.start == datetime(2027, 1, 10, 0, 30, tzinfo=UTC)


def test_bounds_custom_period_accepted() -> None:
    resolved = resolve("custom", start="2027-01-10", end="2027-01-11")

    assert resolved.start == datetime(2027, 1, 10, tzinfo=UTC)


def test_bounds_start_after_end() -> None:
    with pytest.raises(ValidationError) as error:
        resolve(start="2027-02-01", end="2027-01-01")

    assert first_detail(error)["field"] == "period_start"


@pytest.mark.parametrize(
    ("start", "end", "missing"),
    [("2027-01-01", None, "period_end"), (None, "2027-01-31", "period_start")],
)
def test_bounds_only_one(start: str | None, end: str | None, missing: str) -> None:
    with pytest.raises(ValidationError) as error:
        resolve(start=start, end=end)

    assert first_detail(error)["field"] == missing
    assert missing in error.value.message


@pytest.mark.parametrize("period", ["30d", "previous_month"])
def test_bounds_with_period(period: str) -> None:
    with pytest.raises(ValidationError) as error:
        resolve(period, start="2027-01-01", end="2027-01-31")

    assert first_detail(error)["field"] == "period"


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("yesterday", "2027-01-31", "period_start"),
        ("2027-01-01", "2027-02-30", "period_end"),
        ("2027-01-01", "31/01/2027", "period_end"),
    ],
)
def test_bounds_not_iso(start: str, end: str, field: str) -> None:
    with pytest.raises(ValidationError) as error:
        resolve(start=start, end=end)

    assert first_detail(error)["field"] == field


def test_bounds_basic_date_covers_day() -> None:
    resolved = resolve(start="20270101", end="20270131")

    assert resolved.end == datetime(2027, 1, 31, 23, 59, 59, 999999, tzinfo=UTC)


# --- time zones -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus_Mons", "", "America/New York", "../../etc/passwd", "UTC+5"]
)
def test_timezone_unknown(zone: str) -> None:
    with pytest.raises(ValidationError) as error:
        resolve("30d", timezone=zone)

    assert first_detail(error)["field"] == "timezone"


@pytest.mark.parametrize("zone", ["UTC", "America/Los_Angeles", "Asia/Kolkata", "Asia/Kathmandu"])
def test_timezone_bounds_in_zone(zone: str) -> None:
    resolved = resolve("previous_day", timezone=zone)

    assert resolved.start.tzinfo == ZoneInfo(zone)
    assert resolved.end.tzinfo == ZoneInfo(zone)


def test_period_dates_are_local() -> None:
    resolved = resolve("previous_day", timezone="Asia/Kolkata", now=NEW_YEAR_KOLKATA)

    assert resolved.start_date().isoformat() == "2026-12-31"
    assert resolved.end_date().isoformat() == "2026-12-31"
