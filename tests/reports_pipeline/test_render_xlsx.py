"""Tests for the XLSX renderer: each workbook is read back with openpyxl, and the sheet XML inside
the zip is checked where openpyxl's reading would hide a difference."""

from __future__ import annotations

import re
import zipfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl  # type: ignore[import-untyped]
import pyarrow as pa
import pytest
from openpyxl.chart import BarChart, LineChart  # type: ignore[import-untyped]

from reports_pipeline.render import AVAILABLE_FORMATS, renderer_for
from reports_pipeline.render.context import ChartSpec, ColumnMeta, RenderContext
from reports_pipeline.render.xlsx import (
    FIX_LABELS,
    MAX_CELL_TEXT,
    MAX_COLUMN_WIDTH,
    NO_DATA,
    FixCounts,
    clean_text,
    clean_texts,
    render_xlsx,
)

GENERATED_AT = datetime(2027, 2, 1, 6, 0, tzinfo=UTC)
TITLE = "Render probe"

# (stored text, cell value read back). Text is kept as written, whatever a spreadsheet would
# otherwise make of it; only XML control characters are removed.
TEXT_CASES = [
    ("=1+2", "=1+2"),
    ('=HYPERLINK("http://127.0.0.1/x","click")', '=HYPERLINK("http://127.0.0.1/x","click")'),
    ("+SUM(A1:A9)", "+SUM(A1:A9)"),
    ("-2+3", "-2+3"),
    ("@cmd", "@cmd"),
    ("#N/A", "#N/A"),
    ("007", "007"),
    ("12345678901234567890", "12345678901234567890"),
    ("🚀 launch 👩🏽‍💻", "🚀 launch 👩🏽‍💻"),
    ("שלום עולם", "שלום עולם"),
    ("مرحبا بالعالم", "مرحبا بالعالم"),
    ("\u202egnp.exe", "\u202egnp.exe"),
    ("a\x00b\x1fc\x0bd", "abcd"),
    ("bell\x07 and \ufffe", "bell and "),
    ("tab\tand\nnewline", "tab\tand\nnewline"),
    ("a=b", "a=b"),
]
TEXTS = [text for text, _ in TEXT_CASES]
FORMULA_LIKE = sum(text[:1] in "=+-@" for text in TEXTS)
WITH_CONTROL_CHARACTERS = 2

TEXT_TABLE = pa.table(
    {
        "label": pa.array([*TEXTS, None], pa.string()),
        # A row with no value at all has no cells in the sheet, so the NULL label row has one.
        "delta": pa.array([-(index + 1) for index in range(len(TEXTS))] + [0], pa.int64()),
    }
)

JAN = datetime(2027, 1, 15, 2, 30, tzinfo=UTC)
JUL = datetime(2027, 7, 15, 2, 30, tzinfo=UTC)
# 30 digits each, more than the 15 that Excel keeps.
BIG_DECIMAL = Decimal("1234567890123456789012345678.90")
NEGATIVE_BIG_DECIMAL = Decimal("-1234567890123456789012345678.91")
INSTANTS = [JAN, JUL, JAN + timedelta(seconds=1), None, JAN]

MIXED_TABLE = pa.table(
    {
        "count": pa.array([-5, 2**63 - 1, -(2**63), 2**53 + 1, None], pa.int64()),
        "exact": pa.array([10**15 - 1, -(10**15) + 1, 0, 2**31, None], pa.int64()),
        "ratio": pa.array([-1.5, float("nan"), float("inf"), float("-inf"), None], pa.float64()),
        "amount": pa.array(
            [
                BIG_DECIMAL,
                NEGATIVE_BIG_DECIMAL,
                Decimal("0.01"),
                Decimal("100000000000000000.00"),
                None,
            ],
            pa.decimal128(38, 2),
        ),
        "at_utc": pa.array(INSTANTS, pa.timestamp("us", tz="UTC")),
        "at_tokyo": pa.array(INSTANTS, pa.timestamp("us", tz="Asia/Tokyo")),
        "at_los_angeles": pa.array(INSTANTS, pa.timestamp("us", tz="America/Los_Angeles")),
        "at_naive": pa.array([i and i.replace(tzinfo=None) for i in INSTANTS], pa.timestamp("us")),
        "day": pa.array(
            [date(2027, 1, 1), date(2024, 2, 29), None, date(1970, 1, 1), date(1899, 12, 31)]
        ),
        "flag": pa.array([True, False, None, True, False]),
    }
)
TIMESTAMP_COLUMNS = ["at_utc", "at_tokyo", "at_los_angeles", "at_naive"]
# Cells of MIXED_TABLE that become text: three integers and two decimals over 15 digits.
NUMBERS_AS_TEXT = 5
NON_FINITE = 3

