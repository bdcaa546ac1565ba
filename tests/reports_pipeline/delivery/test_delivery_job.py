"""Deliveries through the real report job: every channel in one Dagster run, one failing
channel among working ones, an API run without channels, and no secret in logs or rows.

Each test runs `report_run` in process (as the daemon would for a schedule tick) against the
session's Postgres database and demo warehouse, with the servers of the delivery tests on
127.0.0.1.
"""

from __future__ import annotations

import itertools
import json
import logging
import uuid
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance, ExecuteInProcessResult, instance_for_test
from pydantic import SecretStr
from sqlalchemy import select, text

from reports_pipeline.catalogue.loader import get_catalogue
from reports_pipeline.cron import parse_cron
from reports_pipeline.crypto import SecretBox
from reports_pipeline.definitions import defs
from reports_pipeline.delivery.model import Channel, parse_channels
from reports_pipeline.orchestration import tags
from reports_pipeline.settings import Settings, get_settings
from reports_pipeline.stack import process_env
from reports_pipeline.store import repository
from reports_pipeline.store.db import session_scope
from reports_pipeline.store.models import DeliveryAttempt, ReportRun, Schedule
from tests.conftest import Tenant
from tests.delivery_servers import (
    SFTP_PASSWORD,
    WEBHOOK_SECRET,
    MotoServer,
    SftpServer,
    SmtpServer,
    WebhookReceiver,
)

HEADER_SECRET = "hdr-secret-5e1f9a2c7b"
SMTP_PASSWORD = "smtp-secret-8d3b6f1a4e"
REPORT_ID = "ciso.alerts_by_severity"
SCHEDULE_NUMBERS = itertools.count(1)


@pytest.fixture(scope="module")
def instance(warehouse: Path) -> Iterator[DagsterInstance]:
    with instance_for_test() as dagster_instance:
        yield dagster_instance


@pytest.fixture
def bucket(moto_server: MotoServer) -> str:
    name = f"reports-{uuid.uuid4().hex[:12]}"
    moto_server.client("s3").create_bucket(Bucket=name)
    return name


@pytest.fixture
def kms_key(moto_server: MotoServer) -> str:
    return str(moto_server.client("kms").create_key()["KeyMetadata"]["Arn"])


@pytest.fixture
def configure(
    settings: Settings, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Settings]]:
    """Return a function that points the ops' settings at this test's servers."""

    def apply(**overrides: Any) -> Settings:
        configured = settings.model_copy(
            update={
                "egress_allowed_hosts": ["127.0.0.1"],
                "public_base_url": "https://reports.example.com",
                "smtp_host": "127.0.0.1",
                "smtp_security": "none",
                "smtp_sender": "reports@example.com",
                "s3_endpoint_url": moto_server.url,
                "delivery_max_attempts": 3,
                "delivery_backoff_base_seconds": 0.01,
                "delivery_backoff_max_seconds": 0.05,
                "smtp_timeout_seconds": 10.0,
                "webhook_connect_timeout_seconds": 10.0,
                "webhook_read_timeout_seconds": 10.0,
                "sftp_timeout_seconds": 10.0,
                "s3_timeout_seconds": 10.0,
                **overrides,
            }
        )
        for name, value in process_env(configured, base={}).items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        return configured

    yield apply
    get_settings.cache_clear()


def webhook(receiver: WebhookReceiver) -> dict[str, Any]:
    return {
        "type": "webhook",
        "url": receiver.url,
        "headers": {"X-API-Key": HEADER_SECRET},
        "secret": WEBHOOK_SECRET,
    }


def sftp(server: SftpServer, **changes: Any) -> dict[str, Any]:
    return {
        "type": "sftp",
        "host": "127.0.0.1",
        "port": server.port,
        "username": server.username,
        "remote_path": "/drop/weekly/",
        "auth": {"type": "password", "value": SFTP_PASSWORD},
        "host_key": server.host_key_line(),
    } | changes


def s3(bucket: str, kms_key: str) -> dict[str, Any]:
    return {
        "type": "s3",
        "bucket": bucket,
        "prefix": "trinitite/",
        "region": "us-east-1",
        "kms_key_id": kms_key,
    }


EMAIL = {"type": "email", "to": ["board@acme.example.com"], "cc": ["audit@acme.example.com"]}


