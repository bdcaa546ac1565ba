"""Tests for the PDF renderer: each PDF is read back with pdfplumber's text extraction.

Renders are slow (about a second each), so each table is rendered once per module.
"""

from __future__ import annotations

import subprocess
import unicodedata
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pdfplumber
import pyarrow as pa
import pytest

from reports_pipeline.render import AVAILABLE_FORMATS, renderer_for
from reports_pipeline.render.context import ChartSpec, ColumnMeta, RenderContext
from reports_pipeline.render.fonts import FontSet
from reports_pipeline.render.pdf import (
    NO_DATA,
    PdfRenderError,
    PdfRenderMemoryError,
    PdfRenderTimeout,
    _rejecting_url_fetcher,
    render_pdf,
    render_pdf_bounded,
    render_pdf_branded,
    render_pdf_here,
    wrap_label,
)

GENERATED_AT = datetime(2027, 2, 1, 6, 0, tzinfo=UTC)
TITLE = "Render probe"
DESCRIPTION = "Alerts by severity, for the render tests."


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
        period_end=datetime(2027, 1, 31, 23, 59, 59, tzinfo=UTC),
        period_label="2027-01-01 to 2027-01-31",
        truncated=truncated,
        generated_at=GENERATED_AT,
        chart_hints=chart_hints,
        description=DESCRIPTION,
    )


def logical(visual: str) -> str:
    """Return the logical text of a right-to-left line extracted in visual order."""
    return unicodedata.normalize("NFKC", visual[::-1])


def pages_text(path: Path) -> list[str]:
    with pdfplumber.open(path) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def page_sizes(path: Path) -> list[tuple[float, float]]:
    with pdfplumber.open(path) as pdf:
        return [(float(page.width), float(page.height)) for page in pdf.pages]


def rendered(
    factory: pytest.TempPathFactory, table: pa.Table, name: str, **options: Any
) -> list[str]:
    path = factory.mktemp("pdf") / f"{name}.pdf"
    render_pdf(table, context(table, **options), path)
    return pages_text(path)


# --- Tables -----------------------------------------------------------------------------------

FORMATTED_TABLE = pa.table(
    {
        "region": ["amer", "emea", "apac"],
        "requests": pa.array([1_234_567, 0, 42], pa.int64()),
        "latency_ms": [12.345, 0.5, 1_000.0],
        "cost_usd": pa.array([Decimal("1234.50"), Decimal("0"), None], pa.decimal128(18, 2)),
        "coverage_pct": [45.5, 100.0, 0.0],
    }
)
FORMATTED_COLUMNS = (
    ColumnMeta("region", "Region", "string"),
    ColumnMeta("requests", "Requests", "integer", "count", "#,##0"),
    ColumnMeta("latency_ms", "Latency", "number", "ms", "0.00"),
    ColumnMeta("cost_usd", "Cost", "number", "usd", "$#,##0.00"),
    ColumnMeta("coverage_pct", "Coverage", "number", "percent", "0.0%"),
)
HINTS = (
    ChartSpec("bar", "region", ("requests", "latency_ms"), title="Requests by region"),
    ChartSpec("line", "region", ("coverage_pct",), title="Coverage line"),
    ChartSpec("pie", "region", ("requests",), title="Requests share"),
    ChartSpec("kpi", "region", ("requests",)),
)

LONG_TEXT = "lorem ipsum " * 3_334  # 40,008 characters
HOSTILE = [
    "=1+2",
    '=HYPERLINK("http://127.0.0.1/x","click")',
    "+SUM(A1:A9)",
    "-2+3",
    "@cmd",
    "a\x00b\x1fc\x0bd bell\x07",
    LONG_TEXT,
    "שלום עולם",
    "مرحبا بالعالم",
    "\u202egnp.exe",
    "🚀 launch 👩🏽‍💻",
    "日本語のテキスト 中文 한국어",
    "<b>not bold</b> & <img src='file:///etc/passwd'>",
    "tab\tand\nnewline",
]
HOSTILE_TABLE = pa.table({"label": pa.array([*HOSTILE, None], pa.string())})

