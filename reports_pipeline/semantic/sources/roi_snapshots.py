"""Weekly return-on-investment snapshots of the governance programme."""

from __future__ import annotations

from reports_pipeline.semantic.model import (
    Aggregation,
    Dimension,
    FieldType,
    Metric,
    Source,
    TimeGrain,
)
from reports_pipeline.semantic.sources.common import DATE_GRAINS

PEER_GROUPS = (
    "financial_services",
    "healthcare",
    "technology",
    "retail",
    "manufacturing",
    "public_sector",
)
# One snapshot a week: a day bucket would hold one snapshot or none.
WEEKLY_GRAINS = tuple(g for g in DATE_GRAINS if g is not TimeGrain.DAY)

ROI_SNAPSHOTS = Source(
    id="roi_snapshots",
    table="roi_snapshots",
    description=(
        "Weekly return-on-investment snapshots of the AI-governance programme per business "
        "unit: the week's programme cost, the value it created as labour savings, risk avoided "
        "and productivity gain, and its standing among peer organisations. The platform "
        "precomputes the peer percentile and peer median ROI for each organisation, so a "
        "report over this source never reads another tenant's rows."
    ),
    org_column="org_id",
    time_column="snapshot_date",
    time_type=FieldType.DATE,
    time_grains=WEEKLY_GRAINS,
    columns=(
        ("org_id", "VARCHAR"),
        ("snapshot_date", "DATE"),
        ("business_unit", "VARCHAR"),
        ("peer_group", "VARCHAR"),
        ("program_cost_usd", "DECIMAL(18,2)"),
        ("hours_saved", "DOUBLE"),
        ("labor_savings_usd", "DECIMAL(18,2)"),
        ("risk_avoided_usd", "DECIMAL(18,2)"),
        ("productivity_gain_usd", "DECIMAL(18,2)"),
        ("total_value_usd", "DECIMAL(18,2)"),
        ("roi_pct", "DOUBLE"),
        ("peer_percentile", "DOUBLE"),
        ("peer_median_roi_pct", "DOUBLE"),
    ),
    dimensions=(
        Dimension("business_unit", FieldType.STRING, "Business unit", "Internal business unit."),
        Dimension(
            "peer_group",
            FieldType.ENUM,
            "Peer group",
            "Industry cohort the peer figures compare the organisation with.",
            allowed_values=PEER_GROUPS,
        ),
        Dimension(
            "snapshot_date",
            FieldType.DATE,
            "Week ending",
            "Last day (Sunday) of the week the snapshot covers.",
        ),
    ),
    metrics=(
        Metric(
            "total_value_usd",
            "Total value",
            Aggregation.SUM,
            "Labour savings, risk avoided and productivity gain together, in US dollars.",
            expression="total_value_usd",
            unit="usd",
            format="$#,##0",
        ),
        Metric(
            "program_cost_usd",
            "Programme cost",
            Aggregation.SUM,
            "Cost of the governance programme (licences, staff and infrastructure), in US dollars.",
            expression="program_cost_usd",
            unit="usd",
            format="$#,##0",
        ),
        Metric(
            "net_value_usd",
            "Net value",
            Aggregation.SUM,
            "Total value minus programme cost, in US dollars.",
            expression="total_value_usd - program_cost_usd",
            unit="usd",
            format="$#,##0",
        ),
        Metric(
            "roi_pct",
            "ROI",
            Aggregation.RATIO,
            "Net value as a share of programme cost, in percent, which is negative while the "
            "programme costs more than it returns.",
            numerator="net_value_usd",
            denominator="program_cost_usd",
            scale=100.0,
            unit="percent",
            format="0.0",
        ),
        Metric(
            "hours_saved",
            "Hours saved",
            Aggregation.SUM,
            "Staff hours that automated reviews and controls saved.",
            expression="hours_saved",
            unit="hours",
            format="#,##0",
        ),
        Metric(
            "labor_savings_usd",
            "Labour savings",
            Aggregation.SUM,
            "Hours saved valued at the organisation's loaded hourly rate, in US dollars.",
            expression="labor_savings_usd",
            unit="usd",
            format="$#,##0",
        ),
        Metric(
            "risk_avoided_usd",
            "Risk avoided",
            Aggregation.SUM,
            "Reduction in expected losses credited to the programme, in US dollars.",
            expression="risk_avoided_usd",
            unit="usd",
            format="$#,##0",
        ),
        Metric(
            "productivity_gain_usd",
            "Productivity gain",
            Aggregation.SUM,
            "Value of faster, safely approved AI use, in US dollars.",
            expression="productivity_gain_usd",
            unit="usd",
            format="$#,##0",
        ),
        Metric(
            "avg_peer_percentile",
            "Peer percentile",
            Aggregation.AVG,
            "Mean percentile of the weekly ROI among peer organisations' business units, "
            "precomputed by the platform.",
            expression="peer_percentile",
            unit="percentile",
            format="0",
        ),
        Metric(
            "avg_peer_median_roi_pct",
            "Peer median ROI",
            Aggregation.AVG,
            "Mean of the peer group's weekly median ROI, in percent, precomputed by the platform.",
            expression="peer_median_roi_pct",
            unit="percent",
            format="0.0",
        ),
    ),
)
