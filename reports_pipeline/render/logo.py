"""The branded PDF's logo: fetched under the egress policy, checked, and embedded as a data URI.

The logo is fetched once, before the render, by `EgressPolicy.fetch`: https only (or plain http
for an allow-listed host), public addresses only, every redirect checked, at most MAX_LOGO_BYTES
within LOGO_TIMEOUT_SECONDS, and only the content types of LOGO_CONTENT_TYPES. The bytes must
then be an image of the declared type:

- PNG, JPEG, GIF and WebP must open with Pillow, and have at most MAX_LOGO_PIXELS pixels.
- SVG is sanitised. A document with a DOCTYPE is rejected. Every element, attribute and style
  rule that could name another resource is removed: `<image>`, `<foreignObject>`, `<script>`,
  filters, `href`s other than `#fragment`s, `url()` other than `url(#fragment)`, `@import`.

WeasyPrint receives the result as a data: URI, and its URL fetcher serves that one URI and
rejects every other, so nothing inside the logo can reach the network or the file system.
"""

from __future__ import annotations

import base64
import io
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass

from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import fromstring  # type: ignore[import-untyped]

from reports_pipeline.egress import EgressPolicy

MAX_LOGO_BYTES = 1 << 20
"""1 MiB, far above a logo's usual size."""
LOGO_TIMEOUT_SECONDS = 5.0
MAX_LOGO_PIXELS = 4096 * 4096
LOGO_CONTENT_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/svg+xml", "image/webp", "image/gif"}
)
# Pillow's format name of each raster type.
PILLOW_FORMATS = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
}

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
XLINK_NAMESPACE = "http://www.w3.org/1999/xlink"
# Elements that draw shapes, text, gradients, clips and masks from the document itself.
SVG_ELEMENTS = frozenset(
    {
        "svg",
        "g",
        "defs",
        "symbol",
        "use",
        "title",
        "desc",
        "style",
        "path",
        "rect",
        "circle",
        "ellipse",
        "line",
        "polyline",
        "polygon",
        "text",
        "tspan",
        "textPath",
        "linearGradient",
        "radialGradient",
        "stop",
        "clipPath",
        "mask",
        "pattern",
        "marker",
    }
)
# The first character of each url() argument. CSS accepts a url( left open at the end of input.
URL_START = re.compile(r"url\s*\(\s*['\"]?\s*(.?)", re.IGNORECASE)
# CSS that loads resources other than through url(): imports, fonts and image functions.
CSS_LOADS = re.compile(r"@import|@font-face|image-set\s*\(|image\s*\(|src\s*\(", re.IGNORECASE)
DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class LogoRejected(ValueError):
    """The fetched bytes are not an acceptable image of the declared type."""


@dataclass(frozen=True)
class Logo:
    """Checked image bytes and their content type."""

    content: bytes
    content_type: str

    def data_uri(self) -> str:
        return f"data:{self.content_type};base64,{base64.b64encode(self.content).decode('ascii')}"


def fetch_logo(url: str, policy: EgressPolicy) -> Logo:
    """Fetch and check the logo at `url`.

    Raises EgressDenied, FetchFailed or LogoRejected when the logo cannot be used.
    """
    fetched = policy.fetch(
        url,
        max_bytes=MAX_LOGO_BYTES,
        timeout_seconds=LOGO_TIMEOUT_SECONDS,
        content_types=LOGO_CONTENT_TYPES,
    )
    return checked_logo(fetched.content, fetched.content_type)


def checked_logo(content: bytes, content_type: str) -> Logo:
    """Return the logo if `content` is an image of `content_type`, else raise LogoRejected."""
    if content_type == "image/svg+xml":
        return Logo(sanitised_svg(content), content_type)
    if content_type not in PILLOW_FORMATS:
        raise LogoRejected(f"content type {content_type} is not an accepted image type")
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(content), formats=[PILLOW_FORMATS[content_type]]) as image:
            width, height = image.size
            if width * height > MAX_LOGO_PIXELS:
                raise LogoRejected(
                    f"the image is {width}x{height} pixels; the limit is {MAX_LOGO_PIXELS:,}"
                )
            image.verify()
    except LogoRejected:
        raise
    except Image.DecompressionBombError as exc:
        raise LogoRejected(f"the image has more than {MAX_LOGO_PIXELS:,} pixels") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise LogoRejected(f"the content is not a valid {content_type} image") from exc
    return Logo(content, content_type)


def sanitised_svg(content: bytes) -> bytes:
    """Return the SVG with everything that could load another resource removed."""
    if DOCTYPE.search(content):
        raise LogoRejected("SVG logos with a DOCTYPE or entity declarations are not accepted")
    try:
        root: ElementTree.Element = fromstring(content, forbid_dtd=True)
    except ElementTree.ParseError as exc:
        raise LogoRejected(f"the SVG is not well-formed XML: {exc}") from exc
    except DefusedXmlException as exc:
        raise LogoRejected(
            "SVG logos with a DOCTYPE or entity declarations are not accepted"
        ) from exc
    if root.tag != f"{{{SVG_NAMESPACE}}}svg":
        raise LogoRejected("the document's root element is not an SVG <svg> element")
    _sanitise_element(root)
    ElementTree.register_namespace("", SVG_NAMESPACE)
    ElementTree.register_namespace("xlink", XLINK_NAMESPACE)
    return bytes(ElementTree.tostring(root, encoding="utf-8", xml_declaration=True))


def _sanitise_element(element: ElementTree.Element) -> None:
    for child in list(element):
        if not _allowed_element(child):
            element.remove(child)
            continue
        _sanitise_element(child)
    for name, value in list(element.attrib.items()):
        if not _allowed_attribute(name, value):
            del element.attrib[name]
    if element.tag == f"{{{SVG_NAMESPACE}}}style" and element.text:
        element.text = _safe_css(element.text)


def _allowed_element(element: ElementTree.Element) -> bool:
    # Comments and processing instructions have a function as their tag.
    if not isinstance(element.tag, str) or not element.tag.startswith(f"{{{SVG_NAMESPACE}}}"):
        return False
    return element.tag.split("}", 1)[1] in SVG_ELEMENTS


def _allowed_attribute(name: str, value: str) -> bool:
    local = name.split("}", 1)[-1]
    namespace = name[1:].split("}", 1)[0] if name.startswith("{") else ""
    if namespace not in ("", XLINK_NAMESPACE):
        return False
    if local.lower().startswith("on"):
        return False
    if local == "href":
        return value.strip().startswith("#")
    if namespace == XLINK_NAMESPACE:
        return False
    return _safe_css(value) == value


def _safe_css(text: str) -> str:
    """Return the CSS text, or an empty string if it could load another resource.

    CSS escapes (a backslash) could spell `url` so that the checks miss it, so text with a
    backslash is dropped too.
    """
    only_fragments = all(match[1] == "#" for match in URL_START.finditer(text))
    if not only_fragments or CSS_LOADS.search(text) or "\\" in text:
        return ""
    return text
