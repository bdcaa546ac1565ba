"""Delivery channels of a schedule: email, webhook, SFTP and S3, validated per type.

Secret fields (the webhook `secret` and header values, the SFTP `auth.value`) are stored
encrypted, apart from the rest of the channel, and are masked whenever a channel is shown.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    TypeAdapter,
    field_validator,
    model_validator,
)

MASK = "********"
"""Shown in place of every secret value; sending it back in an update keeps the stored value."""

MAX_RECIPIENTS = 50
MAX_HEADERS = 20

_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$")
RESERVED_HEADERS = frozenset(
    {
        "host",
        "content-type",
        "content-length",
        "content-encoding",
        "transfer-encoding",
        "connection",
        "user-agent",
        "x-trinitite-signature",
        "x-trinitite-delivery",
        "x-trinitite-event",
    }
)
"""Headers the webhook sender sets itself; a channel cannot override them."""

_HOST_KEY = re.compile(
    r"^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521)"
    r" [A-Za-z0-9+/]+={0,3}( \S.*)?$"
)
_FINGERPRINT = re.compile(r"^(SHA256:[A-Za-z0-9+/]{43}=?|(MD5:)?([0-9a-f]{2}:){15}[0-9a-f]{2})$")
_HOST_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:.]+\]?$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")


def _no_line_breaks(value: str, field: str) -> str:
    if any(ch in value for ch in "\r\n\x00"):
        raise ValueError(f"{field} must not contain line breaks or NUL characters")
    return value


class _Channel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class EmailChannel(_Channel):
    """Email with the artifacts attached, or signed links when they exceed the size limit."""

    type: Literal["email"]
    to: list[EmailStr] = Field(min_length=1, max_length=MAX_RECIPIENTS)
    cc: list[EmailStr] = Field(default_factory=list, max_length=MAX_RECIPIENTS)
    bcc: list[EmailStr] = Field(default_factory=list, max_length=MAX_RECIPIENTS)
    subject: str | None = Field(default=None, max_length=200)

    @field_validator("subject")
    @classmethod
    def _single_line(cls, value: str | None) -> str | None:
        return None if value is None else _no_line_breaks(value, "subject")


class WebhookChannel(_Channel):
    """A signed JSON POST naming the run and its artifacts' signed download URLs."""

    type: Literal["webhook"]
    url: str = Field(min_length=8, max_length=2000, examples=["https://siem.example.com/hook"])
    headers: dict[str, str] = Field(default_factory=dict, max_length=MAX_HEADERS)
    secret: str = Field(
        min_length=16,
        max_length=256,
        description="Key of the HMAC-SHA256 signature in X-Trinitite-Signature.",
    )

    @field_validator("headers")
    @classmethod
    def _valid_headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, header_value in value.items():
            if not _HEADER_NAME.fullmatch(name):
                raise ValueError(f"header name {name!r} is invalid")
            if name.lower() in RESERVED_HEADERS:
                raise ValueError(f"header {name!r} is set by the service and cannot be overridden")
            if len(header_value) > 4096:
                raise ValueError(f"header {name!r} is longer than 4096 characters")
            _no_line_breaks(header_value, f"header {name!r}")
        return value


