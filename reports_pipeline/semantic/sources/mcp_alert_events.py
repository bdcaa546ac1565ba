"""MCP security alerts."""

from __future__ import annotations

from reports_pipeline.semantic.model import (
    Aggregation,
    Dimension,
    FieldType,
    Metric,
    Source,
)
from reports_pipeline.semantic.sources.common import ALL_GRAINS, REGIONS, SEVERITIES

THREAT_SOURCES = (
    "prompt_injection",
    "tool_poisoning",
    "data_exfiltration",
    "credential_exposure",
    "policy_violation",
    "anomalous_usage",
    "rug_pull",
)
ALERT_STATUSES = ("open", "acknowledged", "resolved", "false_positive")

MCP_ALERT_EVENTS = Source(
    id="mcp_alert_events",
    table="mcp_alert_events",
    description=(
        "Security alerts raised on MCP tool traffic: one row per alert, with its severity, "
        "threat source, the server and tool involved, and its triage timeline."
    ),
    org_column="org_id",
    time_column="occurred_at",
    time_type=FieldType.TIMESTAMP,
    time_grains=ALL_GRAINS,
    columns=(
        ("org_id", "VARCHAR"),
        ("alert_id", "VARCHAR"),
        ("occurred_at", "TIMESTAMPTZ"),
        ("severity", "VARCHAR"),
        ("threat_source", "VARCHAR"),
        ("status", "VARCHAR"),
        ("region", "VARCHAR"),
        ("server_name", "VARCHAR"),
        ("tool_name", "VARCHAR"),
        ("agent_id", "VARCHAR"),
        ("acknowledged_at", "TIMESTAMPTZ"),
        ("resolved_at", "TIMESTAMPTZ"),
        ("blocked", "BOOLEAN"),
    ),
    dimensions=(
        Dimension(
            "severity", FieldType.ENUM, "Severity", "Alert severity.", allowed_values=SEVERITIES
        ),
        Dimension(
            "threat_source",
            FieldType.ENUM,
            "Threat source",
            "Detector family that raised the alert.",
            allowed_values=THREAT_SOURCES,
        ),
        Dimension(
            "status",
            FieldType.ENUM,
            "Status",
            "Triage status of the alert.",
            allowed_values=ALERT_STATUSES,
        ),
        Dimension(
            "region", FieldType.ENUM, "Region", "Region of the gateway.", allowed_values=REGIONS
        ),
        Dimension("server_name", FieldType.STRING, "MCP server", "MCP server the call went to."),
        Dimension("tool_name", FieldType.STRING, "Tool", "MCP tool that was invoked."),
        Dimension("agent_id", FieldType.STRING, "Agent", "Agent identity that made the call."),
        Dimension("blocked", FieldType.BOOLEAN, "Blocked", "Whether the gateway blocked the call."),
        Dimension("occurred_at", FieldType.TIMESTAMP, "Occurred at", "When the alert was raised."),
    ),
    metrics=(
        Metric("alert_count", "Alerts", Aggregation.COUNT, "Number of alerts."),
        Metric(
            "open_alert_count",
            "Open alerts",
            Aggregation.COUNT,
            "Alerts not yet resolved or dismissed.",
            condition="status IN ('open', 'acknowledged')",
        ),
        Metric(
            "blocked_alert_count",
            "Blocked",
            Aggregation.COUNT,
            "Alerts whose call the gateway blocked.",
            condition="blocked",
        ),
        Metric(
            "affected_agents",
            "Affected agents",
            Aggregation.COUNT_DISTINCT,
            "Distinct agent identities with at least one alert.",
            expression="agent_id",
        ),
        Metric(
            "mean_time_to_resolve_minutes",
            "Mean time to resolve",
            Aggregation.AVG,
            "Mean minutes from alert to resolution, over resolved alerts.",
            expression="date_diff('second', occurred_at, resolved_at) / 60.0",
            condition="resolved_at IS NOT NULL",
            unit="minutes",
            format="#,##0.0",
        ),
        Metric(
            "p90_time_to_acknowledge_minutes",
            "P90 time to acknowledge",
            Aggregation.PERCENTILE,
            "90th percentile of minutes from alert to acknowledgement.",
            expression="date_diff('second', occurred_at, acknowledged_at) / 60.0",
            condition="acknowledged_at IS NOT NULL",
            percentile=0.9,
            unit="minutes",
            format="#,##0.0",
        ),
        Metric(
            "block_rate_pct",
            "Block rate",
            Aggregation.RATIO,
            "Share of alerts whose call was blocked, in percent.",
            numerator="blocked_alert_count",
            denominator="alert_count",
            scale=100.0,
            unit="percent",
            format="0.0",
        ),
    ),
)
