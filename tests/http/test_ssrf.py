"""SSRF guard: schemes, localhost, non-public addresses, pinning (PY-SSRF-1..8, GO-5)."""

from __future__ import annotations

import ipaddress

import httpx
import pytest

from restsync.errors import BlockedAddressError, ConfigError
from restsync.http import HttpClient, RequestSpec
from restsync.http.ssrf import AddressGuard, GuardedTransport, is_disallowed_address
from servers.loopback import LoopbackServer, ok


def resolver_for(table: dict[str, list[str]], calls: list[str] | None = None):
    def resolve(host: str) -> list[str]:
        if calls is not None:
            calls.append(host)
        if host not in table:
            raise OSError(f"unknown host {host}")
        return table[host]

    return resolve


def no_dns(host: str) -> list[str]:
    raise AssertionError(f"DNS lookup for {host!r} must not happen")


def test_py_ssrf_1_localhost_refused_before_dns():
    client = HttpClient(resolver=no_dns)
    for url in ("http://localhost/api", "http://LOCALHOST:8080/api", "http://svc.localhost/api"):
        with pytest.raises(BlockedAddressError, match="localhost"):
            client.check_url(url)


@pytest.mark.parametrize("address", ["127.0.0.1", "169.254.169.254", "192.168.1.10", "10.0.0.5"])
def test_py_ssrf_2_to_5_non_public_targets_refused(address):
    client = HttpClient(resolver=resolver_for({"api.example.com": [address]}))
    with pytest.raises(BlockedAddressError, match="disallowed") as raised:
        client.check_url("http://api.example.com/api")
    assert "non-public address" in str(raised.value)
    assert isinstance(raised.value, ConfigError)  # a validation error, not a source error
    # The IP literal itself is refused too, with no DNS needed.
    with pytest.raises(BlockedAddressError, match="disallowed"):
        HttpClient(resolver=no_dns).check_url(f"http://{address}/api")


def test_py_ssrf_6_public_address_accepted_and_request_pinned():
    seen: list[tuple[str, str, str]] = []

    def mock(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.host, request.headers["host"], request.extensions.get("sni_hostname")))
        return httpx.Response(200, json={"items": []})

    client = HttpClient(resolver=resolver_for({"example.com": ["93.184.216.34"]}),
                        transport=httpx.MockTransport(mock))
    client.check_url("https://example.com/api")
    response = client.send(RequestSpec("GET", "https://example.com/api"))
    assert response.url.startswith("https://example.com/")
    assert response.data == {"items": []}
    # Sent to the checked IP, with the real name kept for Host and TLS (SNI + certificate).
    assert seen == [("93.184.216.34", "example.com", "example.com")]


@pytest.mark.parametrize("url", ["ftp://example.com/file", "file:///etc/passwd", "gopher://example.com/"])
def test_py_ssrf_7_8_only_http_and_https_schemes(url):
    client = HttpClient(resolver=no_dns)
    with pytest.raises(BlockedAddressError, match="scheme"):
        client.check_url(url)
    with pytest.raises(BlockedAddressError, match="Unsupported URL scheme"):
        client.send(RequestSpec("GET", url))


def test_go_5_loopback_blocked_when_not_allowed():
    client = HttpClient()
    with pytest.raises(BlockedAddressError, match="resolves to disallowed address"):
        client.send(RequestSpec("GET", "http://127.0.0.1:8080/api"))


def test_any_disallowed_answer_refuses_the_host():
    # A rebinding set-up answers one public and one private address.
    client = HttpClient(resolver=resolver_for({"mixed.example": ["93.184.216.34", "10.1.2.3"]}))
    with pytest.raises(BlockedAddressError, match="10.1.2.3"):
        client.check_url("https://mixed.example/")


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.0.1", "169.254.169.254", "100.64.0.1",
    "100.127.255.254", "0.0.0.0", "224.0.0.1", "240.0.0.1", "255.255.255.255",
    "::1", "::", "fe80::1", "fc00::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
])
def test_non_public_addresses_are_disallowed(address):
    assert is_disallowed_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_allowed(address):
    assert not is_disallowed_address(ipaddress.ip_address(address))


