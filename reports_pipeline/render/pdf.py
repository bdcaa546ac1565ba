"""PDF artifacts: a summary part made with WeasyPrint and a table part made with ReportLab.

The first part is HTML laid out by WeasyPrint. It shows the report's title, description, period,
time zone, generation time, row count, notes on changed values and kpi numbers. It also has one SVG
chart per bar, line or pie hint, for results of 1 to MAX_CHART_ROWS rows. WeasyPrint lays a table
out at about 9 ms a row (measured on a 2-core machine), so the rows are drawn by ReportLab instead:
`LongTable`s of CHUNK_ROWS rows, with the header repeated on every page and zebra rows. pypdf
joins the two parts. Every page has the report title and "page N of M" in its footer.

The branded PDF (`render_pdf_branded`) adds a cover page made from the run's `render_options`
(title, subtitle, organisation name and logo), brand colours for the cover, headings and the
table header, the title in every page header, and "Confidential — <organisation>" in every page
footer; see `branding` and `logo`. The logo is fetched in this process, before the child starts,
and a logo that cannot be fetched or is not an acceptable image is left out, with a note on the
summary page, in the document's metadata and in the log; the run does not fail.

Values are shown as text. Numbers get the metric's display format (`#,##0`, `0.00`,
`$#,##0.00`). A percent column's values are already in 0..100, so `%` is appended, never
multiplied. NaN and infinite numbers show as `NaN`, `Infinity` and `-Infinity`, decimals with
every digit, timestamps as wall-clock times in the report's time zone, and NULL as an empty cell.
Control characters are removed, long text is cut to MAX_CELL_CHARS characters or MAX_CELL_LINES
lines, and characters that no installed font has are replaced (see `fonts`). The first part counts
each kind of change. Right-to-left text is shaped and put in visual order for ReportLab (see
`rtl`); WeasyPrint shapes and orders it itself.

The render runs in a child process (`python -m reports_pipeline.render.pdf`) bounded by
MAX_SECONDS of wall time and MAX_MEMORY_BYTES of address space, so a runaway render fails this
format with a `PdfRenderError` instead of taking the worker down. WeasyPrint's URL fetcher rejects
every URL except the branded PDF's logo data: URI, because the template embeds everything it
shows.
"""

from __future__ import annotations

import heapq
import html
import io
import json
import logging
import math
import os
import re
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.types as pat

from reports_pipeline.egress import EgressPolicy
from reports_pipeline.errors import ReportsError
from reports_pipeline.render.branding import Branding, branding_from_options, text_color_on
from reports_pipeline.render.context import ChartSpec, ColumnMeta, RenderContext
from reports_pipeline.render.logo import Logo, LogoRejected, fetch_logo
from reports_pipeline.render.rtl import base_direction, has_rtl, visual_text
from reports_pipeline.settings import get_settings

logger = logging.getLogger(__name__)

MAX_SECONDS = 60.0
"""Wall time a PDF render may take, child process start included."""
MAX_MEMORY_BYTES = 1 << 30
"""Address space of the child process (RLIMIT_AS)."""
CHUNK_ROWS = 500
"""Rows per ReportLab table: one big table costs time and memory that grow faster than its rows."""
MAX_CHART_ROWS = 1_000
MAX_CHART_SERIES = 12
MAX_CELL_CHARS = 500
MAX_CELL_LINES = 6
LANDSCAPE_COLUMNS = 7
"""Tables with more columns than this are printed on landscape pages."""
FONT_SIZE = 7.5
CELL_PADDING = 4.0
MAX_COLUMN_WIDTH = 250.0
MARGIN = 42.5
"""Page margins in points (15 mm)."""
HEADER_FONT_SIZE = 8
FRAME_PADDING = 6.0
"""Padding in points inside the frame of ReportLab's SimpleDocTemplate, on each side."""
NO_DATA = "No data for this period"
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
BOOLEAN_TEXT = {True: "yes", False: "no"}

# Control characters other than tab and line feed; tab becomes a space.
CONTROL_CHARACTERS = r"[\x00-\x08\x0b-\x1f\x7f-\x9f\x{FFFE}\x{FFFF}]"
CONTROL_CHARACTERS_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\uFFFE\uFFFF]")
NUMBER_FORMAT = re.compile(r"(?P<currency>[$€£¥]?)(?P<digits>[#,0]*0)(?:\.(?P<decimals>0+))?%?")
CHART_TYPES = ("bar", "line", "pie")
# Messages on the child's stderr that mean it ran out of address space: Python's MemoryError,
# GLib's failed allocation or thread creation (Pango creates threads), and C++'s bad_alloc.
# NOTE: only the MemoryError and Pango thread cases were seen in tests. A child killed by a
# signal without one of these messages is reported as a plain failure.
MEMORY_SIGNS = (
    "MemoryError",
    "failed to allocate",
    "Error creating thread",
    "Cannot allocate memory",
    "std::bad_alloc",
)


class PdfRenderError(ReportsError):
    """The PDF render failed; the other formats of the run are not affected."""

    code = "render_failed"
    status = 500


class PdfRenderTimeout(PdfRenderError):
    """The PDF render took longer than its wall-time bound."""


class PdfRenderMemoryError(PdfRenderError):
    """The PDF render needed more memory than its bound."""


@dataclass
class RenderStats:
    """Measurements of one child render: wall time, peak RSS and the number of pages written."""

    seconds: float
    peak_rss_bytes: int
    pages: int


