"""Reads and writes of the application database, one function per use."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reports_pipeline import ids
from reports_pipeline.access import ENTITLEMENTS, PERMISSIONS
from reports_pipeline.store.models import Credential, Organization, ReportRun, RunArtifact, utcnow

API_KEY_PREFIX = "rpk_"
SESSION_TOKEN_PREFIX = "rst_"  # noqa: S105 - a public prefix, not a secret


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_organization(session: Session, name: str, entitlements: Sequence[str]) -> Organization:
    unknown = sorted(set(entitlements) - set(ENTITLEMENTS))
    if unknown:
        raise ValueError(f"unknown entitlements {unknown}; valid: {', '.join(ENTITLEMENTS)}")
    organization = Organization(
        id=ids.new_id(ids.ORGANIZATION), name=name, entitlements=sorted(set(entitlements))
    )
    session.add(organization)
    session.flush()
    return organization


def get_organization(session: Session, organization_id: str) -> Organization | None:
    return session.get(Organization, organization_id)


def list_organizations(session: Session) -> list[Organization]:
    return list(session.scalars(select(Organization).order_by(Organization.id)))


def create_credential(
    session: Session,
    organization_id: str,
    *,
    permissions: Sequence[str],
    kind: str = "api_key",
    name: str = "",
    expires_at: datetime | None = None,
) -> tuple[Credential, str]:
    """Create an API key or session token; return the record and the secret, shown only once."""
    unknown = sorted(set(permissions) - set(PERMISSIONS))
    if unknown:
        raise ValueError(f"unknown permissions {unknown}; valid: {', '.join(PERMISSIONS)}")
    if kind not in ("api_key", "session"):
        raise ValueError(f"unknown credential kind {kind!r}; valid: api_key, session")
    prefix = API_KEY_PREFIX if kind == "api_key" else SESSION_TOKEN_PREFIX
    token = prefix + secrets.token_urlsafe(32)
    credential = Credential(
        id=ids.new_id(ids.CREDENTIAL),
        organization_id=organization_id,
        kind=kind,
        name=name,
        token_hash=hash_token(token),
        token_prefix=token[:12],
        permissions=sorted(set(permissions)),
        expires_at=expires_at,
    )
    session.add(credential)
    session.flush()
    return credential, token


def find_credential(session: Session, token: str) -> Credential | None:
    """Return the live credential whose secret is `token`, or None.

    The lookup is by SHA-256 digest, so the comparison never touches the secret itself.
    """
    credential = session.scalar(
        select(Credential).where(Credential.token_hash == hash_token(token))
    )
    if credential is None or credential.revoked_at is not None:
        return None
    if credential.expires_at is not None and credential.expires_at <= utcnow():
        return None
    return credential


def list_credentials(session: Session, organization_id: str) -> list[Credential]:
    query = select(Credential).where(Credential.organization_id == organization_id)
    return list(session.scalars(query.order_by(Credential.id)))


def revoke_credential(session: Session, credential_id: str) -> bool:
    credential = session.get(Credential, credential_id)
    if credential is None or credential.revoked_at is not None:
        return False
    credential.revoked_at = utcnow()
    return True


def create_run(session: Session, **fields: Any) -> ReportRun:
    run = ReportRun(id=ids.new_id(ids.RUN), status="queued", **fields)
    session.add(run)
    session.flush()
    return run


def get_run(session: Session, organization_id: str, run_id: str) -> ReportRun | None:
    """Return the organisation's run; another organisation's run is None, like a missing one."""
    run = session.get(ReportRun, run_id)
    if run is None or run.organization_id != organization_id:
        return None
    return run


def list_runs(
    session: Session,
    organization_id: str,
    *,
    limit: int,
    before: str | None = None,
    report_id: str | None = None,
    status: str | None = None,
) -> list[ReportRun]:
    """Return up to `limit` runs, newest first, with ids before the `before` cursor."""
    query = select(ReportRun).where(ReportRun.organization_id == organization_id)
    if before is not None:
        query = query.where(ReportRun.id < before)
    if report_id is not None:
        query = query.where(ReportRun.report_id == report_id)
    if status is not None:
        query = query.where(ReportRun.status == status)
    return list(session.scalars(query.order_by(ReportRun.id.desc()).limit(limit)))


def get_artifact_by_path(session: Session, relative_path: str) -> RunArtifact | None:
    return session.scalar(select(RunArtifact).where(RunArtifact.path == relative_path))


def mark_running(session: Session, run_id: str, dagster_run_id: str | None) -> ReportRun:
    run = _run(session, run_id)
    if run.status == "queued":
        run.status = "running"
    run.started_at = run.started_at or utcnow()
    if dagster_run_id:
        run.dagster_run_id = dagster_run_id
    return run


def record_success(
    session: Session,
    run_id: str,
    *,
    row_count: int,
    truncated: bool,
    preview: dict[str, Any],
    artifacts: Sequence[dict[str, Any]],
) -> ReportRun:
    run = _run(session, run_id)
    for artifact in artifacts:
        session.add(RunArtifact(run_id=run_id, **artifact))
    run.row_count = row_count
    run.truncated = truncated
    run.preview = preview
    run.status = "ready"
    run.error_code = None
    run.error_message = None
    run.finished_at = utcnow()
    return run


def record_failure(session: Session, run_id: str, *, code: str, message: str) -> ReportRun | None:
    """Mark the run failed unless it already reached an outcome."""
    run = session.get(ReportRun, run_id)
    if run is None or run.status in ("ready", "failed"):
        return run
    run.status = "failed"
    run.error_code = code
    run.error_message = message[:4000]
    run.finished_at = utcnow()
    return run


def _run(session: Session, run_id: str) -> ReportRun:
    run = session.get(ReportRun, run_id)
    if run is None:
        raise LookupError(f"run {run_id} does not exist")
    return run
