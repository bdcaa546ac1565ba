"""S3 delivery against moto's S3 and KMS server on 127.0.0.1, reached through endpoint_url."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import pytest

from reports_pipeline.delivery.model import S3Channel
from reports_pipeline.delivery.retry import (
    PermanentDeliveryError,
    RetryPolicy,
    TransientDeliveryError,
    deliver_with_retries,
)
from reports_pipeline.delivery.s3 import S3Sender
from tests.delivery_servers import MotoServer, SilentServer, closed_port

CSV = b"severity,alerts\r\ncritical,12\r\nhigh,40\r\n"
MIB = 1024 * 1024
LARGE = bytes(range(256)) * (6 * MIB // 256)
"""6 MiB: two parts with a 5 MiB threshold and part size."""


@pytest.fixture
def bucket(moto_server: MotoServer) -> str:
    name = f"reports-{uuid.uuid4().hex[:12]}"
    moto_server.client("s3").create_bucket(Bucket=name)
    return name


@pytest.fixture
def kms_key(moto_server: MotoServer) -> str:
    created = moto_server.client("kms").create_key(Description="reports delivery test")
    return str(created["KeyMetadata"]["Arn"])


def channel_for(bucket: str, **fields: object) -> S3Channel:
    values: dict[str, object] = {
        "type": "s3",
        "bucket": bucket,
        "prefix": "trinitite/weekly/",
        "region": "us-east-1",
    }
    values.update(fields)
    return S3Channel.model_validate(values)


def test_s3_uploads_with_kms(moto_server, bucket, kms_key, settings_for, content_for) -> None:
    settings = settings_for(s3_endpoint_url=moto_server.url)
    content = content_for({"csv": CSV})
    channel = channel_for(bucket, kms_key_id=kms_key)
    receipt = S3Sender(channel, content, settings, "rdlv_1").send(1)

    [artifact] = content.artifacts
    key = f"trinitite/weekly/{artifact.file_name}"
    assert receipt.detail == f"uploaded to s3://{bucket}: {key}"
    s3 = moto_server.client("s3")
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == kms_key
    assert head["ContentType"] == "text/csv; charset=utf-8"
    assert head["Metadata"] == {"run-id": content.run_id, "sha256": artifact.sha256}
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == CSV


def test_s3_without_kms_key(moto_server, bucket, settings_for, content_for) -> None:
    settings = settings_for(s3_endpoint_url=moto_server.url)
    content = content_for({"csv": CSV})
    S3Sender(channel_for(bucket, prefix="flat-"), content, settings, "rdlv_2").send(1)
    [artifact] = content.artifacts
    head = moto_server.client("s3").head_object(Bucket=bucket, Key=f"flat-{artifact.file_name}")
    assert "SSEKMSKeyId" not in head


def test_multipart_upload_uses_kms(moto_server, bucket, kms_key, settings_for, content_for) -> None:
    settings = settings_for(
        s3_endpoint_url=moto_server.url,
        s3_multipart_threshold_bytes=5 * MIB,
        s3_multipart_chunk_bytes=5 * MIB,
    )
    content = content_for({"csv": LARGE})
    calls: list[str] = []

    def client_factory(channel: S3Channel) -> Any:
        client = moto_server.client("s3")
        client.meta.events.register("before-call.s3.*", lambda model, **_: calls.append(model.name))
        return client

    channel = channel_for(bucket, kms_key_id=kms_key)
    S3Sender(channel, content, settings, "rdlv_3", client_factory=client_factory).send(1)

    assert calls == ["CreateMultipartUpload", "UploadPart", "UploadPart", "CompleteMultipartUpload"]
    [artifact] = content.artifacts
    key = f"trinitite/weekly/{artifact.file_name}"
    s3 = moto_server.client("s3")
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ETag"].strip('"').endswith("-2")
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == kms_key
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert hashlib.sha256(body).hexdigest() == artifact.sha256


def test_failed_multipart_upload_is_aborted(
    moto_server, bucket, settings_for, content_for, observer
) -> None:
    from botocore.exceptions import ConnectionClosedError

    settings = settings_for(
        s3_endpoint_url=moto_server.url,
        s3_multipart_threshold_bytes=5 * MIB,
        s3_multipart_chunk_bytes=5 * MIB,
        delivery_max_attempts=2,
    )
    parts: list[int] = []

    def fail_second_part(params: dict[str, Any], **_: Any) -> None:
        parts.append(params["PartNumber"])
        if params["PartNumber"] == 2:
            raise ConnectionClosedError(endpoint_url=moto_server.url)

    def client_factory(channel: S3Channel) -> Any:
        client = moto_server.client("s3")
        client.meta.events.register("before-parameter-build.s3.UploadPart", fail_second_part)
        return client

    sender = S3Sender(
        channel_for(bucket),
        content_for({"csv": LARGE}),
        settings,
        "rdlv_4",
        client_factory=client_factory,
    )
    results = deliver_with_retries(
        sender.send, RetryPolicy.from_settings(settings), observer, sleep=lambda _: None
    )

    assert observer.statuses == ["retrying", "failed"]
    assert parts == [1, 2, 1, 2]
    assert results[-1].error is not None
    assert results[-1].error.startswith(f"cannot reach S3 for s3://{bucket}/trinitite/weekly/")
    s3 = moto_server.client("s3")
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_missing_bucket_is_permanent(moto_server, settings_for, content_for, observer) -> None:
    settings = settings_for(s3_endpoint_url=moto_server.url)
    sender = S3Sender(channel_for("no-such-bucket-here"), content_for({"csv": CSV}), settings, "x")
    results = deliver_with_retries(
        sender.send, RetryPolicy.from_settings(settings), observer, sleep=lambda _: None
    )
    assert observer.statuses == ["failed"], results
    assert results[0].http_status == 404
    assert results[0].remote_detail is not None
    assert results[0].remote_detail.startswith("NoSuchBucket")


def test_s3_down_is_transient(moto_server, settings_for, content_for) -> None:
    settings = settings_for(s3_endpoint_url=f"http://127.0.0.1:{closed_port()}")
    sender = S3Sender(channel_for("reports-bucket"), content_for({"csv": CSV}), settings, "x")
    with pytest.raises(TransientDeliveryError, match="cannot reach S3"):
        sender.send(1)


def test_slow_s3_times_out(moto_server, silent_server: SilentServer, settings_for, content_for):
    settings = settings_for(
        s3_endpoint_url=f"http://127.0.0.1:{silent_server.port}", s3_timeout_seconds=0.3
    )
    sender = S3Sender(channel_for("reports-bucket"), content_for({"csv": CSV}), settings, "x")
    with pytest.raises(TransientDeliveryError, match="Read timeout"):
        sender.send(1)


def test_missing_credentials_are_permanent(
    moto_server, bucket, settings_for, content_for, monkeypatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    settings = settings_for(s3_endpoint_url=moto_server.url)
    sender = S3Sender(channel_for(bucket), content_for({"csv": CSV}), settings, "x")
    with pytest.raises(PermanentDeliveryError, match="no AWS credentials"):
        sender.send(1)
