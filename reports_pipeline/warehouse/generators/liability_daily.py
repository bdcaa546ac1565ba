"""Demo daily liability: one row per day, business unit and risk category.

Each organisation has its own exposure scale, annual self-insured retention (SIR) and a home
jurisdiction per business unit, all derived from `hash($org)`. Incidents drop at weekends,
value at risk falls slowly as the programme matures, and retained losses never exceed a row's
daily SIR allocation.
"""

from __future__ import annotations

from reports_pipeline.semantic.sources.liability_daily import LIABILITY_DAILY
from reports_pipeline.warehouse.generators import Generator
from reports_pipeline.warehouse.generators import field_hash as _hash


def _uniform(field: str) -> str:
    """Return the SQL of a deterministic per-row value in [0, 1)."""
    return f"({_hash(field)} % 10000) / 10000.0"


# Per risk category, in the order of RISK_CATEGORIES. The lists give the prevented incidents a
# day in a business unit of scale 1, the liability per prevented incident (USD), the one-day
# value at risk (USD) and the category's share of the annual SIR.
_INCIDENTS = "[6, 2, 1, 4, 2, 12]"
_COST_PER_INCIDENT = "[2000, 3500, 5000, 6000, 4000, 500]"
_VALUE_AT_RISK = "[60000, 40000, 30000, 90000, 70000, 20000]"
_SIR_SHARE = "[0.22, 0.12, 0.10, 0.28, 0.20, 0.08]"

SQL = f"""
INSERT INTO staging
SELECT
    $org AS org_id,
    day,
    ['finance', 'engineering', 'legal'][1 + unit] AS business_unit,
    ['privacy', 'ip_infringement', 'bias_discrimination', 'security', 'regulatory',
     'hallucination'][1 + category] AS risk_category,
    ['us', 'eu', 'uk', 'apac'][1 + jurisdiction] AS jurisdiction,
    incidents AS incidents_prevented,
    CAST(
        incidents * {_COST_PER_INCIDENT}[1 + category] * legal_factor
            * (0.6 + {_uniform("shielded")} * 0.8)
        AS DECIMAL(18, 2)
    ) AS liability_shielded_usd,
    CAST(value_at_risk AS DECIMAL(18, 2)) AS value_at_risk_usd,
    CAST(expected_loss AS DECIMAL(18, 2)) AS expected_loss_usd,
    CAST(sir_limit AS DECIMAL(18, 2)) AS sir_limit_usd,
    -- Many days retain no loss. On the others, retained losses scatter around the expected
    -- loss but never exceed the day's allocation, so SIR utilisation stays within 0..100%.
    CAST(
        CASE
            WHEN {_uniform("sir_day")} < quiet_share THEN 0
            ELSE least(sir_limit, expected_loss * (0.5 + {_uniform("sir_used")} * 2.5))
        END
        AS DECIMAL(18, 2)
    ) AS sir_used_usd
FROM (
    SELECT
        *,
        value_at_risk * (0.005 + {_uniform("expected")} * 0.01) AS expected_loss
    FROM (
        SELECT
            *,
            CAST(
                floor(
                    {_INCIDENTS}[1 + category] * scale
                        * CASE WHEN isodow(day) >= 6 THEN 0.35 ELSE 1.0 END
                        * (0.4 + {_uniform("incidents")} * 1.2)
                )
                AS BIGINT
            ) AS incidents,
            -- Exposure falls by up to a tenth over the history as controls mature.
            {_VALUE_AT_RISK}[1 + category] * scale * legal_factor
                * (0.9 + 0.1 * days_back / $days) * (0.85 + {_uniform("var")} * 0.3)
                AS value_at_risk,
            sir_annual * {_SIR_SHARE}[1 + category] * [0.45, 0.35, 0.20][1 + unit] / 365
                AS sir_limit
        FROM (
            SELECT
                *,
                CAST($end AS DATE) - days_back AS day,
                -- Fines and litigation costs are highest in the EU and the US.
                [1.2, 1.3, 1.1, 0.8][1 + jurisdiction] AS legal_factor,
                -- Organisation size (0.5 to 1.5) times the business unit's share of AI use.
                (0.5 + (hash($org) % 100) / 100.0) * [1.2, 1.0, 0.6][1 + unit] AS scale,
                1000000 + (hash($org) // 100 % 40) * 100000 AS sir_annual,
                0.20 + (hash($org) // 4000 % 30) / 100.0 AS quiet_share
            FROM (
                SELECT
                    i,
                    CAST(1 + i // 18 AS INTEGER) AS days_back,
                    CAST((i % 18) // 6 AS INTEGER) AS unit,
                    CAST(i % 6 AS INTEGER) AS category,
                    -- Each business unit has one home jurisdiction in each organisation.
                    CAST((hash($org) % 4 + (i % 18) // 6) % 4 AS INTEGER) AS jurisdiction
                FROM range(CAST($rows AS BIGINT)) AS r(i)
            )
        )
    )
)
"""

GENERATOR = Generator(source=LIABILITY_DAILY, sql=SQL, rows_per_day=18, scalable=False)
