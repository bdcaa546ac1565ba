"""The deliver stage: plan a scheduled run's deliveries, send each channel with retries, and
store the outcome. The Dagster delivery ops call these functions; they import no Dagster.

Only runs started by a schedule deliver; API runs have no channels. Every attempt is stored
in `delivery_attempts` as it starts and ends, so the API shows a delivery while it is retried.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from reports_pipeline import ids
from reports_pipeline.crypto import SecretBox
from reports_pipeline.delivery.content import DeliveryContent, build_content
from reports_pipeline.delivery.model import (
    Channel,
    EmailChannel,
    S3Channel,
    SftpChannel,
    WebhookChannel,
    describe_target,
)
from reports_pipeline.delivery.retry import (
    AttemptResult,
    Receipt,
    RetryPolicy,
    deliver_with_retries,
)
from reports_pipeline.settings import Settings
from reports_pipeline.store import deliveries, repository
from reports_pipeline.store.db import session_scope
from reports_pipeline.store.models import ReportRun, Schedule

logger = logging.getLogger(__name__)

MASK = "********"
MIN_MASKED_LENGTH = 4
"""Secret values shorter than this are not masked in messages: they would mask ordinary text."""


class Sender(Protocol):
    def send(self, attempt: int) -> Receipt: ...


@dataclass(frozen=True)
class PlannedDelivery:
    """One channel of a run to deliver. `channel` contains decrypted secrets, so repr omits it."""

    run_id: str
    schedule_id: str
    channel_index: int
    channel_type: str
    target: str
    delivery_id: str
    content: DeliveryContent
    channel: Channel = field(repr=False)

    @property
    def mapping_key(self) -> str:
        """The Dagster mapping key of the channel's deliver step, such as `c0_email`."""
        return f"c{self.channel_index}_{self.channel_type}"


@dataclass(frozen=True)
class DeliveryOutcome:
    channel_index: int
    channel_type: str
    target: str
    delivery_id: str
    attempts: tuple[AttemptResult, ...]

    @property
    def mapping_key(self) -> str:
        return f"c{self.channel_index}_{self.channel_type}"

    @property
    def delivered(self) -> bool:
        return bool(self.attempts) and self.attempts[-1].status == "delivered"

    @property
    def error(self) -> str | None:
        return self.attempts[-1].error if self.attempts else "no attempt was made"


def plan_deliveries(
    session: Session, settings: Settings, run_id: str, now: datetime | None = None
) -> list[PlannedDelivery]:
    """Return one planned delivery per channel of the run's schedule, stored as pending.

    A run without a schedule delivers nothing. The run's delivery status becomes `pending`,
    or `none` when its schedule was deleted or has no channels.
    """
    run = session.get(ReportRun, run_id)
    if run is None:
        raise LookupError(f"run {run_id} does not exist")
    if run.schedule_id is None:
        return []
    schedule = session.get(Schedule, run.schedule_id)
    if schedule is None:
        logger.warning(
            "run %s: schedule %s no longer exists, so nothing is delivered",
            run_id,
            run.schedule_id,
        )
        run.delivery_status = "none"
        return []
    channels = repository.schedule_channels(schedule, SecretBox.from_settings(settings))
    content = build_content(run, settings, now)
    planned = []
    for index, channel in enumerate(channels):
        delivery_id = ids.new_id(ids.DELIVERY)
        target = describe_target(channel)
        deliveries.add_planned_attempt(
            session,
            run,
            channel_index=index,
            channel_type=channel.type,
            target=target,
            delivery_id=delivery_id,
        )
        planned.append(
            PlannedDelivery(
                run_id=run.id,
                schedule_id=schedule.id,
                channel_index=index,
                channel_type=channel.type,
                target=target,
                delivery_id=delivery_id,
                content=content,
                channel=channel,
            )
        )
    run.delivery_status = "pending" if planned else "none"
    return planned


def make_sender(planned: PlannedDelivery, settings: Settings) -> Sender:
    """Return the sender of the planned delivery's channel type."""
    channel, content, delivery_id = planned.channel, planned.content, planned.delivery_id
    if isinstance(channel, EmailChannel):
        from reports_pipeline.delivery.email import EmailSender

        return EmailSender(channel, content, settings, delivery_id)
    if isinstance(channel, WebhookChannel):
        from reports_pipeline.delivery.webhook import WebhookSender

        return WebhookSender(channel, content, settings, delivery_id)
    if isinstance(channel, SftpChannel):
        from reports_pipeline.delivery.sftp import SftpSender

        return SftpSender(channel, content, settings, delivery_id)
    assert isinstance(channel, S3Channel)
    from reports_pipeline.delivery.s3 import S3Sender

    return S3Sender(channel, content, settings, delivery_id)


