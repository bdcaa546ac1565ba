"""Daily inventory of non-human identities."""

from __future__ import annotations

from reports_pipeline.semantic.model import (
    Aggregation,
    Dimension,
    FieldType,
    Metric,
    Source,
)
from reports_pipeline.semantic.sources.common import DATE_GRAINS

IDENTITY_TYPES = ("service_account", "api_key", "agent", "oauth_app", "bot")
PRIVILEGE_LEVELS = ("admin", "write", "read")
PLATFORMS = ("aws", "azure", "gcp", "github", "slack", "salesforce", "okta", "internal")

NHI_DAILY = Source(
    id="nhi_daily",
    table="nhi_daily",
    description=(
        "Daily snapshot of non-human identities (service accounts, API keys, agent identities, "
        "OAuth apps and bots): one row per identity and day, with its owner, privileges, "
        "credential age, use that day and hygiene findings."
    ),
    org_column="org_id",
    time_column="day",
    time_type=FieldType.DATE,
    time_grains=DATE_GRAINS,
    columns=(
        ("org_id", "VARCHAR"),
        ("day", "DATE"),
        ("identity_id", "VARCHAR"),
        ("identity_type", "VARCHAR"),
        ("platform", "VARCHAR"),
        ("owner_team", "VARCHAR"),
        ("privilege_level", "VARCHAR"),
        ("days_since_rotation", "INTEGER"),
        ("days_since_last_use", "INTEGER"),
        ("is_stale", "BOOLEAN"),
        ("rotation_overdue", "BOOLEAN"),
        ("is_orphaned", "BOOLEAN"),
        ("over_privileged", "BOOLEAN"),
        ("active", "BOOLEAN"),
        ("requests", "BIGINT"),
    ),
    dimensions=(
        Dimension("identity_id", FieldType.STRING, "Identity", "Id of the non-human identity."),
        Dimension(
            "identity_type",
            FieldType.ENUM,
            "Identity type",
            "Kind of non-human identity.",
            allowed_values=IDENTITY_TYPES,
        ),
        Dimension(
            "platform",
            FieldType.ENUM,
            "Platform",
            "System that issues the identity, where internal means the governance platform.",
            allowed_values=PLATFORMS,
        ),
        Dimension(
            "owner_team",
            FieldType.STRING,
            "Owner team",
            "Team accountable for the identity, empty once the identity is orphaned.",
        ),
        Dimension(
            "privilege_level",
            FieldType.ENUM,
            "Privilege level",
            "Highest permission the identity holds.",
            allowed_values=PRIVILEGE_LEVELS,
        ),
        Dimension(
            "days_since_rotation",
            FieldType.INTEGER,
            "Days since rotation",
            "Days since the identity's credential was last rotated or, if never, issued.",
        ),
        Dimension(
            "days_since_last_use",
            FieldType.INTEGER,
            "Days since last use",
            "Days since the identity last made a request or, if it never has, was created.",
        ),
        Dimension(
            "is_stale",
            FieldType.BOOLEAN,
            "Stale",
            "Whether the identity has made no request for 90 days or more.",
        ),
        Dimension(
            "rotation_overdue",
            FieldType.BOOLEAN,
            "Rotation overdue",
            "Whether the credential is more than 90 days past its last rotation.",
        ),
        Dimension(
            "is_orphaned",
            FieldType.BOOLEAN,
            "Orphaned",
            "Whether the identity's owner has left and no team owns it.",
        ),
        Dimension(
            "over_privileged",
            FieldType.BOOLEAN,
            "Over-privileged",
            "Whether the identity holds permissions it has not used in the last 90 days.",
        ),
        Dimension(
            "active", FieldType.BOOLEAN, "Active", "Whether the identity made a request that day."
        ),
        Dimension("day", FieldType.DATE, "Day", "Calendar day of the snapshot."),
    ),
    metrics=(
        Metric(
            "identities",
            "Identities",
            Aggregation.COUNT_DISTINCT,
            "Distinct identities present on at least one day of the period.",
            expression="identity_id",
        ),
        Metric(
            "active_identities",
            "Active identities",
            Aggregation.COUNT_DISTINCT,
            "Distinct identities that made a request on at least one day of the period.",
            expression="identity_id",
            condition="active",
        ),
        Metric(
            "stale_identities",
            "Stale identities",
            Aggregation.COUNT_DISTINCT,
            "Distinct identities stale on at least one day of the period.",
            expression="identity_id",
            condition="is_stale",
        ),
        Metric(
            "orphaned_identities",
            "Orphaned identities",
            Aggregation.COUNT_DISTINCT,
            "Distinct identities orphaned on at least one day of the period.",
            expression="identity_id",
            condition="is_orphaned",
        ),
        Metric(
            "over_privileged_identities",
            "Over-privileged identities",
            Aggregation.COUNT_DISTINCT,
            "Distinct identities over-privileged on at least one day of the period.",
            expression="identity_id",
            condition="over_privileged",
        ),
        Metric(
            "rotation_overdue_identities",
            "Rotation overdue",
            Aggregation.COUNT_DISTINCT,
            "Distinct identities overdue for rotation on at least one day of the period.",
            expression="identity_id",
            condition="rotation_overdue",
        ),
        Metric(
            "stale_share_pct",
            "Stale share",
            Aggregation.RATIO,
            "Stale identities as a share of all identities, in percent.",
            numerator="stale_identities",
            denominator="identities",
            scale=100.0,
            unit="percent",
            format="0.0",
        ),
        Metric(
            "over_privileged_share_pct",
            "Over-privileged share",
            Aggregation.RATIO,
            "Over-privileged identities as a share of all identities, in percent.",
            numerator="over_privileged_identities",
            denominator="identities",
            scale=100.0,
            unit="percent",
            format="0.0",
        ),
        Metric(
            "avg_days_since_rotation",
            "Mean days since rotation",
            Aggregation.AVG,
            "Mean credential age since the last rotation, over identity-days.",
            expression="days_since_rotation",
            unit="days",
            format="#,##0.0",
        ),
        Metric(
            "p90_days_since_rotation",
            "P90 days since rotation",
            Aggregation.PERCENTILE,
            "90th percentile of credential age since the last rotation, over identity-days.",
            expression="days_since_rotation",
            percentile=0.9,
            unit="days",
            format="#,##0",
        ),
        Metric(
            "requests",
            "Requests",
            Aggregation.SUM,
            "Requests the identities made.",
            expression="requests",
        ),
    ),
)
