"""Demo weekly ROI snapshots: one row per week ending on a Sunday and business unit.

The statement walks every day of the history for each business unit and keeps the Sundays, so
`$rows` counts candidate days times business units and the table gets about a seventh of them.
Value grows as the programme matures: each organisation started it a different number of weeks
before the history begins, and the value per dollar follows a saturating adoption curve. Cost
scale, loaded hourly rate, effectiveness and peer group all derive from `hash($org)`.
"""

from __future__ import annotations

from reports_pipeline.semantic.sources.roi_snapshots import ROI_SNAPSHOTS
from reports_pipeline.warehouse.generators import Generator
from reports_pipeline.warehouse.generators import field_hash as _hash


def _uniform(field: str) -> str:
    """Return the SQL of a deterministic per-row value in [0, 1)."""
    return f"({_hash(field)} % 10000) / 10000.0"


SQL = f"""
INSERT INTO staging
SELECT
    $org AS org_id,
    snapshot_date,
    business_unit,
    peer_group,
    program_cost_usd,
    hours_saved,
    labor_savings_usd,
    risk_avoided_usd,
    productivity_gain_usd,
    labor_savings_usd + risk_avoided_usd + productivity_gain_usd AS total_value_usd,
    round(roi, 2) AS roi_pct,
    -- The percentile follows how far this ROI is above or below the peer median.
    round(greatest(1.0, least(99.0, 100.0 / (1.0 + exp(-(roi - peer_median_roi) / 60.0)))), 1)
        AS peer_percentile,
    round(peer_median_roi, 2) AS peer_median_roi_pct
FROM (
    SELECT
        *,
        CAST(
            (labor_savings_usd + risk_avoided_usd + productivity_gain_usd - program_cost_usd)
                * 100.0 / program_cost_usd
            AS DOUBLE
        ) AS roi
    FROM (
        SELECT
            snapshot_date,
            ['finance', 'engineering', 'legal'][1 + unit] AS business_unit,
            ['financial_services', 'healthcare', 'technology', 'retail', 'manufacturing',
             'public_sector'][1 + peer_group_index] AS peer_group,
            CAST(cost AS DECIMAL(18, 2)) AS program_cost_usd,
            round(hours, 1) AS hours_saved,
            CAST(round(hours, 1) * hourly_rate AS DECIMAL(18, 2)) AS labor_savings_usd,
            -- Risk avoided is lumpy: a week may or may not include a costly near miss.
            CAST(cost * value_per_dollar * (0.5 + {_uniform("risk")} * 0.8) AS DECIMAL(18, 2))
                AS risk_avoided_usd,
            CAST(
                cost * value_per_dollar * (0.45 + {_uniform("productivity")} * 0.3)
                AS DECIMAL(18, 2)
            ) AS productivity_gain_usd,
            -- Each peer group has its own median ROI, which drifts up a little over time.
            [140, 95, 160, 85, 100, 70][1 + peer_group_index]
                + 10 * (1 - days_back / $days) + ({_uniform("peer_median")} - 0.5) * 8
                AS peer_median_roi
        FROM (
            SELECT
                *,
                -- Hours saved, valued at the loaded hourly rate, make up the labour savings.
                cost * value_per_dollar * (0.9 + {_uniform("hours")} * 0.2) / hourly_rate AS hours
            FROM (
                SELECT
                    *,
                    -- Weekly cost: organisation size times the business unit's share, with
                    -- small week-to-week variation in usage-based fees.
                    (6000 + hash($org) % 14000) * [1.2, 1.0, 0.8][1 + unit]
                        * (0.95 + {_uniform("cost")} * 0.1) AS cost,
                    65 + CAST(hash($org) // 7 % 56 AS INTEGER) AS hourly_rate,
                    -- Value per dollar of cost: organisation effectiveness (0.7 to 1.5) times
                    -- adoption, which saturates with the programme's age in weeks.
                    (0.7 + (hash($org) // 100 % 80) / 100.0)
                        * (1 - exp(-(hash($org) // 10000 % 40 + ($days - days_back) / 7.0) / 20))
                        AS value_per_dollar,
                    CAST(hash($org) // 1000000 % 6 AS INTEGER) AS peer_group_index
                FROM (
                    SELECT
                        i,
                        CAST(1 + i // 3 AS INTEGER) AS days_back,
                        CAST($end AS DATE) - CAST(1 + i // 3 AS INTEGER) AS snapshot_date,
                        CAST(i % 3 AS INTEGER) AS unit
                    FROM range(CAST($rows AS BIGINT)) AS r(i)
                )
                WHERE isodow(snapshot_date) = 7
            )
        )
    )
)
"""

GENERATOR = Generator(source=ROI_SNAPSHOTS, sql=SQL, rows_per_day=3, scalable=False)
