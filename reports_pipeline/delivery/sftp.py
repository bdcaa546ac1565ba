"""SFTP delivery with paramiko, checking the server's pinned host key before authenticating.

The channel pins the server by its public key (`host_key`, as `ssh-keyscan` prints it) or by
its fingerprint (`host_key_fingerprint`, as `ssh-keygen -lf` prints it). With a pinned key,
only that key type is negotiated. With a fingerprint only, the server presents its preferred
key (Ed25519 first), which is the key the fingerprint must be of. An unknown or changed key
aborts before any credential is sent, and the failure is permanent.

Missing remote directories are created one level at a time. Each file is written under a
hidden temporary name and then renamed (posix-rename when the server supports it), so a reader
of the directory never finds a partly written file. The host goes through the egress policy, like
webhook URLs: private and loopback addresses need an allow-list entry.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import hashlib
import io
import posixpath
import socket
import stat
from typing import TYPE_CHECKING, Any

from reports_pipeline.delivery.content import DeliveryContent
from reports_pipeline.delivery.model import SftpChannel
from reports_pipeline.delivery.retry import (
    PermanentDeliveryError,
    Receipt,
    TransientDeliveryError,
)
from reports_pipeline.egress import EgressDenied, EgressPolicy, FetchFailed

if TYPE_CHECKING:
    import paramiko

    from reports_pipeline.settings import Settings

KEY_TYPES = {
    "ssh-ed25519": ("ssh-ed25519",),
    "ssh-rsa": ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"),
    "ecdsa-sha2-nistp256": ("ecdsa-sha2-nistp256",),
    "ecdsa-sha2-nistp384": ("ecdsa-sha2-nistp384",),
    "ecdsa-sha2-nistp521": ("ecdsa-sha2-nistp521",),
}
"""Host key algorithms to negotiate for each pinned key type."""


def sha256_fingerprint(key_blob: bytes) -> str:
    """Return the OpenSSH SHA256 fingerprint of a public key blob: `SHA256:<base64, unpadded>`."""
    digest = base64.b64encode(hashlib.sha256(key_blob).digest()).decode("ascii")
    return "SHA256:" + digest.rstrip("=")


def md5_fingerprint(key_blob: bytes) -> str:
    digest = hashlib.md5(key_blob, usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def check_host_key(channel: SftpChannel, key_type: str, key_blob: bytes) -> None:
    """Raise PermanentDeliveryError unless the server's key is the channel's pinned key."""
    presented = f"{key_type} {sha256_fingerprint(key_blob)}"
    if channel.host_key is not None:
        pinned_type, pinned_base64 = channel.host_key.split()[:2]
        if key_type == pinned_type and key_blob == base64.b64decode(pinned_base64):
            return
    else:
        pinned = channel.host_key_fingerprint or ""
        if pinned.startswith("SHA256:"):
            if sha256_fingerprint(key_blob) == pinned.rstrip("="):
                return
        elif md5_fingerprint(key_blob) == pinned.removeprefix("MD5:").lower():
            return
    raise PermanentDeliveryError(
        f"the host key of {channel.host}:{channel.port} ({presented}) does not match the "
        "pinned host key; no credential was sent. If the server's key changed on purpose, "
        "update the channel's host_key or host_key_fingerprint"
    )


def load_private_key(text: str) -> paramiko.PKey:
    """Load an unencrypted Ed25519, ECDSA or RSA private key in OpenSSH or PEM format."""
    import paramiko
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    data = text.strip().encode("utf-8") + b"\n"
    loaded: Any
    try:
        try:
            loaded = serialization.load_ssh_private_key(data, password=None)
        except ValueError:
            loaded = serialization.load_pem_private_key(data, password=None)
    except TypeError as exc:
        raise PermanentDeliveryError(
            "the SFTP private key is encrypted; give the key without a passphrase"
        ) from exc
    except (ValueError, paramiko.SSHException) as exc:
        raise PermanentDeliveryError(
            "the SFTP private key is not a valid OpenSSH or PEM private key"
        ) from exc
    key_class: type[paramiko.PKey]
    if isinstance(loaded, ed25519.Ed25519PrivateKey):
        key_class = paramiko.Ed25519Key
    elif isinstance(loaded, ec.EllipticCurvePrivateKey):
        key_class = paramiko.ECDSAKey
    elif isinstance(loaded, rsa.RSAPrivateKey):
        key_class = paramiko.RSAKey
    else:
        raise PermanentDeliveryError(
            f"SFTP private keys must be Ed25519, ECDSA or RSA, not {type(loaded).__name__}"
        )
    # paramiko reads every key type from the OpenSSH format, so PEM keys are converted first.
    openssh = loaded.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    return key_class.from_private_key(io.StringIO(openssh.decode("ascii")))


def remote_directories(remote_path: str) -> list[str]:
    """Return every directory from the top of `remote_path` down to itself, in order."""
    absolute = remote_path.startswith("/")
    parts = [part for part in remote_path.split("/") if part and part != "."]
    directories = []
    for depth in range(1, len(parts) + 1):
        joined = "/".join(parts[:depth])
        directories.append("/" + joined if absolute else joined)
    return directories


class SftpSender:
    """Uploads a run's artifacts to an SFTP directory."""

    def __init__(
        self, channel: SftpChannel, content: DeliveryContent, settings: Settings, delivery_id: str
    ) -> None:
        self._channel = channel
        self._content = content
        self._timeout = settings.sftp_timeout_seconds
        self._policy = EgressPolicy.from_settings(settings)
        self._delivery_id = delivery_id

    @property
    def _server(self) -> str:
        return f"{self._channel.host}:{self._channel.port}"

    def send(self, attempt: int) -> Receipt:  # noqa: ARG002 - each attempt uploads every file
        import paramiko

        channel = self._channel
        try:
            transport = self._open_transport()
        except EgressDenied as exc:
            raise PermanentDeliveryError(f"SFTP host blocked: {exc.message}") from exc
        except FetchFailed as exc:
            raise TransientDeliveryError(f"SFTP host unreachable: {exc.message}") from exc
        except TimeoutError as exc:
            raise TransientDeliveryError(
                f"SFTP server {self._server} timed out after {self._timeout:g} s"
            ) from exc
        except paramiko.SSHException as exc:
            # paramiko reports a banner that did not arrive in time as an SSHException raised
            # while handling the socket's timeout.
            if _caused_by_timeout(exc):
                raise TransientDeliveryError(
                    f"SFTP server {self._server} timed out after {self._timeout:g} s"
                ) from exc
            raise TransientDeliveryError(
                f"SSH handshake with {self._server} failed: {exc}"
            ) from exc
        except OSError as exc:
            raise TransientDeliveryError(
                f"cannot connect to SFTP server {self._server}: {exc.strerror or exc}"
            ) from exc
        try:
            server_key = transport.get_remote_server_key()
            check_host_key(channel, server_key.get_name(), server_key.asbytes())
            self._authenticate(transport)
            sftp = paramiko.SFTPClient.from_transport(transport)
            if sftp is None:
                raise TransientDeliveryError(f"SFTP server {self._server} opened no SFTP session")
            sftp.get_channel().settimeout(self._timeout)
            with sftp:
                directory = self._make_directories(sftp)
                for artifact in self._content.artifacts:
                    self._upload(sftp, str(artifact.path), directory, artifact.file_name)
        except TimeoutError as exc:
            raise TransientDeliveryError(
                f"SFTP server {self._server} timed out after {self._timeout:g} s"
            ) from exc
        except paramiko.SSHException as exc:
            raise TransientDeliveryError(f"SFTP session with {self._server} failed: {exc}") from exc
        finally:
            transport.close()
        names = ", ".join(a.file_name for a in self._content.artifacts)
        return Receipt(detail=f"uploaded to {directory or '.'}: {names}")

    def _open_transport(self) -> paramiko.Transport:
        import paramiko

        channel = self._channel
        address = self._policy.resolve(channel.host, channel.port)[0]
        sock = socket.create_connection((address, channel.port), timeout=self._timeout)
        transport = paramiko.Transport(sock)
        transport.banner_timeout = self._timeout
        transport.handshake_timeout = self._timeout
        transport.auth_timeout = self._timeout
        if channel.host_key is not None:
            transport.get_security_options().key_types = KEY_TYPES[channel.host_key.split()[0]]
        try:
            transport.start_client(timeout=self._timeout)
            # start_client returns without an error when its timeout passes mid-handshake.
            if transport.host_key is None:
                raise TimeoutError("the SSH handshake did not finish")
        except BaseException:
            transport.close()
            raise
        return transport

    def _authenticate(self, transport: paramiko.Transport) -> None:
        import paramiko

        channel = self._channel
        who = f"{channel.username!r} at {self._server}"
        try:
            if channel.auth.type == "password":
                transport.auth_password(channel.username, channel.auth.value)
            else:
                transport.auth_publickey(channel.username, load_private_key(channel.auth.value))
        except paramiko.BadAuthenticationType as exc:
            raise PermanentDeliveryError(
                f"SFTP server rejected {channel.auth.type} authentication for {who}; "
                f"it allows: {', '.join(exc.allowed_types)}"
            ) from exc
        except paramiko.AuthenticationException as exc:
            raise PermanentDeliveryError(
                f"SFTP {channel.auth.type} authentication failed for {who}"
            ) from exc
        if not transport.is_authenticated():
            raise PermanentDeliveryError(f"SFTP authentication failed for {who}")

    def _make_directories(self, sftp: paramiko.SFTPClient) -> str:
        """Create the missing directories of the channel's remote path; return the path."""
        directories = remote_directories(self._channel.remote_path)
        for directory in directories:
            try:
                attributes = sftp.stat(directory)
            except FileNotFoundError:
                self._sftp_call(sftp.mkdir, directory, what=f"create directory {directory}")
                continue
            except OSError as exc:
                raise self._file_error(exc, f"read directory {directory}") from exc
            if attributes.st_mode is not None and not stat.S_ISDIR(attributes.st_mode):
                raise PermanentDeliveryError(
                    f"{directory} on {self._server} exists and is not a directory"
                )
        return directories[-1] if directories else ""

    def _upload(self, sftp: paramiko.SFTPClient, local: str, directory: str, name: str) -> None:
        target = posixpath.join(directory, name)
        temporary = posixpath.join(directory, f".{name}.{self._delivery_id}.part")
        self._sftp_call(sftp.put, local, temporary, what=f"upload {temporary}")
        try:
            sftp.posix_rename(temporary, target)
        except OSError:
            # Without posix-rename, SFTP's rename fails when the target exists.
            with contextlib.suppress(OSError):
                sftp.remove(target)
            self._sftp_call(sftp.rename, temporary, target, what=f"rename to {target}")

    def _sftp_call(self, function: object, *args: str, what: str) -> None:
        try:
            function(*args)  # type: ignore[operator]
        except OSError as exc:
            raise self._file_error(exc, what) from exc

    def _file_error(
        self, exc: OSError, what: str
    ) -> PermanentDeliveryError | TransientDeliveryError:
        message = f"cannot {what} on {self._server}: {exc.strerror or exc}"
        if exc.errno in (errno.EACCES, errno.EPERM, errno.ENOENT, errno.ENOTDIR):
            return PermanentDeliveryError(message)
        return TransientDeliveryError(message)


def _caused_by_timeout(error: BaseException) -> bool:
    """Return whether a timeout is among the errors that `error` was raised from or during."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, TimeoutError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
