"""The egress policy: which outbound URLs the service may contact (webhooks, logos).

A URL passes when it uses https and every address its host resolves to is public: no loopback,
private, link-local, shared, multicast, reserved or cloud-metadata address. Hosts named in the
allow-list skip the address check and may also use plain http. That is how a customer's
internal receiver, or a test server on 127.0.0.1, is reached.

The check runs when a URL is saved and again on every connection, inside the HTTP client's
network layer, after DNS resolution and on every redirect. The client connects to the very
address it checked, so a DNS answer that changes between the check and the connection cannot
point a request at an internal host.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpcore
import httpx

from reports_pipeline.errors import ReportsError, ValidationError

if TYPE_CHECKING:
    from reports_pipeline.settings import Settings

logger = logging.getLogger(__name__)

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
"""Cloud instance-metadata endpoints (AWS, ECS, Alibaba, AWS over IPv6)."""

MAX_REDIRECTS = 5


class EgressDenied(ValidationError):
    """The URL or one of the addresses it resolves to is not allowed by the egress policy."""


class FetchFailed(ReportsError):
    """An allowed URL could not be fetched: network error, bad status, size or content type."""

    code = "fetch_failed"
    status = 502


@dataclass(frozen=True)
class Fetched:
    content: bytes
    content_type: str


def _normalise_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def address_is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Return whether an address may be contacted without an allow-list entry."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address_is_public(address.ipv4_mapped)
    if address in METADATA_ADDRESSES:
        return False
    return address.is_global and not address.is_multicast


class EgressPolicy:
    """Checks outbound URLs and opens HTTP clients that enforce the check on every connection."""

    def __init__(self, allowed_hosts: Iterable[str] = ()) -> None:
        self.allowed_hosts = frozenset(_normalise_host(h) for h in allowed_hosts if h.strip())

    @classmethod
    def from_settings(cls, settings: Settings) -> EgressPolicy:
        return cls(settings.egress_allowed_hosts)

    def is_allow_listed(self, host: str) -> bool:
        return _normalise_host(host) in self.allowed_hosts

    def check_url(self, url: str) -> None:
        """Check a URL's form and, for literal addresses, the address; raise EgressDenied.

        Host names are resolved only when a connection is made, so a URL saved today can
        point at a host whose DNS is not live yet.
        """
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise EgressDenied(f"{url!r} is not a valid URL") from exc
        host = _normalise_host(parts.hostname or "")
        if not host:
            raise EgressDenied(f"{url!r} has no host")
        if parts.username is not None or parts.password is not None:
            raise EgressDenied("URLs must not carry a user name or password; use headers")
        allow_listed = self.is_allow_listed(host)
        allowed_schemes = ("https", "http") if allow_listed else ("https",)
        if parts.scheme not in allowed_schemes:
            raise EgressDenied(
                f"{url!r} uses {parts.scheme or 'no'} scheme; only https is allowed"
                + ("" if allow_listed else " for hosts outside the egress allow-list")
            )
        if port == 0:
            raise EgressDenied(f"{url!r} names port 0")
        if allow_listed:
            return
        if host == "localhost" or host.endswith((".localhost", ".internal", ".local")):
            raise EgressDenied(f"host {host!r} is a local name, which the egress policy blocks")
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return
        if not address_is_public(address):
            raise EgressDenied(f"address {address} is not public; the egress policy blocks it")

    def resolve(self, host: str, port: int) -> list[str]:
        """Resolve `host` and return its addresses; raise EgressDenied if any is not public."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise FetchFailed(f"cannot resolve host {host!r}: {exc.strerror}") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if self.is_allow_listed(host):
            return addresses
        for text in addresses:
            if not address_is_public(ipaddress.ip_address(text.split("%", 1)[0])):
                raise EgressDenied(
                    f"host {host!r} resolves to {text}, which is not public; "
                    "the egress policy blocks it"
                )
        return addresses

    def client(self, *, timeout: httpx.Timeout | float, **kwargs: Any) -> httpx.Client:
        """Return an httpx client that checks every request and connection against the policy.

        Environment proxies are ignored, since a proxy would connect on the client's behalf
        to an address this policy never saw.
        """
        transport = httpx.HTTPTransport(retries=0)
        # The resolved address is known only in the connection pool's network backend, which
        # httpx does not expose. So the pool is replaced with one that uses the guarded backend.
        transport._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            network_backend=_GuardedBackend(self),
        )

        def check_request(request: httpx.Request) -> None:
            self.check_url(str(request.url))

        return httpx.Client(
            transport=transport,
            timeout=timeout,
            trust_env=False,
            max_redirects=MAX_REDIRECTS,
            event_hooks={"request": [check_request]},
            **kwargs,
        )

    def fetch(
        self,
        url: str,
        *,
        max_bytes: int,
        timeout_seconds: float,
        content_types: Collection[str],
    ) -> Fetched:
        """GET a small resource such as a logo, following redirects under the policy."""
        self.check_url(url)
        try:
            with (
                self.client(timeout=timeout_seconds, follow_redirects=True) as client,
                client.stream("GET", url) as response,
            ):
                if response.status_code != 200:
                    raise FetchFailed(f"{url} returned HTTP {response.status_code}")
                content_type = response.headers.get("content-type", "").split(";")[0].strip()
                if content_type.lower() not in content_types:
                    raise FetchFailed(
                        f"{url} has content type {content_type or 'none'}; "
                        f"expected one of {', '.join(sorted(content_types))}"
                    )
                declared = response.headers.get("content-length")
                if declared is not None and declared.isdigit() and int(declared) > max_bytes:
                    raise FetchFailed(f"{url} is {declared} bytes; the limit is {max_bytes}")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body.extend(chunk)
                    if len(body) > max_bytes:
                        raise FetchFailed(f"{url} is larger than the limit of {max_bytes} bytes")
        except httpx.TooManyRedirects as exc:
            raise FetchFailed(f"{url} redirects more than {MAX_REDIRECTS} times") from exc
        except httpx.TimeoutException as exc:
            raise FetchFailed(f"{url} timed out after {timeout_seconds:g} s") from exc
        except httpx.HTTPError as exc:
            cause = exc.__context__
            if isinstance(cause, ReportsError):
                raise cause from exc
            raise FetchFailed(f"cannot fetch {url}: {type(exc).__name__}") from exc
        return Fetched(content=bytes(body), content_type=content_type.lower())


class _GuardedBackend(httpcore.SyncBackend):
    """Resolves the host itself, checks every address and connects to a checked one."""

    def __init__(self, policy: EgressPolicy) -> None:
        self._policy = policy

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self._policy.resolve(host, port)
        last_error: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None
        raise last_error
