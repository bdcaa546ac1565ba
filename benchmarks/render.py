"""Render time of the CSV, JSON, XLSX and PDF renderers against bare baselines on the same table.

For 100, 1,000 and 10,000 rows of 10 columns (two strings, two integers, two floats, a decimal,
a timestamp, a date and a boolean), each renderer and its baseline run in turns, so both see
the same machine load, after one warm-up each; the table reports medians. A baseline's time
includes turning the Arrow table into the rows it writes.

Targets: CSV within 1.5x of pyarrow's CSV writer, JSON within 1.5x of orjson over rows built
from tuples, XLSX within 1.2x of a bare openpyxl write-only loop writing the same rows.

PDF renders in a child process, so its case is timed apart: the renderer (`render_pdf_bounded`,
child start included) against a bare ReportLab document of the same rows as text, in LongTables
of the same CHUNK_ROWS rows with the header repeated, built in a spawned child as well. Each
side's peak RSS is the child's own VmHWM (ru_maxrss would carry the parent's over execve).
Target at 10,000 rows: within 3x of the baseline, under 10 s and under 500 MiB.

Usage: python benchmarks/render.py [--repeat 7] [--pdf-repeat 3] [--formats csv json xlsx pdf]
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.types as pat
from openpyxl import Workbook  # type: ignore[import-untyped]

from reports_pipeline.render.context import ColumnMeta, RenderContext
from reports_pipeline.render.csv import render_csv
from reports_pipeline.render.json import render_json
from reports_pipeline.render.pdf import CHUNK_ROWS, peak_rss_bytes, render_pdf_bounded
from reports_pipeline.render.xlsx import render_xlsx

SIZES = (100, 1_000, 10_000)
TARGETS = {"csv": 1.5, "json": 1.5, "xlsx": 1.2, "pdf": 3.0}
PDF_MAX_SECONDS = 10.0
PDF_MAX_RSS = 500 * 2**20
START = datetime(2027, 1, 1, tzinfo=UTC)
TIMEZONE = "America/New_York"

COLUMNS = (
    ColumnMeta("team", "Team", "string"),
    ColumnMeta("note", "Note", "string"),
    ColumnMeta("requests", "Requests", "integer", "count", "#,##0"),
    ColumnMeta("account", "Account", "integer"),
    ColumnMeta("block_rate_pct", "Block rate", "number", "percent", "0.0"),
    ColumnMeta("latency_ms", "Latency", "number", "ms", "#,##0.0"),
    ColumnMeta("cost_usd", "Cost", "number", "usd", "$#,##0.00"),
    ColumnMeta("last_seen", "Last seen", "timestamp"),
    ColumnMeta("day", "Day", "date"),
    ColumnMeta("blocked", "Blocked", "boolean"),
)

Render = Callable[[pa.Table, Path], None]


def mixed_table(rows: int) -> pa.Table:
    return pa.table(
        {
            "team": pa.array([f"team-{i % 37}" for i in range(rows)]).dictionary_encode(),
            "note": [f"request {i} from agent {i % 101}, policy p{i % 13}" for i in range(rows)],
            "requests": pa.array([i * 7 % 100_003 for i in range(rows)], pa.int64()),
            "account": pa.array([700_000_000_000 + i for i in range(rows)], pa.int64()),
            "block_rate_pct": [(i % 1000) / 10 for i in range(rows)],
            "latency_ms": [i * 1.37 for i in range(rows)],
            "cost_usd": pa.array(
                [Decimal(i * 193 % 1_000_000) / 100 for i in range(rows)], pa.decimal128(18, 2)
            ),
            "last_seen": pa.array(
                [START + timedelta(seconds=i * 97) for i in range(rows)],
                pa.timestamp("us", tz="UTC"),
            ),
            "day": [date(2027, 1, 1) + timedelta(days=i % 365) for i in range(rows)],
            "blocked": [i % 3 == 0 for i in range(rows)],
        }
    )


def render_context() -> RenderContext:
    return RenderContext(
        run_id="rrun_01HZX3K5Q8V2N4M6P7R9T1W3Y5",
        organization_id="org_01HZX3K5Q8V2N4M6P7R9T1W3Y5",
        report_id="ops.render_benchmark",
        report_title="Render benchmark",
        report_version=1,
        columns=COLUMNS,
        timezone=TIMEZONE,
        period_start=START,
        period_end=START + timedelta(days=365),
        period_label="2027",
        truncated=False,
        generated_at=START,
    )


def python_columns(table: pa.Table) -> list[list[Any]]:
    return [column.to_pylist() for column in table.columns]


def baseline_csv(table: pa.Table, path: Path) -> None:
    pacsv.write_csv(table, str(path))


def baseline_json(table: pa.Table, path: Path) -> None:
    rows = list(zip(*python_columns(table), strict=True))
    document = {"columns": table.column_names, "rows": rows}
    path.write_bytes(orjson.dumps(document, default=str))


def baseline_xlsx(table: pa.Table, path: Path) -> None:
    # openpyxl rejects datetimes with a zone, so the loop gets the same local wall times.
    columns = []
    for field, column in zip(table.schema, table.columns, strict=True):
        if pat.is_timestamp(field.type):
            column = pc.local_timestamp(column.cast(pa.timestamp("us", tz=TIMEZONE)))
        columns.append(column.to_pylist())
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Data")
    sheet.append(table.column_names)
    for row in zip(*columns, strict=True):
        sheet.append(row)
    workbook.save(str(path))


def ours(renderer: Callable[[pa.Table, RenderContext, Path], None]) -> Render:
    def render(table: pa.Table, path: Path) -> None:
        renderer(table, render_context(), path)

    return render


CASES: dict[str, tuple[Render, Render, str]] = {
    "csv": (ours(render_csv), baseline_csv, "pyarrow.csv.write_csv"),
    "json": (ours(render_json), baseline_json, "orjson over tuples"),
    "xlsx": (ours(render_xlsx), baseline_xlsx, "bare openpyxl write-only loop"),
}


# --- PDF --------------------------------------------------------------------------------------


def _baseline_pdf_child(arrow_path: str, pdf_path: str, sender: Any) -> None:
    """Build a bare ReportLab document of the rows as text and send back the peak RSS."""
    from reportlab.lib.pagesizes import A4, landscape  # type: ignore[import-untyped]
    from reportlab.platypus import LongTable, SimpleDocTemplate  # type: ignore[import-untyped]

    with pa.memory_map(arrow_path) as source:
        table = pa.ipc.open_file(source).read_all()
    columns = []
    for field, column in zip(table.schema, table.columns, strict=True):
        if pat.is_timestamp(field.type):
            column = pc.local_timestamp(column.cast(pa.timestamp("us", tz=TIMEZONE)))
        columns.append(["" if v is None else str(v) for v in column.to_pylist()])
    rows = list(zip(*columns, strict=True))
    header = table.column_names
    flowables = []
    for start in range(0, len(rows), CHUNK_ROWS):
        chunk = LongTable([header, *rows[start : start + CHUNK_ROWS]], repeatRows=1)
        chunk.setStyle([("FONTSIZE", (0, 0), (-1, -1), 7.5)])
        flowables.append(chunk)
    SimpleDocTemplate(pdf_path, pagesize=landscape(A4)).build(flowables)
    sender.send(peak_rss_bytes())


def baseline_pdf(table: pa.Table, path: Path) -> int:
    """Run the bare ReportLab build in a spawned child; return its peak RSS in bytes."""
    arrow_path = path.with_suffix(".arrow")
    with (
        pa.OSFile(str(arrow_path), "wb") as sink,
        pa.ipc.new_file(sink, table.schema) as writer,
    ):
        writer.write_table(table)
    spawn = multiprocessing.get_context("spawn")
    receiver, sender = spawn.Pipe(duplex=False)
    child = spawn.Process(target=_baseline_pdf_child, args=(str(arrow_path), str(path), sender))
    child.start()
    peak = int(receiver.recv())
    child.join()
    return peak


def ours_pdf(table: pa.Table, path: Path) -> int:
    return render_pdf_bounded(table, render_context(), path).peak_rss_bytes


def compare_pdf(table: pa.Table, repeat: int) -> tuple[float, float, int, int]:
    """Return median seconds and the largest peak RSS of ours and of the baseline, in turns."""
    runs: dict[str, list[tuple[float, int]]] = {"ours": [], "base": []}
    cases = {"ours": ours_pdf, "base": baseline_pdf}
    with tempfile.TemporaryDirectory() as directory:
        for index in range(repeat):
            order = ("base", "ours") if index % 2 else ("ours", "base")
            for name in order:
                started = time.perf_counter()
                peak = cases[name](table, Path(directory, f"{name}.pdf"))
                runs[name].append((time.perf_counter() - started, peak))
    return (
        statistics.median(seconds for seconds, _ in runs["ours"]),
        statistics.median(seconds for seconds, _ in runs["base"]),
        max(peak for _, peak in runs["ours"]),
        max(peak for _, peak in runs["base"]),
    )


def seconds(render: Render, table: pa.Table, path: Path) -> float:
    """Time one render to `path`, which must not exist, and delete the file afterwards.

    A render writes a new artifact file. Overwriting one file instead would add the file
    system's truncation of the old contents, about 0.15 ms, to both sides.
    """
    started = time.perf_counter()
    render(table, path)
    elapsed = time.perf_counter() - started
    path.unlink()
    return elapsed


def compare(
    renderer: Render, baseline: Render, table: pa.Table, repeat: int
) -> tuple[float, float]:
    """Return the median seconds of `renderer` and of `baseline`, run in turns."""
    with tempfile.TemporaryDirectory() as directory:
        ours_path, base_path = Path(directory, "ours"), Path(directory, "baseline")
        seconds(renderer, table, ours_path)
        seconds(baseline, table, base_path)
        our_samples, base_samples = [], []
        for index in range(repeat):
            # Alternate which runs first, so neither always gets the warmer cache.
            if index % 2:
                base_samples.append(seconds(baseline, table, base_path))
                our_samples.append(seconds(renderer, table, ours_path))
            else:
                our_samples.append(seconds(renderer, table, ours_path))
                base_samples.append(seconds(baseline, table, base_path))
    return statistics.median(our_samples), statistics.median(base_samples)


def repeats_for(rows: int, repeat: int) -> int:
    # Small tables render in milliseconds, so they get more runs for a steady median.
    return repeat * max(1, math.isqrt(SIZES[-1] // rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--repeat", type=int, default=7, help="timed runs per case at 10,000 rows (more at fewer)"
    )
    parser.add_argument(
        "--pdf-repeat", type=int, default=3, help="timed runs per PDF case (each in a child)"
    )
    formats = [*CASES, "pdf"]
    parser.add_argument(
        "--formats", nargs="+", choices=formats, default=formats, help="formats to time"
    )
    args = parser.parse_args()

    results = []
    pdf_results = []
    for rows in SIZES:
        table = mixed_table(rows)
        for format_key in args.formats:
            if format_key == "pdf":
                pdf_results.append((rows, *compare_pdf(table, args.pdf_repeat)))
                continue
            renderer, baseline, baseline_name = CASES[format_key]
            mine, base = compare(renderer, baseline, table, repeats_for(rows, args.repeat))
            results.append((format_key, rows, mine, base, baseline_name))

    print(f"## Render time ({datetime.now(UTC):%Y-%m-%d})")
    print()
    print(
        f"Command: `python benchmarks/render.py --repeat {args.repeat} "
        f"--pdf-repeat {args.pdf_repeat} --formats {' '.join(args.formats)}`"
    )
    print(
        f"Machine: {platform.platform()}, {platform.machine()}, Python {platform.python_version()}"
    )
    if results:
        print()
        print(
            f"10 columns of mixed types; medians of {args.repeat} runs at 10,000 rows and more at "
            "fewer rows, each renderer in turns with its baseline."
        )
        print()
        print("| format | rows | ours ms | baseline ms | ratio | target | baseline |")
        print("|---|---:|---:|---:|---:|---:|---|")
        for format_key, rows, mine, base, baseline_name in results:
            ratio = mine / base
            verdict = "met" if ratio <= TARGETS[format_key] else "missed"
            print(
                f"| {format_key} | {rows:,} | {mine * 1000:.2f} | {base * 1000:.2f} | {ratio:.2f} "
                f"| {TARGETS[format_key]}x {verdict} | {baseline_name} |"
            )
    if pdf_results:
        print()
        print(
            f"PDF: medians of {args.pdf_repeat} runs, each in a fresh child process (start and "
            "imports included); peak RSS is the largest of the child's runs. Baseline: bare "
            f"ReportLab LongTables of {CHUNK_ROWS} rows, Helvetica, values as str()."
        )
        print()
        print("| rows | ours ms | baseline ms | ratio | ours RSS MiB | base RSS MiB | target |")
        print("|---:|---:|---:|---:|---:|---:|---|")
        for rows, mine, base, our_peak, base_peak in pdf_results:
            ratio = mine / base
            # The target applies at the largest size, where the fixed cost of starting the child
            # and importing WeasyPrint matters least.
            verdict = "—"
            if rows == SIZES[-1]:
                met = ratio <= TARGETS["pdf"] and mine < PDF_MAX_SECONDS and our_peak < PDF_MAX_RSS
                verdict = f"{TARGETS['pdf']}x, <10 s, <500 MiB {'met' if met else 'missed'}"
            print(
                f"| {rows:,} | {mine * 1000:.0f} | {base * 1000:.0f} | {ratio:.2f} "
                f"| {our_peak / 2**20:.0f} | {base_peak / 2**20:.0f} | {verdict} |"
            )


if __name__ == "__main__":
    main()
