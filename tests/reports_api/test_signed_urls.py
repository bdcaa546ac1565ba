"""Signed artifact URLs: signing, downloading without credentials, and failing closed."""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from reports_pipeline.catalogue.loader import get_catalogue
from reports_pipeline.settings import Settings
from reports_pipeline.store import repository
from reports_pipeline.store.db import session_scope
from reports_pipeline.store.models import RunArtifact
from tests.conftest import Tenant
from tests.reports_api.test_errors import assert_error

CONTENT = b"severity,alert_count\r\ncritical,3\r\n"


@dataclass(frozen=True)
class StoredRun:
    run_id: str
    relative_path: str


def store_run(settings: Settings, tenant: Tenant) -> StoredRun:
    """A finished run with one CSV artifact on disk, made without Dagster."""
    definition = get_catalogue()["ciso.alerts_by_severity"]
    with session_scope(settings.database_url) as session:
        run = repository.create_run(
            session,
            organization_id=tenant.organization_id,
            report_id=definition.id,
            definition=definition.model_dump(mode="json"),
            trigger="api",
            formats=["csv"],
        )
        relative = f"{tenant.organization_id}/{run.id}/{definition.id}.csv"
        target = settings.artifact_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(CONTENT)
        session.add(
            RunArtifact(
                run_id=run.id,
                format="csv",
                path=relative,
                content_type="text/csv; charset=utf-8",
                size_bytes=len(CONTENT),
                sha256=hashlib.sha256(CONTENT).hexdigest(),
            )
        )
        run.status = "ready"
        return StoredRun(run.id, relative)


@pytest.fixture(scope="module")
def stored(settings: Settings, tenant_a: Tenant) -> StoredRun:
    return store_run(settings, tenant_a)


def sign(api: TestClient, tenant: Tenant, run_id: str, body: object = None) -> object:
    return api.post(
        f"/v1/reports/runs/{run_id}/artifacts/csv/sign", json=body, headers=tenant.headers
    )


def local_part(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def signed_link(settings: Settings, relative: str, expires: int) -> str:
    key = settings.signing_key.get_secret_value().encode()
    sig = hmac.new(key, f"{relative}\n{expires}".encode(), hashlib.sha256).hexdigest()
    return f"/v1/reports/artifacts/local/{relative}?expires={expires}&sig={sig}"


def test_sign_returns_url_and_expiry(api: TestClient, tenant_a: Tenant, stored: StoredRun) -> None:
    response = sign(api, tenant_a, stored.run_id, {"ttl_seconds": 600})
    assert response.status_code == 200, response.text
    body = response.json()
    expires_at = datetime.fromisoformat(body["expires_at"])
    assert timedelta(seconds=590) < expires_at - datetime.now(UTC) <= timedelta(seconds=600)
    query = parse_qs(urlsplit(body["url"]).query)
    assert int(query["expires"][0]) == int(expires_at.timestamp())
    assert body["url"].startswith("http://127.0.0.1:8000/v1/reports/artifacts/local/")


def test_sign_default_ttl_is_one_hour(api: TestClient, tenant_a: Tenant, stored: StoredRun) -> None:
    expires_at = datetime.fromisoformat(sign(api, tenant_a, stored.run_id).json()["expires_at"])
    assert timedelta(minutes=59) < expires_at - datetime.now(UTC) <= timedelta(hours=1)


def test_signed_url_downloads_without_credentials(
    api: TestClient, tenant_a: Tenant, stored: StoredRun
) -> None:
    url = sign(api, tenant_a, stored.run_id).json()["url"]
    response = api.get(local_part(url))
    assert response.status_code == 200
    assert response.content == CONTENT
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment;" in response.headers["content-disposition"]


def test_signature_matches_documented_algorithm(
    api: TestClient, settings: Settings, stored: StoredRun
) -> None:
    expires = int((datetime.now(UTC) + timedelta(minutes=5)).timestamp())
    assert api.get(signed_link(settings, stored.relative_path, expires)).status_code == 200


@pytest.mark.parametrize("ttl", [0, -5, 7 * 24 * 3600 + 1, "soon", 1.5])
def test_sign_rejects_bad_ttl(
    api: TestClient, tenant_a: Tenant, stored: StoredRun, ttl: object
) -> None:
    assert_error(sign(api, tenant_a, stored.run_id, {"ttl_seconds": ttl}), 400, "validation_error")


def test_sign_accepts_seven_days(api: TestClient, tenant_a: Tenant, stored: StoredRun) -> None:
    assert sign(api, tenant_a, stored.run_id, {"ttl_seconds": 7 * 24 * 3600}).status_code == 200


def test_sign_needs_credentials(api: TestClient, stored: StoredRun) -> None:
    response = api.post(f"/v1/reports/runs/{stored.run_id}/artifacts/csv/sign")
    assert_error(response, 401, "unauthenticated")


def test_sign_other_organisation_is_404(
    api: TestClient, tenant_b: Tenant, stored: StoredRun
) -> None:
    assert_error(sign(api, tenant_b, stored.run_id), 404, "not_found")


def test_sign_missing_format_is_404(api: TestClient, tenant_a: Tenant, stored: StoredRun) -> None:
    response = api.post(
        f"/v1/reports/runs/{stored.run_id}/artifacts/json/sign", headers=tenant_a.headers
    )
    assert_error(response, 404, "not_found")


def test_wrong_signature_is_403(api: TestClient, tenant_a: Tenant, stored: StoredRun) -> None:
    url = local_part(sign(api, tenant_a, stored.run_id).json()["url"])
    forged = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
    assert_error(api.get(forged), 403, "forbidden")


def test_expired_link_is_403(api: TestClient, settings: Settings, stored: StoredRun) -> None:
    expires = int((datetime.now(UTC) - timedelta(seconds=1)).timestamp())
    assert_error(api.get(signed_link(settings, stored.relative_path, expires)), 403, "forbidden")


def test_signature_bound_to_path(
    api: TestClient, settings: Settings, tenant_a: Tenant, tenant_b: Tenant, stored: StoredRun
) -> None:
    other = store_run(settings, tenant_b)
    url = local_part(sign(api, tenant_a, stored.run_id).json()["url"])
    replayed = url.replace(stored.relative_path, other.relative_path)
    assert_error(api.get(replayed), 403, "forbidden")


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?sig=" + "0" * 64,
        "?expires=&sig=x",
        "?expires=12.5&sig=x",
        "?expires=-1&sig=x",
        "?expires=1e9&sig=x",
        "?expires=99999999999&sig=" + "0" * 64,
    ],
)
def test_malformed_or_absurd_expires_is_400(api: TestClient, stored: StoredRun, query: str) -> None:
    response = api.get(f"/v1/reports/artifacts/local/{stored.relative_path}{query}")
    assert_error(response, 400, "validation_error")


