"""Right-to-left text for ReportLab, which draws characters in the order it receives them.

ReportLab's table cells apply neither the Unicode bidirectional algorithm nor Arabic shaping. So
each line that has a right-to-left character is shaped with arabic-reshaper (Arabic letters
become their contextual presentation forms and lam-alef ligatures) and then put in visual order
with python-bidi (UAX #9). WeasyPrint needs none of this, because Pango shapes and orders text.

Text extraction of such a line yields its presentation forms in visual order, so a reader gets
the logical text back by reversing a right-to-left run and applying NFKC normalisation.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

# Hebrew, Arabic, Syriac, Thaana, NKo, Samaritan, Mandaic and their presentation forms, and the
# right-to-left scripts of the supplementary planes.
RTL_CHARACTERS = re.compile(
    "[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefe\U00010800-\U00010fff\U0001e800-\U0001efff]"
)
STRONG_RTL = ("R", "AL")


@lru_cache(maxsize=1)
def _reshaper() -> Any:
    from arabic_reshaper import ArabicReshaper  # type: ignore[import-untyped]

    # Harakat (vowel marks) are kept, and moved so that after reordering each follows its
    # letter, where ReportLab draws a zero-width mark over the glyph drawn before it.
    return ArabicReshaper(configuration={"delete_harakat": False, "shift_harakat_position": True})


def has_rtl(text: str) -> bool:
    """Return whether `text` contains a right-to-left character."""
    return RTL_CHARACTERS.search(text) is not None


def base_direction(text: str) -> str:
    """Return "rtl" or "ltr": the direction of the first strong character (UAX #9, P2 and P3)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in STRONG_RTL:
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


def visual_line(line: str) -> str:
    """Return one line shaped and in visual (left-to-right drawing) order."""
    if not has_rtl(line):
        return line
    from bidi import get_display  # type: ignore[import-untyped]

    return str(get_display(_reshaper().reshape(line)))


def visual_text(text: str) -> str:
    """Return `text` with each of its lines shaped and in visual order."""
    if not has_rtl(text):
        return text
    return "\n".join(visual_line(line) for line in text.split("\n"))
