"""Writes `docs/semantic-layer.md` from the source definitions, so the page cannot drift.

Run `reports docs` after changing a source; a test fails when the page is out of date.
"""

from __future__ import annotations

from collections.abc import Iterable

from reports_pipeline.semantic.model import Aggregation, Metric, Source

INTRODUCTION = """\
# Semantic layer

Generated from `reports_pipeline/semantic/sources/` by `reports docs`; do not edit by hand.

Every report and saved report reads exactly one source and may reference only the dimensions
and metrics the source declares. The compiler builds each query as a syntax tree: identifiers
come from these declarations, every value (organisation, period bounds, filter values, time
zone, limits) is a bound parameter, and `org_id = $org` confines every table reference. A
definition that names an unknown field is rejected with `400 bad_request`, naming the field,
the source and the valid choices, both when it is saved and again when it runs.
`GET /v1/reports/semantic-sources` returns the same information as JSON.

## Filters

Each dimension accepts the operators of its type:

| type | operators |
|---|---|
| string | eq, neq, in, not_in, contains, starts_with, is_null, is_not_null |
| enum | eq, neq, in, not_in, is_null, is_not_null (values must be among the allowed ones) |
| integer, number | eq, neq, in, not_in, gt, gte, lt, lte, between, is_null, is_not_null |
| boolean | eq, neq, is_null, is_not_null |
| timestamp | gt, gte, lt, lte, between, is_null, is_not_null (ISO 8601 with an offset) |
| date | eq, neq, gt, gte, lt, lte, between, is_null, is_not_null (ISO 8601 date) |

NULL semantics: `eq`, `in`, the comparisons, `between`, `contains` and `starts_with` never match
a NULL value. `neq` and `not_in` keep rows whose value is NULL, because NULL is not any of the
listed values. `is_null` and `is_not_null` test for NULL itself. `in` and `not_in` take a list of
1 to 1,000 values, `between` a list `[low, high]` (both inclusive). `contains` and
`starts_with` match the literal text: `%` and `_` are not wildcards.

## Grouping, time and limits

- A NULL dimension value forms its own group.
- Time grains `hour`, `day`, `week` (ISO 8601, weeks start on Monday), `month`, `quarter` and
  `year` are computed in the IANA time zone of the request (default UTC), whatever the
  database session's or the host's zone. Hour buckets are instants (a half-hour zone's hour
  starts on the half hour in UTC, and the two 01:00 hours of a fall-back night stay apart);
  day and week buckets are dates; month, quarter and year buckets are labels such as
  `2027-04`, `2027-Q2` and `2027`.
- Periods: `period=<n>h|<n>d|<n>w|<n>m` (1 to 9999 hours, days, weeks or calendar months,
  ending now), the named periods `previous_day`, `previous_week`, `previous_month`,
  `previous_quarter`, `previous_year`, `month_to_date`, `quarter_to_date`, `year_to_date`, or
  `period_start`/`period_end` (inclusive; a date alone covers its whole day), all resolved in
  the request's time zone. Date-typed sources compare the period's local dates.
- A result holds at most 10,000 rows. Without a `limit`, a query that would return more is
  rejected with `422 unprocessable_entity`; with a `limit` that cuts rows, the run records
  `truncated: true`.
- Enum dimensions sort in their declared order.
- Redaction rules apply in SQL, so raw values never leave the warehouse: `mask` keeps the last
  `keep` characters behind `****` (values of at most `2 * keep` characters become `****`),
  `hash` replaces the value with the first 16 hex digits of SHA-256 over the organisation id and
  the value, `truncate` keeps the first `keep` characters, and `drop` removes the column.

## Sources
"""


def _metric_formula(metric: Metric) -> str:
    if metric.aggregation is Aggregation.RATIO:
        scale = "" if metric.scale == 1 else f" * {metric.scale:g}"
        return f"{metric.numerator} / {metric.denominator}{scale}"
    if metric.aggregation is Aggregation.PERCENTILE and metric.percentile is not None:
        return f"p{metric.percentile * 100:g}({metric.expression})"
    argument = metric.expression or "*"
    formula = f"{metric.aggregation.value}({argument})"
    return formula + (f" where {metric.condition}" if metric.condition else "")


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def render_source(source: Source) -> list[str]:
    grains = ", ".join(grain.value for grain in source.time_grains)
    lines = [
        f"### `{source.id}`",
        "",
        source.description,
        "",
        f"Table `{source.table}`; organisation column `{source.org_column}`; time column "
        f"`{source.time_column}` ({source.time_type.value}); time grains: {grains}.",
        "",
        "| dimension | type | description |",
        "|---|---|---|",
    ]
    for dimension in source.dimensions:
        kind = dimension.type.value
        if dimension.allowed_values:
            kind += ": " + ", ".join(dimension.allowed_values)
        lines.append(f"| `{dimension.key}` | {kind} | {_escape(dimension.description)} |")
    lines += ["", "| metric | unit | definition | description |", "|---|---|---|---|"]
    for metric in source.metrics:
        formula = _escape(_metric_formula(metric))
        description = _escape(metric.description)
        lines.append(f"| `{metric.key}` | {metric.unit} | `{formula}` | {description} |")
    columns = ", ".join(f"`{name}` {kind}" for name, kind in source.columns)
    lines += ["", f"Physical columns: {columns}.", ""]
    return lines


def render_reference(sources: Iterable[Source]) -> str:
    """Return the whole Markdown page for `sources`."""
    lines = [INTRODUCTION]
    for source in sources:
        lines += render_source(source)
    return "\n".join(lines).rstrip() + "\n"
