"""Every error the runs surface returns before a run launches, in the API's error envelope."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reports_pipeline.render import AVAILABLE_FORMATS
from reports_pipeline.settings import Settings
from reports_pipeline.store import repository
from reports_pipeline.store.db import session_scope
from tests.conftest import Tenant, make_tenant

RUN = {"report_id": "ciso.alerts_by_severity", "formats": ["csv"]}


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return dict(body["error"])


@pytest.fixture(scope="module")
def reader_only(settings: Settings) -> Tenant:
    return make_tenant(settings, "Reader without permission", permissions=("analytics:create",))


@pytest.fixture(scope="module")
def unentitled(settings: Settings) -> Tenant:
    return make_tenant(settings, "No reporting", entitlements=())


@pytest.fixture(scope="module")
def basic_only(settings: Settings) -> Tenant:
    return make_tenant(settings, "Basic reporting", entitlements=("enterprise_reporting",))


def test_missing_credential_is_401(api: TestClient) -> None:
    response = api.get("/v1/reports/runs")
    assert_error(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer rpk_not-a-real-key", "rpk_without_scheme"],
)
def test_invalid_credential_is_401(api: TestClient, header: str) -> None:
    assert_error(
        api.get("/v1/reports/runs", headers={"Authorization": header}), 401, "unauthenticated"
    )


def test_revoked_key_is_401(api: TestClient, settings: Settings, tenant_a: Tenant) -> None:
    with session_scope(settings.database_url) as session:
        credential, token = repository.create_credential(
            session, tenant_a.organization_id, permissions=["analytics:read"]
        )
        repository.revoke_credential(session, credential.id)
    response = api.get("/v1/reports/runs", headers={"Authorization": f"Bearer {token}"})
    assert_error(response, 401, "unauthenticated")


def test_expired_session_token_is_401(
    api: TestClient, settings: Settings, tenant_a: Tenant
) -> None:
    with session_scope(settings.database_url) as session:
        _, token = repository.create_credential(
            session,
            tenant_a.organization_id,
            permissions=["analytics:read"],
            kind="session",
            expires_at=datetime.now(UTC) - timedelta(seconds=1),
        )
    response = api.get("/v1/reports/runs", headers={"Authorization": f"Bearer {token}"})
    assert_error(response, 401, "unauthenticated")


def test_live_session_token_is_accepted(
    api: TestClient, settings: Settings, tenant_a: Tenant
) -> None:
    with session_scope(settings.database_url) as session:
        _, token = repository.create_credential(
            session,
            tenant_a.organization_id,
            permissions=["analytics:read"],
            kind="session",
            expires_at=datetime.now(UTC) + timedelta(hours=1),
        )
    response = api.get("/v1/reports/runs", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_missing_permission_is_403_forbidden(api: TestClient, reader_only: Tenant) -> None:
    error = assert_error(
        api.post("/v1/reports/runs", json=RUN, headers=reader_only.headers), 403, "forbidden"
    )
    assert "analytics:read" in error["message"]


def test_missing_entitlement_is_403(api: TestClient, unentitled: Tenant) -> None:
    response = api.get("/v1/reports/runs", headers=unentitled.headers)
    error = assert_error(response, 403, "entitlement_denied")
    assert error["details"] == {"entitlement": "enterprise_reporting"}


def test_branded_pdf_needs_its_entitlement(api: TestClient, basic_only: Tenant) -> None:
    body = {"report_id": "ciso.alerts_by_severity", "formats": ["pdf_branded"]}
    response = api.post("/v1/reports/runs", json=body, headers=basic_only.headers)
    error = assert_error(response, 403, "entitlement_denied")
    assert error["details"] == {"entitlement": "enterprise_reporting.branded_pdf"}


def test_unknown_report_is_404(api: TestClient, tenant_a: Tenant) -> None:
    body = {"report_id": "ciso.no_such_report", "formats": ["csv"]}
    assert_error(
        api.post("/v1/reports/runs", json=body, headers=tenant_a.headers), 404, "not_found"
    )


def test_unknown_report_one_shot_is_404(api: TestClient, tenant_a: Tenant) -> None:
    response = api.get("/v1/reports/run/ciso.no_such_report?format=csv", headers=tenant_a.headers)
    assert_error(response, 404, "not_found")


def test_unknown_saved_report_is_404(api: TestClient, tenant_a: Tenant) -> None:
    body = {"saved_report_id": "rsav_01M91D48NBXA23BANK8FZFY1ZA", "formats": ["csv"]}
    assert_error(
        api.post("/v1/reports/runs", json=body, headers=tenant_a.headers), 404, "not_found"
    )


@pytest.mark.parametrize(
    "path",
    [
        "/v1/reports/runs/rrun_01M91D48NBXA23BANK8FZFY1ZA",
        "/v1/reports/runs/not-a-run-id",
        "/v1/reports/runs/rrun_01M91D48NBXA23BANK8FZFY1ZA/artifacts/csv",
    ],
)
def test_unknown_run_is_404(api: TestClient, tenant_a: Tenant, path: str) -> None:
    assert_error(api.get(path, headers=tenant_a.headers), 404, "not_found")


def test_unknown_path_is_404_envelope(api: TestClient, tenant_a: Tenant) -> None:
    assert_error(api.get("/v1/reports/nothing-here", headers=tenant_a.headers), 404, "not_found")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"formats": ["csv"]}, "body"),
        ({"report_id": "ciso.alerts_by_severity", "saved_report_id": "rsav_x"}, "body"),
        ({"report_id": "ciso.alerts_by_severity", "formats": ["docx"]}, "body.formats.0"),
        ({"report_id": "ciso.alerts_by_severity", "formats": []}, "body.formats"),
        ({"report_id": "ciso.alerts_by_severity", "formats": ["csv", "csv"]}, "body"),
        ({"report_id": "ciso.alerts_by_severity", "colour": "red"}, "body.colour"),
        ({"report_id": "ciso.alerts_by_severity", "params": []}, "body.params"),
        ({"report_id": 42}, "body.report_id"),
        (
            {"report_id": "ciso.alerts_by_severity", "render_options": {"logo": "x"}},
            "body.render_options.logo",
        ),
        (
            {"report_id": "ciso.alerts_by_severity", "render_options": {"primary_color": "red"}},
            "body.render_options.primary_color",
        ),
        (
            {
                "report_id": "ciso.alerts_by_severity",
                "render_options": {"accent_color": "#12345g"},
            },
            "body.render_options.accent_color",
        ),
        (
            {
                "report_id": "ciso.alerts_by_severity",
                "render_options": {"logo_url": "file:///etc/passwd"},
            },
            "body.render_options.logo_url",
        ),
    ],
)
def test_invalid_body_is_400_validation_error(
    api: TestClient, tenant_a: Tenant, body: dict[str, Any], field: str
) -> None:
    response = api.post("/v1/reports/runs", json=body, headers=tenant_a.headers)
    error = assert_error(response, 400, "validation_error")
    assert error["details"][0]["field"] == field


def test_malformed_json_is_400(api: TestClient, tenant_a: Tenant) -> None:
    response = api.post(
        "/v1/reports/runs",
        content=b"{not json",
        headers={**tenant_a.headers, "Content-Type": "application/json"},
    )
    assert_error(response, 400, "validation_error")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"colour": "red"}, "params.colour"),
        ({"region": "mars"}, "params.region"),
        ({"period": "30 days"}, "period"),
        ({"period": "0d"}, "period"),
        ({"period_start": "2026-04-01"}, "period_end"),
        ({"period_start": "yesterday", "period_end": "2026-04-02"}, "period_start"),
        ({"period_start": "2026-05-01", "period_end": "2026-04-01"}, "period_start"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
    ],
)
def test_invalid_params_are_400(
    api: TestClient, tenant_a: Tenant, params: dict[str, Any], field: str
) -> None:
    body = {**RUN, "params": params}
    error = assert_error(
        api.post("/v1/reports/runs", json=body, headers=tenant_a.headers), 400, "validation_error"
    )
    assert error["details"][0]["field"] == field


def test_invalid_param_lists_allowed_values(api: TestClient, tenant_a: Tenant) -> None:
    body = {**RUN, "params": {"region": "mars"}}
    error = assert_error(
        api.post("/v1/reports/runs", json=body, headers=tenant_a.headers), 400, "validation_error"
    )
    assert error["details"][0]["allowed"] == ["amer", "emea", "apac"]


def test_unavailable_format_is_400(
    api: TestClient, tenant_a: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # This build renders every format of the schema, so the test takes one away.
    available = tuple(key for key in AVAILABLE_FORMATS if key != "pdf_branded")
    monkeypatch.setattr("reports_api.services.runs.AVAILABLE_FORMATS", available)
    body = {"report_id": "ciso.alerts_by_severity", "formats": ["pdf_branded"]}
    error = assert_error(
        api.post("/v1/reports/runs", json=body, headers=tenant_a.headers), 400, "validation_error"
    )
    assert error["details"][0]["allowed"] == list(available)


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "cursor=%%%", "cursor=cnJ1bl94", "status=done"]
)
def test_invalid_list_query_is_400(api: TestClient, tenant_a: Tenant, query: str) -> None:
    assert_error(
        api.get(f"/v1/reports/runs?{query}", headers=tenant_a.headers), 400, "validation_error"
    )


def test_one_shot_invalid_format_is_400(api: TestClient, tenant_a: Tenant) -> None:
    response = api.get(
        "/v1/reports/run/ciso.alerts_by_severity?format=docx", headers=tenant_a.headers
    )
    assert_error(response, 400, "validation_error")


def test_method_not_allowed_uses_envelope(api: TestClient, tenant_a: Tenant) -> None:
    assert_error(
        api.delete("/v1/reports/runs", headers=tenant_a.headers), 405, "method_not_allowed"
    )


def test_repeated_single_value_param_is_400(api: TestClient, tenant_a: Tenant) -> None:
    response = api.get(
        "/v1/reports/run/ciso.alerts_by_severity?format=csv&region=emea&region=apac",
        headers=tenant_a.headers,
    )
    error = assert_error(response, 400, "validation_error")
    assert error["details"][0]["field"] == "params.region"


def test_invalid_json_message_is_plain(api: TestClient, tenant_a: Tenant) -> None:
    response = api.post(
        "/v1/reports/runs",
        content=b'{"report_id": "ceo.executive_summary",}',
        headers={**tenant_a.headers, "Content-Type": "application/json"},
    )
    error = assert_error(response, 400, "validation_error")
    assert error["message"].startswith("the request body is not valid JSON")


def test_form_body_asks_for_json(api: TestClient, tenant_a: Tenant) -> None:
    response = api.post(
        "/v1/reports/runs",
        content=b"report_id=x",
        headers={**tenant_a.headers, "Content-Type": "application/x-www-form-urlencoded"},
    )
    error = assert_error(response, 400, "validation_error")
    assert "Content-Type: application/json" in error["message"]


def test_model_error_has_no_pydantic_prefix(api: TestClient, tenant_a: Tenant) -> None:
    error = assert_error(
        api.post("/v1/reports/runs", json={}, headers=tenant_a.headers), 400, "validation_error"
    )
    assert error["message"] == "give exactly one of report_id and saved_report_id"


def test_definition_with_unknown_metric_is_400_bad_request(
    api: TestClient, tenant_a: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whitelisting is checked again when a run is compiled, not only when a definition loads."""
    from reports_api.services import runs as run_service
    from reports_pipeline.catalogue.loader import get_catalogue

    base = get_catalogue()["ciso.alerts_by_severity"]
    # model_copy skips validation, like a definition stored before a source lost a metric.
    broken = base.model_copy(update={"id": "ciso.broken", "metrics": ["alert_count", "mood"]})
    catalogue = {**get_catalogue(), broken.id: broken}
    monkeypatch.setattr(run_service, "get_catalogue", lambda: catalogue)
    body = {"report_id": "ciso.broken", "formats": ["csv"]}
    error = assert_error(
        api.post("/v1/reports/runs", json=body, headers=tenant_a.headers), 400, "bad_request"
    )
    assert "mood" in error["message"]
    assert "mcp_alert_events" in error["message"]
    assert "alert_count" in error["details"][0]["allowed"]