# --- The child process ------------------------------------------------------------------------


def render_pdf(table: pa.Table, context: RenderContext, path: Path) -> None:
    """Write `table` as a PDF, rendered in a bounded child process."""
    render_pdf_bounded(table, context, path)


def render_pdf_branded(table: pa.Table, context: RenderContext, path: Path) -> None:
    """Write `table` as a branded PDF, rendered in a bounded child process."""
    render_pdf_bounded(table, context, path, branding=load_branding(context))


def load_branding(context: RenderContext, policy: EgressPolicy | None = None) -> Branding:
    """Return the run's branding with its logo fetched, or with a note on why it is left out.

    The egress policy comes from the settings unless `policy` is given.
    """
    branding = branding_from_options(context.render_options)
    if not branding.logo_url:
        return branding
    if policy is None:
        policy = EgressPolicy.from_settings(get_settings())
    try:
        logo = fetch_logo(branding.logo_url, policy)
    except (ReportsError, LogoRejected) as error:
        reason = _without_url(str(error), branding.logo_url)
        logger.warning("run %s: branded PDF without its logo: %s", context.run_id, reason)
        return branding.with_logo(None, f"Logo not shown: {reason}")
    except Exception as error:  # a logo is decoration: no failure of its own fails the run
        reason = f"unexpected {type(error).__name__} while fetching it"
        logger.warning(
            "run %s: branded PDF without its logo: %s", context.run_id, reason, exc_info=True
        )
        return branding.with_logo(None, f"Logo not shown: {reason}")
    return branding.with_logo(logo)


def _without_url(message: str, url: str) -> str:
    # A logo URL may carry a signed query string, so messages name it only as "the logo URL".
    return message.replace(repr(url), "the logo URL").replace(url, "the logo URL")


def render_pdf_bounded(
    table: pa.Table,
    context: RenderContext,
    path: Path,
    *,
    branding: Branding | None = None,
    max_seconds: float | None = None,
    max_memory_bytes: int | None = None,
) -> RenderStats:
    """Render in a child process within the bounds (the module constants by default).

    With `branding`, the PDF is the branded one; its logo must already be fetched.
    """
    seconds = MAX_SECONDS if max_seconds is None else max_seconds
    memory = MAX_MEMORY_BYTES if max_memory_bytes is None else max_memory_bytes
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="reports-pdf-") as directory:
        work = Path(directory)
        with (
            pa.OSFile(str(work / "table.arrow"), "wb") as sink,
            pa.ipc.new_file(sink, table.schema) as writer,
        ):
            writer.write_table(table)
        (work / "context.json").write_text(json.dumps(_context_to_json(context)), "utf-8")
        if branding is not None:
            _write_branding(branding, work)
        command = [
            sys.executable,
            "-m",
            "reports_pipeline.render.pdf",
            str(work),
            str(Path(path).absolute()),
            str(memory),
        ]
        # The system allocator, and few malloc arenas, keep the address space near the RSS.
        env = {**os.environ, "ARROW_DEFAULT_MEMORY_POOL": "system", "MALLOC_ARENA_MAX": "2"}
        child = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            _, stderr = child.communicate(timeout=seconds)
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            raise PdfRenderTimeout(f"PDF render exceeded {seconds:g} s") from None
        outcome_path = work / "outcome.json"
        outcome = json.loads(outcome_path.read_text("utf-8")) if outcome_path.exists() else {}
    if outcome.get("ok"):
        return RenderStats(
            time.perf_counter() - started, int(outcome["peak_rss_bytes"]), int(outcome["pages"])
        )
    error_text = stderr.decode("utf-8", "replace")
    if outcome.get("error") == "memory" or any(sign in error_text for sign in MEMORY_SIGNS):
        raise PdfRenderMemoryError(f"PDF render exceeded {memory / 2**20:,.0f} MiB of memory")
    if child.returncode < 0:
        raise PdfRenderError(f"PDF render process died of signal {-child.returncode}")
    last_lines = error_text.strip().splitlines()[-1:] or ["no message"]
    detail = outcome.get("message") or last_lines[0]
    raise PdfRenderError(f"PDF render failed: {detail}")


