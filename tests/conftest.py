"""Fixtures shared by the whole suite: a throwaway Postgres database, settings pointing at
temporary directories, organisations with credentials, and the Dagster stack.

Postgres must listen on 127.0.0.1:5432 (user postgres, trust auth) or at
REPORTS_TEST_POSTGRES_URL; a test that needs it fails, never skips, when it does not.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from reports_pipeline import access
from reports_pipeline.settings import Settings
from reports_pipeline.store import repository
from reports_pipeline.store.db import session_scope
from reports_pipeline.store.migrate import upgrade

POSTGRES_URL = os.environ.get(
    "REPORTS_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)
SEED_END = datetime.now(UTC).date() - timedelta(days=1)
"""Last day of demo data: yesterday, so relative periods such as 30d always find rows."""
WINDOW_START = SEED_END - timedelta(days=60)
WINDOW_END = SEED_END - timedelta(days=31)
"""A fixed 30-day window inside the demo data, for tests that compare exact numbers."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _admin_engine():  # type: ignore[no-untyped-def]
    return create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[tuple[str, str]]:
    """Create two throwaway databases (application and Dagster) and drop them afterwards."""
    engine = _admin_engine()
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        pytest.fail(
            f"Postgres is required at {POSTGRES_URL} (set REPORTS_TEST_POSTGRES_URL): {exc}",
            pytrace=False,
        )
    name = f"reports_test_{uuid.uuid4().hex[:10]}"
    names = (name, f"{name}_dagster")
    with engine.connect() as connection:
        for database in names:
            connection.execute(text(f'CREATE DATABASE "{database}"'))
    base = make_url(POSTGRES_URL)
    urls = tuple(
        base.set(database=database).render_as_string(hide_password=False) for database in names
    )
    yield urls[0], urls[1]
    with engine.connect() as connection:
        for database in names:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": database},
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}"'))
    engine.dispose()


@pytest.fixture(scope="session")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("reports-state")


@pytest.fixture(scope="session")
def settings(postgres_databases: tuple[str, str], state_dir: Path) -> Settings:
    app_url, dagster_url = postgres_databases
    configured = Settings(
        environment="test",
        database_url=app_url,
        dagster_database_url=dagster_url,
        warehouse_path=state_dir / "warehouse.duckdb",
        artifact_dir=state_dir / "artifacts",
        dagster_home=state_dir / "dagster",
        dagster_port=free_port(),
        dagster_code_server_port=free_port(),
        api_port=free_port(),
        signing_key="test-signing-key-0123456789abcdef0123456789",
        run_wait_seconds=60,
        # Rate limits have their own tests; the rest of the suite runs without them.
        rate_limit_requests_per_minute=0,
        rate_limit_runs_per_minute=0,
        # Scheduled runs deliver. Nothing listens on port 9 of 127.0.0.1, so S3 channels of
        # schedules that fire in tests fail there instead of reaching AWS. Tests that check
        # S3 delivery point this at moto. Email fails before connecting: no SMTP host is set.
        # Short backoffs end those failed deliveries within a second, so they do not hold
        # the run worker while later ticks of the same organisation wait in the queue.
        s3_endpoint_url="http://127.0.0.1:9",
        delivery_backoff_base_seconds=0.05,
        delivery_backoff_max_seconds=0.2,
    )
    upgrade(configured.database_url)
    return configured


@pytest.fixture(scope="session", autouse=True)
def no_cloud_credentials() -> Iterator[None]:
    """Keep boto3 off the instance-metadata address and the user's AWS files and keys."""
    with pytest.MonkeyPatch.context() as patch:
        for name in (
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_PROFILE",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        ):
            patch.delenv(name, raising=False)
        patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        patch.setenv("AWS_CONFIG_FILE", os.devnull)
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        yield


@dataclass(frozen=True)
class Tenant:
    organization_id: str
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


def make_tenant(
    settings: Settings,
    name: str,
    *,
    entitlements: tuple[str, ...] = access.ENTITLEMENTS,
    permissions: tuple[str, ...] = access.PERMISSIONS,
) -> Tenant:
    with session_scope(settings.database_url) as session:
        organization = repository.create_organization(session, name, entitlements)
        _, token = repository.create_credential(session, organization.id, permissions=permissions)
        return Tenant(organization.id, token)


@pytest.fixture(scope="session")
def tenant_a(settings: Settings) -> Tenant:
    return make_tenant(settings, "Acme")


@pytest.fixture(scope="session")
def tenant_b(settings: Settings) -> Tenant:
    return make_tenant(settings, "Globex")


@pytest.fixture(scope="session")
def warehouse(settings: Settings, tenant_a: Tenant, tenant_b: Tenant) -> Path:
    from reports_pipeline.warehouse.seed import SeedPlan, seed_warehouse

    # 260 days hold over 10,000 alerts per organisation, which the row-cap test needs.
    plan = SeedPlan(
        organizations=[tenant_a.organization_id, tenant_b.organization_id], days=260, end=SEED_END
    )
    seed_warehouse(settings.warehouse_path, plan)
    return settings.warehouse_path


@pytest.fixture(scope="session")
def stack(settings: Settings, warehouse: Path, state_dir: Path) -> Iterator[object]:
    """The Dagster code server, webserver and daemon on free ports, for the whole session."""
    from reports_pipeline.stack import Stack

    running = Stack(settings=settings, log_dir=state_dir / "logs")
    try:
        running.start(api=False)
    except BaseException:
        running.stop()
        raise
    yield running
    running.stop()


@pytest.fixture(scope="session")
def api(settings: Settings) -> Iterator[object]:
    """The API in-process, without Dagster: for every response returned before a run launches."""
    from fastapi.testclient import TestClient

    from reports_api.app import create_app

    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="session")
def stack_api(settings: Settings, stack: object) -> Iterator[object]:
    """The API in-process, launching runs on the session's Dagster stack."""
    from fastapi.testclient import TestClient

    from reports_api.app import create_app

    with TestClient(create_app(settings)) as client:
        yield client
