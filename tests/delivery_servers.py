"""Real servers on 127.0.0.1 for delivery tests.

They are SMTP (aiosmtpd), a webhook receiver that verifies signatures as a customer would, SFTP
(asyncssh) with a throwaway host key, S3 and KMS (moto's server), and a TCP server that accepts
connections and never responds.

Import the fixtures into a test module or conftest to use them:

    from tests.delivery_servers import moto_server, smtp_server, webhook_receiver  # noqa: F401
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port

SIGNATURE_TOLERANCE_SECONDS = 300
"""Receivers reject signatures whose timestamp is more than five minutes off their clock."""


# SMTP ------------------------------------------------------------------------------------------


@dataclass
class ReceivedMail:
    mail_from: str
    recipients: list[str]
    content: bytes


class _MailHandler:
    def __init__(self) -> None:
        self.messages: list[ReceivedMail] = []
        self.data_replies: list[str] = []
        """Replies to DATA, used in order before messages are accepted."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.data_replies:
            return self.data_replies.pop(0)
        self.messages.append(
            ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
        )
        return "250 Message accepted for delivery"


class SmtpServer:
    """aiosmtpd on a free port.

    With `username`, AUTH is required. With `tls`, the server offers STARTTLS, or speaks TLS
    from the first byte when `implicit_tls` is set.
    """

    def __init__(
        self,
        username: str | None = None,
        password: str | None = None,
        *,
        tls: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
    ) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        self.handler = _MailHandler()
        self.port = free_port()
        self.logins: list[tuple[str, str]] = []

        def authenticate(
            server: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> AuthResult:
            if not isinstance(data, LoginPassword):
                return AuthResult(success=False, handled=False)
            login, secret = data.login.decode(), data.password.decode()
            self.logins.append((login, secret))
            # handled=False makes aiosmtpd send the standard 535 reply on failure.
            return AuthResult(success=(login, secret) == (username, password), handled=False)

        options: dict[str, Any] = {}
        if username is not None:
            options = {
                "authenticator": authenticate,
                "auth_required": True,
                "auth_require_tls": False,
            }
        if tls is not None and implicit_tls:
            options["ssl_context"] = tls
        elif tls is not None:
            options["tls_context"] = tls
            options["require_starttls"] = True
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **options)

    @property
    def messages(self) -> list[ReceivedMail]:
        return self.handler.messages

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


def self_signed_tls(directory: Path) -> tuple[ssl.SSLContext, Path]:
    """Return a server TLS context with a new certificate for 127.0.0.1, and the certificate's
    PEM file, which clients can trust through SSL_CERT_FILE."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_file = directory / "smtp-cert.pem"
    key_file = directory / "smtp-key.pem"
    certificate_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate_file, key_file)
    return context, certificate_file


# Webhook receiver ------------------------------------------------------------------------------


@dataclass
class ReceivedHook:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_valid: bool
    timestamp: int | None


def verify_signature(secret: str, signature_header: str, body: bytes, now: float) -> bool:
    """Verify X-Trinitite-Signature exactly as the customer documentation shows."""
    try:
        parts = dict(p.split("=") for p in signature_header.split(","))
        ts, sig = parts["t"], parts["v1"]
        expected = hmac.new(
            secret.encode("utf-8"),
            f"{ts}.".encode() + body,
            hashlib.sha256,
        ).hexdigest()
        fresh = abs(now - int(ts)) <= SIGNATURE_TOLERANCE_SECONDS
    except (KeyError, ValueError):
        return False
    return hmac.compare_digest(expected, sig) and fresh


@dataclass
class WebhookReceiver:
    """An HTTP server that checks each POST's signature with `secret` and records it.

    It responds 401 to a bad or stale signature, otherwise with the next status in `statuses`
    (200 once they are used up), after sleeping `delay` seconds.
    """

    secret: str
    statuses: list[int] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    """Extra response headers, such as Retry-After."""
    delay: float = 0.0
    echo_headers: bool = False
    """Return the request's headers in the response body, as some error pages do."""
    reply_body: bytes | None = None
    """Response body in place of the JSON one."""
    requests: list[ReceivedHook] = field(default_factory=list)
    port: int = 0
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/reports"

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                signature = self.headers.get("X-Trinitite-Signature", "")
                valid = verify_signature(receiver.secret, signature, body, time.time())
                timestamp = None
                if signature.startswith("t="):
                    timestamp = int(signature.split(",")[0][2:])
                receiver.requests.append(
                    ReceivedHook(self.path, dict(self.headers), body, valid, timestamp)
                )

                if receiver.delay:
                    time.sleep(receiver.delay)
                status = 200
                if not valid:
                    status = 401
                elif receiver.statuses:
                    status = receiver.statuses.pop(0)

                answer: dict[str, Any] = {"received": valid}
                if receiver.echo_headers:
                    answer["headers"] = dict(self.headers)
                reply = json.dumps(answer).encode()
                if receiver.reply_body is not None:
                    reply = receiver.reply_body
                try:
                    self.send_response(status)
                    for name, value in receiver.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


WEBHOOK_SECRET = "whsec-test-0123456789abcdef"


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(secret=WEBHOOK_SECRET).start()
    yield receiver
    receiver.stop()


# A server that never responds -------------------------------------------------------------------


