"""Tests for `reports_pipeline.compile` and `reports_pipeline.execute`.

The first half checks the SQL text and bound parameters. The second half runs compiled queries
on a small DuckDB warehouse with hand-written rows for two organisations.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from reports_pipeline.catalogue.model import ReportDefinition, ReportFilterBinding
from reports_pipeline.compile import CompiledQuery, coerce_value, compile_report
from reports_pipeline.errors import (
    BadRequest,
    CompileError,
    ServiceUnavailable,
    UnprocessableEntity,
    ValidationError,
)
from reports_pipeline.execute import run_query
from reports_pipeline.periods import Period, resolve_period
from reports_pipeline.semantic.model import Dimension, FieldType, FilterOp
from reports_pipeline.semantic.sources import GOVERNANCE_DAILY, MCP_ALERT_EVENTS
from reports_pipeline.semantic.sources.common import REGIONS, SEVERITIES
from reports_pipeline.warehouse.schema import create_table_sql

ORG_A = "org_01HZX3K5Q8V2N4M6P7R9T1W3Y5"
ORG_B = "org_01HZX3K5Q8V2N4M6P7R9T1W3Y6"
UTC_NOW = datetime(2027, 12, 1, tzinfo=UTC)


def report(**fields: Any) -> ReportDefinition:
    base: dict[str, Any] = {
        "id": "ciso.compile_probe",
        "persona": "ciso",
        "title": "Compile probe",
        "description": "A report built by the compiler tests.",
        "source_id": "mcp_alert_events",
        "metrics": ["alert_count"],
    }
    return ReportDefinition(**{**base, **fields})


def governance(**fields: Any) -> ReportDefinition:
    return report(source_id="governance_daily", **{"metrics": ["total_requests"], **fields})


def bounds(start: str, end: str, zone: str = "UTC") -> Period:
    return resolve_period(
        period=None, period_start=start, period_end=end, timezone=zone, now=UTC_NOW
    )


def build(
    definition: ReportDefinition,
    *,
    org: str = ORG_A,
    period: Period | None = None,
    timezone: str = "UTC",
    filters: list[ReportFilterBinding] | None = None,
    row_cap: int = 10_000,
) -> CompiledQuery:
    return compile_report(
        definition,
        organization_id=org,
        period=period,
        timezone=timezone,
        extra_filters=filters,
        row_cap=row_cap,
    )


def where(field: str, op: str, value: Any = None) -> ReportFilterBinding:
    return ReportFilterBinding(field=field, op=FilterOp(op), value=value)


def literals(sql: str) -> set[str]:
    return {literal.this for literal in sqlglot.parse_one(sql, read="duckdb").find_all(exp.Literal)}


def first_detail(error: pytest.ExceptionInfo[Any]) -> dict[str, Any]:
    details = error.value.details
    assert isinstance(details, list)
    return details[0]


# --- SQL text and parameters ------------------------------------------------------------------

WINDOW = bounds("2027-01-10", "2027-01-11")
WINDOW_KOLKATA = bounds("2027-01-10", "2027-01-11", "Asia/Kolkata")
LIMIT = 10_001  # The default row cap plus one extra row, which shows whether the result was cut.

EXACT_SQL_CASES = [
    pytest.param(
        report(),
        {},
        "SELECT COUNT(*) AS alert_count FROM mcp_alert_events AS t WHERE t.org_id = $p0 LIMIT $p1",
        {"p0": ORG_A, "p1": LIMIT},
        id="count",
    ),
    pytest.param(
        report(dimensions=["severity"]),
        {},
        "SELECT t.severity AS severity, COUNT(*) AS alert_count FROM mcp_alert_events AS t "
        "WHERE t.org_id = $p0 GROUP BY t.severity ORDER BY LIST_POSITION($p1, severity) "
        "LIMIT $p2",
        {"p0": ORG_A, "p1": list(SEVERITIES), "p2": LIMIT},
        id="dimension",
    ),
    pytest.param(
        report(
            dimensions=["severity"], sort=[{"field": "alert_count", "direction": "desc"}], limit=5
        ),
        {},
        "SELECT t.severity AS severity, COUNT(*) AS alert_count FROM mcp_alert_events AS t "
        "WHERE t.org_id = $p0 GROUP BY t.severity ORDER BY alert_count DESC, severity "
        "LIMIT $p1",
        {"p0": ORG_A, "p1": 6},
        id="sort_limit",
    ),
    pytest.param(
        report(time_grain="day"),
        {"timezone": "Asia/Kolkata"},
        "SELECT CAST(DATE_TRUNC('day', TIMEZONE($p1, t.occurred_at)) AS DATE) AS period, "
        "COUNT(*) AS alert_count FROM mcp_alert_events AS t WHERE t.org_id = $p0 "
        "GROUP BY CAST(DATE_TRUNC('day', TIMEZONE($p1, t.occurred_at)) AS DATE) "
        "ORDER BY period LIMIT $p2",
        {"p0": ORG_A, "p1": "Asia/Kolkata", "p2": LIMIT},
        id="day_grain",
    ),
    pytest.param(
        report(dimensions=["region"]),
        {"period": WINDOW},
        "SELECT t.region AS region, COUNT(*) AS alert_count FROM mcp_alert_events AS t "
        "WHERE t.org_id = $p0 AND t.occurred_at BETWEEN $p1 AND $p2 GROUP BY t.region "
        "ORDER BY LIST_POSITION($p3, region) LIMIT $p4",
        {"p0": ORG_A, "p1": WINDOW.start, "p2": WINDOW.end, "p3": list(REGIONS), "p4": LIMIT},
        id="period",
    ),
    pytest.param(
        governance(dimensions=["region"]),
        {"period": WINDOW_KOLKATA},
        "SELECT t.region AS region, COALESCE(SUM(t.total_requests), 0) AS total_requests "
        "FROM governance_daily AS t WHERE t.org_id = $p0 AND t.day BETWEEN $p1 AND $p2 "
        "GROUP BY t.region ORDER BY LIST_POSITION($p3, region) LIMIT $p4",
        {
            "p0": ORG_A,
            "p1": date(2027, 1, 10),
            "p2": date(2027, 1, 11),
            "p3": list(REGIONS),
            "p4": LIMIT,
        },
        id="period_date_source",
    ),
    pytest.param(
        report(default_filters=[where("server_name", "eq", "github-mcp")]),
        {"filters": [where("severity", "in", ["critical", "high"])]},
        "SELECT COUNT(*) AS alert_count FROM mcp_alert_events AS t WHERE t.org_id = $p0 "
        "AND t.server_name = $p1 AND t.severity IN ($p2, $p3) LIMIT $p4",
        {"p0": ORG_A, "p1": "github-mcp", "p2": "critical", "p3": "high", "p4": LIMIT},
        id="default_and_extra_filters",
    ),
]

FRAGMENT_CASES = [
    pytest.param(
        report(time_grain="hour"),
        {"timezone": "Asia/Kolkata"},
        [
            "t.occurred_at - (TIMEZONE($p1, t.occurred_at) "
            "- DATE_TRUNC('hour', TIMEZONE($p1, t.occurred_at))) AS period"
        ],
        {"p1": "Asia/Kolkata"},
        id="hour_grain",
    ),
    pytest.param(
        report(time_grain="week"),
        {"timezone": "America/New_York"},
        ["CAST(DATE_TRUNC('week', TIMEZONE($p1, t.occurred_at)) AS DATE) AS period"],
        {"p1": "America/New_York"},
        id="week_grain",
    ),
    pytest.param(
        report(time_grain="month"),
        {},
        ["STRFTIME(TIMEZONE($p1, t.occurred_at), '%Y-%m') AS period"],
        {"p1": "UTC"},
        id="month_grain",
    ),
    pytest.param(
        report(time_grain="year"),
        {},
        ["STRFTIME(TIMEZONE($p1, t.occurred_at), '%Y') AS period"],
        {"p1": "UTC"},
        id="year_grain",
    ),
    pytest.param(
        governance(time_grain="quarter"),
        {"timezone": "Asia/Tokyo"},
        [
            "PRINTF('%d-Q%d', YEAR(CAST(t.day AS TIMESTAMP)), QUARTER(CAST(t.day AS TIMESTAMP)))"
            " AS period",
            "COALESCE(SUM(t.total_requests), 0) AS total_requests",
        ],
        {"p1": LIMIT},
        id="quarter_grain_date_source",
    ),
    pytest.param(
        report(metrics=["block_rate_pct", "affected_agents", "open_alert_count"]),
        {},
        [
            "CAST(COUNT(*) FILTER(WHERE t.blocked) AS DOUBLE) * 100.0 / NULLIF(COUNT(*), 0) "
            "AS block_rate_pct",
            "COUNT(DISTINCT t.agent_id) AS affected_agents",
            "COUNT(*) FILTER(WHERE t.status IN ('open', 'acknowledged')) AS open_alert_count",
        ],
        {"p1": LIMIT},
        id="count_and_ratio_metrics",
    ),
    pytest.param(
        report(metrics=["p90_time_to_acknowledge_minutes", "mean_time_to_resolve_minutes"]),
        {},
        [
            "QUANTILE_CONT(DATE_DIFF('SECOND', t.occurred_at, t.acknowledged_at) / 60.0, 0.9) "
            "FILTER(WHERE NOT t.acknowledged_at IS NULL)",
            "AVG(DATE_DIFF('SECOND', t.occurred_at, t.resolved_at) / 60.0) "
            "FILTER(WHERE NOT t.resolved_at IS NULL)",
        ],
        {"p1": LIMIT},
        id="duration_metrics",
    ),
    pytest.param(
        governance(metrics=["ars_score", "liability_shielded_usd", "coverage_pct"]),
        {},
        [
            "AVG(t.ars_score) AS ars_score",
            "COALESCE(SUM(t.liability_shielded_usd), 0) AS liability_shielded_usd",
            "CAST(COALESCE(SUM(t.governed_requests), 0) AS DOUBLE) * 100.0 / "
            "NULLIF(COALESCE(SUM(t.total_requests), 0), 0) AS coverage_pct",
        ],
        {"p1": LIMIT},
        id="governance_metrics",
    ),
    pytest.param(
        report(dimensions=["server_name"], redact=[{"field": "server_name", "method": "hash"}]),
        {},
        [
            "CASE WHEN t.server_name IS NULL THEN NULL ELSE "
            "LEFT(SHA256($p1 || CAST(t.server_name AS TEXT)), 16) END AS server_name",
        ],
        {"p1": ORG_A + ":"},
        id="redact_hash",
    ),
    pytest.param(
        report(
            dimensions=["agent_id"],
            redact=[{"field": "agent_id", "method": "truncate", "keep": 3}],
        ),
        {},
        ["CASE WHEN t.agent_id IS NULL THEN NULL ELSE LEFT(CAST(t.agent_id AS TEXT), $p1) END"],
        {"p1": 3},
        id="redact_truncate",
    ),
    pytest.param(
        report(dimensions=["agent_id"], redact=[{"field": "agent_id", "method": "mask"}]),
        {},
        [
            "CASE WHEN LENGTH(CAST(t.agent_id AS TEXT)) <= $p1 THEN '****' "
            "ELSE '****' || RIGHT(CAST(t.agent_id AS TEXT), $p2) END",
        ],
        {"p1": 8, "p2": 4},
        id="redact_mask",
    ),
]

ALL_CASES = [
    pytest.param(case.values[0], case.values[1], id=case.id)
    for case in (*EXACT_SQL_CASES, *FRAGMENT_CASES)
]


@pytest.mark.parametrize(("definition", "options", "sql", "parameters"), EXACT_SQL_CASES)
def test_compile_sql(
    definition: ReportDefinition, options: dict[str, Any], sql: str, parameters: dict[str, Any]
) -> None:
    query = build(definition, **options)

    assert query.sql == sql
    assert query.parameters == parameters


@pytest.mark.parametrize(("definition", "options", "fragments", "parameters"), FRAGMENT_CASES)
def test_compile_fragments(
    definition: ReportDefinition,
    options: dict[str, Any],
    fragments: list[str],
    parameters: dict[str, Any],
) -> None:
    query = build(definition, **options)

    for fragment in fragments:
        assert fragment in query.sql
    for name, value in parameters.items():
        assert query.parameters[name] == value


@pytest.mark.parametrize(("definition", "options"), ALL_CASES)
def test_compile_org_placeholder(definition: ReportDefinition, options: dict[str, Any]) -> None:
    query = build(definition, **options)

    assert "WHERE t.org_id = $p0" in query.sql
    assert query.parameters["p0"] == ORG_A
    assert ORG_A not in query.sql


@pytest.mark.parametrize(("definition", "options"), ALL_CASES)
def test_compile_columns_match_output(
    definition: ReportDefinition, options: dict[str, Any]
) -> None:
    query = build(definition, **options)

    assert [column.name for column in query.columns] == definition.output_columns


@pytest.mark.parametrize(("definition", "options"), ALL_CASES)
def test_compile_parses_as_duckdb(definition: ReportDefinition, options: dict[str, Any]) -> None:
    query = build(definition, **options)

    assert isinstance(sqlglot.parse_one(query.sql, read="duckdb"), exp.Select)


@pytest.mark.parametrize(
    ("definition", "row_cap", "row_limit", "explicit"),
    [
        (report(), 10_000, 10_000, False),
        (report(limit=5), 10_000, 5, True),
        (report(limit=100), 50, 50, True),
        (report(), 50, 50, False),
    ],
)
def test_compile_row_limit(
    definition: ReportDefinition, row_cap: int, row_limit: int, explicit: bool
) -> None:
    query = build(definition, row_cap=row_cap)

    assert query.row_limit == row_limit
    assert query.fetch_limit == row_limit + 1
    assert query.limit_is_explicit is explicit


def test_compile_column_metadata() -> None:
    query = build(report(time_grain="day", metrics=["mean_time_to_resolve_minutes"]))

    period, metric = query.columns
    assert (period.name, period.label, period.type) == ("period", "Day", "date")
    assert (metric.type, metric.unit, metric.format) == ("number", "minutes", "#,##0.0")


# --- values are always placeholders -----------------------------------------------------------

HOSTILE = [
    "'; DROP TABLE x; --",
    "$p0",
    "$p1",
    "' OR '1'='1",
    "\\'; SELECT 1; --",
    '"; DROP TABLE "mcp_alert_events',
    "?",
    ":p0",
    "%s",
    "' || (SELECT string_agg(org_id, ',') FROM mcp_alert_events) || '",
    "\x00",
    "🙂\u202egnp.exe",
    "",
]
STRING_OPS = ["eq", "neq", "contains", "starts_with", "in", "not_in"]


def string_filter(op: str, value: str) -> ReportFilterBinding:
    if op in ("in", "not_in"):
        return where("server_name", op, [value, "benign-b"])
    return where("server_name", op, value)


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("op", STRING_OPS)
def test_hostile_value_sql_unchanged(op: str, value: str) -> None:
    hostile = build(report(), filters=[string_filter(op, value)])
    benign = build(report(), filters=[string_filter(op, "benign-a")])

    assert hostile.sql == benign.sql


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("op", STRING_OPS)
def test_hostile_value_bound(op: str, value: str) -> None:
    query = build(report(), filters=[string_filter(op, value)])

    assert value in query.parameters.values()


@pytest.mark.parametrize("value", [v for v in HOSTILE if v])
@pytest.mark.parametrize("op", STRING_OPS)
def test_hostile_value_not_literal(op: str, value: str) -> None:
    query = build(report(), filters=[string_filter(op, value)])

    assert value not in literals(query.sql)


@pytest.mark.parametrize("value", ["'; DROP TABLE x; --", "' OR '1'='1", "\x00", "%s"])
def test_hostile_value_not_in_text(value: str) -> None:
    query = build(report(), filters=[where("server_name", "eq", value)])

    assert value not in query.sql


@pytest.mark.parametrize("zone", ["Asia/Kolkata", "America/New_York"])
def test_timezone_is_placeholder(zone: str) -> None:
    query = build(report(time_grain="day"), timezone=zone)

    assert zone not in query.sql
    assert zone in query.parameters.values()


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Europe/London"])
def test_whole_hour_zone_hours_use_utc_buckets(zone: str) -> None:
    query = build(report(time_grain="hour"), timezone=zone)

    assert "TIME_BUCKET(INTERVAL '1' HOUR, t.occurred_at) AS period" in query.sql
    assert zone not in query.parameters.values()


# --- organisation id --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "org",
    [
        "",
        None,
        "org_",
        "org_123",
        "org_01hzx3k5q8v2n4m6p7r9t1w3y5",
        "ORG_01HZX3K5Q8V2N4M6P7R9T1W3Y5",
        "cred_01HZX3K5Q8V2N4M6P7R9T1W3Y5",
        " org_01HZX3K5Q8V2N4M6P7R9T1W3Y5",
        "org_01HZX3K5Q8V2N4M6P7R9T1W3Y5 ",
        "org_01HZX3K5Q8V2N4M6P7R9T1W3Y5X",
        "org_01HZX3K5Q8V2N4M6P7R9T1W3YI",
        "org_01HZX3K5Q8V2N4M6P7R9T1W3Y5' OR '1'='1",
        pytest.param(
            "org_01HZX3K5Q8V2N4M6P7R9T1W3Y5\n",
            id="trailing_newline",
        ),
    ],
)
def test_compile_rejects_bad_org(org: Any) -> None:
    with pytest.raises(CompileError):
        build(report(), org=org)


# --- unknown fields ---------------------------------------------------------------------------

DIMENSION_KEYS = MCP_ALERT_EVENTS.dimension_keys
METRIC_KEYS = MCP_ALERT_EVENTS.metric_keys

UNKNOWN_FIELD_CASES = [
    pytest.param(
        report(dimensions=["severity", "colour"]),
        None,
        "dimensions[1]",
        "colour",
        DIMENSION_KEYS,
        id="dimension",
    ),
    pytest.param(
        report(metrics=["alert_count", "revenue"]),
        None,
        "metrics[1]",
        "revenue",
        METRIC_KEYS,
        id="metric",
    ),
    pytest.param(
        report(),
        [where("colour", "eq", "red")],
        "params (colour)",
        "colour",
        DIMENSION_KEYS,
        id="extra_filter",
    ),
    pytest.param(
        report(default_filters=[where("colour", "eq", "red")]),
        None,
        "default_filters[0]",
        "colour",
        DIMENSION_KEYS,
        id="default_filter",
    ),
    pytest.param(
        report(redact=[{"field": "colour", "method": "drop"}]),
        None,
        "redact[0]",
        "colour",
        DIMENSION_KEYS,
        id="redaction",
    ),
    pytest.param(
        governance(dimensions=["severity"]),
        None,
        "dimensions[0]",
        "severity",
        GOVERNANCE_DAILY.dimension_keys,
        id="dimension_of_other_source",
    ),
]


@pytest.mark.parametrize(("definition", "filters", "location", "key", "valid"), UNKNOWN_FIELD_CASES)
def test_unknown_field_message(
    definition: ReportDefinition,
    filters: list[ReportFilterBinding] | None,
    location: str,
    key: str,
    valid: list[str],
) -> None:
    with pytest.raises(BadRequest) as error:
        build(definition, filters=filters)

    message = error.value.message
    assert f"{location}:" in message
    assert repr(key) in message
    assert repr(definition.source_id) in message
    for valid_key in valid:
        assert valid_key in message


@pytest.mark.parametrize(("definition", "filters", "location", "key", "valid"), UNKNOWN_FIELD_CASES)
def test_unknown_field_details(
    definition: ReportDefinition,
    filters: list[ReportFilterBinding] | None,
    location: str,
    key: str,
    valid: list[str],
) -> None:
    with pytest.raises(BadRequest) as error:
        build(definition, filters=filters)

    assert first_detail(error) == {
        "field": location,
        "value": key,
        "source": definition.source_id,
        "allowed": valid,
    }


@pytest.mark.parametrize(
    ("definition", "filters", "fragment"),
    [
        pytest.param(report(source_id="alerts"), None, "mcp_alert_events", id="source"),
        pytest.param(governance(time_grain="hour"), None, "time_grain", id="hour_on_dates"),
        pytest.param(report(), [where("severity", "gt", "high")], "'gt'", id="operator"),
        pytest.param(report(), [where("occurred_at", "eq", "x")], "'eq'", id="eq_on_time"),
        pytest.param(report(sort=[{"field": "severity"}]), None, "sort[0]", id="sort_not_output"),
        pytest.param(
            report(dimensions=["blocked"], redact=[{"field": "blocked", "method": "mask"}]),
            None,
            "use drop",
            id="mask_boolean",
        ),
        pytest.param(
            report(chart_hints=[{"type": "bar", "x": "severity", "y": ["alert_count"]}]),
            None,
            "chart_hints[0]",
            id="chart_hint",
        ),
    ],
)
def test_definition_rejected(
    definition: ReportDefinition, filters: list[ReportFilterBinding] | None, fragment: str
) -> None:
    with pytest.raises(BadRequest) as error:
        build(definition, filters=filters)

    assert fragment in error.value.message


# --- filter operators -------------------------------------------------------------------------

OPERATOR_CASES = [
    # (source definition, filter, SQL fragment, bound values)
    pytest.param(report(), where("severity", "eq", "high"), "t.severity = $p1", ["high"], id="eq"),
    pytest.param(
        report(), where("blocked", "eq", True), "t.blocked = $p1", [True], id="eq_boolean"
    ),
    pytest.param(
        report(),
        where("server_name", "neq", "jira-mcp"),
        "t.server_name IS DISTINCT FROM $p1",
        ["jira-mcp"],
        id="neq",
    ),
    pytest.param(
        report(),
        where("severity", "in", ["critical", "high"]),
        "t.severity IN ($p1, $p2)",
        ["critical", "high"],
        id="in",
    ),
    pytest.param(
        report(),
        where("server_name", "not_in", ["a", "b"]),
        "(t.server_name IS NULL OR NOT t.server_name IN ($p1, $p2))",
        ["a", "b"],
        id="not_in",
    ),
    pytest.param(
        report(),
        where("occurred_at", "gt", "2027-01-01T00:00:00Z"),
        "t.occurred_at > $p1",
        [datetime(2027, 1, 1, tzinfo=UTC)],
        id="gt",
    ),
    pytest.param(
        governance(),
        where("day", "gte", "2027-01-01"),
        "t.day >= $p1",
        [date(2027, 1, 1)],
        id="gte",
    ),
    pytest.param(
        report(),
        where("occurred_at", "lt", "2027-01-01T05:30:00+05:30"),
        "t.occurred_at < $p1",
        [datetime(2027, 1, 1, tzinfo=UTC)],
        id="lt",
    ),
    pytest.param(
        governance(),
        where("day", "lte", "2027-01-31"),
        "t.day <= $p1",
        [date(2027, 1, 31)],
        id="lte",
    ),
    pytest.param(
        report(),
        where("occurred_at", "between", ["2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z"]),
        "t.occurred_at BETWEEN $p1 AND $p2",
        [datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC)],
        id="between",
    ),
    pytest.param(
        governance(),
        where("day", "between", ["2027-01-01", "2027-01-31"]),
        "t.day BETWEEN $p1 AND $p2",
        [date(2027, 1, 1), date(2027, 1, 31)],
        id="between_dates",
    ),
    pytest.param(
        report(),
        where("server_name", "contains", "hub"),
        "CONTAINS(t.server_name, $p1)",
        ["hub"],
        id="contains",
    ),
    pytest.param(
        report(),
        where("agent_id", "starts_with", "agent-"),
        "STARTS_WITH(t.agent_id, $p1)",
        ["agent-"],
        id="starts_with",
    ),
    pytest.param(report(), where("region", "is_null"), "t.region IS NULL", [], id="is_null"),
    pytest.param(
        report(), where("tool_name", "is_not_null"), "NOT t.tool_name IS NULL", [], id="is_not_null"
    ),
]


@pytest.mark.parametrize(("definition", "binding", "fragment", "values"), OPERATOR_CASES)
def test_operator_sql(
    definition: ReportDefinition, binding: ReportFilterBinding, fragment: str, values: list[Any]
) -> None:
    query = build(definition, filters=[binding])

    assert f"t.org_id = $p0 AND {fragment}" in query.sql


@pytest.mark.parametrize(("definition", "binding", "fragment", "values"), OPERATOR_CASES)
def test_operator_values(
    definition: ReportDefinition, binding: ReportFilterBinding, fragment: str, values: list[Any]
) -> None:
    query = build(definition, filters=[binding])

    bound = [value for name, value in query.parameters.items() if name != "p0"][:-1]
    assert bound == values


@pytest.mark.parametrize(
    ("definition", "binding"),
    [
        pytest.param(report(), where("severity", "eq", "severe"), id="eq_not_allowed"),
        pytest.param(report(), where("severity", "eq", 1), id="eq_number_for_enum"),
        pytest.param(report(), where("severity", "eq", None), id="eq_null"),
        pytest.param(report(), where("server_name", "eq", 5), id="eq_number_for_string"),
        pytest.param(report(), where("server_name", "eq", "x" * 1001), id="eq_too_long"),
        pytest.param(report(), where("blocked", "eq", "true"), id="eq_text_for_boolean"),
        pytest.param(report(), where("blocked", "neq", 1), id="neq_number_for_boolean"),
        pytest.param(report(), where("server_name", "neq", ["a"]), id="neq_list"),
        pytest.param(report(), where("severity", "in", "high"), id="in_scalar"),
        pytest.param(report(), where("severity", "in", []), id="in_empty"),
        pytest.param(report(), where("severity", "in", ["high", "severe"]), id="in_not_allowed"),
        pytest.param(report(), where("server_name", "in", ["a"] * 1001), id="in_too_many"),
        pytest.param(report(), where("server_name", "not_in", "a"), id="not_in_scalar"),
        pytest.param(report(), where("server_name", "not_in", [5]), id="not_in_number"),
        pytest.param(report(), where("occurred_at", "gt", "2027-01-01T00:00:00"), id="gt_naive"),
        pytest.param(report(), where("occurred_at", "gt", "yesterday"), id="gt_text"),
        pytest.param(report(), where("occurred_at", "gte", 1798761600), id="gte_epoch"),
        pytest.param(report(), where("occurred_at", "lt", None), id="lt_null"),
        pytest.param(governance(), where("day", "lte", "2027-02-30"), id="lte_bad_date"),
        pytest.param(governance(), where("day", "lte", 20270131), id="lte_number"),
        pytest.param(governance(), where("day", "eq", "2027-01-01T00:00:00Z"), id="eq_timestamp"),
        pytest.param(
            report(), where("occurred_at", "between", ["2027-01-01T00:00:00Z"]), id="between_one"
        ),
        pytest.param(
            report(), where("occurred_at", "between", "2027-01-01T00:00:00Z"), id="between_scalar"
        ),
        pytest.param(
            governance(),
            where("day", "between", ["2027-01-01", "2027-01-02", "x"]),
            id="between_three",
        ),
        pytest.param(governance(), where("day", "between", [1, 2]), id="between_numbers"),
        pytest.param(report(), where("server_name", "contains", 5), id="contains_number"),
        pytest.param(report(), where("server_name", "contains", ["git"]), id="contains_list"),
        pytest.param(report(), where("agent_id", "starts_with", None), id="starts_with_null"),
        pytest.param(report(), where("agent_id", "starts_with", True), id="starts_with_boolean"),
    ],
)
def test_operator_wrong_value(definition: ReportDefinition, binding: ReportFilterBinding) -> None:
    with pytest.raises(ValidationError) as error:
        build(definition, filters=[binding])

    assert first_detail(error)["field"] == f"params ({binding.field})"


INTEGER = Dimension("retries", FieldType.INTEGER, "Retries", "How often the call was retried.")
NUMBER = Dimension("latency_ms", FieldType.NUMBER, "Latency", "Call latency in milliseconds.")


@pytest.mark.parametrize(
    ("dimension", "value"),
    [
        (INTEGER, 0),
        (INTEGER, -5),
        (INTEGER, 2**63 - 1),
        pytest.param(
            INTEGER,
            -(2**63),
            id="int64_min",
        ),
        (NUMBER, 1.5),
        (NUMBER, -2),
    ],
)
def test_coerce_number_accepted(dimension: Dimension, value: Any) -> None:
    assert coerce_value(dimension, value, "filters[0]") == value


@pytest.mark.parametrize(
    ("dimension", "value"),
    [
        (INTEGER, 2**63),
        (INTEGER, -(2**63) - 1),
        (INTEGER, True),
        (INTEGER, 1.0),
        (INTEGER, "1"),
        (NUMBER, float("nan")),
        (NUMBER, False),
        (NUMBER, "1.5"),
        (NUMBER, None),
    ],
)
def test_coerce_number_rejected(dimension: Dimension, value: Any) -> None:
    with pytest.raises(ValidationError):
        coerce_value(dimension, value, "filters[0]")


# --- results on a small warehouse -------------------------------------------------------------

ALERT_COLUMNS = [name for name, _ in MCP_ALERT_EVENTS.columns]
GOVERNANCE_COLUMNS = [name for name, _ in GOVERNANCE_DAILY.columns]
HOSTILE_SERVER = "'; DROP TABLE mcp_alert_events; --"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def alert(org: str, at: datetime, agent: str, **values: Any) -> dict[str, Any]:
    row = {
        "org_id": org,
        "occurred_at": at,
        "agent_id": agent,
        "severity": "high",
        "threat_source": "prompt_injection",
        "status": "open",
        "region": "amer",
        "server_name": "github-mcp",
        "tool_name": "read_file",
        "blocked": False,
    }
    ack = values.pop("ack_minutes", None)
    resolve = values.pop("resolve_minutes", None)
    row["acknowledged_at"] = None if ack is None else at + timedelta(minutes=ack)
    row["resolved_at"] = None if resolve is None else at + timedelta(minutes=resolve)
    return {**row, **values}


# Org A has five alerts in WINDOW (10 and 11 January 2027, UTC). Org B has three.
ALERTS = [
    alert(
        ORG_A,
        utc("2027-01-10T09:00"),
        "agent-001",
        blocked=True,
        status="resolved",
        ack_minutes=10,
        resolve_minutes=30,
    ),
    alert(
        ORG_A,
        utc("2027-01-10T10:00"),
        "agent-002",
        server_name="jira-mcp",
        region="emea",
        ack_minutes=20,
    ),
    alert(
        ORG_A,
        utc("2027-01-11T11:00"),
        "agent-001",
        severity="low",
        region="emea",
        blocked=True,
        status="resolved",
        resolve_minutes=90,
    ),
    alert(
        ORG_A,
        utc("2027-01-11T12:00"),
        "agent-003",
        severity=None,
        server_name=None,
        region=None,
        tool_name=None,
        status="acknowledged",
    ),
    alert(
        ORG_A,
        utc("2027-01-11T13:00"),
        "agent-004",
        severity="critical",
        server_name="slack-mcp",
        blocked=True,
        status="false_positive",
    ),
    alert(
        ORG_B,
        utc("2027-01-10T09:00"),
        "agent-b01",
        severity="critical",
        server_name="other-mcp",
        region="apac",
        blocked=True,
    ),
    alert(ORG_B, utc("2027-01-11T09:00"), "agent-b02"),
    alert(ORG_B, utc("2027-01-11T12:00"), "agent-b03", severity=None, server_name=None),
    # Time-bucket cases outside WINDOW, each identified by its agent id.
    alert(ORG_A, utc("2027-01-02T12:00"), "week"),
    alert(ORG_A, utc("2027-01-03T12:00"), "week"),
    alert(ORG_A, utc("2027-01-04T12:00"), "week"),
    alert(ORG_B, utc("2027-01-03T12:00"), "week"),
    alert(ORG_A, utc("2027-04-01T02:30"), "quarter"),
    alert(ORG_A, utc("2027-01-15T02:30"), "day"),
    alert(ORG_B, utc("2027-01-15T02:30"), "day"),
    alert(ORG_A, utc("2027-01-15T03:10"), "half-hour"),
    alert(ORG_A, utc("2026-12-31T20:00"), "new-year"),
    # 01:30 EDT and 01:30 EST on the night New York falls back: two distinct hours.
    alert(ORG_A, utc("2027-11-07T05:30"), "fall-back"),
    alert(ORG_A, utc("2027-11-07T06:30"), "fall-back"),
    # The first and last microsecond of 10-11 February in Kolkata, and one either side.
    alert(ORG_A, utc("2027-02-09T18:29:59.999999"), "boundary"),
    alert(ORG_A, utc("2027-02-09T18:30:00"), "boundary"),
    alert(ORG_A, utc("2027-02-11T18:29:59.999999"), "boundary"),
    alert(ORG_A, utc("2027-02-11T18:30:00"), "boundary"),
    # Filter values that look like SQL, stored as data.
    alert(ORG_A, utc("2027-03-01T00:00"), "hostile", server_name=HOSTILE_SERVER),
    alert(ORG_A, utc("2027-03-01T00:00"), "hostile", server_name="$p0"),
]


def day_row(org: str, day: date, total: int, **values: Any) -> dict[str, Any]:
    row = {
        "org_id": org,
        "day": day,
        "region": "amer",
        "business_unit": "finance",
        "total_requests": total,
        "blocked_requests": total // 10,
        "flagged_requests": 0,
        "policy_violations": 0,
        "governed_requests": total // 2,
        "ars_score": 0.5,
        "liability_shielded_usd": "1000.25",
        "peer_percentile": 50.0,
    }
    return {**row, **values}


GOVERNANCE_ROWS = [
    day_row(ORG_A, date(2027, 1, 2), 100),
    day_row(ORG_A, date(2027, 1, 3), 200, region="emea", ars_score=0.7),
    day_row(ORG_A, date(2027, 1, 4), 400, region=None, business_unit=None),
    day_row(ORG_B, date(2027, 1, 3), 5000, region="apac"),
    day_row(ORG_B, date(2027, 1, 4), 7000),
]


def insert(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    columns: list[str],
    rows: list[dict[str, Any]],
) -> None:
    placeholders = ", ".join("?" for _ in columns)
    connection.executemany(
        f"INSERT INTO {table} VALUES ({placeholders})",
        [[row.get(name) for name in columns] for row in rows],
    )


@pytest.fixture(scope="module")
def small_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb"
    alerts = [{**row, "alert_id": f"alr_{index:04d}"} for index, row in enumerate(ALERTS)]
    with duckdb.connect(str(path)) as connection:
        connection.execute("SET TimeZone = 'UTC'")
        connection.execute(create_table_sql(MCP_ALERT_EVENTS))
        connection.execute(create_table_sql(GOVERNANCE_DAILY))
        insert(connection, "mcp_alert_events", ALERT_COLUMNS, alerts)
        insert(connection, "governance_daily", GOVERNANCE_COLUMNS, GOVERNANCE_ROWS)
    return path


def rows(
    small_warehouse: Path, definition: ReportDefinition, **options: Any
) -> list[dict[str, Any]]:
    return run_query(small_warehouse, build(definition, **options)).table.to_pylist()


def pairs(result: list[dict[str, Any]], key: str, metric: str) -> dict[Any, Any]:
    return {row[key]: row[metric] for row in result}


def agent(name: str) -> list[ReportFilterBinding]:
    return [where("agent_id", "eq", name)]


def test_results_org_a_agents(small_warehouse: Path) -> None:
    result = rows(small_warehouse, report(dimensions=["agent_id"]), period=WINDOW)

    assert pairs(result, "agent_id", "alert_count") == {
        "agent-001": 2,
        "agent-002": 1,
        "agent-003": 1,
        "agent-004": 1,
    }


def test_results_org_b_agents(small_warehouse: Path) -> None:
    result = rows(small_warehouse, report(dimensions=["agent_id"]), org=ORG_B, period=WINDOW)

    assert set(pairs(result, "agent_id", "alert_count")) == {"agent-b01", "agent-b02", "agent-b03"}


@pytest.mark.parametrize(
    ("definition", "column", "foreign"),
    [
        (report(dimensions=["server_name"]), "server_name", "other-mcp"),
        (report(dimensions=["region"]), "region", "apac"),
        (report(dimensions=["agent_id"]), "agent_id", "agent-b02"),
        (governance(dimensions=["region"]), "region", "apac"),
    ],
)
def test_results_exclude_other_org(
    small_warehouse: Path, definition: ReportDefinition, column: str, foreign: str
) -> None:
    result = rows(small_warehouse, definition)

    assert foreign not in {row[column] for row in result}


ORG_A_ALERTS = len([row for row in ALERTS if row["org_id"] == ORG_A])


@pytest.mark.parametrize(
    ("definition", "metric", "expected"),
    [
        (report(), "alert_count", ORG_A_ALERTS),
        (report(dimensions=["severity"]), "alert_count", ORG_A_ALERTS),
        (report(time_grain="year"), "alert_count", ORG_A_ALERTS),
        (governance(), "total_requests", 700),
        (governance(time_grain="day"), "total_requests", 700),
    ],
)
def test_results_org_totals(
    small_warehouse: Path, definition: ReportDefinition, metric: str, expected: int
) -> None:
    result = rows(small_warehouse, definition)

    assert sum(row[metric] for row in result) == expected


def test_results_null_group(small_warehouse: Path) -> None:
    result = rows(small_warehouse, report(dimensions=["severity"]), period=WINDOW)

    assert pairs(result, "severity", "alert_count") == {
        "critical": 1,
        "high": 2,
        "low": 1,
        None: 1,
    }


def test_results_null_group_date_source(small_warehouse: Path) -> None:
    result = rows(small_warehouse, governance(dimensions=["region", "business_unit"]))

    assert {(row["region"], row["business_unit"]) for row in result} == {
        ("amer", "finance"),
        ("emea", "finance"),
        (None, None),
    }


@pytest.mark.parametrize(
    ("binding", "expected"),
    [
        pytest.param(where("server_name", "eq", "github-mcp"), {"github-mcp": 2}, id="eq"),
        pytest.param(
            where("server_name", "neq", "github-mcp"),
            {"jira-mcp": 1, "slack-mcp": 1, None: 1},
            id="neq_keeps_null",
        ),
        pytest.param(
            where("server_name", "in", ["github-mcp", "jira-mcp"]),
            {"github-mcp": 2, "jira-mcp": 1},
            id="in",
        ),
        pytest.param(
            where("server_name", "not_in", ["github-mcp", "jira-mcp"]),
            {"slack-mcp": 1, None: 1},
            id="not_in_keeps_null",
        ),
        pytest.param(where("server_name", "contains", "hub"), {"github-mcp": 2}, id="contains"),
        pytest.param(where("server_name", "contains", "%"), {}, id="contains_no_wildcard"),
        pytest.param(
            where("server_name", "starts_with", "sla"), {"slack-mcp": 1}, id="starts_with"
        ),
        pytest.param(where("server_name", "starts_with", "_"), {}, id="starts_with_no_wildcard"),
        pytest.param(where("server_name", "is_null"), {None: 1}, id="is_null"),
        pytest.param(
            where("server_name", "is_not_null"),
            {"github-mcp": 2, "jira-mcp": 1, "slack-mcp": 1},
            id="is_not_null",
        ),
        pytest.param(
            where("blocked", "eq", True), {"github-mcp": 2, "slack-mcp": 1}, id="eq_boolean"
        ),
        pytest.param(
            where("occurred_at", "gt", "2027-01-11T11:00:00Z"),
            {None: 1, "slack-mcp": 1},
            id="gt",
        ),
        pytest.param(
            where("occurred_at", "gte", "2027-01-11T11:00:00Z"),
            {"github-mcp": 1, None: 1, "slack-mcp": 1},
            id="gte",
        ),
        pytest.param(
            where("occurred_at", "lt", "2027-01-10T15:30:00+05:30"),
            {"github-mcp": 1},
            id="lt_with_offset",
        ),
        pytest.param(
            where("occurred_at", "lte", "2027-01-10T10:00:00Z"),
            {"github-mcp": 1, "jira-mcp": 1},
            id="lte",
        ),
        pytest.param(
            where("occurred_at", "between", ["2027-01-10T10:00:00Z", "2027-01-11T11:00:00Z"]),
            {"github-mcp": 1, "jira-mcp": 1},
            id="between_inclusive",
        ),
    ],
)
def test_results_filter(
    small_warehouse: Path, binding: ReportFilterBinding, expected: dict[Any, int]
) -> None:
    result = rows(
        small_warehouse, report(dimensions=["server_name"]), period=WINDOW, filters=[binding]
    )

    assert pairs(result, "server_name", "alert_count") == expected


@pytest.mark.parametrize(
    ("binding", "expected"),
    [
        pytest.param(where("day", "eq", "2027-01-04"), 400, id="eq"),
        pytest.param(where("day", "neq", "2027-01-04"), 300, id="neq"),
        pytest.param(where("day", "gte", "2027-01-03"), 600, id="gte"),
        pytest.param(where("day", "lt", "2027-01-03"), 100, id="lt"),
        pytest.param(where("day", "between", ["2027-01-02", "2027-01-03"]), 300, id="between"),
        pytest.param(where("region", "neq", "amer"), 600, id="neq_keeps_null"),
        pytest.param(where("region", "not_in", ["emea"]), 500, id="not_in_keeps_null"),
        pytest.param(where("business_unit", "eq", "finance"), 300, id="eq_drops_null"),
    ],
)
def test_results_filter_date_source(
    small_warehouse: Path, binding: ReportFilterBinding, expected: int
) -> None:
    result = rows(small_warehouse, governance(), filters=[binding])

    assert result == [{"total_requests": expected}]


@pytest.mark.parametrize("value", [HOSTILE_SERVER, "$p0"])
def test_hostile_value_runs_as_data(small_warehouse: Path, value: str) -> None:
    result = rows(small_warehouse, report(), filters=[where("server_name", "eq", value)])

    assert result == [{"alert_count": 1}]


def test_hostile_value_leaves_tables(small_warehouse: Path) -> None:
    rows(small_warehouse, report(), filters=[where("server_name", "eq", HOSTILE_SERVER)])

    assert rows(small_warehouse, report(), period=WINDOW) == [{"alert_count": 5}]


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        ("alert_count", 5),
        ("open_alert_count", 2),
        ("blocked_alert_count", 3),
        ("affected_agents", 4),
        ("block_rate_pct", 60.0),
        ("mean_time_to_resolve_minutes", 60.0),
        ("p90_time_to_acknowledge_minutes", 19.0),
    ],
)
def test_results_metric(small_warehouse: Path, metric: str, expected: float) -> None:
    result = rows(small_warehouse, report(metrics=[metric]), period=WINDOW)

    assert result[0][metric] == pytest.approx(expected)


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        ("total_requests", 700),
        ("blocked_requests", 70),
        ("block_rate_pct", 10.0),
        ("coverage_pct", 50.0),
        ("ars_score", pytest.approx((0.5 + 0.7 + 0.5) / 3)),
        ("liability_shielded_usd", pytest.approx(3000.75)),
    ],
)
def test_results_metric_date_source(small_warehouse: Path, metric: str, expected: Any) -> None:
    result = rows(small_warehouse, governance(metrics=[metric]))

    assert result[0][metric] == expected


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        (report(), {"alert_count": 0}),
        (report(metrics=["block_rate_pct"]), {"block_rate_pct": None}),
        (governance(), {"total_requests": 0}),
    ],
)
def test_results_empty_period(
    small_warehouse: Path, definition: ReportDefinition, expected: dict[str, Any]
) -> None:
    result = rows(small_warehouse, definition, period=bounds("2020-01-01", "2020-01-31"))

    assert result == [expected]


def test_results_period_bounds_inclusive(small_warehouse: Path) -> None:
    period = bounds("2027-02-10", "2027-02-11", "Asia/Kolkata")

    result = rows(small_warehouse, report(), period=period, filters=agent("boundary"))

    assert result == [{"alert_count": 2}]


def test_results_period_date_source(small_warehouse: Path) -> None:
    period = bounds("2027-01-03", "2027-01-04", "Asia/Kolkata")

    assert rows(small_warehouse, governance(), period=period) == [{"total_requests": 600}]


def test_results_sorted(small_warehouse: Path) -> None:
    definition = report(
        dimensions=["agent_id"], sort=[{"field": "alert_count", "direction": "desc"}]
    )

    result = rows(small_warehouse, definition, period=WINDOW)

    assert [row["agent_id"] for row in result] == [
        "agent-001",
        "agent-002",
        "agent-003",
        "agent-004",
    ]


# --- time buckets -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("grain", "zone", "agent_id", "expected"),
    [
        pytest.param(
            "week",
            "UTC",
            "week",
            [(date(2026, 12, 28), 2), (date(2027, 1, 4), 1)],
            id="week_iso_monday",
        ),
        pytest.param(
            "quarter", "America/New_York", "quarter", [("2027-Q1", 1)], id="quarter_new_york"
        ),
        pytest.param("quarter", "UTC", "quarter", [("2027-Q2", 1)], id="quarter_utc"),
        pytest.param("month", "America/New_York", "quarter", [("2027-03", 1)], id="month_new_york"),
        pytest.param("year", "Asia/Tokyo", "new-year", [("2027", 1)], id="year_tokyo"),
        pytest.param("year", "UTC", "new-year", [("2026", 1)], id="year_utc"),
        pytest.param("day", "America/New_York", "day", [(date(2027, 1, 14), 1)], id="day_new_york"),
        pytest.param("day", "UTC", "day", [(date(2027, 1, 15), 1)], id="day_utc"),
        pytest.param(
            "hour",
            "Asia/Kolkata",
            "half-hour",
            [(datetime(2027, 1, 15, 2, 30, tzinfo=UTC), 1)],
            id="hour_kolkata",
        ),
        pytest.param(
            "hour",
            "UTC",
            "half-hour",
            [(datetime(2027, 1, 15, 3, 0, tzinfo=UTC), 1)],
            id="hour_utc",
        ),
        pytest.param(
            "hour",
            "America/New_York",
            "fall-back",
            [
                (datetime(2027, 11, 7, 5, 0, tzinfo=UTC), 1),
                (datetime(2027, 11, 7, 6, 0, tzinfo=UTC), 1),
            ],
            id="hour_fall_back",
        ),
    ],
)
def test_time_bucket(
    small_warehouse: Path, grain: str, zone: str, agent_id: str, expected: list[tuple[Any, int]]
) -> None:
    result = rows(small_warehouse, report(time_grain=grain), timezone=zone, filters=agent(agent_id))

    assert [(row["period"], row["alert_count"]) for row in result] == expected


def test_time_bucket_week_date_source(small_warehouse: Path) -> None:
    result = rows(small_warehouse, governance(time_grain="week"))

    assert pairs(result, "period", "total_requests") == {
        date(2026, 12, 28): 300,
        date(2027, 1, 4): 400,
    }


def test_time_bucket_kolkata_half_hour(small_warehouse: Path) -> None:
    result = rows(
        small_warehouse,
        report(time_grain="hour"),
        timezone="Asia/Kolkata",
        filters=agent("half-hour"),
    )

    assert result[0]["period"].astimezone(UTC).minute == 30


@pytest.mark.parametrize("session_zone", ["UTC", "Asia/Tokyo", "America/Los_Angeles"])
def test_time_bucket_ignores_session_zone(small_warehouse: Path, session_zone: str) -> None:
    query = build(report(time_grain="day"), timezone="America/New_York", filters=agent("day"))

    with duckdb.connect(str(small_warehouse), read_only=True) as connection:
        connection.execute(f"SET TimeZone = '{session_zone}'")
        result = connection.sql(query.sql, params=query.parameters).fetchall()

    assert result == [(date(2027, 1, 14), 1)]


# --- row cap and execution --------------------------------------------------------------------


def test_row_cap_exceeded(small_warehouse: Path) -> None:
    query = build(report(dimensions=["agent_id"]), period=WINDOW, row_cap=3)

    with pytest.raises(UnprocessableEntity) as error:
        run_query(small_warehouse, query)

    assert first_detail(error) == {"row_cap": 3}


def test_row_cap_exact_fit(small_warehouse: Path) -> None:
    query = build(report(dimensions=["agent_id"]), period=WINDOW, row_cap=4)

    result = run_query(small_warehouse, query)

    assert result.table.num_rows == 4
    assert result.truncated is False


def test_explicit_limit_truncates(small_warehouse: Path) -> None:
    query = build(report(dimensions=["agent_id"], limit=2), period=WINDOW)

    result = run_query(small_warehouse, query)

    assert result.truncated is True
    assert result.table.column("agent_id").to_pylist() == ["agent-001", "agent-002"]


def test_explicit_limit_not_reached(small_warehouse: Path) -> None:
    query = build(report(dimensions=["agent_id"], limit=10), period=WINDOW)

    result = run_query(small_warehouse, query)

    assert result.truncated is False
    assert result.table.num_rows == 4


def test_run_missing_warehouse(tmp_path: Path) -> None:
    with pytest.raises(ServiceUnavailable):
        run_query(tmp_path / "absent.duckdb", build(report()))


def test_run_is_read_only(small_warehouse: Path) -> None:
    query = dataclasses.replace(
        build(report()), sql="CREATE TABLE intruder (a INTEGER)", parameters={}
    )

    with pytest.raises(duckdb.Error, match="read-only"):
        run_query(small_warehouse, query)


# --- redaction --------------------------------------------------------------------------------


def redacted(small_warehouse: Path, rule: dict[str, Any], org: str = ORG_A) -> list[dict[str, Any]]:
    definition = report(dimensions=["server_name"], redact=[rule])
    return rows(small_warehouse, definition, org=org, period=WINDOW)


def server_hash(org: str, server: str) -> str:
    return hashlib.sha256(f"{org}:{server}".encode()).hexdigest()[:16]


def test_redact_mask(small_warehouse: Path) -> None:
    result = redacted(small_warehouse, {"field": "server_name", "method": "mask"})

    # github-mcp and slack-mcp share their last four characters; jira-mcp is too short to show any.
    assert pairs(result, "server_name", "alert_count") == {"****-mcp": 3, "****": 1, None: 1}


def test_redact_mask_keep_zero(small_warehouse: Path) -> None:
    result = redacted(small_warehouse, {"field": "server_name", "method": "mask", "keep": 0})

    assert pairs(result, "server_name", "alert_count") == {"****": 4, None: 1}


def test_redact_hash(small_warehouse: Path) -> None:
    result = redacted(small_warehouse, {"field": "server_name", "method": "hash"})

    assert pairs(result, "server_name", "alert_count") == {
        server_hash(ORG_A, "github-mcp"): 2,
        server_hash(ORG_A, "jira-mcp"): 1,
        server_hash(ORG_A, "slack-mcp"): 1,
        None: 1,
    }


def test_redact_hash_salted_by_org(small_warehouse: Path) -> None:
    result = redacted(small_warehouse, {"field": "server_name", "method": "hash"}, org=ORG_B)

    values = {row["server_name"] for row in result}
    assert server_hash(ORG_B, "github-mcp") in values
    assert server_hash(ORG_A, "github-mcp") not in values


def test_redact_truncate(small_warehouse: Path) -> None:
    result = redacted(small_warehouse, {"field": "server_name", "method": "truncate", "keep": 3})

    assert pairs(result, "server_name", "alert_count") == {"git": 2, "jir": 1, "sla": 1, None: 1}


def test_redact_drop(small_warehouse: Path) -> None:
    result = redacted(small_warehouse, {"field": "server_name", "method": "drop"})

    assert result == [{"alert_count": 5}]


@pytest.mark.parametrize("method", ["mask", "hash", "truncate"])
def test_redact_hides_raw_values(small_warehouse: Path, method: str) -> None:
    result = redacted(small_warehouse, {"field": "server_name", "method": method, "keep": 2})

    returned_values = {row["server_name"] for row in result}
    assert returned_values.isdisjoint({"github-mcp", "jira-mcp", "slack-mcp"})


@pytest.mark.parametrize("method", ["mask", "hash", "truncate"])
def test_redact_column_is_string(method: str) -> None:
    definition = report(dimensions=["severity"], redact=[{"field": "severity", "method": method}])

    query = build(definition)

    assert query.columns[0].type == "string"


def test_redact_drop_non_text() -> None:
    definition = report(dimensions=["blocked"], redact=[{"field": "blocked", "method": "drop"}])

    query = build(definition)

    assert [column.name for column in query.columns] == ["alert_count"]


def test_org_guard_rejects_unconfined_table() -> None:
    from sqlglot import exp

    from reports_pipeline.compile import _assert_org_confined

    unconfined = exp.select("*").from_(exp.table_("mcp_alert_events", alias="t"))
    unconfined = unconfined.where(
        exp.EQ(this=exp.column("severity", table="t"), expression=exp.Placeholder(this="p0"))
    )
    with pytest.raises(CompileError, match="not confined"):
        _assert_org_confined(unconfined, MCP_ALERT_EVENTS, "p0")


def test_org_guard_rejects_unconfined_subquery() -> None:
    from sqlglot import exp

    from reports_pipeline.compile import _assert_org_confined

    guard = exp.EQ(this=exp.column("org_id", table="t"), expression=exp.Placeholder(this="p0"))
    inner = exp.select("org_id").from_(exp.table_("mcp_alert_events", alias="u"))
    outer = exp.select("*").from_(exp.table_("mcp_alert_events", alias="t")).where(guard)
    outer = outer.where(exp.In(this=exp.column("org_id", table="t"), query=inner))
    with pytest.raises(CompileError, match="not confined"):
        _assert_org_confined(outer, MCP_ALERT_EVENTS, "p0")
