"""build_schedule's fast path builds the same schedule as the path through Dagster's cron check."""

from __future__ import annotations

from typing import Any

import pytest
from dagster import DagsterInvalidDefinitionError, ScheduleDefinition
from dagster._utils.schedules import is_valid_cron_string
from hypothesis import given, settings
from hypothesis import strategies as st

from reports_pipeline.cron import parse_cron
from reports_pipeline.errors import ValidationError
from reports_pipeline.orchestration import schedules
from reports_pipeline.orchestration.schedules import (
    ScheduleRow,
    build_schedule,
    dagster_accepts_normal_form,
)

EXPRESSIONS = [
    "0 8 * * MON",
    "*/15 * * * *",
    "0 9 * * MON-FRI",
    "0 8 1-31 * 1",
    "5/20 * * * *",
    "0 0 1 JAN-MAR *",
    "30 2 * * *",
    "0 8 1,15 * 1",
    "0 0 29 2 *",
    "0 0 30,31 2 1",
    "0 0 31 4 1",
    "59 23 31 12 SUN",
]


def _row(cron: str, timezone: str = "America/Los_Angeles") -> ScheduleRow:
    return ScheduleRow(
        id="rsch_01JF8RRSC1A2B3C4D5E6F7G8H9",
        organization_id="org_01JF8RRSC1A2B3C4D5E6F7G8H9",
        target_id="ciso.alerts_by_severity",
        cron=cron,
        timezone=timezone,
    )


def _fields(schedule: ScheduleDefinition) -> dict[str, Any]:
    """Every attribute, with the execution function reduced to its name, since each build
    creates a new closure."""
    fields = dict(vars(schedule))
    fields["_execution_fn"] = fields["_execution_fn"].__qualname__
    return fields


def _built_by_dagster(row: ScheduleRow, monkeypatch: pytest.MonkeyPatch) -> ScheduleDefinition:
    with monkeypatch.context() as patch:
        patch.setattr(schedules, "dagster_accepts_normal_form", lambda _cron: False)
        return build_schedule(row)


@pytest.mark.parametrize("expression", EXPRESSIONS)
@pytest.mark.parametrize("timezone", ["UTC", "America/Los_Angeles", "Asia/Kolkata"])
def test_fast_build_equals_dagster_build(
    expression: str, timezone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = _row(parse_cron(expression).key, timezone)
    assert dagster_accepts_normal_form(row.cron)
    fast = build_schedule(row)
    assert fast.cron_schedule == row.cron
    assert _fields(fast) == _fields(_built_by_dagster(row, monkeypatch))


@pytest.mark.parametrize("cron", ["0 0 30 2 1", "0 0 31 2 1"])
def test_february_30_raises_as_in_dagster(cron: str) -> None:
    # A day matches either day field, so these fire on Mondays, but Dagster rejects them, and
    # so does parse_cron.
    with pytest.raises(ValidationError, match="February"):
        parse_cron(cron)
    assert not dagster_accepts_normal_form(cron)
    with pytest.raises(DagsterInvalidDefinitionError, match="invalid cron schedule"):
        build_schedule(_row(cron))


@pytest.mark.parametrize("cron", ["0 8 * * MON", "*/15 * * * *", "0  8 * * *", "0 8 dow:1 * *"])
def test_other_text_goes_through_dagster_check(cron: str) -> None:
    assert not dagster_accepts_normal_form(cron)


def test_non_normal_form_keeps_its_cron() -> None:
    assert build_schedule(_row("0 8 * * MON")).cron_schedule == "0 8 * * MON"


_FIELDS = st.tuples(
    st.sampled_from(["0", "*/20", "5,35"]),
    st.sampled_from(["*", "8", "0-6"]),
    st.sampled_from(["*", "1", "28", "29", "30", "31", "30,31", "1-31", "*/2"]),
    st.sampled_from(["*", "2", "1,2", "4", "2-3", "FEB"]),
    st.sampled_from(["*", "1", "MON-FRI", "0,6", "*/2"]),
)


@settings(max_examples=150, deadline=None)
@given(fields=_FIELDS)
def test_accepts_what_dagster_accepts(fields: tuple[str, ...]) -> None:
    """For every normal form, the fast path is taken exactly when Dagster's check passes."""
    try:
        key = parse_cron(" ".join(fields)).key
    except ValidationError:
        return
    assert dagster_accepts_normal_form(key) == is_valid_cron_string(key)
