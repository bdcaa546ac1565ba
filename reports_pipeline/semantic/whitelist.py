"""Checks that a report definition references only what its source declares."""

from __future__ import annotations

from collections.abc import Sequence

from reports_pipeline.catalogue.model import ReportDefinition, ReportParamSpec
from reports_pipeline.errors import BadRequest
from reports_pipeline.semantic.model import FilterOp, Source
from reports_pipeline.semantic.sources import SOURCES


def _unknown(kind: str, key: str, source: Source, valid: Sequence[str], where: str) -> BadRequest:
    return BadRequest(
        f"{where}: unknown {kind} {key!r} on source {source.id!r}; valid {kind}s: "
        f"{', '.join(valid)}",
        details=[{"field": where, "value": key, "source": source.id, "allowed": list(valid)}],
    )


def resolve_source(definition: ReportDefinition) -> Source:
    source = SOURCES.get(definition.source_id)
    if source is None:
        raise BadRequest(
            f"unknown source {definition.source_id!r}; valid sources: {', '.join(SOURCES)}",
            details=[
                {"field": "source_id", "value": definition.source_id, "allowed": list(SOURCES)}
            ],
        )
    return source


def check_definition(definition: ReportDefinition) -> Source:
    """Return the definition's source after checking every field it references against it.

    Raises `BadRequest` naming the first unknown field, its source and the valid choices.
    """
    source = resolve_source(definition)

    for index, key in enumerate(definition.dimensions):
        if source.dimension(key) is None:
            raise _unknown("dimension", key, source, source.dimension_keys, f"dimensions[{index}]")
    for index, key in enumerate(definition.metrics):
        if source.metric(key) is None:
            raise _unknown("metric", key, source, source.metric_keys, f"metrics[{index}]")

    if definition.time_grain is not None and definition.time_grain not in source.time_grains:
        grains = [g.value for g in source.time_grains]
        raise _unknown("time grain", definition.time_grain.value, source, grains, "time_grain")

    for index, binding in enumerate(definition.default_filters):
        check_filter_field(source, binding.field, binding.op, f"default_filters[{index}]")

    output = definition.output_columns
    for index, sort in enumerate(definition.sort or ()):
        if sort.field not in output:
            raise BadRequest(
                f"sort[{index}]: {sort.field!r} is not a column of this report; "
                f"sortable columns: {', '.join(output)}",
                details=[{"field": f"sort[{index}]", "value": sort.field, "allowed": output}],
            )

    for index, spec in enumerate(definition.params or ()):
        if spec.filter is not None:
            check_param_filter(source, spec, f"params[{index}]")

    for index, rule in enumerate(definition.redact or ()):
        dimension = source.dimension(rule.field)
        if dimension is None:
            raise _unknown(
                "dimension", rule.field, source, source.dimension_keys, f"redact[{index}]"
            )
        if rule.method != "drop" and dimension.type.value not in ("string", "enum"):
            raise BadRequest(
                f"redact[{index}]: {rule.method} applies to text dimensions, "
                f"and {rule.field!r} is {dimension.type.value}; use drop",
                details=[{"field": f"redact[{index}]", "value": rule.field}],
            )

    for index, hint in enumerate(definition.chart_hints or ()):
        for column in (hint.x, *hint.y, *([hint.series] if hint.series else [])):
            if column not in output:
                raise BadRequest(
                    f"chart_hints[{index}]: {column!r} is not a column of this report; "
                    f"columns: {', '.join(output)}",
                    details=[
                        {"field": f"chart_hints[{index}]", "value": column, "allowed": output}
                    ],
                )
    return source


def check_param_filter(source: Source, spec: ReportParamSpec, where: str) -> None:
    """Check a filter-bound parameter: its field and operator, that `multiple` goes with a list
    operator, and that its allowed values and default are valid values of the field."""
    assert spec.filter is not None
    check_filter_field(source, spec.filter.field, spec.filter.op, f"{where}.filter")
    dimension = source.dimension(spec.filter.field)
    assert dimension is not None
    list_ops = (FilterOp.IN, FilterOp.NOT_IN)
    if spec.multiple != (spec.filter.op in list_ops):
        raise BadRequest(
            f"{where}: a parameter with multiple values needs the in or not_in operator, and "
            f"only such a parameter may use them ({spec.name!r} has op {spec.filter.op.value!r})",
            details=[{"field": where, "value": spec.name}],
        )
    invalid = [
        value
        for value in spec.allowed_values or ()
        if dimension.allowed_values and value not in dimension.allowed_values
    ]
    if invalid:
        raise BadRequest(
            f"{where}: allowed values {invalid} are not values of {dimension.key!r}; "
            f"valid values: {', '.join(dimension.allowed_values)}",
            details=[{"field": where, "value": invalid, "allowed": list(dimension.allowed_values)}],
        )
    if spec.default is not None:
        defaults = spec.default if spec.multiple else [spec.default]
        if not isinstance(defaults, list):
            raise BadRequest(f"{where}: the default of a multiple-value parameter is a list")
        for value in defaults:
            if spec.allowed_values is not None and value not in spec.allowed_values:
                raise BadRequest(f"{where}: default {value!r} is not among its allowed values")
            if dimension.allowed_values and value not in dimension.allowed_values:
                raise BadRequest(f"{where}: default {value!r} is not a value of {dimension.key!r}")


def check_filter_field(source: Source, key: str, op: FilterOp, where: str) -> None:
    """Check that `key` is a filterable dimension of `source` and accepts `op`."""
    dimension = source.dimension(key)
    if dimension is None:
        raise _unknown("filter field", key, source, source.dimension_keys, where)
    if op not in dimension.filter_ops:
        ops = [o.value for o in dimension.filter_ops]
        raise BadRequest(
            f"{where}: operator {op.value!r} does not apply to {dimension.type.value} field "
            f"{key!r}; valid operators: {', '.join(ops)}",
            details=[{"field": where, "value": op.value, "allowed": ops}],
        )