def peak_rss_bytes() -> int:
    """Return this process's peak resident set size.

    On Linux, getrusage's ru_maxrss survives execve, so a child started from a large parent
    would report the parent's peak; /proc/self/status VmHWM belongs to the new image alone.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _child_main(argv: Sequence[str]) -> int:
    work, target, memory = Path(argv[0]), Path(argv[1]), int(argv[2])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    outcome: dict[str, Any]
    try:
        with pa.memory_map(str(work / "table.arrow")) as source:
            table = pa.ipc.open_file(source).read_all()
        context = _context_from_json(json.loads((work / "context.json").read_text("utf-8")))
        pages = render_pdf_here(table, context, target, branding=_read_branding(work))
        outcome = {"ok": True, "pages": pages, "peak_rss_bytes": peak_rss_bytes()}
    except MemoryError:
        outcome = {"ok": False, "error": "memory"}
    except Exception as error:  # reported to the parent, which raises PdfRenderError
        outcome = {"ok": False, "error": type(error).__name__, "message": str(error)[:500]}
    (work / "outcome.json").write_text(json.dumps(outcome), "utf-8")
    return 0 if outcome["ok"] else 1


def _context_to_json(context: RenderContext) -> dict[str, Any]:
    data = asdict(context)
    for key in ("period_start", "period_end", "generated_at"):
        value = data[key]
        data[key] = value.isoformat() if value is not None else None
    data["render_options"] = json.loads(json.dumps(data["render_options"], default=str))
    return data


def _write_branding(branding: Branding, work: Path) -> None:
    data = asdict(branding)
    logo = data.pop("logo")
    if logo is not None:
        (work / "logo").write_bytes(logo["content"])
        data["logo_content_type"] = logo["content_type"]
    (work / "branding.json").write_text(json.dumps(data), "utf-8")


def _read_branding(work: Path) -> Branding | None:
    path = work / "branding.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text("utf-8"))
    content_type = data.pop("logo_content_type", None)
    logo = None if content_type is None else Logo((work / "logo").read_bytes(), content_type)
    return Branding(**{**data, "notes": tuple(data["notes"]), "logo": logo})


def _context_from_json(data: dict[str, Any]) -> RenderContext:
    for key in ("period_start", "period_end", "generated_at"):
        if data[key] is not None:
            data[key] = datetime.fromisoformat(data[key])
    data["columns"] = tuple(ColumnMeta(**column) for column in data["columns"])
    data["chart_hints"] = tuple(
        ChartSpec(**{**hint, "y": tuple(hint["y"])}) for hint in data["chart_hints"]
    )
    return RenderContext(**data)


# --- Values -----------------------------------------------------------------------------------


@dataclass
class Counts:
    """Values changed so they print, counted for the notes of the first part."""

    non_finite: int = 0
    control_characters: int = 0
    truncated_text: int = 0
    replaced_characters: int = 0


@dataclass
class DisplayFormat:
    currency: str = ""
    grouping: bool = False
    decimals: int | None = None
    percent: bool = False

    def apply(self, value: float | int | Decimal) -> str:
        spec = ("," if self.grouping else "") + (
            f".{self.decimals}f" if self.decimals is not None else ""
        )
        if isinstance(value, float) and self.decimals is None:
            text = format(value, f"{',' if self.grouping else ''}.15g")
        elif isinstance(value, Decimal) and self.decimals is None:
            text = format(value, f"{',' if self.grouping else ''}f")
        else:
            text = format(value, spec)
        if text.startswith("-") and self.currency:
            text = f"-{self.currency}{text[1:]}"
        elif self.currency:
            text = self.currency + text
        return text + ("%" if self.percent else "")


def display_format(meta: ColumnMeta) -> DisplayFormat:
    """Return how the metric's `format` shows a number; unknown formats show it plainly."""
    result = DisplayFormat(percent=meta.unit == "percent")
    match = NUMBER_FORMAT.fullmatch(meta.format or "")
    if match is None:
        return result
    result.currency = match["currency"]
    result.grouping = "," in match["digits"]
    result.decimals = len(match["decimals"] or "")
    result.percent = result.percent or (meta.format or "").endswith("%")
    return result


def clean_text(text: str, counts: Counts) -> str:
    """Remove control characters and cut `text` to MAX_CELL_CHARS characters."""
    text, removed = CONTROL_CHARACTERS_RE.subn("", text.replace("\t", " "))
    if removed:
        counts.control_characters += 1
    if len(text) > MAX_CELL_CHARS:
        counts.truncated_text += 1
        text = text[: MAX_CELL_CHARS - 1] + "…"
    return text


