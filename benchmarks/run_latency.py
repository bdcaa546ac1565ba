"""Latency of `POST /v1/reports/runs` beside the floor of a bare one-op Dagster run.

Starts a private stack (code server, Dagster webserver and daemon, API) on free ports on
127.0.0.1 with throwaway storage, then alternates two measurements:

- report: `POST /v1/reports/runs` for ciso.alerts_by_severity with json and csv, timed from
  request to the 201 response;
- floor: the one-op `health_check` job submitted through DagsterGraphQLClient and polled until
  Dagster reports SUCCESS, the way the API launches and waits.

Both kinds run alternately with a random pause of up to one second before each launch, so
each samples the daemon's one-second dequeue tick at every phase.

Usage: python benchmarks/run_latency.py [--runs 12] [--storage postgres|sqlite]
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
from common import bench_settings, drop_databases, make_tenants, percentile

from reports_api.launcher import DagsterLauncher
from reports_pipeline.orchestration import tags
from reports_pipeline.stack import Stack
from reports_pipeline.warehouse.seed import SeedPlan, seed_warehouse

_RUN_STATS = """
query Stats($id: ID!) {
  runOrError(runId: $id) {
    ... on Run { stats { ... on RunStatsSnapshot { enqueuedTime launchTime } } }
  }
}
"""


def queue_wait(dagster_port: int, dagster_run_id: str) -> float:
    """Return how long the run waited in the queued run coordinator, from Dagster's stats."""
    response = httpx.post(
        f"http://127.0.0.1:{dagster_port}/graphql",
        json={"query": _RUN_STATS, "variables": {"id": dagster_run_id}},
        timeout=30,
    )
    stats = response.json()["data"]["runOrError"]["stats"]
    return float(stats["launchTime"] - stats["enqueuedTime"])


def time_floor(launcher: DagsterLauncher, poll: float) -> tuple[float, str]:
    started = time.perf_counter()
    run_id = launcher.submit(tags.HEALTH_CHECK_JOB, {}, {tags.TRIGGER: "benchmark"})
    while launcher.status(run_id) != "SUCCESS":
        time.sleep(poll)
    return time.perf_counter() - started, run_id


def time_report(client: httpx.Client) -> tuple[float, str]:
    body = {
        "report_id": "ciso.alerts_by_severity",
        "formats": ["json", "csv"],
        "params": {"period": "30d"},
    }
    started = time.perf_counter()
    response = client.post("/v1/reports/runs", json=body)
    elapsed = time.perf_counter() - started
    if response.status_code != 201:
        raise RuntimeError(f"run failed: {response.status_code} {response.text}")
    return elapsed, str(response.json()["run"]["dagster_run_id"])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=12, help="measured runs of each kind")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured runs of each kind")
    parser.add_argument("--storage", choices=("postgres", "sqlite"), default="postgres")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="reports-bench-"))
    prefix = f"reports_bench_{uuid.uuid4().hex[:8]}"
    settings = bench_settings(args.storage, workdir, prefix)
    [(organization_id, token)] = make_tenants(settings, 1)
    seed_warehouse(settings.warehouse_path, SeedPlan([organization_id], end=date.today()))

    stack = Stack(settings=settings, log_dir=workdir / "logs")
    floors: list[float] = []
    reports: list[float] = []
    queue_waits: list[float] = []
    try:
        stack.start(api=True)
        launcher = DagsterLauncher(settings)
        client = httpx.Client(
            base_url=f"http://127.0.0.1:{settings.api_port}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=120,
        )
        jitter = random.Random(7)
        for index in range(args.warmup + args.runs):
            # The daemon dequeues runs once a second. A random pause before each launch makes
            # both kinds sample every phase of that tick instead of a fixed one.
            time.sleep(jitter.uniform(0, 1))
            floor, floor_run = time_floor(launcher, settings.run_poll_interval_seconds)
            time.sleep(jitter.uniform(0, 1))
            report, report_run = time_report(client)
            if index >= args.warmup:
                floors.append(floor)
                reports.append(report)
                queue_waits.append(queue_wait(settings.dagster_port, floor_run))
                queue_waits.append(queue_wait(settings.dagster_port, report_run))
            print(f"run {index + 1}: floor {floor:.3f} s, report {report:.3f} s", file=sys.stderr)
    finally:
        stack.stop()
        if args.storage == "postgres":
            drop_databases(prefix)

    command = f"python benchmarks/run_latency.py --runs {args.runs} --storage {args.storage}"
    machine = f"{platform.platform()}, {platform.machine()}, Python {platform.python_version()}"
    rows = [
        ("floor: one-op job via GraphQL", floors),
        ("POST /v1/reports/runs (json + csv)", reports),
    ]
    print(f"## Run latency ({datetime.now(UTC):%Y-%m-%d}, {args.storage} storage)")
    print()
    print(f"Command: `{command}`")
    print(f"Machine: {machine}")
    print()
    print("| measurement | runs | median (s) | p95 (s) |")
    print("|---|---|---|---|")
    for name, values in rows:
        median, p95 = statistics.median(values), percentile(values, 0.95)
        print(f"| {name} | {len(values)} | {median:.3f} | {p95:.3f} |")
    median_ratio = statistics.median(reports) / statistics.median(floors)
    p95_ratio = percentile(reports, 0.95) / percentile(floors, 0.95)
    print(f"| ratio report / floor | | {median_ratio:.2f} | {p95_ratio:.2f} |")
    wait_median, wait_p95 = statistics.median(queue_waits), percentile(queue_waits, 0.95)
    print(
        f"| of which queued before launch (both kinds) | {len(queue_waits)} "
        f"| {wait_median:.3f} | {wait_p95:.3f} |"
    )


if __name__ == "__main__":
    main()
