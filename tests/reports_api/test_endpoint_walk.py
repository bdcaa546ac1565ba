"""Every endpoint of the OpenAPI document enforces its permission, and another organisation's
id always returns 404, exactly like a missing one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reports_api.app import create_app
from reports_pipeline.settings import Settings
from tests.conftest import Tenant, make_tenant
from tests.reports_api.test_errors import assert_error
from tests.reports_api.test_schedules import schedule_body
from tests.reports_api.test_signed_urls import StoredRun, store_run

SAVED_BODY = {"base_report_id": "ciso.alerts_by_severity", "title": "Walked"}

PUBLIC_PATHS = {"/v1/reports/artifacts/local/{relative_path}"}
"""Paths reached without credentials: signed URLs carry their own proof."""


def operations(settings: Settings) -> list[tuple[str, str]]:
    document = create_app(settings).openapi()
    return [
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if path not in PUBLIC_PATHS
    ]


@dataclass(frozen=True)
class Owned:
    """Resources of the first organisation that the walk addresses by id."""

    run: StoredRun
    saved_report_id: str
    schedule_id: str


def fill(path: str, owned: Owned) -> str:
    return (
        path.replace("{run_id}", owned.run.run_id)
        .replace("{format}", "csv")
        .replace("{report_id}", "ciso.alerts_by_severity")
        .replace("{saved_report_id}", owned.saved_report_id)
        .replace("{schedule_id}", owned.schedule_id)
    )


def call(api: TestClient, method: str, path: str, headers: dict[str, str]) -> Any:
    body: dict[str, Any] | None = None
    if method == "POST" and path.endswith("/runs"):
        body = {"report_id": "ciso.alerts_by_severity", "formats": ["csv"]}
    elif method in ("POST", "PUT") and "/saved" in path:
        body = SAVED_BODY
    elif method in ("POST", "PUT") and "/schedules" in path:
        body = schedule_body(cron="17 6 * * *")
    return api.request(method, path, json=body, headers=headers)


@pytest.fixture(scope="module")
def stored(api: TestClient, settings: Settings, tenant_a: Tenant) -> Owned:
    saved = api.post("/v1/reports/saved", json=SAVED_BODY, headers=tenant_a.headers)
    assert saved.status_code == 201, saved.text
    schedule = api.post(
        "/v1/reports/schedules", json=schedule_body(cron="43 5 * * *"), headers=tenant_a.headers
    )
    assert schedule.status_code == 201, schedule.text
    return Owned(
        run=store_run(settings, tenant_a),
        saved_report_id=saved.json()["saved_report_id"],
        schedule_id=schedule.json()["schedule_id"],
    )


@pytest.fixture(scope="module")
def no_permission(settings: Settings) -> Tenant:
    return make_tenant(settings, "No permissions", permissions=())


def test_walk_covers_every_route(settings: Settings) -> None:
    walked = operations(settings)
    assert ("POST", "/v1/reports/runs") in walked
    assert ("GET", "/v1/reports/catalog/{report_id}") in walked
    assert ("POST", "/v1/reports/runs/{run_id}/artifacts/{format}/sign") in walked
    assert ("PUT", "/v1/reports/saved/{saved_report_id}") in walked
    assert ("DELETE", "/v1/reports/schedules/{schedule_id}") in walked


def test_every_endpoint_needs_credentials(
    api: TestClient, settings: Settings, stored: Owned
) -> None:
    for method, path in operations(settings):
        response = call(api, method, fill(path, stored), {})
        assert response.status_code == 401, f"{method} {path}"
        assert response.json()["error"]["code"] == "unauthenticated"


def test_every_endpoint_enforces_permission(
    api: TestClient, settings: Settings, stored: Owned, no_permission: Tenant
) -> None:
    for method, path in operations(settings):
        response = call(api, method, fill(path, stored), no_permission.headers)
        assert response.status_code == 403, f"{method} {path}"
        assert response.json()["error"]["code"] == "forbidden"


def test_other_organisation_ids_are_404(
    api: TestClient, settings: Settings, stored: Owned, tenant_b: Tenant
) -> None:
    id_params = ("{run_id}", "{saved_report_id}", "{schedule_id}")
    with_ids = [(m, p) for m, p in operations(settings) if any(i in p for i in id_params)]
    assert len(with_ids) == 9
    for method, path in with_ids:
        response = call(api, method, fill(path, stored), tenant_b.headers)
        assert_error(response, 404, "not_found")
