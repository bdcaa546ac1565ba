"""CSV artifacts: UTF-8, a header row, RFC 4180 quoting and CRLF line ends.

A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return would run as a
formula in a spreadsheet, so it gets a leading apostrophe. Only text columns are changed:
numbers, negative ones included, stay numbers.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.types as pat

from reports_pipeline.render.context import RenderContext

FORMULA_PREFIX = r"^[=+\-@\t\r]"


def _neutralise(column: pa.ChunkedArray) -> pa.ChunkedArray:
    risky = pc.match_substring_regex(column, FORMULA_PREFIX)
    apostrophe, empty = pa.scalar("'", column.type), pa.scalar("", column.type)
    return pc.if_else(risky, pc.binary_join_element_wise(apostrophe, column, empty), column)


def _timestamps_as_text(column: pa.ChunkedArray, timezone: str) -> pa.Array:
    zone = ZoneInfo(timezone)
    values = [
        None
        if v is None
        else (v if v.tzinfo else v.replace(tzinfo=UTC)).astimezone(zone).isoformat()
        for v in column.to_pylist()
    ]
    return pa.array(values, pa.string())


def csv_table(table: pa.Table, timezone: str) -> pa.Table:
    """Return `table` with text neutralised, timestamps in `timezone` and NaN as empty cells."""
    columns = []
    for field, column in zip(table.schema, table.columns, strict=True):
        if pat.is_dictionary(field.type):
            # DuckDB returns ENUM columns dictionary-encoded; decode them so they are checked.
            column = column.cast(field.type.value_type)
        if pat.is_string(column.type) or pat.is_large_string(column.type):
            column = _neutralise(column)
        elif pat.is_timestamp(field.type):
            column = _timestamps_as_text(column, timezone)
        elif pat.is_floating(field.type):
            finite = pc.is_finite(column)
            column = pc.if_else(finite, column, pa.scalar(None, field.type))
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def render_csv(table: pa.Table, context: RenderContext, path: Path) -> None:
    options = pacsv.WriteOptions(include_header=True, eol="\r\n", quoting_style="needed")
    pacsv.write_csv(csv_table(table, context.timezone), str(path), write_options=options)
