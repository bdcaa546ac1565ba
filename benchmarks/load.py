"""Concurrent run launches from several organisations against a private stack on 127.0.0.1.

Starts the code server, Dagster webserver and daemon (Postgres storage) and the API, then fires
`--per-org` launches of `ciso.alerts_by_severity` (json) for each of `--orgs` organisations from
`--concurrency` client threads, interleaved across organisations. The run-launch budget is set
to `--runs-per-minute` per organisation so the rate limiter rejects some launches with 429.
Reports throughput, latency percentiles of the runs that completed, and counts of 201, 202,
429 and 5xx answers.

Usage: python benchmarks/load.py [--orgs 4] [--per-org 12] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
from common import bench_settings, drop_databases, make_tenants, percentile

from reports_pipeline.stack import Stack
from reports_pipeline.warehouse.seed import SeedPlan, seed_warehouse


def launch(base_url: str, token: str) -> tuple[int, float]:
    body = {
        "report_id": "ciso.alerts_by_severity",
        "formats": ["json"],
        "params": {"period": "30d"},
    }
    started = time.perf_counter()
    response = httpx.post(
        f"{base_url}/v1/reports/runs",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=300,
    )
    return response.status_code, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--orgs", type=int, default=4)
    parser.add_argument("--per-org", type=int, default=12, help="launches per organisation")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument(
        "--runs-per-minute", type=int, default=10, help="launch budget per organisation"
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="reports-load-"))
    prefix = f"reports_load_{uuid.uuid4().hex[:8]}"
    settings = bench_settings(
        "postgres",
        workdir,
        prefix,
        rate_limit_runs_per_minute=args.runs_per_minute,
        run_wait_seconds=240,
    )
    tenants = make_tenants(settings, args.orgs)
    seed_warehouse(settings.warehouse_path, SeedPlan([org for org, _ in tenants], days=60))
    stack = Stack(settings=settings, log_dir=workdir / "logs")
    base_url = f"http://127.0.0.1:{settings.api_port}"
    order = [token for _ in range(args.per_org) for _, token in tenants]
    try:
        stack.start(api=True)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            results = list(pool.map(lambda token: launch(base_url, token), order))
        elapsed = time.perf_counter() - started
    finally:
        stack.stop()
        drop_databases(prefix)

    statuses = Counter(status for status, _ in results)
    completed = [seconds for status, seconds in results if status == 201]
    server_errors = sum(count for status, count in statuses.items() if status >= 500)
    print(f"## Load ({datetime.now(UTC):%Y-%m-%d})")
    print()
    command = (
        f"python benchmarks/load.py --orgs {args.orgs} --per-org {args.per_org} "
        f"--concurrency {args.concurrency} --runs-per-minute {args.runs_per_minute}"
    )
    print(f"Command: `{command}`")
    print(f"Machine: {platform.platform()}, Python {platform.python_version()}")
    print()
    print("| measure | value |")
    print("|---|---|")
    launches = f"{len(results)} from {args.orgs} organisations, {args.concurrency} at a time"
    print(f"| launches | {launches} |")
    print(f"| wall time | {elapsed:.1f} s |")
    print(f"| completed runs (201) | {statuses[201]} |")
    print(f"| throughput | {statuses[201] / elapsed:.2f} completed runs/s |")
    print(f"| still running at the wait bound (202) | {statuses[202]} |")
    print(f"| rate limited (429) | {statuses[429]} |")
    print(f"| server errors (5xx) | {server_errors} |")
    others = {status: count for status, count in statuses.items() if status not in (201, 202, 429)}
    others = {status: count for status, count in others.items() if status < 500}
    print(f"| other statuses | {others or 'none'} |")
    if completed:
        median, p95 = statistics.median(completed), percentile(completed, 0.95)
        print(f"| latency median / p95 / max | {median:.2f} / {p95:.2f} / {max(completed):.2f} s |")


if __name__ == "__main__":
    main()