# INSTANTS[:3] as naive wall-clock times in each report zone.
LOCAL_TIMES = {
    "UTC": [
        datetime(2027, 1, 15, 2, 30),
        datetime(2027, 7, 15, 2, 30),
        datetime(2027, 1, 15, 2, 30, 1),
    ],
    "America/New_York": [
        datetime(2027, 1, 14, 21, 30),
        datetime(2027, 7, 14, 22, 30),
        datetime(2027, 1, 14, 21, 30, 1),
    ],
    "Asia/Kolkata": [
        datetime(2027, 1, 15, 8, 0),
        datetime(2027, 7, 15, 8, 0),
        datetime(2027, 1, 15, 8, 0, 1),
    ],
}

FORMATTED_TABLE = pa.table(
    {
        "region": ["amer", "emea", "apac"],
        "requests": pa.array([1_234_567, 0, 42], pa.int64()),
        "latency_ms": [12.345, 0.5, 1_000.0],
        "cost_usd": pa.array([Decimal("1234.50"), Decimal("0"), None], pa.decimal128(18, 2)),
        "coverage_pct": [45.5, 100.0, 0.0],
        "odd": [1.0, 2.0, 3.0],
    }
)
FORMATTED_COLUMNS = (
    ColumnMeta("region", "Region", "string"),
    ColumnMeta("requests", "Requests", "integer", "count", "#,##0"),
    ColumnMeta("latency_ms", "Latency", "number", "ms", "0.00"),
    ColumnMeta("cost_usd", "Cost", "number", "usd", "$#,##0"),
    ColumnMeta("coverage_pct", "Coverage", "number", "percent", "0.0%"),
    ColumnMeta("odd", "Odd", "number", None, '0;"=cmd"'),
)

BAR = ChartSpec("bar", "region", ("requests", "latency_ms"), title="Requests by region")
LINE = ChartSpec("line", "region", ("coverage_pct",))
KPI = ChartSpec("kpi", "region", ("requests",))
TABLE_HINT = ChartSpec("table", "region", ("requests", "cost_usd"))


def context(
    table: pa.Table,
    *,
    timezone: str = "UTC",
    truncated: bool = False,
    title: str = TITLE,
    columns: tuple[ColumnMeta, ...] | None = None,
    chart_hints: tuple[ChartSpec, ...] = (),
) -> RenderContext:
    return RenderContext(
        run_id="rrun_01HZX3K5Q8V2N4M6P7R9T1W3Y5",
        organization_id="org_01HZX3K5Q8V2N4M6P7R9T1W3Y5",
        report_id="ciso.render_probe",
        report_title=title,
        report_version=3,
        columns=columns
        if columns is not None
        else tuple(ColumnMeta(name, name, "string") for name in table.column_names),
        timezone=timezone,
        period_start=datetime(2027, 1, 1, tzinfo=UTC),
        period_end=datetime(2027, 1, 31, 23, 59, 59, 999999, tzinfo=UTC),
        period_label="2027-01-01 to 2027-01-31",
        truncated=truncated,
        generated_at=GENERATED_AT,
        chart_hints=chart_hints,
        description="Alerts by severity, for the render tests.",
    )


def render(table: pa.Table, tmp_path: Path, **options: Any) -> Path:
    path = tmp_path / "report.xlsx"
    render_xlsx(table, context(table, **options), path)
    return path


def data_sheet(path: Path) -> Any:
    return openpyxl.load_workbook(path).worksheets[0]


def column_cells(path: Path, name: str) -> list[Any]:
    """Return the data cells of the column whose header is `name`."""
    sheet = data_sheet(path)
    header = [cell.value for cell in sheet[1]]
    index = header.index(name)
    return [row[index] for row in sheet.iter_rows(min_row=2)]


def column_values(path: Path, name: str) -> list[Any]:
    return [cell.value for cell in column_cells(path, name)]


def info(path: Path) -> dict[str, Any]:
    """Return the info sheet's first two columns as a mapping of label to value."""
    sheet = openpyxl.load_workbook(path)["Info"]
    return {row[0]: row[1] for row in sheet.iter_rows(max_col=2, values_only=True) if row[0]}


def notes(path: Path) -> list[str]:
    sheet = openpyxl.load_workbook(path)["Info"]
    values = [row[0] for row in sheet.iter_rows(max_col=1, values_only=True)]
    start = values.index("Notes") + 1
    end = values.index(None, start)
    return values[start:end]


def zip_text(path: Path, member: str) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(member).decode("utf-8")


