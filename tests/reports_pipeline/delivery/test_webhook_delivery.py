"""Webhook delivery against a receiver on 127.0.0.1 that verifies signatures like a customer."""

from __future__ import annotations

import json
import re
import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from reports_pipeline import egress
from reports_pipeline.delivery.model import WebhookChannel
from reports_pipeline.delivery.retry import RetryPolicy, deliver_with_retries
from reports_pipeline.delivery.webhook import WebhookSender, parse_retry_after, sign
from tests.delivery_servers import (
    WEBHOOK_SECRET,
    SilentServer,
    WebhookReceiver,
    closed_port,
    verify_signature,
)

CSV = b"severity,alerts\r\ncritical,12\r\nhigh,40\r\n"
PDF = b"%PDF-1.7\n" + b"x" * 3000


def channel_for(url: str, **fields: object) -> WebhookChannel:
    return WebhookChannel(
        type="webhook",
        url=url,
        headers={"X-API-Key": "key-abc-123456"},
        secret=WEBHOOK_SECRET,
        **fields,  # type: ignore[arg-type]
    )


def deliver(sender: WebhookSender, settings, observer) -> list:  # type: ignore[no-untyped-def]
    return deliver_with_retries(
        sender.send, RetryPolicy.from_settings(settings), observer, sleep=lambda _: None
    )


def test_webhook_posts_signed_payload(webhook_receiver, settings_for, content_for) -> None:
    content = content_for({"csv": CSV, "pdf": PDF}, truncated=True)
    sender = WebhookSender(channel_for(webhook_receiver.url), content, settings_for(), "rdlv_a")
    receipt = sender.send(1)

    assert receipt.http_status == 200
    [request] = webhook_receiver.requests
    assert request.signature_valid
    assert request.headers["X-Trinitite-Delivery"] == "rdlv_a"
    assert request.headers["X-Trinitite-Event"] == "report.ready"
    assert request.headers["X-API-Key"] == "key-abc-123456"
    assert request.headers["Content-Type"] == "application/json"
    payload = json.loads(request.body)
    assert payload["delivery_id"] == "rdlv_a"
    assert payload["run_id"] == content.run_id
    assert payload["report_id"] == "ciso.alerts_by_severity"
    assert payload["period"] == {
        "start": "2026-04-01T00:00:00-07:00",
        "end": "2026-04-30T23:59:59.999999-07:00",
        "timezone": "America/Los_Angeles",
    }
    assert payload["row_count"] == 5
    assert payload["truncated"] is True
    assert [a["format"] for a in payload["artifacts"]] == ["csv", "pdf"]
    for sent, artifact in zip(payload["artifacts"], content.artifacts, strict=True):
        assert sent["size_bytes"] == artifact.size_bytes
        assert sent["sha256"] == artifact.sha256
        assert sent["url"] == artifact.url
    assert b"%PDF" not in request.body


def test_signature_matches_the_documented_check() -> None:
    body = b'{"event":"report.ready"}'
    header = sign(WEBHOOK_SECRET, 1_700_000_000, body)
    assert verify_signature(WEBHOOK_SECRET, header, body, now=1_700_000_100)
    assert not verify_signature(WEBHOOK_SECRET, header, body + b" ", now=1_700_000_100)
    assert not verify_signature("another-secret-0123456", header, body, now=1_700_000_100)


def test_documented_snippet_verifies_signatures() -> None:
    docs = Path(__file__).resolve().parents[3] / "docs" / "delivery.md"
    found = re.search(r"### Verifying the signature.*?```python\n(.*?)```", docs.read_text(), re.S)
    assert found is not None
    namespace: dict[str, Any] = {}
    exec(found.group(1), namespace)  # noqa: S102 - the documentation's own example
    verify = namespace["verify"]
    body = b'{"event":"report.ready"}'
    now = int(time.time())
    assert verify(WEBHOOK_SECRET, sign(WEBHOOK_SECRET, now, body), body)
    assert not verify(WEBHOOK_SECRET, sign(WEBHOOK_SECRET, now - 301, body), body)
    assert not verify(WEBHOOK_SECRET, sign(WEBHOOK_SECRET, now, body), body + b"\n")


