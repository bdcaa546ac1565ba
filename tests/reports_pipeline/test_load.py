"""`reports warehouse load`: schema checks, per-organisation replacement, nothing lost on error."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from reports_pipeline import cli
from reports_pipeline.semantic.sources import SOURCES
from reports_pipeline.settings import Settings
from reports_pipeline.warehouse.load import LoadError, load_file
from reports_pipeline.warehouse.seed import SeedPlan, seed_warehouse

ORG_A = "org_01M91CZMQ3XE1TRKYK78DRNE8A"
ORG_B = "org_01DEM0PEER0000000000000001"
ALERTS = SOURCES["mcp_alert_events"]


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    seed_warehouse(path, SeedPlan([ORG_A, ORG_B], days=5, end=date(2026, 11, 30)))
    return path


def export(warehouse: Path, target: Path, select: str) -> Path:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        kind = "parquet" if target.suffix == ".parquet" else "csv"
        connection.execute(f"COPY ({select}) TO '{target}' (FORMAT {kind})")
    return target


def counts(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            "SELECT org_id, count(*) FROM mcp_alert_events GROUP BY org_id"
        ).fetchall()
    return dict(rows)


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_load_replaces_one_organisation(warehouse: Path, tmp_path: Path, suffix: str) -> None:
    select = f"SELECT * FROM mcp_alert_events WHERE org_id = '{ORG_A}' LIMIT 7"
    file = export(warehouse, tmp_path / f"alerts{suffix}", select)
    result = load_file(warehouse, ALERTS, file, organization=ORG_A)
    assert counts(warehouse) == {ORG_A: 7, ORG_B: 200}
    assert result.rows == 207


def test_load_replaces_whole_table(warehouse: Path, tmp_path: Path) -> None:
    file = export(warehouse, tmp_path / "a.parquet", "SELECT * FROM mcp_alert_events LIMIT 3")
    load_file(warehouse, ALERTS, file)
    assert sum(counts(warehouse).values()) == 3


def test_load_keeps_table_ordered(warehouse: Path, tmp_path: Path) -> None:
    select = "SELECT * FROM mcp_alert_events ORDER BY occurred_at DESC"
    load_file(warehouse, ALERTS, export(warehouse, tmp_path / "a.parquet", select))
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        keys = connection.execute("SELECT org_id, occurred_at FROM mcp_alert_events").fetchall()
    assert keys == sorted(keys)


def test_load_ignores_extra_columns(warehouse: Path, tmp_path: Path) -> None:
    select = "SELECT *, 42 AS extra FROM mcp_alert_events LIMIT 3"
    result = load_file(warehouse, ALERTS, export(warehouse, tmp_path / "a.csv", select))
    assert result.ignored_columns == ("extra",)


@pytest.mark.parametrize(
    ("select", "message"),
    [
        ("SELECT * EXCLUDE (severity) FROM mcp_alert_events", "missing columns"),
        ("SELECT * REPLACE ('sometimes' AS blocked) FROM mcp_alert_events", "column blocked"),
        ("SELECT * REPLACE ('soon' AS occurred_at) FROM mcp_alert_events", "column occurred_at"),
        ("SELECT * REPLACE ('catastrophic' AS severity) FROM mcp_alert_events", "column severity"),
        ("SELECT * REPLACE (NULL AS org_id) FROM mcp_alert_events", "column org_id"),
    ],
)
def test_load_rejects_bad_file_and_keeps_data(
    warehouse: Path, tmp_path: Path, select: str, message: str
) -> None:
    before = counts(warehouse)
    file = export(warehouse, tmp_path / "bad.csv", select + " LIMIT 5")
    with pytest.raises(LoadError, match=message):
        load_file(warehouse, ALERTS, file)
    assert counts(warehouse) == before


def test_load_rejects_other_organisations(warehouse: Path, tmp_path: Path) -> None:
    file = export(warehouse, tmp_path / "a.csv", "SELECT * FROM mcp_alert_events")
    with pytest.raises(LoadError, match="rows of other organisations"):
        load_file(warehouse, ALERTS, file, organization=ORG_A)


def test_load_rejects_unknown_file_type(warehouse: Path, tmp_path: Path) -> None:
    file = tmp_path / "alerts.xlsx"
    file.write_bytes(b"not a table")
    with pytest.raises(LoadError, match="unsupported file type"):
        load_file(warehouse, ALERTS, file)


def test_load_command_reports_errors(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(_env_file=None, warehouse_path=warehouse)
    monkeypatch.setattr(cli, "_settings", lambda: settings)
    file = export(
        warehouse, tmp_path / "bad.csv", "SELECT * EXCLUDE (severity) FROM mcp_alert_events"
    )
    result = CliRunner().invoke(cli.app, ["warehouse", "load", "mcp_alert_events", str(file)])
    assert result.exit_code == 1
    assert "nothing changed" in result.output
    assert "severity" in result.output


def test_load_command_rejects_unknown_source(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli.app, ["warehouse", "load", "nope", str(tmp_path / "x.csv")])
    assert result.exit_code != 0
    assert "unknown source" in result.output
