"""Schedules through the API: validation, conflicts, secrets, fire times and saved-report stops."""

from __future__ import annotations

import itertools
import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from reports_pipeline import access
from reports_pipeline.crypto import SecretBox
from reports_pipeline.delivery.model import MASK
from reports_pipeline.settings import Settings
from reports_pipeline.store import repository
from reports_pipeline.store.db import session_scope
from reports_pipeline.store.models import Schedule
from tests.conftest import Tenant, make_tenant
from tests.reports_api.test_errors import assert_error

WEBHOOK_SECRET = "whsec-3f9a1c7e5b2d4f6a8c0e"
HEADER_VALUE = "api-key-7d1e9b3c5a"
SFTP_PASSWORD = "sftp-pass-4c8e2a6f0b"
FINGERPRINT = "SHA256:" + "A" * 43

CHANNELS: list[dict[str, Any]] = [
    {"type": "email", "to": ["board@acme.example.com"], "subject": "Weekly summary"},
    {
        "type": "webhook",
        "url": "https://siem.acme.example.com/hooks/reports",
        "headers": {"X-API-Key": HEADER_VALUE},
        "secret": WEBHOOK_SECRET,
    },
    {
        "type": "sftp",
        "host": "sftp.acme.example.com",
        "username": "reports",
        "remote_path": "/incoming/",
        "auth": {"type": "password", "value": SFTP_PASSWORD},
        "host_key_fingerprint": FINGERPRINT,
    },
    {"type": "s3", "bucket": "acme-reports", "prefix": "trinitite/weekly/", "region": "us-west-2"},
]


def schedule_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "report_id": "ciso.alerts_by_severity",
        "cron": "0 8 * * MON",
        "timezone": "America/Los_Angeles",
        "formats": ["pdf", "csv"],
        "channels": CHANNELS,
        "enabled": True,
    }
    return body | changes


