"""The whitelisted sources. Each one is a table in the DuckDB warehouse.

More sources join this registry as the platform's telemetry is modelled; a report can only
reference sources, dimensions and metrics declared here.
"""

from __future__ import annotations

from reports_pipeline.semantic.model import (
    Aggregation,
    Dimension,
    FieldType,
    Metric,
    Source,
    TimeGrain,
)

ALL_GRAINS = tuple(TimeGrain)
DATE_GRAINS = tuple(g for g in TimeGrain if g is not TimeGrain.HOUR)

SEVERITIES = ("critical", "high", "medium", "low", "info")
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
REGIONS = ("amer", "emea", "apac")

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

GOVERNANCE_DAILY = Source(
    id="governance_daily",
    table="governance_daily",
    description=(
        "Unified daily governance outcomes per organisation, region and business unit: requests "
        "seen, blocked and flagged, the AI risk score (ARS), liability shielded, and the "
        "organisation's precomputed percentile among its peers."
    ),
    org_column="org_id",
    time_column="day",
    time_type=FieldType.DATE,
    time_grains=DATE_GRAINS,
    columns=(
        ("org_id", "VARCHAR"),
        ("day", "DATE"),
        ("region", "VARCHAR"),
        ("business_unit", "VARCHAR"),
        ("total_requests", "BIGINT"),
        ("blocked_requests", "BIGINT"),
        ("flagged_requests", "BIGINT"),
        ("policy_violations", "BIGINT"),
        ("governed_requests", "BIGINT"),
        ("ars_score", "DOUBLE"),
        ("liability_shielded_usd", "DECIMAL(18,2)"),
        ("peer_percentile", "DOUBLE"),
    ),
    dimensions=(
        Dimension("region", FieldType.ENUM, "Region", "Operating region.", allowed_values=REGIONS),
        Dimension("business_unit", FieldType.STRING, "Business unit", "Internal business unit."),
        Dimension("day", FieldType.DATE, "Day", "Calendar day of the outcome."),
    ),
    metrics=(
        Metric(
            "total_requests",
            "Requests",
            Aggregation.SUM,
            "AI requests seen by the governance layer.",
            expression="total_requests",
        ),
        Metric(
            "blocked_requests",
            "Blocked requests",
            Aggregation.SUM,
            "Requests blocked by policy.",
            expression="blocked_requests",
        ),
        Metric(
            "flagged_requests",
            "Flagged requests",
            Aggregation.SUM,
            "Requests allowed but flagged for review.",
            expression="flagged_requests",
        ),
        Metric(
            "policy_violations",
            "Policy violations",
            Aggregation.SUM,
            "Policy violations detected.",
            expression="policy_violations",
        ),
        Metric(
            "governed_requests",
            "Governed requests",
            Aggregation.SUM,
            "Requests that passed through a governance policy.",
            expression="governed_requests",
        ),
        Metric(
            "ars_score",
            "AI risk score",
            Aggregation.AVG,
            "Mean daily AI risk score, from 0 (no risk) to 1.",
            expression="ars_score",
            unit="score",
            format="0.00",
        ),
        Metric(
            "liability_shielded_usd",
            "Liability shielded",
            Aggregation.SUM,
            "Estimated liability avoided by blocked and remediated requests, in US dollars.",
            expression="liability_shielded_usd",
            unit="usd",
            format="$#,##0",
        ),
        Metric(
            "peer_percentile",
            "Peer percentile",
            Aggregation.AVG,
            "The organisation's governance percentile among its peers, precomputed per day.",
            expression="peer_percentile",
            unit="percentile",
            format="0",
        ),
        Metric(
            "block_rate_pct",
            "Block rate",
            Aggregation.RATIO,
            "Blocked requests as a share of all requests, in percent.",
            numerator="blocked_requests",
            denominator="total_requests",
            scale=100.0,
            unit="percent",
            format="0.00",
        ),
        Metric(
            "coverage_pct",
            "Governance coverage",
            Aggregation.RATIO,
            "Governed requests as a share of all requests, in percent.",
            numerator="governed_requests",
            denominator="total_requests",
            scale=100.0,
            unit="percent",
            format="0.0",
        ),
    ),
)

SOURCES: dict[str, Source] = {s.id: s for s in (MCP_ALERT_EVENTS, GOVERNANCE_DAILY)}


def get_source(source_id: str) -> Source | None:
    return SOURCES.get(source_id)