JAN = datetime(2027, 1, 15, 2, 30, tzinfo=UTC)
JUL = datetime(2027, 7, 15, 2, 30, tzinfo=UTC)
INSTANTS = [JAN, JUL, None]
MIXED_TABLE = pa.table(
    {
        "count": pa.array([2**63 - 1, -(2**63), None], pa.int64()),
        "ratio": pa.array([float("nan"), float("inf"), float("-inf")], pa.float64()),
        "amount": pa.array(
            [Decimal("1234567890123456789012345678.90"), Decimal("-0.01"), None],
            pa.decimal128(38, 2),
        ),
        "at_utc": pa.array(INSTANTS, pa.timestamp("us", tz="UTC")),
        "at_tokyo": pa.array(INSTANTS, pa.timestamp("us", tz="Asia/Tokyo")),
        "at_naive": pa.array([i and i.replace(tzinfo=None) for i in INSTANTS], pa.timestamp("us")),
        "flag": pa.array([True, False, None]),
    }
)


def numbered_table(rows: int) -> pa.Table:
    return pa.table(
        {
            "row_number": pa.array(range(rows), pa.int64()),
            "name": [f"item {i}" for i in range(rows)],
        }
    )


@pytest.fixture(scope="module")
def formatted(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return rendered(
        tmp_path_factory,
        FORMATTED_TABLE,
        "formatted",
        timezone="America/New_York",
        columns=FORMATTED_COLUMNS,
        chart_hints=HINTS,
    )


@pytest.fixture(scope="module")
def two_hundred(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return rendered(tmp_path_factory, numbered_table(200), "two_hundred")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return rendered(tmp_path_factory, HOSTILE_TABLE, "hostile")


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return rendered(tmp_path_factory, FORMATTED_TABLE.slice(0, 0), "empty", chart_hints=HINTS)


# --- Registry ---------------------------------------------------------------------------------


def test_pdf_registered() -> None:
    assert renderer_for("pdf") is render_pdf


def test_pdf_available() -> None:
    assert "pdf" in AVAILABLE_FORMATS


def test_branded_pdf_registered() -> None:
    assert renderer_for("pdf_branded") is render_pdf_branded
    assert "pdf_branded" in AVAILABLE_FORMATS


# --- The first part ---------------------------------------------------------------------------


def test_pdf_title(formatted: list[str]) -> None:
    assert formatted[0].startswith(TITLE)


def test_pdf_description(formatted: list[str]) -> None:
    assert DESCRIPTION in formatted[0]


def test_pdf_period_in_zone(formatted: list[str]) -> None:
    # 2027-01-01 00:00 UTC is 2026-12-31 19:00 in New York.
    assert "Period start 2026-12-31 19:00:00 EST" in formatted[0]
    assert "2027-01-01 to 2027-01-31" in formatted[0]


def test_pdf_time_zone(formatted: list[str]) -> None:
    assert "Time zone America/New_York" in formatted[0]


def test_pdf_generated_at(formatted: list[str]) -> None:
    assert "Generated at 2027-02-01 06:00:00 UTC" in formatted[0]


def test_pdf_row_count(formatted: list[str]) -> None:
    assert "Rows 3" in formatted[0]


def test_pdf_charts_drawn(formatted: list[str]) -> None:
    first = " ".join(formatted[:-1])
    for title in ("Requests by region", "Coverage line", "Requests share"):
        assert title in first


def test_pdf_kpi(formatted: list[str]) -> None:
    assert "1,234,567" in formatted[0]


def test_pdf_truncation_note(tmp_path_factory: pytest.TempPathFactory) -> None:
    text = rendered(tmp_path_factory, FORMATTED_TABLE, "truncated", truncated=True)
    assert "cut to the report's limit of 3 rows" in text[0]


def test_pdf_no_chart_above_limit(tmp_path_factory: pytest.TempPathFactory) -> None:
    table = numbered_table(1_001)
    hint = ChartSpec("bar", "name", ("row_number",), title="Too many bars")
    text = rendered(tmp_path_factory, table, "many", chart_hints=(hint,))
    assert "No charts: the result has 1,001 rows" in text[0]
    assert "Too many bars" not in text[0]


# --- The table part ---------------------------------------------------------------------------


def test_pdf_formatted_values(formatted: list[str]) -> None:
    table = formatted[-1]
    for expected in ("1,234,567", "12.35", "1000.00", "$1,234.50", "$0.00", "45.5%", "100.0%"):
        assert expected in table


def test_pdf_header(formatted: list[str]) -> None:
    # Right-aligned headers sit close to their left neighbours, so words may run together.
    header = formatted[-1].splitlines()[0].replace(" ", "")
    assert header == "RegionRequestsLatencyCostCoverage"


def test_pdf_header_repeated(two_hundred: list[str]) -> None:
    table_pages = two_hundred[1:]
    assert len(table_pages) >= 2
    for page in table_pages:
        assert page.startswith("row_number name")


@pytest.mark.parametrize(
    ("label", "available", "expected"),
    [
        ("Alerts", 40.0, "Alerts"),
        ("First seen", 30.0, "First\nseen"),
        ("Mean time to resolve", 60.0, "Mean time to\nresolve"),
    ],
)
def test_wrap_label_at_spaces(label: str, available: float, expected: str) -> None:
    assert wrap_label(label, available, FontSet.discover()) == expected


def test_wrap_label_long_word() -> None:
    from reportlab.pdfbase.pdfmetrics import stringWidth  # type: ignore[import-untyped]

    fonts = FontSet.discover()
    lines = wrap_label("Supercalifragilistic", 40.0, fonts).splitlines()
    assert "".join(lines) == "Supercalifragilistic"
    assert len(lines) == 3
    for line in lines:
        assert stringWidth(line, fonts.bold, 8) <= 40.0


@pytest.fixture(scope="module")
def three_chunks(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    # 1,100 rows are three ReportLab tables (500, 500 and 100 rows), and the first chunk
    # boundary falls in the middle of a page.
    return rendered(tmp_path_factory, numbered_table(1_100), "three_chunks")[1:]


def test_pdf_header_once_per_page(three_chunks: list[str]) -> None:
    for number, page in enumerate(three_chunks, start=2):
        lines = page.splitlines()
        assert lines[0] == "row_number name", f"page {number}"
        assert lines.count("row_number name") == 1, f"page {number}"


def test_pdf_rows_continue_across_chunks(three_chunks: list[str]) -> None:
    rows = [line for page in three_chunks for line in page.splitlines()[1:-1]]
    assert rows == [f"{i} item {i}" for i in range(1_100)]


def test_pdf_all_rows(two_hundred: list[str]) -> None:
    text = "\n".join(two_hundred)
    assert "item 0" in text
    assert "item 199" in text


def test_pdf_page_numbers(two_hundred: list[str]) -> None:
    total = len(two_hundred)
    for number, page in enumerate(two_hundred, start=1):
        assert f"page {number} of {total}" in page


def test_pdf_footer_title(two_hundred: list[str]) -> None:
    for page in two_hundred:
        assert TITLE in page.splitlines()[-1]


def test_pdf_landscape_when_wide(tmp_path: Path) -> None:
    table = pa.table({f"c{i}": [i] for i in range(12)})
    path = tmp_path / "wide.pdf"
    render_pdf_here(table, context(table), path)
    assert all(width > height for width, height in page_sizes(path))


def test_pdf_portrait_when_narrow(tmp_path: Path) -> None:
    table = numbered_table(3)
    path = tmp_path / "narrow.pdf"
    render_pdf_here(table, context(table), path)
    assert all(width < height for width, height in page_sizes(path))


# --- Hostile text -----------------------------------------------------------------------------


def test_pdf_hostile_latin_extractable(hostile: list[str]) -> None:
    text = "\n".join(hostile)
    for expected in ("=1+2", "+SUM(A1:A9)", "-2+3", "@cmd", "launch", "gnp.exe", "not bold"):
        assert expected in text


def test_pdf_hostile_markup_shown_as_text(hostile: list[str]) -> None:
    assert "<b>not bold</b> &" in "\n".join(hostile)


def test_pdf_hostile_control_characters_removed(hostile: list[str]) -> None:
    text = "\n".join(hostile)
    assert "abcd bell" in text
    assert "\x00" not in text
    assert "Cells with control characters removed: 1." in hostile[0]


def test_pdf_hostile_long_text_cut(hostile: list[str]) -> None:
    assert "Cells cut to" in hostile[0]
    assert "lorem ipsum" in "\n".join(hostile[1:])


def test_pdf_hostile_long_text_wrapped(hostile: list[str]) -> None:
    lines = [line for line in hostile[1].splitlines() if "lorem" in line]
    assert len(lines) > 1
    assert lines[-1].endswith("…")


def test_pdf_hebrew_in_visual_order(hostile: list[str]) -> None:
    # Text extraction returns the characters as drawn, left to right.
    lines = "\n".join(hostile[1:]).splitlines()
    assert "שלום עולם"[::-1] in lines
    assert "שלום עולם" not in lines


def test_pdf_arabic_shaped_and_ordered(hostile: list[str]) -> None:
    lines = "\n".join(hostile[1:]).splitlines()
    arabic = [line for line in lines if logical(line) == "مرحبا بالعالم"]
    assert len(arabic) == 1
    # Shaped letters are drawn as their contextual presentation forms.
    assert any("\ufe70" <= char <= "\ufeff" for char in arabic[0])


def test_pdf_rtl_cells_right_aligned(tmp_path: Path) -> None:
    table = pa.table({"label": ["left", "שלום עולם", "مرحبا بالعالم", "abc שלום"]})
    path = tmp_path / "aligned.pdf"
    render_pdf_here(table, context(table), path)
    with pdfplumber.open(path) as pdf:
        lines = pdf.pages[-1].extract_text_lines()
    # Lines as drawn, and the Arabic one under its logical text.
    edges = {line["text"]: (round(line["x0"]), round(line["x1"])) for line in lines}
    edges.update({logical(line["text"]): edges[line["text"]] for line in lines})
    left, _ = edges["left"]
    hebrew_left, hebrew_right = edges["םלוע םולש"]
    assert hebrew_left > left
    assert edges["مرحبا بالعالم"][1] == hebrew_right
    # Text that starts with a left-to-right letter stays left-aligned.
    assert edges["abc םולש"][0] == left


def test_pdf_mixed_direction_line(tmp_path: Path) -> None:
    table = pa.table({"label": ["abc שלום 123 def"]})
    path = tmp_path / "mixed.pdf"
    render_pdf_here(table, context(table), path)
    # UAX #9 puts the number, which follows the Hebrew word, on its left in a left-to-right line.
    assert "abc 123 םולש def" in pages_text(path)[-1].splitlines()


def test_pdf_rtl_title_first_part(tmp_path: Path) -> None:
    path = tmp_path / "rtl_title.pdf"
    title = "דוח התראות"
    render_pdf_here(FORMATTED_TABLE, context(FORMATTED_TABLE, title=title), path)
    text = pages_text(path)
    assert text[0].splitlines()[0] == title[::-1]
    assert title[::-1] in text[-1].splitlines()[-1]


def test_pdf_replaced_characters_counted(tmp_path: Path) -> None:
    # U+10FFFD is a private-use character that no font has, so it is replaced, not a crash.
    table = pa.table({"label": ["private \U0010fffd use"]})
    path = tmp_path / "replaced.pdf"
    render_pdf_here(table, context(table), path)
    text = pages_text(path)
    assert "Characters that no installed font has, shown as \ufffd: 1." in text[0]
    assert "private \ufffd use" in text[-1]


def test_pdf_cjk_shown(hostile: list[str]) -> None:
    assert "日本語のテキスト 中文 한국어" in "\n".join(hostile).splitlines()


def test_pdf_emoji_shown(hostile: list[str]) -> None:
    assert "🚀 launch" in "\n".join(hostile)


@pytest.mark.parametrize(
    ("script", "text"),
    [
        ("Latin with accents", "Ça déjà naïve Øresund Łódź"),
        ("Greek", "Καλημέρα"),
        ("Cyrillic", "Привет"),
        ("Hebrew", "שלום"),
        ("Arabic", "مرحبا"),
        ("Chinese", "中文报告"),
        ("Japanese", "日本語のテキスト"),
        ("Korean", "한국어"),
        ("emoji", "🚀🔒📈"),
    ],
)
def test_fonts_installed(script: str, text: str) -> None:
    # `make test` and `make up` install these fonts (scripts/install-fonts); run it when this
    # fails.
    fonts = FontSet.discover()
    missing = [char for char in text if char != " " and fonts.font_for_char(ord(char)) is None]
    assert missing == [], f"no installed font has these {script} characters: {missing}"


def test_text_fonts_known_to_fontconfig() -> None:
    # WeasyPrint finds its fonts through fontconfig.
    for char in ("ש", "م", "中", "한", "🚀"):
        listed = subprocess.run(
            ["fc-list", f":charset={ord(char):x}", "file"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert listed.strip(), f"fontconfig lists no font with U+{ord(char):04X}"


def test_pdf_hostile_title(tmp_path: Path) -> None:
    title = "<script>x</script> =cmd \x00 🚀 標題"
    path = tmp_path / "title.pdf"
    render_pdf_here(FORMATTED_TABLE, context(FORMATTED_TABLE, title=title), path)
    text = pages_text(path)
    assert "<script>x</script> =cmd" in text[0]


# --- Values -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mixed_new_york(tmp_path_factory: pytest.TempPathFactory) -> str:
    return "\n".join(rendered(tmp_path_factory, MIXED_TABLE, "mixed", timezone="America/New_York"))


def test_pdf_non_finite(mixed_new_york: str) -> None:
    for expected in ("NaN", "Infinity", "-Infinity"):
        assert expected in mixed_new_york
    assert "NaN or infinite numbers shown as NaN, Infinity or -Infinity: 3." in mixed_new_york


def test_pdf_big_integers(mixed_new_york: str) -> None:
    assert "9223372036854775807" in mixed_new_york
    assert "-9223372036854775808" in mixed_new_york


def test_pdf_decimals_exact(mixed_new_york: str) -> None:
    assert "1234567890123456789012345678.90" in mixed_new_york
    assert "-0.01" in mixed_new_york


def test_pdf_booleans(mixed_new_york: str) -> None:
    assert "yes" in mixed_new_york
    assert "no" in mixed_new_york


def test_pdf_timestamps_new_york(mixed_new_york: str) -> None:
    # Every timestamp column, zoned or naive (UTC), shows New York wall time.
    assert mixed_new_york.count("2027-01-14 21:30:00") == 3
    assert mixed_new_york.count("2027-07-14 22:30:00") == 3


@pytest.mark.parametrize(
    ("zone", "january", "july"),
    [
        ("UTC", "2027-01-15 02:30:00", "2027-07-15 02:30:00"),
        ("Asia/Kolkata", "2027-01-15 08:00:00", "2027-07-15 08:00:00"),
        ("Australia/Sydney", "2027-01-15 13:30:00", "2027-07-15 12:30:00"),
    ],
)
def test_pdf_timestamps_in_zone(tmp_path: Path, zone: str, january: str, july: str) -> None:
    path = tmp_path / "zone.pdf"
    render_pdf_here(MIXED_TABLE, context(MIXED_TABLE, timezone=zone), path)
    text = "\n".join(pages_text(path))
    assert text.count(january) == 3
    assert text.count(july) == 3


def test_pdf_nulls_render(mixed_new_york: str) -> None:
    assert "None" not in mixed_new_york


# --- Empty result -----------------------------------------------------------------------------


def test_pdf_empty_message_first_part(empty: list[str]) -> None:
    assert NO_DATA in empty[0]


def test_pdf_empty_message_table_part(empty: list[str]) -> None:
    assert NO_DATA in empty[-1]
    assert "region" in empty[-1]


def test_pdf_empty_rows(empty: list[str]) -> None:
    assert "Rows 0" in empty[0]


# --- Size and bounds --------------------------------------------------------------------------


def test_pdf_ten_thousand_rows(tmp_path: Path) -> None:
    # Its time is measured by benchmarks/render.py, not asserted here.
    table = numbered_table(10_000)
    path = tmp_path / "big.pdf"
    stats = render_pdf_bounded(table, context(table), path)
    assert stats.peak_rss_bytes < 500 * 2**20
    with pdfplumber.open(path) as pdf:
        count = len(pdf.pages)
        last = pdf.pages[-1].extract_text()
    assert count == stats.pages
    assert "item 9999" in last
    assert f"page {count} of {count}" in last


def test_pdf_time_bound(tmp_path: Path) -> None:
    with pytest.raises(PdfRenderTimeout, match=r"^PDF render exceeded 0\.05 s$"):
        render_pdf_bounded(
            FORMATTED_TABLE, context(FORMATTED_TABLE), tmp_path / "x.pdf", max_seconds=0.05
        )
    assert not (tmp_path / "x.pdf").exists()


def test_pdf_time_bound_from_constant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("reports_pipeline.render.pdf.MAX_SECONDS", 0.05)
    with pytest.raises(PdfRenderTimeout, match=r"PDF render exceeded 0\.05 s"):
        render_pdf(FORMATTED_TABLE, context(FORMATTED_TABLE), tmp_path / "x.pdf")


def test_pdf_memory_bound(tmp_path: Path) -> None:
    table = numbered_table(20_000)
    with pytest.raises(PdfRenderMemoryError, match=r"^PDF render exceeded 300 MiB of memory$"):
        render_pdf_bounded(table, context(table), tmp_path / "x.pdf", max_memory_bytes=300 * 2**20)


def test_pdf_errors_are_reports_errors() -> None:
    assert issubclass(PdfRenderTimeout, PdfRenderError)
    assert issubclass(PdfRenderMemoryError, PdfRenderError)


# --- URL fetching -----------------------------------------------------------------------------


def test_url_fetcher_rejects_file_url(tmp_path: Path) -> None:
    from weasyprint import HTML  # type: ignore[import-untyped]

    secret = tmp_path / "secret.css"
    secret.write_text("h1 { color: red }")
    fetcher = _rejecting_url_fetcher()
    document = f'<link rel="stylesheet" href="{secret.as_uri()}"><img src="{secret.as_uri()}">'
    HTML(string=document, url_fetcher=fetcher).write_pdf()
    assert fetcher.rejected == [secret.as_uri(), secret.as_uri()]


def test_url_fetcher_rejects_http_data() -> None:
    from weasyprint import HTML

    fetcher = _rejecting_url_fetcher()
    document = '<img src="http://127.0.0.1:9/x.png"><img src="data:image/png;base64,AAAA">'
    HTML(string=document, url_fetcher=fetcher).write_pdf()
    assert fetcher.rejected == ["http://127.0.0.1:9/x.png", "data:image/png;base64,AAAA"]