def chart_members(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return [name for name in archive.namelist() if name.startswith("xl/charts/")]


# --- Registry ---------------------------------------------------------------------------------


def test_xlsx_registered() -> None:
    assert renderer_for("xlsx") is render_xlsx


def test_xlsx_available() -> None:
    assert "xlsx" in AVAILABLE_FORMATS


# --- Text -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("index", "expected"), list(enumerate(cell for _, cell in TEXT_CASES)))
def test_xlsx_text_cell(tmp_path: Path, index: int, expected: str) -> None:
    assert column_values(render(TEXT_TABLE, tmp_path), "label")[index] == expected


@pytest.mark.parametrize("index", range(len(TEXTS)))
def test_xlsx_text_string_type(tmp_path: Path, index: int) -> None:
    assert column_cells(render(TEXT_TABLE, tmp_path), "label")[index].data_type == "s"


def test_xlsx_no_formula_in_xml(tmp_path: Path) -> None:
    xml = zip_text(render(TEXT_TABLE, tmp_path), "xl/worksheets/sheet1.xml")

    assert "<f>" not in xml


@pytest.mark.parametrize("text", ["=1+2", "+SUM(A1:A9)", "-2+3", "@cmd", "#N/A"])
def test_xlsx_formula_text_inline_string(tmp_path: Path, text: str) -> None:
    xml = zip_text(render(TEXT_TABLE, tmp_path), "xl/worksheets/sheet1.xml")

    assert f'inlineStr"><is><t>{text}</t></is>' in xml


@pytest.mark.parametrize("text", ["=1+2", "#N/A", "007", "12345678901234567890"])
def test_xlsx_text_format(tmp_path: Path, text: str) -> None:
    cells = column_cells(render(TEXT_TABLE, tmp_path), "label")

    assert cells[TEXTS.index(text)].number_format == "@"


def test_xlsx_null_text_empty(tmp_path: Path) -> None:
    assert column_values(render(TEXT_TABLE, tmp_path), "label")[-1] is None


def test_xlsx_negative_numbers_kept(tmp_path: Path) -> None:
    expected = [-(index + 1) for index in range(len(TEXTS))] + [0]

    assert column_values(render(TEXT_TABLE, tmp_path), "delta") == expected


def test_xlsx_long_text_cut(tmp_path: Path) -> None:
    table = pa.table({"label": ["x" * 40_000]})

    assert len(column_values(render(table, tmp_path), "label")[0]) == MAX_CELL_TEXT


def test_xlsx_long_text_marked(tmp_path: Path) -> None:
    table = pa.table({"label": ["x" * 40_000]})

    assert column_values(render(table, tmp_path), "label")[0].endswith("x…")


def test_xlsx_long_text_counted(tmp_path: Path) -> None:
    table = pa.table({"label": ["x" * 40_000, "y" * MAX_CELL_TEXT, "short"]})

    assert info(render(table, tmp_path))[FIX_LABELS["truncated_text"]] == 1


def test_xlsx_long_text_at_limit_kept(tmp_path: Path) -> None:
    table = pa.table({"label": ["y" * MAX_CELL_TEXT]})

    assert column_values(render(table, tmp_path), "label")[0] == "y" * MAX_CELL_TEXT


def test_xlsx_long_emoji_text_fits(tmp_path: Path) -> None:
    # 20,000 emoji are 40,000 UTF-16 code units, the unit of Excel's limit.
    table = pa.table({"label": ["🚀" * 20_000]})

    value = column_values(render(table, tmp_path), "label")[0]
    assert len(value.encode("utf-16-le")) // 2 <= MAX_CELL_TEXT


def test_xlsx_long_emoji_text_whole(tmp_path: Path) -> None:
    table = pa.table({"label": ["🚀" * 20_000]})

    value = column_values(render(table, tmp_path), "label")[0]
    assert set(value) == {"🚀", "…"}


def test_xlsx_control_characters_counted(tmp_path: Path) -> None:
    counts = info(render(TEXT_TABLE, tmp_path))

    assert counts[FIX_LABELS["control_characters"]] == WITH_CONTROL_CHARACTERS


def test_xlsx_formula_like_counted(tmp_path: Path) -> None:
    assert info(render(TEXT_TABLE, tmp_path))[FIX_LABELS["formula_like_text"]] == FORMULA_LIKE


def test_xlsx_excel_escape_kept(tmp_path: Path) -> None:
    # Excel shows _x0041_ as "A"; its own escape _x005F_ keeps the underscore.
    table = pa.table({"label": ["_x0041_"]})

    xml = zip_text(render(table, tmp_path), "xl/worksheets/sheet1.xml")
    assert "<t>_x005F_x0041_</t>" in xml


def test_xlsx_large_string_checked(tmp_path: Path) -> None:
    table = pa.table({"label": pa.array(["=1+2"], pa.large_string())})

    assert column_cells(render(table, tmp_path), "label")[0].data_type == "s"


def test_xlsx_dictionary_checked(tmp_path: Path) -> None:
    table = pa.table({"label": pa.array(["=1+2", "ok\x00"]).dictionary_encode()})

    assert column_values(render(table, tmp_path), "label") == ["=1+2", "ok"]


def test_xlsx_clean_dictionary_decoded(tmp_path: Path) -> None:
    table = pa.table({"team": pa.array(["ops", None, "sec", "ops"]).dictionary_encode()})

    assert column_values(render(table, tmp_path), "team") == ["ops", None, "sec", "ops"]


def test_xlsx_digit_identifier_in_dictionary(tmp_path: Path) -> None:
    table = pa.table({"account": pa.array(["0042", "7"]).dictionary_encode()})
    cells = column_cells(render(table, tmp_path), "account")

    assert [cell.value for cell in cells] == ["0042", "7"]
    assert cells[0].number_format == "@"


# Strings for the two text cleaners: the Arrow one for columns, the Python one for titles,
# labels and the info sheet.
CLEANER_TEXTS = [
    *(f"a{chr(code)}b" for code in range(0x20)),
    "\ufffe",
    "\uffff",
    "_x0041_ and _X00ff_",
    "y" * 40_000,
    "🚀" * 20_000,
    "plain",
]


def test_xlsx_cleaners_agree() -> None:
    from_column = clean_text(pa.array(CLEANER_TEXTS), FixCounts()).to_pylist()

    assert clean_texts(CLEANER_TEXTS, FixCounts()) == from_column


def test_xlsx_cleaners_count_alike() -> None:
    column_fixes, text_fixes = FixCounts(), FixCounts()
    clean_text(pa.array(CLEANER_TEXTS), column_fixes)
    clean_texts(CLEANER_TEXTS, text_fixes)

    assert text_fixes == column_fixes


# --- Numbers ----------------------------------------------------------------------------------


def test_xlsx_non_finite_empty(tmp_path: Path) -> None:
    assert column_values(render(MIXED_TABLE, tmp_path), "ratio") == [-1.5, None, None, None, None]


def test_xlsx_non_finite_counted(tmp_path: Path) -> None:
    assert info(render(MIXED_TABLE, tmp_path))[FIX_LABELS["non_finite"]] == NON_FINITE


def test_xlsx_big_integers_text(tmp_path: Path) -> None:
    values = column_values(render(MIXED_TABLE, tmp_path), "count")

    assert values == [-5, str(2**63 - 1), str(-(2**63)), str(2**53 + 1), None]


def test_xlsx_fifteen_digit_integers_numbers(tmp_path: Path) -> None:
    values = column_values(render(MIXED_TABLE, tmp_path), "exact")

    assert values == [10**15 - 1, -(10**15) + 1, 0, 2**31, None]


def test_xlsx_big_integer_text_type(tmp_path: Path) -> None:
    assert column_cells(render(MIXED_TABLE, tmp_path), "count")[1].data_type == "s"


def test_xlsx_decimals(tmp_path: Path) -> None:
    values = column_values(render(MIXED_TABLE, tmp_path), "amount")

    assert values == [str(BIG_DECIMAL), str(NEGATIVE_BIG_DECIMAL), 0.01, 1e17, None]


def test_xlsx_numbers_as_text_counted(tmp_path: Path) -> None:
    counts = info(render(MIXED_TABLE, tmp_path))

    assert counts[FIX_LABELS["numbers_as_text"]] == NUMBERS_AS_TEXT


def test_xlsx_unsigned_big_integer_text(tmp_path: Path) -> None:
    table = pa.table({"count": pa.array([2**64 - 1, 5], pa.uint64())})

    assert column_values(render(table, tmp_path), "count") == [str(2**64 - 1), 5]


def test_xlsx_small_scale_decimal_text(tmp_path: Path) -> None:
    # 20 fraction digits are more than Excel keeps, however small the value.
    values = [Decimal("0.12345678901234567890"), Decimal("1.50000000000000000000")]
    table = pa.table({"share": pa.array(values, pa.decimal128(38, 20))})

    assert column_values(render(table, tmp_path), "share") == ["0.12345678901234567890", 1.5]


def test_xlsx_booleans(tmp_path: Path) -> None:
    values = column_values(render(MIXED_TABLE, tmp_path), "flag")

    assert values == [True, False, None, True, False]


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Requests", "#,##0"),
        ("Latency", "0.00"),
        ("Cost", "$#,##0"),
        ("Coverage", "0.0"),
        ("Odd", "General"),
    ],
)
def test_xlsx_number_format(tmp_path: Path, label: str, expected: str) -> None:
    path = render(FORMATTED_TABLE, tmp_path, columns=FORMATTED_COLUMNS)

    assert column_cells(path, label)[0].number_format == expected


