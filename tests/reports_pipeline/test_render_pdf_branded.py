"""Tests for the branded PDF: cover, brand colours, confidentiality footer and logo, read back
with pdfplumber. Logos come from a server on 127.0.0.1, which the settings' egress allow-list
names; every other logo URL must be rejected without a request."""

from __future__ import annotations

import io
import logging
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pdfplumber
import pyarrow as pa
import pytest
from PIL import Image

from reports_pipeline.render.branding import DEFAULT_PRIMARY_COLOR, text_color_on
from reports_pipeline.render.context import ColumnMeta, RenderContext
from reports_pipeline.render.pdf import NO_DATA, load_branding, render_pdf_branded
from reports_pipeline.settings import get_settings
from tests.file_server import FileServer, ok

GENERATED_AT = datetime(2027, 2, 1, 6, 0, tzinfo=UTC)
REPORT_TITLE = "Alerts by severity"
PRIMARY = "#7A1F5C"
ACCENT = "#0B6E4F"
LOGO_COLOR = "#12AB34"
OPTIONS = {
    "title": "Quarterly security review",
    "subtitle": "Prepared for the board",
    "organization_name": "Acme Corp",
    "primary_color": PRIMARY,
    "accent_color": ACCENT,
}


def png(color: str = LOGO_COLOR) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), color).save(buffer, format="PNG")
    return buffer.getvalue()


SVG = (
    f'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40">'
    f'<rect width="120" height="40" fill="{LOGO_COLOR}"/>'
    f'<image href="/tracker.png" width="1" height="1"/>'
    f'<rect width="10" height="10" style="fill: url(/tracker.svg#x)"/></svg>'
).encode()


@pytest.fixture(scope="module")
def file_server() -> Iterator[FileServer]:
    routes = {
        "/logo.png": ok("image/png", png()),
        "/logo.svg": ok("image/svg+xml", SVG),
        "/page": ok("text/html", b"<html></html>"),
    }
    with FileServer(routes) as served:
        yield served


@pytest.fixture(scope="module")
def server(file_server: FileServer) -> str:
    return file_server.url


@pytest.fixture(scope="module")
def allow_loopback() -> Iterator[None]:
    """Allow-list 127.0.0.1 in the settings, as an operator would with the environment."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REPORTS_EGRESS_ALLOWED_HOSTS", "127.0.0.1")
        get_settings.cache_clear()
        yield
    get_settings.cache_clear()


def context(table: pa.Table, **render_options: Any) -> RenderContext:
    return RenderContext(
        run_id="rrun_01HZX3K5Q8V2N4M6P7R9T1W3Y5",
        organization_id="org_01HZX3K5Q8V2N4M6P7R9T1W3Y5",
        report_id="ciso.alerts_by_severity",
        report_title=REPORT_TITLE,
        report_version=2,
        columns=(ColumnMeta("row_number", "Row", "integer"), ColumnMeta("name", "Name", "string")),
        timezone="UTC",
        period_start=datetime(2027, 1, 1, tzinfo=UTC),
        period_end=datetime(2027, 1, 31, 23, 59, 59, tzinfo=UTC),
        period_label="2027-01-01 to 2027-01-31",
        truncated=False,
        generated_at=GENERATED_AT,
        render_options=render_options,
        description="Alerts by severity, for the branded PDF tests.",
    )


def numbered_table(rows: int) -> pa.Table:
    return pa.table(
        {
            "row_number": pa.array(range(rows), pa.int64()),
            "name": [f"item {i}" for i in range(rows)],
        }
    )


@pytest.fixture(scope="module")
def render(tmp_path_factory: pytest.TempPathFactory, allow_loopback: None) -> Any:
    def render(table: pa.Table, name: str, **render_options: Any) -> Path:
        path = tmp_path_factory.mktemp("branded") / f"{name}.pdf"
        render_pdf_branded(table, context(table, **render_options), path)
        return path

    return render


def pages_text(path: Path) -> list[str]:
    with pdfplumber.open(path) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def fill_colors(path: Path, page: int) -> set[str]:
    """Return the fill colours of the page's rectangles as #RRGGBB."""
    with pdfplumber.open(path) as pdf:
        rects = pdf.pages[page].rects
    colors = set()
    for rect in rects:
        color = rect["non_stroking_color"]
        if isinstance(color, tuple) and len(color) == 3:
            colors.add("#" + "".join(f"{round(channel * 255):02X}" for channel in color))
    return colors


def logical(visual: str) -> str:
    """Return the logical text of a right-to-left run extracted in visual order."""
    return unicodedata.normalize("NFKC", visual[::-1])


# --- A branded PDF with a PNG logo ------------------------------------------------------------