class SilentServer:
    """Accepts TCP connections and never sends a byte, so clients run into their timeouts."""

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(16)
        self.port = int(self._socket.getsockname()[1])
        self._connections: list[socket.socket] = []
        self._stopped = threading.Event()

    def start(self) -> SilentServer:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            self._connections.append(connection)

    def stop(self) -> None:
        self._stopped.set()
        self._socket.close()
        for connection in self._connections:
            connection.close()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer().start()
    yield server
    server.stop()


def closed_port() -> int:
    """Return a port on 127.0.0.1 that nothing listens on, so connections are refused."""
    return free_port()


# SFTP ------------------------------------------------------------------------------------------


class SftpServer:
    """asyncssh's SFTP server rooted in a directory, in a thread with its own event loop.

    It accepts `username` with `password` or with any of `authorized_keys` (OpenSSH public
    key lines), records every authentication attempt and file operation, and presents
    throwaway host keys of the given algorithms, the first one preferred. With
    `posix_rename=False` it reports the posix-rename extension as unsupported.
    """

    def __init__(
        self,
        root: Path,
        *,
        username: str = "reports",
        password: str | None = None,
        authorized_keys: list[str] | None = None,
        host_key_algorithms: tuple[str, ...] = ("ssh-ed25519",),
        posix_rename: bool = True,
    ) -> None:
        import asyncssh

        self.root = root
        self.posix_rename = posix_rename
        self.username = username
        self.password = password
        self.authorized_keys = [asyncssh.import_public_key(k) for k in authorized_keys or []]
        self.host_keys = [asyncssh.generate_private_key(a) for a in host_key_algorithms]
        self.auth_attempts: list[str] = []
        self.operations: list[tuple[str, str]] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._acceptor: Any = None

    def host_key_line(self, index: int = 0) -> str:
        """The host key as `ssh-keyscan` prints it, without the host name."""
        exported = self.host_keys[index].export_public_key("openssh").decode()
        return " ".join(exported.split()[:2])

    def fingerprint(self, index: int = 0) -> str:
        return str(self.host_keys[index].get_fingerprint("sha256"))

    def start(self) -> SftpServer:
        import asyncssh

        server = self

        class Server(asyncssh.SSHServer):
            def begin_auth(self, username: str) -> bool:
                server.auth_attempts.append(username)
                return True

            def password_auth_supported(self) -> bool:
                return server.password is not None

            def validate_password(self, username: str, password: str) -> bool:
                return (username, password) == (server.username, server.password)

            def public_key_auth_supported(self) -> bool:
                return bool(server.authorized_keys)

            def validate_public_key(self, username: str, key: Any) -> bool:
                return username == server.username and any(
                    key.public_data == allowed.public_data for allowed in server.authorized_keys
                )

        class Recording(asyncssh.SFTPServer):
            def __init__(self, chan: Any) -> None:
                super().__init__(chan, chroot=str(server.root).encode())

            def open(self, path: bytes, pflags: int, attrs: Any) -> Any:
                server.operations.append(("open", path.decode()))
                return super().open(path, pflags, attrs)

            def mkdir(self, path: bytes, attrs: Any) -> Any:
                server.operations.append(("mkdir", path.decode()))
                return super().mkdir(path, attrs)

            def rename(self, oldpath: bytes, newpath: bytes) -> Any:
                server.operations.append(("rename", newpath.decode()))
                return super().rename(oldpath, newpath)

            def posix_rename(self, oldpath: bytes, newpath: bytes) -> Any:
                if not server.posix_rename:
                    raise asyncssh.SFTPOpUnsupported("posix-rename is not supported")
                server.operations.append(("posix_rename", newpath.decode()))
                return super().posix_rename(oldpath, newpath)

        async def listen() -> Any:
            return await asyncssh.listen(
                host="127.0.0.1",
                port=0,
                server_host_keys=self.host_keys,
                server_factory=Server,
                sftp_factory=Recording,
                allow_scp=False,
            )

        self._thread.start()
        self._acceptor = asyncio.run_coroutine_threadsafe(listen(), self._loop).result(10)
        self.port = int(self._acceptor.sockets[0].getsockname()[1])
        return self

    def stop(self) -> None:
        async def close() -> None:
            self._acceptor.close()
            await self._acceptor.wait_closed()

        if self._acceptor is not None:
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


SFTP_PASSWORD = "sftp-pass-Zq8v2LrT"


@pytest.fixture
def sftp_server(tmp_path: Path) -> Iterator[SftpServer]:
    root = tmp_path / "sftp-root"
    root.mkdir()
    server = SftpServer(root, password=SFTP_PASSWORD).start()
    yield server
    server.stop()


# S3 and KMS ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MotoServer:
    url: str
    region: str = "us-east-1"

    def client(self, service: str) -> Any:
        import boto3

        return boto3.session.Session().client(
            service, region_name=self.region, endpoint_url=self.url
        )


AWS_TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    # Keep boto3's credential chain away from the instance-metadata address.
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
}


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """moto's S3 and KMS in server mode, with throwaway credentials in the environment."""
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as patch:
        for name, value in AWS_TEST_ENV.items():
            patch.setenv(name, value)
        port = free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        try:
            yield MotoServer(url=f"http://127.0.0.1:{port}")
        finally:
            server.stop()