def test_stale_timestamp_is_rejected(webhook_receiver, settings_for, content_for, observer) -> None:
    stale = datetime.now(UTC) - timedelta(minutes=6)
    sender = WebhookSender(
        channel_for(webhook_receiver.url),
        content_for({"csv": CSV}),
        settings_for(),
        "rdlv_b",
        clock=stale.timestamp,
    )
    results = deliver(sender, settings_for(), observer)
    assert webhook_receiver.requests[0].signature_valid is False
    assert observer.statuses == ["failed"]
    assert results[0].http_status == 401


def test_500_500_200_keeps_body_and_id(webhook_receiver, settings_for, content_for, observer):
    webhook_receiver.statuses = [500, 500]
    sender = WebhookSender(
        channel_for(webhook_receiver.url), content_for({"csv": CSV}), settings_for(), "rdlv_c"
    )
    results = deliver(sender, settings_for(), observer)

    assert observer.statuses == ["retrying", "retrying", "delivered"]
    assert [r.http_status for r in results] == [500, 500, 200]
    requests = webhook_receiver.requests
    assert len(requests) == 3
    assert {r.headers["X-Trinitite-Delivery"] for r in requests} == {"rdlv_c"}
    assert len({r.body for r in requests}) == 1
    assert all(r.signature_valid for r in requests)


def test_410_is_not_retried(webhook_receiver, settings_for, content_for, observer) -> None:
    webhook_receiver.statuses = [410]
    sender = WebhookSender(
        channel_for(webhook_receiver.url), content_for({"csv": CSV}), settings_for(), "rdlv_d"
    )
    results = deliver(sender, settings_for(), observer)
    assert observer.statuses == ["failed"]
    assert len(webhook_receiver.requests) == 1
    assert results[0].http_status == 410
    assert results[0].error == f"webhook {webhook_receiver.url} responded 410"


@pytest.mark.parametrize("status", [408, 429, 502, 503])
def test_transient_statuses_are_retried(
    status, webhook_receiver, settings_for, content_for, observer
):
    webhook_receiver.statuses = [status]
    sender = WebhookSender(
        channel_for(webhook_receiver.url), content_for({"csv": CSV}), settings_for(), "rdlv_e"
    )
    deliver(sender, settings_for(), observer)
    assert observer.statuses == ["retrying", "delivered"]


def test_429_waits_for_retry_after(webhook_receiver, settings_for, content_for, observer) -> None:
    webhook_receiver.statuses = [429]
    webhook_receiver.headers = {"Retry-After": "1"}
    sender = WebhookSender(
        channel_for(webhook_receiver.url), content_for({"csv": CSV}), settings_for(), "rdlv_f"
    )
    slept: list[float] = []
    deliver_with_retries(
        sender.send, RetryPolicy.from_settings(settings_for()), observer, sleep=slept.append
    )
    assert slept == [1.0]
    assert observer.statuses == ["retrying", "delivered"]


def test_retry_after_http_date() -> None:
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(later, now.timestamp()) == 90
    assert parse_retry_after("120", now.timestamp()) == 120
    assert parse_retry_after("soon", now.timestamp()) is None


def test_large_error_body_is_cut(webhook_receiver, settings_for, content_for, observer) -> None:
    webhook_receiver.statuses = [400]
    webhook_receiver.reply_body = b"<html>" + b"x" * 5_000_000 + b"</html>"
    sender = WebhookSender(
        channel_for(webhook_receiver.url), content_for({"csv": CSV}), settings_for(), "rdlv_l"
    )
    results = deliver(sender, settings_for(), observer)
    assert observer.statuses == ["failed"]
    assert results[0].http_status == 400
    assert results[0].remote_detail == "<html>" + "x" * 294