def _create(api: TestClient, tenant: Tenant, **changes: Any) -> dict[str, Any]:
    response = api.post(
        "/v1/reports/schedules", json=schedule_body(**changes), headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.fixture
def tenant(settings: Settings) -> Tenant:
    """A fresh organisation per test, so crons never collide across tests."""
    return make_tenant(settings, "Scheduler")


def test_create_returns_schedule_with_fire_times(api: TestClient, tenant: Tenant) -> None:
    schedule = _create(api, tenant)
    assert schedule["schedule_id"].startswith("rsch_")
    assert schedule["organization_id"] == tenant.organization_id
    assert schedule["cron"] == "0 8 * * MON"
    assert schedule["enabled"] is True
    assert schedule["disabled_reason"] is None
    times = [datetime.fromisoformat(t) for t in schedule["next_fire_times"]]
    assert len(times) == 5
    assert times == sorted(times)
    assert times[0] >= datetime.fromisoformat(schedule["updated_at"]) + timedelta(seconds=60)
    for moment in times:
        local = moment.astimezone(ZoneInfo("America/Los_Angeles"))
        assert (local.weekday(), local.hour, local.minute) == (0, 8, 0)


def test_secrets_are_masked_everywhere(
    api: TestClient, tenant: Tenant, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    schedule = _create(api, tenant)
    fetched = api.get(f"/v1/reports/schedules/{schedule['schedule_id']}", headers=tenant.headers)
    listed = api.get("/v1/reports/schedules", headers=tenant.headers)
    for text in (str(schedule), fetched.text, listed.text, caplog.text):
        for secret in (WEBHOOK_SECRET, HEADER_VALUE, SFTP_PASSWORD):
            assert secret not in text
    webhook, sftp = schedule["channels"][1], schedule["channels"][2]
    assert webhook["secret"] == MASK
    assert webhook["headers"] == {"X-API-Key": MASK}
    assert sftp["auth"] == {"type": "password", "value": MASK}

    with session_scope(settings.database_url) as session:
        row = session.get(Schedule, schedule["schedule_id"])
        assert row is not None
        stored = str(row.channels) + row.channel_secrets
        for secret in (WEBHOOK_SECRET, HEADER_VALUE, SFTP_PASSWORD):
            assert secret not in stored
        channels = repository.schedule_channels(row, SecretBox.from_settings(settings))
    assert channels[1].secret == WEBHOOK_SECRET  # type: ignore[union-attr]
    assert channels[1].headers == {"X-API-Key": HEADER_VALUE}  # type: ignore[union-attr]
    assert channels[2].auth.value == SFTP_PASSWORD  # type: ignore[union-attr]


def test_put_with_masks_keeps_secrets(api: TestClient, tenant: Tenant, settings: Settings) -> None:
    schedule = _create(api, tenant)
    url = f"/v1/reports/schedules/{schedule['schedule_id']}"
    body = schedule_body(channels=schedule["channels"], cron="0 9 * * MON")
    response = api.put(url, json=body, headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2
    assert response.json()["cron"] == "0 9 * * MON"
    with session_scope(settings.database_url) as session:
        row = session.get(Schedule, schedule["schedule_id"])
        assert row is not None
        channels = repository.schedule_channels(row, SecretBox.from_settings(settings))
    assert channels[1].secret == WEBHOOK_SECRET  # type: ignore[union-attr]
    assert channels[2].auth.value == SFTP_PASSWORD  # type: ignore[union-attr]


def test_mask_on_changed_target_is_rejected(api: TestClient, tenant: Tenant) -> None:
    schedule = _create(api, tenant)
    channels = [dict(c) for c in schedule["channels"]]
    channels[1]["url"] = "https://other.example.com/hook"
    response = api.put(
        f"/v1/reports/schedules/{schedule['schedule_id']}",
        json=schedule_body(channels=channels),
        headers=tenant.headers,
    )
    body = assert_error(response, 400, "validation_error")
    assert "mask" in body["message"]


@pytest.mark.parametrize(
    "equivalent", ["0 8 * * 1", "0 8 * * MON", "00 08 * * mon", "0 8 1-31 JAN-DEC 1"]
)
def test_equivalent_cron_conflicts(api: TestClient, tenant: Tenant, equivalent: str) -> None:
    _create(api, tenant, cron="0 8 * * MON")
    response = api.post(
        "/v1/reports/schedules", json=schedule_body(cron=equivalent), headers=tenant.headers
    )
    if equivalent == "0 8 1-31 JAN-DEC 1":
        # Both day fields restricted: every day matches, so this is a different schedule.
        assert response.status_code == 201, response.text
        return
    body = assert_error(response, 409, "conflict")
    assert "fires at the same times" in body["message"]


@pytest.mark.parametrize(
    ("zone", "alias"),
    [("America/Los_Angeles", "US/Pacific"), ("Asia/Calcutta", "Asia/Kolkata")],
)
def test_zone_alias_conflicts(api: TestClient, tenant: Tenant, zone: str, alias: str) -> None:
    # A link names the same zone, so both schedules would fire and deliver at the same times.
    _create(api, tenant, cron="0 9 * * *", timezone=zone)
    response = api.post(
        "/v1/reports/schedules",
        json=schedule_body(cron="0 9 * * *", timezone=alias),
        headers=tenant.headers,
    )
    body = assert_error(response, 409, "conflict")
    assert alias in body["message"]


def test_same_cron_elsewhere_is_allowed(api: TestClient, tenant: Tenant) -> None:
    _create(api, tenant)
    _create(api, tenant, timezone="Europe/London")
    _create(api, tenant, report_id="ciso.alert_trend")


def test_put_into_conflict_is_rejected(api: TestClient, tenant: Tenant) -> None:
    _create(api, tenant, cron="0 8 * * MON")
    other = _create(api, tenant, cron="0 9 * * MON")
    url = f"/v1/reports/schedules/{other['schedule_id']}"
    conflict = api.put(url, json=schedule_body(cron="0 8 * * 1"), headers=tenant.headers)
    assert_error(conflict, 409, "conflict")
    unchanged = api.put(url, json=schedule_body(cron="0 9 * * 1"), headers=tenant.headers)
    assert unchanged.status_code == 200, unchanged.text


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"cron": "0 8 * *"}, "cron"),
        ({"cron": "61 8 * * *"}, "cron"),
        ({"cron": "0 8 * * FUNDAY"}, "cron"),
        ({"cron": "@weekly"}, "cron"),
        ({"cron": "0 0 31 2 *"}, "cron"),
        ({"cron": "*/0 * * * *"}, "cron"),
        ({"cron": "0 0 30 2 1"}, "cron"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"formats": []}, "formats"),
        ({"formats": ["docx"]}, "formats"),
        ({"formats": ["csv", "csv"]}, "formats"),
        ({"channels": []}, "channels"),
        ({"channels": [{"type": "fax", "number": "1"}]}, "channels"),
        ({"channels": [{"type": "email", "to": ["not-an-address"]}]}, "channels"),
        (
            {
                "channels": [
                    {"type": "email", "to": ["a@example.com"], "subject": "a\r\nBcc: x@example.com"}
                ]
            },
            "channels",
        ),
        ({"channels": [CHANNELS[1] | {"url": "http://siem.acme.example.com/hook"}]}, "channels"),
        ({"channels": [CHANNELS[1] | {"url": "https://10.0.0.5/hook"}]}, "channels"),
        ({"channels": [CHANNELS[1] | {"url": "https://169.254.169.254/latest"}]}, "channels"),
        ({"channels": [CHANNELS[1] | {"secret": "short"}]}, "channels"),
        ({"channels": [CHANNELS[1] | {"headers": {"X-Trinitite-Signature": "x"}}]}, "channels"),
        (
            {"channels": [{k: v for k, v in CHANNELS[2].items() if k != "host_key_fingerprint"}]},
            "channels",
        ),
        ({"channels": [CHANNELS[2] | {"remote_path": "/in/../../etc"}]}, "channels"),
        ({"channels": [CHANNELS[3] | {"bucket": "Bad_Bucket"}]}, "channels"),
        ({"channels": [CHANNELS[3] | {"region": "moon-1"}]}, "channels"),
        ({"saved_report_id": "rsav_01JF8RRSV1A2B3C4D5E6F7G8H9"}, "saved_report_id"),
        ({"params": {"colour": "red"}}, "params"),
        ({"enabled": "sometimes"}, "enabled"),
        ({"render_options": {"logo_url": "https://169.254.169.254/logo.png"}}, "logo_url"),
        ({"render_options": {"logo_url": "http://assets.example.com/logo.png"}}, "logo_url"),
    ],
)
def test_invalid_schedule_is_rejected(
    api: TestClient, tenant: Tenant, changes: dict[str, Any], field: str
) -> None:
    response = api.post(
        "/v1/reports/schedules", json=schedule_body(**changes), headers=tenant.headers
    )
    body = assert_error(response, 400, "validation_error")
    assert field in str(body).lower() or field in body["message"]


