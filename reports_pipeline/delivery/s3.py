"""S3 delivery with boto3: one object per artifact under the channel's prefix.

Credentials come from boto3's standard chain (environment, shared files, instance or task
role). With `kms_key_id`, every upload, multipart ones included, requests SSE-KMS with
that key. boto3's transfer manager aborts a multipart upload that fails, so no orphaned parts
remain to be billed. botocore's own retries are off: the delivery retry policy decides.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from reports_pipeline.delivery.content import ArtifactFile, DeliveryContent
from reports_pipeline.delivery.model import S3Channel
from reports_pipeline.delivery.retry import (
    DeliveryError,
    PermanentDeliveryError,
    Receipt,
    TransientDeliveryError,
)

if TYPE_CHECKING:
    from reports_pipeline.settings import Settings

ClientFactory = Callable[[S3Channel], Any]
"""Returns the boto3 S3 client to upload with; tests pass one that injects faults."""

TRANSIENT_CODES = frozenset(
    {
        "InternalError",
        "OperationAborted",
        "RequestTimeout",
        "RequestTimeTooSkewed",
        "ServiceUnavailable",
        "SlowDown",
        "Throttling",
        "ThrottlingException",
    }
)


def object_key(channel: S3Channel, artifact: ArtifactFile) -> str:
    """Return the object key: the prefix as given (a `/` is not added) and the file name."""
    return f"{channel.prefix}{artifact.file_name}"


def upload_args(channel: S3Channel, artifact: ArtifactFile, run_id: str) -> dict[str, Any]:
    """Return the ExtraArgs of one upload; boto3 passes them to every multipart request."""
    extra: dict[str, Any] = {
        "ContentType": artifact.content_type,
        "Metadata": {"run-id": run_id, "sha256": artifact.sha256},
    }
    if channel.kms_key_id:
        extra["ServerSideEncryption"] = "aws:kms"
        extra["SSEKMSKeyId"] = channel.kms_key_id
    return extra


class S3Sender:
    """Uploads a run's artifacts to an S3 bucket."""

    def __init__(
        self,
        channel: S3Channel,
        content: DeliveryContent,
        settings: Settings,
        delivery_id: str,
        *,
        client_factory: ClientFactory | None = None,
    ) -> None:
        self._channel = channel
        self._content = content
        self._settings = settings
        self._delivery_id = delivery_id
        self._client_factory = client_factory or self._default_client

    def _default_client(self, channel: S3Channel) -> Any:
        import boto3
        from botocore.config import Config

        settings = self._settings
        config = Config(
            connect_timeout=settings.s3_timeout_seconds,
            read_timeout=settings.s3_timeout_seconds,
            retries={"mode": "standard", "total_max_attempts": 1},
        )
        return boto3.session.Session().client(
            "s3",
            region_name=channel.region,
            endpoint_url=settings.s3_endpoint_url,
            config=config,
        )

    def send(self, attempt: int) -> Receipt:  # noqa: ARG002 - each attempt uploads every file
        from boto3.s3.transfer import TransferConfig

        channel = self._channel
        transfer = TransferConfig(
            multipart_threshold=self._settings.s3_multipart_threshold_bytes,
            multipart_chunksize=self._settings.s3_multipart_chunk_bytes,
            use_threads=False,
            preferred_transfer_client="classic",
        )
        keys = []
        try:
            client = self._client_factory(channel)
            for artifact in self._content.artifacts:
                key = object_key(channel, artifact)
                client.upload_file(
                    str(artifact.path),
                    channel.bucket,
                    key,
                    ExtraArgs=upload_args(channel, artifact, self._content.run_id),
                    Config=transfer,
                )
                keys.append(key)
        except Exception as exc:
            raise classify(exc, f"s3://{channel.bucket}/{channel.prefix}") from exc
        return Receipt(detail=f"uploaded to s3://{channel.bucket}: {', '.join(keys)}")


def classify(exc: Exception, where: str) -> DeliveryError:
    """Turn a boto3 or botocore error into a transient or permanent delivery error."""
    from boto3.exceptions import S3UploadFailedError
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectionError,
        HTTPClientError,
        NoCredentialsError,
        PartialCredentialsError,
    )

    cause: BaseException = exc
    # upload_file re-raises a ClientError as S3UploadFailedError, keeping it as the context.
    if isinstance(exc, S3UploadFailedError) and exc.__context__ is not None:
        cause = exc.__context__
    if isinstance(cause, ClientError):
        error = cause.response.get("Error", {})
        code = str(error.get("Code", "unknown"))
        status = int(cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        detail = f"{code}: {error.get('Message', '')}".strip(": ")[:500]
        message = f"upload to {where} failed with {code} (HTTP {status or 'unknown'})"
        if code in TRANSIENT_CODES or status in (408, 429) or status >= 500:
            return TransientDeliveryError(message, http_status=status or None, remote_detail=detail)
        return PermanentDeliveryError(message, http_status=status or None, remote_detail=detail)
    if isinstance(cause, NoCredentialsError | PartialCredentialsError):
        return PermanentDeliveryError(
            f"no AWS credentials for the upload to {where}: {cause}; configure boto3's "
            "standard credential chain (environment, shared files or an instance role)"
        )
    if isinstance(cause, ConnectionError | HTTPClientError):
        return TransientDeliveryError(f"cannot reach S3 for {where}: {cause}")
    if isinstance(cause, BotoCoreError):
        return PermanentDeliveryError(f"upload to {where} failed: {cause}")
    if isinstance(cause, OSError):
        return TransientDeliveryError(f"upload to {where} failed: {type(cause).__name__}: {cause}")
    return PermanentDeliveryError(f"upload to {where} failed: {type(cause).__name__}: {cause}")