@pytest.fixture(scope="module")
def branded(render: Any, server: str) -> Path:
    path: Path = render(numbered_table(150), "branded", **OPTIONS, logo_url=f"{server}/logo.png")
    return path


@pytest.fixture(scope="module")
def branded_text(branded: Path) -> list[str]:
    return pages_text(branded)


def test_cover_texts(branded_text: list[str]) -> None:
    lines = branded_text[0].splitlines()
    assert lines[0] == "Acme Corp"
    assert lines[1] == "Quarterly security review"
    assert lines[2] == "Prepared for the board"
    assert "Period 2027-01-01 to 2027-01-31" in lines
    assert "Confidential — Acme Corp" in lines


def test_cover_logo_drawn(branded: Path) -> None:
    with pdfplumber.open(branded) as pdf:
        images = pdf.pages[0].images
    assert len(images) == 1
    assert images[0]["srcsize"] == (120, 40)


def test_logo_fetched_once(branded: Path, file_server: FileServer) -> None:
    assert file_server.requests.count("/logo.png") == 1


def test_summary_follows_cover(branded_text: list[str]) -> None:
    assert branded_text[1].splitlines()[1] == REPORT_TITLE
    assert "Logo not shown" not in branded_text[1]


def test_footer_on_every_page(branded_text: list[str]) -> None:
    total = len(branded_text)
    assert total >= 4
    for number, page in enumerate(branded_text, start=1):
        assert page.splitlines()[-1] == f"Confidential — Acme Corp page {number} of {total}"


def test_header_on_later_pages(branded_text: list[str]) -> None:
    for page in branded_text[1:]:
        assert page.splitlines()[0] == "Quarterly security review"


def test_table_header_repeated(branded_text: list[str]) -> None:
    for page in branded_text[2:]:
        assert page.splitlines()[1] == "Row Name"


def test_primary_color_on_cover_and_table(branded: Path) -> None:
    assert PRIMARY in fill_colors(branded, 0)
    assert PRIMARY in fill_colors(branded, 2)


def test_header_text_contrasts() -> None:
    assert text_color_on(PRIMARY) == "#FFFFFF"
    assert text_color_on("#FFCC00") == "#000000"


def test_metadata(branded: Path) -> None:
    with pdfplumber.open(branded) as pdf:
        metadata = pdf.metadata
    assert metadata["Title"] == REPORT_TITLE
    assert metadata["Author"] == "Acme Corp"
    assert "Subject" not in metadata


# --- Logos that are not shown ----------------------------------------------------------------


def test_svg_logo_drawn_without_its_references(render: Any, file_server: FileServer) -> None:
    logo_url = f"{file_server.url}/logo.svg"
    path = render(numbered_table(3), "svg", organization_name="Acme", logo_url=logo_url)
    assert LOGO_COLOR in fill_colors(path, 0)
    assert "/logo.svg" in file_server.requests
    assert not [request for request in file_server.requests if "tracker" in request]


@pytest.fixture(scope="module")
def rejected_logo(render: Any) -> Path:
    path: Path = render(
        numbered_table(3), "rejected_logo", organization_name="Acme", logo_url="file:///etc/passwd"
    )
    return path


def test_rejected_logo_not_drawn(rejected_logo: Path) -> None:
    with pdfplumber.open(rejected_logo) as pdf:
        assert pdf.pages[0].images == []


def test_rejected_logo_noted(rejected_logo: Path) -> None:
    text = pages_text(rejected_logo)
    assert "Logo not shown: the logo URL has no host" in text[1]
    assert "Acme" in text[0]


def test_rejected_logo_in_metadata(rejected_logo: Path) -> None:
    with pdfplumber.open(rejected_logo) as pdf:
        assert pdf.metadata["Subject"] == "Logo not shown: the logo URL has no host"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "has no host"),
        ("https://192.168.1.10/logo.png", "is not public"),
        ("https://169.254.169.254/latest/meta-data/", "is not public"),
        ("https://localhost/logo.png", "local name"),
        ("http://localhost:{port}/logo.png", "only https is allowed"),
        ("{server}/page", "content type text/html"),
        ("{server}/missing.png", "HTTP 404"),
    ],
)
def test_logo_rejected_with_note(
    server: str,
    allow_loopback: None,
    caplog: pytest.LogCaptureFixture,
    url: str,
    reason: str,
) -> None:
    url = url.format(server=server, port=server.rsplit(":", 1)[1])
    table = numbered_table(1)
    with caplog.at_level(logging.WARNING, logger="reports_pipeline.render.pdf"):
        branding = load_branding(context(table, logo_url=url))
    assert branding.logo is None
    assert len(branding.notes) == 1
    assert branding.notes[0].startswith("Logo not shown: ")
    assert reason in branding.notes[0]
    # The URL may carry a signed query string, so neither the note nor the log repeats it.
    assert url not in branding.notes[0]
    assert [record.levelname for record in caplog.records] == ["WARNING"]
    assert "rrun_01HZX3K5Q8V2N4M6P7R9T1W3Y5" in caplog.records[0].getMessage()
    assert url not in caplog.records[0].getMessage()


