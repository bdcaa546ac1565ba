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
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from reports_api.launcher import DagsterLauncher
from reports_pipeline import access
from reports_pipeline.orchestration import tags
from reports_pipeline.settings import Settings
from reports_pipeline.stack import Stack
from reports_pipeline.store import repository
from reports_pipeline.store.db import session_scope
from reports_pipeline.store.migrate import upgrade
from reports_pipeline.warehouse.seed import SeedPlan, seed_warehouse

POSTGRES = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def create_databases(prefix: str) -> tuple[str, str]:
    engine = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for suffix in ("", "_dagster"):
            connection.execute(text(f'CREATE DATABASE "{prefix}{suffix}"'))
    base = make_url(POSTGRES)
    return (
        base.set(database=prefix).render_as_string(hide_password=False),
        base.set(database=f"{prefix}_dagster").render_as_string(hide_password=False),
    )


def drop_databases(prefix: str) -> None:
    engine = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for suffix in ("", "_dagster"):
            connection.execute(text(f'DROP DATABASE IF EXISTS "{prefix}{suffix}" WITH (FORCE)'))


def time_floor(launcher: DagsterLauncher, poll: float) -> float:
    started = time.perf_counter()
    run_id = launcher.submit(tags.HEALTH_CHECK_JOB, {}, {tags.TRIGGER: "benchmark"})
    while launcher.status(run_id) != "SUCCESS":
        time.sleep(poll)
    return time.perf_counter() - started


def time_report(client: httpx.Client) -> float:
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
    return elapsed


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
    if args.storage == "postgres":
        app_url, dagster_url = create_databases(prefix)
    else:
        app_url, dagster_url = f"sqlite:///{workdir / 'reports.db'}", None
    settings = Settings(
        _env_file=None,
        environment="test",
        database_url=app_url,
        dagster_database_url=dagster_url,
        warehouse_path=workdir / "warehouse.duckdb",
        artifact_dir=workdir / "artifacts",
        dagster_home=workdir / "dagster",
        dagster_port=free_port(),
        dagster_code_server_port=free_port(),
        api_port=free_port(),
        signing_key="benchmark-signing-key-0123456789abcdef",
    )
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        organization = repository.create_organization(session, "Bench", access.ENTITLEMENTS)
        _, token = repository.create_credential(
            session, organization.id, permissions=["analytics:read"]
        )
        organization_id = organization.id
    seed_warehouse(settings.warehouse_path, SeedPlan([organization_id], end=date.today()))

    stack = Stack(settings=settings, log_dir=workdir / "logs")
    floors: list[float] = []
    reports: list[float] = []
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
            # The daemon dequeues runs once a second; a random pause before each launch makes
            # both kinds sample every phase of that tick instead of a fixed one.
            time.sleep(jitter.uniform(0, 1))
            floor = time_floor(launcher, settings.run_poll_interval_seconds)
            time.sleep(jitter.uniform(0, 1))
            report = time_report(client)
            if index >= args.warmup:
                floors.append(floor)
                reports.append(report)
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


if __name__ == "__main__":
    main()
