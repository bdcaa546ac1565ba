"""Daily governance outcomes."""

from __future__ import annotations

from reports_pipeline.semantic.model import (
    Aggregation,
    Dimension,
    FieldType,
    Metric,
    Source,
)
from reports_pipeline.semantic.sources.common import DATE_GRAINS, REGIONS

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
