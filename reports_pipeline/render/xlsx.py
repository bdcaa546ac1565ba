"""XLSX artifacts: a typed data sheet, native charts and an info sheet.

The workbook is written with openpyxl's write-only mode, which streams rows to disk. Values
that Excel would change or misread are fixed as they are written, and each kind of fix is
counted on the info sheet:

- NaN and infinite numbers become empty cells, because Excel has no such values.
- Integers and decimals with more than 15 significant digits become text, because Excel keeps
  only 15 digits of a number.
- Dates and times before 1900-01-01 become ISO 8601 text, because Excel cannot show them.
- XML control characters are removed, because they make the file unreadable.
- Text is cut to Excel's limit of 32,767 characters (UTF-16 code units) per cell.
- Text that starts like a formula (`=`, `+`, `-`, `@`) is counted. All text is stored as string
  cells, never as formulas, and text starting with `=` also gets the text format `@`, so it
  stays text when a user edits the cell.
- The data sheet is named after the report title, changed to fit Excel's sheet-name rules.

Timestamps are converted to the report's time zone and written as naive wall-clock times,
because Excel has no time zones. Charts are native Excel charts on their own sheet, drawn for
results of 1 to MAX_CHART_ROWS rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.types as pat
from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.cell.cell import ERROR_CODES, Cell, WriteOnlyCell  # type: ignore[import-untyped]
from openpyxl.chart import (  # type: ignore[import-untyped]
    AreaChart,
    BarChart,
    LineChart,
    PieChart,
    Reference,
)
from openpyxl.chart.data_source import AxDataSource, StrRef  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from reports_pipeline.errors import ReportsError
from reports_pipeline.render.context import ColumnMeta, RenderContext

MAX_CELL_TEXT = 32_767
"""Excel's limit on the text of one cell, in UTF-16 code units."""
MAX_EXACT_DIGITS = 15
"""Significant digits that Excel keeps of a number."""
MAX_SHEET_ROWS = 1_048_576
MAX_CHART_ROWS = 1_000
MAX_CHART_SERIES = 12
"""Results with more rows get no chart, because a chart of that many points is unreadable."""
MAX_SHEET_NAME = 31
MIN_COLUMN_WIDTH = 8
MAX_COLUMN_WIDTH = 60
WIDTH_SAMPLE_ROWS = 50
CHART_ROWS_APART = 22
"""Rows of the chart sheet between the tops of two charts (a 10 cm chart covers about 20)."""

DATA_FALLBACK_NAME = "Report"
CHART_SHEET = "Charts"
CHART_DATA_SHEET = "Chart data"
INFO_SHEET = "Info"
NO_DATA = "No data for this period"
TEXT_FORMAT = "@"

# XML 1.0 forbids these characters. openpyxl's ILLEGAL_CHARACTERS_RE lists the same control
# characters but not U+FFFE and U+FFFF. The set is written for RE2 (pyarrow.compute, for columns)
# and for Python's re (for the few strings of titles, labels and the info sheet).
_CONTROL_RANGES = r"\x00-\x08\x0b\x0c\x0e-\x1f"
CONTROL_CHARACTERS = rf"[{_CONTROL_RANGES}\x{{FFFE}}\x{{FFFF}}]"
CONTROL_CHARACTERS_RE = re.compile(rf"[{_CONTROL_RANGES}\uFFFE\uFFFF]")
# Excel reads _xHHHH_ inside a string as an escaped character, so an escaped underscore
# (_x005F_) keeps such text as written (ECMA-376 Part 1, ST_Xstring).
EXCEL_ESCAPE = r"_(x[0-9A-Fa-f]{4}_)"
EXCEL_ESCAPE_RE = re.compile(EXCEL_ESCAPE)
ESCAPED_UNDERSCORE = r"_x005F_\1"
FORMULA_START = r"^[=+\-@]"
# Text that needs a cell of its own rather than a plain value. openpyxl would type "=" text as a
# formula and an error code (#N/A) as an error value. Digit identifiers get the text format,
# because Excel drops leading zeros and rounds digits past the 15th of a number that a user types.
OWN_CELL_TEXT = "|".join(
    [
        r"^=",
        rf"^({'|'.join(re.escape(code) for code in ERROR_CODES)})$",
        r"^(0[0-9]+|[0-9]{16,})$",
    ]
)

TEXT_TO_CHANGE = rf"{CONTROL_CHARACTERS}|_x[0-9A-Fa-f]{{4}}_|^[=+\-@#]|^0[0-9]|^[0-9]{{16}}"
"""Text that `_text_column` may change, count or write as a cell of its own: control characters,
Excel escapes, formula starts, error codes (all start with #) and digit identifiers. A short
pattern, because RE2 compiles it on every call."""

SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
SHEET_NAME_RESERVED = "history"
NUMBER_FORMAT = re.compile(r"[$€£¥]?[#,0]*0(\.0+)?%?")
EXACT_INTEGER_LIMIT = 10**MAX_EXACT_DIGITS - 1
EXCEL_FIRST_DAY = date(1900, 1, 1)
EXCEL_FIRST_TIME = datetime(1900, 1, 1)
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"

CHART_CLASSES = {"bar": BarChart, "line": LineChart, "area": AreaChart, "pie": PieChart}
CHART_WIDTH_CM = 24
CHART_HEIGHT_CM = 10

BOLD = Font(bold=True)
ITALIC = Font(italic=True)


@dataclass
class FixCounts:
    """Cells (or sheet names) that were changed so Excel reads them as the report meant."""

    non_finite: int = 0
    numbers_as_text: int = 0
    dates_as_text: int = 0
    control_characters: int = 0
    truncated_text: int = 0
    formula_like_text: int = 0
    sheet_names: int = 0


FIX_LABELS = {
    "non_finite": "NaN or infinite numbers left empty",
    "numbers_as_text": "Numbers over 15 digits written as text",
    "dates_as_text": "Dates and times before 1900 written as text",
    "control_characters": "Cells with control characters removed",
    "truncated_text": "Cells cut to 32,767 characters",
    "formula_like_text": "Text starting with = + - @ kept as text",
    "sheet_names": "Sheet names changed to fit Excel",
}


@dataclass
class PreparedColumn:
    """A column's cell values, ready for `append`, and the number format of its plain numbers,
    dates and times.

    A value is None (an empty cell), a plain value, or an openpyxl cell for text that needs its
    own type or format.
    """

    values: list[Any]
    number_format: str | None = None


def render_xlsx(table: pa.Table, context: RenderContext, path: Path) -> None:
    """Write `table` as a workbook with a data sheet, a chart sheet when charts apply, and an
    info sheet."""
    if table.num_rows >= MAX_SHEET_ROWS:
        raise ReportsError(
            f"cannot render {table.num_rows} rows as XLSX: an Excel sheet has room for "
            f"{MAX_SHEET_ROWS - 1} rows below the header"
        )
    fixes = FixCounts()
    workbook = Workbook(write_only=True)
    data_name = sheet_name(context.report_title, taken={CHART_SHEET, CHART_DATA_SHEET, INFO_SHEET})
    if data_name != context.report_title:
        fixes.sheet_names += 1
    data_sheet = _create_sheet(workbook, data_name)

    metas = _column_metas(table, context)
    columns = [
        prepare_column(column, field.type, meta, context.timezone, data_sheet, fixes)
        for field, column, meta in zip(table.schema, table.columns, metas, strict=True)
    ]
    _write_data_sheet(data_sheet, metas, columns, table.num_rows, fixes)

    notes = _chart_notes(context, table)
    charts = build_charts(context, table, columns, data_sheet, ChartData(workbook), notes)
    if charts:
        # Right after the data sheet, before the chart-data sheet if there is one.
        chart_sheet = workbook.create_sheet(CHART_SHEET, 1)
        for index, chart in enumerate(charts):
            chart_sheet.add_chart(chart, f"A{1 + index * CHART_ROWS_APART}")

    info_sheet = _create_sheet(workbook, INFO_SHEET)
    _write_info_sheet(info_sheet, context, table.num_rows, metas, fixes, notes)
    workbook.save(str(path))


# --- Sheet names ------------------------------------------------------------------------------


def sheet_name(title: str, *, taken: set[str]) -> str:
    """Return a valid Excel sheet name for `title`, distinct from the names in `taken`.

    Excel rejects names with `[ ] : * ? / \\`, names over 31 characters, blank names, names that
    start or end with an apostrophe, and the reserved name History. Names compare
    case-insensitively.
    """
    name = SHEET_NAME_FORBIDDEN.sub(" ", _clean_one(title))
    name = re.sub(r"\s+", " ", name)
    name = _shorten(name.strip(" '"), MAX_SHEET_NAME).strip(" '")
    if not name or name.casefold() == SHEET_NAME_RESERVED:
        name = DATA_FALLBACK_NAME
    used = {other.casefold() for other in taken}
    base, number = name, 1
    while name.casefold() in used:
        number += 1
        suffix = f" ({number})"
        name = _cut_utf16(base, MAX_SHEET_NAME - len(suffix)).rstrip(" '") + suffix
    return name


