"""TrueType fonts for ReportLab, and the choice of a font that has a text's glyphs.

ReportLab embeds TrueType fonts with `glyf` outlines only, so OpenType CFF fonts (`.otf`, and the
`.ttc` of fonts-noto-cjk) are skipped. DejaVu Sans is the main font. When a text has a character
that DejaVu Sans lacks, the installed fonts are searched in the usual directories, preferred
families first, and the first font whose character map covers the text is used. Characters that
no installed font has are replaced by U+FFFD (invisible format characters are dropped), and the
caller counts them.

ReportLab 5.1 writes each code point of a font's ToUnicode map as hex digits, so a code point past
U+FFFF (an emoji) is read back as two wrong characters. `_to_unicode_cmap` replaces ReportLab's
function with one that writes such code points as UTF-16 surrogate pairs, as the PDF format
requires (ISO 32000-1, 9.10.3).
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from fontTools.ttLib import TTFont as ToolsFont  # type: ignore[import-untyped]
from reportlab.pdfbase import pdfmetrics, ttfonts  # type: ignore[import-untyped]
from reportlab.pdfbase.ttfonts import TTFont  # type: ignore[import-untyped]

FONT_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    str(Path.home() / ".local/share/fonts"),
    str(Path.home() / ".fonts"),
)
MAIN_FONT = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
# Fallbacks tried first, in this order, before any other installed font. Files missing from the
# machine are skipped.
PREFERRED = (
    "NotoSans-Regular.ttf",
    "NotoSansHebrew-Regular.ttf",
    "NotoSansArabic-Regular.ttf",
    "NotoNaskhArabic-Regular.ttf",
    "NotoSansDevanagari-Regular.ttf",
    "NotoSansThai-Regular.ttf",
    "NotoSansSymbols-Regular.ttf",
    "NotoSansSymbols2-Regular.ttf",
    "DroidSansFallbackFull.ttf",
    "wqy-zenhei.ttc",
    "wqy-microhei.ttc",
    "NanumGothic.ttf",
    "NotoEmoji-Regular.ttf",
    "Symbola.ttf",
    "Symbola_hint.ttf",
)
SKIPPED_STYLES = ("bold", "italic", "oblique", "light", "thin", "black", "medium", "semibold")
MAX_FALLBACK_FONTS = 400
"""Font files read at most, so a machine with thousands of fonts does not slow a render."""
REPLACEMENT = "\ufffd"
# A ToUnicode entry whose destination has more than four hex digits: a code point past U+FFFF.
ASTRAL_ENTRY = re.compile(r"<([0-9A-F]{2})> <([0-9A-F]{5,6})>")

_reportlab_to_unicode_cmap = ttfonts.makeToUnicodeCMap


def _to_unicode_cmap(font_name: str, subset: list[int]) -> str:
    """Return ReportLab's ToUnicode CMap with supplementary-plane code points as surrogates."""

    def surrogates(match: re.Match[str]) -> str:
        utf16 = chr(int(match[2], 16)).encode("utf-16-be").hex().upper()
        return f"<{match[1]}> <{utf16}>"

    return ASTRAL_ENTRY.sub(surrogates, _reportlab_to_unicode_cmap(font_name, subset))


ttfonts.makeToUnicodeCMap = _to_unicode_cmap


def _font_files() -> list[Path]:
    files: list[Path] = []
    for directory in FONT_DIRS:
        if not os.path.isdir(directory):
            continue
        for root, _, names in os.walk(directory):
            files.extend(
                Path(root, name) for name in names if name.lower().endswith((".ttf", ".ttc"))
            )
    return sorted(files)


def _fallback_order(files: list[Path]) -> list[Path]:
    by_name = {path.name: path for path in files}
    preferred = [by_name[name] for name in PREFERRED if name in by_name]
    others = [
        path
        for path in files
        if path not in preferred
        and path.name not in MAIN_FONT
        and not any(style in path.stem.lower() for style in SKIPPED_STYLES)
    ]
    return (preferred + others)[:MAX_FALLBACK_FONTS]


