"""JSON artifacts: columns with types, rows, counts, truncation, period and time zone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from reports_pipeline.render.context import RenderContext
from reports_pipeline.render.values import json_rows


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def render_json(table: pa.Table, context: RenderContext, path: Path) -> None:
    """Write the result as one strict JSON document (no NaN, no Infinity)."""
    rows, replaced = json_rows(table, context.timezone)
    notes = []
    if replaced:
        notes.append(f"{replaced} NaN or infinite values were written as null")
    if context.truncated:
        notes.append(f"the result was cut to the report's limit of {table.num_rows} rows")
    if table.num_rows == 0:
        notes.append("no data for this period")
    document = {
        "report": {
            "id": context.report_id,
            "title": context.report_title,
            "version": context.report_version,
        },
        "run_id": context.run_id,
        "organization_id": context.organization_id,
        "generated_at": context.generated_at.isoformat(),
        "timezone": context.timezone,
        "period": {
            "start": _iso(context.period_start),
            "end": _iso(context.period_end),
            "label": context.period_label,
        },
        "columns": [
            {"name": c.name, "label": c.label, "type": c.type, "unit": c.unit, "format": c.format}
            for c in context.columns
        ],
        "rows": rows,
        "row_count": table.num_rows,
        "truncated": context.truncated,
        "notes": notes,
    }
    path.write_bytes(orjson.dumps(document))
