"""Webhook delivery: a signed JSON POST naming the run and its artifacts' download links.

The body is built once per delivery, so every attempt sends the same bytes with the same
`X-Trinitite-Delivery` id. Each attempt signs those bytes again with the time it is sent:

    X-Trinitite-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of f"{t}." + body>

Receivers reject signatures whose `t` is more than five minutes off their clock, and retries
can come later than that, so a fixed `t` would make every late retry fail. A receiver
that must not process a delivery twice keeps the delivery ids it has seen.

Redirects are not followed: custom headers such as API keys would go to the new host, and
a 301 or 302 turns the POST into a GET without a body. A 3xx fails with the new location.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import httpx

from reports_pipeline.delivery.content import DeliveryContent
from reports_pipeline.delivery.model import WebhookChannel
from reports_pipeline.delivery.retry import (
    PermanentDeliveryError,
    Receipt,
    TransientDeliveryError,
)
from reports_pipeline.egress import EgressDenied, EgressPolicy, FetchFailed

if TYPE_CHECKING:
    from reports_pipeline.settings import Settings

SIGNATURE_HEADER = "X-Trinitite-Signature"
DELIVERY_HEADER = "X-Trinitite-Delivery"
EVENT_HEADER = "X-Trinitite-Event"
EVENT = "report.ready"
USER_AGENT = "Trinitite-Reports-Webhook/1"
MAX_DETAIL = 300
MAX_RESPONSE_READ = 4096
"""Maximum bytes read from a response body, so a large reply cannot fill the worker's memory."""


def build_payload(content: DeliveryContent, delivery_id: str) -> bytes:
    """Return the JSON body: the run's facts and each artifact's size, SHA-256 and link."""
    payload: dict[str, Any] = {
        "event": EVENT,
        "delivery_id": delivery_id,
        "run_id": content.run_id,
        "organization_id": content.organization_id,
        "report_id": content.report_id,
        "saved_report_id": content.saved_report_id,
        "schedule_id": content.schedule_id,
        "title": content.title,
        "period": {
            "start": _iso(_local(content.period_start, content.timezone)),
            "end": _iso(_local(content.period_end, content.timezone)),
            "timezone": content.timezone,
        },
        "row_count": content.row_count,
        "truncated": content.truncated,
        "generated_at": _iso(content.generated_at),
        "artifacts": [
            {
                "format": artifact.format,
                "file_name": artifact.file_name,
                "content_type": artifact.content_type,
                "size_bytes": artifact.size_bytes,
                "sha256": artifact.sha256,
                "url": artifact.url,
                "url_expires_at": _iso(artifact.url_expires_at),
            }
            for artifact in content.artifacts
        ],
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _local(value: datetime | None, timezone: str) -> datetime | None:
    """Return a period bound in the report's time zone, as the JSON artifact writes it."""
    return value.astimezone(ZoneInfo(timezone)) if value is not None else None


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Return the X-Trinitite-Signature value for `body` sent at `timestamp`."""
    digest = hmac.new(
        secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Return the wait in seconds that a Retry-After value requests (seconds or an HTTP date)."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - now, 0.0)


class WebhookSender:
    """Sender of one prepared body to a webhook channel, signed again on every attempt."""

    def __init__(
        self,
        channel: WebhookChannel,
        content: DeliveryContent,
        settings: Settings,
        delivery_id: str,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._channel = channel
        self._policy = EgressPolicy.from_settings(settings)
        self._timeout = httpx.Timeout(
            settings.webhook_read_timeout_seconds,
            connect=settings.webhook_connect_timeout_seconds,
        )
        self._clock = clock
        self.delivery_id = delivery_id
        self.body = build_payload(content, delivery_id)

    def headers(self, timestamp: int) -> dict[str, str]:
        return {
            **self._channel.headers,
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            EVENT_HEADER: EVENT,
            DELIVERY_HEADER: self.delivery_id,
            SIGNATURE_HEADER: sign(self._channel.secret, timestamp, self.body),
        }

    def send(self, attempt: int) -> Receipt:  # noqa: ARG002 - every attempt sends the same body
        url = self._channel.url
        try:
            self._policy.check_url(url)
            headers = self.headers(int(self._clock()))
            with (
                self._policy.client(timeout=self._timeout, follow_redirects=False) as client,
                client.stream("POST", url, content=self.body, headers=headers) as response,
            ):
                head = _read_head(response)
        except EgressDenied as exc:
            raise PermanentDeliveryError(f"webhook URL blocked: {exc.message}") from exc
        except FetchFailed as exc:
            raise TransientDeliveryError(f"webhook host unreachable: {exc.message}") from exc
        except httpx.TimeoutException as exc:
            raise TransientDeliveryError(
                f"webhook {_without_query(url)} timed out ({type(exc).__name__})"
            ) from exc
        except httpx.HTTPError as exc:
            # The egress check runs inside httpx's transport, which may wrap its errors.
            cause = exc.__context__
            if isinstance(cause, EgressDenied):
                raise PermanentDeliveryError(f"webhook URL blocked: {cause.message}") from exc
            raise TransientDeliveryError(
                f"cannot reach webhook {_without_query(url)}: {type(exc).__name__}: {exc}"
            ) from exc
        return self._check_response(response, head)

    def _check_response(self, response: httpx.Response, head: bytes) -> Receipt:
        status = response.status_code
        text = head.decode(response.charset_encoding or "utf-8", errors="replace")
        detail = " ".join(text[:MAX_DETAIL].split()) or None
        if 200 <= status < 300:
            return Receipt(detail=detail, http_status=status)
        where = _without_query(self._channel.url)
        if 300 <= status < 400:
            location = _without_query(response.headers.get("location", "nowhere"))
            raise PermanentDeliveryError(
                f"webhook {where} redirected ({status}) to {location}; redirects are not "
                "followed, so set the channel's url to the final address",
                http_status=status,
                remote_detail=detail,
            )
        if status in (408, 429) or status >= 500:
            retry_after = None
            if status in (429, 503):
                retry_after = parse_retry_after(response.headers.get("retry-after"), time.time())
            raise TransientDeliveryError(
                f"webhook {where} responded {status}",
                http_status=status,
                retry_after=retry_after,
                remote_detail=detail,
            )
        raise PermanentDeliveryError(
            f"webhook {where} responded {status}", http_status=status, remote_detail=detail
        )


def _read_head(response: httpx.Response) -> bytes:
    """Read the start of the response body, enough for the stored detail, and no more."""
    head = b""
    for chunk in response.iter_bytes():
        head += chunk
        if len(head) >= MAX_RESPONSE_READ:
            break
    return head[:MAX_RESPONSE_READ]


def _without_query(url: str) -> str:
    """Return a URL without its query string, which may carry a token."""
    return url.split("?", 1)[0]
