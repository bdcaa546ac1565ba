"""CSV artifacts: UTF-8, a header row, RFC 4180 quoting and CRLF line ends.

A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return would run as a
formula in a spreadsheet, so it gets a leading apostrophe. Only text columns are changed:
numbers, negative ones included, stay numbers.

An empty result is the header row alone. A "no data" line would be read as a data record by a
SIEM or any CSV reader, so the run's row count of 0 and the JSON artifact's notes carry it.
"""

from __future__ import annotations

from collections.abc import Callable
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
DATE_TIME_SEPARATOR = pc.ReplaceSubstringOptions(" ", "T", max_replacements=1)
ZERO_FRACTION = pc.ReplaceSubstringOptions(".000000", "", max_replacements=1)
PAST_THE_END = 2**31 - 1
"""A slice start beyond any text, where a replacement appends."""


def timestamps_as_text(column: pa.ChunkedArray, timezone: str) -> pa.ChunkedArray:
    """Return each timestamp as ISO 8601 text of its wall-clock time and offset in `timezone`.

    The text is what Python's `datetime.isoformat` writes: a fraction only when the microseconds
    are not 0, and offset seconds only when there are some (local mean time before 1900). The
    work is done by Arrow kernels, plus one Python call per distinct offset, because a Python
    call per value took two thirds of the render time.
    """
    # A timestamp without a zone is UTC, as in the other artifacts. Arrow stores every zoned
    # timestamp as microseconds since the epoch in UTC, so a change of zone or a view of the
    # same values as integers is a relabelling, which `_view` does without a cast kernel.
    microseconds = pa.timestamp("us", tz=column.type.tz or "UTC")
    instants = column if column.type == microseconds else column.cast(microseconds, safe=False)
    local = pc.local_timestamp(_view(instants, pa.timestamp("us", tz=timezone)))

    # Arrow writes a timestamp[us] as "YYYY-MM-DD HH:MM:SS.ffffff". ISO 8601 puts a "T" between
    # date and time, and isoformat leaves out a fraction of 0. Plain replacements are used
    # because a regular expression is compiled on every call, which costs more at 100 rows.
    text = pc.replace_substring(local.cast(pa.string()), options=DATE_TIME_SEPARATOR)
    wall_clock = pc.replace_substring(text, options=ZERO_FRACTION)

    # The offset of each value in microseconds. A report's period usually lies within one
    # offset, which is then formatted once. Otherwise each distinct offset (two in a zone with
    # daylight saving time) is formatted once and taken per row.
    offsets = pc.subtract(_view(local, pa.int64()), _view(instants, pa.int64()))
    lowest, highest = pc.min_max(offsets).values()
    if lowest == highest:
        # Replacing the empty slice past the end appends, in about half the time of a join.
        offset = _offset_text(lowest.as_py() or 0)
        return pc.binary_replace_slice(
            wall_clock, start=PAST_THE_END, stop=PAST_THE_END, replacement=offset
        )
    offset_texts = []
    for chunk in pc.dictionary_encode(offsets).chunks:
        texts = [_offset_text(offset) for offset in chunk.dictionary.to_pylist()]
        offset_texts.append(pa.array(texts, pa.string()).take(chunk.indices))
    return pc.binary_join_element_wise(wall_clock, pa.chunked_array(offset_texts, pa.string()), "")


def _view(column: pa.ChunkedArray, kind: pa.DataType) -> pa.ChunkedArray:
    """Return the same values read as `kind`, which must have the same layout."""
    return pa.chunked_array([chunk.view(kind) for chunk in column.chunks], kind)


def _offset_text(microseconds: int) -> str:
    seconds = microseconds // 1_000_000
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{sign}{hours:02d}:{minutes:02d}"
    return f"{text}:{seconds:02d}" if seconds else text