def scheduled_run(settings: Settings, tenant: Tenant, channels: list[Channel] | None) -> str:
    """Store a schedule with `channels` (none: an API run) and a queued run of it."""
    definition = get_catalogue()[REPORT_ID]
    # A distinct cron per schedule, because equal crons on one report and zone conflict.
    number = next(SCHEDULE_NUMBERS)
    cron = f"{number % 60} {number // 60 % 24} 1 1 *"
    with session_scope(settings.database_url) as session:
        schedule_id = None
        if channels is not None:
            schedule = repository.create_schedule(
                session,
                SecretBox.from_settings(get_settings()),
                organization_id=tenant.organization_id,
                report_id=REPORT_ID,
                target_id=REPORT_ID,
                cron=cron,
                cron_key=parse_cron(cron).key,
                timezone="America/Los_Angeles",
                formats=["csv", "json"],
                params={"period": "30d"},
                render_options={},
                # Disabled: these runs are started by the test, never by the Dagster stack.
                enabled=False,
                channels=channels,
            )
            schedule_id = schedule.id
        run = repository.create_run(
            session,
            organization_id=tenant.organization_id,
            report_id=REPORT_ID,
            schedule_id=schedule_id,
            definition=definition.model_dump(mode="json"),
            trigger="schedule" if schedule_id else "api",
            formats=["csv", "json"],
            params={"period": "30d", "timezone": "America/Los_Angeles"},
            timezone="America/Los_Angeles",
        )
        return run.id


def execute(instance: DagsterInstance, tenant: Tenant, run_id: str) -> ExecuteInProcessResult:
    return defs.get_job(tags.REPORT_JOB).execute_in_process(
        run_config={"ops": {"compile_report": {"config": {"run_id": run_id}}}},
        instance=instance,
        tags={tags.RUN: run_id, tags.ORGANIZATION: tenant.organization_id},
        raise_on_error=False,
    )


def stored_run(settings: Settings, run_id: str) -> ReportRun:
    with session_scope(settings.database_url) as session:
        run = session.get(ReportRun, run_id)
        assert run is not None
        return run


def deliver_metadata(result: ExecuteInProcessResult) -> dict[str, dict[str, Any]]:
    """Return each deliver step's output metadata, by mapping key."""
    found = {}
    for event in result.all_events:
        if event.is_successful_output and event.step_key and event.step_key.startswith("deliver["):
            key = event.step_key.removeprefix("deliver[").removesuffix("]")
            metadata = event.event_specific_data.metadata  # type: ignore[union-attr]
            found[key] = {name: value.value for name, value in metadata.items()}
    return found


def test_every_channel_delivered(
    configure,
    instance,
    tenant_a,
    api,
    smtp_server,
    webhook_receiver,
    sftp_server,
    moto_server,
    bucket,
    kms_key,
) -> None:
    settings = configure(smtp_port=smtp_server.port)
    channels = parse_channels(
        [EMAIL, webhook(webhook_receiver), sftp(sftp_server), s3(bucket, kms_key)]
    )
    run_id = scheduled_run(settings, tenant_a, channels)

    result = execute(instance, tenant_a, run_id)

    assert result.success
    run = stored_run(settings, run_id)
    assert run.status == "ready"
    assert run.delivery_status == "delivered"
    metadata = deliver_metadata(result)
    assert sorted(metadata) == ["c0_email", "c1_webhook", "c2_sftp", "c3_s3"]
    assert all(m["status"] == "delivered" and m["attempt_count"] == 1 for m in metadata.values())
    assert "| 1 | delivered |" in metadata["c1_webhook"]["attempts"]

    [mail] = smtp_server.messages
    message = message_from_bytes(mail.content, policy=policy.default)
    names = [str(part.get_filename()) for part in message.iter_attachments()]
    assert [Path(name).suffix for name in names] == [".csv", ".json"]
    [hook] = webhook_receiver.requests
    assert hook.signature_valid
    payload = json.loads(hook.body)
    assert payload["run_id"] == run_id
    assert [a["format"] for a in payload["artifacts"]] == ["csv", "json"]
    uploaded = sorted(p.name for p in (sftp_server.root / "drop" / "weekly").iterdir())
    assert uploaded == [f"{REPORT_ID}-{run_id}.csv", f"{REPORT_ID}-{run_id}.json"]
    head = moto_server.client("s3").head_object(
        Bucket=bucket, Key=f"trinitite/{REPORT_ID}-{run_id}.csv"
    )
    assert head["SSEKMSKeyId"] == kms_key

    body = api.get(f"/v1/reports/runs/{run_id}", headers=tenant_a.headers).json()["run"]
    assert body["delivery_status"] == "delivered"
    assert [(d["channel_type"], d["status"]) for d in body["deliveries"]] == [
        ("email", "delivered"),
        ("webhook", "delivered"),
        ("sftp", "delivered"),
        ("s3", "delivered"),
    ]
    assert body["deliveries"][1]["delivery_id"] == hook.headers["X-Trinitite-Delivery"]
    assert body["deliveries"][1]["attempts"][0]["http_status"] == 200
    listed = api.get(
        f"/v1/reports/runs?schedule_id={run.schedule_id}", headers=tenant_a.headers
    ).json()
    assert [item["delivery_status"] for item in listed["items"]] == ["delivered"]