def _non_finite_text(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _local_times(column: pa.ChunkedArray, kind: pa.DataType, timezone: str) -> list[Any]:
    # A timestamp without a zone is UTC, as in the other artifacts.
    instants = column.cast(pa.timestamp("us", tz=kind.tz or "UTC"), safe=False)
    return pc.local_timestamp(instants.cast(pa.timestamp("us", tz=timezone))).to_pylist()  # type: ignore[no-any-return]


def display_column(
    column: pa.ChunkedArray, kind: pa.DataType, meta: ColumnMeta, timezone: str, counts: Counts
) -> tuple[list[str], str]:
    """Return the column's values as display texts, and how they are laid out: "number"
    (right-aligned, never wrapped), "fixed" (never wrapped) or "text"."""
    if pat.is_dictionary(kind):
        kind = kind.value_type
        column = column.cast(kind)
    if pat.is_string(kind) or pat.is_large_string(kind):
        texts = []
        for value in column.to_pylist():
            texts.append("" if value is None else clean_text(value, counts))
        return texts, "text"
    if pat.is_integer(kind) or pat.is_decimal(kind):
        shape = display_format(meta)
        return ["" if v is None else shape.apply(v) for v in column.to_pylist()], "number"
    if pat.is_floating(kind):
        shape = display_format(meta)
        texts = []
        for value in column.to_pylist():
            if value is None:
                texts.append("")
            elif math.isfinite(value):
                texts.append(shape.apply(value))
            else:
                counts.non_finite += 1
                texts.append(_non_finite_text(value))
        return texts, "number"
    if pat.is_timestamp(kind):
        values = _local_times(column, kind, timezone)
        return ["" if v is None else v.strftime(TIMESTAMP_FORMAT) for v in values], "fixed"
    if pat.is_date(kind):
        return ["" if v is None else v.isoformat() for v in column.to_pylist()], "fixed"
    if pat.is_boolean(kind):
        return ["" if v is None else BOOLEAN_TEXT[v] for v in column.to_pylist()], "fixed"
    texts = ["" if v is None else clean_text(str(v), counts) for v in column.to_pylist()]
    return texts, "text"


def _column_metas(table: pa.Table, context: RenderContext) -> list[ColumnMeta]:
    by_name = {meta.name: meta for meta in context.columns}
    return [by_name.get(name, ColumnMeta(name, name, "string")) for name in table.column_names]


# --- The table part ---------------------------------------------------------------------------


@dataclass
class TablePart:
    """The table's cells, fitted to the installed fonts, and per-cell font overrides."""

    header: list[Any]
    columns: list[list[Any]]
    right_aligned: list[bool]
    widths: list[float]
    # (column, row) -> font, for cells whose text one non-main font has; row 0 is the header.
    cell_fonts: dict[tuple[int, int], str] = field(default_factory=dict)
    # (column, row) of cells whose text starts with a right-to-left character.
    rtl_cells: set[tuple[int, int]] = field(default_factory=set)


@dataclass(frozen=True)
class TableColors:
    """Colours of the table's header row, as #RRGGBB."""

    header_background: str = "#DDE3EA"
    header_text: str = "#000000"
    header_rule: str = "#555566"

    @classmethod
    def of(cls, branding: Branding | None) -> TableColors:
        if branding is None:
            return cls()
        primary = branding.primary_color
        return cls(primary, text_color_on(primary), branding.accent_color)


def _fit_cells(
    texts: list[str], fonts: Any, counts: Counts, style: Any
) -> tuple[list[Any], dict[int, str], set[int]]:
    """Fit each text to the installed fonts: a plain string, or a Paragraph of font runs.

    Also return the font of each row that one non-main font draws, and the rows whose text
    starts with a right-to-left character, which are right-aligned.
    """
    from reportlab.platypus import Paragraph  # type: ignore[import-untyped]

    fitted: list[Any] = []
    fonts_by_row: dict[int, str] = {}
    rtl_rows: set[int] = set()
    for row, text in enumerate(texts):
        if text.isascii():
            fitted.append(text)
            continue
        if has_rtl(text):
            if base_direction(text) == "rtl":
                rtl_rows.add(row)
            text = visual_text(text)
        text, font, replaced = fonts.fit(text)
        counts.replaced_characters += replaced
        if isinstance(font, str):
            if font != fonts.regular:
                fonts_by_row[row] = font
            fitted.append(text)
        else:
            markup = "".join(
                f'<font face="{face}">{html.escape(part, quote=False)}</font>'.replace(
                    "\n", "<br/>"
                )
                for face, part in font
            )
            fitted.append(Paragraph(markup, style))
    return fitted, fonts_by_row, rtl_rows


def _wrap(text: str, chars: int, counts: Counts) -> str:
    if len(text) <= chars and "\n" not in text:
        return text
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(textwrap.wrap(paragraph, chars, break_long_words=True) or [""])
    if len(lines) > MAX_CELL_LINES:
        counts.truncated_text += 1
        lines = [*lines[: MAX_CELL_LINES - 1], lines[MAX_CELL_LINES - 1][: chars - 1] + "…"]
    return "\n".join(lines)


def wrap_label(label: str, available: float, fonts: Any) -> str:
    """Return a column label broken into lines at spaces, each at most `available` points wide
    in the header's bold font. A word wider than that is broken too."""
    from reportlab.pdfbase.pdfmetrics import stringWidth  # type: ignore[import-untyped]

    def width(text: str) -> float:
        return float(stringWidth(text, fonts.bold, HEADER_FONT_SIZE))

    if width(label) <= available:
        return label
    lines: list[str] = []
    for word in label.split():
        while len(word) > 1 and width(word) > available:
            cut = len(word) - 1
            while cut > 1 and width(word[:cut]) > available:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        if lines and width(f"{lines[-1]} {word}") <= available:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return "\n".join(lines)


def natural_widths(labels: list[str], columns: list[list[str]], fonts: Any) -> list[float]:
    """Return each column's width in points for its widest line.

    Only the longest lines by character count are measured, so a column costs one pass of `len`.
    """
    from reportlab.pdfbase.pdfmetrics import stringWidth

    natural = []
    for label, texts in zip(labels, columns, strict=True):
        lines = {line for text in texts for line in text.split("\n")} if texts else set()
        longest = heapq.nlargest(5, lines, key=len)
        width = max((stringWidth(line, fonts.regular, FONT_SIZE) for line in longest), default=0)
        words = label.split() or [""]
        label_width = max(stringWidth(word, fonts.bold, HEADER_FONT_SIZE) for word in words)
        natural.append(max(width, label_width, 20.0) + CELL_PADDING * 2 + 1)
    return natural


def column_widths(natural: list[float], kinds: list[str], available: float) -> list[float]:
    """Fit the natural widths into `available` points.

    Numbers, times and dates keep their width. Text columns narrower than a fair share of the
    rest keep theirs too, and the wider ones share what is left. When even that does not fit,
    every column shrinks in proportion, and long numbers wrap.
    """
    if sum(natural) <= available:
        return natural
    kept = {i for i, kind in enumerate(kinds) if kind != "text"}
    if len(kept) == len(natural) or sum(natural[i] for i in kept) > available * 0.7:
        return [width * available / sum(natural) for width in natural]
    while len(kept) < len(natural) - 1:
        wide = [i for i in range(len(natural)) if i not in kept]
        share = (available - sum(natural[i] for i in kept)) / len(wide)
        narrow = {i for i in wide if natural[i] <= share}
        if not narrow:
            break
        kept |= narrow
    rest = available - sum(natural[i] for i in kept)
    wide_total = sum(width for i, width in enumerate(natural) if i not in kept)
    return [width if i in kept else width * rest / wide_total for i, width in enumerate(natural)]


def _build_table_part(
    table: pa.Table,
    context: RenderContext,
    metas: list[ColumnMeta],
    fonts: Any,
    counts: Counts,
    table_colors: TableColors,
) -> tuple[TablePart, bool]:
    """Return the table's cells and widths, and whether its pages are landscape."""
    from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
    from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]

    style = ParagraphStyle(
        "cell", fontName=fonts.regular, fontSize=FONT_SIZE, leading=FONT_SIZE * 1.2
    )
    texts: list[list[str]] = []
    kinds: list[str] = []
    for field_, column, meta in zip(table.schema, table.columns, metas, strict=True):
        values, kind = display_column(column, field_.type, meta, context.timezone, counts)
        texts.append(values)
        kinds.append(kind)
    labels = [clean_text(meta.label, Counts()) for meta in metas]
    measured = natural_widths(labels, texts, fonts)
    natural = [min(width, MAX_COLUMN_WIDTH) for width in measured]
    portrait = A4[0] - 2 * MARGIN
    wide = len(metas) > LANDSCAPE_COLUMNS or sum(natural) > portrait
    widths = column_widths(natural, kinds, A4[1] - 2 * MARGIN if wide else portrait)
    part = TablePart([], [], [kind == "number" for kind in kinds], widths)
    for index, (values, width) in enumerate(zip(texts, widths, strict=True)):
        # 0.62 em is a little wider than DejaVu Sans's average letter, so wrapped lines fit.
        chars = max(4, int((width - 2 * CELL_PADDING) / (FONT_SIZE * 0.62)))
        if width < measured[index] - 0.01:
            values = [_wrap(text, chars, counts) for text in values]
        fitted, by_row, rtl_rows = _fit_cells(values, fonts, counts, style)
        part.columns.append(fitted)
        for row, font in by_row.items():
            part.cell_fonts[index, row + 1] = font
        part.rtl_cells.update((index, row + 1) for row in rtl_rows)
    header_style = ParagraphStyle(
        "head",
        parent=style,
        fontName=fonts.bold,
        fontSize=HEADER_FONT_SIZE,
        textColor=table_colors.header_text,
    )
    for index, label in enumerate(labels):
        wrapped = wrap_label(label, widths[index] - 2 * CELL_PADDING, fonts)
        fitted, by_row, rtl_rows = _fit_cells([wrapped], fonts, Counts(), header_style)
        part.header.append(fitted[0])
        if by_row:
            part.cell_fonts[index, 0] = by_row[0]
        if rtl_rows:
            part.rtl_cells.add((index, 0))
    return part, wide


