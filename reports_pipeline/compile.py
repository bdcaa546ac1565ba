"""The compile stage: a report definition, its parameters and an organisation become one query.

The query is a sqlglot AST rendered for DuckDB. Identifiers come only from the semantic layer,
every value (the organisation, period bounds, filter values, the time zone) is a bound
parameter, and `org_column = $org` confines every table reference. Compilation fails closed:
without a well-formed organisation id nothing is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import sqlglot
from sqlglot import exp

from reports_pipeline import ids
from reports_pipeline.catalogue.model import ROW_CAP, ReportDefinition, ReportFilterBinding
from reports_pipeline.errors import CompileError, ValidationError
from reports_pipeline.periods import Period
from reports_pipeline.semantic.model import (
    Aggregation,
    Dimension,
    FieldType,
    FilterOp,
    Metric,
    Source,
    TimeGrain,
)
from reports_pipeline.semantic.whitelist import check_definition, check_filter_field

TABLE_ALIAS = "t"
PERIOD_COLUMN = "period"
MAX_LIST_VALUES = 1_000
MAX_TEXT_VALUE = 1_000


@dataclass(frozen=True)
class ColumnSpec:
    """A result column: name, type and display hints."""

    name: str
    label: str
    type: str
    unit: str | None = None
    format: str | None = None


@dataclass(frozen=True)
class CompiledQuery:
    """SQL text with its bound parameters, and what the result will look like."""

    sql: str
    parameters: dict[str, Any]
    columns: tuple[ColumnSpec, ...]
    fetch_limit: int
    """Rows to fetch: one more than `row_limit`, to tell a cut result from an exact fit."""
    row_limit: int
    limit_is_explicit: bool
    """True when the definition sets `limit`, so a cut result is truncated rather than refused."""
    organization_id: str
    timezone: str
    period: Period | None


@dataclass
class _Binder:
    """Allocates placeholder names for values, so no value ever reaches the SQL text."""

    values: dict[str, Any] = field(default_factory=dict)

    def bind(self, value: Any) -> exp.Placeholder:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return exp.Placeholder(this=name)


def _col(name: str) -> exp.Column:
    return exp.column(name, table=TABLE_ALIAS)


def _trusted(sql: str, source: Source) -> exp.Expr:
    """Return a fresh copy of an expression declared in the semantic layer, columns qualified."""
    return _parse_trusted(sql, source).copy()


@lru_cache(maxsize=1024)
def _parse_trusted(sql: str, source: Source) -> exp.Expr:
    # Cached: sources are frozen and their expressions fixed, and parsing costs more than a copy.
    tree = sqlglot.parse_one(sql, dialect="duckdb")
    physical = {name for name, _ in source.columns}
    for column in tree.find_all(exp.Column):
        if column.name not in physical:
            raise CompileError(f"source {source.id!r}: expression {sql!r} uses {column.name!r}")
        column.set("table", exp.to_identifier(TABLE_ALIAS))
    return tree


def _aggregate(metric: Metric, source: Source) -> exp.Expr:
    if metric.aggregation is Aggregation.RATIO:
        assert metric.numerator is not None
        assert metric.denominator is not None
        numerator = _aggregate(_metric(source, metric.numerator), source)
        denominator = _aggregate(_metric(source, metric.denominator), source)
        scaled = exp.Mul(
            this=exp.cast(numerator, exp.DataType.Type.DOUBLE),
            expression=exp.Literal.number(metric.scale),
        )
        return exp.Div(
            this=scaled, expression=exp.func("nullif", denominator, exp.Literal.number(0))
        )

    argument = _trusted(metric.expression, source) if metric.expression else exp.Star()
    if metric.aggregation is Aggregation.COUNT:
        aggregate: exp.Expr = exp.Count(this=argument)
    elif metric.aggregation is Aggregation.COUNT_DISTINCT:
        aggregate = exp.Count(this=exp.Distinct(expressions=[argument]))
    elif metric.aggregation is Aggregation.PERCENTILE:
        assert metric.percentile is not None
        aggregate = exp.Anonymous(
            this="quantile_cont",
            expressions=[argument, exp.Literal.number(metric.percentile)],
        )
    else:
        function = {
            Aggregation.SUM: exp.Sum,
            Aggregation.AVG: exp.Avg,
            Aggregation.MIN: exp.Min,
            Aggregation.MAX: exp.Max,
        }[metric.aggregation]
        aggregate = function(this=argument)

    if metric.condition:
        aggregate = exp.Filter(
            this=aggregate, expression=exp.Where(this=_trusted(metric.condition, source))
        )
    if metric.aggregation in (Aggregation.COUNT, Aggregation.COUNT_DISTINCT):
        return aggregate
    if metric.aggregation is Aggregation.SUM:
        # A sum over no rows is 0, not NULL, so totals add up across groups.
        return exp.func("coalesce", aggregate, exp.Literal.number(0))
    return aggregate


def _metric(source: Source, key: str) -> Metric:
    metric = source.metric(key)
    if metric is None:
        raise CompileError(f"source {source.id!r} has no metric {key!r}")
    return metric


@lru_cache(maxsize=64)
def _whole_hour_zone(timezone: str) -> bool:
    """Return whether every UTC offset `timezone` has used from 1970 to 2100 is whole hours.

    Checked once a week: no offset in the IANA database lasts less than a week, since zones
    change offset at most a few times a year. About 7 ms per zone, once per process.
    """
    zone = ZoneInfo(timezone)
    moment = datetime(1970, 1, 1, 12, tzinfo=UTC)
    while moment.year < 2100:
        offset = moment.astimezone(zone).utcoffset()
        if offset is None or offset.total_seconds() % 3600:
            return False
        moment += timedelta(days=7)
    return True


def _bucket(grain: TimeGrain, source: Source, binder: _Binder, timezone: str) -> exp.Expr:
    time = _col(source.time_column)
    if (
        grain is TimeGrain.HOUR
        and source.time_type is FieldType.TIMESTAMP
        and _whole_hour_zone(timezone)
    ):
        # In a zone whose offsets are whole hours, local hours start on UTC hours, and
        # time_bucket with a sub-day width buckets instants in UTC whatever the session zone.
        return exp.Anonymous(
            this="time_bucket",
            expressions=[exp.Interval(this=exp.Literal.string("1"), unit=exp.var("HOUR")), time],
        )
    if source.time_type is FieldType.TIMESTAMP:
        # timezone(zone, timestamptz) yields the wall-clock time in that zone, whatever the
        # session's TimeZone setting is, so buckets follow the report's zone.
        local: exp.Expr = exp.Anonymous(this="timezone", expressions=[binder.bind(timezone), time])
    else:
        local = exp.cast(time, exp.DataType.Type.TIMESTAMP)

    def trunc(unit: str) -> exp.Expr:
        return exp.Anonymous(this="date_trunc", expressions=[exp.Literal.string(unit), local])

    if grain is TimeGrain.HOUR and source.time_type is FieldType.TIMESTAMP:
        # A zone with half- or quarter-hour offsets: subtract the local minutes and seconds
        # from the instant itself, so each row keeps its own UTC offset and the bucket starts
        # on the half hour in UTC.
        past_the_hour = exp.Paren(this=exp.Sub(this=local, expression=trunc("hour")))
        return exp.Sub(this=time.copy(), expression=past_the_hour)
    if grain in (TimeGrain.DAY, TimeGrain.WEEK):
        return exp.cast(trunc(grain.value), exp.DataType.Type.DATE)
    if grain is TimeGrain.MONTH:
        return exp.Anonymous(this="strftime", expressions=[local, exp.Literal.string("%Y-%m")])
    if grain is TimeGrain.QUARTER:
        return exp.Anonymous(
            this="printf",
            expressions=[
                exp.Literal.string("%d-Q%d"),
                exp.Anonymous(this="year", expressions=[local]),
                exp.Anonymous(this="quarter", expressions=[local]),
            ],
        )
    return exp.Anonymous(this="strftime", expressions=[local, exp.Literal.string("%Y")])


def _redacted(dimension: Dimension, method: str, keep: int, binder: _Binder, org: str) -> exp.Expr:
    column = _col(dimension.column)
    text = exp.cast(column, exp.DataType.Type.VARCHAR)
    if method == "hash":
        salted = exp.func("concat", binder.bind(org + ":"), text)
        value: exp.Expr = exp.Anonymous(
            this="left",
            expressions=[
                exp.Anonymous(this="sha256", expressions=[salted]),
                exp.Literal.number(16),
            ],
        )
    elif method == "truncate":
        value = exp.Anonymous(this="left", expressions=[text, binder.bind(keep)])
    else:
        short = exp.LTE(this=exp.Length(this=text), expression=binder.bind(2 * keep))
        visible = exp.func(
            "concat",
            exp.Literal.string("****"),
            exp.Anonymous(this="right", expressions=[text, binder.bind(keep)]),
        )
        value = exp.If(this=short, true=exp.Literal.string("****"), false=visible)
    return exp.If(this=exp.Is(this=column, expression=exp.Null()), true=exp.Null(), false=value)


def coerce_value(dimension: Dimension, value: Any, where: str) -> Any:
    """Check one filter value against the field's type and allowed values; return it typed."""

    def invalid(expected: str) -> ValidationError:
        details: dict[str, Any] = {"field": where, "value": value, "expected": expected}
        if dimension.allowed_values:
            details["allowed"] = list(dimension.allowed_values)
        return ValidationError(
            f"{where}: {value!r} is not a valid value for {dimension.type.value} field "
            f"{dimension.key!r}; expected {expected}",
            details=[details],
        )

    kind = dimension.type
    if kind is FieldType.ENUM:
        if value not in dimension.allowed_values:
            raise invalid("one of " + ", ".join(dimension.allowed_values))
        return value
    if kind is FieldType.STRING:
        if not isinstance(value, str) or len(value) > MAX_TEXT_VALUE:
            raise invalid(f"a string of at most {MAX_TEXT_VALUE} characters")
        return value
    if kind is FieldType.BOOLEAN:
        if not isinstance(value, bool):
            raise invalid("true or false")
        return value
    if kind is FieldType.INTEGER:
        if isinstance(value, bool) or not isinstance(value, int) or not -(2**63) <= value < 2**63:
            raise invalid("a 64-bit integer")
        return value
    if kind is FieldType.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            raise invalid("a number")
        return value
    if not isinstance(value, str):
        raise invalid("an ISO 8601 " + kind.value)
    try:
        if kind is FieldType.DATE:
            return date.fromisoformat(value)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise invalid("an ISO 8601 " + kind.value) from exc
    if moment.tzinfo is None:
        raise invalid("an ISO 8601 timestamp with an offset, such as 2026-04-01T00:00:00Z")
    return moment


