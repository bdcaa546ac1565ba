"""An empty result in every available format, read back with each format's own parser.

Every format but CSV states "no data for this period" in the file. A CSV of an empty result is
the header row alone, so that a SIEM or any CSV reader parses it as zero records.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pdfplumber
import pyarrow as pa
import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]

from reports_pipeline.render import AVAILABLE_FORMATS, renderer_for
from reports_pipeline.render.context import ColumnMeta, RenderContext

EMPTY = pa.table(
    {
        "severity": pa.array([], pa.string()),
        "alert_count": pa.array([], pa.int64()),
        "first_seen": pa.array([], pa.timestamp("us", tz="UTC")),
    }
)
MESSAGE = "no data for this period"


def context() -> RenderContext:
    return RenderContext(
        run_id="rrun_01HZX3K5Q8V2N4M6P7R9T1W3Y5",
        organization_id="org_01HZX3K5Q8V2N4M6P7R9T1W3Y5",
        report_id="ciso.alerts_by_severity",
        report_title="Alerts by severity",
        report_version=1,
        columns=(
            ColumnMeta("severity", "Severity", "string"),
            ColumnMeta("alert_count", "Alerts", "integer"),
            ColumnMeta("first_seen", "First seen", "timestamp"),
        ),
        timezone="UTC",
        period_start=datetime(2027, 1, 1, tzinfo=UTC),
        period_end=datetime(2027, 1, 31, 23, 59, 59, tzinfo=UTC),
        period_label="2027-01-01 to 2027-01-31",
        truncated=False,
        generated_at=datetime(2027, 2, 1, 6, 0, tzinfo=UTC),
    )


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("empty")
    paths = {}
    for format_key in AVAILABLE_FORMATS:
        renderer = renderer_for(format_key)
        assert renderer is not None, format_key
        paths[format_key] = directory / f"empty.{format_key}"
        renderer(EMPTY, context(), paths[format_key])
    return paths


def test_every_format_checked() -> None:
    assert set(AVAILABLE_FORMATS) == {"json", "csv", "xlsx", "pdf", "pdf_branded"}


def test_json_empty(artifacts: dict[str, Path]) -> None:
    document = json.loads(artifacts["json"].read_text("utf-8"))
    assert document["rows"] == []
    assert document["row_count"] == 0
    assert MESSAGE in document["notes"]


def test_csv_empty_is_header_only(artifacts: dict[str, Path]) -> None:
    text = artifacts["csv"].read_bytes().decode("utf-8")
    assert list(csv.reader(io.StringIO(text, newline=""))) == [
        ["severity", "alert_count", "first_seen"]
    ]
    assert list(csv.DictReader(io.StringIO(text, newline=""))) == []


def test_xlsx_empty(artifacts: dict[str, Path]) -> None:
    workbook = load_workbook(artifacts["xlsx"])
    data = workbook.worksheets[0]
    assert [cell.value for cell in data[1]] == ["Severity", "Alerts", "First seen"]
    assert data["A2"].value.lower() == MESSAGE
    notes = [row[0] for row in workbook["Info"].iter_rows(values_only=True) if row]
    assert "No data for this period." in notes


@pytest.mark.parametrize("format_key", ["pdf", "pdf_branded"])
def test_pdf_empty(artifacts: dict[str, Path], format_key: str) -> None:
    with pdfplumber.open(artifacts[format_key]) as pdf:
        pages = [page.extract_text() or "" for page in pdf.pages]
    summary = pages[1] if format_key == "pdf_branded" else pages[0]
    assert MESSAGE in summary.lower()
    assert "Rows 0" in summary
    table_page = pages[-1].splitlines()
    assert table_page[-2].lower() == MESSAGE
    # "First seen" wraps, because an empty column is only as wide as its widest label word.
    assert {"Severity", "Alerts", "First", "seen"} <= set(" ".join(table_page[:-2]).split())