def _cell_style(part: TablePart) -> list[tuple[Any, ...]]:
    """Return the style commands that the header table and the body tables share."""
    commands: list[tuple[Any, ...]] = [
        ("LEADING", (0, 0), (-1, -1), FONT_SIZE * 1.2),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
    ]
    for index, aligned in enumerate(part.right_aligned):
        if aligned:
            commands.append(("ALIGN", (index, 0), (index, -1), "RIGHT"))
    return commands


def _cell_overrides(part: TablePart, first_row: int, rows: int) -> list[tuple[Any, ...]]:
    """Return the per-cell font and alignment commands for the part's rows first_row + 1 to
    first_row + rows (row 0 is the header), numbered from 0 in the table that draws them."""
    commands: list[tuple[Any, ...]] = []

    def local(row: int) -> int | None:
        return row - first_row - 1 if first_row < row <= first_row + rows else None

    for (column, row), font in part.cell_fonts.items():
        at = local(row)
        if at is not None:
            commands.append(("FONTNAME", (column, at), (column, at), font))
    for column, row in part.rtl_cells:
        at = local(row)
        if at is not None and not part.right_aligned[column]:
            commands.append(("ALIGN", (column, at), (column, at), "RIGHT"))
    return commands


def header_table(part: TablePart, fonts: Any, table_colors: TableColors) -> Any:
    """Return the header row as a one-row Table, drawn at the top of every table page."""
    from reportlab.lib import colors  # type: ignore[import-untyped]
    from reportlab.platypus import Table

    header = Table([part.header], colWidths=part.widths)
    header.setStyle(
        [
            ("FONTNAME", (0, 0), (-1, 0), fonts.bold),
            ("FONTSIZE", (0, 0), (-1, 0), HEADER_FONT_SIZE),
            ("TEXTCOLOR", (0, 0), (-1, 0), colors.HexColor(table_colors.header_text)),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(table_colors.header_background)),
            ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor(table_colors.header_rule)),
            *_cell_style(part),
            *_cell_overrides(part, -1, 1),
        ]
    )
    return header


