"""The render stage: one renderer per output format."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from reports_pipeline.render.context import RenderContext

FORMATS = ("json", "csv", "pdf", "pdf_branded", "xlsx")

CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
    "pdf_branded": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXTENSIONS = {"json": "json", "csv": "csv", "pdf": "pdf", "pdf_branded": "pdf", "xlsx": "xlsx"}


def artifact_name(report_id: str, format_key: str, run_id: str | None = None) -> str:
    """Return an artifact's file name: `<report>[-<run>][-branded].<extension>`.

    Files on disk omit the run id, which their directory names. Downloads include it, and the
    branded PDF keeps its suffix so that it does not replace the plain PDF of the same run.
    """
    run = f"-{run_id}" if run_id else ""
    suffix = "-branded" if format_key == "pdf_branded" else ""
    return f"{report_id}{run}{suffix}.{EXTENSIONS[format_key]}"


Renderer = Callable[[pa.Table, RenderContext, Path], None]


def renderer_for(format_key: str) -> Renderer | None:
    """Return the renderer of `format_key`, or None when this build cannot render it."""
    if format_key == "json":
        from reports_pipeline.render.json import render_json

        return render_json
    if format_key == "csv":
        from reports_pipeline.render.csv import render_csv

        return render_csv
    if format_key == "xlsx":
        from reports_pipeline.render.xlsx import render_xlsx

        return render_xlsx
    if format_key == "pdf":
        from reports_pipeline.render.pdf import render_pdf

        return render_pdf
    if format_key == "pdf_branded":
        from reports_pipeline.render.pdf import render_pdf_branded

        return render_pdf_branded
    return None


AVAILABLE_FORMATS = ("json", "csv", "pdf", "pdf_branded", "xlsx")
"""Formats this build renders. The API rejects a run that requests any other format."""
