"""Writes `docs/catalogue.md` from the catalogue definitions, so the page cannot drift."""

from __future__ import annotations

from collections.abc import Iterable
from typing import get_args

from reports_pipeline.catalogue.model import Persona, ReportDefinition, ReportParamSpec

INTRODUCTION = """\
# Report catalogue

Generated from `reports_pipeline/catalogue/definitions/` by `reports docs`; do not edit by hand.

Every report runs through `POST /v1/reports/runs` (or `GET /v1/reports/run/{reportId}`) and
takes the parameters listed with it; `GET /v1/reports/catalog/{reportId}` returns the same
definition as JSON. Reports marked premium need the `enterprise_reporting.premium_reports`
entitlement. Reports with a `period` parameter also take `period_start`, `period_end` and
`timezone`; `docs/api.md` describes the period grammar.
"""


def _param(spec: ReportParamSpec) -> str:
    parts = [f"`{spec.name}` ({spec.type}{', several' if spec.multiple else ''})"]
    if spec.allowed_values:
        parts.append("one of " + ", ".join(f"`{value}`" for value in spec.allowed_values))
    if spec.minimum is not None:
        parts.append(f"at least {spec.minimum:g}")
    if spec.maximum is not None:
        parts.append(f"at most {spec.maximum:g}")
    if spec.default is not None:
        parts.append(f"default `{spec.default}`")
    return " ".join(part for part in parts if part)


def _report(definition: ReportDefinition) -> list[str]:
    implied = ("period_start", "period_end", "timezone")
    shown = [p for p in definition.params or () if p.name not in implied]
    premium = " (premium)" if definition.entitlement_key else ""
    lines = [
        f"### `{definition.id}`{premium}",
        "",
        f"**{definition.title}.** {definition.description}",
        "",
        f"- Source: `{definition.source_id}`"
        + (f", by {definition.time_grain.value}" if definition.time_grain else ""),
        "- Columns: " + ", ".join(f"`{column}`" for column in definition.output_columns),
        "- Parameters: " + ("; ".join(_param(p) for p in shown) if shown else "none"),
    ]
    if definition.limit:
        lines.append(f"- At most {definition.limit} rows")
    if definition.redact:
        rules = ", ".join(f"`{rule.field}` ({rule.method})" for rule in definition.redact)
        lines.append(f"- Redacted: {rules}")
    return [*lines, ""]


def render_catalogue(definitions: Iterable[ReportDefinition]) -> str:
    """Return the whole Markdown page, grouped by persona."""
    by_persona: dict[str, list[ReportDefinition]] = {persona: [] for persona in get_args(Persona)}
    for definition in definitions:
        by_persona[definition.persona].append(definition)
    total = sum(len(reports) for reports in by_persona.values())
    lines = [INTRODUCTION, f"{total} reports.", ""]
    for persona, reports in by_persona.items():
        lines += [f"## {persona} ({len(reports)} reports)", ""]
        for definition in sorted(reports, key=lambda d: d.id):
            lines += _report(definition)
    return "\n".join(lines).rstrip() + "\n"
