"""The branded PDF's options: cover texts, brand colours, the confidentiality line and the logo.

`render_options` come from the run. The API checks their lengths and `#RRGGBB` colours, but runs
stored before a field existed reach the renderer too, so they are checked again here. A colour
that is not `#RRGGBB` is replaced by its default, with a note, and text fields are cut to the
API's limits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from reports_pipeline.render.logo import Logo

DEFAULT_PRIMARY_COLOR = "#1F3A5F"
"""Dark blue: the cover band, headings and the table header."""
DEFAULT_ACCENT_COLOR = "#C8553D"
"""Brick red: rules and the confidentiality line."""
COLOR = re.compile(r"#[0-9A-Fa-f]{6}")
TEXT_LIMITS = {"title": 200, "subtitle": 300, "organization_name": 200}
"""Maximum lengths, in characters, that the API's RenderOptions model also enforces."""
CONFIDENTIAL = "Confidential"


@dataclass(frozen=True)
class Branding:
    """Checked branded-PDF options; texts are empty when not given."""

    title: str = ""
    subtitle: str = ""
    organization_name: str = ""
    primary_color: str = DEFAULT_PRIMARY_COLOR
    accent_color: str = DEFAULT_ACCENT_COLOR
    logo_url: str = ""
    logo: Logo | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    """Notes for the summary page on options the render replaced or left out."""

    @property
    def confidentiality(self) -> str:
        """The footer line: "Confidential — <organisation>", or "Confidential" without one."""
        name = " ".join(self.organization_name.split())
        return f"{CONFIDENTIAL} — {name}" if name else CONFIDENTIAL

    def with_logo(self, logo: Logo | None, note: str | None = None) -> Branding:
        notes = self.notes if note is None else (*self.notes, note)
        return replace(self, logo=logo, notes=notes)


def branding_from_options(options: Mapping[str, Any]) -> Branding:
    """Return the branding of a run's `render_options`, with defaults for what is missing."""
    notes: list[str] = []
    texts = {key: _text(options.get(key), limit) for key, limit in TEXT_LIMITS.items()}
    colors = {}
    for key, default in (
        ("primary_color", DEFAULT_PRIMARY_COLOR),
        ("accent_color", DEFAULT_ACCENT_COLOR),
    ):
        value = options.get(key)
        if value is None:
            colors[key] = default
        elif isinstance(value, str) and COLOR.fullmatch(value):
            colors[key] = value.upper()
        else:
            colors[key] = default
            notes.append(f"The {key} option is not a #RRGGBB colour, so {default} was used.")
    logo_url = options.get("logo_url")
    return Branding(
        title=texts["title"],
        subtitle=texts["subtitle"],
        organization_name=texts["organization_name"],
        primary_color=colors["primary_color"],
        accent_color=colors["accent_color"],
        logo_url=logo_url if isinstance(logo_url, str) else "",
        notes=tuple(notes),
    )


def text_color_on(background: str) -> str:
    """Return black or white, whichever contrasts more with `background` (WCAG 2.1 luminance)."""
    channels = [int(background[index : index + 2], 16) / 255 for index in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    # Contrast with white is 1.05 / (L + 0.05) and with black (L + 0.05) / 0.05; they are equal
    # at L = 0.179.
    return "#000000" if luminance > 0.179 else "#FFFFFF"


def _text(value: Any, limit: int) -> str:
    if not isinstance(value, str):
        return ""
    return value[:limit]
