"""Runs and artifacts: start a run, list and read runs, download artifacts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from reports_api.deps import Reader, RunRequester, SessionDep, SettingsDep
from reports_api.launcher import DagsterLauncher
from reports_api.pagination import decode_cursor, page_of
from reports_api.schemas import (
    ERROR_RESPONSES,
    Format,
    RunCreate,
    RunPage,
    RunResult,
    RunStatus,
    SignedUrlPublic,
    SignRequest,
)
from reports_api.services import artifacts
from reports_api.services import runs as service
from reports_pipeline import ids
from reports_pipeline.catalogue.loader import get_catalogue
from reports_pipeline.errors import NotFound
from reports_pipeline.render import artifact_name
from reports_pipeline.store import repository
from reports_pipeline.store.models import ReportRun

router = APIRouter(prefix="/v1/reports", tags=["runs"], responses=ERROR_RESPONSES)

RunId = Annotated[str, Path(max_length=40, examples=["rrun_01JF8RRRN1A2B3C4D5E6F7G8H9"])]


def get_launcher(request: Request) -> DagsterLauncher:
    launcher: DagsterLauncher = request.app.state.launcher
    return launcher


LauncherDep = Annotated[DagsterLauncher, Depends(get_launcher)]


def _load_run(session: SessionDep, principal: Reader, run_id: str) -> ReportRun:
    run = (
        repository.get_run(session, principal.organization_id, run_id)
        if ids.has_prefix(run_id, ids.RUN)
        else None
    )
    if run is None:
        raise NotFound(f"run {run_id} not found")
    return run


def _finished_response(run: ReportRun) -> JSONResponse:
    if run.status in ("queued", "running"):
        return JSONResponse(service.to_result(run).model_dump(mode="json"), status_code=202)
    service.raise_if_failed(run)
    return JSONResponse(service.to_result(run).model_dump(mode="json"), status_code=201)


@router.post(
    "/runs",
    status_code=201,
    response_model=RunResult,
    responses={202: {"model": RunResult, "description": "Still running; poll the run."}},
)
def create_run(
    body: RunCreate,
    principal: RunRequester,
    session: SessionDep,
    settings: SettingsDep,
    launcher: LauncherDep,
) -> JSONResponse:
    """Run a report synchronously; return the run, a 100-row preview and the artifacts."""
    run = service.start_run(session, settings, principal, body, launcher)
    return _finished_response(service.wait_for_run(settings, launcher, run))


@router.get("/runs", response_model=RunPage)
def list_runs(
    principal: Reader,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    report_id: Annotated[str | None, Query(max_length=120)] = None,
    status: RunStatus | None = None,
    schedule_id: Annotated[str | None, Query(max_length=40)] = None,
) -> RunPage:
    """List the organisation's runs, newest first; `schedule_id` lists one schedule's runs."""
    before = decode_cursor(cursor, ids.RUN) if cursor else None
    runs = repository.list_runs(
        session,
        principal.organization_id,
        limit=limit + 1,
        before=before,
        report_id=report_id,
        status=status,
        schedule_id=schedule_id,
    )
    page, next_cursor = page_of(runs, limit, lambda item: item.id)
    return RunPage(items=[service.to_public(r) for r in page], next_cursor=next_cursor)


@router.get("/runs/{run_id}", response_model=RunResult)
def get_run(run_id: RunId, principal: Reader, session: SessionDep) -> RunResult:
    """Return one run with its preview and artifacts."""
    run = _load_run(session, principal, run_id)
    service.check_not_expired(run)
    return service.to_result(run)


@router.get(
    "/runs/{run_id}/artifacts/{format}",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The artifact."}},
)
def download_artifact(
    run_id: RunId,
    format: Format,
    principal: Reader,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Download one rendered artifact of a run."""
    run = _load_run(session, principal, run_id)
    service.check_not_expired(run)
    path, content_type = service.artifact_file(settings, run, format)
    filename = artifact_name(run.report_id, format, run.id)
    return FileResponse(path, media_type=content_type, filename=filename)


@router.post("/runs/{run_id}/artifacts/{format}/sign", response_model=SignedUrlPublic)
def sign_artifact(
    run_id: RunId,
    format: Format,
    principal: Reader,
    session: SessionDep,
    settings: SettingsDep,
    body: SignRequest | None = None,
) -> SignedUrlPublic:
    """Return a short-lived URL that downloads one artifact without credentials."""
    run = _load_run(session, principal, run_id)
    service.check_not_expired(run)
    signed = artifacts.sign_artifact(settings, run, format, body.ttl_seconds if body else None)
    return SignedUrlPublic(url=signed.url, expires_at=signed.expires_at)


@router.get(
    "/run/{report_id}",
    response_class=FileResponse,
    responses={
        200: {"content": {"text/csv": {}, "application/json": {}}, "description": "The artifact."},
        202: {"model": RunResult, "description": "Still running; poll the run."},
    },
)
def run_and_download(
    report_id: Annotated[str, Path(max_length=120)],
    request: Request,
    principal: RunRequester,
    session: SessionDep,
    settings: SettingsDep,
    launcher: LauncherDep,
    format: Annotated[Format, Query()] = "json",
) -> Response:
    """Run a catalogue report and return the artifact in one call."""
    raw: dict[str, str | list[str]] = {}
    for key in request.query_params:
        if key != "format":
            values = request.query_params.getlist(key)
            raw[key] = values if len(values) > 1 else values[0]
    definition = get_catalogue().get(report_id)
    params = service.query_params(definition, raw) if definition else raw
    body = RunCreate(report_id=report_id, formats=[format], params=params)
    run = service.start_run(session, settings, principal, body, launcher)
    finished = service.wait_for_run(settings, launcher, run)
    if finished.status != "ready":
        return _finished_response(finished)
    path, content_type = service.artifact_file(settings, finished, format)
    filename = artifact_name(finished.report_id, format, finished.id)
    return FileResponse(
        path, media_type=content_type, filename=filename, headers={"X-Report-Run-Id": finished.id}
    )
