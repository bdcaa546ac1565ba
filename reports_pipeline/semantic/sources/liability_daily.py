"""Daily AI liability and value at risk."""

from __future__ import annotations

from reports_pipeline.semantic.model import (
    Aggregation,
    Dimension,
    FieldType,
    Metric,
    Source,
)
from reports_pipeline.semantic.sources.common import DATE_GRAINS

RISK_CATEGORIES = (
    "privacy",
    "ip_infringement",
    "bias_discrimination",
    "security",
    "regulatory",
    "hallucination",
)
JURISDICTIONS = ("us", "eu", "uk", "apac")

LIABILITY_DAILY = Source(
    id="liability_daily",
    table="liability_daily",
    description=(
        "Daily AI liability per business unit and risk category: incidents the governance "
        "layer prevented, the liability they would have caused, the one-day value at risk and "
        "expected loss of the remaining exposure, and the use of the self-insured retention "
        "(SIR) allocated to that business unit and category."
    ),
    org_column="org_id",
    time_column="day",
    time_type=FieldType.DATE,
    time_grains=DATE_GRAINS,
    columns=(
        ("org_id", "VARCHAR"),
        ("day", "DATE"),
        ("business_unit", "VARCHAR"),
        ("risk_category", "VARCHAR"),
        ("jurisdiction", "VARCHAR"),
        ("incidents_prevented", "BIGINT"),
        ("liability_shielded_usd", "DECIMAL(18,2)"),
        ("value_at_risk_usd", "DECIMAL(18,2)"),
        ("expected_loss_usd", "DECIMAL(18,2)"),
        ("sir_limit_usd", "DECIMAL(18,2)"),
        ("sir_used_usd", "DECIMAL(18,2)"),
    ),
    dimensions=(
        Dimension("business_unit", FieldType.STRING, "Business unit", "Internal business unit."),
        Dimension(
            "risk_category",
            FieldType.ENUM,
            "Risk category",
            "Kind of harm the exposure could cause.",
            allowed_values=RISK_CATEGORIES,
        ),
        Dimension(
            "jurisdiction",
            FieldType.ENUM,
            "Jurisdiction",
            "Legal jurisdiction of the business unit's entity, whose law sets the exposure.",
            allowed_values=JURISDICTIONS,
        ),
        Dimension("day", FieldType.DATE, "Day", "Calendar day of the assessment."),
    ),
    metrics=(
        Metric(
            "incidents_prevented",
            "Incidents prevented",
            Aggregation.SUM,
            "Harmful AI outcomes the governance layer blocked or remediated.",
            expression="incidents_prevented",
        ),
        Metric(
            "liability_shielded_usd",
            "Liability shielded",
            Aggregation.SUM,
            "Estimated liability the prevented incidents would have caused, in US dollars.",
            expression="liability_shielded_usd",
            unit="usd",
            format="$#,##0",
        ),
        Metric(
            "value_at_risk_usd",
            "Value at risk",
            Aggregation.SUM,
            "Sum of the 95% one-day values at risk in US dollars, which overstates the combined "
            "risk because a plain sum ignores diversification.",
            expression="value_at_risk_usd",
            unit="usd",
            format="$#,##0",
        ),
        Metric(
            "max_value_at_risk_usd",
            "Peak value at risk",
            Aggregation.MAX,
            "Largest one-day value at risk of a single business unit and risk category, in US "
            "dollars.",
            expression="value_at_risk_usd",
            unit="usd",
            format="$#,##0",
        ),
        Metric(
            "days",
            "Days",
            Aggregation.COUNT_DISTINCT,
            "Distinct days with an assessment.",
            expression="day",
            unit="days",
        ),
        Metric(
            "avg_daily_value_at_risk_usd",
            "Average daily value at risk",
            Aggregation.RATIO,
            "Value at risk summed over each day's rows and averaged over the days, in US dollars.",
            numerator="value_at_risk_usd",
            denominator="days",
            unit="usd",
            format="$#,##0",
        ),
        Metric(
            "expected_loss_usd",
            "Expected loss",
            Aggregation.SUM,
            "Probability-weighted loss expected from the remaining exposure, in US dollars.",
            expression="expected_loss_usd",
            unit="usd",
            format="$#,##0",
        ),
        Metric(
            "sir_limit_usd",
            "SIR allocated",
            Aggregation.SUM,
            "Self-insured retention allocated to the days covered, accrued daily at 1/365 of "
            "each business unit's and risk category's annual allocation, in US dollars.",
            expression="sir_limit_usd",
            unit="usd",
            format="$#,##0",
        ),
        Metric(
            "sir_used_usd",
            "SIR used",
            Aggregation.SUM,
            "Losses retained within the self-insured retention, in US dollars.",
            expression="sir_used_usd",
            unit="usd",
            format="$#,##0",
        ),
        Metric(
            "sir_utilisation_pct",
            "SIR utilisation",
            Aggregation.RATIO,
            "Retained losses as a share of the self-insured retention allocated, in percent.",
            numerator="sir_used_usd",
            denominator="sir_limit_usd",
            scale=100.0,
            unit="percent",
            format="0.0",
        ),
    ),
)