def test_xlsx_percent_values_kept(tmp_path: Path) -> None:
    path = render(FORMATTED_TABLE, tmp_path, columns=FORMATTED_COLUMNS)

    assert column_values(path, "Coverage") == [45.5, 100.0, 0.0]


def test_xlsx_formatted_values(tmp_path: Path) -> None:
    path = render(FORMATTED_TABLE, tmp_path, columns=FORMATTED_COLUMNS)

    assert column_values(path, "Requests") == [1_234_567, 0, 42]


def test_xlsx_formatted_decimal_null(tmp_path: Path) -> None:
    path = render(FORMATTED_TABLE, tmp_path, columns=FORMATTED_COLUMNS)

    assert column_values(path, "Cost") == [1234.5, 0, None]


# --- Dates and times --------------------------------------------------------------------------


@pytest.mark.parametrize("zone", list(LOCAL_TIMES))
@pytest.mark.parametrize("column", TIMESTAMP_COLUMNS)
def test_xlsx_timestamps_in_zone(tmp_path: Path, zone: str, column: str) -> None:
    values = column_values(render(MIXED_TABLE, tmp_path, timezone=zone), column)

    assert values[:4] == [*LOCAL_TIMES[zone], None]


def test_xlsx_timestamps_naive(tmp_path: Path) -> None:
    values = column_values(render(MIXED_TABLE, tmp_path, timezone="Asia/Kolkata"), "at_utc")

    assert {value.tzinfo for value in values if value is not None} == {None}


