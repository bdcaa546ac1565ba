"""Attempts and retries of one delivery.

A sender raises `TransientDeliveryError` for failures another attempt may get past:
connection errors, timeouts, HTTP 408, 429 and 5xx, and SMTP 4xx replies. It raises
`PermanentDeliveryError` for the rest, such as failed authentication, other HTTP 4xx, a host
key mismatch or a URL the egress policy blocks. Transient failures are retried with
exponential backoff and jitter, up to a bounded number of attempts. A permanent failure ends
the delivery at once.
"""

from __future__ import annotations

import logging
import random
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar, Literal, Protocol

from reports_pipeline.errors import ReportsError

if TYPE_CHECKING:
    from reports_pipeline.settings import Settings

logger = logging.getLogger(__name__)

AttemptStatus = Literal["delivered", "retrying", "failed"]

_JITTER = random.Random()  # noqa: S311 - jitter needs no cryptographic randomness


class DeliveryError(ReportsError):
    """A failed delivery attempt. `transient` is whether another attempt may succeed."""

    code = "delivery_failed"
    status = 502
    transient: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        retry_after: float | None = None,
        remote_detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.retry_after = retry_after
        """Seconds the remote side asked to wait (Retry-After), if it did."""
        self.remote_detail = remote_detail


class TransientDeliveryError(DeliveryError):
    """A failure another attempt may get past: network, timeout, overload."""

    transient = True


class PermanentDeliveryError(DeliveryError):
    """A failure that repeats on every attempt until the channel or the server is fixed."""

    transient = False


@dataclass(frozen=True)
class Receipt:
    """The remote side's report of a successful attempt."""

    detail: str | None = None
    http_status: int | None = None


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    backoff_base_seconds: float
    backoff_max_seconds: float
    retry_after_max_seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            max_attempts=settings.delivery_max_attempts,
            backoff_base_seconds=settings.delivery_backoff_base_seconds,
            backoff_max_seconds=settings.delivery_backoff_max_seconds,
            retry_after_max_seconds=settings.delivery_retry_after_max_seconds,
        )

    def delay(
        self, failed_attempt: int, retry_after: float | None, rng: random.Random | None = None
    ) -> float:
        """Return the seconds to wait after attempt `failed_attempt` (1-based) failed.

        A Retry-After from the server is honoured up to `retry_after_max_seconds`. Otherwise
        the wait is base * 2^(attempt - 1), capped at `backoff_max_seconds`, of which a random
        half is taken off ("equal jitter"), so channels that failed together do not retry
        together.
        """
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.retry_after_max_seconds)
        ceiling = min(
            self.backoff_max_seconds, self.backoff_base_seconds * 2.0 ** (failed_attempt - 1)
        )
        half = ceiling / 2
        jitter = (rng or _JITTER).uniform(0, half)
        return half + jitter


@dataclass(frozen=True)
class AttemptResult:
    number: int
    status: AttemptStatus
    started_at: datetime
    finished_at: datetime
    error: str | None = None
    http_status: int | None = None
    remote_detail: str | None = None
    next_delay_seconds: float | None = None
    """Wait before the next attempt; None unless the status is `retrying`."""


class AttemptObserver(Protocol):
    """Told when each attempt starts and ends, to store and log it."""

    def started(self, number: int) -> None: ...

    def finished(self, result: AttemptResult) -> None: ...


def _now() -> datetime:
    return datetime.now(UTC)


def _unchanged(text: str) -> str:
    return text


def deliver_with_retries(
    send: Callable[[int], Receipt],
    policy: RetryPolicy,
    observer: AttemptObserver,
    *,
    redact: Callable[[str], str] = _unchanged,
    sleep: Callable[[float], None] = time.sleep,
) -> list[AttemptResult]:
    """Call `send(attempt_number)` until it succeeds, fails permanently or runs out of attempts.

    Every exception is caught and recorded, so one channel's failure, or a bug in its sender,
    never stops the delivery of the other channels. `redact` masks secret values in every
    error message and remote detail before they are recorded.
    """
    results: list[AttemptResult] = []
    for number in range(1, policy.max_attempts + 1):
        observer.started(number)
        started_at = _now()
        try:
            receipt = send(number)
        except DeliveryError as exc:
            last = not exc.transient or number == policy.max_attempts
            result = AttemptResult(
                number=number,
                status="failed" if last else "retrying",
                started_at=started_at,
                finished_at=_now(),
                error=redact(exc.message),
                http_status=exc.http_status,
                remote_detail=redact(exc.remote_detail) if exc.remote_detail else None,
                next_delay_seconds=None if last else policy.delay(number, exc.retry_after),
            )
        except Exception as exc:
            # A bug, not a delivery problem: retrying would repeat it.
            logger.error(
                "delivery attempt %d raised an unexpected error:\n%s",
                number,
                redact("".join(traceback.format_exception(exc))),
            )
            result = AttemptResult(
                number=number,
                status="failed",
                started_at=started_at,
                finished_at=_now(),
                error=redact(f"internal error: {type(exc).__name__}: {exc}"),
            )
        else:
            result = AttemptResult(
                number=number,
                status="delivered",
                started_at=started_at,
                finished_at=_now(),
                http_status=receipt.http_status,
                remote_detail=redact(receipt.detail) if receipt.detail else None,
            )
        results.append(result)
        observer.finished(result)
        if result.status != "retrying":
            break
        assert result.next_delay_seconds is not None
        sleep(result.next_delay_seconds)
    return results