# --- NUL characters ---------------------------------------------------------------------------
# Postgres text cannot contain NUL, so the API rejects it in every query value, path segment and
# body string before any database access.


@pytest.mark.parametrize(
    "path",
    [
        "/v1/reports/runs?report_id=%00",
        "/v1/reports/runs?schedule_id=a%00b",
        "/v1/reports/runs?status=%00",
        "/v1/reports/runs?cursor=%00",
        "/v1/reports/runs/rrun_%00",
        "/v1/reports/runs/rrun_%00/artifacts/csv",
        "/v1/reports/artifacts/local/org/run%00/report.csv?expires=1&signature=x",
        "/v1/reports/saved/rsav_%00",
        "/v1/reports/schedules/rsch_%00",
        "/v1/reports/catalog/%00",
        "/v1/reports/run/ciso.alerts_by_severity?format=csv&team=%00",
        "/v1/reports/runs?%00=1",
    ],
)
def test_nul_in_query_or_path_is_400(api: TestClient, tenant_a: Tenant, path: str) -> None:
    error = assert_error(api.get(path, headers=tenant_a.headers), 400, "validation_error")
    assert "NUL" in error["message"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/reports/runs", {**RUN, "params": {"team": "ops\u0000"}}),
        ("/v1/reports/runs", {**RUN, "report_id": "ciso.alerts\u0000"}),
        (
            "/v1/reports/saved",
            {"base_report_id": "ciso.alerts_by_severity", "title": "Weekly\u0000"},
        ),
        (
            "/v1/reports/saved",
            {"base_report_id": "ciso.alerts_by_severity", "title": "T", "tags": ["a\u0000"]},
        ),
    ],
)
def test_nul_in_body_is_400(
    api: TestClient, tenant_a: Tenant, path: str, body: dict[str, Any]
) -> None:
    error = assert_error(
        api.post(path, json=body, headers=tenant_a.headers), 400, "validation_error"
    )
    assert "NUL" in error["message"]


