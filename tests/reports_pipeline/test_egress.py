"""The egress policy: URL checks, resolved-address checks and the guarded HTTP client."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator

import pytest

from reports_pipeline.egress import EgressDenied, EgressPolicy, FetchFailed, address_is_public
from tests.file_server import FileServer, ok, redirect

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    routes = {
        "/logo.png": ok("image/png", PNG),
        "/big.png": ok("image/png", PNG * 1000),
        "/page": ok("text/html", b"<html></html>"),
        "/to-private": redirect("http://10.1.2.3/logo.png"),
        "/to-self": redirect("/logo.png"),
    }
    with FileServer(routes) as served:
        yield served.url


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",
        "ftp://example.com/file",
        "file:///etc/passwd",
        "https://user:secret@example.com/",
        "https://localhost/hook",
        "https://metadata.internal/latest",
        "https://127.0.0.1/hook",
        "https://10.0.0.8/hook",
        "https://172.16.4.1/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://100.64.0.1/hook",
        "https://[::1]/hook",
        "https://[fe80::1]/hook",
        "https://[fd00:ec2::254]/latest",
        "https://[::ffff:127.0.0.1]/hook",
        "https://0.0.0.0/hook",
        "https://example.com:0/hook",
        "https:///no-host",
    ],
)
def test_check_url_rejects(url: str) -> None:
    with pytest.raises(EgressDenied):
        EgressPolicy().check_url(url)


@pytest.mark.parametrize(
    "url", ["https://example.com/hook", "https://8.8.8.8/x", "https://example.com:8443/x"]
)
def test_check_url_accepts_public_https(url: str) -> None:
    EgressPolicy().check_url(url)


def test_allow_list_permits_http_and_private() -> None:
    policy = EgressPolicy(["127.0.0.1", "Receiver.Example.COM."])
    policy.check_url("http://127.0.0.1:9000/hook")
    policy.check_url("http://receiver.example.com/hook")
    with pytest.raises(EgressDenied):
        policy.check_url("http://127.0.0.2:9000/hook")


def test_resolution_is_checked_for_names() -> None:
    with pytest.raises(EgressDenied, match="resolves to"):
        EgressPolicy().resolve("localhost", 443)
    assert EgressPolicy(["localhost"]).resolve("localhost", 443)


def test_fetch_reads_an_allowed_image(server: str) -> None:
    fetched = EgressPolicy(["127.0.0.1"]).fetch(
        f"{server}/logo.png", max_bytes=1_000, timeout_seconds=5, content_types={"image/png"}
    )
    assert fetched.content == PNG
    assert fetched.content_type == "image/png"


def test_fetch_follows_redirects_under_the_policy(server: str) -> None:
    policy = EgressPolicy(["127.0.0.1"])
    fetched = policy.fetch(
        f"{server}/to-self", max_bytes=1_000, timeout_seconds=5, content_types={"image/png"}
    )
    assert fetched.content == PNG
    with pytest.raises(EgressDenied):
        policy.fetch(
            f"{server}/to-private", max_bytes=1_000, timeout_seconds=5, content_types={"image/png"}
        )


def test_fetch_refuses_hosts_outside_the_allow_list(server: str) -> None:
    with pytest.raises(EgressDenied):
        EgressPolicy().fetch(
            f"{server}/logo.png", max_bytes=1_000, timeout_seconds=5, content_types={"image/png"}
        )


def test_fetch_enforces_size_type_and_status(server: str) -> None:
    policy = EgressPolicy(["127.0.0.1"])
    with pytest.raises(FetchFailed, match="limit"):
        policy.fetch(
            f"{server}/big.png", max_bytes=1_000, timeout_seconds=5, content_types={"image/png"}
        )
    with pytest.raises(FetchFailed, match="content type"):
        policy.fetch(
            f"{server}/page", max_bytes=1_000, timeout_seconds=5, content_types={"image/png"}
        )
    with pytest.raises(FetchFailed, match="404"):
        policy.fetch(
            f"{server}/nothing", max_bytes=1_000, timeout_seconds=5, content_types={"image/png"}
        )


def test_guarded_client_checks_the_connected_address(server: str) -> None:
    # The machine's own host name passes the URL check (it is not a literal address or a
    # local name) and resolves to a loopback or private address, which the connection refuses.
    host = socket.gethostname()
    assert not address_is_public(ipaddress.ip_address(socket.gethostbyname(host)))
    port = server.rsplit(":", 1)[1]
    policy = EgressPolicy()
    policy.check_url(f"https://{host}:{port}/logo.png")
    with policy.client(timeout=5) as client, pytest.raises(EgressDenied, match="resolves to"):
        client.get(f"https://{host}:{port}/logo.png")
