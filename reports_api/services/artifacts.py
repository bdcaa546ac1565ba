"""Signing artifact downloads and serving signed URLs, failing closed on every check."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from reports_api.services.runs import check_not_expired
from reports_pipeline import signing
from reports_pipeline.errors import Forbidden, NotFound, ValidationError
from reports_pipeline.render import artifact_name
from reports_pipeline.settings import Settings
from reports_pipeline.store import repository
from reports_pipeline.store.models import ReportRun, RunArtifact

logger = logging.getLogger(__name__)

CLOCK_SKEW = timedelta(minutes=5)
"""How far past the longest lifetime an expiry may lie before it counts as forged."""


@dataclass(frozen=True)
class SignedDownload:
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class ServedFile:
    path: Path
    content_type: str
    filename: str


def _key(settings: Settings) -> bytes:
    return settings.signing_key.get_secret_value().encode("utf-8")


def sign_artifact(
    settings: Settings, run: ReportRun, format_key: str, ttl_seconds: int | None
) -> SignedDownload:
    """Return a signed URL for one artifact of `run`, valid for `ttl_seconds`."""
    ttl = settings.signed_url_default_ttl_seconds if ttl_seconds is None else ttl_seconds
    if not 0 < ttl <= settings.signed_url_max_ttl_seconds:
        raise ValidationError(
            f"ttl_seconds must be between 1 and {settings.signed_url_max_ttl_seconds}",
            details=[{"field": "body.ttl_seconds", "value": ttl_seconds}],
        )
    artifact = next((a for a in run.artifacts if a.format == format_key), None)
    if artifact is None:
        raise NotFound(f"run {run.id} has no {format_key} artifact")
    expires_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=ttl)
    expires = int(expires_at.timestamp())
    url = signing.signed_url(settings.public_base_url, _key(settings), artifact.path, expires)
    logger.info("signed %s of run %s until %s", format_key, run.id, expires_at.isoformat())
    return SignedDownload(url=url, expires_at=expires_at)


def _check_path_shape(relative_path: str, raw_path: str) -> None:
    """Reject anything but `<org id>/<run id>/<file name>` made of plain segments."""
    lowered = raw_path.lower()
    if "%2f" in lowered or "%5c" in lowered or "%00" in lowered:
        raise NotFound("artifact not found")
    parts = relative_path.split("/")
    plain = all(
        part and part not in (".", "..") and "\\" not in part and "\x00" not in part
        for part in parts
    )
    if len(parts) != 3 or not plain:
        raise NotFound("artifact not found")


def _inside_root(root: Path, relative_path: str) -> Path:
    """Return the file under `root`, refusing symlinks anywhere along the way."""
    candidate = root / relative_path
    resolved = Path(os.path.realpath(candidate))
    if resolved != candidate or not resolved.is_relative_to(root) or not resolved.is_file():
        raise NotFound("artifact not found")
    return resolved


def serve_signed(
    settings: Settings,
    session: Session,
    relative_path: str,
    raw_path: str,
    expires_text: str | None,
    sig: str | None,
) -> ServedFile:
    """Check a signed URL and return the file to send; raise on the first failed check."""
    expires = signing.parse_expires(expires_text)
    if expires is None:
        raise ValidationError(
            "expires must be the unix time of the signed URL",
            details=[{"field": "query.expires", "value": expires_text}],
        )
    now = datetime.now(UTC)
    latest = now + timedelta(seconds=settings.signed_url_max_ttl_seconds) + CLOCK_SKEW
    if expires > int(latest.timestamp()):
        raise ValidationError(
            "expires is further ahead than any signed URL can be",
            details=[{"field": "query.expires", "value": expires_text}],
        )
    if not signing.signature_matches(_key(settings), relative_path, expires, sig):
        logger.warning("rejected a signed URL with a wrong signature for %s", relative_path)
        raise Forbidden("the signature of this download link is invalid")
    if expires < int(now.timestamp()):
        raise Forbidden("this download link has expired; ask for a new one")

    _check_path_shape(relative_path, raw_path)
    artifact: RunArtifact | None = repository.get_artifact_by_path(session, relative_path)
    if artifact is None:
        raise NotFound("artifact not found")
    check_not_expired(artifact.run)
    root = Path(os.path.realpath(settings.artifact_dir))
    path = _inside_root(root, relative_path)
    filename = artifact_name(artifact.run.report_id, artifact.format, artifact.run_id)
    return ServedFile(path=path, content_type=artifact.content_type, filename=filename)
