"""Deterministic demo data for the warehouse.

Every value derives from `hash(org_id, row number, field)`, so the same organisations, day
count and end date always give the same rows. The new warehouse is built in a temporary file
and moved over the old one when complete: a failed seed leaves the previous data in place.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from reports_pipeline.semantic.model import Source
from reports_pipeline.semantic.sources import GOVERNANCE_DAILY, MCP_ALERT_EVENTS
from reports_pipeline.warehouse.schema import create_table_sql

logger = logging.getLogger(__name__)

Progress = Callable[[str, str], None]
"""Called with (source id, organisation id) after each batch is written."""


@dataclass(frozen=True)
class SeedPlan:
    organizations: Sequence[str]
    days: int = 400
    end: date | None = None
    alerts_per_day: int = 40

    @property
    def end_date(self) -> date:
        return self.end or datetime.now(UTC).date()


# Each generator is one INSERT ... SELECT over range(); `$org`, `$end` (the exclusive end
# instant) and `$days` are bound parameters, and `h(field)` expands to a per-row hash.
def _hash(field: str) -> str:
    return f"hash($org, i, '{field}')"


# The generator SQL below interpolates only these constant field names, never input.
_ALERTS = f"""
INSERT INTO staging
SELECT
    $org AS org_id,
    'alr_' || lpad(CAST(i AS VARCHAR), 9, '0') || '_' || substr(md5($org), 1, 6) AS alert_id,
    occurred_at,
    CASE
        WHEN sev < 3 THEN 'critical' WHEN sev < 15 THEN 'high' WHEN sev < 45 THEN 'medium'
        WHEN sev < 80 THEN 'low' ELSE 'info'
    END AS severity,
    ['prompt_injection', 'tool_poisoning', 'data_exfiltration', 'credential_exposure',
     'policy_violation', 'anomalous_usage', 'rug_pull'][1 + CAST({_hash("threat")} % 7 AS INTEGER)]
        AS threat_source,
    CASE
        WHEN occurred_at > $end - INTERVAL 2 DAY AND st < 60 THEN 'open'
        WHEN occurred_at > $end - INTERVAL 7 DAY AND st < 30 THEN 'acknowledged'
        WHEN st < 8 THEN 'false_positive' ELSE 'resolved'
    END AS status,
    ['amer', 'emea', 'apac'][1 + CAST({_hash("region")} % 3 AS INTEGER)] AS region,
    ['github', 'jira', 'slack', 'postgres', 'filesystem', 'salesforce', 'browser']
        [1 + CAST({_hash("server")} % 7 AS INTEGER)] || '-mcp' AS server_name,
    ['read_file', 'write_file', 'query', 'search', 'send_message', 'create_issue', 'fetch_url',
     'run_command'][1 + CAST({_hash("tool")} % 8 AS INTEGER)] AS tool_name,
    'agent-' || lpad(CAST({_hash("agent")} % 250 AS VARCHAR), 3, '0') AS agent_id,
    occurred_at + to_seconds(CAST(60 + {_hash("ack")} % 7200 AS BIGINT)) AS acknowledged_at,
    CASE WHEN st >= 30 OR occurred_at <= $end - INTERVAL 7 DAY
        THEN occurred_at + to_seconds(CAST(600 + {_hash("resolve")} % 172800 AS BIGINT))
    END AS resolved_at,
    {_hash("blocked")} % 100 < 55 AS blocked
FROM (
    SELECT
        i,
        $end - to_microseconds(CAST({_hash("at")} % ($days * 86400000000) AS BIGINT))
            AS occurred_at,
        CAST({_hash("severity")} % 100 AS INTEGER) AS sev,
        CAST({_hash("status")} % 100 AS INTEGER) AS st
    FROM range(CAST($rows AS BIGINT)) AS r(i)
)
"""

_GOVERNANCE = f"""
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
    FROM range(CAST($days * 9 AS BIGINT)) AS r(i)
)
"""

_GENERATORS: tuple[tuple[Source, str], ...] = (
    (MCP_ALERT_EVENTS, _ALERTS),
    (GOVERNANCE_DAILY, _GOVERNANCE),
)


def _rows_for(source: Source, plan: SeedPlan) -> int:
    if source is MCP_ALERT_EVENTS:
        return plan.days * plan.alerts_per_day
    return plan.days * 9


def seed_warehouse(path: Path, plan: SeedPlan, progress: Progress | None = None) -> dict[str, int]:
    """Write a fresh warehouse at `path` for `plan`; return the row count per table."""
    if not plan.organizations:
        raise ValueError("seeding needs at least one organisation id")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    end = datetime.combine(plan.end_date + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    counts: dict[str, int] = {}
    try:
        with duckdb.connect(str(temporary)) as connection:
            connection.execute("SET TimeZone = 'UTC'")
            for source, insert_sql in _GENERATORS:
                connection.execute(create_table_sql(source, "staging"))
                for org in plan.organizations:
                    parameters = {"org": org, "end": end, "days": plan.days}
                    if "$rows" in insert_sql:
                        parameters["rows"] = _rows_for(source, plan)
                    connection.execute(insert_sql, parameters)
                    if progress:
                        progress(source.id, org)
                # Stored ordered by organisation and time, so one organisation's period scan
                # skips most row groups.
                connection.execute(
                    f'CREATE TABLE "{source.table}" AS SELECT * FROM staging '
                    f'ORDER BY "{source.org_column}", "{source.time_column}"'
                )
                connection.execute("DROP TABLE staging")
                row = connection.execute(f'SELECT count(*) FROM "{source.table}"').fetchone()
                counts[source.id] = int(row[0]) if row else 0
            connection.execute("CHECKPOINT")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    logger.info("seeded warehouse %s: %s", path, counts)
    return counts


def seed_row_total(plan: SeedPlan) -> int:
    """Return the number of batches `seed_warehouse` reports through `progress`."""
    return len(_GENERATORS) * len(plan.organizations)
