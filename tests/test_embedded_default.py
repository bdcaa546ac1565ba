"""The embedded default: SQLite for the application database and for Dagster's storage."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from reports_api.app import create_app
from reports_pipeline.settings import Settings
from reports_pipeline.stack import Stack, instance_config
from reports_pipeline.store.migrate import upgrade
from reports_pipeline.warehouse.seed import SeedPlan, seed_warehouse
from tests.conftest import SEED_END, free_port, make_tenant

pytestmark = pytest.mark.stack


def test_settings_default_to_sqlite() -> None:
    defaults = Settings(_env_file=None)
    assert defaults.database_url.startswith("sqlite:///")
    assert defaults.dagster_database_url is None


def test_instance_uses_postgres_when_configured(tmp_path: Path) -> None:
    configured = Settings(
        _env_file=None,
        dagster_home=tmp_path,
        dagster_database_url="postgresql://postgres@127.0.0.1:5432/dagster",
    )
    assert instance_config(configured)["storage"] == {
        "postgres": {"postgres_url": {"env": "DAGSTER_PG_URL"}}
    }


def test_postgres_urls_select_psycopg2() -> None:
    configured = Settings(_env_file=None, database_url="postgresql://postgres@127.0.0.1/app")
    assert configured.database_url == "postgresql+psycopg2://postgres@127.0.0.1/app"


def test_embedded_stack_runs_a_report(tmp_path: Path) -> None:
    first_month = (SEED_END.replace(day=1) - timedelta(days=1)).replace(day=1)
    settings = Settings(
        _env_file=None,
        environment="test",
        database_url=f"sqlite:///{tmp_path / 'reports.db'}",
        warehouse_path=tmp_path / "warehouse.duckdb",
        artifact_dir=tmp_path / "artifacts",
        dagster_home=tmp_path / "dagster",
        dagster_port=free_port(),
        dagster_code_server_port=free_port(),
        api_port=free_port(),
    )
    upgrade(settings.database_url)
    tenant = make_tenant(settings, "Embedded")
    seed_warehouse(
        settings.warehouse_path, SeedPlan([tenant.organization_id], days=70, end=SEED_END)
    )
    stack = Stack(settings=settings, log_dir=tmp_path / "logs")
    try:
        stack.start(api=False)
        instance = yaml.safe_load((settings.dagster_home / "dagster.yaml").read_text())
        assert "sqlite" in instance["storage"]
        with TestClient(create_app(settings)) as client:
            response = client.get(
                "/v1/reports/run/ceo.executive_summary?format=json"
                f"&period_start={first_month}&period_end={SEED_END}",
                headers=tenant.headers,
            )
    finally:
        stack.stop()
    assert response.status_code == 200, response.text
    document = response.json()
    assert [row[0] for row in document["rows"]] == [f"{first_month:%Y-%m}", f"{SEED_END:%Y-%m}"]
    assert (tmp_path / "dagster" / "storage").is_dir()
