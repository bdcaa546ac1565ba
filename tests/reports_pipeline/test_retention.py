"""Retention: the Dagster retention job removes expired runs' files, and the API returns 410."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from dagster import instance_for_test
from fastapi.testclient import TestClient

from reports_pipeline.definitions import defs
from reports_pipeline.orchestration import tags
from reports_pipeline.settings import Settings, get_settings
from reports_pipeline.stack import process_env
from reports_pipeline.store.db import session_scope
from reports_pipeline.store.models import ReportRun
from tests.conftest import Tenant
from tests.reports_api.test_errors import assert_error
from tests.reports_api.test_signed_urls import StoredRun, local_part, sign, store_run


@pytest.fixture
def service_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The ops read the session's settings from REPORTS_* variables, as in a run worker."""
    for name, value in process_env(settings, base={}).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def set_expiry(settings: Settings, run_id: str, expires_at: datetime) -> None:
    with session_scope(settings.database_url) as session:
        run = session.get(ReportRun, run_id)
        assert run is not None
        run.expires_at = expires_at


def run_retention() -> int:
    with instance_for_test() as instance:
        result = defs.get_job(tags.RETENTION_JOB).execute_in_process(instance=instance)
    assert result.success
    return int(result.output_for_node("remove_expired_artifacts"))


def test_retention_schedule_runs_by_default() -> None:
    schedule = defs.get_schedule_def("artifact_retention_hourly")
    assert schedule.job_name == tags.RETENTION_JOB
    assert schedule.default_status.value == "RUNNING"


def test_expired_run_is_removed_and_gone(
    api: TestClient, settings: Settings, tenant_a: Tenant, service_env: None
) -> None:
    expired: StoredRun = store_run(settings, tenant_a)
    kept: StoredRun = store_run(settings, tenant_a)
    signed = local_part(sign(api, tenant_a, expired.run_id).json()["url"])
    set_expiry(settings, expired.run_id, datetime.now(UTC) - timedelta(minutes=1))
    set_expiry(settings, kept.run_id, datetime.now(UTC) + timedelta(days=1))

    assert run_retention() >= 1

    assert not (settings.artifact_dir / expired.relative_path).exists()
    assert (settings.artifact_dir / kept.relative_path).exists()
    run_path = f"/v1/reports/runs/{expired.run_id}"
    assert_error(api.get(run_path, headers=tenant_a.headers), 410, "resource_gone")
    assert_error(
        api.get(f"{run_path}/artifacts/csv", headers=tenant_a.headers), 410, "resource_gone"
    )
    assert_error(api.get(signed), 410, "resource_gone")
    listing = api.get("/v1/reports/runs?status=expired&limit=100", headers=tenant_a.headers).json()
    assert expired.run_id in [item["run_id"] for item in listing["items"]]
    assert api.get(f"/v1/reports/runs/{kept.run_id}", headers=tenant_a.headers).status_code == 200


def test_retention_is_idempotent(settings: Settings, tenant_a: Tenant, service_env: None) -> None:
    run_retention()
    assert run_retention() == 0


def test_other_organisation_expired_run_is_404(
    api: TestClient, settings: Settings, tenant_a: Tenant, tenant_b: Tenant, service_env: None
) -> None:
    expired = store_run(settings, tenant_a)
    set_expiry(settings, expired.run_id, datetime.now(UTC) - timedelta(minutes=1))
    run_retention()
    response = api.get(f"/v1/reports/runs/{expired.run_id}", headers=tenant_b.headers)
    assert_error(response, 404, "not_found")
