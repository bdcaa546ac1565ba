"""GET /v1/reports/semantic-sources: every source with its full schema."""

from __future__ import annotations

from fastapi.testclient import TestClient

from reports_pipeline.semantic.sources import SOURCES
from tests.conftest import Tenant
from tests.reports_api.test_errors import assert_error


def test_semantic_sources_lists_every_source(api: TestClient, tenant_a: Tenant) -> None:
    response = api.get("/v1/reports/semantic-sources", headers=tenant_a.headers)
    assert response.status_code == 200
    ids = [item["id"] for item in response.json()["items"]]
    assert ids == list(SOURCES)


def test_semantic_sources_full_schema(api: TestClient, tenant_a: Tenant) -> None:
    items = api.get("/v1/reports/semantic-sources", headers=tenant_a.headers).json()["items"]
    alerts = next(item for item in items if item["id"] == "mcp_alert_events")
    assert alerts["organization_column"] == "org_id"
    assert alerts["time_column"] == "occurred_at"
    assert alerts["time_grains"] == ["hour", "day", "week", "month", "quarter", "year"]
    severity = next(d for d in alerts["dimensions"] if d["key"] == "severity")
    assert severity["type"] == "enum"
    assert severity["allowed_values"] == ["critical", "high", "medium", "low", "info"]
    assert "in" in severity["filter_ops"]
    assert "contains" not in severity["filter_ops"]
    block_rate = next(m for m in alerts["metrics"] if m["key"] == "block_rate_pct")
    assert block_rate["aggregation"] == "ratio"
    assert block_rate["unit"] == "percent"
    assert block_rate["numerator"] == "blocked_alert_count"


def test_semantic_sources_needs_credential(api: TestClient) -> None:
    assert_error(api.get("/v1/reports/semantic-sources"), 401, "unauthenticated")
