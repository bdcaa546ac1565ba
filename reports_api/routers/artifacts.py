"""Signed artifact downloads: no credentials, only a valid, unexpired signature."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse

from reports_api.deps import SessionDep, SettingsDep
from reports_api.schemas import ERROR_RESPONSES
from reports_api.services.artifacts import serve_signed

router = APIRouter(prefix="/v1/reports", tags=["artifacts"], responses=ERROR_RESPONSES)


@router.get(
    "/artifacts/local/{relative_path:path}",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The artifact."}},
)
def download_signed(
    relative_path: Annotated[str, Path(max_length=500)],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    expires: Annotated[str | None, Query(max_length=20)] = None,
    sig: Annotated[str | None, Query(max_length=128)] = None,
) -> FileResponse:
    """Download an artifact through a signed URL from POST .../sign."""
    raw_path = request.scope.get("raw_path", b"").decode("latin-1")
    served = serve_signed(settings, session, relative_path, raw_path, expires, sig)
    return FileResponse(served.path, media_type=served.content_type, filename=served.filename)
