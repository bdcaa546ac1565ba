"""Tests for `reports_pipeline.warehouse`: the demo seed and the DDL derived from the sources."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from reports_pipeline.semantic.model import FieldType, Source
from reports_pipeline.semantic.sources import GOVERNANCE_DAILY, MCP_ALERT_EVENTS, SOURCES
from reports_pipeline.warehouse.generators.registry import GENERATORS
from reports_pipeline.warehouse.schema import create_table_sql
from reports_pipeline.warehouse.seed import SeedPlan, seed_batches, seed_warehouse

ORG_A = "org_01HZX3K5Q8V2N4M6P7R9T1W3Y5"
ORG_B = "org_01HZX3K5Q8V2N4M6P7R9T1W3Y6"
END = date(2027, 1, 31)
PLAN = SeedPlan(organizations=[ORG_B, ORG_A], days=20, end=END, scale=0.25)
SMALL_PLAN = SeedPlan(organizations=[ORG_A], days=3, end=date(2026, 6, 30), scale=0.05)


def fetch(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def contents(path: Path, source: Source) -> list[tuple[Any, ...]]:
    return fetch(path, f'SELECT * FROM "{source.table}" ORDER BY ALL')


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seed") / "warehouse.duckdb"
    seed_warehouse(path, PLAN)
    return path


@pytest.mark.parametrize("source", SOURCES.values(), ids=list(SOURCES))
def test_seed_deterministic(seeded: Path, tmp_path: Path, source: Source) -> None:
    again = tmp_path / "again.duckdb"
    seed_warehouse(again, PLAN)

    assert contents(again, source) == contents(seeded, source)


def test_seed_reseed_same_path(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    seed_warehouse(path, SMALL_PLAN)
    first = contents(path, MCP_ALERT_EVENTS)

    seed_warehouse(path, SMALL_PLAN)

    assert contents(path, MCP_ALERT_EVENTS) == first


def expected_rows(source_id: str) -> int:
    """Return the rows per organisation that the plan requests of a source's generator."""
    if source_id == "roi_snapshots":
        # Weekly: one row per business unit for each Sunday in the plan's days.
        days = [END - timedelta(days=offset) for offset in range(PLAN.days)]
        return 3 * sum(1 for day in days if day.weekday() == 6)
    generator = next(g for g in GENERATORS if g.source.id == source_id)
    return generator.rows(PLAN.days, PLAN.scale)


def test_seed_counts(tmp_path: Path) -> None:
    counts = seed_warehouse(tmp_path / "warehouse.duckdb", PLAN)

    assert counts == {source_id: 2 * expected_rows(source_id) for source_id in counts}
    assert counts["mcp_alert_events"] == 2 * 20 * 10
    assert counts["governance_daily"] == 2 * 20 * 9


@pytest.mark.parametrize("source", SOURCES.values(), ids=list(SOURCES))
def test_seed_counts_stored(seeded: Path, source: Source) -> None:
    sql = f'SELECT org_id, count(*) FROM "{source.table}" GROUP BY ALL ORDER BY ALL'
    per_org = fetch(seeded, sql)

    rows = expected_rows(source.id)
    assert per_org == [(ORG_A, rows), (ORG_B, rows)]


@pytest.mark.parametrize("source", SOURCES.values(), ids=list(SOURCES))
def test_seed_stored_order(seeded: Path, source: Source) -> None:
    columns = f'"{source.org_column}", "{source.time_column}"'
    stored = fetch(seeded, f'SELECT {columns} FROM "{source.table}" ORDER BY rowid')

    assert stored == sorted(stored)


@pytest.mark.parametrize("source", SOURCES.values(), ids=list(SOURCES))
def test_seed_schema(seeded: Path, source: Source) -> None:
    described = fetch(seeded, f'DESCRIBE "{source.table}"')

    assert [(row[0], row[1]) for row in described] == [
        (name, "TIMESTAMP WITH TIME ZONE" if kind == "TIMESTAMPTZ" else kind)
        for name, kind in source.columns
    ]


