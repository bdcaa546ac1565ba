"""The semantic layer's building blocks: sources, dimensions and metrics as frozen, checked data.

A source is the only door from a report definition to the warehouse. Reports and saved reports
name dimensions and metrics by key. The compiler turns keys into column references and trusted
expressions declared here, so no tenant input becomes SQL text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class FieldType(StrEnum):
    STRING = "string"
    ENUM = "enum"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    TIMESTAMP = "timestamp"
    DATE = "date"


class TimeGrain(StrEnum):
    """Time buckets, from the finest to the coarsest."""

    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class FilterOp(StrEnum):
    EQ = "eq"
    NEQ = "neq"
    IN = "in"
    NOT_IN = "not_in"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    BETWEEN = "between"
    CONTAINS = "contains"
    STARTS_WITH = "starts_with"
    IS_NULL = "is_null"
    IS_NOT_NULL = "is_not_null"


class Aggregation(StrEnum):
    COUNT = "count"
    COUNT_DISTINCT = "count_distinct"
    SUM = "sum"
    AVG = "avg"
    MIN = "min"
    MAX = "max"
    RATIO = "ratio"
    PERCENTILE = "percentile"


_EQUALITY = (FilterOp.EQ, FilterOp.NEQ, FilterOp.IN, FilterOp.NOT_IN)
_NULLS = (FilterOp.IS_NULL, FilterOp.IS_NOT_NULL)
_RANGE = (FilterOp.GT, FilterOp.GTE, FilterOp.LT, FilterOp.LTE, FilterOp.BETWEEN)

FILTER_OPS_BY_TYPE: dict[FieldType, tuple[FilterOp, ...]] = {
    FieldType.STRING: (*_EQUALITY, FilterOp.CONTAINS, FilterOp.STARTS_WITH, *_NULLS),
    FieldType.ENUM: (*_EQUALITY, *_NULLS),
    FieldType.INTEGER: (*_EQUALITY, *_RANGE, *_NULLS),
    FieldType.NUMBER: (*_EQUALITY, *_RANGE, *_NULLS),
    FieldType.BOOLEAN: (FilterOp.EQ, FilterOp.NEQ, *_NULLS),
    FieldType.TIMESTAMP: (*_RANGE, *_NULLS),
    FieldType.DATE: (FilterOp.EQ, FilterOp.NEQ, *_RANGE, *_NULLS),
}


def _check_key(kind: str, key: str) -> None:
    if not _KEY.match(key):
        raise ValueError(f"{kind} key {key!r} must match {_KEY.pattern}")


@dataclass(frozen=True)
class Dimension:
    """A column a report can group and filter by."""

    key: str
    type: FieldType
    label: str
    description: str
    column: str = ""
    allowed_values: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_key("dimension", self.key)
        if not self.column:
            object.__setattr__(self, "column", self.key)
        _check_key("column", self.column)
        if self.type is FieldType.ENUM and not self.allowed_values:
            raise ValueError(f"enum dimension {self.key!r} declares no allowed values")
        if self.type is not FieldType.ENUM and self.allowed_values:
            raise ValueError(f"only enum dimensions take allowed values, not {self.key!r}")

    @property
    def filter_ops(self) -> tuple[FilterOp, ...]:
        return FILTER_OPS_BY_TYPE[self.type]


@dataclass(frozen=True)
class Metric:
    """An aggregate a report can show.

    `expression` is trusted SQL written in this package over the source's own columns (never
    tenant input); `condition` restricts the rows the aggregate reads (`FILTER (WHERE ...)`).
    A ratio divides the `numerator` metric by the `denominator` metric and multiplies by `scale`.
    """

    key: str
    label: str
    aggregation: Aggregation
    description: str
    expression: str | None = None
    condition: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    percentile: float | None = None
    scale: float = 1.0
    unit: str = "count"
    format: str = "#,##0"

    def __post_init__(self) -> None:
        _check_key("metric", self.key)
        if self.aggregation is Aggregation.RATIO:
            if not (self.numerator and self.denominator):
                raise ValueError(f"ratio metric {self.key!r} needs a numerator and a denominator")
        elif self.aggregation is not Aggregation.COUNT and not self.expression:
            raise ValueError(f"metric {self.key!r} ({self.aggregation}) needs an expression")
        if self.aggregation is Aggregation.PERCENTILE and not (
            self.percentile is not None and 0 < self.percentile < 1
        ):
            raise ValueError(f"percentile metric {self.key!r} needs 0 < percentile < 1")

    @property
    def type(self) -> FieldType:
        if self.aggregation in (Aggregation.COUNT, Aggregation.COUNT_DISTINCT):
            return FieldType.INTEGER
        return FieldType.NUMBER

    @property
    def filter_ops(self) -> tuple[FilterOp, ...]:
        return ()


@dataclass(frozen=True)
class Source:
    """A whitelisted warehouse table with the organisation column every query is confined to."""

    id: str
    table: str
    description: str
    org_column: str
    time_column: str
    time_type: FieldType
    time_grains: tuple[TimeGrain, ...]
    dimensions: tuple[Dimension, ...]
    metrics: tuple[Metric, ...]
    columns: tuple[tuple[str, str], ...] = field(default=())
    """Physical columns and their DuckDB types, in table order."""

    def __post_init__(self) -> None:
        _check_key("source", self.id)
        _check_key("table", self.table)
        if self.time_type not in (FieldType.TIMESTAMP, FieldType.DATE):
            raise ValueError(f"source {self.id!r}: the time column must be a timestamp or a date")
        if self.time_type is FieldType.DATE and TimeGrain.HOUR in self.time_grains:
            raise ValueError(f"source {self.id!r}: a date column cannot be bucketed by hour")
        keys = [d.key for d in self.dimensions] + [m.key for m in self.metrics]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise ValueError(f"source {self.id!r} declares {duplicates} more than once")
        column_names = {name for name, _ in self.columns}
        for required in (self.org_column, self.time_column, *(d.column for d in self.dimensions)):
            if required not in column_names:
                raise ValueError(f"source {self.id!r} has no physical column {required!r}")
        metric_keys = {m.key for m in self.metrics}
        for metric in self.metrics:
            for part in (metric.numerator, metric.denominator):
                if part is not None and part not in metric_keys:
                    raise ValueError(
                        f"source {self.id!r}: ratio {metric.key!r} "
                        f"refers to unknown metric {part!r}"
                    )

    def dimension(self, key: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.key == key), None)

    def metric(self, key: str) -> Metric | None:
        return next((m for m in self.metrics if m.key == key), None)

    @property
    def dimension_keys(self) -> list[str]:
        return [d.key for d in self.dimensions]

    @property
    def metric_keys(self) -> list[str]:
        return [m.key for m in self.metrics]
