"""Tests for `reports_pipeline.catalogue`: the shipped YAML files and the loader's checks."""

from __future__ import annotations

import re
import textwrap
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml

from reports_pipeline.catalogue.loader import DEFINITIONS_DIR, CatalogueError, load_catalogue
from reports_pipeline.catalogue.model import ReportDefinition
from reports_pipeline.compile import compile_report
from reports_pipeline.execute import run_query
from reports_pipeline.params import resolve_params
from reports_pipeline.warehouse.seed import SeedPlan, seed_warehouse

ORG = "org_01HZX3K5Q8V2N4M6P7R9T1W3Y5"
SHIPPED = load_catalogue()

VALID_REPORT = """\
- id: ciso.probe_report
  persona: ciso
  title: Probe report
  description: A report written by the catalogue tests.
  source_id: mcp_alert_events
  dimensions: [severity]
  metrics: [alert_count]
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def shipped_ids() -> list[str]:
    ids = []
    for path in sorted(DEFINITIONS_DIR.glob("*.yaml")):
        ids += [entry["id"] for entry in yaml.safe_load(path.read_text(encoding="utf-8"))]
    return ids


# --- the shipped catalogue --------------------------------------------------------------------


def test_shipped_catalogue_loads() -> None:
    assert sorted(SHIPPED) == sorted(shipped_ids())


def test_shipped_catalogue_not_empty() -> None:
    assert SHIPPED


@pytest.mark.parametrize("definition", SHIPPED.values(), ids=list(SHIPPED))
def test_shipped_id_starts_with_persona(definition: ReportDefinition) -> None:
    assert definition.id.startswith(f"{definition.persona}.")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seeded") / "warehouse.duckdb"
    plan = SeedPlan(organizations=[ORG], days=120, end=date(2027, 4, 30), scale=0.125)
    seed_warehouse(path, plan)
    return path


@pytest.mark.parametrize("definition", SHIPPED.values(), ids=list(SHIPPED))
def test_shipped_report_runs(seeded: Path, definition: ReportDefinition) -> None:
    resolved = resolve_params(definition, {}, now=datetime(2027, 5, 1, 12, 0, tzinfo=UTC))
    query = compile_report(
        definition,
        organization_id=ORG,
        period=resolved.period,
        timezone=resolved.timezone,
        extra_filters=resolved.filters,
    )

    result = run_query(seeded, query)

    assert result.table.num_rows > 0
    assert result.table.column_names == definition.output_columns


# --- definitions that must not load -----------------------------------------------------------


def test_unknown_metric(tmp_path: Path) -> None:
    write(tmp_path, "ciso.yaml", VALID_REPORT.replace("[alert_count]", "[alert_count, revenue]"))

    with pytest.raises(CatalogueError) as error:
        load_catalogue(tmp_path)

    message = str(error.value)
    assert "ciso.probe_report" in message
    assert "'revenue'" in message
    assert "metrics[1]" in message
    assert "ciso.yaml" in message


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("[severity]", "[colour]", "'colour'"),
        ("mcp_alert_events", "alerts", "'alerts'"),
        ("dimensions: [severity]", "time_grain: fortnight", "time_grain"),
        ("title: Probe report", "title: ''", "title"),
        ("persona: ciso", "persona: cto", "persona"),
        ("dimensions: [severity]", "dimensions: [severity]\n  colour: blue", "colour"),
        ("dimensions: [severity]", "limit: 10001", "limit"),
    ],
)
def test_invalid_field_named(tmp_path: Path, old: str, new: str, field: str) -> None:
    write(tmp_path, "ciso.yaml", VALID_REPORT.replace(old, new))

    with pytest.raises(CatalogueError) as error:
        load_catalogue(tmp_path)

    assert "ciso.probe_report" in str(error.value)
    assert field in str(error.value)


def test_invalid_param_filter(tmp_path: Path) -> None:
    text = VALID_REPORT + "  params:\n    - {name: owner, type: string, filter: {field: owner}}\n"
    write(tmp_path, "ciso.yaml", text)

    with pytest.raises(CatalogueError) as error:
        load_catalogue(tmp_path)

    assert "params[0].filter" in str(error.value)
    assert "'owner'" in str(error.value)


def test_persona_mismatch(tmp_path: Path) -> None:
    write(tmp_path, "ceo.yaml", VALID_REPORT.replace("persona: ciso", "persona: ceo"))

    with pytest.raises(CatalogueError) as error:
        load_catalogue(tmp_path)

    assert "must start with its persona 'ceo'" in str(error.value)


def test_duplicate_id_across_files(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", VALID_REPORT)
    write(tmp_path, "b.yaml", VALID_REPORT)

    with pytest.raises(CatalogueError) as error:
        load_catalogue(tmp_path)

    assert "ciso.probe_report is defined twice" in str(error.value)
    assert "b.yaml" in str(error.value)


def test_duplicate_id_in_file(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", VALID_REPORT + VALID_REPORT)

    with pytest.raises(CatalogueError, match="defined twice"):
        load_catalogue(tmp_path)


def test_file_not_a_list(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "id: ciso.probe_report\n")

    with pytest.raises(CatalogueError, match=re.escape("a.yaml: expected a list")):
        load_catalogue(tmp_path)


def test_entry_not_a_mapping(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "- ciso.probe_report\n")

    with pytest.raises(CatalogueError, match="entry 0"):
        load_catalogue(tmp_path)


def test_param_not_a_mapping(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", VALID_REPORT + "  params: [period]\n")

    with pytest.raises(CatalogueError, match=re.escape("ciso.probe_report")):
        load_catalogue(tmp_path)


def test_yaml_syntax_error(tmp_path: Path) -> None:
    write(tmp_path, "broken.yaml", "- id: [ciso.probe_report\n")

    with pytest.raises(CatalogueError, match=re.escape("broken.yaml")):
        load_catalogue(tmp_path)


# --- loading ----------------------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    write(tmp_path, "empty.yaml", "# no reports yet\n")

    assert load_catalogue(tmp_path) == {}


def test_only_yaml_files(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", VALID_REPORT)
    write(tmp_path, "notes.txt", "- not: a report\n")

    assert list(load_catalogue(tmp_path)) == ["ciso.probe_report"]


def period_params(tmp_path: Path, params: str) -> dict[str, dict[str, object]]:
    write(tmp_path, "a.yaml", VALID_REPORT + "  params:\n" + params)
    definition = load_catalogue(tmp_path)["ciso.probe_report"]
    return {spec.name: spec.model_dump() for spec in definition.params or ()}


def test_period_params_added(tmp_path: Path) -> None:
    params = period_params(tmp_path, "    - {name: period, type: period, default: 30d}\n")

    assert list(params) == ["period", "period_start", "period_end", "timezone"]


@pytest.mark.parametrize(
    ("name", "kind", "default"),
    [
        ("period_start", "timestamp", None),
        ("period_end", "timestamp", None),
        ("timezone", "timezone", "UTC"),
    ],
)
def test_period_param_spec(tmp_path: Path, name: str, kind: str, default: str | None) -> None:
    params = period_params(tmp_path, "    - {name: period, type: period, default: 30d}\n")

    assert params[name]["type"] == kind
    assert params[name]["default"] == default


def test_period_params_keep_own(tmp_path: Path) -> None:
    params = period_params(
        tmp_path,
        "    - {name: period, type: period, default: 30d}\n"
        "    - {name: timezone, type: timezone, default: Asia/Kolkata}\n",
    )

    assert list(params) == ["period", "timezone", "period_start", "period_end"]
    assert params["timezone"]["default"] == "Asia/Kolkata"


def test_no_period_no_bounds(tmp_path: Path) -> None:
    params = period_params(
        tmp_path, "    - {name: region, type: enum, allowed_values: [amer, emea, apac]}\n"
    )

    assert list(params) == ["region"]


WITH_PERIOD = [definition for definition in SHIPPED.values() if definition.param("period")]


@pytest.mark.parametrize("definition", WITH_PERIOD, ids=[d.id for d in WITH_PERIOD])
def test_shipped_period_params(definition: ReportDefinition) -> None:
    names = {spec.name for spec in definition.params or ()}

    assert {"period_start", "period_end", "timezone"} <= names