def test_unknown_targets_are_not_found(api: TestClient, tenant: Tenant, tenant_b: Tenant) -> None:
    missing = api.post(
        "/v1/reports/schedules",
        json=schedule_body(report_id="ciso.nothing"),
        headers=tenant.headers,
    )
    assert_error(missing, 404, "not_found")
    saved = api.post(
        "/v1/reports/saved",
        json={"base_report_id": "ciso.alerts_by_severity"},
        headers=tenant_b.headers,
    ).json()
    body = schedule_body(report_id=None, saved_report_id=saved["saved_report_id"])
    other_org = api.post("/v1/reports/schedules", json=body, headers=tenant.headers)
    assert_error(other_org, 404, "not_found")


def test_other_org_schedule_is_not_found(api: TestClient, tenant: Tenant, tenant_b: Tenant) -> None:
    schedule = _create(api, tenant)
    url = f"/v1/reports/schedules/{schedule['schedule_id']}"
    assert_error(api.get(url, headers=tenant_b.headers), 404, "not_found")
    assert_error(api.put(url, json=schedule_body(), headers=tenant_b.headers), 404, "not_found")
    assert_error(api.delete(url, headers=tenant_b.headers), 404, "not_found")
    runs = api.get(
        f"/v1/reports/runs?schedule_id={schedule['schedule_id']}", headers=tenant_b.headers
    )
    assert runs.status_code == 200
    assert runs.json()["items"] == []


def test_entitlements_are_enforced(api: TestClient, settings: Settings) -> None:
    no_schedules = make_tenant(
        settings,
        "NoSchedules",
        entitlements=tuple(e for e in access.ENTITLEMENTS if e != access.SCHEDULES_ENTITLEMENT),
    )
    assert_error(
        api.post("/v1/reports/schedules", json=schedule_body(), headers=no_schedules.headers),
        403,
        "entitlement_denied",
    )
    assert_error(
        api.get("/v1/reports/schedules", headers=no_schedules.headers), 403, "entitlement_denied"
    )
    no_branding = make_tenant(
        settings,
        "NoBranding",
        entitlements=tuple(e for e in access.ENTITLEMENTS if e != access.BRANDED_PDF_ENTITLEMENT),
    )
    branded = schedule_body(formats=["pdf_branded"])
    assert_error(
        api.post("/v1/reports/schedules", json=branded, headers=no_branding.headers),
        403,
        "entitlement_denied",
    )