def test_seed_alert_times_within_plan(seeded: Path) -> None:
    ((earliest, latest),) = fetch(
        seeded, "SELECT min(occurred_at), max(occurred_at) FROM mcp_alert_events"
    )

    end = datetime.combine(END + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    assert earliest >= end - timedelta(days=PLAN.days)
    assert latest <= end


def test_seed_days_within_plan(seeded: Path) -> None:
    ((earliest, latest),) = fetch(seeded, "SELECT min(day), max(day) FROM governance_daily")

    assert (earliest, latest) == (END - timedelta(days=PLAN.days - 1), END)


ENUM_DIMENSIONS = [
    (source, dimension)
    for source in SOURCES.values()
    for dimension in source.dimensions
    if dimension.type is FieldType.ENUM
]


@pytest.mark.parametrize(
    ("source", "dimension"),
    ENUM_DIMENSIONS,
    ids=[f"{source.id}.{dimension.key}" for source, dimension in ENUM_DIMENSIONS],
)
def test_seed_enum_values_allowed(seeded: Path, source: Source, dimension: Any) -> None:
    stored = fetch(seeded, f'SELECT DISTINCT "{dimension.column}" FROM "{source.table}"')

    assert {row[0] for row in stored} <= set(dimension.allowed_values)


def test_seed_progress_calls(tmp_path: Path) -> None:
    calls: list[tuple[str, str]] = []

    seed_warehouse(tmp_path / "warehouse.duckdb", PLAN, progress=lambda s, o: calls.append((s, o)))

    assert len(calls) == seed_batches(PLAN)
    assert calls[0] == (GENERATORS[0].source.id, ORG_B)


def test_seed_needs_organisation(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one organisation"):
        seed_warehouse(tmp_path / "warehouse.duckdb", SeedPlan(organizations=[]))


# --- a failed seed ----------------------------------------------------------------------------


class SeedInterrupted(Exception):
    """Raised by the progress callback to stop a seed midway."""


def fail_on_call(number: int) -> Any:
    calls = []

    def progress(source_id: str, organization_id: str) -> None:
        calls.append((source_id, organization_id))
        if len(calls) == number:
            raise SeedInterrupted(f"stopped after {source_id} for {organization_id}")

    return progress


@pytest.mark.parametrize("failing_call", [1, 3, 4])
def test_failed_seed_keeps_previous(tmp_path: Path, failing_call: int) -> None:
    path = tmp_path / "warehouse.duckdb"
    seed_warehouse(path, SMALL_PLAN)
    before = path.read_bytes()

    with pytest.raises(SeedInterrupted):
        seed_warehouse(path, PLAN, progress=fail_on_call(failing_call))

    assert path.read_bytes() == before


def test_failed_seed_previous_readable(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    seed_warehouse(path, SMALL_PLAN)
    before = contents(path, GOVERNANCE_DAILY)

    with pytest.raises(SeedInterrupted):
        seed_warehouse(path, PLAN, progress=fail_on_call(3))

    assert contents(path, GOVERNANCE_DAILY) == before


def test_failed_seed_leaves_no_files(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    seed_warehouse(path, SMALL_PLAN)

    with pytest.raises(SeedInterrupted):
        seed_warehouse(path, PLAN, progress=fail_on_call(2))

    assert sorted(p.name for p in tmp_path.iterdir()) == ["warehouse.duckdb"]


def test_failed_first_seed_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"

    with pytest.raises(SeedInterrupted):
        seed_warehouse(path, PLAN, progress=fail_on_call(1))

    assert list(tmp_path.iterdir()) == []


# --- DDL --------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", SOURCES.values(), ids=list(SOURCES))
def test_create_table_sql_columns(source: Source) -> None:
    with duckdb.connect() as connection:
        connection.execute(create_table_sql(source))
        described = connection.execute(f'DESCRIBE "{source.table}"').fetchall()

    assert [row[0] for row in described] == [name for name, _ in source.columns]


def test_create_table_sql_other_name() -> None:
    sql = create_table_sql(GOVERNANCE_DAILY, "staging")

    assert sql.startswith("CREATE TABLE staging (")