def test_failed_channels_keep_run_ready(
    configure,
    instance,
    tenant_a,
    api,
    smtp_server,
    webhook_receiver,
    sftp_server,
    tmp_path,
    bucket,
    kms_key,
) -> None:
    settings = configure(smtp_port=smtp_server.port)
    webhook_receiver.statuses = [410]
    stranger = SftpServer(tmp_path)
    channels = parse_channels(
        [
            EMAIL,
            webhook(webhook_receiver),
            sftp(sftp_server, host_key=stranger.host_key_line()),
            s3(bucket, kms_key),
        ]
    )
    run_id = scheduled_run(settings, tenant_a, channels)

    result = execute(instance, tenant_a, run_id)

    assert not result.success
    failures = [e for e in result.all_events if e.is_step_failure]
    assert [e.step_key for e in failures] == ["record_deliveries"]
    message = failures[0].event_specific_data.error.message  # type: ignore[union-attr]
    assert "failed on 2 of 4 channels" in message
    assert "c1_webhook" in message
    assert "c2_sftp" in message
    assert "c0_email" not in message
    run = stored_run(settings, run_id)
    assert run.status == "ready"
    assert run.error_code is None
    assert run.delivery_status == "partial"
    assert len(smtp_server.messages) == 1
    assert len(webhook_receiver.requests) == 1
    assert sftp_server.auth_attempts == []

    body = api.get(f"/v1/reports/runs/{run_id}", headers=tenant_a.headers).json()
    assert body["run"]["status"] == "ready"
    deliveries = body["run"]["deliveries"]
    assert [d["status"] for d in deliveries] == ["delivered", "failed", "failed", "delivered"]
    assert deliveries[1]["attempts"][0]["http_status"] == 410
    assert "does not match the pinned host key" in deliveries[2]["attempts"][0]["error"]
    download = api.get(f"/v1/reports/runs/{run_id}/artifacts/csv", headers=tenant_a.headers)
    assert download.status_code == 200
    signed = json.loads(webhook_receiver.requests[0].body)["artifacts"][0]["url"]
    by_link = api.get(signed.removeprefix("https://reports.example.com"))
    assert by_link.status_code == 200
    assert by_link.content == download.content


def test_retries_show_every_attempt(configure, instance, tenant_a, api, webhook_receiver) -> None:
    settings = configure()
    webhook_receiver.statuses = [500, 500]
    run_id = scheduled_run(settings, tenant_a, parse_channels([webhook(webhook_receiver)]))

    result = execute(instance, tenant_a, run_id)

    assert result.success
    assert deliver_metadata(result)["c0_webhook"]["attempt_count"] == 3
    with session_scope(settings.database_url) as session:
        attempts = session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.run_id == run_id)
            .order_by(DeliveryAttempt.attempt)
        ).all()
        assert [(a.attempt, a.status, a.http_status) for a in attempts] == [
            (1, "retrying", 500),
            (2, "retrying", 500),
            (3, "delivered", 200),
        ]
        assert len({a.delivery_id for a in attempts}) == 1
        assert all(a.started_at and a.finished_at for a in attempts)
    assert len({r.body for r in webhook_receiver.requests}) == 1