@pytest.mark.parametrize(
    "relative",
    [
        "../outside.csv",
        "org_x/../../etc/passwd",
        "a/b",
        "a/b/c/d",
        "a/./b",
        "a\\b/c/d",
    ],
)
def test_escaping_paths_are_404(api: TestClient, settings: Settings, relative: str) -> None:
    expires = int((datetime.now(UTC) + timedelta(minutes=5)).timestamp())
    response = api.get(signed_link(settings, relative, expires))
    assert response.status_code in (404, 403)
    assert response.json()["error"]["code"] in ("not_found", "forbidden")


def test_encoded_separator_is_404(api: TestClient, settings: Settings, stored: StoredRun) -> None:
    expires = int((datetime.now(UTC) + timedelta(minutes=5)).timestamp())
    link = signed_link(settings, stored.relative_path, expires)
    encoded = link.replace(f"/{stored.run_id}/", f"%2F{stored.run_id}%2F", 1)
    assert_error(api.get(encoded), 404, "not_found")


def test_symlinked_artifact_is_404(
    api: TestClient, settings: Settings, tenant_a: Tenant, tmp_path: Path
) -> None:
    linked = store_run(settings, tenant_a)
    target = settings.artifact_dir / linked.relative_path
    secret = tmp_path / "secret.txt"
    secret.write_text("not an artifact")
    target.unlink()
    os.symlink(secret, target)
    expires = int((datetime.now(UTC) + timedelta(minutes=5)).timestamp())
    assert_error(api.get(signed_link(settings, linked.relative_path, expires)), 404, "not_found")


def test_documented_verification_snippet_accepts_url(
    api: TestClient, settings: Settings, tenant_a: Tenant, stored: StoredRun
) -> None:
    document = (Path(__file__).resolve().parents[2] / "docs" / "signed-urls.md").read_text()
    snippet = document.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, object] = {}
    exec(snippet, namespace)  # noqa: S102 - the project's own documentation
    verify = namespace["verify"]
    assert callable(verify)
    url = sign(api, tenant_a, stored.run_id).json()["url"]
    key = settings.signing_key.get_secret_value().encode()
    assert verify(url, key) is True
    assert verify(url, b"another key") is False
