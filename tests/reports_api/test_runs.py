"""Runs through the real Dagster stack: launch, wait, record, download, isolate."""

from __future__ import annotations

import csv
import io
import json
import time
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from reports_api.app import create_app
from reports_api.launcher import DagsterLauncher
from reports_api.services import runs as run_service
from reports_pipeline.catalogue import loader
from reports_pipeline.catalogue.model import ReportDefinition
from reports_pipeline.orchestration import tags
from reports_pipeline.settings import Settings
from reports_pipeline.store import repository
from reports_pipeline.store.db import session_scope
from tests.conftest import WINDOW_END, WINDOW_START, Tenant
from tests.reports_api.test_errors import assert_error

pytestmark = pytest.mark.stack

APRIL = {"period_start": WINDOW_START.isoformat(), "period_end": WINDOW_END.isoformat()}
"""A fixed 30-day window of demo data (dates: each bound covers its whole day, in UTC)."""


@pytest.fixture(scope="module")
def alerts_run(stack_api: TestClient, tenant_a: Tenant) -> dict[str, Any]:
    body = {"report_id": "ciso.alerts_by_severity", "formats": ["json", "csv"], "params": APRIL}
    response = stack_api.post("/v1/reports/runs", json=body, headers=tenant_a.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_run_returns_record_preview_and_artifacts(
    alerts_run: dict[str, Any], tenant_a: Tenant
) -> None:
    run = alerts_run["run"]
    assert run["run_id"].startswith("rrun_")
    assert run["organization_id"] == tenant_a.organization_id
    assert run["status"] == "ready"
    assert run["row_count"] == 5
    assert alerts_run["result_preview"]["columns"] == [
        "severity",
        "alert_count",
        "open_alert_count",
        "blocked_alert_count",
        "mean_time_to_resolve_minutes",
    ]
    assert len(alerts_run["result_preview"]["rows"]) == 5
    assert alerts_run["result_preview"]["preview_truncated"] is False
    assert [a["format"] for a in alerts_run["artifacts"]] == ["json", "csv"]


def test_run_counts_match_the_warehouse(
    alerts_run: dict[str, Any], settings: Settings, tenant_a: Tenant
) -> None:
    import duckdb

    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        expected = connection.execute(
            "SELECT count(*) FROM mcp_alert_events WHERE org_id = ? "
            "AND occurred_at >= CAST(? AS DATE) AND occurred_at < CAST(? AS DATE) + 1",
            [tenant_a.organization_id, WINDOW_START, WINDOW_END],
        ).fetchall()[0][0]
    rows = alerts_run["result_preview"]["rows"]
    assert sum(row[1] for row in rows) == expected


def test_run_artifacts_download(
    stack_api: TestClient, alerts_run: dict[str, Any], tenant_a: Tenant
) -> None:
    import hashlib

    for artifact in alerts_run["artifacts"]:
        response = stack_api.get(artifact["url"], headers=tenant_a.headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(artifact["content_type"].split(";")[0])
        assert len(response.content) == artifact["size_bytes"]
        assert hashlib.sha256(response.content).hexdigest() == artifact["sha256"]
        disposition = response.headers["content-disposition"]
        assert disposition.startswith("attachment;")
        assert f"ciso.alerts_by_severity-{alerts_run['run']['run_id']}" in disposition


def test_run_json_artifact_is_strict(
    stack_api: TestClient, alerts_run: dict[str, Any], tenant_a: Tenant
) -> None:
    def reject(constant: str) -> None:
        raise ValueError(constant)

    response = stack_api.get(alerts_run["artifacts"][0]["url"], headers=tenant_a.headers)
    document = json.loads(response.text, parse_constant=reject)
    assert document["organization_id"] == tenant_a.organization_id
    assert document["row_count"] == 5
    assert document["period"]["start"] == f"{WINDOW_START.isoformat()}T00:00:00+00:00"


def test_run_is_listed_and_readable(
    stack_api: TestClient, alerts_run: dict[str, Any], tenant_a: Tenant
) -> None:
    run_id = alerts_run["run"]["run_id"]
    listing = stack_api.get("/v1/reports/runs?limit=100", headers=tenant_a.headers).json()
    assert run_id in [item["run_id"] for item in listing["items"]]
    single = stack_api.get(f"/v1/reports/runs/{run_id}", headers=tenant_a.headers)
    assert single.status_code == 200
    assert single.json()["run"]["status"] == "ready"
    assert single.json()["result_preview"] == alerts_run["result_preview"]


def test_run_is_visible_in_dagster_with_tags(
    alerts_run: dict[str, Any], settings: Settings, tenant_a: Tenant
) -> None:
    query = """
    query Run($id: ID!) {
      runOrError(runId: $id) { ... on Run { status jobName tags { key value } } }
    }
    """
    dagster_run_id = alerts_run["run"]["dagster_run_id"]
    # The run record is ready once its files are stored. The Dagster run ends a moment later,
    # after the delivery steps (none for an API run).
    deadline = time.monotonic() + 30
    while True:
        response = httpx.post(
            f"http://127.0.0.1:{settings.dagster_port}/graphql",
            json={"query": query, "variables": {"id": dagster_run_id}},
            timeout=10,
        )
        run = response.json()["data"]["runOrError"]
        if run["status"] not in ("QUEUED", "STARTING", "STARTED") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert run["status"] == "SUCCESS"
    assert run["jobName"] == tags.REPORT_JOB
    run_tags = {tag["key"]: tag["value"] for tag in run["tags"]}
    assert run_tags[tags.ORGANIZATION] == tenant_a.organization_id
    assert run_tags[tags.REPORT] == "ciso.alerts_by_severity"
    assert run_tags[tags.RUN] == alerts_run["run"]["run_id"]
    assert run_tags[tags.TRIGGER] == "api"


def test_other_organisation_gets_404(
    stack_api: TestClient, alerts_run: dict[str, Any], tenant_b: Tenant
) -> None:
    run_id = alerts_run["run"]["run_id"]
    assert_error(
        stack_api.get(f"/v1/reports/runs/{run_id}", headers=tenant_b.headers), 404, "not_found"
    )
    for artifact in alerts_run["artifacts"]:
        assert_error(stack_api.get(artifact["url"], headers=tenant_b.headers), 404, "not_found")
    listing = stack_api.get("/v1/reports/runs?limit=100", headers=tenant_b.headers).json()
    assert run_id not in [item["run_id"] for item in listing["items"]]


def test_one_shot_csv_holds_only_own_rows(
    stack_api: TestClient, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    totals = {}
    for tenant in (tenant_a, tenant_b):
        response = stack_api.get(
            "/v1/reports/run/ciso.alerts_by_severity?format=csv"
            f"&period_start={WINDOW_START}&period_end={WINDOW_END}",
            headers=tenant.headers,
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        assert response.headers["x-report-run-id"].startswith("rrun_")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert {row["severity"] for row in rows} <= {"critical", "high", "medium", "low", "info"}
        totals[tenant.organization_id] = sum(int(row["alert_count"]) for row in rows)
    assert totals[tenant_a.organization_id] != totals[tenant_b.organization_id]


def test_one_shot_with_period_shorthand(stack_api: TestClient, tenant_a: Tenant) -> None:
    response = stack_api.get(
        "/v1/reports/run/ciso.alerts_by_severity?format=json&period=400d&region=emea",
        headers=tenant_a.headers,
    )
    assert response.status_code == 200, response.text
    document = response.json()
    assert document["row_count"] == 5
    assert document["period"]["label"] == "400d"


def test_list_pages_with_cursor(
    stack_api: TestClient, alerts_run: dict[str, Any], tenant_a: Tenant
) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        query = "limit=1" + (f"&cursor={cursor}" if cursor else "")
        page = stack_api.get(f"/v1/reports/runs?{query}", headers=tenant_a.headers).json()
        seen += [item["run_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen, reverse=True)
    assert len(seen) == len(set(seen))
    assert alerts_run["run"]["run_id"] in seen


@pytest.fixture
def every_alert_report(monkeypatch: pytest.MonkeyPatch) -> str:
    """A report with one row per alert: valid, but over the row cap for a year of data."""
    definition = ReportDefinition(
        id="ciso.every_alert",
        persona="ciso",
        title="Every alert",
        description="One row per alert timestamp.",
        source_id="mcp_alert_events",
        dimensions=["occurred_at", "severity"],
        metrics=["alert_count"],
        params=loader.load_catalogue()["ciso.alerts_by_severity"].params,
    )
    catalogue = {**loader.get_catalogue(), definition.id: definition}
    monkeypatch.setattr(run_service, "get_catalogue", lambda: catalogue)
    return definition.id


def test_run_over_row_cap_fails_with_422(
    stack_api: TestClient, tenant_a: Tenant, every_alert_report: str
) -> None:
    body = {"report_id": every_alert_report, "formats": ["csv"], "params": {"period": "365d"}}
    response = stack_api.post("/v1/reports/runs", json=body, headers=tenant_a.headers)
    error = assert_error(response, 422, "unprocessable_entity")
    run_id = error["details"]["run_id"]
    record = stack_api.get(f"/v1/reports/runs/{run_id}", headers=tenant_a.headers).json()["run"]
    assert record["status"] == "failed"
    assert record["error"]["code"] == "unprocessable_entity"
    assert "10,000" in record["error"]["message"]
    assert record["finished_at"] is not None


def test_failing_step_is_recorded(settings: Settings, tenant_a: Tenant, stack: object) -> None:
    """A run whose render step fails is stored as failed with the step named."""
    definition = loader.get_catalogue()["ciso.alerts_by_severity"]
    with session_scope(settings.database_url) as session:
        run = repository.create_run(
            session,
            organization_id=tenant_a.organization_id,
            report_id=definition.id,
            definition=definition.model_dump(mode="json"),
            trigger="api",
            # No renderer exists for this made-up format, so its render step raises.
            formats=["json", "docx"],
            params=APRIL,
        )
    launcher = DagsterLauncher(settings)
    run.dagster_run_id = launcher.launch_report(run.id, run.organization_id, run.report_id, "api")
    finished = run_service.wait_for_run(settings, launcher, run)
    assert finished.status == "failed"
    assert finished.error_code == "run_failed"
    assert "render_artifact" in (finished.error_message or "")
    deadline = time.monotonic() + 30
    while (
        launcher.status(run.dagster_run_id) not in ("FAILURE", "SUCCESS")
        and time.monotonic() < deadline
    ):
        time.sleep(0.2)
    assert launcher.status(run.dagster_run_id) == "FAILURE"


def test_wait_bound_answers_202(settings: Settings, tenant_a: Tenant, stack: object) -> None:
    impatient = settings.model_copy(update={"run_wait_seconds": 0.01})
    with TestClient(create_app(impatient)) as client:
        body = {"report_id": "ciso.alerts_by_severity", "formats": ["json"], "params": APRIL}
        response = client.post("/v1/reports/runs", json=body, headers=tenant_a.headers)
        assert response.status_code == 202, response.text
        run = response.json()["run"]
        assert run["status"] in ("queued", "running")
        deadline = time.monotonic() + 60
        while run["status"] in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.3)
            run = client.get(f"/v1/reports/runs/{run['run_id']}", headers=tenant_a.headers).json()[
                "run"
            ]
        assert run["status"] == "ready"


def test_dagster_down_is_503(settings: Settings, tenant_a: Tenant) -> None:
    unreachable = settings.model_copy(update={"dagster_port": 9})
    with TestClient(create_app(unreachable)) as client:
        body = {"report_id": "ciso.alerts_by_severity", "formats": ["json"], "params": APRIL}
        response = client.post("/v1/reports/runs", json=body, headers=tenant_a.headers)
    error = assert_error(response, 503, "service_unavailable")
    assert "Dagster" in error["message"]
