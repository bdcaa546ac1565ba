"""Every endpoint of the OpenAPI document enforces its permission, and another organisation's
id always returns 404, exactly like a missing one."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from reports_api.app import create_app
from reports_pipeline.settings import Settings
from tests.conftest import Tenant, make_tenant
from tests.reports_api.test_errors import assert_error
from tests.reports_api.test_signed_urls import StoredRun, store_run

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


def fill(path: str, stored: StoredRun) -> str:
    return (
        path.replace("{run_id}", stored.run_id)
        .replace("{format}", "csv")
        .replace("{report_id}", "ciso.alerts_by_severity")
    )


def call(api: TestClient, method: str, path: str, headers: dict[str, str]) -> Any:
    body: dict[str, Any] | None = None
    if method == "POST" and path.endswith("/runs"):
        body = {"report_id": "ciso.alerts_by_severity", "formats": ["csv"]}
    return api.request(method, path, json=body, headers=headers)


@pytest.fixture(scope="module")
def stored(settings: Settings, tenant_a: Tenant) -> StoredRun:
    return store_run(settings, tenant_a)


@pytest.fixture(scope="module")
def no_permission(settings: Settings) -> Tenant:
    return make_tenant(settings, "No permissions", permissions=())


def test_walk_covers_every_route(settings: Settings) -> None:
    walked = operations(settings)
    assert ("POST", "/v1/reports/runs") in walked
    assert ("GET", "/v1/reports/catalog/{report_id}") in walked
    assert ("POST", "/v1/reports/runs/{run_id}/artifacts/{format}/sign") in walked


def test_every_endpoint_needs_credentials(
    api: TestClient, settings: Settings, stored: StoredRun
) -> None:
    for method, path in operations(settings):
        response = call(api, method, fill(path, stored), {})
        assert response.status_code == 401, f"{method} {path}"
        assert response.json()["error"]["code"] == "unauthenticated"


def test_every_endpoint_enforces_permission(
    api: TestClient, settings: Settings, stored: StoredRun, no_permission: Tenant
) -> None:
    for method, path in operations(settings):
        response = call(api, method, fill(path, stored), no_permission.headers)
        assert response.status_code == 403, f"{method} {path}"
        assert response.json()["error"]["code"] == "forbidden"


def test_other_organisation_ids_are_404(
    api: TestClient, settings: Settings, stored: StoredRun, tenant_b: Tenant
) -> None:
    with_ids = [(m, p) for m, p in operations(settings) if "{run_id}" in p]
    assert with_ids
    for method, path in with_ids:
        response = call(api, method, fill(path, stored), tenant_b.headers)
        assert_error(response, 404, "not_found")
