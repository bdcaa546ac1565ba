"""Demo daily governance outcomes: one row per day, region and business unit."""

from __future__ import annotations

from reports_pipeline.semantic.sources.governance_daily import GOVERNANCE_DAILY
from reports_pipeline.warehouse.generators import Generator
from reports_pipeline.warehouse.generators import field_hash as _hash

SQL = f"""
INSERT INTO staging
SELECT
    $org AS org_id,
    day,
    region,
    business_unit,
    total AS total_requests,
    CAST(total * (0.02 + ({_hash("blocked")} % 60) / 1000.0) AS BIGINT) AS blocked_requests,
    CAST(total * (0.01 + ({_hash("flagged")} % 40) / 1000.0) AS BIGINT) AS flagged_requests,
    CAST({_hash("violations")} % 40 AS BIGINT) AS policy_violations,
    CAST(total * (0.80 + ({_hash("governed")} % 200) / 1000.0) AS BIGINT) AS governed_requests,
    round(0.55 + ({_hash("ars")} % 4000) / 10000.0, 4) AS ars_score,
    CAST(({_hash("liability")} % 2500000) / 100.0 + 500 AS DECIMAL(18, 2))
        AS liability_shielded_usd,
    -- The peer percentile is precomputed per organisation and day by the platform, so a
    -- report never reads another tenant's rows to rank this one.
    round(40 + (hash($org) % 50) + ({_hash("peer")} % 100) / 10.0, 1) AS peer_percentile
FROM (
    SELECT
        i,
        CAST($end AS DATE) - CAST(1 + i // 9 AS INTEGER) AS day,
        ['amer', 'emea', 'apac'][1 + CAST((i % 9) // 3 AS INTEGER)] AS region,
        ['finance', 'engineering', 'legal'][1 + CAST(i % 3 AS INTEGER)] AS business_unit,
        CAST(2000 + {_hash("total")} % 20000 AS BIGINT) AS total
    FROM range(CAST($rows AS BIGINT)) AS r(i)
)
"""

GENERATOR = Generator(source=GOVERNANCE_DAILY, sql=SQL, rows_per_day=9, scalable=False)
