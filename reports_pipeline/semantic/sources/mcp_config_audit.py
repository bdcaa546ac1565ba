"""Changes to MCP server configurations and their policy checks."""

from __future__ import annotations

from reports_pipeline.semantic.model import (
    Aggregation,
    Dimension,
    FieldType,
    Metric,
    Source,
)
from reports_pipeline.semantic.sources.common import ALL_GRAINS

CHANGE_TYPES = (
    "server_added",
    "server_removed",
    "tool_added",
    "tool_removed",
    "permission_changed",
    "description_changed",
    "version_pinned",
)
RISK_LEVELS = ("critical", "high", "medium", "low")
ACTOR_TYPES = ("human", "service_account", "agent", "upstream")
ENVIRONMENTS = ("production", "staging", "development")

MCP_CONFIG_AUDIT = Source(
    id="mcp_config_audit",
    table="mcp_config_audit",
    description=(
        "Audit trail of MCP server configuration changes: one row per change, with who made "
        "it, whether it was approved, its risk, and whether it was drift from the approved "
        "configuration or broke policy."
    ),
    org_column="org_id",
    time_column="changed_at",
    time_type=FieldType.TIMESTAMP,
    time_grains=ALL_GRAINS,
    columns=(
        ("org_id", "VARCHAR"),
        ("change_id", "VARCHAR"),
        ("changed_at", "TIMESTAMPTZ"),
        ("server_name", "VARCHAR"),
        ("tool_name", "VARCHAR"),
        ("change_type", "VARCHAR"),
        ("environment", "VARCHAR"),
        ("actor", "VARCHAR"),
        ("actor_type", "VARCHAR"),
        ("approved", "BOOLEAN"),
        ("risk_level", "VARCHAR"),
        ("drift_detected", "BOOLEAN"),
        ("policy_compliant", "BOOLEAN"),
    ),
    dimensions=(
        Dimension("change_id", FieldType.STRING, "Change", "Audit id of the change."),
        Dimension("server_name", FieldType.STRING, "MCP server", "MCP server that changed."),
        Dimension(
            "tool_name",
            FieldType.STRING,
            "Tool",
            "Tool the change applies to, empty for changes to the whole server.",
        ),
        Dimension(
            "change_type",
            FieldType.ENUM,
            "Change type",
            "What changed in the server's configuration.",
            allowed_values=CHANGE_TYPES,
        ),
        Dimension(
            "environment",
            FieldType.ENUM,
            "Environment",
            "Deployment environment whose configuration changed.",
            allowed_values=ENVIRONMENTS,
        ),
        Dimension(
            "actor",
            FieldType.STRING,
            "Actor",
            "User, service account, agent or server publisher that made the change.",
        ),
        Dimension(
            "actor_type",
            FieldType.ENUM,
            "Actor type",
            "Kind of actor, where upstream means the server's publisher changed it outside "
            "the organisation's control.",
            allowed_values=ACTOR_TYPES,
        ),
        Dimension(
            "approved",
            FieldType.BOOLEAN,
            "Approved",
            "Whether the change went through an approved change request.",
        ),
        Dimension(
            "risk_level",
            FieldType.ENUM,
            "Risk level",
            "Risk the policy engine assigned to the change.",
            allowed_values=RISK_LEVELS,
        ),
        Dimension(
            "drift_detected",
            FieldType.BOOLEAN,
            "Drift",
            "Whether the change was found by comparing the running server with its approved "
            "configuration rather than made through it.",
        ),
        Dimension(
            "policy_compliant",
            FieldType.BOOLEAN,
            "Policy compliant",
            "Whether the resulting configuration passed every configuration policy.",
        ),
        Dimension("changed_at", FieldType.TIMESTAMP, "Changed at", "When the change happened."),
    ),
    metrics=(
        Metric("change_count", "Changes", Aggregation.COUNT, "Number of configuration changes."),
        Metric(
            "unapproved_change_count",
            "Unapproved changes",
            Aggregation.COUNT,
            "Changes made without an approved change request.",
            condition="NOT approved",
        ),
        Metric(
            "drift_count",
            "Drift",
            Aggregation.COUNT,
            "Changes found as drift from the approved configuration.",
            condition="drift_detected",
        ),
        Metric(
            "high_risk_change_count",
            "High-risk changes",
            Aggregation.COUNT,
            "Changes rated critical or high risk.",
            condition="risk_level IN ('critical', 'high')",
        ),
        Metric(
            "compliant_change_count",
            "Compliant changes",
            Aggregation.COUNT,
            "Changes whose resulting configuration passed every policy.",
            condition="policy_compliant",
        ),
        Metric(
            "non_compliant_change_count",
            "Non-compliant changes",
            Aggregation.COUNT,
            "Changes whose resulting configuration broke at least one policy.",
            condition="NOT policy_compliant",
        ),
        Metric(
            "compliance_rate_pct",
            "Compliance rate",
            Aggregation.RATIO,
            "Compliant changes as a share of all changes, in percent.",
            numerator="compliant_change_count",
            denominator="change_count",
            scale=100.0,
            unit="percent",
            format="0.0",
        ),
        Metric(
            "unapproved_rate_pct",
            "Unapproved rate",
            Aggregation.RATIO,
            "Unapproved changes as a share of all changes, in percent.",
            numerator="unapproved_change_count",
            denominator="change_count",
            scale=100.0,
            unit="percent",
            format="0.0",
        ),
        Metric(
            "distinct_servers",
            "Servers changed",
            Aggregation.COUNT_DISTINCT,
            "Distinct MCP servers with at least one change.",
            expression="server_name",
        ),
        Metric(
            "distinct_actors",
            "Actors",
            Aggregation.COUNT_DISTINCT,
            "Distinct actors that made at least one change.",
            expression="actor",
        ),
    ),
)