def secret_values(channel: Channel, settings: Settings) -> list[str]:
    """Return every secret a delivery over `channel` uses, to mask in messages."""
    values: list[str] = []
    if isinstance(channel, WebhookChannel):
        values += [channel.secret, *channel.headers.values()]
    elif isinstance(channel, SftpChannel):
        values.append(channel.auth.value)
        # Lines of a private key, in case a message quotes part of one.
        values += [line for line in channel.auth.value.splitlines() if len(line) >= 16]
    elif isinstance(channel, EmailChannel) and settings.smtp_password is not None:
        values.append(settings.smtp_password.get_secret_value())
    return [value for value in values if len(value) >= MIN_MASKED_LENGTH]


def mask_secrets(text: str, secrets: Sequence[str]) -> str:
    """Replace every occurrence of each secret value in `text` with the mask, longest first."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


class _LazySender:
    """Builds the sender at the first attempt, so an error while preparing it (an unreadable
    file, say) is recorded as a failed attempt like any other."""

    def __init__(self, factory: Callable[[], Sender]) -> None:
        self._factory = factory
        self._sender: Sender | None = None

    def send(self, attempt: int) -> Receipt:
        if self._sender is None:
            self._sender = self._factory()
        return self._sender.send(attempt)


class _AttemptRecorder:
    """Stores each attempt as it starts and ends, and logs it with the run and channel."""

    def __init__(
        self, planned: PlannedDelivery, settings: Settings, log: logging.Logger, max_attempts: int
    ) -> None:
        self._planned = planned
        self._database_url = settings.database_url
        self._log = log
        self._max_attempts = max_attempts

    def started(self, number: int) -> None:
        planned = self._planned
        with session_scope(self._database_url) as session:
            deliveries.start_attempt(
                session, run_id=planned.run_id, channel_index=planned.channel_index, number=number
            )
        self._log.info(
            "run %s: delivering %s (%s), attempt %d of %d",
            planned.run_id,
            planned.mapping_key,
            planned.target,
            number,
            self._max_attempts,
        )

    def finished(self, result: AttemptResult) -> None:
        planned = self._planned
        with session_scope(self._database_url) as session:
            deliveries.finish_attempt(
                session,
                run_id=planned.run_id,
                channel_index=planned.channel_index,
                number=result.number,
                status=result.status,
                error_message=result.error,
                http_status=result.http_status,
                remote_detail=result.remote_detail,
                started_at=result.started_at,
                finished_at=result.finished_at,
            )
        where = f"{planned.mapping_key} ({planned.target})"
        if result.status == "delivered":
            self._log.info(
                "run %s: delivered %s on attempt %d: %s",
                planned.run_id,
                where,
                result.number,
                result.remote_detail,
            )
        elif result.status == "retrying":
            self._log.warning(
                "run %s: attempt %d of %s failed: %s; retrying in %.1f s",
                planned.run_id,
                result.number,
                where,
                result.error,
                result.next_delay_seconds,
            )
        else:
            self._log.error(
                "run %s: delivery of %s failed on attempt %d, with no further attempt: %s",
                planned.run_id,
                where,
                result.number,
                result.error,
            )


def deliver(
    planned: PlannedDelivery,
    settings: Settings,
    *,
    log: logging.Logger = logger,
    sleep: Callable[[float], None] = time.sleep,
    sender: Sender | None = None,
) -> DeliveryOutcome:
    """Deliver one channel with retries and store every attempt.

    A failed delivery is returned, not raised. Only an error while storing an attempt raises.
    """
    policy = RetryPolicy.from_settings(settings)
    secrets = secret_values(planned.channel, settings)
    attempts = deliver_with_retries(
        (sender or _LazySender(lambda: make_sender(planned, settings))).send,
        policy,
        _AttemptRecorder(planned, settings, log, policy.max_attempts),
        redact=lambda text: mask_secrets(text, secrets),
        sleep=sleep,
    )
    return DeliveryOutcome(
        channel_index=planned.channel_index,
        channel_type=planned.channel_type,
        target=planned.target,
        delivery_id=planned.delivery_id,
        attempts=tuple(attempts),
    )


def finish_deliveries(session: Session, run_id: str, outcomes: Sequence[DeliveryOutcome]) -> str:
    """Store and return the run's delivery status: delivered, partial or failed.

    A run with no deliveries keeps the status planning gave it and returns `none`.
    """
    if not outcomes:
        return "none"
    delivered = sum(outcome.delivered for outcome in outcomes)
    status = deliveries.overall_status(delivered, len(outcomes))
    deliveries.set_delivery_status(session, run_id, status)
    return status
