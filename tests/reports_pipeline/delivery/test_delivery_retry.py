"""The retry loop: backoff with jitter, Retry-After, bounded attempts, permanent failures."""

from __future__ import annotations

import random

import pytest

from reports_pipeline.delivery.deliver import mask_secrets
from reports_pipeline.delivery.retry import (
    PermanentDeliveryError,
    Receipt,
    RetryPolicy,
    TransientDeliveryError,
    deliver_with_retries,
)

POLICY = RetryPolicy(
    max_attempts=4, backoff_base_seconds=10, backoff_max_seconds=60, retry_after_max_seconds=120
)


class ScriptedSender:
    """Raises the scripted errors in order, then succeeds."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls: list[int] = []

    def send(self, attempt: int) -> Receipt:
        self.calls.append(attempt)
        if self.errors:
            raise self.errors.pop(0)
        return Receipt(detail="ok", http_status=200)


@pytest.mark.parametrize(("attempt", "ceiling"), [(1, 10), (2, 20), (3, 40), (4, 60), (9, 60)])
def test_backoff_doubles_with_equal_jitter(attempt: int, ceiling: float) -> None:
    rng = random.Random(7)
    delays = [POLICY.delay(attempt, None, rng) for _ in range(200)]
    assert min(delays) >= ceiling / 2
    assert max(delays) <= ceiling
    assert len(set(delays)) > 100, "jitter must spread the delays"


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    assert POLICY.delay(1, 30, random.Random(1)) == 30
    assert POLICY.delay(1, 3600, random.Random(1)) == 120
    assert POLICY.delay(1, -5, random.Random(1)) == 0


def test_transient_failures_retry_until_success(observer) -> None:
    sender = ScriptedSender(TransientDeliveryError("down"), TransientDeliveryError("down"))
    slept: list[float] = []
    results = deliver_with_retries(sender.send, POLICY, observer, sleep=slept.append)
    assert sender.calls == [1, 2, 3]
    assert [r.status for r in results] == ["retrying", "retrying", "delivered"]
    assert observer.numbers == [1, 2, 3]
    assert observer.statuses == ["retrying", "retrying", "delivered"]
    assert len(slept) == 2
    assert 5 <= slept[0] <= 10
    assert 10 <= slept[1] <= 20
    assert results[-1].http_status == 200


def test_attempts_are_bounded(observer) -> None:
    sender = ScriptedSender(*[TransientDeliveryError("timed out") for _ in range(10)])
    results = deliver_with_retries(sender.send, POLICY, observer, sleep=lambda _: None)
    assert sender.calls == [1, 2, 3, 4]
    assert [r.status for r in results] == ["retrying", "retrying", "retrying", "failed"]
    assert results[-1].error == "timed out"
    assert results[-1].next_delay_seconds is None


def test_permanent_failure_is_not_retried(observer) -> None:
    sender = ScriptedSender(PermanentDeliveryError("authentication failed", http_status=401))
    results = deliver_with_retries(sender.send, POLICY, observer, sleep=lambda _: None)
    assert sender.calls == [1]
    assert [r.status for r in results] == ["failed"]
    assert results[0].http_status == 401


def test_retry_after_sets_the_wait(observer) -> None:
    sender = ScriptedSender(TransientDeliveryError("slow down", http_status=429, retry_after=3))
    slept: list[float] = []
    deliver_with_retries(sender.send, POLICY, observer, sleep=slept.append)
    assert slept == [3]


def test_unexpected_error_fails_without_retry(observer) -> None:
    sender = ScriptedSender(KeyError("boom"))
    results = deliver_with_retries(sender.send, POLICY, observer, sleep=lambda _: None)
    assert sender.calls == [1]
    assert results[0].status == "failed"
    assert results[0].error is not None
    assert results[0].error.startswith("internal error: KeyError")


def test_errors_are_redacted(observer) -> None:
    secret = "hunter2-very-secret"
    sender = ScriptedSender(PermanentDeliveryError(f"rejected {secret}", remote_detail=secret))
    results = deliver_with_retries(
        sender.send,
        POLICY,
        observer,
        redact=lambda text: mask_secrets(text, [secret]),
        sleep=lambda _: None,
    )
    assert results[0].error == "rejected ********"
    assert results[0].remote_detail == "********"