def _cmap(path: Path) -> frozenset[int] | None:
    """Return the code points of a TrueType-outline font, or None when ReportLab cannot use it."""
    try:
        font = ToolsFont(str(path), lazy=True, fontNumber=0)
        try:
            if "glyf" not in font:
                return None
            return frozenset(font.getBestCmap() or {})
        finally:
            font.close()
    except Exception:  # a broken or unreadable font file is not a render failure
        return None


@dataclass
class FontSet:
    """The main font and the fallbacks found so far, registered with ReportLab on first use."""

    regular: str = "Helvetica"
    bold: str = "Helvetica-Bold"
    main_chars: frozenset[int] = frozenset()
    _candidates: list[Path] = field(default_factory=list)
    _loaded: list[tuple[str, frozenset[int]]] = field(default_factory=list)
    _next: int = 0
    _by_char: dict[int, str | None] = field(default_factory=dict)

    @classmethod
    def discover(cls) -> FontSet:
        files = _font_files()
        by_name = {path.name: path for path in files}
        fonts = cls(_candidates=_fallback_order(files))
        regular, bold = (by_name.get(name) for name in MAIN_FONT)
        if regular is not None:
            chars = _cmap(regular)
            if chars is not None:
                fonts.regular = _register("Report-Main", regular)
                fonts.main_chars = chars
                fonts.bold = _register("Report-Main-Bold", bold) if bold else fonts.regular
        return fonts

    def font_for_char(self, char: int) -> str | None:
        """Return a registered font that has `char`, loading fallbacks as needed, or None."""
        if char in self.main_chars:
            return self.regular
        if char in self._by_char:
            return self._by_char[char]
        found = next((name for name, chars in self._loaded if char in chars), None)
        while found is None and self._next < len(self._candidates):
            path = self._candidates[self._next]
            self._next += 1
            chars = _cmap(path)
            if chars is None:
                continue
            try:
                name = _register(f"Report-Fallback-{self._next}", path)
            except Exception:  # noqa: S112 - ReportLab rejects some fonts fontTools reads
                continue
            self._loaded.append((name, chars))
            if char in chars:
                found = name
        self._by_char[char] = found
        return found

    def fit(self, text: str) -> tuple[str, str | list[tuple[str, str]], int]:
        """Return `text` with unknown characters replaced, its font or runs, and the count.

        The second value is one font name when a single font has every character, else a list
        of (font, text) runs.
        """
        if text.isascii() or all(ord(char) in self.main_chars or char == "\n" for char in text):
            return text, self.regular, 0
        replaced = 0
        runs: list[tuple[str, list[str]]] = []
        for char in text:
            font: str | None = self.regular
            # A line break has no glyph, so it stays in the current run.
            if char == "\n" and runs:
                font = runs[-1][0]
            elif char != "\n":
                font = self.font_for_char(ord(char))
            if font is None:
                if unicodedata.category(char) in ("Cf", "Mn", "Cc"):
                    continue  # invisible: joiners, variation selectors, direction marks
                replaced += 1
                char, font = REPLACEMENT, self.font_for_char(ord(REPLACEMENT)) or self.regular
            if runs and runs[-1][0] == font:
                runs[-1][1].append(char)
            else:
                runs.append((font, [char]))
        joined = [(font, "".join(chars)) for font, chars in runs]
        fitted = "".join(part for _, part in joined)
        # One font that has every character beats a mix of fonts.
        used = {font for font, _ in joined}
        if len(used) <= 1:
            return fitted, used.pop() if used else self.regular, replaced
        for name, chars in self._loaded:
            if all(ord(char) in chars or char == "\n" for char in fitted):
                return fitted, name, replaced
        return fitted, joined, replaced

    def replace_missing(self, text: str) -> tuple[str, int]:
        """Return `text` with the characters no installed font has replaced, and their count."""
        fitted, _, replaced = self.fit(text)
        return fitted, replaced


def _register(name: str, path: Path) -> str:
    if name not in pdfmetrics.getRegisteredFontNames():
        subfont = {"subfontIndex": 0} if path.suffix.lower() == ".ttc" else {}
        pdfmetrics.registerFont(TTFont(name, str(path), **subfont))
    return name