def test_xlsx_timestamp_format(tmp_path: Path) -> None:
    cell = column_cells(render(MIXED_TABLE, tmp_path), "at_utc")[0]

    assert cell.number_format == "yyyy-mm-dd hh:mm:ss"


def test_xlsx_timestamp_cell_numeric(tmp_path: Path) -> None:
    cell = column_cells(render(MIXED_TABLE, tmp_path), "at_utc")[0]

    assert cell.is_date


def test_xlsx_dates(tmp_path: Path) -> None:
    values = column_values(render(MIXED_TABLE, tmp_path), "day")

    assert values[:4] == [datetime(2027, 1, 1), datetime(2024, 2, 29), None, datetime(1970, 1, 1)]


def test_xlsx_date_format(tmp_path: Path) -> None:
    assert column_cells(render(MIXED_TABLE, tmp_path), "day")[0].number_format == "yyyy-mm-dd"


def test_xlsx_early_date_text(tmp_path: Path) -> None:
    assert column_values(render(MIXED_TABLE, tmp_path), "day")[4] == "1899-12-31"


def test_xlsx_early_date_counted(tmp_path: Path) -> None:
    assert info(render(MIXED_TABLE, tmp_path))[FIX_LABELS["dates_as_text"]] == 1


def test_xlsx_early_timestamp_text(tmp_path: Path) -> None:
    early = datetime(1899, 12, 31, 23, 0, tzinfo=UTC)
    table = pa.table({"at": pa.array([early], pa.timestamp("us", tz="UTC"))})

    assert column_values(render(table, tmp_path), "at") == ["1899-12-31 23:00:00"]


def test_xlsx_nanosecond_timestamps(tmp_path: Path) -> None:
    table = pa.table({"at": pa.array([JAN], pa.timestamp("ns", tz="UTC"))})

    assert column_values(render(table, tmp_path, timezone="Asia/Kolkata"), "at") == [
        datetime(2027, 1, 15, 8, 0)
    ]


def test_xlsx_time_zone_note(tmp_path: Path) -> None:
    path = render(MIXED_TABLE, tmp_path, timezone="America/New_York")

    assert "Excel has no time zones" in notes(path)[0]


# --- Empty result -----------------------------------------------------------------------------


def test_xlsx_empty_message(tmp_path: Path) -> None:
    assert data_sheet(render(MIXED_TABLE.slice(0, 0), tmp_path))["A2"].value == NO_DATA


def test_xlsx_empty_header(tmp_path: Path) -> None:
    sheet = data_sheet(render(MIXED_TABLE.slice(0, 0), tmp_path))

    assert [cell.value for cell in sheet[1]] == MIXED_TABLE.column_names


def test_xlsx_empty_row_count(tmp_path: Path) -> None:
    assert info(render(MIXED_TABLE.slice(0, 0), tmp_path))["Rows"] == 0


def test_xlsx_empty_no_chart(tmp_path: Path) -> None:
    table = FORMATTED_TABLE.slice(0, 0)
    path = render(table, tmp_path, columns=FORMATTED_COLUMNS, chart_hints=(BAR,))

    assert chart_members(path) == []


def test_xlsx_empty_chart_note(tmp_path: Path) -> None:
    table = FORMATTED_TABLE.slice(0, 0)
    path = render(table, tmp_path, columns=FORMATTED_COLUMNS, chart_hints=(BAR,))

    assert "No charts: the result has no rows." in notes(path)


def test_xlsx_no_columns(tmp_path: Path) -> None:
    assert data_sheet(render(pa.table({}), tmp_path))["A2"].value == NO_DATA


# --- Layout -----------------------------------------------------------------------------------