def table_flowables(part: TablePart, fonts: Any, row_count: int) -> list[Any]:
    """Return the body as one LongTable per CHUNK_ROWS rows, or the no-data message.

    The chunks have no header row: `header_table` is drawn on each page instead, so every page
    has the header exactly once, also where one chunk ends and the next begins.
    """
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import LongTable, Paragraph

    if row_count == 0:
        empty = ParagraphStyle("empty", fontName=fonts.regular, fontSize=14, leading=18)
        return [Paragraph(NO_DATA, empty)]
    flowables = []
    rows = list(zip(*part.columns, strict=True))
    zebra = [colors.white, colors.HexColor("#f3f5f7")]
    for start in range(0, row_count, CHUNK_ROWS):
        chunk = rows[start : start + CHUNK_ROWS]
        flowable = LongTable(chunk, colWidths=part.widths, splitInRow=1)
        flowable.setStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), fonts.regular),
                ("FONTSIZE", (0, 0), (-1, -1), FONT_SIZE),
                # CHUNK_ROWS is even, so the stripes continue across chunks.
                ("ROWBACKGROUNDS", (0, 0), (-1, -1), zebra),
                *_cell_style(part),
                *_cell_overrides(part, start, len(chunk)),
            ]
        )
        flowables.append(flowable)
    return flowables


@dataclass(frozen=True)
class PageMarks:
    """Text written in the margins of every table page, as (font, text) runs to draw in order.

    The footer's left side has `footer` and its right side "page N of M"; the header, when
    given, is drawn at the top left.
    """

    footer: list[tuple[str, str]]
    footer_color: str = "#595959"
    header: list[tuple[str, str]] = field(default_factory=list)
    header_color: str = "#595959"


def text_runs(text: str, fonts: Any, max_chars: int = 120) -> list[tuple[str, str]]:
    """Return `text`, cut to `max_chars`, in visual order as (font, text) runs for drawing."""
    text = CONTROL_CHARACTERS_RE.sub("", " ".join(text.split()))
    if len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    fitted, font, _ = fonts.fit(visual_text(text))
    return [(font, fitted)] if isinstance(font, str) else list(font)


def _draw_runs(canvas: Any, x: float, y: float, runs: list[tuple[str, str]], size: float) -> None:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    for font, text in runs:
        canvas.setFont(font, size)
        canvas.drawString(x, y, text)
        x += stringWidth(text, font, size)


