"""GET /v1/reports/catalog and /catalog/{reportId}: listing, filters, pages, locked reports."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from reports_pipeline import access
from reports_pipeline.catalogue.loader import get_catalogue
from reports_pipeline.settings import Settings
from tests.conftest import Tenant, make_tenant
from tests.reports_api.test_errors import assert_error


@pytest.fixture(scope="module")
def without_premium(settings: Settings) -> Tenant:
    granted = tuple(e for e in access.ENTITLEMENTS if e != access.PREMIUM_REPORTS_ENTITLEMENT)
    return make_tenant(settings, "No premium", entitlements=granted)


def all_pages(api: TestClient, tenant: Tenant, query: str = "") -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    cursor = None
    while True:
        suffix = f"&cursor={cursor}" if cursor else ""
        page = api.get(f"/v1/reports/catalog?limit=7{query}{suffix}", headers=tenant.headers).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def test_catalog_lists_every_report(api: TestClient, tenant_a: Tenant) -> None:
    ids = [item["id"] for item in all_pages(api, tenant_a)]
    assert ids == sorted(get_catalogue())


def test_catalog_filters_by_persona(api: TestClient, tenant_a: Tenant) -> None:
    items = all_pages(api, tenant_a, "&persona=ciso")
    assert items
    assert {item["persona"] for item in items} == {"ciso"}


def test_catalog_filters_by_tag(api: TestClient, tenant_a: Tenant) -> None:
    tag = next(tag for d in get_catalogue().values() for tag in d.tags or ())
    items = all_pages(api, tenant_a, f"&tag={tag}")
    assert items
    assert all(tag in item["tags"] for item in items)


def test_catalog_unknown_persona_is_400(api: TestClient, tenant_a: Tenant) -> None:
    response = api.get("/v1/reports/catalog?persona=cto", headers=tenant_a.headers)
    assert_error(response, 400, "validation_error")


def test_catalog_bad_cursor_is_400(api: TestClient, tenant_a: Tenant) -> None:
    response = api.get("/v1/reports/catalog?cursor=bm90IGEgcmVwb3J0", headers=tenant_a.headers)
    assert_error(response, 400, "validation_error")


def test_catalog_report_has_param_specs(api: TestClient, tenant_a: Tenant) -> None:
    response = api.get("/v1/reports/catalog/ciso.alerts_by_severity", headers=tenant_a.headers)
    assert response.status_code == 200
    report = response.json()
    names = [param["name"] for param in report["params"]]
    assert names[:2] == ["period", "region"]
    assert {"period_start", "period_end", "timezone"} <= set(names)
    region = next(param for param in report["params"] if param["name"] == "region")
    assert region["allowed_values"] == ["amer", "emea", "apac"]
    assert report["locked"] is False


def test_catalog_unknown_report_is_404(api: TestClient, tenant_a: Tenant) -> None:
    response = api.get("/v1/reports/catalog/ciso.no_such_report", headers=tenant_a.headers)
    assert_error(response, 404, "not_found")


def test_premium_reports_locked_without_entitlement(
    api: TestClient, without_premium: Tenant
) -> None:
    premium = [d.id for d in get_catalogue().values() if d.entitlement_key]
    if not premium:
        pytest.fail("the catalogue should hold premium reports")
    items = {item["id"]: item for item in all_pages(api, without_premium)}
    assert all(items[report_id]["locked"] for report_id in premium)
    assert not any(item["locked"] for report_id, item in items.items() if report_id not in premium)


def test_premium_report_run_is_403(api: TestClient, without_premium: Tenant) -> None:
    premium = next(d for d in get_catalogue().values() if d.entitlement_key)
    body = {"report_id": premium.id, "formats": ["json"]}
    response = api.post("/v1/reports/runs", json=body, headers=without_premium.headers)
    error = assert_error(response, 403, "entitlement_denied")
    assert error["details"] == {"entitlement": premium.entitlement_key}