# --- Unpaired surrogates and out-of-range dates -----------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "/v1/reports/saved",
            '{"base_report_id": "ciso.alerts_by_severity", "tags": ["\\udc00x"]}',
        ),
        (
            "/v1/reports/saved",
            '{"base_report_id": "ciso.alerts_by_severity", "default_filters": '
            '[{"field": "server_name", "op": "eq", "value": "srv\\ud83d"}]}',
        ),
        (
            "/v1/reports/runs",
            '{"report_id": "ciso.alerts_by_severity", "params": {"period": "\\ud83d"}}',
        ),
        (
            "/v1/reports/runs",
            '{"report_id": "ciso.alerts_by_severity", "params": {"timezone": "Asia/\\ud83d"}}',
        ),
    ],
)
def test_unpaired_surrogate_in_body_is_400(
    api: TestClient, tenant_a: Tenant, path: str, body: str
) -> None:
    # Half of an emoji, as a client that cuts a UTF-16 string in two sends it.
    headers = {**tenant_a.headers, "Content-Type": "application/json"}
    before = api.get("/v1/reports/saved?limit=100", headers=tenant_a.headers)
    assert before.status_code == 200

    error = assert_error(api.post(path, content=body, headers=headers), 400, "validation_error")
    assert "surrogates" in error["message"]
    after = api.get("/v1/reports/saved?limit=100", headers=tenant_a.headers)
    assert after.status_code == 200
    assert len(after.json()["items"]) == len(before.json()["items"])


