"""Tests for the CSV and JSON renderers, read back with the standard `csv` and `json` modules."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest

from reports_pipeline.render.context import ColumnMeta, RenderContext
from reports_pipeline.render.csv import render_csv, timestamps_as_text
from reports_pipeline.render.json import render_json

GENERATED_AT = datetime(2027, 2, 1, 6, 0, tzinfo=UTC)

# (stored text, CSV cell) pairs. A text cell that a spreadsheet would run as a formula gets a
# leading apostrophe, and every other cell is written unchanged.
TEXT_CASES = [
    ("=1+2", "'=1+2"),
    ('=HYPERLINK("http://127.0.0.1/x","click")', '\'=HYPERLINK("http://127.0.0.1/x","click")'),
    ("+SUM(A1:A9)", "'+SUM(A1:A9)"),
    ("-2+3", "'-2+3"),
    ("-5", "'-5"),
    ("@cmd", "'@cmd"),
    ("\tTAB", "'\tTAB"),
    ("\rCR", "'\rCR"),
    ('say "hi", then\nbye', 'say "hi", then\nbye'),
    ("a,b;c", "a,b;c"),
    ("line one\r\nline two", "line one\r\nline two"),
    ("🚀 launch 👩🏽‍💻", "🚀 launch 👩🏽‍💻"),
    ("שלום עולם", "שלום עולם"),
    ("مرحبا بالعالم", "مرحبا بالعالم"),
    ("\u202egnp.exe", "\u202egnp.exe"),
    ("a=b", "a=b"),
    ("", ""),
]
TEXTS = [text for text, _ in TEXT_CASES]

TEXT_TABLE = pa.table(
    {
        "label": pa.array([*TEXTS, None], pa.string()),
        "delta": pa.array([-(index + 1) for index in range(len(TEXTS))] + [None], pa.int64()),
        "ratio": pa.array([-0.5] * len(TEXTS) + [None], pa.float64()),
    }
)

JAN = datetime(2027, 1, 15, 2, 30, tzinfo=UTC)
JUL = datetime(2027, 7, 15, 2, 30, tzinfo=UTC)
# 30 digits each; negating a Decimal would round it to the default context's 28 digits.
BIG_DECIMAL = Decimal("1234567890123456789012345678.90")
NEGATIVE_BIG_DECIMAL = Decimal("-1234567890123456789012345678.91")
INSTANTS = [JAN, JUL, JAN + timedelta(microseconds=1), None, JAN]

MIXED_TABLE = pa.table(
    {
        "count": pa.array([-5, 2**63 - 1, -(2**63), 0, None], pa.int64()),
        "ratio": pa.array([-1.5, float("nan"), float("inf"), float("-inf"), None], pa.float64()),
        "amount": pa.array(
            [BIG_DECIMAL, NEGATIVE_BIG_DECIMAL, Decimal("0.01"), Decimal("-0.50"), None],
            pa.decimal128(38, 2),
        ),
        "at_utc": pa.array(INSTANTS, pa.timestamp("us", tz="UTC")),
        "at_tokyo": pa.array(INSTANTS, pa.timestamp("us", tz="Asia/Tokyo")),
        "at_los_angeles": pa.array(INSTANTS, pa.timestamp("us", tz="America/Los_Angeles")),
        "at_naive": pa.array([i and i.replace(tzinfo=None) for i in INSTANTS], pa.timestamp("us")),
        "day": pa.array(
            [date(2027, 1, 1), date(2024, 2, 29), None, date(1970, 1, 1), date(2027, 12, 31)]
        ),
    }
)
TIMESTAMP_COLUMNS = ["at_utc", "at_tokyo", "at_los_angeles", "at_naive"]

# ISO 8601 text of INSTANTS in each report zone.
LOCAL_TIMES = {
    "UTC": [
        "2027-01-15T02:30:00+00:00",
        "2027-07-15T02:30:00+00:00",
        "2027-01-15T02:30:00.000001+00:00",
    ],
    "America/New_York": [
        "2027-01-14T21:30:00-05:00",
        "2027-07-14T22:30:00-04:00",
        "2027-01-14T21:30:00.000001-05:00",
    ],
    "Asia/Kolkata": [
        "2027-01-15T08:00:00+05:30",
        "2027-07-15T08:00:00+05:30",
        "2027-01-15T08:00:00.000001+05:30",
    ],
}


def context(table: pa.Table, *, timezone: str = "UTC", truncated: bool = False) -> RenderContext:
    return RenderContext(
        run_id="rrun_01HZX3K5Q8V2N4M6P7R9T1W3Y5",
        organization_id="org_01HZX3K5Q8V2N4M6P7R9T1W3Y5",
        report_id="ciso.render_probe",
        report_title="Render probe",
        report_version=3,
        columns=tuple(ColumnMeta(name, name.title(), "string") for name in table.column_names),
        timezone=timezone,
        period_start=datetime(2027, 1, 1, tzinfo=UTC),
        period_end=datetime(2027, 1, 31, 23, 59, 59, 999999, tzinfo=UTC),
        period_label="2027-01-01 to 2027-01-31",
        truncated=truncated,
        generated_at=GENERATED_AT,
    )


def reject_constant(name: str) -> None:
    raise AssertionError(f"the JSON document contains {name}, which strict JSON does not allow")


def csv_records(table: pa.Table, tmp_path: Path, **options: Any) -> list[list[str]]:
    path = tmp_path / "report.csv"
    render_csv(table, context(table, **options), path)
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))


def csv_column(table: pa.Table, tmp_path: Path, name: str, **options: Any) -> list[str]:
    header, *body = csv_records(table, tmp_path, **options)
    index = header.index(name)
    return [record[index] for record in body]


def json_text(table: pa.Table, tmp_path: Path, **options: Any) -> str:
    path = tmp_path / "report.json"
    render_json(table, context(table, **options), path)
    return path.read_bytes().decode("utf-8")


def json_document(table: pa.Table, tmp_path: Path, **options: Any) -> dict[str, Any]:
    return json.loads(
        json_text(table, tmp_path, **options), parse_constant=reject_constant, parse_float=Decimal
    )


def json_column(table: pa.Table, tmp_path: Path, name: str, **options: Any) -> list[Any]:
    document = json_document(table, tmp_path, **options)
    index = [column["name"] for column in document["columns"]].index(name)
    return [row[index] for row in document["rows"]]


# --- CSV --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("index", "expected"), list(enumerate(cell for _, cell in TEXT_CASES)))
def test_csv_text_cell(tmp_path: Path, index: int, expected: str) -> None:
    assert csv_column(TEXT_TABLE, tmp_path, "label")[index] == expected


def test_csv_null_text_empty(tmp_path: Path) -> None:
    assert csv_column(TEXT_TABLE, tmp_path, "label")[-1] == ""


def test_csv_negative_numbers_kept(tmp_path: Path) -> None:
    expected = [str(-(index + 1)) for index in range(len(TEXTS))] + [""]

    assert csv_column(TEXT_TABLE, tmp_path, "delta") == expected


def test_csv_negative_floats_kept(tmp_path: Path) -> None:
    assert set(csv_column(TEXT_TABLE, tmp_path, "ratio")[:-1]) == {"-0.5"}


def test_csv_one_record_per_row(tmp_path: Path) -> None:
    assert len(csv_records(TEXT_TABLE, tmp_path)) == TEXT_TABLE.num_rows + 1


def test_csv_header(tmp_path: Path) -> None:
    assert csv_records(TEXT_TABLE, tmp_path)[0] == ["label", "delta", "ratio"]


def test_csv_crlf_line_ends(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    render_csv(MIXED_TABLE, context(MIXED_TABLE), path)

    lines = path.read_bytes().split(b"\n")
    assert all(line.endswith(b"\r") for line in lines[:-1])
    assert lines[-1] == b""


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("count", ["-5", "9223372036854775807", "-9223372036854775808", "0", ""]),
        ("ratio", ["-1.5", "", "", "", ""]),
        ("amount", [str(BIG_DECIMAL), str(NEGATIVE_BIG_DECIMAL), "0.01", "-0.50", ""]),
        ("day", ["2027-01-01", "2024-02-29", "", "1970-01-01", "2027-12-31"]),
    ],
)
def test_csv_values(tmp_path: Path, column: str, expected: list[str]) -> None:
    assert csv_column(MIXED_TABLE, tmp_path, column) == expected


@pytest.mark.parametrize("zone", list(LOCAL_TIMES))
@pytest.mark.parametrize("column", TIMESTAMP_COLUMNS)
def test_csv_timestamps_in_zone(tmp_path: Path, zone: str, column: str) -> None:
    cells = csv_column(MIXED_TABLE, tmp_path, column, timezone=zone)

    assert cells[:3] == LOCAL_TIMES[zone]
    assert cells[3] == ""


# Instants around DST changes, before standard time (local mean time has offset seconds), with
# and without microseconds, at the edges of the calendar, and a null.
EDGE_INSTANTS = [
    datetime(2027, 3, 14, 6, 59, 59, 999999, tzinfo=UTC),
    datetime(2027, 3, 14, 7, 0, tzinfo=UTC),
    datetime(2027, 11, 7, 5, 30, tzinfo=UTC),
    datetime(2027, 11, 7, 6, 30, tzinfo=UTC),
    datetime(1850, 6, 1, 12, 0, 0, 500, tzinfo=UTC),
    datetime(1, 1, 2, tzinfo=UTC),
    datetime(9999, 12, 30, 23, 59, 59, tzinfo=UTC),
    datetime(2024, 2, 29, 23, 59, 59, 1, tzinfo=UTC),
    None,
]


@pytest.mark.parametrize(
    "zone",
    [
        "UTC",
        "America/New_York",
        "Asia/Kolkata",
        "Asia/Kathmandu",
        "Australia/Lord_Howe",
        "Pacific/Chatham",
        "Africa/Monrovia",
        "Europe/Dublin",
    ],
)
def test_csv_timestamp_text_matches_isoformat(zone: str) -> None:
    column = pa.chunked_array([pa.array(EDGE_INSTANTS, pa.timestamp("us", tz="UTC"))])
    expected = [
        None if instant is None else instant.astimezone(ZoneInfo(zone)).isoformat()
        for instant in EDGE_INSTANTS
    ]
    assert timestamps_as_text(column, zone).to_pylist() == expected


def test_csv_empty_table(tmp_path: Path) -> None:
    assert csv_records(MIXED_TABLE.slice(0, 0), tmp_path) == [MIXED_TABLE.column_names]


def test_csv_large_string_neutralised(tmp_path: Path) -> None:
    table = pa.table({"label": pa.array(["=1+2"], pa.large_string())})

    assert csv_column(table, tmp_path, "label") == ["'=1+2"]


def test_csv_dictionary_neutralised(tmp_path: Path) -> None:
    table = pa.table({"label": pa.array(["=1+2"]).dictionary_encode()})

    assert csv_column(table, tmp_path, "label") == ["'=1+2"]


def test_csv_neutralises_text_in_any_of_several_columns(tmp_path: Path) -> None:
    # Only the last of several text columns, of two string types, contains formula-like text.
    table = pa.table(
        {
            "team": pa.array(["ops", "sec"]).dictionary_encode(),
            "plain": pa.array(["a", "b"], pa.string()),
            "large": pa.array(["c", "d"], pa.large_string()),
            "enum": pa.array(["x", "@SUM(A1)"]).dictionary_encode(),
        }
    )

    assert csv_records(table, tmp_path) == [
        ["team", "plain", "large", "enum"],
        ["ops", "a", "c", "x"],
        ["sec", "b", "d", "'@SUM(A1)"],
    ]


def test_csv_neutralises_text_in_every_chunk(tmp_path: Path) -> None:
    chunks = [pa.array(["a", "b"]), pa.array(["-1+1", "c"])]
    table = pa.table({"label": pa.chunked_array(chunks)})

    assert csv_column(table, tmp_path, "label") == ["a", "b", "'-1+1", "c"]


def test_csv_non_finite_in_one_float_column(tmp_path: Path) -> None:
    table = pa.table(
        {
            "clean": pa.array([1.5, 2.5], pa.float64()),
            "single": pa.array([0.5, float("nan")], pa.float32()),
            "double": pa.array([float("-inf"), -2.0], pa.float64()),
        }
    )

    assert csv_records(table, tmp_path) == [
        ["clean", "single", "double"],
        ["1.5", "0.5", ""],
        ["2.5", "", "-2"],
    ]


@pytest.mark.parametrize(
    ("zone", "instants"),
    [
        # One offset over the whole column, with nulls and fractions.
        (
            "America/New_York",
            [
                datetime(2027, 1, 5, 12, tzinfo=UTC),
                None,
                datetime(2027, 1, 6, 0, 0, 0, 250, tzinfo=UTC),
            ],
        ),
        ("Asia/Kolkata", [datetime(2027, 6, 1, tzinfo=UTC), datetime(2027, 12, 1, tzinfo=UTC)]),
        # The offset changes between the chunks.
        (
            "Europe/London",
            [datetime(2027, 3, 28, 0, 59, tzinfo=UTC), datetime(2027, 3, 28, 1, 0, tzinfo=UTC)],
        ),
        ("Europe/London", [None, None]),
    ],
)
def test_csv_timestamp_text_by_offsets(zone: str, instants: list[datetime | None]) -> None:
    kind = pa.timestamp("us", tz="UTC")
    column = pa.chunked_array([pa.array(instants[:1], kind), pa.array(instants[1:], kind)])
    expected = [i and i.astimezone(ZoneInfo(zone)).isoformat() for i in instants]

    assert timestamps_as_text(column, zone).to_pylist() == expected


def test_csv_timestamp_text_of_other_units_and_zones() -> None:
    instant = datetime(2027, 7, 1, 12, 30, 5, tzinfo=UTC)
    column = pa.chunked_array([pa.array([instant], pa.timestamp("ns", tz="Asia/Tokyo"))])

    assert timestamps_as_text(column, "Europe/Paris").to_pylist() == ["2027-07-01T14:30:05+02:00"]


# --- JSON -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("index", "text"), list(enumerate(TEXTS)))
def test_json_text_unchanged(tmp_path: Path, index: int, text: str) -> None:
    assert json_column(TEXT_TABLE, tmp_path, "label")[index] == text


def test_json_negative_numbers(tmp_path: Path) -> None:
    assert json_column(TEXT_TABLE, tmp_path, "delta")[:3] == [-1, -2, -3]


def test_json_strict(tmp_path: Path) -> None:
    text = json_text(MIXED_TABLE, tmp_path)

    assert isinstance(json.loads(text, parse_constant=reject_constant), dict)


def test_json_non_finite_null(tmp_path: Path) -> None:
    assert json_column(MIXED_TABLE, tmp_path, "ratio") == [Decimal("-1.5"), None, None, None, None]


def test_json_non_finite_note(tmp_path: Path) -> None:
    notes = json_document(MIXED_TABLE, tmp_path)["notes"]

    assert notes == ["3 NaN or infinite values were written as null"]


@pytest.mark.parametrize("digits", ["9223372036854775807", "-9223372036854775808"])
def test_json_big_int_text(tmp_path: Path, digits: str) -> None:
    assert digits in json_text(MIXED_TABLE, tmp_path)


def test_json_big_int_value(tmp_path: Path) -> None:
    values = json_column(MIXED_TABLE, tmp_path, "count")

    assert values == [-5, 2**63 - 1, -(2**63), 0, None]


@pytest.mark.parametrize("digits", [str(BIG_DECIMAL), str(NEGATIVE_BIG_DECIMAL), "-0.50"])
def test_json_decimal_text(tmp_path: Path, digits: str) -> None:
    assert f",{digits}," in json_text(MIXED_TABLE, tmp_path)


def test_json_decimal_value(tmp_path: Path) -> None:
    values = json_column(MIXED_TABLE, tmp_path, "amount")

    assert values == [BIG_DECIMAL, NEGATIVE_BIG_DECIMAL, Decimal("0.01"), Decimal("-0.50"), None]


@pytest.mark.parametrize("zone", list(LOCAL_TIMES))
@pytest.mark.parametrize("column", TIMESTAMP_COLUMNS)
def test_json_timestamps_in_zone(tmp_path: Path, zone: str, column: str) -> None:
    values = json_column(MIXED_TABLE, tmp_path, column, timezone=zone)

    assert values[:4] == [*LOCAL_TIMES[zone], None]


def test_json_timestamp_offset_parses(tmp_path: Path) -> None:
    values = json_column(MIXED_TABLE, tmp_path, "at_utc", timezone="America/New_York")

    assert datetime.fromisoformat(values[0]) == JAN
    assert datetime.fromisoformat(values[0]).utcoffset() == timedelta(hours=-5)


def test_json_dates(tmp_path: Path) -> None:
    values = json_column(MIXED_TABLE, tmp_path, "day")

    assert values == ["2027-01-01", "2024-02-29", None, "1970-01-01", "2027-12-31"]


def test_json_null_text(tmp_path: Path) -> None:
    assert json_column(TEXT_TABLE, tmp_path, "label")[-1] is None


def test_json_metadata(tmp_path: Path) -> None:
    document = json_document(MIXED_TABLE, tmp_path, timezone="Asia/Kolkata")

    assert document["report"] == {"id": "ciso.render_probe", "title": "Render probe", "version": 3}
    assert document["run_id"] == "rrun_01HZX3K5Q8V2N4M6P7R9T1W3Y5"
    assert document["organization_id"] == "org_01HZX3K5Q8V2N4M6P7R9T1W3Y5"
    assert document["generated_at"] == "2027-02-01T06:00:00+00:00"
    assert document["timezone"] == "Asia/Kolkata"
    assert document["row_count"] == 5
    assert document["truncated"] is False


def test_json_period(tmp_path: Path) -> None:
    document = json_document(MIXED_TABLE, tmp_path)

    assert document["period"] == {
        "start": "2027-01-01T00:00:00+00:00",
        "end": "2027-01-31T23:59:59.999999+00:00",
        "label": "2027-01-01 to 2027-01-31",
    }


def test_json_columns(tmp_path: Path) -> None:
    columns = json_document(TEXT_TABLE, tmp_path)["columns"]

    assert columns[0] == {
        "name": "label",
        "label": "Label",
        "type": "string",
        "unit": None,
        "format": None,
    }


def test_json_empty_table(tmp_path: Path) -> None:
    document = json_document(MIXED_TABLE.slice(0, 0), tmp_path)

    assert document["rows"] == []
    assert document["row_count"] == 0
    assert document["notes"] == ["no data for this period"]


def test_json_truncated_note(tmp_path: Path) -> None:
    document = json_document(TEXT_TABLE, tmp_path, truncated=True)

    assert document["truncated"] is True
    assert (
        f"the result was cut to the report's limit of {TEXT_TABLE.num_rows} rows"
        in (document["notes"])
    )


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


def test_csv_large_record_count(tmp_path: Path) -> None:
    assert len(csv_records(LARGE_TABLE, tmp_path)) == ROWS + 1


def test_csv_large_last_record(tmp_path: Path) -> None:
    last = csv_records(LARGE_TABLE, tmp_path, timezone="Asia/Kolkata")[-1]

    assert last == ["'=9999", "-9999", "2027-01-22T06:39:00+05:30"]


def test_json_large_row_count(tmp_path: Path) -> None:
    document = json_document(LARGE_TABLE, tmp_path)

    assert document["row_count"] == ROWS
    assert len(document["rows"]) == ROWS


def test_json_large_last_row(tmp_path: Path) -> None:
    rows = json_document(LARGE_TABLE, tmp_path, timezone="Asia/Kolkata")["rows"]

    assert rows[-1] == ["=9999", -9999, "2027-01-22T06:39:00+05:30"]
