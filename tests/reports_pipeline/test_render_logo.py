"""Tests for the branded PDF's logo: image checks, SVG sanitising and fetching under the egress
policy from a server on 127.0.0.1."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from PIL import Image

from reports_pipeline.egress import EgressDenied, EgressPolicy, FetchFailed
from reports_pipeline.render.logo import (
    MAX_LOGO_BYTES,
    LogoRejected,
    checked_logo,
    fetch_logo,
    sanitised_svg,
)
from tests.file_server import FileServer, ok


def image_bytes(kind: str, size: tuple[int, int] = (40, 20), mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "#12AB34" if mode == "RGB" else 1).save(buffer, format=kind)
    return buffer.getvalue()


PNG = image_bytes("PNG")
HOSTILE_SVG = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     width="40" height="20" onload="alert(1)">
  <style>@import url(http://127.0.0.1:9/style.css); rect { stroke: black }</style>
  <defs><linearGradient id="g"><stop offset="0" stop-color="#12AB34"/></linearGradient></defs>
  <rect id="box" width="40" height="20" fill="url(#g)"/>
  <rect width="10" height="10" style="fill: url(http://127.0.0.1:9/fill.svg#x)"/>
  <image href="http://127.0.0.1:9/tracker.png" width="1" height="1"/>
  <image xlink:href="file:///etc/passwd" width="1" height="1"/>
  <use xlink:href="http://127.0.0.1:9/other.svg#shape"/>
  <use href="#box"/>
  <script>fetch("http://127.0.0.1:9/script")</script>
  <foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>
  <filter id="f"><feImage href="http://127.0.0.1:9/filter.png"/></filter>
  <text x="0" y="10">Acme</text>
</svg>"""


# --- Raster images ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "content_type"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("GIF", "image/gif"), ("WEBP", "image/webp")],
)
def test_raster_logo_accepted(kind: str, content_type: str) -> None:
    content = image_bytes(kind)
    logo = checked_logo(content, content_type)
    assert logo.content == content
    assert logo.content_type == content_type


def test_logo_data_uri() -> None:
    assert checked_logo(PNG, "image/png").data_uri().startswith("data:image/png;base64,iVBOR")


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (PNG, "image/jpeg"),
        (b"<html><body>not an image</body></html>", "image/png"),
        (PNG[:30], "image/png"),
        (PNG, "text/html"),
    ],
)
def test_logo_content_mismatch_rejected(content: bytes, content_type: str) -> None:
    with pytest.raises(LogoRejected):
        checked_logo(content, content_type)


def test_logo_too_many_pixels_rejected() -> None:
    content = image_bytes("PNG", size=(5_000, 4_000), mode="1")
    with pytest.raises(LogoRejected, match="5000x4000 pixels"):
        checked_logo(content, "image/png")


def test_logo_decompression_bomb_rejected() -> None:
    # 200 million pixels fit in a few kilobytes of PNG, and Pillow refuses to open them.
    content = image_bytes("PNG", size=(20_000, 10_000), mode="1")
    assert len(content) < 100_000
    with pytest.raises(LogoRejected, match="more than"):
        checked_logo(content, "image/png")


# --- SVG --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sanitised() -> str:
    return sanitised_svg(HOSTILE_SVG).decode("utf-8")


@pytest.mark.parametrize(
    "removed",
    [
        "127.0.0.1:9",
        "file:",
        "<script",
        "onload",
        "foreignObject",
        "feImage",
        "<filter",
        "@import",
        "<image",
    ],
)
def test_svg_external_references_removed(sanitised: str, removed: str) -> None:
    assert removed not in sanitised


@pytest.mark.parametrize(
    "kept",
    ['fill="url(#g)"', "linearGradient", 'href="#box"', ">Acme</text>", 'id="box"'],
)
def test_svg_drawing_kept(sanitised: str, kept: str) -> None:
    assert kept in sanitised


def test_svg_style_with_external_url_dropped() -> None:
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg"><style>rect { fill: u\\72l(http://x/y) }'
        b'</style><rect style="fill: URL( \'http://x/y\' )" width="1" height="1"/></svg>'
    )
    result = sanitised_svg(svg).decode("utf-8")
    assert "x/y" not in result
    assert "<rect" in result


@pytest.mark.parametrize(
    "svg",
    [
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>',
        b'<!DOCTYPE svg SYSTEM "file:///etc/passwd"><svg xmlns="http://www.w3.org/2000/svg"/>',
        b"<svg><rect/></svg>",
        b'<html xmlns="http://www.w3.org/2000/svg"/>',
        b'<svg xmlns="http://www.w3.org/2000/svg"><rect></svg>',
    ],
    ids=["entities", "external-dtd", "no-namespace", "not-svg-root", "malformed"],
)
def test_svg_rejected(svg: bytes) -> None:
    with pytest.raises(LogoRejected):
        sanitised_svg(svg)


# --- Fetching ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def file_server() -> Iterator[FileServer]:
    routes = {
        "/logo.png": ok("image/png", PNG),
        "/logo.svg": ok("image/svg+xml", HOSTILE_SVG),
        "/page": ok("text/html", b"<html></html>"),
        "/fake.png": ok("image/png", b"<html></html>"),
        "/huge.png": ok("image/png", b"\x89PNG" + b"\x00" * MAX_LOGO_BYTES),
    }
    with FileServer(routes) as served:
        yield served


@pytest.fixture(scope="module")
def server(file_server: FileServer) -> str:
    return file_server.url


ALLOW_LOOPBACK = EgressPolicy(["127.0.0.1"])


def test_fetch_png(server: str) -> None:
    logo = fetch_logo(f"{server}/logo.png", ALLOW_LOOPBACK)
    assert logo.content == PNG
    assert logo.content_type == "image/png"


def test_fetch_svg_sanitised(server: str) -> None:
    logo = fetch_logo(f"{server}/logo.svg", ALLOW_LOOPBACK)
    assert logo.content_type == "image/svg+xml"
    assert b"tracker" not in logo.content


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/page", FetchFailed),
        ("/fake.png", LogoRejected),
        ("/huge.png", FetchFailed),
        ("/missing.png", FetchFailed),
    ],
)
def test_fetch_unusable_logo(server: str, path: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        fetch_logo(f"{server}{path}", ALLOW_LOOPBACK)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "https://192.168.1.10/logo.png",
        "https://169.254.169.254/latest/meta-data/",
        "https://localhost/logo.png",
        "ftp://example.com/logo.png",
    ],
)
def test_fetch_denied_url(url: str) -> None:
    with pytest.raises(EgressDenied):
        fetch_logo(url, ALLOW_LOOPBACK)


def test_fetch_denied_host_not_allow_listed(file_server: FileServer) -> None:
    before = len(file_server.requests)
    with pytest.raises(EgressDenied):
        fetch_logo(f"{file_server.url}/logo.png", EgressPolicy())
    assert len(file_server.requests) == before