def csv_table(table: pa.Table, timezone: str) -> pa.Table:
    """Return `table` with text neutralised, timestamps in `timezone` and NaN as empty cells.

    Text and float columns are first checked together, one kernel call for all columns of a
    type, and changed one by one only when the check finds a value to change. A kernel call
    costs several microseconds whatever its length, which is most of the time at 100 rows.
    """
    texts: list[int] = []
    floats: list[int] = []
    for index, field in enumerate(table.schema):
        kind = field.type
        if pat.is_dictionary(kind) and not _is_text(kind.value_type):
            kind = kind.value_type
            table = table.set_column(index, field.name, table.column(index).cast(kind))
        # DuckDB returns ENUM columns dictionary-encoded; their few distinct values are checked,
        # and the CSV writer decodes them.
        if _is_text(kind) or pat.is_dictionary(kind):
            texts.append(index)
        elif pat.is_timestamp(kind):
            text = timestamps_as_text(table.column(index), timezone)
            table = table.set_column(index, field.name, text)
        elif pat.is_floating(kind):
            floats.append(index)

    if any(_true_count(_formula_like(values)) for values in _by_type(table, texts, _text_values)):
        for index in texts:
            column = _neutralise_column(table.column(index))
            table = table.set_column(index, table.field(index), column)
    if any(_non_finite_mask(values) is not None for values in _by_type(table, floats, _chunks)):
        for index in floats:
            column = table.column(index)
            finite = _non_finite_mask(column)
            if finite is not None:
                column = pc.if_else(finite, column, pa.scalar(None, column.type))
                table = table.set_column(index, table.field(index), column)
    return table


def _chunks(column: pa.ChunkedArray) -> list[pa.Array]:
    return column.chunks  # type: ignore[no-any-return]


def _text_values(column: pa.ChunkedArray) -> list[pa.Array]:
    """Return the arrays holding a text column's values: its chunks or their dictionaries."""
    if pat.is_dictionary(column.type):
        return [chunk.dictionary for chunk in column.chunks]
    return column.chunks  # type: ignore[no-any-return]


def _by_type(
    table: pa.Table,
    indexes: list[int],
    arrays: Callable[[pa.ChunkedArray], list[pa.Array]],
) -> list[pa.ChunkedArray]:
    """Return the arrays of the columns at `indexes`, one chunked array per value type."""
    grouped: dict[pa.DataType, list[pa.Array]] = {}
    for index in indexes:
        for array in arrays(table.column(index)):
            grouped.setdefault(array.type, []).append(array)
    return [pa.chunked_array(group, kind) for kind, group in grouped.items()]


def _formula_like(column: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    # A set lookup of the first character takes about half the time of a regular expression at
    # 10,000 rows.
    first = pc.utf8_slice_codeunits(column, 0, 1)
    return pc.is_in(first, value_set=FORMULA_FIRST_CHARACTERS[column.type])


def _non_finite_mask(column: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """Return the `is_finite` mask of `column` when it has a NaN or infinite value, else None."""
    finite = pc.is_finite(column)
    if _true_count(finite) < len(column) - column.null_count:
        return finite
    return None


def _neutralise(column: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Return the text with an apostrophe before each value that starts like a formula; return
    `column` itself when no value does."""
    risky = _formula_like(column)
    if not _true_count(risky):
        return column
    apostrophe, empty = pa.scalar("'", column.type), pa.scalar("", column.type)
    return pc.if_else(risky, pc.binary_join_element_wise(apostrophe, column, empty), column)


def _neutralise_column(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if not pat.is_dictionary(column.type):
        return _neutralise(column)
    chunks = []
    for chunk in column.chunks:
        dictionary = chunk.dictionary
        neutralised = _neutralise(dictionary)
        if neutralised is not dictionary:
            chunk = pa.DictionaryArray.from_arrays(chunk.indices, neutralised)
        chunks.append(chunk)
    return pa.chunked_array(chunks, column.type)


def _is_text(kind: pa.DataType) -> bool:
    return bool(pat.is_string(kind) or pat.is_large_string(kind))


def _true_count(mask: pa.Array | pa.ChunkedArray) -> int:
    chunks = mask.chunks if isinstance(mask, pa.ChunkedArray) else [mask]
    return sum(chunk.true_count for chunk in chunks)


def render_csv(table: pa.Table, context: RenderContext, path: Path) -> None:
    options = pacsv.WriteOptions(include_header=True, eol="\r\n", quoting_style="needed")
    pacsv.write_csv(csv_table(table, context.timezone), str(path), write_options=options)
