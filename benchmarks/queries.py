"""Compiled report queries beside hand-written DuckDB queries that return the same rows.

Seeds (or reuses) a warehouse with three organisations, 400 days and about 10 million
`proxy_logs` rows, then for five representative reports times the compiled query and a
hand-written equivalent on the same read-only connection, alternating, and checks that both
return the same rows. Target: each compiled query within 1.1x of its hand-written twin.

Usage: python benchmarks/queries.py [--warehouse PATH] [--repeat 15]
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from reports_pipeline.catalogue.model import ReportDefinition, ReportFilterBinding
from reports_pipeline.compile import compile_report
from reports_pipeline.periods import resolve_period
from reports_pipeline.semantic.model import FilterOp, TimeGrain
from reports_pipeline.warehouse.seed import SeedPlan, seed_warehouse

ORGS = (
    "org_01M91CZMQ3XE1TRKYK78DRNE8A",
    "org_01DEM0PEER0000000000000001",
    "org_01DEM0PEER0000000000000002",
)
ORG = ORGS[0]
END = date(2026, 11, 30)
NOW = datetime(2026, 12, 1, tzinfo=UTC)
SCALE = 10_000_000 / (len(ORGS) * 400 * 3000)


@dataclass(frozen=True)
class Case:
    name: str
    definition: ReportDefinition
    period: str
    timezone: str
    hand_written: str
    """The same query as a person would write it; `{start}`, `{end}` and `{org}` are filled in."""


def definition(**fields: Any) -> ReportDefinition:
    return ReportDefinition(
        id="ops.benchmark", persona="ops", title="Benchmark", description="Benchmark.", **fields
    )


CASES = (
    Case(
        "cost by model, 30 days",
        definition(
            source_id="proxy_logs",
            dimensions=["model", "provider"],
            metrics=["request_count", "total_tokens", "cost_usd", "avg_latency_ms"],
            sort=[{"field": "cost_usd", "direction": "desc"}],
        ),
        "30d",
        "UTC",
        """SELECT model, provider, count(*), coalesce(sum(total_tokens), 0),
               coalesce(sum(cost_usd), 0), avg(latency_ms)
           FROM proxy_logs
           WHERE org_id = '{org}' AND occurred_at BETWEEN '{start}' AND '{end}'
           GROUP BY model, provider ORDER BY 5 DESC, model, provider""",
    ),
    Case(
        "daily latency and errors, 90 days, New York",
        definition(
            source_id="proxy_logs",
            time_grain=TimeGrain.DAY,
            metrics=["request_count", "p95_latency_ms", "error_rate_pct"],
        ),
        "90d",
        "America/New_York",
        """SELECT CAST(date_trunc('day', timezone('America/New_York', occurred_at)) AS DATE) AS d,
               count(*), quantile_cont(latency_ms, 0.95),
               CAST(count(*) FILTER (WHERE outcome = 'error') AS DOUBLE) * 100.0
                   / nullif(count(*), 0)
           FROM proxy_logs
           WHERE org_id = '{org}' AND occurred_at BETWEEN '{start}' AND '{end}'
           GROUP BY d ORDER BY d""",
    ),
    Case(
        "blocked and flagged calls by hour, 7 days",
        definition(
            source_id="proxy_logs",
            time_grain=TimeGrain.HOUR,
            dimensions=["outcome"],
            metrics=["request_count", "distinct_users"],
            default_filters=[
                ReportFilterBinding(field="outcome", op=FilterOp.IN, value=["blocked", "flagged"])
            ],
        ),
        "7d",
        "UTC",
        """SELECT date_trunc('hour', occurred_at) AS h, outcome, count(*), count(DISTINCT user_id)
           FROM proxy_logs
           WHERE org_id = '{org}' AND occurred_at BETWEEN '{start}' AND '{end}'
             AND outcome IN ('blocked', 'flagged')
           GROUP BY h, outcome ORDER BY h, outcome""",
    ),
    Case(
        "audit failures by category, monthly, 365 days",
        definition(
            source_id="audit_logs",
            time_grain=TimeGrain.MONTH,
            dimensions=["action_category"],
            metrics=["events", "failed_events", "distinct_actors"],
        ),
        "365d",
        "UTC",
        """SELECT strftime(occurred_at AT TIME ZONE 'UTC', '%Y-%m') AS m, action_category,
               count(*), count(*) FILTER (WHERE outcome = 'failure'), count(DISTINCT actor)
           FROM audit_logs
           WHERE org_id = '{org}' AND occurred_at BETWEEN '{start}' AND '{end}'
           GROUP BY m, action_category ORDER BY m, action_category""",
    ),
    Case(
        "alerts by severity, 30 days",
        definition(
            source_id="mcp_alert_events",
            dimensions=["severity"],
            metrics=["alert_count", "open_alert_count"],
            sort=[{"field": "alert_count", "direction": "desc"}],
        ),
        "30d",
        "UTC",
        """SELECT severity, count(*), count(*) FILTER (WHERE status IN ('open', 'acknowledged'))
           FROM mcp_alert_events
           WHERE org_id = '{org}' AND occurred_at BETWEEN '{start}' AND '{end}'
           GROUP BY severity ORDER BY 2 DESC""",
    ),
)


def _same(left: list[tuple[Any, ...]], right: list[tuple[Any, ...]]) -> bool:
    def equal(a: Any, b: Any) -> bool:
        if isinstance(a, float) and isinstance(b, float):
            return math.isclose(a, b, rel_tol=1e-9)
        if isinstance(a, datetime) and isinstance(b, datetime):
            return a.replace(tzinfo=None) == b.replace(tzinfo=None)
        return bool(a == b)

    # Compare as sorted multisets: the compiled query orders enums by their declared order.
    def key(row: tuple[Any, ...]) -> tuple[str, ...]:
        return tuple(str(value) for value in row)

    left, right = sorted(left, key=key), sorted(right, key=key)
    return len(left) == len(right) and all(
        all(equal(a, b) for a, b in zip(x, y, strict=True))
        for x, y in zip(left, right, strict=True)
    )


def _timed(
    connection: duckdb.DuckDBPyConnection, sql: str, parameters: dict[str, Any]
) -> tuple[float, Any]:
    started = time.perf_counter()
    table = connection.sql(sql, params=parameters or None).to_arrow_table()
    return time.perf_counter() - started, table


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--warehouse", type=Path, default=Path("/tmp/reports-bench-10m.duckdb"))
    parser.add_argument("--repeat", type=int, default=15, help="timed runs of each query")
    args = parser.parse_args()

    if not args.warehouse.exists():
        started = time.perf_counter()
        counts = seed_warehouse(args.warehouse, SeedPlan(ORGS, days=400, end=END, scale=SCALE))
        elapsed = time.perf_counter() - started
        print(f"seeded {counts['proxy_logs']:,} proxy_logs rows in {elapsed:.1f} s")

    rows = []
    with duckdb.connect(str(args.warehouse), read_only=True) as connection:
        connection.execute("SET TimeZone = 'UTC'")
        total = connection.execute("SELECT count(*) FROM proxy_logs").fetchall()[0][0]
        for case in CASES:
            period = resolve_period(
                period=case.period,
                period_start=None,
                period_end=None,
                timezone=case.timezone,
                now=NOW,
            )
            query = compile_report(
                case.definition, organization_id=ORG, period=period, timezone=case.timezone
            )
            sql = query.sql
            hand = case.hand_written.format(
                org=ORG, start=period.start.isoformat(), end=period.end.isoformat()
            )
            _, compiled_rows = _timed(connection, sql, query.parameters)
            _, hand_rows = _timed(connection, hand, {})
            if not _same(
                [tuple(r.values()) for r in compiled_rows.to_pylist()],
                [tuple(r.values()) for r in hand_rows.to_pylist()],
            ):
                raise SystemExit(f"{case.name}: the compiled and hand-written queries disagree")
            compiled_times, hand_times = [], []
            for _ in range(args.repeat):
                compiled_times.append(_timed(connection, sql, query.parameters)[0])
                hand_times.append(_timed(connection, hand, {})[0])
            rows.append(
                (
                    case.name,
                    compiled_rows.num_rows,
                    statistics.median(compiled_times),
                    statistics.median(hand_times),
                )
            )

    print(f"## Query time ({datetime.now(UTC):%Y-%m-%d})")
    print()
    print(f"Command: `python benchmarks/queries.py --repeat {args.repeat}`")
    python = platform.python_version()
    print(f"Machine: {platform.platform()}, Python {python}, duckdb {duckdb.__version__}")
    print(f"Warehouse: {total:,} proxy_logs rows, {len(ORGS)} organisations, 400 days.")
    print("Each query reads one organisation.")
    print()
    print("| report | rows | compiled median (ms) | hand-written median (ms) | ratio |")
    print("|---|---|---|---|---|")
    for name, count, compiled, hand in rows:
        ratio = compiled / hand
        print(f"| {name} | {count} | {compiled * 1000:.1f} | {hand * 1000:.1f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
