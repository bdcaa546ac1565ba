"""The catalogue loader checks filter-bound parameters against the field they filter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from reports_pipeline.catalogue.loader import CatalogueError, load_catalogue


def write_report(directory: Path, param: dict[str, Any]) -> Path:
    report = {
        "id": "ciso.param_case",
        "persona": "ciso",
        "title": "Param case",
        "description": "Checks one parameter.",
        "source_id": "mcp_alert_events",
        "dimensions": ["severity"],
        "metrics": ["alert_count"],
        "params": [{"name": "period", "type": "period", "default": "30d"}, param],
    }
    (directory / "ciso.yaml").write_text(yaml.safe_dump([report]), encoding="utf-8")
    return directory


@pytest.mark.parametrize(
    ("param", "message"),
    [
        (
            {
                "name": "severity",
                "type": "enum",
                "allowed_values": ["critical", "severe"],
                "filter": {"field": "severity", "op": "eq"},
            },
            "not values of 'severity'",
        ),
        (
            {
                "name": "severity",
                "type": "enum",
                "multiple": True,
                "allowed_values": ["critical", "high"],
                "filter": {"field": "severity", "op": "eq"},
            },
            "in or not_in",
        ),
        (
            {
                "name": "severity",
                "type": "enum",
                "allowed_values": ["critical", "high"],
                "filter": {"field": "severity", "op": "in"},
            },
            "in or not_in",
        ),
        (
            {
                "name": "severity",
                "type": "enum",
                "allowed_values": ["critical", "high"],
                "default": "low",
                "filter": {"field": "severity", "op": "eq"},
            },
            "default 'low'",
        ),
        (
            {
                "name": "severity",
                "type": "enum",
                "multiple": True,
                "default": ["critical", "severe"],
                "filter": {"field": "severity", "op": "in"},
            },
            "default 'severe'",
        ),
    ],
)
def test_param_rejected(tmp_path: Path, param: dict[str, Any], message: str) -> None:
    with pytest.raises(CatalogueError, match=message) as raised:
        load_catalogue(write_report(tmp_path, param))
    assert "ciso.param_case" in str(raised.value)


def test_param_valid_multiple(tmp_path: Path) -> None:
    param = {
        "name": "severity",
        "type": "enum",
        "multiple": True,
        "allowed_values": ["critical", "high"],
        "default": ["critical"],
        "filter": {"field": "severity", "op": "in"},
    }
    catalogue = load_catalogue(write_report(tmp_path, param))
    assert catalogue["ciso.param_case"].param("severity") is not None


def test_period_param_gets_label(tmp_path: Path) -> None:
    param = {
        "name": "region",
        "type": "enum",
        "allowed_values": ["emea"],
        "filter": {"field": "region", "op": "eq"},
    }
    period = load_catalogue(write_report(tmp_path, param))["ciso.param_case"].param("period")
    assert period is not None
    assert period.label == "Period"
    assert "30d" in period.description