def test_xlsx_header_labels(tmp_path: Path) -> None:
    sheet = data_sheet(render(FORMATTED_TABLE, tmp_path, columns=FORMATTED_COLUMNS))

    assert [cell.value for cell in sheet[1]] == [meta.label for meta in FORMATTED_COLUMNS]


def test_xlsx_header_bold(tmp_path: Path) -> None:
    sheet = data_sheet(render(FORMATTED_TABLE, tmp_path, columns=FORMATTED_COLUMNS))

    assert all(cell.font.b for cell in sheet[1])


def test_xlsx_frozen_header(tmp_path: Path) -> None:
    assert data_sheet(render(MIXED_TABLE, tmp_path)).freeze_panes == "A2"


def test_xlsx_autofilter(tmp_path: Path) -> None:
    assert data_sheet(render(MIXED_TABLE, tmp_path)).auto_filter.ref == "A1:J6"


def test_xlsx_column_width_capped(tmp_path: Path) -> None:
    table = pa.table({"label": ["x" * 500]})

    assert data_sheet(render(table, tmp_path)).column_dimensions["A"].width == MAX_COLUMN_WIDTH


def test_xlsx_column_width_fits_header(tmp_path: Path) -> None:
    columns = (ColumnMeta("flag", "A rather long column label", "boolean"),)
    table = pa.table({"flag": [True]})

    width = data_sheet(render(table, tmp_path, columns=columns)).column_dimensions["A"].width
    assert width >= len(columns[0].label)


# --- Sheet names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (TITLE, TITLE),
        ("Alerts: [by] region? */\\", "Alerts by region"),
        ("'quoted'", "quoted"),
        ("x" * 40, "x" * 30 + "…"),
        ("Top 15 MCP tools by security alerts", "Top 15 MCP tools by security…"),
        ("🚀" * 20, "🚀" * 15 + "…"),
        ("   ", "Report"),
        ("History", "Report"),
        ("info", "info (2)"),
        ("Charts", "Charts (2)"),
        ("=cmd|' /C calc'!A0", "=cmd|' C calc'!A0"),
        ("line\nbreak\x00", "line break"),
    ],
)
def test_xlsx_sheet_name(tmp_path: Path, title: str, expected: str) -> None:
    assert data_sheet(render(MIXED_TABLE, tmp_path, title=title)).title == expected


def test_xlsx_sheet_name_counted(tmp_path: Path) -> None:
    path = render(MIXED_TABLE, tmp_path, title="Alerts: by region")

    assert info(path)[FIX_LABELS["sheet_names"]] == 1


def test_xlsx_sheet_name_kept_not_counted(tmp_path: Path) -> None:
    assert info(render(MIXED_TABLE, tmp_path))[FIX_LABELS["sheet_names"]] == 0


def test_xlsx_hostile_title_info_text(tmp_path: Path) -> None:
    title = "=cmd|' /C calc'!A0"

    assert info(render(MIXED_TABLE, tmp_path, title=title))["Report"] == title


def test_xlsx_hostile_title_no_formula(tmp_path: Path) -> None:
    path = render(MIXED_TABLE, tmp_path, title="=cmd|' /C calc'!A0")

    # Without charts the info sheet is the second sheet.
    assert "<f>" not in zip_text(path, "xl/worksheets/sheet2.xml")


# --- Charts -----------------------------------------------------------------------------------


def chart_workbook(tmp_path: Path, *hints: ChartSpec) -> Path:
    return render(FORMATTED_TABLE, tmp_path, columns=FORMATTED_COLUMNS, chart_hints=hints)


def test_xlsx_bar_chart(tmp_path: Path) -> None:
    sheet = openpyxl.load_workbook(chart_workbook(tmp_path, BAR))["Charts"]

    assert [type(chart) for chart in sheet._charts] == [BarChart]


def test_xlsx_line_chart(tmp_path: Path) -> None:
    sheet = openpyxl.load_workbook(chart_workbook(tmp_path, LINE))["Charts"]

    assert [type(chart) for chart in sheet._charts] == [LineChart]


def test_xlsx_chart_per_hint(tmp_path: Path) -> None:
    path = chart_workbook(tmp_path, BAR, KPI, LINE, TABLE_HINT)

    assert len(chart_members(path)) == 2


@pytest.mark.parametrize("hint", [KPI, TABLE_HINT])
def test_xlsx_no_chart_for_hint(tmp_path: Path, hint: ChartSpec) -> None:
    assert chart_members(chart_workbook(tmp_path, hint)) == []


def test_xlsx_no_chart_sheet_for_kpi(tmp_path: Path) -> None:
    assert openpyxl.load_workbook(chart_workbook(tmp_path, KPI)).sheetnames == [TITLE, "Info"]