class SftpAuth(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["password", "key"]
    value: str = Field(
        min_length=1,
        max_length=16_384,
        description="The password, or an OpenSSH or PEM private key.",
    )


class SftpChannel(_Channel):
    """Upload to an SFTP server whose host key is pinned."""

    type: Literal["sftp"]
    host: str = Field(min_length=1, max_length=253)
    port: int = Field(default=22, ge=1, le=65535)
    username: str = Field(min_length=1, max_length=128)
    remote_path: str = Field(min_length=1, max_length=1024, examples=["/incoming/"])
    auth: SftpAuth
    host_key: str | None = Field(
        default=None,
        max_length=16_384,
        description="The server's public host key as in known_hosts: `ssh-ed25519 AAAA...`.",
    )
    host_key_fingerprint: str | None = Field(
        default=None,
        max_length=100,
        description="The host key's fingerprint, `SHA256:...` as `ssh-keygen -lf` prints it.",
    )

    @field_validator("host")
    @classmethod
    def _valid_host(cls, value: str) -> str:
        if not _HOST_NAME.fullmatch(value):
            raise ValueError(f"host {value!r} is not a valid host name or address")
        return value

    @field_validator("username")
    @classmethod
    def _valid_username(cls, value: str) -> str:
        return _no_line_breaks(value, "username")

    @field_validator("remote_path")
    @classmethod
    def _valid_remote_path(cls, value: str) -> str:
        _no_line_breaks(value, "remote_path")
        if ".." in value.split("/"):
            raise ValueError("remote_path must not contain '..' segments")
        return value

    @field_validator("host_key")
    @classmethod
    def _valid_host_key(cls, value: str | None) -> str | None:
        if value is not None and not _HOST_KEY.fullmatch(value):
            raise ValueError(
                "host_key must be a public key line such as 'ssh-ed25519 AAAA...', "
                "as `ssh-keyscan` prints it"
            )
        return value

    @field_validator("host_key_fingerprint")
    @classmethod
    def _valid_fingerprint(cls, value: str | None) -> str | None:
        if value is not None and not _FINGERPRINT.fullmatch(value):
            raise ValueError("host_key_fingerprint must look like 'SHA256:<43 base64 characters>'")
        return value

    @model_validator(mode="after")
    def _pinned_host_key(self) -> SftpChannel:
        if self.host_key is None and self.host_key_fingerprint is None:
            raise ValueError(
                "an sftp channel needs host_key or host_key_fingerprint, so the server's "
                "identity can be checked before any credential is sent"
            )
        return self


class S3Channel(_Channel):
    """Upload to an S3 bucket, encrypted with a KMS key when one is named."""

    type: Literal["s3"]
    bucket: str = Field(min_length=3, max_length=63)
    prefix: str = Field(default="", max_length=900)
    region: str = Field(min_length=9, max_length=30, examples=["us-west-2"])
    kms_key_id: str | None = Field(default=None, min_length=1, max_length=2048)

    @field_validator("bucket")
    @classmethod
    def _valid_bucket(cls, value: str) -> str:
        if not _BUCKET.fullmatch(value) or ".." in value:
            raise ValueError(f"bucket {value!r} is not a valid S3 bucket name")
        return value

    @field_validator("region")
    @classmethod
    def _valid_region(cls, value: str) -> str:
        if not _REGION.fullmatch(value):
            raise ValueError(f"region {value!r} is not a valid AWS region such as 'us-west-2'")
        return value

    @field_validator("prefix")
    @classmethod
    def _valid_prefix(cls, value: str) -> str:
        _no_line_breaks(value, "prefix")
        if value.startswith("/") or ".." in value.split("/"):
            raise ValueError("prefix must not start with '/' or contain '..' segments")
        return value


Channel = Annotated[
    EmailChannel | WebhookChannel | SftpChannel | S3Channel, Field(discriminator="type")
]
CHANNEL_TYPES = ("email", "webhook", "sftp", "s3")

_channel_list: TypeAdapter[list[Channel]] = TypeAdapter(list[Channel])


def parse_channels(raw: list[dict[str, Any]]) -> list[Channel]:
    """Validate stored or submitted channel dictionaries into channel models."""
    return _channel_list.validate_python(raw)


def split_secrets(channel: Channel) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the channel without its secret values, and the secret values alone."""
    public = channel.model_dump(mode="json")
    secrets: dict[str, Any] = {}
    if isinstance(channel, WebhookChannel):
        secrets["secret"] = public.pop("secret")
        secrets["headers"] = public["headers"]
        public["headers"] = dict.fromkeys(public["headers"], MASK)
    elif isinstance(channel, SftpChannel):
        secrets["auth_value"] = public["auth"]["value"]
        public["auth"] = {"type": public["auth"]["type"], "value": MASK}
    return public, secrets


def join_secrets(public: dict[str, Any], secrets: dict[str, Any]) -> dict[str, Any]:
    """Return the full channel dictionary from its public part and its secret values."""
    full = dict(public)
    if full["type"] == "webhook":
        full["secret"] = secrets["secret"]
        full["headers"] = dict(secrets["headers"])
    elif full["type"] == "sftp":
        full["auth"] = {"type": full["auth"]["type"], "value": secrets["auth_value"]}
    return full


def masked(public: dict[str, Any]) -> dict[str, Any]:
    """Return a stored channel as the API shows it, with every secret replaced by the mask."""
    shown = dict(public)
    if shown["type"] == "webhook":
        shown["secret"] = MASK
    return shown


def keep_masked_secrets(
    submitted: list[dict[str, Any]], previous: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Replace masked values in an update with the stored values of the same channel.

    A client that reads a schedule and sends it back unchanged sends the mask in place of
    every secret. The channel at the same position, with the same type and target, then keeps
    its stored secrets. A mask anywhere else is an error, raised by validation of the result.
    """
    result = []
    for index, channel in enumerate(submitted):
        old = previous[index] if index < len(previous) else None
        if not isinstance(channel, dict) or old is None or old.get("type") != channel.get("type"):
            result.append(channel)
            continue
        merged = dict(channel)
        if channel.get("type") == "webhook" and channel.get("url") == old.get("url"):
            if channel.get("secret") == MASK:
                merged["secret"] = old["secret"]
            headers = channel.get("headers")
            if isinstance(headers, dict):
                merged["headers"] = {
                    name: old["headers"].get(name, value) if value == MASK else value
                    for name, value in headers.items()
                }
        if (
            channel.get("type") == "sftp"
            and (channel.get("host"), channel.get("username"))
            == (old.get("host"), old.get("username"))
            and isinstance(channel.get("auth"), dict)
            and channel["auth"].get("value") == MASK
        ):
            merged["auth"] = {"type": channel["auth"].get("type"), "value": old["auth"]["value"]}
        result.append(merged)
    for index, channel in enumerate(result):
        if _contains_mask(channel):
            raise ValueError(
                f"channels[{index}] contains the mask {MASK!r} where no stored secret of the "
                "same channel exists; send the secret value"
            )
    return result


def _contains_mask(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_contains_mask(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_mask(v) for v in value)
    return bool(value == MASK)


def describe_target(channel: Channel | dict[str, Any]) -> str:
    """Return a short, secret-free description of where a channel delivers, for logs and UI."""
    data = channel if isinstance(channel, dict) else channel.model_dump(mode="json")
    kind = data["type"]
    if kind == "email":
        count = len(data["to"]) + len(data.get("cc") or []) + len(data.get("bcc") or [])
        return f"email to {data['to'][0]}" + (f" and {count - 1} more" if count > 1 else "")
    if kind == "webhook":
        return f"webhook {data['url'].split('?', 1)[0]}"
    if kind == "sftp":
        return f"sftp {data['username']}@{data['host']}:{data['port']}{data['remote_path']}"
    return f"s3 s3://{data['bucket']}/{data['prefix']}"
