"""Per-organisation rate limits: a request budget and a smaller run-launch budget."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reports_api.app import create_app
from reports_pipeline.settings import Settings
from reports_pipeline.store.db import get_engine
from reports_pipeline.store.migrate import upgrade
from reports_pipeline.store.rate_limits import WINDOW_SECONDS, record_request
from tests.conftest import Tenant, make_tenant
from tests.reports_api.test_errors import assert_error


@pytest.fixture
def limited(settings: Settings) -> Iterator[TestClient]:
    strict = settings.model_copy(
        update={"rate_limit_requests_per_minute": 3, "rate_limit_runs_per_minute": 1}
    )
    with TestClient(create_app(strict)) as client:
        yield client


@pytest.fixture
def tenant(settings: Settings) -> Tenant:
    return make_tenant(settings, "Rate limited")


def test_requests_over_limit_are_429(limited: TestClient, tenant: Tenant) -> None:
    statuses = [
        limited.get("/v1/reports/runs", headers=tenant.headers).status_code for _ in range(3)
    ]
    assert statuses == [200, 200, 200]
    response = limited.get("/v1/reports/runs", headers=tenant.headers)
    error = assert_error(response, 429, "rate_limited")
    assert 1 <= int(response.headers["retry-after"]) <= WINDOW_SECONDS
    assert error["details"]["limit"] == 3


def test_limit_is_per_organisation(limited: TestClient, tenant: Tenant, settings: Settings) -> None:
    other = make_tenant(settings, "Unaffected")
    for _ in range(4):
        limited.get("/v1/reports/runs", headers=tenant.headers)
    assert limited.get("/v1/reports/runs", headers=other.headers).status_code == 200


def test_run_launches_have_own_budget(limited: TestClient, tenant: Tenant) -> None:
    body = {"report_id": "ciso.no_such_report", "formats": ["json"]}
    first = limited.post("/v1/reports/runs", json=body, headers=tenant.headers)
    assert first.status_code == 404
    second = limited.post("/v1/reports/runs", json=body, headers=tenant.headers)
    error = assert_error(second, 429, "rate_limited")
    assert error["details"]["budget"] == "runs"
    assert limited.get("/v1/reports/runs", headers=tenant.headers).status_code == 200


def test_counter_is_shared_through_database(settings: Settings, tenant: Tenant) -> None:
    engine = get_engine(settings.database_url)
    now = 1_800_000_030.0
    counts = [record_request(engine, tenant.organization_id, "api", 2, now).count for _ in range(3)]
    assert counts == [1, 2, 3]
    decision = record_request(engine, tenant.organization_id, "api", 2, now + 1)
    assert decision.allowed is False
    assert decision.retry_after == 29
    next_window = record_request(engine, tenant.organization_id, "api", 2, now + WINDOW_SECONDS)
    assert next_window.count == 1


def test_counter_works_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'reports.db'}"
    upgrade(url)
    engine = get_engine(url)
    counts = [record_request(engine, "org_x", "runs", 5, 1_800_000_000.0).count for _ in range(2)]
    assert counts == [1, 2]