def test_xlsx_chart_values_reference(tmp_path: Path) -> None:
    xml = zip_text(chart_workbook(tmp_path, BAR), "xl/charts/chart1.xml")

    assert f"'{TITLE}'!$B$2:$B$4" in xml


def test_xlsx_chart_second_series(tmp_path: Path) -> None:
    xml = zip_text(chart_workbook(tmp_path, BAR), "xl/charts/chart1.xml")

    assert f"'{TITLE}'!$C$2:$C$4" in xml


def test_xlsx_chart_text_categories(tmp_path: Path) -> None:
    xml = zip_text(chart_workbook(tmp_path, BAR), "xl/charts/chart1.xml")

    assert f"<cat><strRef><f>'{TITLE}'!$A$2:$A$4</f></strRef></cat>" in xml


def test_xlsx_chart_axes_shown(tmp_path: Path) -> None:
    xml = zip_text(chart_workbook(tmp_path, BAR), "xl/charts/chart1.xml")

    assert len(re.findall(r'<delete val="0" ?/>', xml)) == 2


def test_xlsx_chart_title(tmp_path: Path) -> None:
    xml = zip_text(chart_workbook(tmp_path, BAR), "xl/charts/chart1.xml")

    assert "<a:t>Requests by region</a:t>" in xml


SERIES_TABLE = pa.table(
    {
        "day": [date(2027, 1, day) for day in (1, 1, 2, 2, 3)],
        "region": ["amer", "emea", "amer", "emea", "=1+2"],
        "alerts": pa.array([1, 2, 3, 4, 5], pa.int64()),
    }
)
SERIES_COLUMNS = (
    ColumnMeta("day", "Day", "date"),
    ColumnMeta("region", "Region", "string"),
    ColumnMeta("alerts", "Alerts", "integer", "count", "#,##0"),
)
SERIES_LINE = ChartSpec("line", "day", ("alerts",), series="region")


def series_workbook(tmp_path: Path, table: pa.Table = SERIES_TABLE) -> Path:
    hints = (SERIES_LINE,)
    return render(table, tmp_path, columns=SERIES_COLUMNS, chart_hints=hints)


def test_xlsx_series_chart_data(tmp_path: Path) -> None:
    sheet = openpyxl.load_workbook(series_workbook(tmp_path))["Chart data"]

    assert list(sheet.iter_rows(values_only=True)) == [
        ("Day", "amer", "emea", "=1+2"),
        (datetime(2027, 1, 1), 1, 2, None),
        (datetime(2027, 1, 2), 3, 4, None),
        (datetime(2027, 1, 3), None, None, 5),
    ]


def test_xlsx_series_chart_one_series_per_value(tmp_path: Path) -> None:
    xml = zip_text(series_workbook(tmp_path), "xl/charts/chart1.xml")

    assert xml.count("<ser>") == 3


def test_xlsx_series_chart_reference(tmp_path: Path) -> None:
    xml = zip_text(series_workbook(tmp_path), "xl/charts/chart1.xml")

    assert "'Chart data'!$D$2:$D$4" in xml


def test_xlsx_series_name_not_formula(tmp_path: Path) -> None:
    xml = zip_text(series_workbook(tmp_path), "xl/worksheets/sheet3.xml")

    assert "<f>" not in xml


def test_xlsx_sheet_order_with_series(tmp_path: Path) -> None:
    workbook = openpyxl.load_workbook(series_workbook(tmp_path))

    assert workbook.sheetnames == [TITLE, "Charts", "Chart data", "Info"]


def test_xlsx_series_axis_format(tmp_path: Path) -> None:
    xml = zip_text(series_workbook(tmp_path), "xl/charts/chart1.xml")

    assert re.search(r'<numFmt formatCode="#,##0" sourceLinked="0" ?/>', xml)


def test_xlsx_line_not_smoothed(tmp_path: Path) -> None:
    xml = zip_text(series_workbook(tmp_path), "xl/charts/chart1.xml")

    assert len(re.findall(r'<smooth val="0" ?/>', xml)) == xml.count("<ser>")


def test_xlsx_series_repeated_point_note(tmp_path: Path) -> None:
    table = pa.concat_tables([SERIES_TABLE, SERIES_TABLE.slice(0, 1)])

    assert any(
        "several rows share one Day and Region" in note
        for note in notes(series_workbook(tmp_path, table))
    )


def test_xlsx_series_repeated_point_fallback(tmp_path: Path) -> None:
    table = pa.concat_tables([SERIES_TABLE, SERIES_TABLE.slice(0, 1)])

    xml = zip_text(series_workbook(tmp_path, table), "xl/charts/chart1.xml")
    assert f"'{TITLE}'!$C$2:$C$7" in xml


