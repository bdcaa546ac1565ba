"""Code-location reload time and schedule-create latency with many schedules in the database.

Starts a private stack (code server, Dagster webserver and daemon on Postgres, API) on free
ports on 127.0.0.1, with `--orgs` organisations. For each size in `--sizes` it bulk-inserts
enabled schedule rows until the application database contains that many, spread round-robin over
the organisations, each with a distinct cron and its channel secrets encrypted as
`repository.create_schedule` stores them. Then it measures:

- reload: `reload_code_location` against the webserver, `--reloads` times, after which the
  webserver must list every schedule, each RUNNING;
- create: `POST /v1/reports/schedules` over HTTP to the API, `--creates` times after one
  unmeasured warm-up, from request to the 201 response;
- live: from the 201 response until the webserver finished loading the location version in
  which `scheduleOrError` returns the new schedule as RUNNING. The API reloads the code location
  in the background after the response, so this is the delay before a new schedule is live.
  The benchmark polls every `--poll` seconds and reads the load time from the location entry's
  `updatedTimestamp`, so the figure does not include the poll interval. Polls compete with the
  reload for the webserver. With a handful of schedules, polling every 0.05 s made the reload
  about 1 s slower, and at 10,000 schedules each query takes the webserver about 0.1 s, hence
  the 0.5 s default.

- worker load: a new Python process, as a run worker is, imports the code location and gets
  the report job, `--worker-loads` times. The same process then requests every schedule, which
  is what each run worker paid before schedules were read on first use.

Each create waits until its schedule is live before the next starts. The created schedules
are deleted before the next size. Every cron fires only in a month at least one month away
from the current one, so no schedule fires during the run.
Targets: 10,000 schedules reload in under 10 s, and a create returns in under 1 s.

Usage: python benchmarks/schedules.py [--sizes 100,1000,10000] [--creates 20] [--worker-loads 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
from common import bench_settings, drop_databases, make_tenants, percentile
from sqlalchemy import delete, insert

from reports_api.launcher import REPOSITORY_NAME
from reports_pipeline import ids
from reports_pipeline.cron import parse_cron
from reports_pipeline.crypto import SecretBox
from reports_pipeline.delivery.model import parse_channels, split_secrets
from reports_pipeline.orchestration.schedules import schedule_name
from reports_pipeline.settings import Settings
from reports_pipeline.stack import Stack, process_env, reload_code_location
from reports_pipeline.store.db import session_scope
from reports_pipeline.store.models import Schedule, utcnow

REPORT_ID = "ciso.alerts_by_severity"
TIMEZONES = ("UTC", "Europe/Paris", "America/Los_Angeles", "Asia/Kolkata", "Australia/Sydney")
CHANNELS: list[dict[str, Any]] = [
    {"type": "email", "to": ["reports@bench.example.com"], "subject": "Benchmark report"},
    {
        "type": "webhook",
        "url": "https://hooks.bench.example.com/reports",
        "headers": {"X-API-Key": "bench-header-value"},
        "secret": "bench-webhook-secret-0123456789",
    },
]
RELOAD_TIMEOUT_SECONDS = 600.0
LIVE_TIMEOUT_SECONDS = 600.0

_SCHEDULES = """
query Schedules($selector: RepositorySelector!) {
  repositoryOrError(repositorySelector: $selector) {
    __typename
    ... on Repository { schedules { name scheduleState { status } } }
    ... on PythonError { message }
  }
}
"""

# One request reads both from the same workspace, so the load time is that of the location
# version that contains (or lacks) the schedule.
_SCHEDULE = """
query Schedule($selector: ScheduleSelector!) {
  scheduleOrError(scheduleSelector: $selector) {
    __typename
    ... on Schedule { scheduleState { status } }
  }
  workspaceOrError {
    ... on Workspace { locationEntries { name updatedTimestamp } }
  }
}
"""


def quiet_months(now: datetime) -> list[int]:
    """Return the months that are neither the current one nor next to it, in any time zone."""
    near = {(now.month - 1 + shift) % 12 + 1 for shift in (-1, 0, 1)}
    return [month for month in range(1, 13) if month not in near]


def cron_for(index: int, months: list[int]) -> str:
    """Return the `index`-th distinct cron: one fire time a year, in one of `months`."""
    minute, rest = index % 60, index // 60
    hour, rest = rest % 24, rest // 24
    day, rest = rest % 28 + 1, rest // 28
    return f"{minute} {hour} {day} {months[rest % len(months)]} *"


def cron_capacity(months: list[int]) -> int:
    return 60 * 24 * 28 * len(months)


def insert_schedules(
    settings: Settings, organizations: list[str], indexes: range, months: list[int]
) -> list[str]:
    """Insert one enabled schedule row per index in one statement; return their ids."""
    box = SecretBox.from_settings(settings)
    parts = [split_secrets(channel) for channel in parse_channels(CHANNELS)]
    public = [channel for channel, _ in parts]
    secrets = [secret for _, secret in parts]
    now = utcnow()
    rows = []
    for index in indexes:
        cron = parse_cron(cron_for(index, months))
        rows.append(
            {
                "id": ids.new_id(ids.SCHEDULE),
                "organization_id": organizations[index % len(organizations)],
                "report_id": REPORT_ID,
                "saved_report_id": None,
                "target_id": REPORT_ID,
                "name": f"bench {index}",
                "cron": cron.text,
                "cron_key": cron.key,
                "timezone": TIMEZONES[index % len(TIMEZONES)],
                "formats": ["csv", "json"],
                "params": {"period": "30d"},
                "render_options": {},
                "channels": public,
                # Each row gets its own ciphertext, as create_schedule encrypts per schedule.
                "channel_secrets": box.encrypt(secrets),
                "enabled": True,
                "disabled_reason": None,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
    if rows:
        with session_scope(settings.database_url) as session:
            session.execute(insert(Schedule), rows)
    return [row["id"] for row in rows]


def delete_schedules(settings: Settings, schedule_ids: list[str]) -> None:
    with session_scope(settings.database_url) as session:
        session.execute(delete(Schedule).where(Schedule.id.in_(schedule_ids)))


def graphql(settings: Settings, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(
        f"http://127.0.0.1:{settings.dagster_port}/graphql",
        json={"query": query, "variables": variables},
        timeout=RELOAD_TIMEOUT_SECONDS,
    )
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    if body.get("errors"):
        raise RuntimeError(f"GraphQL errors: {body['errors']}")
    return dict(body["data"])


def check_listed(settings: Settings, schedule_ids: list[str]) -> None:
    """Raise unless the webserver lists exactly these tenant schedules, each RUNNING."""
    selector = {
        "repositoryLocationName": settings.dagster_location_name,
        "repositoryName": REPOSITORY_NAME,
    }
    repository = graphql(settings, _SCHEDULES, {"selector": selector})["repositoryOrError"]
    if repository["__typename"] != "Repository":
        raise RuntimeError(f"the webserver returned {repository}")
    listed = {
        item["name"]: item["scheduleState"]["status"]
        for item in repository["schedules"]
        if item["name"].startswith(schedule_name(""))
    }
    expected = {schedule_name(schedule_id) for schedule_id in schedule_ids}
    if set(listed) != expected:
        missing, extra = len(expected - set(listed)), len(set(listed) - expected)
        raise RuntimeError(
            f"the webserver lists {len(listed)} tenant schedules, expected {len(expected)}: "
            f"{missing} missing, {extra} unexpected"
        )
    stopped = [name for name, status in listed.items() if status != "RUNNING"]
    if stopped:
        raise RuntimeError(f"{len(stopped)} schedules are not RUNNING, such as {stopped[0]}")


def wait_live(settings: Settings, schedule_id: str, poll: float) -> float:
    """Poll the webserver until it returns the schedule as RUNNING; return the Unix time at which
    the webserver finished loading the location version that contains it."""
    selector = {
        "repositoryLocationName": settings.dagster_location_name,
        "repositoryName": REPOSITORY_NAME,
        "scheduleName": schedule_name(schedule_id),
    }
    deadline = time.monotonic() + LIVE_TIMEOUT_SECONDS
    while True:
        data = graphql(settings, _SCHEDULE, {"selector": selector})
        found = data["scheduleOrError"]
        if found["__typename"] == "Schedule" and found["scheduleState"]["status"] == "RUNNING":
            [loaded_at] = [
                entry["updatedTimestamp"]
                for entry in data["workspaceOrError"]["locationEntries"]
                if entry["name"] == settings.dagster_location_name
            ]
            return float(loaded_at)
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"schedule {schedule_id} not live after {LIVE_TIMEOUT_SECONDS:.0f} s: {found}"
            )
        time.sleep(poll)


@dataclass
class SizeResult:
    size: int
    reloads: list[float]
    creates: list[float]
    lives: list[float]
    job_loads: list[float]
    schedule_loads: list[float]


WORKER_LOAD = """
import time
started = time.perf_counter()
from reports_pipeline.definitions import defs
defs.get_job("report_run")
job = time.perf_counter()
count = len(defs.schedule_defs)
print(job - started, time.perf_counter() - job, count)
"""


def measure_worker_load(settings: Settings, size: int) -> tuple[float, float]:
    """Return a new process's seconds to load the report job, and then every schedule."""
    completed = subprocess.run(
        [sys.executable, "-c", WORKER_LOAD],
        env=process_env(settings),
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    job_seconds, schedule_seconds, count = completed.stdout.split()
    # The retention schedule is in the location too.
    if int(count) != size + 1:
        raise RuntimeError(f"the worker loaded {count} schedules, expected {size + 1}")
    return float(job_seconds), float(schedule_seconds)


def measure_size(
    settings: Settings,
    client: httpx.Client,
    schedule_ids: list[str],
    cron_indexes: Iterator[int],
    months: list[int],
    args: argparse.Namespace,
) -> SizeResult:
    size = len(schedule_ids)
    reloads = []
    for attempt in range(args.reloads):
        started = time.perf_counter()
        loaded = reload_code_location(settings, timeout=RELOAD_TIMEOUT_SECONDS)
        reloads.append(time.perf_counter() - started)
        if not loaded:
            raise RuntimeError("the code location did not report LOADED after a reload")
        print(f"{size} schedules: reload {attempt + 1} {reloads[-1]:.2f} s", file=sys.stderr)
    check_listed(settings, schedule_ids)

    job_loads, schedule_loads = [], []
    for attempt in range(args.worker_loads):
        job_seconds, schedule_seconds = measure_worker_load(settings, size)
        job_loads.append(job_seconds)
        schedule_loads.append(schedule_seconds)
        print(
            f"{size} schedules: worker load {attempt + 1}: job {job_seconds:.2f} s, "
            f"then every schedule {schedule_seconds:.2f} s",
            file=sys.stderr,
        )

    creates, lives, created = [], [], []
    try:
        for attempt in range(args.creates + 1):
            body = {
                "report_id": REPORT_ID,
                "cron": cron_for(next(cron_indexes), months),
                "timezone": "UTC",
                "formats": ["csv", "json"],
                "channels": CHANNELS,
                "params": {"period": "30d"},
                "enabled": True,
            }
            started = time.perf_counter()
            response = client.post("/v1/reports/schedules", json=body)
            answered = time.perf_counter()
            answered_at = time.time()
            if response.status_code != 201:
                raise RuntimeError(f"create failed: {response.status_code} {response.text}")
            schedule_id = response.json()["schedule_id"]
            created.append(schedule_id)
            live = wait_live(settings, schedule_id, args.poll) - answered_at
            seen = time.perf_counter() - answered
            # The first create warms the API's code paths and is not measured.
            if attempt > 0:
                creates.append(answered - started)
                lives.append(live)
            print(
                f"{size} schedules: create {attempt} {answered - started:.3f} s, "
                f"live {live:.2f} s, seen by the poll {seen:.2f} s",
                file=sys.stderr,
            )
    finally:
        delete_schedules(settings, created)
    return SizeResult(size, reloads, creates, lives, job_loads, schedule_loads)


def parse_sizes(text: str) -> list[int]:
    sizes = [int(part) for part in text.split(",")]
    if any(size < 1 for size in sizes) or sizes != sorted(set(sizes)):
        raise argparse.ArgumentTypeError("sizes must be positive and increasing, like 100,1000")
    return sizes


def stop_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def print_results(results: list[SizeResult], args: argparse.Namespace, loads: list[str]) -> None:
    sizes = ",".join(str(result.size) for result in results)
    command = (
        f"python benchmarks/schedules.py --sizes {sizes} --creates {args.creates} "
        f"--reloads {args.reloads} --worker-loads {args.worker_loads} --orgs {args.orgs}"
    )
    print(f"## Schedules ({datetime.now(UTC):%Y-%m-%d})")
    print()
    print(f"Command: `{command}`")
    print(
        f"Machine: {platform.platform()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    print(f"Load average (1 min) before each size: {', '.join(loads)}")
    print()
    print(
        "| schedules | reload median (s) | reload min / max (s) | create median (s) "
        "| create p95 (s) | live median (s) | live p95 (s) | live max (s) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for result in results:
        reload_range = f"{min(result.reloads):.2f} / {max(result.reloads):.2f}"
        print(
            f"| {result.size:,} | {statistics.median(result.reloads):.2f} | {reload_range} "
            f"| {statistics.median(result.creates):.3f} | {percentile(result.creates, 0.95):.3f} "
            f"| {statistics.median(result.lives):.2f} | {percentile(result.lives, 0.95):.2f} "
            f"| {max(result.lives):.2f} |"
        )
    print()
    print(
        "| schedules | worker: report job, median (s) | then every schedule, median (s) "
        "| before: job and schedules (s) |"
    )
    print("|---:|---:|---:|---:|")
    for result in results:
        job = statistics.median(result.job_loads)
        schedules = statistics.median(result.schedule_loads)
        print(f"| {result.size:,} | {job:.2f} | {schedules:.2f} | {job + schedules:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=[100, 1000, 10000],
        help="schedule rows in the database, comma-separated and increasing",
    )
    parser.add_argument("--creates", type=int, default=20, help="measured creates per size")
    parser.add_argument("--reloads", type=int, default=3, help="measured reloads per size")
    parser.add_argument(
        "--worker-loads", type=int, default=3, help="measured worker loads per size"
    )
    parser.add_argument("--orgs", type=int, default=50, help="organisations owning the rows")
    parser.add_argument(
        "--poll", type=float, default=0.5, help="seconds between checks for a live schedule"
    )
    args = parser.parse_args()
    if min(args.creates, args.reloads, args.worker_loads, args.orgs) < 1:
        parser.error("--creates, --reloads, --worker-loads and --orgs must be at least 1")
    months = quiet_months(datetime.now(UTC))
    needed = max(args.sizes) + len(args.sizes) * (args.creates + 1)
    if needed > cron_capacity(months):
        largest = cron_capacity(months) - (needed - max(args.sizes))
        parser.error(f"--sizes: the largest size can be at most {largest} with these options")

    # Ctrl-C raises KeyboardInterrupt; SIGTERM does the same, so both reach the clean-up.
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    workdir = Path(tempfile.mkdtemp(prefix="reports-schedules-"))
    prefix = f"reports_sched_{uuid.uuid4().hex[:8]}"
    stack: Stack | None = None
    results: list[SizeResult] = []
    loads: list[str] = []
    failed, interrupted = True, False
    try:
        settings = bench_settings("postgres", workdir, prefix)
        tenants = make_tenants(settings, args.orgs, permissions=["analytics:create"])
        organizations = [organization for organization, _ in tenants]
        stack = Stack(settings=settings, log_dir=workdir / "logs")
        stack.start(api=True)
        client = httpx.Client(
            base_url=f"http://127.0.0.1:{settings.api_port}",
            headers={"Authorization": f"Bearer {tenants[0][1]}"},
            timeout=120,
        )
        create_indexes = iter(range(max(args.sizes), needed))
        schedule_ids: list[str] = []
        for size in args.sizes:
            started = time.perf_counter()
            schedule_ids += insert_schedules(
                settings, organizations, range(len(schedule_ids), size), months
            )
            print(
                f"inserted rows up to {size} in {time.perf_counter() - started:.1f} s",
                file=sys.stderr,
            )
            loads.append(f"{os.getloadavg()[0]:.2f}")
            results.append(
                measure_size(settings, client, schedule_ids, create_indexes, months, args)
            )
        failed = False
    except KeyboardInterrupt:
        failed, interrupted = False, True
    finally:
        # A second Ctrl-C would leave processes and databases behind; finish the clean-up.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if stack is not None:
            stack.stop()
        drop_databases(prefix)
        if failed:
            print(f"logs of the stack are in {workdir / 'logs'}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
        signal.signal(signal.SIGINT, signal.default_int_handler)

    if interrupted:
        print("interrupted: the stack is stopped and its databases are dropped", file=sys.stderr)
        sys.exit(130)
    print_results(results, args, loads)


if __name__ == "__main__":
    main()
