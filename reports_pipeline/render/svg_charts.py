"""Bar, line and pie charts as hand-written SVG, for the first part of the PDF.

The SVG is inline in the HTML, so WeasyPrint fetches nothing to draw it. Every text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

WIDTH = 720
HEIGHT = 300
LEFT, RIGHT, TOP, BOTTOM = 70, 150, 20, 60
COLORS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939",
)  # fmt: skip
MAX_LABELS = 20
"""Category labels drawn at most on the x axis; the others are skipped evenly."""

Series = tuple[str, Sequence[float | None]]


def _text(
    x: float, y: float, text: str, *, anchor: str = "middle", size: int = 10, extra: str = ""
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"{extra}>'
        f"{escape(text[:40])}</text>"
    )


def _finite(values: Sequence[float | None]) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


def _scale(series: Sequence[Series]) -> tuple[float, float]:
    values = [v for _, vs in series for v in _finite(vs)] or [0.0]
    low, high = min(0.0, *values), max(0.0, *values)
    if high == low:
        high = low + 1
    return low, high


def _legend(series: Sequence[Series]) -> list[str]:
    parts = []
    for index, (name, _) in enumerate(series):
        y = TOP + 14 * index
        color = COLORS[index % len(COLORS)]
        parts.append(
            f'<rect x="{WIDTH - RIGHT + 10}" y="{y}" width="10" height="10" fill="{color}"/>'
        )
        parts.append(_text(WIDTH - RIGHT + 25, y + 9, name, anchor="start"))
    return parts


def _axes(
    categories: Sequence[str], low: float, high: float, step: float, offset: float
) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#333"/>',
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" '
        'stroke="#333"/>',
    ]
    for tick in range(5):
        value = low + (high - low) * tick / 4
        y = HEIGHT - BOTTOM - plot_h * tick / 4
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#ddd"/>'
        )
        label = f"{value:,.0f}" if abs(high - low) >= 100 else f"{value:,.4g}"
        parts.append(_text(LEFT - 4, y + 3, label, anchor="end", size=9))
    every = max(1, math.ceil(len(categories) / MAX_LABELS))
    for index in range(0, len(categories), every):
        x = LEFT + offset + step * index
        y = HEIGHT - BOTTOM + 12
        parts.append(
            _text(
                x,
                y,
                categories[index],
                anchor="end",
                size=8,
                extra=f' transform="rotate(-35 {x:.1f} {y:.1f})"',
            )
        )
    return parts


def _svg(parts: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="DejaVu Sans, sans-serif">'
        + "".join(parts)
        + "</svg>"
    )


def bar_chart(categories: Sequence[str], series: Sequence[Series]) -> str:
    low, high = _scale(series)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(1, len(categories))
    bar_w = step * 0.8 / max(1, len(series))

    def y_of(value: float) -> float:
        return HEIGHT - BOTTOM - (value - low) / (high - low) * plot_h

    parts = _axes(categories, low, high, step, step / 2)
    zero = y_of(0.0)
    for s_index, (_, values) in enumerate(series):
        color = COLORS[s_index % len(COLORS)]
        for index, value in enumerate(values):
            if value is None or not math.isfinite(value):
                continue
            x = LEFT + step * index + step * 0.1 + bar_w * s_index
            top, bottom = sorted((y_of(value), zero))
            parts.append(
                f'<rect x="{x:.2f}" y="{top:.2f}" width="{bar_w:.2f}" '
                f'height="{max(bottom - top, 0.5):.2f}" fill="{color}"/>'
            )
    return _svg(parts + _legend(series))


def line_chart(categories: Sequence[str], series: Sequence[Series]) -> str:
    low, high = _scale(series)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(1, len(categories) - 1)
    parts = _axes(categories, low, high, step, 0)
    for s_index, (_, values) in enumerate(series):
        color = COLORS[s_index % len(COLORS)]
        # A missing or non-finite value breaks the line.
        segments: list[list[str]] = [[]]
        for index, value in enumerate(values):
            if value is None or not math.isfinite(value):
                segments.append([])
                continue
            y = HEIGHT - BOTTOM - (value - low) / (high - low) * plot_h
            segments[-1].append(f"{LEFT + step * index:.2f},{y:.2f}")
        for points in segments:
            if len(points) == 1:
                cx, cy = points[0].split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="2" fill="{color}"/>')
            elif points:
                parts.append(
                    f'<polyline points="{" ".join(points)}" fill="none" stroke="{color}" '
                    'stroke-width="1.5"/>'
                )
    return _svg(parts + _legend(series))


def pie_chart(categories: Sequence[str], values: Sequence[float | None]) -> str:
    slices = [
        (name, value)
        for name, value in zip(categories, values, strict=True)
        if value is not None and math.isfinite(value) and value > 0
    ]
    total = sum(value for _, value in slices)
    cx, cy, radius = (WIDTH - RIGHT) / 2, HEIGHT / 2, HEIGHT / 2 - 20
    parts = []
    if total <= 0:
        parts.append(_text(cx, cy, "No positive values to draw"))
        return _svg(parts)
    angle = -math.pi / 2
    for index, (_, value) in enumerate(slices):
        color = COLORS[index % len(COLORS)]
        sweep = 2 * math.pi * value / total
        if len(slices) == 1:
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="{radius}" fill="{color}"/>')
            break
        x1, y1 = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
        angle += sweep
        x2, y2 = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
        large = 1 if sweep > math.pi else 0
        parts.append(
            f'<path d="M{cx:.2f},{cy:.2f} L{x1:.2f},{y1:.2f} '
            f'A{radius:.2f},{radius:.2f} 0 {large} 1 {x2:.2f},{y2:.2f} Z" '
            f'fill="{color}" stroke="#fff"/>'
        )
    legend = [(f"{name} ({value / total:.1%})", [value]) for name, value in slices[: len(COLORS)]]
    return _svg(parts + _legend(legend))