def _filter(source: Source, binding: ReportFilterBinding, binder: _Binder, where: str) -> exp.Expr:
    check_filter_field(source, binding.field, binding.op, where)
    dimension = source.dimension(binding.field)
    assert dimension is not None
    column = _col(dimension.column)
    op = binding.op

    if op is FilterOp.IS_NULL:
        return exp.Is(this=column, expression=exp.Null())
    if op is FilterOp.IS_NOT_NULL:
        return exp.Not(this=exp.Is(this=column, expression=exp.Null()))

    if op in (FilterOp.IN, FilterOp.NOT_IN):
        values = binding.value
        if not isinstance(values, list) or not values or len(values) > MAX_LIST_VALUES:
            raise ValidationError(
                f"{where}: {op.value} takes a list of 1 to {MAX_LIST_VALUES} values",
                details=[{"field": where, "value": values}],
            )
        placeholders = [binder.bind(coerce_value(dimension, v, where)) for v in values]
        member = exp.In(this=column, expressions=placeholders)
        if op is FilterOp.IN:
            return member
        # not_in keeps rows whose value is NULL: they are not any of the listed values.
        return exp.Or(
            this=exp.Is(this=column, expression=exp.Null()), expression=exp.Not(this=member)
        )

    if op is FilterOp.BETWEEN:
        bounds = binding.value
        if not isinstance(bounds, list) or len(bounds) != 2:
            raise ValidationError(
                f"{where}: between takes a list of two values [low, high]",
                details=[{"field": where, "value": bounds}],
            )
        low, high = (binder.bind(coerce_value(dimension, v, where)) for v in bounds)
        return exp.Between(this=column, low=low, high=high)

    value = binder.bind(coerce_value(dimension, binding.value, where))
    if op is FilterOp.EQ:
        return exp.EQ(this=column, expression=value)
    if op is FilterOp.NEQ:
        # neq keeps rows whose value is NULL, like not_in.
        return exp.NullSafeNEQ(this=column, expression=value)
    if op is FilterOp.CONTAINS:
        return exp.Anonymous(this="contains", expressions=[column, value])
    if op is FilterOp.STARTS_WITH:
        return exp.Anonymous(this="starts_with", expressions=[column, value])
    comparison = {
        FilterOp.GT: exp.GT,
        FilterOp.GTE: exp.GTE,
        FilterOp.LT: exp.LT,
        FilterOp.LTE: exp.LTE,
    }[op]
    return comparison(this=column, expression=value)


