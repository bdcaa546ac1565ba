"""Cron validation, the normal form behind the conflict check, and fire times across DST."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports_pipeline.cron import parse_cron
from reports_pipeline.errors import ValidationError
from reports_pipeline.orchestration.schedules import fire_times


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("0 8 * * 1", "0 8 * * MON"),
        ("0 8 * * 0", "0 8 * * 7"),
        ("0 8 * * sun", "0 8 * * SUN"),
        ("*/15 * * * *", "0,15,30,45 * * * *"),
        ("0 9 * * MON-FRI", "0 9 * * 1,2,3,4,5"),
        ("0 0 1 JAN-MAR *", "0 0 1 1-3 *"),
        ("0 8 * * 0-6", "0 8 * * *"),
        ("0 8 1-31 * *", "0 8 * * *"),
        ("0 8 1-31 * 1", "0 8 * * *"),
        ("5/20 * * * *", "5,25,45 * * * *"),
        ("0  8 *  * 1", "0 8 * * 1"),
    ],
)
def test_equivalent_expressions_share_key(first: str, second: str) -> None:
    assert parse_cron(first).key == parse_cron(second).key


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("0 8 * * 1", "0 8 * * 2"),
        ("0 8 1,15 * 1", "0 8 1,15 * *"),
        ("0 8 1,15 * 1", "0 8 * * 1"),
        ("0 8 * * *", "0 20 * * *"),
    ],
)
def test_different_expressions_differ(first: str, second: str) -> None:
    assert parse_cron(first).key != parse_cron(second).key


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("", "empty"),
        ("0 8 * *", "expected 5 fields"),
        ("0 8 * * * *", "expected 5 fields"),
        ("@daily", "macros"),
        ("60 * * * *", "out of range 0-59"),
        ("0 24 * * *", "out of range 0-23"),
        ("0 0 0 * *", "out of range 1-31"),
        ("0 0 1 13 *", "out of range 1-12"),
        ("0 0 * * 8", "out of range 0-7"),
        ("0 0 * * MONDAY", "SUN-SAT"),
        ("0 0 1 FOO *", "JAN-DEC"),
        ("0 0 L * *", "not a valid day of month"),
        ("0 0 ? * *", "not a valid day of month item"),
        ("*/0 * * * *", "step 0"),
        ("10-5 * * * *", "runs backwards"),
        ("0 0 30 2 *", "never occurs"),
        ("0 0 31 4,6,9,11 *", "never occurs"),
        ("0 0 30 2 1", "February has no 30th"),
        ("0 0 31 FEB MON-FRI", "February has no 30th"),
        ("0 " * 70, "longer than"),
    ],
)
def test_invalid_expressions_name_the_problem(expression: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_cron(expression)


_WEEKDAYS = st.one_of(
    st.just("*"),
    st.integers(0, 7).map(str),
    st.tuples(st.integers(0, 3), st.integers(4, 7)).map(lambda r: f"{r[0]}-{r[1]}"),
    st.integers(1, 3).map(lambda step: f"*/{step}"),
    st.lists(st.integers(0, 6), min_size=1, max_size=3).map(lambda v: ",".join(map(str, v))),
)
_DAYS = st.sampled_from(["*", "1", "1-31", "1,15", "*/2", "10-20", "1-31/1", "*/1"])


@settings(max_examples=80, deadline=None)
@given(days=_DAYS, weekdays=_WEEKDAYS)
def test_normal_form_fires_like_the_original(days: str, weekdays: str) -> None:
    """Dagster fires the normal form at the same times as the expression it came from."""
    expression = f"0 8 {days} * {weekdays}"
    start = datetime(2026, 1, 1, tzinfo=UTC)
    key = parse_cron(expression).key
    assert fire_times(key, "UTC", start, 70) == fire_times(expression, "UTC", start, 70)


@settings(max_examples=60, deadline=None)
@given(first=st.tuples(_DAYS, _WEEKDAYS), second=st.tuples(_DAYS, _WEEKDAYS))
def test_equal_keys_mean_equal_fire_times(first: tuple[str, str], second: tuple[str, str]) -> None:
    # 800 fires span more than two years, so every day of month meets every weekday.
    start = datetime(2026, 1, 1, tzinfo=UTC)
    first_key = parse_cron(f"0 8 {first[0]} * {first[1]}").key
    second_key = parse_cron(f"0 8 {second[0]} * {second[1]}").key
    same_times = fire_times(first_key, "UTC", start, 800) == fire_times(
        second_key, "UTC", start, 800
    )
    assert (first_key == second_key) == same_times


def test_single_value_range_is_that_value() -> None:
    # croniter reads a weekday range such as 3-3 as every day; the normal form is 3.
    assert parse_cron("0 8 * * 3-3").key == "0 8 * * 3"


def test_nonexistent_local_time_fires_at_next_hour() -> None:
    # 2026-03-08: Los Angeles clocks jump from 02:00 to 03:00.
    times = fire_times("30 2 * * *", "America/Los_Angeles", datetime(2026, 3, 6, 12, tzinfo=UTC))
    assert [t.isoformat() for t in times[:3]] == [
        "2026-03-07T02:30:00-08:00",
        "2026-03-08T03:00:00-07:00",
        "2026-03-09T02:30:00-07:00",
    ]


def test_repeated_local_time_fires_once() -> None:
    # 2026-11-01: Los Angeles clocks fall back from 02:00 to 01:00, so 01:30 occurs twice.
    times = fire_times("30 1 * * *", "America/Los_Angeles", datetime(2026, 10, 30, 12, tzinfo=UTC))
    assert [t.isoformat() for t in times[:3]] == [
        "2026-10-31T01:30:00-07:00",
        "2026-11-01T01:30:00-08:00",
        "2026-11-02T01:30:00-08:00",
    ]


def test_weekly_schedule_keeps_wall_clock_across_dst() -> None:
    times = fire_times("0 8 * * MON", "America/Los_Angeles", datetime(2026, 3, 1, tzinfo=UTC))
    assert [t.isoformat() for t in times[:2]] == [
        "2026-03-02T08:00:00-08:00",
        "2026-03-09T08:00:00-07:00",
    ]
    assert times[1].timestamp() - times[0].timestamp() == 7 * 24 * 3600 - 3600


def test_half_hour_zone_fire_times() -> None:
    times = fire_times("0 9 * * *", "Asia/Kolkata", datetime(2026, 6, 1, tzinfo=UTC), 2)
    assert [t.isoformat() for t in times] == [
        "2026-06-01T09:00:00+05:30",
        "2026-06-02T09:00:00+05:30",
    ]
