"""Hourly MCP tool invocations."""

from __future__ import annotations

from reports_pipeline.semantic.model import (
    Aggregation,
    Dimension,
    FieldType,
    Metric,
    Source,
)
from reports_pipeline.semantic.sources.common import ALL_GRAINS, REGIONS

TOOL_CATEGORIES = ("filesystem", "database", "saas", "code_execution", "web", "messaging")

TOOL_USAGE_HOURLY = Source(
    id="tool_usage_hourly",
    table="tool_usage_hourly",
    description=(
        "MCP tool invocations rolled up per hour: one row per hour, server, tool, agent and "
        "region with at least one invocation, counting the calls the gateway blocked, the "
        "calls that failed and the time the executed calls took."
    ),
    org_column="org_id",
    time_column="hour",
    time_type=FieldType.TIMESTAMP,
    time_grains=ALL_GRAINS,
    columns=(
        ("org_id", "VARCHAR"),
        ("hour", "TIMESTAMPTZ"),
        ("server_name", "VARCHAR"),
        ("tool_name", "VARCHAR"),
        ("tool_category", "VARCHAR"),
        ("agent_id", "VARCHAR"),
        ("region", "VARCHAR"),
        ("invocations", "BIGINT"),
        ("blocked_invocations", "BIGINT"),
        ("failed_invocations", "BIGINT"),
        ("total_duration_ms", "BIGINT"),
        ("p95_duration_ms", "INTEGER"),
    ),
    dimensions=(
        Dimension("server_name", FieldType.STRING, "MCP server", "MCP server that hosts the tool."),
        Dimension("tool_name", FieldType.STRING, "Tool", "MCP tool that was invoked."),
        Dimension(
            "tool_category",
            FieldType.ENUM,
            "Tool category",
            "What the tool acts on.",
            allowed_values=TOOL_CATEGORIES,
        ),
        Dimension("agent_id", FieldType.STRING, "Agent", "Agent identity that made the calls."),
        Dimension(
            "region", FieldType.ENUM, "Region", "Region of the gateway.", allowed_values=REGIONS
        ),
        Dimension("hour", FieldType.TIMESTAMP, "Hour", "Start of the hour, on the hour in UTC."),
    ),
    metrics=(
        Metric(
            "invocations",
            "Invocations",
            Aggregation.SUM,
            "Tool calls received by the gateway.",
            expression="invocations",
        ),
        Metric(
            "blocked_invocations",
            "Blocked",
            Aggregation.SUM,
            "Tool calls the gateway blocked by policy.",
            expression="blocked_invocations",
        ),
        Metric(
            "executed_invocations",
            "Executed",
            Aggregation.SUM,
            "Tool calls the gateway let through to the server.",
            expression="invocations - blocked_invocations",
        ),
        Metric(
            "failed_invocations",
            "Failed",
            Aggregation.SUM,
            "Executed tool calls that returned an error or timed out.",
            expression="failed_invocations",
        ),
        Metric(
            "total_duration_ms",
            "Total duration",
            Aggregation.SUM,
            "Time the executed calls took, added up, in milliseconds.",
            expression="total_duration_ms",
            unit="ms",
        ),
        Metric(
            "block_rate_pct",
            "Block rate",
            Aggregation.RATIO,
            "Blocked calls as a share of all calls, in percent.",
            numerator="blocked_invocations",
            denominator="invocations",
            scale=100.0,
            unit="percent",
            format="0.00",
        ),
        Metric(
            "failure_rate_pct",
            "Failure rate",
            Aggregation.RATIO,
            "Failed calls as a share of executed calls, in percent.",
            numerator="failed_invocations",
            denominator="executed_invocations",
            scale=100.0,
            unit="percent",
            format="0.00",
        ),
        Metric(
            "avg_duration_ms",
            "Mean duration",
            Aggregation.RATIO,
            "Mean duration of an executed call in milliseconds.",
            numerator="total_duration_ms",
            denominator="executed_invocations",
            unit="ms",
            format="#,##0",
        ),
        Metric(
            "max_p95_duration_ms",
            "Worst hourly P95 duration",
            Aggregation.MAX,
            "Highest hourly 95th percentile of call duration in milliseconds, because hourly "
            "percentiles cannot be combined into an exact percentile of a longer period.",
            expression="p95_duration_ms",
            unit="ms",
            format="#,##0",
        ),
        Metric(
            "distinct_tools",
            "Tools",
            Aggregation.COUNT_DISTINCT,
            "Distinct tools invoked, counting a tool name once per server.",
            expression="server_name || '/' || tool_name",
        ),
        Metric(
            "distinct_servers",
            "Servers",
            Aggregation.COUNT_DISTINCT,
            "Distinct MCP servers invoked.",
            expression="server_name",
        ),
        Metric(
            "distinct_agents",
            "Agents",
            Aggregation.COUNT_DISTINCT,
            "Distinct agent identities that invoked a tool.",
            expression="agent_id",
        ),
    ),
)
