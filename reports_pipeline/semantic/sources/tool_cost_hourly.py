"""Hourly cost of billable MCP tools against their budgets."""

from __future__ import annotations

from reports_pipeline.semantic.model import (
    Aggregation,
    Dimension,
    FieldType,
    Metric,
    Source,
)
from reports_pipeline.semantic.sources.common import ALL_GRAINS, REGIONS

TOOL_TYPES = ("llm_call", "api_call", "compute", "storage", "search")

TOOL_COST_HOURLY = Source(
    id="tool_cost_hourly",
    table="tool_cost_hourly",
    description=(
        "Cost of billable MCP tools per hour: one row per hour and billing line (a tool charged "
        "to a cost centre in a region), with the calls made, what they cost and the line's "
        "budget for that hour."
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
        ("tool_type", "VARCHAR"),
        ("cost_center", "VARCHAR"),
        ("region", "VARCHAR"),
        ("invocations", "BIGINT"),
        ("cost_usd", "DECIMAL(18,6)"),
        ("budget_usd", "DECIMAL(18,6)"),
    ),
    dimensions=(
        Dimension("server_name", FieldType.STRING, "MCP server", "MCP server that hosts the tool."),
        Dimension("tool_name", FieldType.STRING, "Tool", "Billable MCP tool."),
        Dimension(
            "tool_type",
            FieldType.ENUM,
            "Tool type",
            "What the tool's cost pays for.",
            allowed_values=TOOL_TYPES,
        ),
        Dimension(
            "cost_center", FieldType.STRING, "Cost centre", "Cost centre the line is charged to."
        ),
        Dimension(
            "region", FieldType.ENUM, "Region", "Region of the gateway.", allowed_values=REGIONS
        ),
        Dimension("hour", FieldType.TIMESTAMP, "Hour", "Start of the hour, on the hour in UTC."),
    ),
    metrics=(
        Metric(
            "cost_usd",
            "Cost",
            Aggregation.SUM,
            "Cost of the tool calls in US dollars.",
            expression="cost_usd",
            unit="usd",
            format="$#,##0.00",
        ),
        Metric(
            "invocations",
            "Invocations",
            Aggregation.SUM,
            "Billable tool calls.",
            expression="invocations",
        ),
        Metric(
            "budget_usd",
            "Budget",
            Aggregation.SUM,
            "Budget of the billing lines in US dollars: each line's budget spread evenly over "
            "its hours.",
            expression="budget_usd",
            unit="usd",
            format="$#,##0.00",
        ),
        Metric(
            "over_budget_hours",
            "Hours over budget",
            Aggregation.COUNT,
            "Billing-line hours whose cost exceeded that hour's budget.",
            condition="cost_usd > budget_usd",
        ),
        Metric(
            "cost_per_invocation_usd",
            "Cost per call",
            Aggregation.RATIO,
            "Mean cost of a tool call in US dollars.",
            numerator="cost_usd",
            denominator="invocations",
            unit="usd",
            format="$#,##0.0000",
        ),
        Metric(
            "budget_utilisation_pct",
            "Budget utilisation",
            Aggregation.RATIO,
            "Cost as a share of budget in percent, where above 100 means over budget.",
            numerator="cost_usd",
            denominator="budget_usd",
            scale=100.0,
            unit="percent",
            format="0.0",
        ),
        Metric(
            "distinct_tools",
            "Tools",
            Aggregation.COUNT_DISTINCT,
            "Distinct billable tools, counting a tool name once per server.",
            expression="server_name || '/' || tool_name",
        ),
        Metric(
            "distinct_cost_centers",
            "Cost centres",
            Aggregation.COUNT_DISTINCT,
            "Distinct cost centres charged.",
            expression="cost_center",
        ),
    ),
)
