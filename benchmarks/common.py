"""Shared set-up of the benchmarks: throwaway databases, settings on free ports, tenants."""

from __future__ import annotations

import socket
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from reports_pipeline import access
from reports_pipeline.settings import Settings
from reports_pipeline.store import repository
from reports_pipeline.store.db import session_scope
from reports_pipeline.store.migrate import upgrade

POSTGRES = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def create_databases(prefix: str) -> tuple[str, str]:
    """Create an application and a Dagster database; return their URLs."""
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


def bench_settings(storage: str, workdir: Path, prefix: str, **overrides: Any) -> Settings:
    """Settings for a private stack on free ports, with Postgres or SQLite storage, migrated."""
    if storage == "postgres":
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
        **overrides,
    )
    upgrade(settings.database_url)
    return settings


def make_tenants(
    settings: Settings, count: int, permissions: Sequence[str] = ("analytics:read",)
) -> list[tuple[str, str]]:
    """Create `count` organisations with every entitlement and an API key with `permissions`;
    return (org id, API key) pairs."""
    tenants = []
    with session_scope(settings.database_url) as session:
        for index in range(count):
            organization = repository.create_organization(
                session, f"Bench {index}", access.ENTITLEMENTS
            )
            _, token = repository.create_credential(
                session, organization.id, permissions=permissions
            )
            tenants.append((organization.id, token))
    return tenants
