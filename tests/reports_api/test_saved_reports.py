"""Saved reports: the query builder's create, read, replace and delete, and its checks."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from reports_pipeline import access
from reports_pipeline.settings import Settings
from tests.conftest import Tenant, make_tenant
from tests.reports_api.test_errors import assert_error

APAC = {
    "base_report_id": "ops.hourly_activity",
    "title": "Acme Ops — APAC Region Hourly",
    "description": "Hourly activity filtered to APAC.",
    "default_filters": [{"field": "region", "op": "eq", "value": "apac"}],
    "tags": ["acme", "apac", "ops"],
}


def _create(api: TestClient, tenant: Tenant, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/v1/reports/saved", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_create_returns_complete_definition(api: TestClient, tenant_a: Tenant) -> None:
    saved = _create(api, tenant_a, APAC)
    assert saved["saved_report_id"].startswith("rsav_")
    assert saved["organization_id"] == tenant_a.organization_id
    assert saved["version"] == 1
    assert saved["title"] == APAC["title"]
    definition = saved["definition"]
    assert definition["id"] == saved["saved_report_id"]
    assert definition["source_id"] == "tool_usage_hourly"
    assert definition["metrics"] == [
        "invocations",
        "blocked_invocations",
        "failed_invocations",
        "distinct_agents",
    ]
    assert definition["default_filters"] == APAC["default_filters"]
    assert definition["tags"] == ["acme", "apac", "ops"]

    fetched = api.get(f"/v1/reports/saved/{saved['saved_report_id']}", headers=tenant_a.headers)
    assert fetched.status_code == 200
    assert fetched.json() == saved


def test_put_replaces_and_bumps_version(api: TestClient, tenant_a: Tenant) -> None:
    saved = _create(api, tenant_a, APAC)
    url = f"/v1/reports/saved/{saved['saved_report_id']}"
    body = APAC | {"metrics": ["invocations"], "title": "APAC calls"}
    first = api.put(url, json=body, headers=tenant_a.headers)
    assert first.status_code == 200, first.text
    assert first.json()["version"] == 2
    assert first.json()["definition"]["metrics"] == ["invocations"]
    # Chart hints keep the metrics the report still has and are dropped when none is left.
    hints = first.json()["definition"]["chart_hints"]
    assert hints == [
        {"type": "line", "x": "period", "y": ["invocations"], "series": None, "title": None}
    ]
    second = api.put(url, json=body, headers=tenant_a.headers)
    assert second.json()["version"] == 3
    assert second.json()["definition"]["version"] == 3


def test_params_become_saved_defaults(api: TestClient, tenant_a: Tenant) -> None:
    body = APAC | {"default_filters": [], "params": {"period": "previous_week", "region": "emea"}}
    saved = _create(api, tenant_a, body)
    specs = {p["name"]: p for p in saved["definition"]["params"]}
    assert specs["period"]["default"] == "previous_week"
    assert specs["region"]["default"] == "emea"


@pytest.mark.parametrize(
    ("override", "field", "valid_choice"),
    [
        ({"dimensions": ["regoin"]}, "dimensions[0]", "region"),
        ({"metrics": ["invocatoins"]}, "metrics[0]", "invocations"),
        (
            {"default_filters": [{"field": "colour", "op": "eq", "value": "x"}]},
            "default_filters[0]",
            "region",
        ),
        ({"sort": [{"field": "nope", "direction": "asc"}]}, "sort[0]", "period"),
        (
            {
                "base_report_id": "auditor.governance_coverage",
                "default_filters": [],
                "time_grain": "hour",
            },
            "time_grain",
            "day",
        ),
    ],
)
def test_unknown_field_is_bad_request(
    api: TestClient, tenant_a: Tenant, override: dict[str, Any], field: str, valid_choice: str
) -> None:
    response = api.post("/v1/reports/saved", json=APAC | override, headers=tenant_a.headers)
    body = assert_error(response, 400, "bad_request")
    assert field in body["message"]
    assert valid_choice in body["message"]


def test_unknown_base_report_is_bad_request(api: TestClient, tenant_a: Tenant) -> None:
    response = api.post(
        "/v1/reports/saved", json=APAC | {"base_report_id": "ops.nothing"}, headers=tenant_a.headers
    )
    body = assert_error(response, 400, "bad_request")
    assert "ops.nothing" in body["message"]


@pytest.mark.parametrize(
    "override",
    [
        {"metrics": []},
        {"limit": 0},
        {"limit": 10_001},
        {"title": ""},
        {"default_filters": [{"field": "region", "op": "like", "value": "x"}]},
        {"sql": "select 1"},
        {"params": {"region": "mars"}},
        {"params": {"colour": "red"}},
        {"params": {"region": "emea"}},
        {"default_filters": [{"field": "region", "op": "eq", "value": {"nested": 1}}]},
    ],
)
def test_malformed_body_is_validation_error(
    api: TestClient, tenant_a: Tenant, override: dict[str, Any]
) -> None:
    response = api.post("/v1/reports/saved", json=APAC | override, headers=tenant_a.headers)
    assert_error(response, 400, "validation_error")


def test_other_org_saved_report_is_not_found(
    api: TestClient, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    saved = _create(api, tenant_a, APAC)
    url = f"/v1/reports/saved/{saved['saved_report_id']}"
    assert_error(api.get(url, headers=tenant_b.headers), 404, "not_found")
    assert_error(api.put(url, json=APAC, headers=tenant_b.headers), 404, "not_found")
    assert_error(api.delete(url, headers=tenant_b.headers), 404, "not_found")
    listed = api.get("/v1/reports/saved?limit=100", headers=tenant_b.headers).json()["items"]
    assert saved["saved_report_id"] not in [s["saved_report_id"] for s in listed]
    run = api.post(
        "/v1/reports/runs",
        json={"saved_report_id": saved["saved_report_id"], "formats": ["json"]},
        headers=tenant_b.headers,
    )
    assert_error(run, 404, "not_found")


def test_delete_then_get_is_not_found(api: TestClient, tenant_a: Tenant) -> None:
    saved = _create(api, tenant_a, APAC)
    url = f"/v1/reports/saved/{saved['saved_report_id']}"
    assert api.delete(url, headers=tenant_a.headers).status_code == 204
    assert_error(api.get(url, headers=tenant_a.headers), 404, "not_found")
    assert_error(api.delete(url, headers=tenant_a.headers), 404, "not_found")


def test_list_pages_with_cursor(api: TestClient, settings: Settings) -> None:
    tenant = make_tenant(settings, "Pager")
    created = [
        _create(api, tenant, APAC | {"title": f"View {n}"})["saved_report_id"] for n in range(5)
    ]
    seen: list[str] = []
    cursor = None
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(f"/v1/reports/saved{query}", headers=tenant.headers).json()
        seen += [item["saved_report_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == created


def test_builder_entitlement_required(api: TestClient, settings: Settings) -> None:
    without = tuple(e for e in access.ENTITLEMENTS if e != access.BUILDER_ENTITLEMENT)
    tenant = make_tenant(settings, "NoBuilder", entitlements=without)
    assert_error(
        api.post("/v1/reports/saved", json=APAC, headers=tenant.headers), 403, "entitlement_denied"
    )
    assert_error(api.get("/v1/reports/saved", headers=tenant.headers), 403, "entitlement_denied")


@pytest.mark.parametrize(
    ("method", "permission"),
    [("post", "analytics:create"), ("put", "analytics:update"), ("delete", "analytics:delete")],
)
def test_write_needs_its_permission(
    api: TestClient, settings: Settings, tenant_a: Tenant, method: str, permission: str
) -> None:
    saved = _create(api, tenant_a, APAC)
    others = tuple(p for p in access.PERMISSIONS if p != permission)
    tenant = make_tenant(settings, "Limited", permissions=others)
    url = (
        "/v1/reports/saved" if method == "post" else f"/v1/reports/saved/{saved['saved_report_id']}"
    )
    kwargs: dict[str, Any] = {"json": APAC} if method != "delete" else {}
    response = api.request(method.upper(), url, headers=tenant.headers, **kwargs)
    assert_error(response, 403, "forbidden")


@pytest.mark.stack
def test_saved_report_runs_through_dagster(stack_api: TestClient, tenant_a: Tenant) -> None:
    saved = _create(
        stack_api,
        tenant_a,
        APAC
        | {
            "metrics": ["invocations", "blocked_invocations"],
            "time_grain": "day",
            "params": {"period": "14d"},
        },
    )
    response = stack_api.post(
        "/v1/reports/runs",
        json={"saved_report_id": saved["saved_report_id"], "formats": ["json", "csv"]},
        headers=tenant_a.headers,
    )
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["run"]["status"] == "ready"
    assert result["run"]["saved_report_id"] == saved["saved_report_id"]
    assert result["run"]["report_id"] == "ops.hourly_activity"
    assert result["result_preview"]["columns"] == ["period", "invocations", "blocked_invocations"]
    # 14 days at a daily grain touch 14 or 15 calendar days, and the demo data ends yesterday.
    assert result["run"]["row_count"] in (13, 14)
    periods = [row[0] for row in result["result_preview"]["rows"]]
    assert len(set(periods)) == len(periods)
    assert [a["format"] for a in result["artifacts"]] == ["json", "csv"]


def test_filtered_field_is_no_longer_a_param(api: TestClient, tenant_a: Tenant) -> None:
    saved = _create(api, tenant_a, APAC)
    names = [spec["name"] for spec in saved["definition"]["params"]]
    assert "region" not in names
    assert "tool_category" in names
    response = api.post(
        "/v1/reports/runs",
        json={
            "saved_report_id": saved["saved_report_id"],
            "formats": ["json"],
            "params": {"region": "amer"},
        },
        headers=tenant_a.headers,
    )
    error = assert_error(response, 400, "validation_error")
    assert "region" in error["message"]
