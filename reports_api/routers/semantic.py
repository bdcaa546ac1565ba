"""The semantic layer: every source a report can read, with its full schema."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from reports_api.deps import require
from reports_api.schemas import ERROR_RESPONSES, SemanticSourcePage, SemanticSourcePublic
from reports_pipeline.semantic.sources import SOURCES

router = APIRouter(prefix="/v1/reports", tags=["semantic layer"], responses=ERROR_RESPONSES)


@router.get(
    "/semantic-sources",
    response_model=SemanticSourcePage,
    dependencies=[Depends(require("analytics:read"))],
)
def list_semantic_sources() -> SemanticSourcePage:
    """List every source with its dimensions, metrics, filters and time grains."""
    return SemanticSourcePage(
        items=[SemanticSourcePublic.from_source(source) for source in SOURCES.values()]
    )
