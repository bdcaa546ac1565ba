"""CSV artifacts: UTF-8, a header row, RFC 4180 quoting and CRLF line ends.

A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return would run as a
formula in a spreadsheet, so it gets a leading apostrophe. Only text columns are changed:
numbers, negative ones included, stay numbers.

An empty result is the header row alone. A "no data" line would be read as a data record by a
SIEM or any CSV reader, so the run's row count of 0 and the JSON artifact's notes carry it.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.types as pat

from reports_pipeline.render.context import RenderContext

FORMULA_FIRST_CHARACTERS = {
    kind: pa.array(["=", "+", "-", "@", "\t", "\r"], kind)
    for kind in (pa.string(), pa.large_string())
}
"""First characters that make a spreadsheet read text as a formula, for each string type."""


def _neutralise(column: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Return the text with an apostrophe before each value that starts like a formula; return
    `column` itself when no value does."""
    # A set lookup of the first character takes about half the time of a regular expression at
    # 10,000 rows.
    first = pc.utf8_slice_codeunits(column, 0, 1)
    risky = pc.is_in(first, value_set=FORMULA_FIRST_CHARACTERS[column.type])
    if not _true_count(risky):
        return column
    apostrophe, empty = pa.scalar("'", column.type), pa.scalar("", column.type)
    return pc.if_else(risky, pc.binary_join_element_wise(apostrophe, column, empty), column)


def timestamps_as_text(column: pa.ChunkedArray, timezone: str) -> pa.ChunkedArray:
    """Return each timestamp as ISO 8601 text of its wall-clock time and offset in `timezone`.

    The text is what Python's `datetime.isoformat` writes: a fraction only when the microseconds
    are not 0, and offset seconds only when there are some (local mean time before 1900). The
    work is done by Arrow kernels, plus one Python call per distinct offset, because a Python
    call per value took two thirds of the render time.
    """
    # A timestamp without a zone is UTC, as in the other artifacts.
    instants = column.cast(pa.timestamp("us", tz=column.type.tz or "UTC"), safe=False)
    local = pc.local_timestamp(instants.cast(pa.timestamp("us", tz=timezone)))

    # Arrow writes a timestamp[us] as "YYYY-MM-DD HH:MM:SS.ffffff". ISO 8601 puts a "T" between
    # date and time, and isoformat leaves out a fraction of 0. Plain replacements are used
    # because a regular expression is compiled on every call, which costs more at 100 rows.
    text = pc.replace_substring(local.cast(pa.string()), " ", "T", max_replacements=1)
    wall_clock = pc.replace_substring(text, ".000000", "", max_replacements=1)

    # Each distinct offset (two in a zone with daylight saving time) is formatted once.
    offsets = pc.dictionary_encode(pc.subtract(local, instants.cast(pa.timestamp("us"))))
    offset_texts = []
    for chunk in offsets.chunks:
        texts = [_offset_text(offset) for offset in chunk.dictionary.to_pylist()]
        offset_texts.append(pa.array(texts, pa.string()).take(chunk.indices))
    return pc.binary_join_element_wise(wall_clock, pa.chunked_array(offset_texts, pa.string()), "")


def _offset_text(offset: timedelta) -> str:
    seconds = int(offset.total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{sign}{hours:02d}:{minutes:02d}"
    return f"{text}:{seconds:02d}" if seconds else text


def csv_table(table: pa.Table, timezone: str) -> pa.Table:
    """Return `table` with text neutralised, timestamps in `timezone` and NaN as empty cells."""
    columns = []
    for field, column in zip(table.schema, table.columns, strict=True):
        kind = field.type
        if pat.is_dictionary(kind) and _is_text(kind.value_type):
            # DuckDB returns ENUM columns dictionary-encoded; their few distinct values are
            # checked, and the CSV writer decodes them.
            columns.append(_neutralise_dictionary(column))
            continue
        if pat.is_dictionary(kind):
            column = column.cast(kind.value_type)
            kind = kind.value_type
        if _is_text(kind):
            column = _neutralise(column)
        elif pat.is_timestamp(kind):
            column = timestamps_as_text(column, timezone)
        elif pat.is_floating(kind):
            finite = pc.is_finite(column)
            if _true_count(finite) < len(column) - column.null_count:
                column = pc.if_else(finite, column, pa.scalar(None, kind))
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def _is_text(kind: pa.DataType) -> bool:
    return bool(pat.is_string(kind) or pat.is_large_string(kind))


def _true_count(mask: pa.Array | pa.ChunkedArray) -> int:
    chunks = mask.chunks if isinstance(mask, pa.ChunkedArray) else [mask]
    return sum(chunk.true_count for chunk in chunks)


def _neutralise_dictionary(column: pa.ChunkedArray) -> pa.ChunkedArray:
    chunks = []
    for chunk in column.chunks:
        dictionary = _neutralise(chunk.dictionary)
        if dictionary is not chunk.dictionary:
            chunk = pa.DictionaryArray.from_arrays(chunk.indices, dictionary)
        chunks.append(chunk)
    return pa.chunked_array(chunks, column.type)


def render_csv(table: pa.Table, context: RenderContext, path: Path) -> None:
    options = pacsv.WriteOptions(include_header=True, eol="\r\n", quoting_style="needed")
    pacsv.write_csv(csv_table(table, context.timezone), str(path), write_options=options)
