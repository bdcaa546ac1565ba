"""Reads and writes of the application database, one function per use."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reports_pipeline import ids
from reports_pipeline.access import ENTITLEMENTS, PERMISSIONS
from reports_pipeline.store.models import (
    Credential,
    Organization,
    ReportRun,
    RunArtifact,
    SavedReport,
    Schedule,
    utcnow,
)

if TYPE_CHECKING:
    from reports_pipeline.crypto import SecretBox
    from reports_pipeline.delivery.model import Channel

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
    schedule_id: str | None = None,
) -> list[ReportRun]:
    """Return up to `limit` runs, newest first, with ids before the `before` cursor."""
    query = select(ReportRun).where(ReportRun.organization_id == organization_id)
    if before is not None:
        query = query.where(ReportRun.id < before)
    if report_id is not None:
        query = query.where(ReportRun.report_id == report_id)
    if schedule_id is not None:
        query = query.where(ReportRun.schedule_id == schedule_id)
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


def create_saved_report(
    session: Session,
    organization_id: str,
    *,
    saved_report_id: str,
    base_report_id: str,
    overrides: dict[str, Any],
    definition: dict[str, Any],
) -> SavedReport:
    """Store a saved report; its id is chosen by the caller, since the definition carries it."""
    now = utcnow()
    saved = SavedReport(
        id=saved_report_id,
        organization_id=organization_id,
        base_report_id=base_report_id,
        overrides=overrides,
        definition=definition,
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(saved)
    session.flush()
    return saved


def get_saved_report(
    session: Session, organization_id: str, saved_report_id: str
) -> SavedReport | None:
    """Return the organisation's saved report; another organisation's is None."""
    saved = session.get(SavedReport, saved_report_id)
    if saved is None or saved.organization_id != organization_id:
        return None
    return saved


def list_saved_reports(
    session: Session, organization_id: str, *, limit: int, after: str | None = None
) -> list[SavedReport]:
    """Return up to `limit` saved reports, oldest first, with ids after the `after` cursor."""
    query = select(SavedReport).where(SavedReport.organization_id == organization_id)
    if after is not None:
        query = query.where(SavedReport.id > after)
    return list(session.scalars(query.order_by(SavedReport.id).limit(limit)))


def delete_saved_report(session: Session, saved: SavedReport) -> list[Schedule]:
    """Delete a saved report and stop its schedules; return the schedules stopped."""
    schedules = list(
        session.scalars(
            select(Schedule).where(
                Schedule.organization_id == saved.organization_id,
                Schedule.saved_report_id == saved.id,
            )
        )
    )
    for schedule in schedules:
        schedule.disabled_reason = "saved_report_deleted"
        schedule.updated_at = utcnow()
    session.delete(saved)
    session.flush()
    return schedules


def create_schedule(session: Session, box: SecretBox, **fields: Any) -> Schedule:
    """Store a schedule; `channels` are channel models, stored with their secrets encrypted."""
    channels: list[Channel] = fields.pop("channels")
    now = utcnow()
    schedule = Schedule(
        id=ids.new_id(ids.SCHEDULE), version=1, created_at=now, updated_at=now, **fields
    )
    set_schedule_channels(schedule, box, channels)
    session.add(schedule)
    session.flush()
    return schedule


def set_schedule_channels(schedule: Schedule, box: SecretBox, channels: Sequence[Channel]) -> None:
    """Store channels on a schedule: public fields in the clear, secret values encrypted."""
    from reports_pipeline.delivery.model import split_secrets

    parts = [split_secrets(channel) for channel in channels]
    schedule.channels = [public for public, _ in parts]
    schedule.channel_secrets = box.encrypt([secret for _, secret in parts])


def schedule_channels(schedule: Schedule, box: SecretBox) -> list[Channel]:
    """Return a schedule's channels with their secret values decrypted, ready to deliver."""
    from reports_pipeline.delivery.model import join_secrets, parse_channels

    secrets = box.decrypt(schedule.channel_secrets)
    return parse_channels(
        [
            join_secrets(public, secret)
            for public, secret in zip(schedule.channels, secrets, strict=True)
        ]
    )


def get_schedule(session: Session, organization_id: str, schedule_id: str) -> Schedule | None:
    """Return the organisation's schedule; another organisation's is None."""
    schedule = session.get(Schedule, schedule_id)
    if schedule is None or schedule.organization_id != organization_id:
        return None
    return schedule


def list_schedules(
    session: Session, organization_id: str, *, limit: int, after: str | None = None
) -> list[Schedule]:
    """Return up to `limit` schedules, oldest first, with ids after the `after` cursor."""
    query = select(Schedule).where(Schedule.organization_id == organization_id)
    if after is not None:
        query = query.where(Schedule.id > after)
    return list(session.scalars(query.order_by(Schedule.id).limit(limit)))


def active_schedules(session: Session) -> list[Schedule]:
    """Return every schedule that fires: enabled and not stopped, across organisations."""
    return list(
        session.scalars(
            select(Schedule)
            .where(Schedule.enabled.is_(True), Schedule.disabled_reason.is_(None))
            .order_by(Schedule.id)
        )
    )


def find_equivalent_schedule(
    session: Session,
    organization_id: str,
    *,
    target_id: str,
    timezones: Collection[str],
    cron_key: str,
    exclude_id: str | None = None,
) -> Schedule | None:
    """Return a schedule with the same normalised cron and target in one of `timezones` (the
    names of one zone), if one exists."""
    query = select(Schedule).where(
        Schedule.organization_id == organization_id,
        Schedule.target_id == target_id,
        Schedule.timezone.in_(sorted(timezones)),
        Schedule.cron_key == cron_key,
    )
    if exclude_id is not None:
        query = query.where(Schedule.id != exclude_id)
    return session.scalar(query.limit(1))
