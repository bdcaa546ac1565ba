"""Saved reports: a tenant's own report definitions built on catalogue reports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from reports_api.deps import Creator, Deleter, Principal, Reader, SessionDep, Updater
from reports_api.launcher import DagsterLauncher
from reports_api.pagination import decode_cursor, page_of
from reports_api.schemas import (
    ERROR_RESPONSES,
    SavedReportFields,
    SavedReportPage,
    SavedReportPublic,
)
from reports_api.services import saved_reports as service
from reports_pipeline import ids
from reports_pipeline.access import BUILDER_ENTITLEMENT
from reports_pipeline.errors import NotFound
from reports_pipeline.store import repository
from reports_pipeline.store.models import SavedReport

router = APIRouter(prefix="/v1/reports/saved", tags=["saved reports"], responses=ERROR_RESPONSES)

SavedReportId = Annotated[str, Path(max_length=40, examples=["rsav_01JF8RRSV1A2B3C4D5E6F7G8H9"])]


def _load(session: SessionDep, principal: Principal, saved_report_id: str) -> SavedReport:
    principal.require_entitlement(BUILDER_ENTITLEMENT)
    saved = (
        repository.get_saved_report(session, principal.organization_id, saved_report_id)
        if ids.has_prefix(saved_report_id, ids.SAVED_REPORT)
        else None
    )
    if saved is None:
        raise NotFound(f"saved report {saved_report_id} not found")
    return saved


@router.get("", response_model=SavedReportPage)
def list_saved_reports(
    principal: Reader,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> SavedReportPage:
    """List the organisation's saved reports, oldest first."""
    principal.require_entitlement(BUILDER_ENTITLEMENT)
    after = decode_cursor(cursor, ids.SAVED_REPORT) if cursor else None
    rows = repository.list_saved_reports(
        session, principal.organization_id, limit=limit + 1, after=after
    )
    page, next_cursor = page_of(rows, limit, lambda item: item.id)
    return SavedReportPage(items=[service.to_public(s) for s in page], next_cursor=next_cursor)


@router.post("", status_code=201, response_model=SavedReportPublic)
def create_saved_report(
    body: SavedReportFields, principal: Creator, session: SessionDep
) -> SavedReportPublic:
    """Save a report definition derived from a catalogue report, after checking every field."""
    saved = service.create(session, principal, body)
    session.commit()
    return service.to_public(saved)


@router.get("/{saved_report_id}", response_model=SavedReportPublic)
def get_saved_report(
    saved_report_id: SavedReportId, principal: Reader, session: SessionDep
) -> SavedReportPublic:
    """Return one saved report with its complete definition."""
    return service.to_public(_load(session, principal, saved_report_id))


@router.put("/{saved_report_id}", response_model=SavedReportPublic)
def replace_saved_report(
    saved_report_id: SavedReportId,
    body: SavedReportFields,
    principal: Updater,
    session: SessionDep,
) -> SavedReportPublic:
    """Replace a saved report's fields; its version increases by one."""
    saved = service.replace(session, principal, _load(session, principal, saved_report_id), body)
    session.commit()
    return service.to_public(saved)


@router.delete("/{saved_report_id}", status_code=204, response_class=Response)
def delete_saved_report(
    saved_report_id: SavedReportId, principal: Deleter, session: SessionDep, request: Request
) -> Response:
    """Delete a saved report; its schedules stop and show `saved_report_deleted`."""
    saved = _load(session, principal, saved_report_id)
    stopped = repository.delete_saved_report(session, saved)
    session.commit()
    if stopped:
        launcher: DagsterLauncher = request.app.state.launcher
        launcher.request_reload()
    return Response(status_code=204)