def test_api_run_delivers_nothing(configure, instance, tenant_a, api) -> None:
    settings = configure()
    run_id = scheduled_run(settings, tenant_a, None)
    result = execute(instance, tenant_a, run_id)
    assert result.success
    skipped = {e.step_key for e in result.all_events if e.event_type_value == "STEP_SKIPPED"}
    assert skipped == {"plan_deliveries", "record_deliveries"}
    run = stored_run(settings, run_id)
    assert run.delivery_status is None
    body = api.get(f"/v1/reports/runs/{run_id}", headers=tenant_a.headers).json()["run"]
    assert body["delivery_status"] == "none"
    assert body["deliveries"] == []


def test_undecryptable_channels_fail_delivery(configure, instance, tenant_a, api) -> None:
    settings = configure()
    run_id = scheduled_run(settings, tenant_a, parse_channels([EMAIL]))
    with session_scope(settings.database_url) as session:
        run = session.get(ReportRun, run_id)
        assert run is not None
        schedule = session.get(Schedule, run.schedule_id)
        assert schedule is not None
        # Fault: the secrets were encrypted with a key this service no longer has.
        schedule.channel_secrets = SecretBox(["a-key-that-was-rotated-away-0123456789"]).encrypt(
            [{}]
        )

    result = execute(instance, tenant_a, run_id)

    assert not result.success
    failures = [e for e in result.all_events if e.is_step_failure]
    assert [e.step_key for e in failures] == ["plan_deliveries"]
    message = failures[0].event_specific_data.error.message  # type: ignore[union-attr]
    assert "stored secrets cannot be decrypted" in message
    run = stored_run(settings, run_id)
    assert run.status == "ready"
    assert run.delivery_status == "failed"
    body = api.get(f"/v1/reports/runs/{run_id}", headers=tenant_a.headers).json()["run"]
    assert body["delivery_status"] == "failed"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_no_secret_in_logs_or_rows(
    configure, instance, tenant_a, sftp_server, tmp_path, caplog, capfd
) -> None:
    mail = SmtpServer(username="mailer", password=SMTP_PASSWORD).start()
    echo = WebhookReceiver(secret=WEBHOOK_SECRET, statuses=[400], echo_headers=True).start()
    try:
        settings = configure(
            smtp_port=mail.port, smtp_username="mailer", smtp_password=SecretStr(SMTP_PASSWORD)
        )
        channels = parse_channels(
            [
                EMAIL,
                webhook(echo),
                sftp(sftp_server, auth={"type": "password", "value": SFTP_PASSWORD + "-wrong"}),
            ]
        )
        caplog.set_level(logging.DEBUG)
        run_id = scheduled_run(settings, tenant_a, channels)
        result = execute(instance, tenant_a, run_id)
    finally:
        mail.stop()
        echo.stop()

    assert not result.success
    assert len(mail.messages) == 1
    # The receiver echoed the API key in its 400 response, which is stored masked.
    assert echo.requests[0].headers["X-API-Key"] == HEADER_SECRET
    secrets = [WEBHOOK_SECRET, HEADER_SECRET, SFTP_PASSWORD, SMTP_PASSWORD]
    captured = capfd.readouterr()
    texts = {
        "python logs": caplog.text,
        "stdout": captured.out,
        "stderr": captured.err,
        "dagster events": "\n".join(
            repr(entry.dagster_event) + str(entry.user_message)
            for entry in instance.all_logs(result.run_id)
        ),
    }
    with session_scope(settings.database_url) as session:
        for table in ("delivery_attempts", "report_runs", "schedules"):
            rows = session.execute(text(f"SELECT * FROM {table}")).all()
            texts[table] = "\n".join(repr(tuple(row)) for row in rows)
        attempts = session.scalars(
            select(DeliveryAttempt).where(DeliveryAttempt.run_id == run_id)
        ).all()
        assert {a.status for a in attempts} == {"delivered", "failed"}
        webhook_attempt = next(a for a in attempts if a.channel_type == "webhook")
        assert webhook_attempt.remote_detail is not None
        assert "********" in webhook_attempt.remote_detail
    for where, content in texts.items():
        for secret in secrets:
            assert secret not in content, f"a secret appears in {where}"
