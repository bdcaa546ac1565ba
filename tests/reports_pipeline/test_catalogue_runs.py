"""Every catalogue report through the real Dagster job, for two organisations and two periods.

Each run goes through `report_run` (compile, execute, render json, record) in process against the
session's Postgres database and demo warehouse. The results must be plausible: the declared
columns, no negative counts, shares within 0 to 100, and for the first organisation exactly the
rows the same query returns on a warehouse that contains no other organisation.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance, instance_for_test

from reports_pipeline.catalogue.loader import get_catalogue
from reports_pipeline.catalogue.model import ReportDefinition
from reports_pipeline.definitions import defs
from reports_pipeline.orchestration import tags
from reports_pipeline.semantic.sources import SOURCES
from reports_pipeline.settings import Settings, get_settings
from reports_pipeline.stack import process_env
from reports_pipeline.store import repository
from reports_pipeline.store.db import session_scope
from reports_pipeline.store.models import ReportRun
from reports_pipeline.warehouse.seed import SeedPlan, seed_warehouse
from tests.conftest import SEED_END, Tenant

# Percent metrics that are not shares of a whole and may exceed 100.
UNBOUNDED_PERCENTS = {"roi_pct", "budget_utilisation_pct", "avg_peer_median_roi_pct"}
# Amounts that are differences and may fall below zero.
SIGNED_AMOUNTS = {"net_value_usd"}
OTHER_PERIOD = "90d"


@pytest.fixture(scope="module")
def instance(
    settings: Settings, warehouse: Path, monkeypatch_module: pytest.MonkeyPatch
) -> Iterator[DagsterInstance]:
    """A throwaway Dagster instance, with the ops reading the session's settings."""
    for name, value in process_env(settings, base={}).items():
        monkeypatch_module.setenv(name, value)
    get_settings.cache_clear()
    with instance_for_test() as dagster_instance:
        yield dagster_instance
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def alone_warehouse(tmp_path_factory: pytest.TempPathFactory, tenant_a: Tenant) -> Path:
    """The first organisation's data without any other organisation's rows."""
    path = tmp_path_factory.mktemp("alone") / "warehouse.duckdb"
    seed_warehouse(path, SeedPlan([tenant_a.organization_id], days=260, end=SEED_END))
    return path


def run_report(
    settings: Settings,
    instance: DagsterInstance,
    tenant: Tenant,
    definition: ReportDefinition,
    period: str,
) -> tuple[ReportRun, dict[str, Any]]:
    with session_scope(settings.database_url) as session:
        run = repository.create_run(
            session,
            organization_id=tenant.organization_id,
            report_id=definition.id,
            definition=definition.model_dump(mode="json"),
            trigger="api",
            formats=["json"],
            params={"period": period, "timezone": "America/New_York"},
        )
    result = defs.get_job(tags.REPORT_JOB).execute_in_process(
        run_config={"ops": {"compile_report": {"config": {"run_id": run.id}}}},
        instance=instance,
        tags={tags.RUN: run.id, tags.ORGANIZATION: tenant.organization_id},
        raise_on_error=False,
    )
    with session_scope(settings.database_url) as session:
        stored = session.get(ReportRun, run.id)
        assert stored is not None
        assert result.success, (
            f"{definition.id} {period}: {stored.error_code} {stored.error_message}"
        )
        artifact = next(a for a in stored.artifacts if a.format == "json")
        document = json.loads((settings.artifact_dir / artifact.path).read_text(encoding="utf-8"))
        return stored, document


def check_plausible(definition: ReportDefinition, document: dict[str, Any], tenant: Tenant) -> None:
    source = SOURCES[definition.source_id]
    columns = [column["name"] for column in document["columns"]]
    assert columns == definition.output_columns
    assert document["organization_id"] == tenant.organization_id
    assert document["row_count"] >= 1, f"{definition.id}: no rows"
    for key in definition.metrics:
        metric = source.metric(key)
        assert metric is not None
        index = columns.index(key)
        values = [row[index] for row in document["rows"] if row[index] is not None]
        amounts = ("count", "usd", "tokens", "ms", "minutes", "days", "hours")
        if metric.unit in amounts and key not in SIGNED_AMOUNTS:
            assert all(value >= 0 for value in values), f"{definition.id}.{key} negative"
        if metric.unit == "percent" and key not in UNBOUNDED_PERCENTS:
            assert all(0 <= value <= 100 for value in values), (
                f"{definition.id}.{key} outside 0..100"
            )


def same_rows(actual: list[list[Any]], expected: list[list[Any]]) -> bool:
    def same(left: Any, right: Any) -> bool:
        if isinstance(left, int | float) and isinstance(right, int | float):
            return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-9)
        return bool(left == right)

    return len(actual) == len(expected) and all(
        len(a) == len(e) and all(same(x, y) for x, y in zip(a, e, strict=True))
        for a, e in zip(actual, expected, strict=True)
    )


@pytest.mark.parametrize("report_id", sorted(get_catalogue()))
def test_catalogue_report_runs(
    report_id: str,
    settings: Settings,
    instance: DagsterInstance,
    tenant_a: Tenant,
    tenant_b: Tenant,
    alone_warehouse: Path,
) -> None:
    from reports_pipeline.compile import compile_report
    from reports_pipeline.execute import run_query
    from reports_pipeline.params import resolve_params
    from reports_pipeline.render.values import json_rows

    definition = get_catalogue()[report_id]
    default_period = definition.param("period")
    periods = [default_period.default if default_period else None, OTHER_PERIOD]
    for tenant in (tenant_a, tenant_b):
        for period in periods:
            stored, document = run_report(settings, instance, tenant, definition, period)
            check_plausible(definition, document, tenant)
            if tenant is tenant_a:
                resolved = resolve_params(definition, dict(stored.params), now=stored.created_at)
                query = compile_report(
                    definition,
                    organization_id=tenant.organization_id,
                    period=resolved.period,
                    timezone=resolved.timezone,
                    extra_filters=resolved.filters,
                )
                alone = run_query(alone_warehouse, query)
                rows, _ = json_rows(alone.table, resolved.timezone, exact_decimals=False)
                assert same_rows(document["rows"], rows), f"{report_id} {period}: rows differ"