def test_last_representable_day_is_400(api: TestClient, tenant_a: Tenant) -> None:
    params = {"period_start": "2026-10-01", "period_end": "9999-12-31"}
    body = {"report_id": "ciso.alerts_by_severity", "formats": ["csv"], "params": params}
    response = api.post("/v1/reports/runs", json=body, headers=tenant_a.headers)
    error = assert_error(response, 400, "validation_error")
    assert "9999-12-31" in error["message"]

    one_shot = api.get(
        "/v1/reports/run/ciso.alerts_by_severity?format=csv&period_start=2026-10-01"
        "&period_end=9999-12-31",
        headers=tenant_a.headers,
    )
    assert_error(one_shot, 400, "validation_error")


def test_error_body_replaces_unpaired_surrogates() -> None:
    from reports_api.errors import envelope

    response = envelope(400, "validation_error", "bad \ud83d", details=[{"value": "x\udc00"}])
    body = json.loads(response.body)
    assert body["error"]["message"] == "bad \ufffd"
    assert body["error"]["details"] == [{"value": "x\ufffd"}]


def test_unexpected_error_closes_connection(settings: Settings) -> None:
    from reports_api.app import create_app

    app = create_app(settings)

    def fail() -> None:
        raise RuntimeError("broken")

    app.add_api_route("/v1/reports/broken", fail)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/v1/reports/broken")
    assert_error(response, 500, "internal_error")
    assert response.headers["connection"] == "close"
