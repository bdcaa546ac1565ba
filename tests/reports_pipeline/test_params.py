"""Tests for `reports_pipeline.params`: checking run parameters against a report's specs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from reports_pipeline.catalogue.model import (
    ParamFilter,
    ReportDefinition,
    ReportFilterBinding,
    ReportParamSpec,
)
from reports_pipeline.errors import ValidationError
from reports_pipeline.params import ResolvedParams, resolve_params
from reports_pipeline.semantic.model import FilterOp

NOW = datetime(2027, 5, 10, 3, 0, tzinfo=UTC)
SEVERITIES = ["critical", "high", "medium", "low", "info"]

PARAMS = [
    ReportParamSpec(name="period", type="period", default="30d"),
    ReportParamSpec(name="period_start", type="timestamp"),
    ReportParamSpec(name="period_end", type="timestamp"),
    ReportParamSpec(name="timezone", type="timezone", default="UTC"),
    ReportParamSpec(
        name="region",
        type="enum",
        allowed_values=["amer", "emea", "apac"],
        filter=ParamFilter(field="region", op=FilterOp.EQ),
    ),
    ReportParamSpec(
        name="severity",
        type="enum",
        multiple=True,
        allowed_values=SEVERITIES,
        filter=ParamFilter(field="severity", op=FilterOp.IN),
    ),
    ReportParamSpec(
        name="server", type="string", default="github-mcp", filter=ParamFilter(field="server_name")
    ),
    ReportParamSpec(name="top", type="integer", default=10, minimum=1, maximum=100),
    ReportParamSpec(name="min_score", type="number", minimum=0, maximum=1),
    ReportParamSpec(name="blocked_only", type="boolean", default=False),
]

DEFINITION = ReportDefinition(
    id="ciso.params_probe",
    persona="ciso",
    title="Parameter probe",
    description="A report with parameters of most kinds, three of them bound to filters.",
    source_id="mcp_alert_events",
    dimensions=["severity"],
    metrics=["alert_count"],
    params=PARAMS,
)


def resolve(params: dict[str, Any], definition: ReportDefinition = DEFINITION) -> ResolvedParams:
    return resolve_params(definition, params, now=NOW)


def first_detail(error: pytest.ExceptionInfo[ValidationError]) -> dict[str, Any]:
    details = error.value.details
    assert isinstance(details, list)
    return details[0]


def test_unknown_param_named() -> None:
    with pytest.raises(ValidationError) as error:
        resolve({"colour": "red"})

    assert "'colour'" in error.value.message
    assert first_detail(error)["field"] == "params.colour"


@pytest.mark.parametrize("valid", [spec.name for spec in PARAMS])
def test_unknown_param_lists_valid(valid: str) -> None:
    with pytest.raises(ValidationError) as error:
        resolve({"colour": "red"})

    assert valid in error.value.message
    assert valid in first_detail(error)["allowed"]


def test_unknown_param_without_params() -> None:
    bare = DEFINITION.model_copy(update={"params": None})

    with pytest.raises(ValidationError) as error:
        resolve({"region": "emea"}, bare)

    assert "none" in error.value.message


@pytest.mark.parametrize("value", ["mars", "EMEA", "amer ", "", 1, ["emea"]])
def test_enum_outside_allowed(value: Any) -> None:
    with pytest.raises(ValidationError) as error:
        resolve({"region": value})

    assert first_detail(error)["field"] == "params.region"
    assert first_detail(error)["allowed"] == ["amer", "emea", "apac"]


@pytest.mark.parametrize("value", [[], "high", {"high": True}, ("high",)])
def test_multiple_needs_list(value: Any) -> None:
    with pytest.raises(ValidationError) as error:
        resolve({"severity": value})

    assert first_detail(error)["field"] == "params.severity"
    assert "non-empty list" in error.value.message


def test_multiple_item_outside_allowed() -> None:
    with pytest.raises(ValidationError) as error:
        resolve({"severity": ["high", "severe"]})

    assert "'severe'" in error.value.message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("top", 1.5),
        ("top", True),
        ("top", "10"),
        ("top", 0),
        ("top", 101),
        ("min_score", "0.5"),
        ("min_score", float("nan")),
        ("min_score", False),
        ("min_score", -0.1),
        ("min_score", 1.01),
        ("blocked_only", "true"),
        ("blocked_only", 1),
        ("server", ""),
        ("server", 5),
        ("server", "x" * 1001),
        ("period", 30),
    ],
)
def test_param_wrong_type(name: str, value: Any) -> None:
    with pytest.raises(ValidationError) as error:
        resolve({name: value})

    assert first_detail(error)["field"] == f"params.{name}"


@pytest.mark.parametrize(("name", "value"), [("top", 1), ("top", 100), ("min_score", 0.5)])
def test_param_within_bounds(name: str, value: Any) -> None:
    assert resolve({name: value}).values[name] == value


def test_timezone_param_unknown() -> None:
    with pytest.raises(ValidationError) as error:
        resolve({"timezone": "Mars/Olympus_Mons"})

    assert first_detail(error)["field"] == "timezone"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("period", "30d"),
        ("timezone", "UTC"),
        ("server", "github-mcp"),
        ("top", 10),
        ("blocked_only", False),
        ("region", None),
        ("severity", None),
        ("min_score", None),
    ],
)
def test_defaults_applied(name: str, expected: Any) -> None:
    assert resolve({}).values[name] == expected


def test_defaults_resolve_period() -> None:
    resolved = resolve({})

    assert resolved.period is not None
    assert resolved.period.label == "30d"
    assert resolved.values["period_end"] == "2027-05-10T03:00:00+00:00"
    assert resolved.values["period_start"] == "2027-04-10T03:00:00+00:00"


def test_explicit_none_uses_default() -> None:
    assert resolve({"top": None}).values["top"] == 10


def test_required_param_missing() -> None:
    spec = ReportParamSpec(name="owner", type="string", required=True)
    strict = DEFINITION.model_copy(update={"params": [spec]})

    with pytest.raises(ValidationError) as error:
        resolve({}, strict)

    assert "'owner'" in error.value.message
    assert first_detail(error)["field"] == "params.owner"


def test_filter_binding_eq() -> None:
    resolved = resolve({"region": "emea"})

    assert ReportFilterBinding(field="region", op=FilterOp.EQ, value="emea") in resolved.filters


def test_filter_binding_in() -> None:
    resolved = resolve({"severity": ["critical", "high"]})

    expected = ReportFilterBinding(field="severity", op=FilterOp.IN, value=["critical", "high"])
    assert expected in resolved.filters


def test_filter_binding_from_default() -> None:
    resolved = resolve({})

    expected = ReportFilterBinding(field="server_name", op=FilterOp.EQ, value="github-mcp")
    assert resolved.filters == [expected]


def test_filter_binding_absent_when_unset() -> None:
    fields = {binding.field for binding in resolve({}).filters}

    assert "region" not in fields
    assert "severity" not in fields


def test_bounds_replace_period() -> None:
    resolved = resolve(
        {"period_start": "2027-01-01", "period_end": "2027-01-31", "timezone": "Asia/Kolkata"}
    )

    assert resolved.period is not None
    assert resolved.period.start.isoformat() == "2027-01-01T00:00:00+05:30"
    assert resolved.period.end.isoformat() == "2027-01-31T23:59:59.999999+05:30"
    assert resolved.timezone == "Asia/Kolkata"


def test_bounds_with_period_rejected() -> None:
    with pytest.raises(ValidationError) as error:
        resolve({"period": "7d", "period_start": "2027-01-01", "period_end": "2027-01-31"})

    assert first_detail(error)["field"] == "period"


def test_period_param_in_zone() -> None:
    resolved = resolve({"period": "previous_day", "timezone": "America/Los_Angeles"})

    assert resolved.period is not None
    assert resolved.period.start.isoformat() == "2027-05-08T00:00:00-07:00"


def test_no_period_spec() -> None:
    bare = DEFINITION.model_copy(update={"params": None})

    resolved = resolve({}, bare)

    assert resolved.period is None
    assert resolved.timezone == "UTC"
    assert resolved.filters == []
