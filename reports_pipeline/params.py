"""Checks run parameters against a report's parameter specs and resolves them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reports_pipeline.catalogue.model import ReportDefinition, ReportFilterBinding, ReportParamSpec
from reports_pipeline.errors import ValidationError
from reports_pipeline.periods import Period, parse_timezone, resolve_period


@dataclass(frozen=True)
class ResolvedParams:
    """Parameters turned into what the compiler takes."""

    period: Period | None
    timezone: str
    filters: list[ReportFilterBinding]
    values: dict[str, Any]
    """Every parameter with its effective value, defaults included, as stored with the run."""


def _fail(spec: ReportParamSpec, value: Any, expected: str) -> ValidationError:
    details: dict[str, Any] = {"field": f"params.{spec.name}", "value": value, "expected": expected}
    if spec.allowed_values is not None:
        details["allowed"] = spec.allowed_values
    return ValidationError(
        f"params.{spec.name}: {value!r} is invalid; expected {expected}", details=[details]
    )


def _check_scalar(spec: ReportParamSpec, value: Any) -> Any:
    kind = spec.type
    if spec.allowed_values is not None:
        if value not in spec.allowed_values:
            raise _fail(spec, value, "one of " + ", ".join(map(str, spec.allowed_values)))
        return value
    if kind in ("string", "enum", "period", "timezone", "date", "timestamp"):
        if not isinstance(value, str) or not value or len(value) > 1_000:
            raise _fail(spec, value, "a non-empty string")
        if kind == "timezone":
            parse_timezone(value)
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _fail(spec, value, "true or false")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise _fail(spec, value, "a number")
    if kind == "integer" and not isinstance(value, int):
        raise _fail(spec, value, "an integer")
    if spec.minimum is not None and value < spec.minimum:
        raise _fail(spec, value, f"a value of at least {spec.minimum:g}")
    if spec.maximum is not None and value > spec.maximum:
        raise _fail(spec, value, f"a value of at most {spec.maximum:g}")
    return value


def _check(spec: ReportParamSpec, value: Any) -> Any:
    if spec.multiple:
        if not isinstance(value, list) or not value:
            raise _fail(spec, value, "a non-empty list")
        return [_check_scalar(spec, item) for item in value]
    return _check_scalar(spec, value)


def resolve_params(
    definition: ReportDefinition, params: dict[str, Any], *, now: datetime
) -> ResolvedParams:
    """Check `params` against the definition's specs and resolve periods and filters at `now`."""
    specs = {spec.name: spec for spec in definition.params or ()}
    unknown = sorted(set(params) - set(specs))
    if unknown:
        raise ValidationError(
            f"unknown parameter {unknown[0]!r} for report {definition.id}; "
            f"valid parameters: {', '.join(specs) or 'none'}",
            details=[{"field": f"params.{unknown[0]}", "allowed": list(specs)}],
        )

    values: dict[str, Any] = {}
    filters: list[ReportFilterBinding] = []
    for name, spec in specs.items():
        if name in params and params[name] is not None:
            value = _check(spec, params[name])
        elif spec.required:
            raise ValidationError(
                f"parameter {name!r} is required for report {definition.id}",
                details=[{"field": f"params.{name}"}],
            )
        else:
            value = spec.default
        values[name] = value
        if spec.filter is not None and value is not None:
            filters.append(
                ReportFilterBinding(field=spec.filter.field, op=spec.filter.op, value=value)
            )

    timezone = values.get("timezone") or "UTC"
    period = None
    if "period" in specs:
        explicit_bounds = params.get("period_start") or params.get("period_end")
        period = resolve_period(
            period=params.get("period") if explicit_bounds else values.get("period"),
            period_start=values.get("period_start"),
            period_end=values.get("period_end"),
            timezone=timezone,
            now=now,
        )
        if explicit_bounds and not params.get("period"):
            values["period"] = None
        values["period_start"] = period.start.isoformat()
        values["period_end"] = period.end.isoformat()
    values["timezone"] = timezone
    return ResolvedParams(period=period, timezone=timezone, filters=filters, values=values)
