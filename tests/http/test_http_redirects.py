"""Redirects followed by the client: guard on every hop, method rules, credentials across origins."""

from __future__ import annotations

import httpx
import pytest

from restsync.errors import BlockedAddressError, ConfigError
from restsync.http import HttpClient, RequestSpec
from restsync.http.auth import build_auth
from servers.loopback import LoopbackServer, Reply, ok


def test_py_ssrf_9_redirect_to_loopback_is_rechecked_and_not_fetched():
    fetched: list[str] = []

    def mock(request: httpx.Request) -> httpx.Response:
        fetched.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://127.0.0.1/secret"})

    client = HttpClient(resolver=lambda host: {"api.example.com": ["93.184.216.34"]}[host],
                        transport=httpx.MockTransport(mock))
    with pytest.raises(BlockedAddressError) as raised:
        client.send(RequestSpec("GET", "http://api.example.com/items"))
    assert "non-public address" in str(raised.value)
    assert isinstance(raised.value, ConfigError)
    assert fetched == ["http://93.184.216.34/items"]  # the loopback target was never requested


def test_py_ssrf_10_307_keeps_method_and_json_body():
    def respond(seen, index):
        if seen.path == "/start":
            return Reply(307, headers={"Location": "/moved"})
        return ok({"items": [1]})

    with LoopbackServer(respond) as server:
        client = HttpClient(allow_private=True)
        response = client.send(RequestSpec("POST", server.url("/start"), json={"hello": "world"}))
    assert [(seen.method, seen.path) for seen in server.requests] == [("POST", "/start"), ("POST", "/moved")]
    assert [seen.json() for seen in server.requests] == [{"hello": "world"}] * 2
    assert response.url == server.url("/moved")
    assert response.data == {"items": [1]}


def test_308_keeps_method_and_body():
    def respond(seen, index):
        return Reply(308, headers={"Location": "/b"}) if seen.path == "/a" else ok({})

    with LoopbackServer(respond) as server:
        HttpClient(allow_private=True).send(RequestSpec("POST", server.url("/a"), json={"q": 1}))
    assert [(s.method, s.json()) for s in server.requests] == [("POST", {"q": 1}), ("POST", {"q": 1})]


@pytest.mark.parametrize("status", [301, 302, 303])
def test_301_302_303_become_get_without_body(status):
    def respond(seen, index):
        return Reply(status, headers={"Location": "/next?x=1"}) if seen.path == "/a" else ok({"ok": True})

    with LoopbackServer(respond) as server:
        HttpClient(allow_private=True).send(RequestSpec("POST", server.url("/a"), json={"q": 1}))
    second = server.requests[1]
    assert (second.method, second.path, second.body) == ("GET", "/next?x=1", b"")


def test_py_ssrf_11_redirect_limit():
    with LoopbackServer(lambda seen, i: Reply(302, headers={"Location": f"/hop{i + 1}"})) as server:
        with pytest.raises(BlockedAddressError, match="Exceeded 5 redirects"):
            HttpClient(allow_private=True).send(RequestSpec("GET", server.url("/hop0")))
    assert len(server.requests) == 6  # the first request and 5 redirects


def test_relative_location_resolves_against_current_url():
    def respond(seen, index):
        if seen.path == "/v1/items/list":
            return Reply(302, headers={"Location": "../other?page=2"})
        return ok({"path": seen.path})

    with LoopbackServer(respond) as server:
        response = HttpClient(allow_private=True).send(RequestSpec("GET", server.url("/v1/items/list")))
    assert response.data == {"path": "/v1/other?page=2"}


def test_go_18_cross_origin_302_strips_auth_and_downgrades_method():
    with LoopbackServer(lambda seen, i: ok({"landed": True})) as target:
        with LoopbackServer(lambda seen, i: Reply(302, headers={"Location": target.url("/landing")})) as origin:
            client = HttpClient(allow_private=True, auth=build_auth("bearer", {}, {"token": "tok_secret"}))
            response = client.send(RequestSpec("POST", origin.url("/start"), json={"a": 1}))
    assert origin.requests[0].headers["authorization"] == "Bearer tok_secret"
    landed = target.requests[0]
    assert landed.method == "GET" and landed.body == b""
    assert "authorization" not in landed.headers
    assert response.data == {"landed": True}


def test_cross_origin_strips_every_credential_kind():
    auth = build_auth("api_key_query", {"param_name": "token"}, {"api_key": "qk_secret"})
    with LoopbackServer(lambda seen, i: ok({})) as target:
        location = target.url("/landing?api_key=echoed&token=echoed2&keep=1")
        with LoopbackServer(lambda seen, i: Reply(307, headers={"Location": location})) as origin:
            client = HttpClient(allow_private=True, auth=auth, headers={
                "X-API-Key": "hk_secret", "Cookie": "session=s1", "Proxy-Authorization": "Basic cHg=",
                "X-Custom-Token": "qk_secret", "X-Trace": "keep-me"})
            client.send(RequestSpec("GET", origin.url("/start")))
    first, landed = origin.requests[0], target.requests[0]
    assert "token=qk_secret" in first.path and first.headers["x-api-key"] == "hk_secret"
    for name in ("x-api-key", "cookie", "proxy-authorization", "x-custom-token", "authorization"):
        assert name not in landed.headers
    assert landed.path == "/landing?keep=1"
    assert landed.headers["x-trace"] == "keep-me"


def test_cross_origin_strips_configured_auth_header_and_basic_auth():
    with LoopbackServer(lambda seen, i: ok({})) as target:
        with LoopbackServer(lambda seen, i: Reply(302, headers={"Location": target.url("/x")})) as origin:
            for auth in (build_auth("api_key_header", {"header_name": "X-Key"}, {"api_key": "k1"}),
                         build_auth("basic", {}, {"username": "u", "password": "p"})):
                HttpClient(allow_private=True, auth=auth).send(RequestSpec("GET", origin.url("/")))
    assert origin.requests[0].headers["x-key"] == "k1"
    assert origin.requests[1].headers["authorization"].startswith("Basic ")
    assert all("x-key" not in s.headers and "authorization" not in s.headers for s in target.requests)


def test_same_origin_redirect_keeps_credentials():
    def respond(seen, index):
        return Reply(302, headers={"Location": "/second"}) if seen.path == "/first" else ok({})

    with LoopbackServer(respond) as server:
        client = HttpClient(allow_private=True, auth=build_auth("bearer", {}, {"token": "t1"}))
        client.send(RequestSpec("GET", server.url("/first")))
    assert [s.headers.get("authorization") for s in server.requests] == ["Bearer t1", "Bearer t1"]


def test_redirect_to_other_scheme_is_refused():
    with LoopbackServer(lambda seen, i: Reply(302, headers={"Location": "file:///etc/passwd"})) as server:
        with pytest.raises(BlockedAddressError, match="scheme"):
            HttpClient(allow_private=True).send(RequestSpec("GET", server.url("/")))