def test_xlsx_series_too_many_note(tmp_path: Path) -> None:
    table = pa.table(
        {
            "day": [date(2027, 1, 1)] * 13,
            "region": [f"region {index}" for index in range(13)],
            "alerts": pa.array(range(13), pa.int64()),
        }
    )

    assert any("Region has 13 values" in note for note in notes(series_workbook(tmp_path, table)))


def test_xlsx_chart_missing_column_note(tmp_path: Path) -> None:
    path = chart_workbook(tmp_path, ChartSpec("bar", "region", ("missing",)))

    assert any("not in the result: missing" in note for note in notes(path))


# --- Info sheet -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Report", TITLE),
        ("Report id", "ciso.render_probe"),
        ("Version", 3),
        ("Description", "Alerts by severity, for the render tests."),
        ("Organisation id", "org_01HZX3K5Q8V2N4M6P7R9T1W3Y5"),
        ("Run id", "rrun_01HZX3K5Q8V2N4M6P7R9T1W3Y5"),
        ("Period start", "2027-01-01T05:30:00+05:30"),
        ("Period end", "2027-02-01T05:29:59.999999+05:30"),
        ("Period label", "2027-01-01 to 2027-01-31"),
        ("Time zone", "Asia/Kolkata"),
        ("Generated at", "2027-02-01T06:00:00+00:00"),
        ("Rows", 5),
        ("Truncated", "no"),
    ],
)
def test_xlsx_info_field(tmp_path: Path, label: str, expected: Any) -> None:
    assert info(render(MIXED_TABLE, tmp_path, timezone="Asia/Kolkata"))[label] == expected


def test_xlsx_info_truncated(tmp_path: Path) -> None:
    path = render(MIXED_TABLE, tmp_path, truncated=True)

    assert info(path)["Truncated"] == "yes: cut to the report's limit of 5 rows"


def test_xlsx_info_counts(tmp_path: Path) -> None:
    counts = info(render(MIXED_TABLE, tmp_path, title="a/b"))

    assert {key: counts[label] for key, label in FIX_LABELS.items()} == {
        "non_finite": NON_FINITE,
        "numbers_as_text": NUMBERS_AS_TEXT,
        "dates_as_text": 1,
        "control_characters": 0,
        "truncated_text": 0,
        "formula_like_text": 0,
        "sheet_names": 1,
    }


def test_xlsx_info_column_names(tmp_path: Path) -> None:
    sheet = openpyxl.load_workbook(render(FORMATTED_TABLE, tmp_path, columns=FORMATTED_COLUMNS))[
        "Info"
    ]

    rows = [row for row in sheet.iter_rows(values_only=True) if row[0] == "cost_usd"]
    assert rows == [("cost_usd", "Cost", "number", "usd", "$#,##0")]


# --- 10,000 rows ------------------------------------------------------------------------------

ROWS = 10_000
LARGE_TABLE = pa.table(
    {
        "label": pa.array([f"={index}" for index in range(ROWS)], pa.string()),
        "delta": pa.array([-index for index in range(ROWS)], pa.int64()),
        "at": pa.array(
            [JAN + timedelta(minutes=index) for index in range(ROWS)], pa.timestamp("us", tz="UTC")
        ),
    }
)
LARGE_COLUMNS = (
    ColumnMeta("label", "label", "string"),
    ColumnMeta("delta", "delta", "integer", "count", "#,##0"),
    ColumnMeta("at", "at", "timestamp"),
)


@pytest.fixture(scope="module")
def large_workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("large") / "report.xlsx"
    large_context = context(
        LARGE_TABLE, timezone="Asia/Kolkata", columns=LARGE_COLUMNS, chart_hints=(BAR,)
    )
    render_xlsx(LARGE_TABLE, large_context, path)
    return path


def test_xlsx_large_row_count(large_workbook: Path) -> None:
    assert data_sheet(large_workbook).max_row == ROWS + 1


def test_xlsx_large_last_row(large_workbook: Path) -> None:
    sheet = data_sheet(large_workbook)

    assert [cell.value for cell in sheet[ROWS + 1]] == [
        "=9999",
        -9999,
        datetime(2027, 1, 22, 6, 39),
    ]


def test_xlsx_large_autofilter(large_workbook: Path) -> None:
    assert data_sheet(large_workbook).auto_filter.ref == f"A1:C{ROWS + 1}"


def test_xlsx_large_no_formula(large_workbook: Path) -> None:
    assert "<f>" not in zip_text(large_workbook, "xl/worksheets/sheet1.xml")


def test_xlsx_large_formula_like_counted(large_workbook: Path) -> None:
    assert info(large_workbook)[FIX_LABELS["formula_like_text"]] == ROWS


def test_xlsx_large_no_chart(large_workbook: Path) -> None:
    assert chart_members(large_workbook) == []


def test_xlsx_large_chart_note(large_workbook: Path) -> None:
    assert "and charts are drawn for at most 1,000" in notes(large_workbook)[1]
