"""Reads and writes of delivery attempts and of a run's delivery status."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from reports_pipeline.store.models import DeliveryAttempt, ReportRun, utcnow

MAX_ERROR = 4000
MAX_DETAIL = 1000


def add_planned_attempt(
    session: Session,
    run: ReportRun,
    *,
    channel_index: int,
    channel_type: str,
    target: str,
    delivery_id: str,
) -> DeliveryAttempt:
    """Store a channel's first attempt as pending, so the run lists it before it is sent."""
    attempt = DeliveryAttempt(
        run_id=run.id,
        schedule_id=run.schedule_id,
        channel_index=channel_index,
        channel_type=channel_type,
        target=target[:500],
        delivery_id=delivery_id,
        attempt=1,
        status="pending",
    )
    session.add(attempt)
    session.flush()
    return attempt


def _attempt(
    session: Session, run_id: str, channel_index: int, number: int
) -> DeliveryAttempt | None:
    return session.scalar(
        select(DeliveryAttempt).where(
            DeliveryAttempt.run_id == run_id,
            DeliveryAttempt.channel_index == channel_index,
            DeliveryAttempt.attempt == number,
        )
    )


def start_attempt(
    session: Session,
    *,
    run_id: str,
    channel_index: int,
    number: int,
    started_at: datetime | None = None,
) -> DeliveryAttempt:
    """Mark attempt `number` of a channel as sending, adding its row after the first."""
    attempt = _attempt(session, run_id, channel_index, number)
    if attempt is None:
        first = _attempt(session, run_id, channel_index, 1)
        if first is None:
            raise LookupError(f"run {run_id} has no planned delivery on channel {channel_index}")
        attempt = DeliveryAttempt(
            run_id=run_id,
            schedule_id=first.schedule_id,
            channel_index=channel_index,
            channel_type=first.channel_type,
            target=first.target,
            delivery_id=first.delivery_id,
            attempt=number,
        )
        session.add(attempt)
    attempt.status = "sending"
    attempt.started_at = started_at or utcnow()
    session.flush()
    return attempt


def finish_attempt(
    session: Session,
    *,
    run_id: str,
    channel_index: int,
    number: int,
    status: str,
    error_message: str | None,
    http_status: int | None,
    remote_detail: str | None,
    started_at: datetime,
    finished_at: datetime,
) -> None:
    """Store how an attempt ended: `delivered`, `retrying` or `failed`."""
    attempt = _attempt(session, run_id, channel_index, number)
    if attempt is None:
        raise LookupError(f"run {run_id} has no attempt {number} on channel {channel_index}")
    attempt.status = status
    attempt.error_message = error_message[:MAX_ERROR] if error_message else None
    attempt.http_status = http_status
    attempt.remote_detail = remote_detail[:MAX_DETAIL] if remote_detail else None
    attempt.started_at = started_at
    attempt.finished_at = finished_at


def overall_status(delivered: int, channels: int) -> str:
    """Return a run's delivery status from how many of its channels delivered."""
    if delivered == channels:
        return "delivered"
    if delivered == 0:
        return "failed"
    return "partial"


def set_delivery_status(session: Session, run_id: str, status: str) -> None:
    run = session.get(ReportRun, run_id)
    if run is None:
        raise LookupError(f"run {run_id} does not exist")
    run.delivery_status = status


UNFINISHED = ("pending", "sending", "retrying")
"""Statuses of a channel's last attempt while the channel's delivery is still in progress."""


def close_unfinished_attempts(session: Session, run_id: str, ended: str) -> int:
    """Mark failed the last attempt of each channel still in progress when the run ended.

    `ended` describes how the run ended, for the error messages. A `sending` attempt may have
    reached its target before the worker stopped, so its message states that the outcome is unknown.
    Returns how many attempts were closed, and stores the run's delivery status again when
    there were any.
    """
    attempts = session.scalars(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.run_id == run_id)
        .order_by(DeliveryAttempt.channel_index, DeliveryAttempt.attempt)
    ).all()
    last: dict[int, DeliveryAttempt] = {}
    for attempt in attempts:
        last[attempt.channel_index] = attempt

    closed = 0
    now = utcnow()
    for attempt in last.values():
        if attempt.status not in UNFINISHED:
            continue
        if attempt.status == "pending":
            message = f"{ended} before this delivery started"
        elif attempt.status == "sending":
            message = f"{ended} during this attempt, so whether it arrived is unknown"
        else:
            failure = attempt.error_message or "attempt failed"
            message = f"{failure}. {ended} before the next attempt"
        attempt.status = "failed"
        attempt.error_message = message[:MAX_ERROR]
        attempt.finished_at = now
        closed += 1
    if closed:
        delivered = sum(attempt.status == "delivered" for attempt in last.values())
        set_delivery_status(session, run_id, overall_status(delivered, len(last)))
    session.flush()
    return closed
