"""Property tests of the compiler over random definitions and hostile filter values.

Two properties hold for every source, dimension, metric, filter and time zone:
- no filter value reaches the SQL text: every value is a bound parameter;
- an organisation's result is the same whether or not another organisation's rows are in the
  warehouse, so no other tenant's row can leak into it.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports_pipeline.catalogue.model import ReportDefinition, ReportFilterBinding
from reports_pipeline.compile import compile_report
from reports_pipeline.errors import UnprocessableEntity
from reports_pipeline.execute import run_query
from reports_pipeline.periods import Period
from reports_pipeline.semantic.model import Dimension, FieldType, FilterOp, Source
from reports_pipeline.semantic.sources import SOURCES
from reports_pipeline.warehouse.seed import SeedPlan, seed_warehouse

ORG_A = "org_01M91CZMQ3XE1TRKYK78DRNE8A"
ORG_B = "org_01DEM0PEER0000000000000001"
MARKER = "zqxMARKERqz"
"""Prefix of every generated text value, so its presence in SQL text is unambiguous."""
ZONES = ("UTC", "America/New_York", "Asia/Kolkata", "Asia/Tokyo", "Australia/Lord_Howe")
PERIOD = Period(
    start=datetime(2026, 10, 1, tzinfo=UTC),
    end=datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC),
    timezone="UTC",
    label="test",
)
HOSTILE = st.text(
    alphabet=st.sampled_from([*"'\";-$?:%_\\/*()\n\t\r\x00 ab", "\u202e", "😀", "中"]),
    max_size=20,
)


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same data of organisation A, alone and beside organisation B's."""
    directory = tmp_path_factory.mktemp("property-warehouses")
    both, alone = directory / "both.duckdb", directory / "alone.duckdb"
    end = date(2026, 11, 30)
    seed_warehouse(both, SeedPlan([ORG_A, ORG_B], days=60, end=end, scale=0.1))
    seed_warehouse(alone, SeedPlan([ORG_A], days=60, end=end, scale=0.1))
    return both, alone


def _text_value() -> st.SearchStrategy[str]:
    return HOSTILE.map(lambda text: MARKER + text)


def _scalar(dimension: Dimension) -> st.SearchStrategy[Any]:
    kind = dimension.type
    if kind is FieldType.ENUM:
        return st.sampled_from(dimension.allowed_values)
    if kind is FieldType.STRING:
        return _text_value()
    if kind is FieldType.INTEGER:
        return st.integers(min_value=-(2**63), max_value=2**63 - 1)
    if kind is FieldType.NUMBER:
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind is FieldType.BOOLEAN:
        return st.booleans()
    if kind is FieldType.DATE:
        return st.dates(date(2020, 1, 1), date(2030, 1, 1)).map(date.isoformat)
    return st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1), timezones=st.just(UTC)).map(
        datetime.isoformat
    )


def _dimension(source: Source, key: str) -> Dimension:
    dimension = source.dimension(key)
    assert dimension is not None
    return dimension


@st.composite
def filters(draw: st.DrawFn, source: Source) -> ReportFilterBinding:
    dimension = draw(st.sampled_from(source.dimensions))
    op = draw(st.sampled_from(dimension.filter_ops))
    if op in (FilterOp.IS_NULL, FilterOp.IS_NOT_NULL):
        value: Any = None
    elif op in (FilterOp.IN, FilterOp.NOT_IN):
        value = draw(st.lists(_scalar(dimension), min_size=1, max_size=4))
    elif op is FilterOp.BETWEEN:
        value = draw(st.lists(_scalar(dimension), min_size=2, max_size=2))
    elif op in (FilterOp.CONTAINS, FilterOp.STARTS_WITH):
        value = draw(_text_value())
    else:
        value = draw(_scalar(dimension))
    return ReportFilterBinding(field=dimension.key, op=op, value=value)


@st.composite
def definitions(draw: st.DrawFn) -> tuple[ReportDefinition, str]:
    source = draw(st.sampled_from(list(SOURCES.values())))
    # Grouping by a timestamp or free-text column can exceed the row cap; both warehouses
    # then reject the query alike, which the isolation test also accepts.
    dimensions = draw(st.lists(st.sampled_from(source.dimension_keys), max_size=2, unique=True))
    metrics = draw(
        st.lists(st.sampled_from(source.metric_keys), min_size=1, max_size=4, unique=True)
    )
    grain = draw(st.none() | st.sampled_from(source.time_grains))
    bindings = draw(st.lists(filters(source), max_size=3))
    text_types = (FieldType.STRING, FieldType.ENUM)
    text_dimensions = [key for key in dimensions if _dimension(source, key).type in text_types]
    redact = []
    if text_dimensions and draw(st.booleans()):
        method = draw(st.sampled_from(["mask", "hash", "truncate", "drop"]))
        redact = [{"field": draw(st.sampled_from(text_dimensions)), "method": method, "keep": 2}]
    definition = ReportDefinition(
        id="ops.property_case",
        persona="ops",
        title="Property case",
        description="Generated by hypothesis.",
        source_id=source.id,
        dimensions=dimensions,
        metrics=metrics,
        time_grain=grain,
        default_filters=bindings,
        redact=redact or None,
        limit=draw(st.none() | st.integers(min_value=1, max_value=50)),
    )
    return definition, draw(st.sampled_from(ZONES))


def _text_values(value: Any) -> list[str]:
    """Return the generated free-text values; enum values may equal trusted SQL constants."""
    values = value if isinstance(value, list) else [value]
    return [item for item in values if isinstance(item, str) and item.startswith(MARKER)]


@settings(max_examples=150, deadline=None)
@given(case=definitions())
def test_values_never_reach_sql_text(case: tuple[ReportDefinition, str]) -> None:
    definition, zone = case
    query = compile_report(definition, organization_id=ORG_A, period=PERIOD, timezone=zone)
    assert MARKER not in query.sql
    assert ORG_A not in query.sql
    for binding in definition.default_filters:
        for text in _text_values(binding.value):
            assert text not in query.sql
    for name in query.parameters:
        assert f"${name}" in query.sql


def _rows(warehouse: Path, definition: ReportDefinition, zone: str) -> list[tuple[Any, ...]] | str:
    query = compile_report(definition, organization_id=ORG_A, period=PERIOD, timezone=zone)
    try:
        result = run_query(warehouse, query)
    except UnprocessableEntity:
        return "over the row cap"
    return [tuple(row.values()) for row in result.table.to_pylist()]


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-9)
    return bool(left == right)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=definitions())
def test_other_organisation_never_changes_result(
    case: tuple[ReportDefinition, str], warehouses: tuple[Path, Path]
) -> None:
    definition, zone = case
    both, alone = warehouses
    with_neighbour = _rows(both, definition, zone)
    on_its_own = _rows(alone, definition, zone)
    if isinstance(with_neighbour, str) or isinstance(on_its_own, str):
        assert with_neighbour == on_its_own
        return
    assert len(with_neighbour) == len(on_its_own)
    for row_with, row_alone in zip(with_neighbour, on_its_own, strict=True):
        assert all(_same(a, b) for a, b in zip(row_with, row_alone, strict=True)), (
            row_with,
            row_alone,
        )
