"""The report catalogue: curated reports per persona, with the parameter specs of each."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Path, Query

from reports_api.deps import Principal, Reader
from reports_api.pagination import decode_key_cursor, page_of
from reports_api.schemas import ERROR_RESPONSES, CatalogPage, CatalogReportPublic
from reports_pipeline.catalogue.loader import get_catalogue
from reports_pipeline.catalogue.model import Persona, ReportDefinition
from reports_pipeline.errors import NotFound

router = APIRouter(prefix="/v1/reports", tags=["catalogue"], responses=ERROR_RESPONSES)

_REPORT_KEY = re.compile(r"^[a-z]+\.[a-z0-9_]+$")


def _is_report_key(value: str) -> bool:
    return _REPORT_KEY.match(value) is not None


def _public(definition: ReportDefinition, principal: Principal) -> CatalogReportPublic:
    key = definition.entitlement_key
    locked = key is not None and key not in principal.organization.entitlements
    return CatalogReportPublic(**definition.model_dump(), locked=locked)


@router.get("/catalog", response_model=CatalogPage)
def list_catalog(
    principal: Reader,
    persona: Persona | None = None,
    tag: Annotated[str | None, Query(max_length=60)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> CatalogPage:
    """List catalogue reports; premium ones the organisation lacks are marked locked."""
    after = decode_key_cursor(cursor, _is_report_key) if cursor else None
    matching = [
        definition
        for report_id, definition in sorted(get_catalogue().items())
        if (persona is None or definition.persona == persona)
        and (tag is None or tag in (definition.tags or ()))
        and (after is None or report_id > after)
    ]
    page, next_cursor = page_of(matching, limit, lambda item: item.id)
    return CatalogPage(items=[_public(d, principal) for d in page], next_cursor=next_cursor)


@router.get("/catalog/{report_id}", response_model=CatalogReportPublic)
def get_catalog_report(
    report_id: Annotated[str, Path(max_length=120)], principal: Reader
) -> CatalogReportPublic:
    """Return one report's full definition, including the parameter specs for a form."""
    definition = get_catalogue().get(report_id)
    if definition is None:
        raise NotFound(f"catalogue report {report_id} not found")
    return _public(definition, principal)
