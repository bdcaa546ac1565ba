"""Schedules: cron-driven runs of a catalogue or saved report, delivered over channels."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from reports_api.deps import Creator, Deleter, Principal, Reader, SessionDep, SettingsDep, Updater
from reports_api.launcher import DagsterLauncher
from reports_api.pagination import decode_cursor, page_of
from reports_api.schemas import ERROR_RESPONSES, ScheduleFields, SchedulePage, SchedulePublic
from reports_api.services import schedules as service
from reports_pipeline import ids
from reports_pipeline.access import SCHEDULES_ENTITLEMENT
from reports_pipeline.errors import NotFound
from reports_pipeline.store import repository
from reports_pipeline.store.models import Schedule

router = APIRouter(prefix="/v1/reports/schedules", tags=["schedules"], responses=ERROR_RESPONSES)

ScheduleId = Annotated[str, Path(max_length=40, examples=["rsch_01JF8RRSC1A2B3C4D5E6F7G8H9"])]


def _load(session: SessionDep, principal: Principal, schedule_id: str) -> Schedule:
    principal.require_entitlement(SCHEDULES_ENTITLEMENT)
    schedule = (
        repository.get_schedule(session, principal.organization_id, schedule_id)
        if ids.has_prefix(schedule_id, ids.SCHEDULE)
        else None
    )
    if schedule is None:
        raise NotFound(f"schedule {schedule_id} not found")
    return schedule


def _reload(request: Request) -> None:
    launcher: DagsterLauncher = request.app.state.launcher
    launcher.request_reload()


@router.post("", status_code=201, response_model=SchedulePublic)
def create_schedule(
    body: ScheduleFields,
    principal: Creator,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
) -> SchedulePublic:
    """Create a schedule; it is live within seconds and fires at its cron's times in its zone."""
    schedule = service.create(session, settings, principal, body)
    session.commit()
    _reload(request)
    return service.to_public(schedule)


@router.get("", response_model=SchedulePage)
def list_schedules(
    principal: Reader,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> SchedulePage:
    """List the organisation's schedules, oldest first."""
    principal.require_entitlement(SCHEDULES_ENTITLEMENT)
    after = decode_cursor(cursor, ids.SCHEDULE) if cursor else None
    rows = repository.list_schedules(
        session, principal.organization_id, limit=limit + 1, after=after
    )
    page, next_cursor = page_of(rows, limit, lambda item: item.id)
    return SchedulePage(items=[service.to_public(s) for s in page], next_cursor=next_cursor)


@router.get("/{schedule_id}", response_model=SchedulePublic)
def get_schedule(schedule_id: ScheduleId, principal: Reader, session: SessionDep) -> SchedulePublic:
    """Return one schedule with its next five fire times; channel secrets are masked."""
    return service.to_public(_load(session, principal, schedule_id))


@router.put("/{schedule_id}", response_model=SchedulePublic)
def replace_schedule(
    schedule_id: ScheduleId,
    body: ScheduleFields,
    principal: Updater,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
) -> SchedulePublic:
    """Replace a schedule. A masked secret sent back unchanged keeps its stored value."""
    schedule = _load(session, principal, schedule_id)
    schedule = service.replace(session, settings, principal, schedule, body)
    session.commit()
    _reload(request)
    return service.to_public(schedule)


@router.delete("/{schedule_id}", status_code=204, response_class=Response)
def delete_schedule(
    schedule_id: ScheduleId, principal: Deleter, session: SessionDep, request: Request
) -> Response:
    """Delete a schedule; it stops firing at once. Its past runs stay until they expire."""
    schedule = _load(session, principal, schedule_id)
    session.delete(schedule)
    session.commit()
    _reload(request)
    return Response(status_code=204)
