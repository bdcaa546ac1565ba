"""Saved reports: a tenant's definition built from a catalogue report and checked before storing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.orm import Session

from reports_api.deps import Principal
from reports_api.schemas import SavedReportFields, SavedReportPublic
from reports_pipeline.access import BUILDER_ENTITLEMENT
from reports_pipeline.catalogue.loader import get_catalogue
from reports_pipeline.catalogue.model import ReportDefinition
from reports_pipeline.compile import compile_report
from reports_pipeline.errors import BadRequest, ValidationError
from reports_pipeline.params import resolve_params
from reports_pipeline.semantic.whitelist import check_definition
from reports_pipeline.store import repository
from reports_pipeline.store.models import SavedReport, utcnow

logger = logging.getLogger(__name__)


def _base_report(principal: Principal, base_report_id: str) -> ReportDefinition:
    catalogue = get_catalogue()
    base = catalogue.get(base_report_id)
    if base is None:
        raise BadRequest(
            f"base_report_id: unknown catalogue report {base_report_id!r}; "
            "GET /v1/reports/catalog lists the valid ids",
            details=[{"field": "base_report_id", "value": base_report_id}],
        )
    if base.entitlement_key:
        principal.require_entitlement(base.entitlement_key)
    return base


def _fitting_sort(items: list[Any] | None, columns: set[str]) -> list[Any] | None:
    """Keep the base report's sort entries on columns the saved report still has."""
    kept = [item for item in items or () if item["field"] in columns]
    return kept or None


def _fitting_charts(items: list[Any] | None, columns: set[str]) -> list[Any] | None:
    """Keep the base report's chart hints, trimmed to the columns the saved report still has."""
    kept = []
    for hint in items or ():
        y = [name for name in hint["y"] if name in columns]
        if hint["x"] in columns and y and (hint.get("series") in (None, *columns)):
            kept.append(hint | {"y": y})
    return kept or None


def build_definition(
    principal: Principal, fields: SavedReportFields, *, saved_report_id: str, version: int
) -> ReportDefinition:
    """Apply the saved report's fields to its base report and check the result completely.

    Raises `BadRequest` naming an unknown dimension, metric, filter field, sort column or
    parameter with its valid choices, and `ValidationError` for a malformed value.
    """
    base = _base_report(principal, fields.base_report_id)
    overrides = fields.model_dump(exclude_unset=True, exclude={"base_report_id", "params"})
    merged = base.model_dump(mode="json") | {
        key: value for key, value in overrides.items() if value is not None
    }
    merged["id"] = saved_report_id
    merged["version"] = version
    merged["entitlement_key"] = base.entitlement_key

    columns = set(
        (["period"] if merged.get("time_grain") else [])
        + list(merged.get("dimensions") or [])
        + list(merged.get("metrics") or [])
    )
    if "sort" not in overrides:
        merged["sort"] = _fitting_sort(merged.get("sort"), columns)
    merged["chart_hints"] = _fitting_charts(merged.get("chart_hints"), columns)

    try:
        definition = ReportDefinition.model_validate(merged)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise ValidationError(
            f"{where}: {first['msg']}", details=[{"field": where, "message": first["msg"]}]
        ) from exc
    check_definition(definition)
    if fields.params:
        definition = _with_param_defaults(definition, fields.params, fields.base_report_id)
    definition = _without_pinned_params(definition, fields.params or {})

    # Compiling rejects filter values of the wrong type for their field.
    resolved = resolve_params(definition, {}, now=datetime.now(UTC))
    compile_report(
        definition,
        organization_id=principal.organization_id,
        period=resolved.period,
        timezone=resolved.timezone,
        extra_filters=resolved.filters,
    )
    return definition


def _with_param_defaults(
    definition: ReportDefinition, params: dict[str, Any], base_report_id: str
) -> ReportDefinition:
    """Check parameter values against the base report's specs and make them the defaults."""
    specs = {spec.name: spec for spec in definition.params or ()}
    unknown = sorted(set(params) - set(specs))
    if unknown:
        raise ValidationError(
            f"params.{unknown[0]}: unknown parameter of {base_report_id}; "
            f"valid parameters: {', '.join(specs) or 'none'}",
            details=[{"field": f"params.{unknown[0]}", "allowed": list(specs)}],
        )
    resolve_params(definition, params, now=datetime.now(UTC))
    new_specs = [
        spec.model_copy(update={"default": params[spec.name]}) if spec.name in params else spec
        for spec in definition.params or ()
    ]
    return definition.model_copy(update={"params": new_specs})


def _without_pinned_params(
    definition: ReportDefinition, params: dict[str, Any]
) -> ReportDefinition:
    """Remove the parameters that filter a field the saved report's own filters fix.

    A run could otherwise combine the saved `region = apac` with a parameter `region = amer` and
    silently match nothing. Without the parameter, such a run is rejected for naming an unknown
    parameter.
    """
    pinned = {binding.field for binding in definition.default_filters}
    for spec in definition.params or ():
        if spec.name in params and spec.filter is not None and spec.filter.field in pinned:
            raise ValidationError(
                f"params.{spec.name}: this parameter filters {spec.filter.field!r}, which "
                "default_filters already fixes; set the value in one place",
                details=[{"field": f"params.{spec.name}"}],
            )
    remaining = [
        spec
        for spec in definition.params or ()
        if spec.filter is None or spec.filter.field not in pinned
    ]
    return definition.model_copy(update={"params": remaining or None})


def create(session: Session, principal: Principal, fields: SavedReportFields) -> SavedReport:
    from reports_pipeline import ids

    principal.require_entitlement(BUILDER_ENTITLEMENT)
    saved_report_id = ids.new_id(ids.SAVED_REPORT)
    definition = build_definition(principal, fields, saved_report_id=saved_report_id, version=1)
    saved = repository.create_saved_report(
        session,
        principal.organization_id,
        saved_report_id=saved_report_id,
        base_report_id=fields.base_report_id,
        overrides=fields.model_dump(mode="json", exclude_unset=True),
        definition=definition.model_dump(mode="json"),
    )
    logger.info(
        "org %s saved report %s from %s",
        principal.organization_id,
        saved.id,
        fields.base_report_id,
    )
    return saved


def replace(
    session: Session, principal: Principal, saved: SavedReport, fields: SavedReportFields
) -> SavedReport:
    principal.require_entitlement(BUILDER_ENTITLEMENT)
    version = saved.version + 1
    definition = build_definition(principal, fields, saved_report_id=saved.id, version=version)
    saved.base_report_id = fields.base_report_id
    saved.overrides = fields.model_dump(mode="json", exclude_unset=True)
    saved.definition = definition.model_dump(mode="json")
    saved.version = version
    saved.updated_at = utcnow()
    session.flush()
    logger.info(
        "org %s updated saved report %s to version %d", saved.organization_id, saved.id, version
    )
    return saved


def to_public(saved: SavedReport) -> SavedReportPublic:
    return SavedReportPublic(
        **saved.overrides,
        saved_report_id=saved.id,
        organization_id=saved.organization_id,
        version=saved.version,
        definition=ReportDefinition.model_validate(saved.definition),
        created_at=saved.created_at,
        updated_at=saved.updated_at,
    )
