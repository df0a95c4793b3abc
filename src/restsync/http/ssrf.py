"""SSRF guard: which addresses a request may reach, enforced at the transport seam.

Every request (first hops, redirect hops, OAuth2 token requests) passes through
`GuardedTransport`, so nothing can bypass the policy. A host is resolved, checked and pinned
once per client: its connections then go to the checked IP (with the original Host header and
TLS server name), so a DNS answer that changes later (rebinding) cannot redirect them.

Where the pin is applied: in restsync's own transport, by the network backend that opens the
connections (`pin_connections`), so the connection pool keeps connections per host name and a
TLS connection verified for one name never carries a request for another name on the same IP.
A transport handed in by the caller gets each request's URL rewritten to the IP instead.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import typing
from typing import Callable

import httpcore
import httpx

from restsync.errors import BlockedAddressError

Resolver = Callable[[str], list[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = frozenset({"http", "https"})
# Carrier-grade NAT space is not flagged private by the ipaddress module but is not public.
_EXTRA_BLOCKED_NETWORKS = (ipaddress.ip_network("100.64.0.0/10"),)


def default_resolver(host: str) -> list[str]:
    """All addresses the system resolver gives for `host` (TCP), in its preferred order."""
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    addresses: list[str] = []
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone id
        if address not in addresses:
            addresses.append(address)
    return addresses


def is_disallowed_address(address: IPAddress) -> bool:
    """True for every address that is not plainly public (private, loopback, metadata, ...)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.is_site_local:  # deprecated fec0::/10, still routed on some internal networks
            return True
        # IPv4 addresses carried inside IPv6 forms are judged as the IPv4 address they reach.
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is not None:
            return is_disallowed_address(embedded)
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or any(address in network for network in _EXTRA_BLOCKED_NETWORKS)
    )


def is_localhost_name(host: str) -> bool:
    name = host.lower().rstrip(".")
    return name == "localhost" or name.endswith(".localhost")


def check_scheme(scheme: str) -> None:
    if scheme.lower() not in ALLOWED_SCHEMES:
        raise BlockedAddressError(
            f"Unsupported URL scheme '{scheme}': only http and https are allowed"
        )


def _parse_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


class AddressGuard:
    """Resolves, checks and pins hosts; the answer for each host is cached for the client's life."""

    def __init__(self, *, allow_private: bool = False, resolver: Resolver | None = None):
        self.allow_private = allow_private
        self._resolver = resolver or default_resolver
        self._pinned: dict[str, str] = {}
        self._lock = threading.Lock()

    def pinned_address(self, host: str) -> str:
        """The checked IP to connect to for `host`; raises BlockedAddressError if refused."""
        pinned = self._pinned.get(host)
        if pinned is not None:
            return pinned
        pinned = self._resolve_and_check(host)
        with self._lock:
            # Two threads may race on a first lookup; keep one answer so both pin the same IP.
            return self._pinned.setdefault(host, pinned)

    def check_url(self, url: httpx.URL) -> str:
        check_scheme(url.scheme)
        if not url.host:
            raise BlockedAddressError("URL has no host")
        return self.pinned_address(url.host)

    def _resolve_and_check(self, host: str) -> str:
        literal = _parse_ip(host)
        if literal is not None:
            self._enforce(host, [literal])
            return str(literal)
        if is_localhost_name(host) and not self.allow_private:
            # Refused by name, before any DNS lookup: /etc/hosts may map it anywhere.
            raise BlockedAddressError(f"host '{host}' is refused: localhost is blocked")
        try:
            answers = self._resolver(host)
        except (OSError, UnicodeError) as exc:
            raise httpx.ConnectError(f"cannot resolve host '{host}': {exc}") from exc
        addresses = [ip for ip in (_parse_ip(a) for a in answers) if ip is not None]
        if not addresses:
            raise httpx.ConnectError(f"cannot resolve host '{host}': no addresses")
        self._enforce(host, addresses)
        return str(addresses[0])

    def _enforce(self, host: str, addresses: list[IPAddress]) -> None:
        if self.allow_private:
            return
        # ANY bad answer refuses the host: a mixed answer is a classic rebinding set-up.
        for address in addresses:
            if is_disallowed_address(address):
                raise BlockedAddressError(
                    f"host '{host}' resolves to disallowed address {address} (non-public address)"
                )


class GuardedTransport(httpx.BaseTransport):
    """Wraps the real transport: refuses bad targets and sends each request to its pinned IP.
    `pinned_below`: the inner transport's connections are pinned by `pin_connections` already."""

    def __init__(self, inner: httpx.BaseTransport, guard: AddressGuard, *, close_inner: bool = True,
                 pinned_below: bool = False):
        self._inner = inner
        self.guard = guard
        # A transport handed in by the caller may be shared by several clients: theirs to close.
        self._close_inner = close_inner
        self._pinned_below = pinned_below

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        original_url = request.url
        address = self.guard.check_url(original_url)
        if address == original_url.host or self._pinned_below:
            return self._inner.handle_request(request)
        # The Host header was set from the original URL when the request was built; only the
        # connection target changes. SNI (and certificate checks) keep using the real name.
        request.url = original_url.copy_with(host=address)
        if original_url.scheme == "https":
            request.extensions = {**request.extensions, "sni_hostname": original_url.host}
        try:
            return self._inner.handle_request(request)
        finally:
            request.url = original_url

    def close(self) -> None:
        if self._close_inner:
            self._inner.close()


class PinnedBackend(httpcore.NetworkBackend):
    """Opens each connection to the address the guard checked for its host (never a fresh DNS
    answer), while the pool above keys it, and TLS verifies it, by the host's name."""

    def __init__(self, inner: httpcore.NetworkBackend, guard: AddressGuard):
        self._inner = inner
        self._guard = guard

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: typing.Iterable[typing.Any] | None = None) -> httpcore.NetworkStream:
        return self._inner.connect_tcp(self._guard.pinned_address(host), port, timeout=timeout,
                                       local_address=local_address, socket_options=socket_options)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: typing.Iterable[typing.Any] | None = None) -> httpcore.NetworkStream:
        raise BlockedAddressError("unix sockets are not allowed")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def pin_connections(transport: object, guard: AddressGuard) -> bool:
    """Put `PinnedBackend` under an `httpx.HTTPTransport`'s connection pool. The pool's backend is
    not public API: False when it could not be installed (requests are then pinned by URL, as
    for a caller's transport; a test asserts it is installed, so an upgrade that breaks it is seen)."""
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if backend is None:
        return False
    pool._network_backend = PinnedBackend(backend, guard)  # type: ignore[union-attr]
    return True