@pytest.mark.parametrize(
    ("method", "permission"),
    [("post", "analytics:create"), ("put", "analytics:update"), ("delete", "analytics:delete")],
)
def test_write_needs_its_permission(
    api: TestClient, settings: Settings, tenant: Tenant, method: str, permission: str
) -> None:
    schedule = _create(api, tenant)
    others = tuple(p for p in access.PERMISSIONS if p != permission)
    limited = make_tenant(settings, "Limited", permissions=others)
    url = (
        "/v1/reports/schedules"
        if method == "post"
        else f"/v1/reports/schedules/{schedule['schedule_id']}"
    )
    kwargs: dict[str, Any] = {"json": schedule_body()} if method != "delete" else {}
    assert_error(
        api.request(method.upper(), url, headers=limited.headers, **kwargs), 403, "forbidden"
    )


def test_deleted_saved_report_stops_its_schedules(api: TestClient, tenant: Tenant) -> None:
    saved = api.post(
        "/v1/reports/saved",
        json={"base_report_id": "ciso.alerts_by_severity", "title": "Alerts"},
        headers=tenant.headers,
    ).json()
    schedule = _create(api, tenant, report_id=None, saved_report_id=saved["saved_report_id"])
    url = f"/v1/reports/schedules/{schedule['schedule_id']}"
    deleted = api.delete(f"/v1/reports/saved/{saved['saved_report_id']}", headers=tenant.headers)
    assert deleted.status_code == 204

    stopped = api.get(url, headers=tenant.headers).json()
    assert stopped["disabled_reason"] == "saved_report_deleted"
    assert stopped["enabled"] is True
    assert stopped["next_fire_times"] == []

    retargeted = api.put(
        url, json=schedule_body(channels=stopped["channels"]), headers=tenant.headers
    )
    assert retargeted.status_code == 200, retargeted.text
    assert retargeted.json()["disabled_reason"] is None
    assert len(retargeted.json()["next_fire_times"]) == 5


def test_disabled_schedule_has_no_fire_times(api: TestClient, tenant: Tenant) -> None:
    schedule = _create(api, tenant, enabled=False)
    assert schedule["enabled"] is False
    assert schedule["next_fire_times"] == []


def test_delete_removes_schedule(api: TestClient, tenant: Tenant, settings: Settings) -> None:
    schedule = _create(api, tenant)
    url = f"/v1/reports/schedules/{schedule['schedule_id']}"
    assert api.delete(url, headers=tenant.headers).status_code == 204
    assert_error(api.get(url, headers=tenant.headers), 404, "not_found")
    with session_scope(settings.database_url) as session:
        assert (
            session.scalar(select(Schedule).where(Schedule.id == schedule["schedule_id"])) is None
        )


def test_list_pages_with_cursor(api: TestClient, tenant: Tenant) -> None:
    created = [
        _create(api, tenant, cron=f"{minute} 8 * * MON")["schedule_id"] for minute in range(5)
    ]
    seen: list[str] = []
    cursor = None
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(f"/v1/reports/schedules{query}", headers=tenant.headers).json()
        seen += [item["schedule_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == created


def test_run_with_blocked_logo_is_rejected(api: TestClient, tenant: Tenant) -> None:
    body = {
        "report_id": "ciso.alerts_by_severity",
        "formats": ["pdf_branded"],
        "render_options": {"logo_url": "https://10.1.2.3/logo.png"},
    }
    response = api.post("/v1/reports/runs", json=body, headers=tenant.headers)
    error = assert_error(response, 400, "validation_error")
    assert "render_options.logo_url" in error["message"]


def test_fire_times_start_a_minute_after_write(api: TestClient, tenant: Tenant) -> None:
    schedule = _create(api, tenant, cron="* * * * *")
    written = datetime.fromisoformat(schedule["updated_at"])
    times = [datetime.fromisoformat(t) for t in schedule["next_fire_times"]]
    assert written + timedelta(seconds=60) <= times[0] <= written + timedelta(seconds=120)
    assert [(b - a).total_seconds() for a, b in itertools.pairwise(times)] == [60.0] * 4
