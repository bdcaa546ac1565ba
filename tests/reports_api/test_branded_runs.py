"""Branded PDF runs through the real Dagster stack: render options reach the renderer, and a logo
that the egress policy rejects leaves the run ready, with a note in the PDF."""

from __future__ import annotations

import io
import socket
from typing import Any

import pdfplumber
import pytest
from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.reports_api.test_runs import APRIL

pytestmark = pytest.mark.stack

RENDER_OPTIONS = {
    "title": "Board pack",
    "subtitle": "MCP security alerts",
    "organization_name": "Acme",
    "primary_color": "#7A1F5C",
    # The machine's own host name passes the API's check of the URL's form and resolves to a
    # loopback or private address, which the egress policy rejects when the logo is fetched.
    "logo_url": f"https://{socket.gethostname()}/logo.png",
}


@pytest.fixture(scope="module")
def branded_run(stack_api: TestClient, tenant_a: Tenant) -> dict[str, Any]:
    body = {
        "report_id": "ciso.alerts_by_severity",
        "formats": ["pdf_branded", "csv"],
        "params": APRIL,
        "render_options": RENDER_OPTIONS,
    }
    response = stack_api.post("/v1/reports/runs", json=body, headers=tenant_a.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.fixture(scope="module")
def branded_pages(
    stack_api: TestClient, branded_run: dict[str, Any], tenant_a: Tenant
) -> list[str]:
    artifact = branded_run["artifacts"][0]
    response = stack_api.get(artifact["url"], headers=tenant_a.headers)
    assert response.status_code == 200
    with pdfplumber.open(io.BytesIO(response.content)) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def test_branded_run_ready(branded_run: dict[str, Any]) -> None:
    assert branded_run["run"]["status"] == "ready"
    assert [a["format"] for a in branded_run["artifacts"]] == ["pdf_branded", "csv"]
    assert branded_run["artifacts"][0]["content_type"] == "application/pdf"


def test_branded_artifact_cover(branded_pages: list[str]) -> None:
    lines = branded_pages[0].splitlines()
    assert lines[:3] == ["Acme", "Board pack", "MCP security alerts"]


def test_branded_artifact_footer(branded_pages: list[str]) -> None:
    total = len(branded_pages)
    for number, page in enumerate(branded_pages, start=1):
        assert page.splitlines()[-1] == f"Confidential — Acme page {number} of {total}"


def test_branded_artifact_logo_note(branded_pages: list[str]) -> None:
    assert "Logo not shown: host " in branded_pages[1]
    assert "which is not public" in branded_pages[1]


def test_branded_download_name(
    stack_api: TestClient, branded_run: dict[str, Any], tenant_a: Tenant
) -> None:
    # A client that downloads the plain and the branded PDF of one run keeps both files.
    response = stack_api.get(branded_run["artifacts"][0]["url"], headers=tenant_a.headers)
    run_id = branded_run["run"]["run_id"]
    disposition = response.headers["content-disposition"]
    assert f'filename="ciso.alerts_by_severity-{run_id}-branded.pdf"' in disposition