def _shorten(text: str, units: int) -> str:
    """Return `text` cut to `units` UTF-16 code units at a word break, ending in an ellipsis."""
    if _cut_utf16(text, units) == text:
        return text
    cut = _cut_utf16(text, units - 1)
    # Keep a word whole unless that would lose more than half of the name.
    words = cut.rsplit(" ", 1)[0].rstrip(" '")
    return (words if len(words) > len(cut) // 2 else cut) + "…"


def _cut_utf16(text: str, units: int) -> str:
    """Return the longest prefix of `text` that fits in `units` UTF-16 code units."""
    encoded = text.encode("utf-16-le")
    if len(encoded) <= units * 2:
        return text
    # Cutting at an even byte can split a surrogate pair, and "ignore" drops the lone half.
    return encoded[: units * 2].decode("utf-16-le", errors="ignore")


# --- Values -----------------------------------------------------------------------------------


def prepare_column(
    column: pa.ChunkedArray,
    kind: pa.DataType,
    meta: ColumnMeta,
    timezone: str,
    sheet: Any,
    fixes: FixCounts,
) -> PreparedColumn:
    """Convert one Arrow column into cell values for `sheet`, counting every fix in `fixes`."""
    if pat.is_dictionary(kind) and _is_text(kind.value_type):
        # DuckDB returns ENUM columns dictionary-encoded. Their few distinct values are checked,
        # and the column is decoded only when one of them needs a change.
        kind = kind.value_type
        if not _any_text_to_change([chunk.dictionary for chunk in column.chunks]):
            # Decoding first took a tenth of the time of a dictionary column's to_pylist
            # (100 rows).
            return PreparedColumn(column.cast(kind).to_pylist())
        column = column.cast(kind)
    if pat.is_dictionary(kind):
        kind = kind.value_type
        column = column.cast(kind)
    if _is_text(kind):
        if not _any_text_to_change(column.chunks):
            return PreparedColumn(column.to_pylist())
        return _text_column(column, sheet, fixes)
    if pat.is_integer(kind):
        return _integer_column(column, kind, meta, sheet, fixes)
    if pat.is_floating(kind):
        return _float_column(column, meta, fixes)
    if pat.is_decimal(kind):
        return _decimal_column(column, kind, meta, sheet, fixes)
    if pat.is_boolean(kind) or pat.is_null(kind):
        return PreparedColumn(column.to_pylist())
    if pat.is_timestamp(kind):
        return _timestamp_column(column, kind, timezone, sheet, fixes)
    if pat.is_date(kind):
        return _date_column(column, sheet, fixes)
    # Types no report column has (times, durations, lists): their Python text.
    texts = [None if value is None else str(value) for value in column.to_pylist()]
    return _text_column(pa.chunked_array([pa.array(texts, pa.string())]), sheet, fixes)


def _is_text(kind: pa.DataType) -> bool:
    return bool(pat.is_string(kind) or pat.is_large_string(kind))


def _any_text_to_change(arrays: Sequence[pa.Array]) -> bool:
    """Return whether any text in `arrays` needs a fix, a count or a cell of its own.

    Most text needs none. One regular expression and one length check cost less than the kernel
    calls of `_text_column`, whose fixed cost is most of a column's time at 100 rows.
    """
    if not arrays:
        return False
    text = pa.chunked_array(arrays)
    if _count(pc.match_substring_regex(text, TEXT_TO_CHANGE)):
        return True
    longest = pc.max(pc.utf8_length(text)).as_py()
    return longest is not None and longest > MAX_CELL_TEXT // 2


def excel_number_format(meta: ColumnMeta) -> str | None:
    """Return the Excel number format for the metric's `format`, or None for General.

    Only plain formats (`#,##0`, `0.00`, `$#,##0`) are passed on. A percent column contains values
    already in 0..100, so Excel's `%`, which multiplies by 100, is dropped from its format.
    """
    if meta.format is None or not NUMBER_FORMAT.fullmatch(meta.format):
        return None
    if meta.unit == "percent":
        return meta.format.replace("%", "")
    return meta.format


def text_cell(sheet: Any, text: str, font: Any = None) -> Any:
    """Return a string cell of `text` that Excel shows as written and never evaluates."""
    cell = WriteOnlyCell(sheet)
    cell.value = text
    # openpyxl makes text that starts with "=" a formula and "#N/A" an error value.
    cell.data_type = "s"
    cell.number_format = TEXT_FORMAT
    if font is not None:
        cell.font = font
    return cell


def _count(mask: pa.ChunkedArray | pa.Array) -> int:
    """Return how many values of a boolean mask are true; nulls count as false."""
    return int(pc.sum(mask).as_py() or 0)


def _positions(mask: pa.ChunkedArray | pa.Array) -> list[int]:
    """Return the positions where a boolean mask is true; nulls count as false."""
    return pc.indices_nonzero(mask).to_pylist()  # type: ignore[no-any-return]


def _within(column: pa.ChunkedArray, lowest: Any, highest: Any, *, inclusive: bool = True) -> bool:
    """Return whether every value of `column` lies between `lowest` and `highest` (None for no
    bound); nulls are ignored.

    One min_max call checks the whole column, so the value-by-value checks run only for a column
    that has a value out of range.
    """
    low, high = (scalar.as_py() for scalar in pc.min_max(column).values())
    if low is None:
        return True
    if inclusive:
        return (lowest is None or low >= lowest) and (highest is None or high <= highest)
    return (lowest is None or low > lowest) and (highest is None or high < highest)


def clean_text(column: pa.ChunkedArray | pa.Array, fixes: FixCounts) -> pa.ChunkedArray | pa.Array:
    """Remove XML control characters, escape Excel's `_xHHHH_` and cut text to Excel's limit."""
    control = pc.match_substring_regex(column, CONTROL_CHARACTERS)
    removed = _count(control)
    if removed:
        fixes.control_characters += removed
        column = pc.replace_substring_regex(column, CONTROL_CHARACTERS, "")
    column = pc.replace_substring_regex(column, EXCEL_ESCAPE, ESCAPED_UNDERSCORE)

    # A string of at most MAX_CELL_TEXT // 2 code points fits whatever its UTF-16 length.
    long = pc.greater(pc.utf8_length(column), MAX_CELL_TEXT // 2)
    positions = _positions(long)
    if not positions:
        return column
    values = column.to_pylist()
    for position in positions:
        values[position] = _fit_cell(values[position], fixes)
    return pa.array(values, pa.string())


def clean_texts(texts: Sequence[str], fixes: FixCounts) -> list[str]:
    """Return `texts` cleaned as `clean_text` cleans a column, for a few strings at a time."""
    cleaned = []
    for text in texts:
        text, removed = CONTROL_CHARACTERS_RE.subn("", text)
        if removed:
            fixes.control_characters += 1
        text = EXCEL_ESCAPE_RE.sub(ESCAPED_UNDERSCORE, text)
        cleaned.append(_fit_cell(text, fixes) if len(text) > MAX_CELL_TEXT // 2 else text)
    return cleaned


def _fit_cell(text: str, fixes: FixCounts) -> str:
    if _cut_utf16(text, MAX_CELL_TEXT) == text:
        return text
    fixes.truncated_text += 1
    # The ellipsis shows a reader that the cell was cut.
    return _cut_utf16(text, MAX_CELL_TEXT - 1) + "…"


def _clean_one(text: str) -> str:
    return clean_texts([text], FixCounts())[0]


def _text_value(sheet: Any, text: str) -> Any:
    """Return `text` as is, or as a string cell where openpyxl would type it otherwise."""
    if text.startswith("=") or text in ERROR_CODES:
        return text_cell(sheet, text)
    return text


def _text_column(column: pa.ChunkedArray, sheet: Any, fixes: FixCounts) -> PreparedColumn:
    column = clean_text(column, fixes)
    formula_like = pc.match_substring_regex(column, FORMULA_START)
    fixes.formula_like_text += _count(formula_like)
    special = pc.match_substring_regex(column, OWN_CELL_TEXT)
    values = column.to_pylist()
    for position in _positions(special):
        values[position] = text_cell(sheet, values[position])
    return PreparedColumn(values)


def _integer_column(
    column: pa.ChunkedArray, kind: pa.DataType, meta: ColumnMeta, sheet: Any, fixes: FixCounts
) -> PreparedColumn:
    values = column.to_pylist()
    if kind.bit_width > 32 and not _within(column, -EXACT_INTEGER_LIMIT, EXACT_INTEGER_LIMIT):
        # Scalars of the column's own type, so an unsigned column is not cast to a signed one.
        too_long = pc.greater(column, pa.scalar(EXACT_INTEGER_LIMIT, kind))
        if pat.is_signed_integer(kind):
            too_low = pc.less(column, pa.scalar(-EXACT_INTEGER_LIMIT, kind))
            too_long = pc.or_kleene(too_long, too_low)
        for position in _positions(too_long):
            values[position] = text_cell(sheet, str(values[position]))
            fixes.numbers_as_text += 1
    return PreparedColumn(values, excel_number_format(meta))


def _float_column(column: pa.ChunkedArray, meta: ColumnMeta, fixes: FixCounts) -> PreparedColumn:
    if pat.is_float16(column.type):
        column = column.cast(pa.float64())
    finite = pc.is_finite(column)
    non_finite = _count(pc.invert(finite))
    if non_finite:
        fixes.non_finite += non_finite
        column = pc.if_else(finite, column, pa.scalar(None, column.type))
    return PreparedColumn(column.to_pylist(), excel_number_format(meta))


def _decimal_column(
    column: pa.ChunkedArray, kind: pa.DataType, meta: ColumnMeta, sheet: Any, fixes: FixCounts
) -> PreparedColumn:
    values = column.to_pylist()
    # Below 10**(15 - scale) a value has at most 15 digits. Above it, trailing zeros may still
    # bring it within 15, so those values are checked one by one.
    bound = Decimal(10) ** (MAX_EXACT_DIGITS - kind.scale)
    if kind.precision > MAX_EXACT_DIGITS and not _within(column, -bound, bound, inclusive=False):
        for position in _positions(pc.greater_equal(pc.abs(column), pa.scalar(bound))):
            value: Decimal = values[position]
            if len(value.normalize().as_tuple().digits) > MAX_EXACT_DIGITS:
                values[position] = text_cell(sheet, format(value, "f"))
                fixes.numbers_as_text += 1
    return PreparedColumn(values, excel_number_format(meta))


def _timestamp_column(
    column: pa.ChunkedArray, kind: pa.DataType, timezone: str, sheet: Any, fixes: FixCounts
) -> PreparedColumn:
    # A timestamp without a zone is UTC, as in the CSV and JSON artifacts. Casting to the
    # report's zone keeps the instant, and local_timestamp gives its wall-clock time there.
    instants = column.cast(pa.timestamp("us", tz=kind.tz or "UTC"), safe=False)
    local = pc.local_timestamp(instants.cast(pa.timestamp("us", tz=timezone)))
    values = local.to_pylist()
    if not _within(local, EXCEL_FIRST_TIME, None):
        early = pc.less(local, pa.scalar(EXCEL_FIRST_TIME, pa.timestamp("us")))
        for position in _positions(early):
            values[position] = text_cell(sheet, values[position].isoformat(sep=" "))
            fixes.dates_as_text += 1
    return PreparedColumn(values, DATETIME_FORMAT)


def _date_column(column: pa.ChunkedArray, sheet: Any, fixes: FixCounts) -> PreparedColumn:
    values = column.to_pylist()
    days = column.cast(pa.date32())
    if not _within(days, EXCEL_FIRST_DAY, None):
        early = pc.less(days, pa.scalar(EXCEL_FIRST_DAY, pa.date32()))
        for position in _positions(early):
            values[position] = text_cell(sheet, values[position].isoformat())
            fixes.dates_as_text += 1
    return PreparedColumn(values, DATE_FORMAT)


# --- The data sheet ---------------------------------------------------------------------------


def _column_metas(table: pa.Table, context: RenderContext) -> list[ColumnMeta]:
    by_name = {meta.name: meta for meta in context.columns}
    return [by_name.get(name, ColumnMeta(name, name, "string")) for name in table.column_names]


def _write_data_sheet(
    sheet: Any,
    metas: Sequence[ColumnMeta],
    columns: Sequence[PreparedColumn],
    row_count: int,
    fixes: FixCounts,
) -> None:
    # A write-only sheet writes its views and column widths before the first row.
    for index, (meta, column) in enumerate(zip(metas, columns, strict=True), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _column_width(meta, column)
    sheet.freeze_panes = "A2"
    if metas and row_count:
        last = get_column_letter(len(metas))
        sheet.auto_filter.ref = f"A1:{last}{row_count + 1}"

    sheet.append(_header_cells(sheet, metas, fixes))
    if row_count == 0:
        sheet.append([text_cell(sheet, NO_DATA, ITALIC)])
        return
    _append_rows(sheet, columns)


def _header_cells(sheet: Any, metas: Sequence[ColumnMeta], fixes: FixCounts) -> list[Any]:
    """Return bold cells of the column labels (the info sheet maps labels to column names)."""
    labels = clean_texts([meta.label for meta in metas], fixes)
    return [text_cell(sheet, label, BOLD) for label in labels]


class FormattedCell(Cell):  # type: ignore[misc]
    """A cell with a fixed number format, reused for every value of one column.

    openpyxl looks a cell's style up in the workbook's style list (a hash of the style) each
    time it writes the cell. This cell looks it up once.
    """

    __slots__ = ("_fixed_style_id",)

    def __init__(self, sheet: Any, number_format: str) -> None:
        super().__init__(sheet, row=1, column=1)
        self.number_format = number_format  # type: ignore[misc]
        self._fixed_style_id = Cell.style_id.fget(self)

    @property
    def style_id(self) -> int:
        return self._fixed_style_id  # type: ignore[no-any-return]

    @property
    def has_style(self) -> bool:
        return True


def _create_sheet(workbook: Any, title: str, index: int | None = None) -> Any:
    """Return a new write-only sheet that turns appended rows into cells with `_row_cells`."""
    sheet = workbook.create_sheet(title, index)
    # NOTE: this replaces a private method of openpyxl's write-only sheet, for about a tenth of
    # a sheet's write time. Where an openpyxl version has no such method, openpyxl's own
    # conversion is used, with the same cells written.
    if callable(getattr(sheet, "_values_to_row", None)):
        sheet._values_to_row = _row_cells(sheet)
    return sheet


def _row_cells(sheet: Any) -> Callable[[Sequence[Any], int], Iterator[Any]]:
    """Return a function that turns one appended row into the cells openpyxl writes.

    It does what openpyxl 3.1's WriteOnlyWorksheet._values_to_row does, without raising and
    catching a ValueError for each value that is a cell, and without making a new cell after
    each formatted one.
    """

    def row_cells(values: Sequence[Any], row_index: int) -> Iterator[Any]:
        plain = Cell(sheet, row=1, column=1)
        for column_index, value in enumerate(values, 1):
            if value is None:
                continue
            if isinstance(value, Cell):
                cell = value
            else:
                plain.value = value
                cell = plain
            cell.column = column_index
            cell.row = row_index
            yield cell
            # A date or time value gives the plain cell a number format, which it would keep.
            if cell is plain and plain.has_style:
                plain = Cell(sheet, row=1, column=1)

    return row_cells


def _append_rows(sheet: Any, columns: Sequence[PreparedColumn]) -> None:
    # One formatted cell per column is reused for every row: append writes a row before it
    # returns, and a new cell per value would cost more than the value itself.
    formatted = [
        (index, FormattedCell(sheet, column.number_format))
        for index, column in enumerate(columns)
        if column.number_format is not None
    ]
    append = sheet.append
    rows = zip(*(column.values for column in columns), strict=True)
    if not formatted:
        for row in rows:
            append(row)
        return
    for row in rows:
        cells = list(row)
        for index, cell in formatted:
            value = cells[index]
            if value is not None and value.__class__ is not Cell:
                cell.value = value
                cells[index] = cell
        append(cells)


def _column_width(meta: ColumnMeta, column: PreparedColumn) -> float:
    widths = [len(meta.label)]
    for value in column.values[:WIDTH_SAMPLE_ROWS]:
        widths.append(_display_length(value))
    return float(min(max(MIN_COLUMN_WIDTH, max(widths) + 2), MAX_COLUMN_WIDTH))


def _display_length(value: Any) -> int:
    if isinstance(value, Cell):
        value = value.value
    if value is None:
        return 0
    if isinstance(value, datetime):
        return len(DATETIME_FORMAT)
    if isinstance(value, date):
        return len(DATE_FORMAT)
    if isinstance(value, bool):
        return len("FALSE")
    if isinstance(value, int | float | Decimal):
        # The thousands separators of #,##0 and a currency sign.
        return len(f"{value:,.2f}") + 1
    return max((len(line) for line in str(value).splitlines()), default=0)


# --- Charts -----------------------------------------------------------------------------------


def _chart_notes(context: RenderContext, table: pa.Table) -> list[str]:
    drawable = [hint for hint in context.chart_hints if hint.type in CHART_CLASSES]
    if not drawable:
        return []
    if table.num_rows == 0:
        return ["No charts: the result has no rows."]
    if table.num_rows > MAX_CHART_ROWS:
        return [
            f"No charts: the result has {table.num_rows:,} rows, and charts are drawn for "
            f"at most {MAX_CHART_ROWS:,}."
        ]
    return []


@dataclass
class ChartBlock:
    """Cells a chart draws from: a header row of series names, then one row per category."""

    sheet: Any
    header_row: int
    last_row: int
    category_column: int
    value_columns: list[int]
    text_categories: bool


class ChartData:
    """The chart-data sheet, made on first use, with one block per hint split by a series column."""

    def __init__(self, workbook: Any) -> None:
        self.workbook = workbook
        self.sheet: Any = None
        self.next_row = 1

    def add(self, header: list[str], rows: list[list[Any]], *, text_categories: bool) -> ChartBlock:
        if self.sheet is None:
            self.sheet = _create_sheet(self.workbook, CHART_DATA_SHEET)
        sheet, first = self.sheet, self.next_row
        sheet.append([text_cell(sheet, text, BOLD) for text in clean_texts(header, FixCounts())])
        for row in rows:
            sheet.append(
                [_text_value(sheet, value) if isinstance(value, str) else value for value in row]
            )
        sheet.append([])
        self.next_row = first + len(rows) + 2
        return ChartBlock(
            sheet, first, first + len(rows), 1, list(range(2, len(header) + 1)), text_categories
        )


def build_charts(
    context: RenderContext,
    table: pa.Table,
    columns: Sequence[PreparedColumn],
    data_sheet: Any,
    chart_data: ChartData,
    notes: list[str],
) -> list[Any]:
    """Build a native chart for each bar, line, area or pie hint; `kpi` and `table` hints get none.

    A chart draws from the data sheet's ranges. A hint with a series column draws one series per
    value of that column, from a pivoted block on the chart-data sheet. When several rows share
    one point, or the series would be more than MAX_CHART_SERIES, the chart draws one series per
    y column from the data sheet instead, and a note on the info sheet explains why.
    """
    if table.num_rows == 0 or table.num_rows > MAX_CHART_ROWS:
        return []
    positions = {name: index for index, name in enumerate(table.column_names, start=1)}
    values = {name: column.values for name, column in zip(table.column_names, columns, strict=True)}
    labels = {meta.name: meta.label for meta in context.columns}
    formats = {
        name: column.number_format for name, column in zip(table.column_names, columns, strict=True)
    }
    text_columns = {field.name for field in table.schema if not _is_numeric_or_time(field.type)}
    charts = []
    for hint in context.chart_hints:
        if hint.type not in CHART_CLASSES:
            continue
        missing = [
            name for name in (hint.x, *hint.y, hint.series) if name and name not in positions
        ]
        if missing:
            notes.append(
                f"No {hint.type} chart of {', '.join(hint.y)}: not in the result: "
                f"{', '.join(missing)}."
            )
            continue
        y_columns = hint.y[:1] if hint.type == "pie" else hint.y
        title = hint.title or (
            f"{', '.join(labels.get(y, y) for y in y_columns)} by {labels.get(hint.x, hint.x)}"
        )
        if hint.type == "pie" and len(hint.y) > 1:
            notes.append(f"Chart '{title}': a pie shows one value, so only {hint.y[0]} is drawn.")

        block = None
        if hint.series:
            pivoted = _pivot(hint.x, hint.series, y_columns, values, labels)
            if isinstance(pivoted, str):
                notes.append(f"Chart '{title}': one series per value column, because {pivoted}.")
            else:
                header, rows = pivoted
                block = chart_data.add(header, rows, text_categories=hint.x in text_columns)
        if block is None:
            block = ChartBlock(
                data_sheet,
                1,
                table.num_rows + 1,
                positions[hint.x],
                [positions[y] for y in y_columns],
                hint.x in text_columns,
            )
        chart = _chart(hint.type, block, title, labels.get(hint.x, hint.x))
        value_formats = {formats.get(y) for y in y_columns}
        if hint.type != "pie" and len(value_formats) == 1 and None not in value_formats:
            # The chart-data sheet's cells carry no format, so the axis gets the column's.
            chart.y_axis.number_format = value_formats.pop()
        charts.append(chart)
    return charts


def _is_numeric_or_time(kind: pa.DataType) -> bool:
    checks = (pat.is_integer, pat.is_floating, pat.is_decimal, pat.is_date, pat.is_timestamp)
    return any(check(kind) for check in checks)


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Cell) else value


def _pivot(
    x: str,
    series: str,
    y_columns: Sequence[str],
    values: dict[str, list[Any]],
    labels: dict[str, str],
) -> tuple[list[str], list[list[Any]]] | str:
    """Return a header and rows with one column per (y column, series value), or why not."""
    categories: dict[Any, None] = {}
    names: dict[str, None] = {}
    points: dict[tuple[Any, str], int] = {}
    for index, (category, name) in enumerate(zip(values[x], values[series], strict=True)):
        category = _plain(category)
        name = "(blank)" if _plain(name) is None else str(_plain(name))
        if (category, name) in points:
            return f"several rows share one {labels.get(x, x)} and {labels.get(series, series)}"
        points[category, name] = index
        categories.setdefault(category)
        names.setdefault(name)
    if len(names) * len(y_columns) > MAX_CHART_SERIES:
        return (
            f"{labels.get(series, series)} has {len(names)} values, more than the "
            f"{MAX_CHART_SERIES} series a chart shows"
        )

    header = [labels.get(x, x)]
    for y in y_columns:
        header += [name if len(y_columns) == 1 else f"{labels.get(y, y)}: {name}" for name in names]
    rows = []
    for category in categories:
        row = [category]
        for y in y_columns:
            for name in names:
                position = points.get((category, name))
                value = None if position is None else values[y][position]
                # Text cells (numbers kept as text) have no place on a value axis.
                row.append(None if isinstance(value, Cell) else value)
        rows.append(row)
    return header, rows


def _chart(kind: str, block: ChartBlock, title: str, x_label: str) -> Any:
    chart = CHART_CLASSES[kind]()
    chart.title = _clean_one(title)
    chart.width, chart.height = CHART_WIDTH_CM, CHART_HEIGHT_CM
    for column in block.value_columns:
        values = Reference(
            block.sheet, min_col=column, min_row=block.header_row, max_row=block.last_row
        )
        chart.add_data(values, titles_from_data=True)
    categories = Reference(
        block.sheet,
        min_col=block.category_column,
        min_row=block.header_row + 1,
        max_row=block.last_row,
    )
    if kind == "line":
        # LibreOffice 7.4 draws curves between the points of a series without <c:smooth val="0"/>.
        for series in chart.series:
            series.smooth = False
    if block.text_categories:
        # set_categories always writes a numeric reference; text labels need a string one.
        for series in chart.series:
            series.cat = AxDataSource(strRef=StrRef(f=str(categories)))
    else:
        chart.set_categories(categories)
    if kind != "pie":
        chart.x_axis.title = _clean_one(x_label)
        # openpyxl 3.1.5 writes no <c:delete> element by default, so the axes are marked shown.
        chart.x_axis.delete = False
        chart.y_axis.delete = False
    return chart


# --- The info sheet ---------------------------------------------------------------------------


def _local_text(value: datetime | None, zone: ZoneInfo) -> str:
    if value is None:
        return ""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(zone).isoformat()


def _write_info_sheet(
    sheet: Any,
    context: RenderContext,
    row_count: int,
    metas: Sequence[ColumnMeta],
    fixes: FixCounts,
    notes: list[str],
) -> None:
    """Write what the report is, the run, the fixes made to the data sheet, notes and columns.

    Text here is cleaned like data text but not counted, because the counts are of data-sheet
    cells.
    """
    zone = ZoneInfo(context.timezone)
    sheet.column_dimensions["A"].width = 44
    sheet.column_dimensions["B"].width = 60
    for letter in "CDE":
        sheet.column_dimensions[letter].width = 16

    truncated = (
        f"yes: cut to the report's limit of {row_count:,} rows" if context.truncated else "no"
    )
    notes = [
        f"Times are wall-clock times in {context.timezone}, written without an offset because "
        "Excel has no time zones.",
        *notes,
    ]
    if row_count == 0:
        notes.append(f"{NO_DATA}.")
    about: list[list[Any]] = [
        ["Report", context.report_title],
        ["Report id", context.report_id],
        ["Version", context.report_version],
        ["Description", context.description],
        ["Organisation id", context.organization_id],
        ["Run id", context.run_id],
        ["Period start", _local_text(context.period_start, zone)],
        ["Period end", _local_text(context.period_end, zone)],
        ["Period label", context.period_label or ""],
        ["Time zone", context.timezone],
        ["Generated at", _local_text(context.generated_at, ZoneInfo("UTC"))],
        ["Rows", row_count],
        ["Truncated", truncated],
    ]
    counts = [[FIX_LABELS[fix.name], getattr(fixes, fix.name)] for fix in fields(FixCounts)]
    columns = [[m.name, m.label, m.type, m.unit or "", m.format or ""] for m in metas]
    # Each section: its bold heading row (None for none) and its rows.
    sections: list[tuple[list[str] | None, list[list[Any]]]] = [
        (None, about),
        (["Fixes", "Data sheet cells"], counts),
        (["Notes"], [[note] for note in notes]),
        (["Column", "Label", "Type", "Unit", "Format"], columns),
    ]

    texts = [
        value for _, rows in sections for row in rows for value in row if isinstance(value, str)
    ]
    cleaned = iter(clean_texts(texts, FixCounts()))
    for heading, rows in sections:
        if heading is not None:
            sheet.append([])
            sheet.append([text_cell(sheet, text, BOLD) for text in heading])
        for row in rows:
            sheet.append(
                [_text_value(sheet, next(cleaned)) if isinstance(v, str) else v for v in row]
            )