def _numbered_canvas(marks: PageMarks, page_font: str, offset: int, counter: list[int]) -> Any:
    """Return a canvas class that writes the page marks and "page N of M" on each page when
    the document is saved."""
    from reportlab.lib import colors
    from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

    margin = 15 * 2.8346
    baseline = 10 * 2.8346

    class NumberedCanvas(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - ReportLab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = offset + len(self._pages)
            counter[0] = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                width, height = self._pagesize
                self.setFillColor(colors.HexColor(marks.footer_color))
                _draw_runs(self, margin, baseline, marks.footer, 8)
                self.setFillGray(0.35)
                self.setFont(page_font, 8)
                self.drawRightString(
                    width - margin, baseline, f"page {offset + self._pageNumber} of {total}"
                )
                if marks.header:
                    self.setFillColor(colors.HexColor(marks.header_color))
                    _draw_runs(self, margin, height - baseline - 8, marks.header, 8)
                super().showPage()
            super().save()

    return NumberedCanvas


# --- The first part ---------------------------------------------------------------------------


def _local_text(value: datetime | None, zone: ZoneInfo) -> str:
    if value is None:
        return "—"
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z (UTC%z)")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | Decimal):
        number = float(value)
        return number if math.isfinite(number) else None
    return None


def _category(value: Any) -> str:
    if value is None:
        return "(blank)"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return CONTROL_CHARACTERS_RE.sub("", str(value))


def _charts(
    table: pa.Table, context: RenderContext, metas: list[ColumnMeta], notes: list[str]
) -> tuple[list[str], list[str]]:
    """Return the kpi boxes and chart figures of the first part as HTML."""
    from reports_pipeline.render import svg_charts

    labels = {meta.name: meta.label for meta in metas}
    hints = [hint for hint in context.chart_hints if hint.type in (*CHART_TYPES, "kpi")]
    if not hints or table.num_rows == 0:
        return [], []
    if table.num_rows > MAX_CHART_ROWS:
        notes.append(
            f"No charts: the result has {table.num_rows:,} rows, and charts are drawn for at "
            f"most {MAX_CHART_ROWS:,}."
        )
        return [], []
    names = set(table.column_names)
    kpis: list[str] = []
    figures: list[str] = []
    for hint in hints:
        missing = [name for name in (hint.x, *hint.y, hint.series) if name and name not in names]
        if missing:
            notes.append(f"No {hint.type} chart: not in the result: {', '.join(missing)}.")
            continue
        if hint.type == "kpi":
            kpis.extend(_kpi_boxes(table, context, hint, metas, labels))
            continue
        title = hint.title or (
            f"{', '.join(labels.get(y, y) for y in hint.y)} by {labels.get(hint.x, hint.x)}"
        )
        x_values = [_category(v) for v in table.column(hint.x).to_pylist()]
        ys = {y: [_number(v) for v in table.column(y).to_pylist()] for y in hint.y}
        if hint.type == "pie":
            svg = svg_charts.pie_chart(x_values, ys[hint.y[0]])
        else:
            categories, series = _series(hint, x_values, ys, table, labels)
            draw = svg_charts.bar_chart if hint.type == "bar" else svg_charts.line_chart
            svg = draw(categories, series)
        figures.append(f'<div class="chart"><h3>{html.escape(_category(title))}</h3>{svg}</div>')
    return kpis, figures


def _series(
    hint: ChartSpec,
    x_values: list[str],
    ys: dict[str, list[float | None]],
    table: pa.Table,
    labels: dict[str, str],
) -> tuple[list[str], list[tuple[str, list[float | None]]]]:
    """Return categories and series; a series column splits each y column by its values."""
    if hint.series:
        names = [_category(v) for v in table.column(hint.series).to_pylist()]
        distinct = list(dict.fromkeys(names))
        categories = list(dict.fromkeys(x_values))
        if len(distinct) * len(hint.y) <= MAX_CHART_SERIES:
            position = {category: index for index, category in enumerate(categories)}
            series = []
            for y in hint.y:
                for name in distinct:
                    values: list[float | None] = [None] * len(categories)
                    for x, s, v in zip(x_values, names, ys[y], strict=True):
                        if s == name:
                            values[position[x]] = v
                    label = name if len(hint.y) == 1 else f"{labels.get(y, y)}: {name}"
                    series.append((label, values))
            return categories, series
    return x_values, [(labels.get(y, y), ys[y]) for y in hint.y]


def _kpi_boxes(
    table: pa.Table,
    context: RenderContext,
    hint: ChartSpec,
    metas: list[ColumnMeta],
    labels: dict[str, str],
) -> list[str]:
    by_name = {meta.name: meta for meta in metas}
    boxes = []
    for y in hint.y:
        texts, _ = display_column(
            table.column(y).slice(0, 1),
            table.schema.field(y).type,
            by_name[y],
            context.timezone,
            Counts(),
        )
        suffix = "" if table.num_rows == 1 else f" (first of {table.num_rows:,} rows)"
        boxes.append(
            f'<div class="kpi"><div class="value">{html.escape(texts[0] or "—")}</div>'
            f'<div class="label">{html.escape(_category(labels.get(y, y)) + suffix)}</div></div>'
        )
    return boxes


def _rejecting_url_fetcher(logo: Logo | None = None) -> Any:
    """Return a WeasyPrint URL fetcher that serves the logo's data: URI, if given, and rejects
    every other URL, recording it in `rejected`."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # type: ignore[import-untyped]

    served = {logo.data_uri(): logo} if logo is not None else {}

    class RejectingURLFetcher(URLFetcher):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(allowed_protocols=())
            self.rejected: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> Any:  # noqa: ARG002
            if url in served:
                image = served[url]
                return URLFetcherResponse(url, image.content, {"Content-Type": image.content_type})
            self.rejected.append(url)
            raise ValueError(f"URL fetching is disabled for PDF reports: rejected {url[:200]}")

    return RejectingURLFetcher()


def _escaped(value: str) -> str:
    return html.escape(CONTROL_CHARACTERS_RE.sub("", value))


def _dir(text: str) -> str:
    """Return the HTML `dir` attribute for text that starts with a right-to-left character."""
    return ' dir="rtl"' if base_direction(text) == "rtl" else ""


def _about_rows(rows: list[tuple[str, str]]) -> str:
    return "\n".join(f"<tr><th>{_escaped(k)}</th><td>{_escaped(v)}</td></tr>" for k, v in rows)


def cover_html(context: RenderContext, branding: Branding) -> str:
    """Return the branded PDF's cover page: logo, organisation, title, subtitle, period and the
    confidentiality line."""
    from reports_pipeline.render.pdf_template import COVER

    zone = ZoneInfo(context.timezone)
    title = branding.title or context.report_title or "Report"
    logo = ""
    if branding.logo is not None:
        logo = f'<div class="logo"><img src="{branding.logo.data_uri()}" alt=""></div>'
    about = [
        ("Period", context.period_label or "—"),
        ("Period start", _local_text(context.period_start, zone)),
        ("Period end", _local_text(context.period_end, zone)),
        ("Generated at", _local_text(context.generated_at, ZoneInfo("UTC"))),
    ]
    return COVER.substitute(
        logo=logo,
        organisation=_escaped(branding.organization_name),
        organisation_dir=_dir(branding.organization_name),
        title=_escaped(title),
        title_dir=_dir(title),
        subtitle=_escaped(branding.subtitle),
        subtitle_dir=_dir(branding.subtitle),
        about=_about_rows(about),
        confidential=_escaped(branding.confidentiality),
        confidential_dir=_dir(branding.confidentiality),
    )


def first_part_html(
    table: pa.Table,
    context: RenderContext,
    metas: list[ColumnMeta],
    counts: Counts,
    total_pages: int,
    landscape: bool,
    branding: Branding | None = None,
) -> str:
    from reports_pipeline.render.pdf_template import BRANDED_PAGE, FIRST_PART, PLAIN_PAGE

    zone = ZoneInfo(context.timezone)
    notes: list[str] = [
        f"Times are wall-clock times in {context.timezone}.",
    ]
    if branding is not None:
        notes.extend(branding.notes)
    kpis, charts = _charts(table, context, metas, notes)
    rows_text = f"{table.num_rows:,}"
    if context.truncated:
        rows_text += f" (the result was cut to the report's limit of {table.num_rows:,} rows)"
        notes.append(f"Truncated: only the first {table.num_rows:,} rows of the result are shown.")
    change_notes = {
        "non_finite": "NaN or infinite numbers shown as NaN, Infinity or -Infinity",
        "control_characters": "Cells with control characters removed",
        "truncated_text": f"Cells cut to {MAX_CELL_CHARS} characters or {MAX_CELL_LINES} lines",
        "replaced_characters": "Characters that no installed font has, shown as \ufffd",
    }
    for key, label in change_notes.items():
        value = getattr(counts, key)
        if value:
            notes.append(f"{label}: {value:,}.")
    about = [
        ("Period start", _local_text(context.period_start, zone)),
        ("Period end", _local_text(context.period_end, zone)),
        ("Period", context.period_label or "—"),
        ("Time zone", context.timezone),
        ("Generated at", _local_text(context.generated_at, ZoneInfo("UTC"))),
        ("Rows", rows_text),
        ("Report", f"{context.report_id} v{context.report_version}"),
        ("Run", context.run_id),
    ]
    page = {"page_size": "A4 landscape" if landscape else "A4", "total_pages": str(total_pages)}
    if branding is None:
        page_style = PLAIN_PAGE.substitute(page)
        cover = ""
    else:
        page_style = BRANDED_PAGE.substitute(
            page, primary=branding.primary_color, accent=branding.accent_color
        )
        cover = cover_html(context, branding)
    title = context.report_title
    return FIRST_PART.substitute(
        page_style=page_style,
        cover=cover,
        title=_escaped(title) or "Report",
        title_dir=_dir(title),
        description=_escaped(context.description),
        description_dir=_dir(context.description),
        about=_about_rows(about),
        empty=f'<div class="empty">{NO_DATA}</div>' if table.num_rows == 0 else "",
        kpis=f'<div class="kpis">{"".join(kpis)}</div>' if kpis else "",
        charts="\n".join(charts),
        notes="\n".join(f"<li{_dir(note)}>{_escaped(note)}</li>" for note in notes),
    )


# --- The whole document -----------------------------------------------------------------------


def render_pdf_here(
    table: pa.Table, context: RenderContext, path: Path, *, branding: Branding | None = None
) -> int:
    """Render in this process, without bounds; return the number of pages.

    With `branding`, the PDF is the branded one; its logo must already be fetched.
    """
    from pypdf import PdfWriter
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm  # type: ignore[import-untyped]
    from reportlab.platypus import SimpleDocTemplate
    from weasyprint import HTML  # type: ignore[import-untyped]

    from reports_pipeline.render.fonts import FontSet

    fonts = FontSet.discover()
    metas = _column_metas(table, context)
    counts = Counts()
    table_colors = TableColors.of(branding)
    part, wide = _build_table_part(table, context, metas, fonts, counts, table_colors)
    page_size = landscape(A4) if wide else A4
    margin = MARGIN

    def first_part(total_pages: int) -> str:
        return first_part_html(table, context, metas, counts, total_pages, wide, branding)

    fetcher = _rejecting_url_fetcher(branding.logo if branding else None)
    # WeasyPrint draws a character no font has as a box in a font PDF readers cannot map back
    # to text, so such characters of the first part are replaced like those of the table.
    # NOTE: a chart label taken from a data cell is counted again here, so the note's count can
    # exceed the number of distinct replaced characters.
    _, first_replaced = fonts.replace_missing(first_part(0))
    counts.replaced_characters += first_replaced
    draft, _ = fonts.replace_missing(first_part(0))
    first_pages = len(HTML(string=draft, url_fetcher=fetcher).render().pages)

    title = CONTROL_CHARACTERS_RE.sub("", context.report_title)
    if branding is None:
        marks = PageMarks(footer=text_runs(title, fonts))
    else:
        marks = PageMarks(
            footer=text_runs(branding.confidentiality, fonts),
            footer_color=branding.accent_color,
            header=text_runs(branding.title or title, fonts),
            header_color=branding.primary_color,
        )
    table_pages = [0]
    body = io.BytesIO()
    header = header_table(part, fonts, table_colors)
    _, header_height = header.wrap(page_size[0], page_size[1])
    header_x = (page_size[0] - sum(part.widths)) / 2
    header_y = page_size[1] - margin - header_height

    def draw_header(canvas: Any, _: Any) -> None:
        header.drawOn(canvas, header_x, header_y)

    # The frame's top padding of FRAME_PADDING points separates it from the header above.
    document = SimpleDocTemplate(
        body,
        pagesize=page_size,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin + header_height - FRAME_PADDING,
        bottomMargin=18 * mm,
        title=title,
    )
    document.build(
        table_flowables(part, fonts, table.num_rows),
        onFirstPage=draw_header,
        onLaterPages=draw_header,
        canvasmaker=_numbered_canvas(marks, fonts.regular, first_pages, table_pages),
    )
    total = first_pages + table_pages[0]
    final, _ = fonts.replace_missing(first_part(total))
    summary = HTML(string=final, url_fetcher=fetcher).write_pdf()

    writer = PdfWriter()
    writer.append(io.BytesIO(summary))
    writer.append(body)
    metadata = {"/Title": title, "/Producer": "Reports API"}
    if branding is not None:
        metadata["/Author"] = CONTROL_CHARACTERS_RE.sub("", branding.organization_name)
        if branding.notes:
            metadata["/Subject"] = " ".join(branding.notes)
    writer.add_metadata(metadata)
    with open(path, "wb") as target:
        writer.write(target)
    return total


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