def _assert_org_confined(select: exp.Select, source: Source, org_placeholder: str) -> None:
    """Fail unless every SELECT reading a table filters it on the organisation placeholder."""
    readers: dict[int, tuple[exp.Select, list[exp.Table]]] = {}
    for table in select.find_all(exp.Table):
        node = table.find_ancestor(exp.Select)
        if node is None:
            raise CompileError(f"table {table.name!r} is outside any SELECT")
        readers.setdefault(id(node), (node, []))[1].append(table)
    for node, tables in readers.values():
        where = node.args.get("where")
        guards = {
            (eq.this.table, eq.this.name)
            for eq in (where.find_all(exp.EQ) if where else ())
            if isinstance(eq.this, exp.Column)
            and isinstance(eq.expression, exp.Placeholder)
            and eq.expression.name == org_placeholder
        }
        for table in tables:
            if (table.alias_or_name, source.org_column) not in guards:
                raise CompileError(f"table {table.name!r} is not confined to an organisation")


def compile_report(
    definition: ReportDefinition,
    *,
    organization_id: str,
    period: Period | None,
    timezone: str,
    extra_filters: list[ReportFilterBinding] | None = None,
    row_cap: int = ROW_CAP,
) -> CompiledQuery:
    """Build the query for `definition`, confined to `organization_id`."""
    if not organization_id or not ids.has_prefix(organization_id, ids.ORGANIZATION):
        raise CompileError("refusing to compile a report without a valid organisation id")
    source = check_definition(definition)
    binder = _Binder()
    org = binder.bind(organization_id)

    redactions = {r.field: r for r in definition.redact or ()}
    projections: list[exp.Expr] = []
    groups: list[exp.Expr] = []
    columns: list[ColumnSpec] = []

    if definition.time_grain is not None:
        bucket = _bucket(definition.time_grain, source, binder, timezone)
        projections.append(exp.alias_(bucket, PERIOD_COLUMN, copy=False))
        groups.append(bucket.copy())
        bucket_type = (
            "timestamp"
            if definition.time_grain is TimeGrain.HOUR
            else ("date" if definition.time_grain in (TimeGrain.DAY, TimeGrain.WEEK) else "string")
        )
        columns.append(ColumnSpec(PERIOD_COLUMN, definition.time_grain.value.title(), bucket_type))

    for key in definition.dimensions:
        dimension = source.dimension(key)
        assert dimension is not None
        rule = redactions.get(key)
        if rule is not None and rule.method == "drop":
            continue
        expression: exp.Expr = _col(dimension.column)
        column_type = dimension.type.value
        if rule is not None:
            expression = _redacted(dimension, rule.method, rule.keep, binder, organization_id)
            column_type = "string"
        projections.append(exp.alias_(expression, key, copy=False))
        groups.append(expression.copy())
        columns.append(ColumnSpec(key, dimension.label, column_type))

    for key in definition.metrics:
        metric = _metric(source, key)
        projections.append(exp.alias_(_aggregate(metric, source), key, copy=False))
        columns.append(ColumnSpec(key, metric.label, metric.type.value, metric.unit, metric.format))

    conditions: list[exp.Expr] = [exp.EQ(this=_col(source.org_column), expression=org)]
    if period is not None:
        if source.time_type is FieldType.TIMESTAMP:
            low, high = binder.bind(period.start), binder.bind(period.end)
        else:
            low, high = binder.bind(period.start_date()), binder.bind(period.end_date())
        conditions.append(exp.Between(this=_col(source.time_column), low=low, high=high))
    for index, binding in enumerate(definition.default_filters):
        conditions.append(_filter(source, binding, binder, f"default_filters[{index}]"))
    for binding in extra_filters or ():
        conditions.append(_filter(source, binding, binder, f"params ({binding.field})"))

    # The builders copy their arguments by default. Every node here is new and used once, so
    # copy=False keeps compilation fast.
    table = exp.table_(source.table, alias=TABLE_ALIAS)
    select = exp.select(*projections, copy=False).from_(table, copy=False)
    select = select.where(exp.and_(*conditions, copy=False), copy=False)
    if groups:
        select = select.group_by(*groups, copy=False)

    def sort_key(name: str) -> exp.Expr:
        # An enum sorts in its declared order (critical before high), not alphabetically.
        dimension = source.dimension(name)
        if dimension is None or dimension.type is not FieldType.ENUM or name in redactions:
            return exp.column(name)
        allowed = binder.bind(list(dimension.allowed_values))
        return exp.Anonymous(this="list_position", expressions=[allowed, exp.column(name)])

    order: list[exp.Expr] = []
    for sort in definition.sort or ():
        order.append(exp.Ordered(this=sort_key(sort.field), desc=sort.direction == "desc"))
    seen = {s.field for s in definition.sort or ()}
    # Every group column takes part in the order, so equal sort keys come out the same each run.
    # Behind an explicit sort they only break ties, and the plain column does that more cheaply.
    for spec in columns:
        if spec.name not in seen and spec.name not in definition.metrics:
            tie_breaker = exp.column(spec.name) if seen else sort_key(spec.name)
            order.append(exp.Ordered(this=tie_breaker))
    if order:
        select = select.order_by(*order, copy=False)

    row_limit = min(definition.limit or row_cap, row_cap)
    select = select.limit(binder.bind(row_limit + 1), copy=False)
    _assert_org_confined(select, source, org.name)

    return CompiledQuery(
        sql=select.sql(dialect="duckdb"),
        parameters=binder.values,
        columns=tuple(columns),
        fetch_limit=row_limit + 1,
        row_limit=row_limit,
        limit_is_explicit=definition.limit is not None,
        organization_id=organization_id,
        timezone=timezone,
        period=period,
    )
