"""Schedules: validation of the cron, zone, target, formats and channels, and storage."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reports_api.deps import Principal
from reports_api.schemas import ScheduleFields, SchedulePublic
from reports_api.services.runs import check_formats, check_render_options
from reports_pipeline import ids
from reports_pipeline.access import SCHEDULES_ENTITLEMENT
from reports_pipeline.catalogue.loader import get_catalogue
from reports_pipeline.catalogue.model import ReportDefinition
from reports_pipeline.cron import parse_cron
from reports_pipeline.crypto import SecretBox
from reports_pipeline.delivery.model import (
    Channel,
    WebhookChannel,
    keep_masked_secrets,
    masked,
    parse_channels,
)
from reports_pipeline.egress import EgressPolicy
from reports_pipeline.errors import Conflict, NotFound, ValidationError
from reports_pipeline.orchestration.schedules import fire_times
from reports_pipeline.params import resolve_params
from reports_pipeline.periods import parse_timezone, zone_aliases
from reports_pipeline.pipeline import schedule_params
from reports_pipeline.settings import Settings
from reports_pipeline.store import repository
from reports_pipeline.store.models import Schedule, utcnow

logger = logging.getLogger(__name__)

NEXT_FIRE_TIMES = 5
PICKUP_DELAY = timedelta(seconds=60)


def _target(
    session: Session, principal: Principal, fields: ScheduleFields
) -> tuple[ReportDefinition, str]:
    """Return the definition a schedule points at and its target id; 404 when not found."""
    if fields.saved_report_id is not None:
        saved = (
            repository.get_saved_report(session, principal.organization_id, fields.saved_report_id)
            if ids.has_prefix(fields.saved_report_id, ids.SAVED_REPORT)
            else None
        )
        if saved is None:
            raise NotFound(f"saved report {fields.saved_report_id} not found")
        return ReportDefinition.model_validate(saved.definition), saved.id
    assert fields.report_id is not None
    definition = get_catalogue().get(fields.report_id)
    if definition is None:
        raise NotFound(
            f"catalogue report {fields.report_id} not found; GET /v1/reports/catalog lists them"
        )
    if definition.entitlement_key:
        principal.require_entitlement(definition.entitlement_key)
    return definition, definition.id


def _channels(
    settings: Settings, raw: list[dict[str, Any]], previous: list[dict[str, Any]] | None
) -> list[Channel]:
    try:
        submitted = keep_masked_secrets(raw, previous or [])
        channels = parse_channels(submitted)
    except ValueError as exc:
        if isinstance(exc, PydanticValidationError):
            first = exc.errors()[0]
            where = "channels." + ".".join(str(part) for part in first["loc"])
            message = first["msg"].removeprefix("Value error, ")
        else:
            where, message = "channels", str(exc)
        raise ValidationError(
            f"{where}: {message}", details=[{"field": where, "message": message}]
        ) from exc
    policy = EgressPolicy.from_settings(settings)
    for index, channel in enumerate(channels):
        if isinstance(channel, WebhookChannel):
            try:
                policy.check_url(channel.url)
            except ValidationError as exc:
                raise ValidationError(
                    f"channels.{index}.url: {exc.message}",
                    details=[{"field": f"channels.{index}.url", "message": exc.message}],
                ) from exc
    return channels


def _validated(
    session: Session,
    settings: Settings,
    principal: Principal,
    fields: ScheduleFields,
    previous_channels: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Check every field of a schedule and return the columns to store."""
    principal.require_entitlement(SCHEDULES_ENTITLEMENT)
    cron = parse_cron(fields.cron)
    parse_timezone(fields.timezone)
    definition, target_id = _target(session, principal, fields)
    check_formats(principal, fields.formats)
    channels = _channels(settings, fields.channels, previous_channels)
    probe = Schedule(params=fields.params, timezone=fields.timezone)
    resolve_params(definition, schedule_params(definition, probe), now=datetime.now(UTC))
    return {
        "report_id": fields.report_id,
        "saved_report_id": fields.saved_report_id,
        "target_id": target_id,
        "name": fields.name,
        "cron": cron.text,
        "cron_key": cron.key,
        "timezone": fields.timezone,
        "formats": list(fields.formats),
        "params": dict(fields.params),
        "render_options": check_render_options(settings, fields.render_options),
        "enabled": fields.enabled,
        "channels": channels,
    }


