"""Loads the catalogue from the YAML files beside this module and checks every definition."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import pydantic
import yaml

from reports_pipeline.catalogue.model import ReportDefinition, ReportParamSpec
from reports_pipeline.errors import ReportsError
from reports_pipeline.semantic.whitelist import check_definition

DEFINITIONS_DIR = Path(__file__).parent / "definitions"

_PERIOD_BOUNDS = (
    ReportParamSpec(
        name="period_start",
        type="timestamp",
        label="Period start",
        description="Start of the period (ISO 8601 date or timestamp); replaces period.",
    ),
    ReportParamSpec(
        name="period_end",
        type="timestamp",
        label="Period end",
        description="End of the period, inclusive (a date alone covers the whole day).",
    ),
    ReportParamSpec(
        name="timezone",
        type="timezone",
        label="Time zone",
        description="IANA time zone for periods and time buckets.",
        default="UTC",
    ),
)


_PERIOD_LABEL = {
    "label": "Period",
    "description": (
        "Rolling window such as 30d, 12w or 6m, or a named period such as previous_month "
        "or year_to_date, resolved in the report's time zone."
    ),
}


def _with_period_label(param: dict[str, Any]) -> dict[str, Any]:
    if param.get("name") != "period":
        return param
    return {**{k: v for k, v in _PERIOD_LABEL.items() if not param.get(k)}, **param}


class CatalogueError(Exception):
    """A catalogue file contains a definition that does not load, so start-up must stop."""


def _with_period_bounds(raw: dict[str, Any]) -> dict[str, Any]:
    params = raw.get("params") or []
    if not isinstance(params, list) or not all(isinstance(p, dict) for p in params):
        # Left for the model to reject with the field's location.
        return raw
    names = {p.get("name") for p in params}
    params = [_with_period_label(p) for p in params]
    if "period" in names:
        params += [spec.model_dump() for spec in _PERIOD_BOUNDS if spec.name not in names]
    return {**raw, "params": params or None}


def load_file(path: Path) -> list[ReportDefinition]:
    """Parse and check every definition in one YAML file."""
    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{path.name}: invalid YAML: {exc}") from exc
    if not isinstance(entries, list):
        raise CatalogueError(f"{path.name}: expected a list of report definitions")
    definitions = []
    for position, raw in enumerate(entries):
        if not isinstance(raw, dict):
            raise CatalogueError(
                f"{path.name}: entry {position} is not a report definition (a mapping of fields)"
            )
        report_id = raw.get("id", f"entry {position}")
        try:
            definition = ReportDefinition.model_validate(_with_period_bounds(raw))
            check_definition(definition)
        except pydantic.ValidationError as exc:
            first = exc.errors()[0]
            location = ".".join(str(part) for part in first["loc"])
            raise CatalogueError(
                f"{path.name}: report {report_id}: field {location}: {first['msg']}"
            ) from exc
        except ReportsError as exc:
            raise CatalogueError(f"{path.name}: report {report_id}: {exc.message}") from exc
        definitions.append(definition)
    return definitions


def load_catalogue(directory: Path = DEFINITIONS_DIR) -> dict[str, ReportDefinition]:
    """Load every `*.yaml` file in `directory`; raise `CatalogueError` on the first problem."""
    catalogue: dict[str, ReportDefinition] = {}
    for path in sorted(directory.glob("*.yaml")):
        for definition in load_file(path):
            if definition.id in catalogue:
                raise CatalogueError(f"{path.name}: report {definition.id} is defined twice")
            catalogue[definition.id] = definition
    return catalogue


@lru_cache(maxsize=1)
def get_catalogue() -> dict[str, ReportDefinition]:
    """Return the process-wide catalogue, loaded once."""
    return load_catalogue()