def test_logo_outside_allow_list_rejected(
    file_server: FileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without the allow-list the settings allow no host, so 127.0.0.1 is rejected before any
    # request is sent.
    monkeypatch.delenv("REPORTS_EGRESS_ALLOWED_HOSTS")
    get_settings.cache_clear()
    before = len(file_server.requests)
    try:
        branding = load_branding(context(numbered_table(1), logo_url=f"{file_server.url}/logo.png"))
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert branding.logo is None
    assert "only https is allowed" in branding.notes[0]
    assert len(file_server.requests) == before


def test_unexpected_logo_error_noted(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("reports_pipeline.render.pdf.fetch_logo", fail)
    branding = load_branding(context(numbered_table(1), logo_url="https://example.com/logo.png"))
    assert branding.logo is None
    assert branding.notes == ("Logo not shown: unexpected RuntimeError while fetching it",)


# --- Options ----------------------------------------------------------------------------------


def test_defaults_without_options(render: Any) -> None:
    path = render(numbered_table(3), "defaults")
    text = pages_text(path)
    assert text[0].splitlines()[0] == REPORT_TITLE
    assert text[-1].splitlines()[-1].startswith("Confidential page ")
    assert DEFAULT_PRIMARY_COLOR in fill_colors(path, 0)


HOSTILE_OPTIONS = {
    "title": "<script>alert(1)</script> </style><style>@page{}</style> {{x}} $title",
    "subtitle": "a\x00b\x1bc 🚀 ${cover}",
    "organization_name": '"); } @page { @bottom-left { content: url(file:///etc/passwd) } } <b>',
    "primary_color": "red; } body { background: url(http://127.0.0.1:9/x) }",
    "accent_color": "#12345",
}


@pytest.fixture(scope="module")
def hostile(render: Any) -> Path:
    path: Path = render(numbered_table(3), "hostile", **HOSTILE_OPTIONS)
    return path


def test_hostile_title_shown_as_text(hostile: Path) -> None:
    title = HOSTILE_OPTIONS["title"]
    text = pages_text(hostile)
    # The cover wraps the long title, so its lines are compared without white space.
    assert "".join(title.split()) in "".join(text[0].split())
    assert text[-1].splitlines()[0] == title


def test_hostile_subtitle_cleaned(hostile: Path) -> None:
    assert "abc 🚀 ${cover}" in pages_text(hostile)[0]


def test_hostile_organisation_in_footer(hostile: Path) -> None:
    name = HOSTILE_OPTIONS["organization_name"]
    for page in pages_text(hostile):
        assert page.splitlines()[-1].startswith(f"Confidential — {name}")


def test_hostile_colors_replaced(hostile: Path) -> None:
    summary = pages_text(hostile)[1]
    assert "The primary_color option is not a #RRGGBB colour, so #1F3A5F was used." in summary
    assert "The accent_color option is not a #RRGGBB colour, so #C8553D was used." in summary
    assert DEFAULT_PRIMARY_COLOR in fill_colors(hostile, 0)


# --- Scripts ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scripts(render: Any) -> list[str]:
    path = render(
        numbered_table(3),
        "scripts",
        organization_name="شركة أكمي",
        title="דוח רבעוני",
        subtitle="四半期レポート 🚀 Ça va",
    )
    return pages_text(path)


def test_rtl_cover_in_visual_order(scripts: list[str]) -> None:
    lines = scripts[0].splitlines()
    assert logical(lines[0]) == "شركة أكمي"
    assert lines[1] == "דוח רבעוני"[::-1]


def test_cjk_and_emoji_cover(scripts: list[str]) -> None:
    assert "四半期レポート 🚀 Ça va" in scripts[0].splitlines()


def test_rtl_footer_in_table_pages(scripts: list[str]) -> None:
    footer = scripts[-1].splitlines()[-1]
    assert footer.startswith("Confidential — ")
    name = footer.removeprefix("Confidential — ").rsplit(" page ", 1)[0]
    assert logical(name) == "شركة أكمي"


# --- Empty result -----------------------------------------------------------------------------


def test_empty_result(render: Any) -> None:
    text = pages_text(render(numbered_table(0), "empty", **OPTIONS))
    assert "Quarterly security review" in text[0]
    assert NO_DATA in text[1]
    assert NO_DATA in text[-1]
    assert text[-1].splitlines()[1] == "Row Name"