def _check_conflict(
    session: Session, organization_id: str, values: dict[str, Any], exclude_id: str | None
) -> None:
    existing = repository.find_equivalent_schedule(
        session,
        organization_id,
        target_id=values["target_id"],
        # A link such as US/Pacific names the same zone as America/Los_Angeles.
        timezones=zone_aliases(values["timezone"]),
        cron_key=values["cron_key"],
        exclude_id=exclude_id,
    )
    if existing is not None:
        raise _conflict(existing.id, existing.cron, values)


def _conflict(
    existing_id: str | None, existing_cron: str | None, values: dict[str, Any]
) -> Conflict:
    existing = f"schedule {existing_id} ({existing_cron!r})" if existing_id else "another schedule"
    return Conflict(
        f"cron {values['cron']!r} in {values['timezone']} fires at the same times as {existing} "
        f"on {values['target_id']}; change the existing schedule instead",
        details={"schedule_id": existing_id, "cron": values["cron"]},
    )


def create(
    session: Session, settings: Settings, principal: Principal, fields: ScheduleFields
) -> Schedule:
    values = _validated(session, settings, principal, fields)
    _check_conflict(session, principal.organization_id, values, None)
    box = SecretBox.from_settings(settings)
    try:
        schedule = repository.create_schedule(
            session, box, organization_id=principal.organization_id, **values
        )
    except IntegrityError as exc:
        # A concurrent request stored the same schedule between the check and the insert.
        session.rollback()
        raise _conflict(None, None, values) from exc
    logger.info(
        "org %s created schedule %s (%s, %s) on %s",
        principal.organization_id,
        schedule.id,
        schedule.cron,
        schedule.timezone,
        schedule.target_id,
    )
    return schedule


def replace(
    session: Session,
    settings: Settings,
    principal: Principal,
    schedule: Schedule,
    fields: ScheduleFields,
) -> Schedule:
    box = SecretBox.from_settings(settings)
    previous = [
        channel.model_dump(mode="json") for channel in repository.schedule_channels(schedule, box)
    ]
    values = _validated(session, settings, principal, fields, previous)
    _check_conflict(session, principal.organization_id, values, schedule.id)
    channels = values.pop("channels")
    for key, value in values.items():
        setattr(schedule, key, value)
    repository.set_schedule_channels(schedule, box, channels)
    # Pointing the schedule at an existing report ends a stop caused by a deleted saved report.
    schedule.disabled_reason = None
    schedule.version += 1
    schedule.updated_at = utcnow()
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise _conflict(None, None, values) from exc
    logger.info(
        "org %s updated schedule %s to version %d",
        schedule.organization_id,
        schedule.id,
        schedule.version,
    )
    return schedule


def to_public(schedule: Schedule, *, now: datetime | None = None) -> SchedulePublic:
    # The scheduler picks a written schedule up at its next minute boundary, so a tick less
    # than a minute after the write may be skipped and is not shown.
    after = max(now or datetime.now(UTC), schedule.updated_at + PICKUP_DELAY)
    upcoming = (
        fire_times(schedule.cron_key, schedule.timezone, after, NEXT_FIRE_TIMES)
        if schedule.active
        else []
    )
    return SchedulePublic(
        schedule_id=schedule.id,
        organization_id=schedule.organization_id,
        report_id=schedule.report_id,
        saved_report_id=schedule.saved_report_id,
        name=schedule.name,
        cron=schedule.cron,
        timezone=schedule.timezone,
        formats=list(schedule.formats),
        channels=[masked(channel) for channel in schedule.channels],
        enabled=schedule.enabled,
        disabled_reason=schedule.disabled_reason,
        params=dict(schedule.params or {}),
        render_options=dict(schedule.render_options or {}),
        next_fire_times=upcoming,
        version=schedule.version,
        created_at=schedule.created_at,
        updated_at=schedule.updated_at,
    )