def test_redirect_is_not_followed(webhook_receiver, settings_for, content_for, observer) -> None:
    webhook_receiver.statuses = [307]
    webhook_receiver.headers = {"Location": "https://elsewhere.example.com/hook"}
    sender = WebhookSender(
        channel_for(webhook_receiver.url), content_for({"csv": CSV}), settings_for(), "rdlv_g"
    )
    results = deliver(sender, settings_for(), observer)
    assert observer.statuses == ["failed"]
    assert results[0].error is not None
    assert "redirected (307) to https://elsewhere.example.com/hook" in results[0].error
    assert len(webhook_receiver.requests) == 1


def test_egress_policy_blocks_loopback(webhook_receiver, settings_for, content_for, observer):
    settings = settings_for(egress_allowed_hosts=[])
    sender = WebhookSender(
        channel_for(webhook_receiver.url), content_for({"csv": CSV}), settings, "rdlv_h"
    )
    results = deliver(sender, settings, observer)
    assert observer.statuses == ["failed"]
    assert results[0].error is not None
    assert results[0].error.startswith("webhook URL blocked:")
    assert webhook_receiver.requests == []


def test_egress_policy_checks_resolved_address(
    webhook_receiver, settings_for, content_for, observer, monkeypatch
) -> None:
    # Fault: a public-looking name whose DNS answer points at loopback.
    def resolve_to_loopback(host: str, port: int, *args: object, **kwargs: object) -> list:
        assert host == "hooks.example.com"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(egress.socket, "getaddrinfo", resolve_to_loopback)
    settings = settings_for(egress_allowed_hosts=[])
    channel = channel_for(f"https://hooks.example.com:{webhook_receiver.port}/hook")
    sender = WebhookSender(channel, content_for({"csv": CSV}), settings, "rdlv_i")
    results = deliver(sender, settings, observer)
    assert observer.statuses == ["failed"]
    assert results[0].error == (
        "webhook URL blocked: host 'hooks.example.com' resolves to 127.0.0.1, which is not "
        "public; the egress policy blocks it"
    )
    assert webhook_receiver.requests == []


def test_receiver_down_is_retried(settings_for, content_for, observer) -> None:
    url = f"http://127.0.0.1:{closed_port()}/hook"
    sender = WebhookSender(channel_for(url), content_for({"csv": CSV}), settings_for(), "rdlv_j")
    results = deliver(sender, settings_for(), observer)
    assert observer.statuses == ["retrying", "retrying", "failed"]
    assert results[-1].error is not None
    assert results[-1].error.startswith(f"cannot reach webhook {url}: ConnectError")


def test_slow_receiver_times_out(silent_server: SilentServer, settings_for, content_for) -> None:
    settings = settings_for(webhook_read_timeout_seconds=0.3, delivery_max_attempts=2)
    url = f"http://127.0.0.1:{silent_server.port}/hook"
    sender = WebhookSender(channel_for(url), content_for({"csv": CSV}), settings, "rdlv_k")
    results = deliver_with_retries(
        sender.send, RetryPolicy.from_settings(settings), _Log(), sleep=lambda _: None
    )
    assert [r.status for r in results] == ["retrying", "failed"]
    assert results[-1].error == f"webhook {url} timed out (ReadTimeout)"


def test_slow_response_body_times_out(settings_for, content_for) -> None:
    receiver = WebhookReceiver(secret=WEBHOOK_SECRET, delay=1.0).start()
    try:
        settings = settings_for(webhook_read_timeout_seconds=0.3, delivery_max_attempts=1)
        sender = WebhookSender(channel_for(receiver.url), content_for({"csv": CSV}), settings, "x")
        results = deliver_with_retries(
            sender.send, RetryPolicy.from_settings(settings), _Log(), sleep=lambda _: None
        )
        assert results[0].status == "failed"
        assert results[0].error == f"webhook {receiver.url} timed out (ReadTimeout)"
    finally:
        receiver.stop()


class _Log:
    def started(self, number: int) -> None:
        return

    def finished(self, result: object) -> None:
        return
