"""The run facts every renderer receives besides the rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ColumnMeta:
    name: str
    label: str
    type: str
    unit: str | None = None
    format: str | None = None


@dataclass(frozen=True)
class ChartSpec:
    """A chart the report suggests: its type, x column, y columns and optional series column."""

    type: str
    x: str
    y: tuple[str, ...]
    series: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class RenderContext:
    run_id: str
    organization_id: str
    report_id: str
    report_title: str
    report_version: int
    columns: tuple[ColumnMeta, ...]
    timezone: str
    period_start: datetime | None
    period_end: datetime | None
    period_label: str | None
    truncated: bool
    generated_at: datetime
    render_options: dict[str, Any] = field(default_factory=dict)
    chart_hints: tuple[ChartSpec, ...] = ()
    description: str = ""
