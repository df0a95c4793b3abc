"""Auth schemes (PY-AUTH-1..4, GO-6) and the OAuth2 client-credentials flow against a loopback server."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs

import httpx
import pytest

from restsync.clock import FakeClock
from restsync.errors import AuthError, BlockedAddressError, ConfigError, CredentialError, RetriesExhaustedError
from restsync.http import HttpClient, RequestSpec, RetryPolicy
from restsync.http.auth import (
    ApiKeyHeaderAuth,
    ApiKeyQueryAuth,
    BasicAuth,
    BearerAuth,
    OAuth2ClientCredentialsAuth,
    build_auth,
)
from servers.loopback import LoopbackServer, Reply, ok


def applied(auth: httpx.Auth | None) -> httpx.Request:
    """The request as the auth flow sends it first."""
    request = httpx.Request("GET", "https://api.example.com/items?page=1")
    if auth is None:
        return request
    return next(auth.sync_auth_flow(request))


def test_py_auth_1_none_adds_nothing():
    assert build_auth("none", {}, {}) is None
    assert build_auth(None, None, None) is None
    assert "authorization" not in applied(None).headers


def test_py_auth_2_api_key_header():
    auth = build_auth("api_key_header", {"header_name": "X-API-Key"}, {"api_key": "secret123"})
    request = applied(auth)
    assert isinstance(auth, ApiKeyHeaderAuth)
    assert request.headers["X-API-Key"] == "secret123"
    assert "authorization" not in request.headers
    assert auth.header_names == ("X-API-Key",)
    assert auth.secret_values() == ("secret123",)


def test_api_key_header_defaults_and_config_fallbacks():
    assert applied(build_auth("api_key_header", {}, {"api_key": "k"})).headers["X-API-Key"] == "k"
    assert applied(build_auth("api_key_header", {"header_name": "X-Key", "api_key": "c1"}, {})).headers["X-Key"] == "c1"
    assert applied(build_auth("api_key_header", {"api_key_value": "c2"}, {})).headers["X-API-Key"] == "c2"
    # Credentials win over auth_config.
    assert applied(build_auth("api_key_header", {"api_key": "c1"}, {"api_key": "cred"})).headers["X-API-Key"] == "cred"


def test_py_auth_3_bearer():
    auth = build_auth("bearer", {}, {"token": "tok_abc"})
    request = applied(auth)
    assert isinstance(auth, BearerAuth)
    assert request.headers["Authorization"] == "Bearer tok_abc"
    assert applied(build_auth("bearer", {"token": "from_config"}, {})).headers["Authorization"] == "Bearer from_config"


def test_py_auth_4_basic():
    auth = build_auth("basic", {}, {"username": "user", "password": "pass"})
    assert isinstance(auth, BasicAuth)
    assert (auth.username, auth.password) == ("user", "pass")
    assert applied(auth).headers["Authorization"] == httpx.BasicAuth("user", "pass")._auth_header


def test_basic_allows_empty_password():
    auth = build_auth("basic", {}, {"username": "sk_test_123"})
    assert (auth.username, auth.password) == ("sk_test_123", "")
    assert applied(auth).headers["Authorization"] == httpx.BasicAuth("sk_test_123", "")._auth_header
    assert "sk_test_123" in auth.secret_values()  # the user name is the secret here


def test_go_6_auth_preparation():
    assert applied(build_auth("api_key_header", {"header_name": "X-Key"}, {"api_key": "k"})).headers["X-Key"] == "k"
    assert applied(build_auth("bearer", {}, {"token": "tok"})).headers["Authorization"] == "Bearer tok"
    basic = build_auth("basic", {}, {"username": "u", "password": "p"})
    assert (basic.username, basic.password) == ("u", "p")
    with pytest.raises(CredentialError) as raised:
        build_auth("bearer", {}, {})
    assert str(raised.value) == "REST API (bearer) requires 'token' in credentials"
    assert raised.value.key == "credentials.token"


@pytest.mark.parametrize("auth_type,config,message", [
    ("api_key_header", {"header_name": "X-Key"}, "REST API (api_key_header) requires 'api_key' in credentials"),
    ("api_key_query", {}, "REST API (api_key_query) requires 'api_key' in credentials"),
    ("basic", {}, "REST API (basic) requires 'username' in credentials"),
    ("oauth2_client_credentials", {"token_url": "https://a/t", "client_id": "c"},
     "REST API (oauth2_client_credentials) requires 'client_secret' in credentials"),
    ("oauth2_client_credentials", {"client_id": "c"},
     "REST API (oauth2_client_credentials) requires 'token_url' in auth_config"),
])
def test_missing_secrets_raise_credential_error(auth_type, config, message):
    with pytest.raises(CredentialError) as raised:
        build_auth(auth_type, config, {"token": "unrelated"})
    assert str(raised.value) == message


def test_unknown_auth_type_names_the_key():
    with pytest.raises(ConfigError, match="Unsupported auth_type 'jwt'") as raised:
        build_auth("jwt", {}, {})
    assert raised.value.key == "auth_type"


def test_api_key_query_sets_param():
    auth = build_auth("api_key_query", {"param_name": "key"}, {"api_key": "q1"})
    assert isinstance(auth, ApiKeyQueryAuth)
    assert applied(auth).url.params["key"] == "q1"
    assert applied(auth).url.params["page"] == "1"
    assert build_auth("api_key_query", {}, {"api_key": "q"}).query_param_names == ("api_key",)


# -- OAuth2 client credentials ------------------------------------------------------------------

class TokenApi:
    """A loopback API with a token endpoint and a protected /items endpoint."""

    def __init__(self, expires_in: int | None = 3600):
        self.expires_in = expires_in
        self.issued: list[str] = []
        self.revoked: set[str] = set()
        self.refuse_every_token = False
        self._lock = threading.Lock()

    def respond(self, seen, index) -> Reply:
        if seen.path == "/token":
            form = parse_qs(seen.body.decode())
            if form.get("client_secret") != ["s3cret"] or form.get("grant_type") != ["client_credentials"]:
                return Reply(401, {"error": "invalid_client"})
            with self._lock:
                token = f"tok{len(self.issued) + 1}"
                self.issued.append(token)
            body = {"access_token": token, "token_type": "Bearer"}
            if self.expires_in is not None:
                body["expires_in"] = self.expires_in
            return Reply(200, body)
        token = seen.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.issued or token in self.revoked or self.refuse_every_token:
            return Reply(401, {"error": "invalid_token"})
        return ok({"token": token})


def oauth_client(server: LoopbackServer, clock: FakeClock, retry: RetryPolicy | None = None,
                 **config) -> tuple[HttpClient, OAuth2ClientCredentialsAuth]:
    auth = build_auth("oauth2_client_credentials",
                      {"token_url": server.url("/token"), "client_id": "cid", **config},
                      {"client_secret": "s3cret"}, clock=clock)
    return HttpClient(allow_private=True, auth=auth, clock=clock, retry=retry), auth


def test_oauth2_token_is_fetched_once_and_cached():
    api, clock = TokenApi(), FakeClock()
    with LoopbackServer(api.respond) as server:
        client, auth = oauth_client(server, clock, scope="read", audience="https://api")
        results = [client.send(RequestSpec("GET", server.url("/items"))).data for _ in range(3)]
    assert results == [{"token": "tok1"}] * 3
    token_requests = [s for s in server.requests if s.path == "/token"]
    assert len(token_requests) == 1
    form = parse_qs(token_requests[0].body.decode())
    assert token_requests[0].method == "POST"
    assert token_requests[0].headers["content-type"] == "application/x-www-form-urlencoded"
    assert form == {"grant_type": ["client_credentials"], "client_id": ["cid"], "client_secret": ["s3cret"],
                    "scope": ["read"], "audience": ["https://api"]}
    assert "tok1" in auth.secret_values() and "s3cret" in auth.secret_values()


def test_oauth2_token_refreshed_60s_before_expiry():
    api, clock = TokenApi(expires_in=300), FakeClock()
    with LoopbackServer(api.respond) as server:
        client, _ = oauth_client(server, clock)
        assert client.send(RequestSpec("GET", server.url("/items"))).data == {"token": "tok1"}
        clock.advance(239)  # 61 s left: still fresh
        assert client.send(RequestSpec("GET", server.url("/items"))).data == {"token": "tok1"}
        clock.advance(2)  # 59 s left: inside the refresh margin
        assert client.send(RequestSpec("GET", server.url("/items"))).data == {"token": "tok2"}
    assert api.issued == ["tok1", "tok2"]


def test_oauth2_short_lived_token_is_reused_until_halfway():
    api, clock = TokenApi(expires_in=30), FakeClock()
    with LoopbackServer(api.respond) as server:
        client, _ = oauth_client(server, clock)
        for _ in range(5):
            assert client.send(RequestSpec("GET", server.url("/items"))).data == {"token": "tok1"}
        clock.advance(16)  # past half its life: refreshed
        assert client.send(RequestSpec("GET", server.url("/items"))).data == {"token": "tok2"}
    assert api.issued == ["tok1", "tok2"]


def test_oauth2_refreshes_once_on_401():
    api, clock = TokenApi(), FakeClock()
    with LoopbackServer(api.respond) as server:
        client, _ = oauth_client(server, clock)
        client.send(RequestSpec("GET", server.url("/items")))
        api.revoked.add("tok1")  # revoked early by the server
        assert client.send(RequestSpec("GET", server.url("/items"))).data == {"token": "tok2"}
        api.refuse_every_token = True  # new tokens are refused too: the 401 stands after one refresh
        with pytest.raises(AuthError, match="authentication failed with status 401"):
            client.send(RequestSpec("GET", server.url("/items")))
    item_requests = [s for s in server.requests if s.path == "/items"]
    assert len(item_requests) == 5  # ok, 401 + retry, 401 + retry
    assert api.issued == ["tok1", "tok2", "tok3"]


def test_oauth2_bad_client_secret_is_an_auth_error_without_the_secret():
    api, clock = TokenApi(), FakeClock()
    with LoopbackServer(api.respond) as server:
        auth = build_auth("oauth2_client_credentials", {"token_url": server.url("/token"), "client_id": "cid"},
                          {"client_secret": "wrong-secret"}, clock=clock)
        client = HttpClient(allow_private=True, auth=auth, clock=clock)
        with pytest.raises(AuthError, match="token endpoint") as raised:
            client.send(RequestSpec("GET", server.url("/items")))
    assert "wrong-secret" not in str(raised.value)
    assert [s.path for s in server.requests] == ["/token"]  # no data request without a token


def test_oauth2_token_endpoint_5xx_is_retried():
    api, clock = TokenApi(), FakeClock()
    failures = iter([True, True])

    def respond(seen, index):
        if seen.path == "/token" and next(failures, False):
            return Reply(503)
        return api.respond(seen, index)

    with LoopbackServer(respond) as server:
        client, _ = oauth_client(server, clock)
        assert client.send(RequestSpec("GET", server.url("/items"))).data == {"token": "tok1"}
    assert len(clock.sleeps) == 2


def test_oauth2_token_fetch_cut_by_a_dropped_connection_is_retried():
    api, clock = TokenApi(), FakeClock()
    dropped = iter([True])

    def respond(seen, index):
        if seen.path == "/token" and next(dropped, False):
            return Reply(200, {"access_token": "never"}, send_only=3, reset=True)
        return api.respond(seen, index)

    with LoopbackServer(respond) as server:
        client, auth = oauth_client(server, clock)
        assert client.send(RequestSpec("GET", server.url("/items"))).data == {"token": "tok1"}
        # The abandoned fetch released its claim: later refreshes do not wait for it.
        assert client.send(RequestSpec("GET", server.url("/items"))).data == {"token": "tok1"}
    assert auth.tokens_fetched == 1 and len(clock.sleeps) == 1


def test_oauth2_token_endpoint_persistent_5xx_exhausts_retries():
    clock = FakeClock()
    with LoopbackServer(lambda seen, i: Reply(500)) as server:
        client, _ = oauth_client(server, clock, retry=RetryPolicy(max_attempts=2))
        with pytest.raises(RetriesExhaustedError, match="token endpoint answered HTTP 500"):
            client.send(RequestSpec("GET", server.url("/items")))


def test_oauth2_token_request_goes_through_the_guard():
    auth = build_auth("oauth2_client_credentials", {"token_url": "http://169.254.169.254/token", "client_id": "c"},
                      {"client_secret": "s"})
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    client = HttpClient(auth=auth, transport=transport, resolver=lambda host: ["93.184.216.34"])
    with pytest.raises(BlockedAddressError, match="169.254.169.254"):
        client.send(RequestSpec("GET", "https://api.example.com/items"))


def test_oauth2_concurrent_requests_share_one_token():
    api, clock = TokenApi(), FakeClock()
    with LoopbackServer(api.respond) as server:
        client, _ = oauth_client(server, clock)
        results: list[object] = []
        threads = [threading.Thread(target=lambda: results.append(
            client.send(RequestSpec("GET", server.url("/items"))).data)) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert results == [{"token": "tok1"}] * 8
    assert api.issued == ["tok1"]