def test_pinning_sends_to_resolved_address_with_original_host_header():
    calls: list[str] = []
    with LoopbackServer(lambda seen, i: ok({"n": i})) as server:
        client = HttpClient(allow_private=True, resolver=resolver_for({"api.made-up.test": ["127.0.0.1"]}, calls))
        url = f"http://api.made-up.test:{server.port}/items"
        for _ in range(3):
            response = client.send(RequestSpec("GET", url, params={"page": "1"}))
        client.close()
    assert response.url == url + "?page=1"  # the name, not the pinned IP
    assert [seen.headers["host"] for seen in server.requests] == [f"api.made-up.test:{server.port}"] * 3
    assert calls == ["api.made-up.test"]  # resolved once per host per client, then pinned


def test_rebinding_after_check_cannot_change_the_target():
    answers = {"rebind.test": ["93.184.216.34"]}
    seen: list[str] = []

    def mock(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.host)
        return httpx.Response(200, json={})

    client = HttpClient(resolver=resolver_for(answers), transport=httpx.MockTransport(mock))
    client.send(RequestSpec("GET", "http://rebind.test/a"))
    answers["rebind.test"] = ["127.0.0.1"]  # DNS now answers loopback
    client.send(RequestSpec("GET", "http://rebind.test/b"))
    assert seen == ["93.184.216.34", "93.184.216.34"]


def test_rebinding_cannot_move_a_new_connection_of_our_own_pool():
    """Our transport pins in the backend that opens connections: a connection opened after DNS
    changed its answer still goes to the address checked first."""
    from restsync.demo.loopback import LoopbackHandler
    from restsync.demo.loopback import LoopbackServer as Server

    class Closing(LoopbackHandler):
        def do_GET(self) -> None:  # every answer closes its connection: each request opens a new one
            self.close_connection = True
            self.send_body(200, b'{"ok": true}', headers={"Connection": "close"})

    answers = {"rebind.test": ["127.0.0.1"]}
    calls: list[str] = []
    with Server(Closing) as server:
        client = HttpClient(allow_private=True, resolver=resolver_for(answers, calls))
        url = f"http://rebind.test:{server.port}/items"
        assert client.send(RequestSpec("GET", url)).data == {"ok": True}
        answers["rebind.test"] = ["10.255.255.1"]  # DNS now points elsewhere
        assert client.send(RequestSpec("GET", url)).data == {"ok": True}  # a new connection, same address
        client.close()
    assert calls == ["rebind.test"]


def test_our_transport_pins_its_connections_under_every_httpx_allowed():
    from restsync.http.ssrf import PinnedBackend, pin_connections

    transport = httpx.HTTPTransport()
    try:
        assert pin_connections(transport, AddressGuard()) is True
        assert isinstance(transport._pool._network_backend, PinnedBackend)
    finally:
        transport.close()


def test_allow_private_skips_policy_but_still_pins():
    table = {"internal.corp": ["10.0.0.7"], "localhost": ["127.0.0.1"]}
    guard = AddressGuard(allow_private=True, resolver=resolver_for(table))
    assert guard.pinned_address("internal.corp") == "10.0.0.7"
    assert guard.pinned_address("localhost") == "127.0.0.1"  # operators may reach their own machine


def test_unresolvable_host_is_a_connection_error_not_a_crash():
    transport = GuardedTransport(httpx.MockTransport(lambda r: httpx.Response(200)), AddressGuard(resolver=resolver_for({})))
    with pytest.raises(httpx.ConnectError, match="cannot resolve host 'nowhere.test'"):
        transport.handle_request(httpx.Request("GET", "http://nowhere.test/"))


def test_a_transport_handed_in_is_not_closed_with_the_client():
    closed: list[str] = []

    class Recording(httpx.MockTransport):
        def close(self) -> None:
            closed.append("inner")

    shared = Recording(lambda request: httpx.Response(200, json={}))
    HttpClient(transport=shared, resolver=no_dns).close()
    assert closed == []
    GuardedTransport(shared, AddressGuard()).close()  # the guard closes what it owns
    assert closed == ["inner"]


def test_ipv4_hidden_in_6to4_teredo_and_site_local_ipv6_is_refused():
    import ipaddress

    from restsync.http.ssrf import is_disallowed_address

    for text in ("2002:7f00:1::", "2002:a9fe:a9fe::1", "2001:0:4136:e378:8000:63bf:80ff:fffe", "fec0::1"):
        assert is_disallowed_address(ipaddress.ip_address(text)), text
    assert not is_disallowed_address(ipaddress.ip_address("2002:5db8:d822::1"))  # 6to4 of a public IPv4
