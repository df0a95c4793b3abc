"""HttpClient status handling, retries and rate-limit waits against loopback servers (FakeClock).

Covers PY-ERR-1..6, GO-15..17, GO-25, GO-26, Retry-After / X-RateLimit-Reset waits, GitHub-style
403 rate limits, dropped connections, truncated JSON, and secrets kept out of error text.
"""

from __future__ import annotations

import email.utils

import pytest

from restsync.clock import FakeClock
from restsync.errors import (
    AuthError,
    ClientRequestError,
    InvalidResponseError,
    RateLimitExhaustedError,
    RetriesExhaustedError,
    SourceError,
)
from restsync.http import HttpClient, RequestSpec, RetryPolicy
from restsync.http.auth import build_auth
from servers.loopback import LoopbackServer, Reply, ok

NO_JITTER = RetryPolicy(max_attempts=5, backoff_base=1.0, backoff_max=30.0, jitter=0.0, max_rate_limit_waits=10)


def scripted(*replies: Reply):
    """Answer with the replies in order, repeating the last one."""
    return lambda seen, index: replies[min(index, len(replies) - 1)]


def fetch(server: LoopbackServer, clock: FakeClock, retry: RetryPolicy = NO_JITTER, **client_args):
    client = HttpClient(allow_private=True, clock=clock, retry=retry, **client_args)
    try:
        return client.send(RequestSpec("GET", server.url("/items"), params={"page": "1"}))
    finally:
        client.close()


@pytest.mark.parametrize("status,error,text", [
    (401, AuthError, "authentication failed with status 401"),  # PY-ERR-1, GO-15
    (403, AuthError, "authentication failed with status 403"),  # PY-ERR-2
    (404, ClientRequestError, "non-retriable client error status 404"),  # PY-ERR-3
    (400, ClientRequestError, "non-retriable client error status 400"),  # PY-ERR-4, GO-15
])
def test_client_errors_fail_at_once(status, error, text):
    clock = FakeClock()
    with LoopbackServer(scripted(Reply(status, {"error": "nope"}))) as server:
        with pytest.raises(error, match=text) as raised:
            fetch(server, clock)
    assert len(server.requests) == 1 and clock.sleeps == []
    assert raised.value.status == status
    assert f"GET {server.url('/items?page=1')}" in str(raised.value)  # names the request
    assert "nope" in str(raised.value)  # and shows what the server said


def test_py_err_5_go_25_persistent_500_exhausts_retries():
    clock = FakeClock()
    with LoopbackServer(scripted(Reply(500, "boom"))) as server:
        with pytest.raises(RetriesExhaustedError, match="HTTP 500") as raised:
            fetch(server, clock, retry=RetryPolicy(max_attempts=3, backoff_base=1.0, jitter=0.0))
    assert len(server.requests) == 3  # request count equals the retry budget
    assert clock.sleeps == [1.0, 2.0]  # exponential backoff, through the clock only
    assert "http 500" in str(raised.value).lower()


def test_go_16_500_twice_then_success():
    clock = FakeClock()
    with LoopbackServer(scripted(Reply(500), Reply(502), ok({"items": [1, 2]}))) as server:
        response = fetch(server, clock)
    assert response.data == {"items": [1, 2]}
    assert len(server.requests) == 3 and clock.sleeps == [1.0, 2.0]


def test_go_17_429_with_retry_after_zero_then_success():
    clock = FakeClock()
    with LoopbackServer(scripted(Reply(429, headers={"Retry-After": "0"}), ok({"items": []}))) as server:
        assert fetch(server, clock).data == {"items": []}
    assert len(server.requests) == 2 and clock.sleeps == [0.0]


def test_py_err_6_go_26_persistent_429_exhausts_rate_limit_waits():
    clock = FakeClock()
    with LoopbackServer(scripted(Reply(429, headers={"Retry-After": "1"}))) as server:
        with pytest.raises(RateLimitExhaustedError, match="too many requests") as raised:
            fetch(server, clock, retry=RetryPolicy(max_rate_limit_waits=3))
    assert not isinstance(raised.value, ClientRequestError)  # retriable, not a validation error
    assert len(server.requests) == 3 and clock.sleeps == [1.0, 1.0]


def test_retry_after_seconds_is_waited_and_capped():
    clock = FakeClock()
    replies = (Reply(429, headers={"Retry-After": "12"}), Reply(503, headers={"Retry-After": "9999"}), ok([]))
    with LoopbackServer(scripted(*replies)) as server:
        fetch(server, clock, retry=RetryPolicy(retry_after_cap=60.0))
    assert clock.sleeps == [12.0, 60.0]


def test_retry_after_http_date_is_relative_to_the_clock():
    clock = FakeClock(start=1_700_000_000.0)
    when = email.utils.formatdate(1_700_000_000.0 + 25, usegmt=True)
    with LoopbackServer(scripted(Reply(429, headers={"Retry-After": when}), ok([]))) as server:
        fetch(server, clock)
    assert clock.sleeps == [pytest.approx(25.0)]


def test_rate_limit_reset_epoch_is_waited_out():
    clock = FakeClock(start=1_700_000_000.0)
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(1_700_000_000 + 40)}
    with LoopbackServer(scripted(Reply(429, headers=headers), ok([]))) as server:
        fetch(server, clock)
    assert clock.sleeps == [pytest.approx(40.0)]


def test_github_style_403_rate_limit_is_waited_out():
    clock = FakeClock(start=1_700_000_000.0)
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(1_700_000_000 + 30)}
    body = {"message": "API rate limit exceeded"}
    with LoopbackServer(scripted(Reply(403, body, headers), ok({"items": [1]}))) as server:
        assert fetch(server, clock).data == {"items": [1]}
    assert len(server.requests) == 2 and clock.sleeps == [pytest.approx(30.0)]


def test_429_without_hint_backs_off():
    clock = FakeClock()
    with LoopbackServer(scripted(Reply(429), Reply(429), ok([]))) as server:
        fetch(server, clock)
    assert clock.sleeps == [1.0, 2.0]


def test_connection_reset_mid_body_is_retried():
    clock = FakeClock()
    body = {"items": list(range(200))}
    with LoopbackServer(scripted(Reply(200, body, send_only=40, reset=True), ok(body))) as server:
        assert fetch(server, clock).data == body
    assert len(server.requests) == 2 and clock.sleeps == [1.0]


def test_incomplete_read_then_success():
    clock = FakeClock()
    with LoopbackServer(scripted(Reply(200, {"items": [1, 2, 3]}, send_only=5), ok({"items": [1]}))) as server:
        assert fetch(server, clock).data == {"items": [1]}
    assert len(server.requests) == 2


def test_truncated_json_then_success():
    clock = FakeClock()
    with LoopbackServer(scripted(Reply(200, b'{"items": [{"id": 1}, {"id": 2'), ok({"items": [1]}))) as server:
        assert fetch(server, clock).data == {"items": [1]}
    assert len(server.requests) == 2 and clock.sleeps == [1.0]


def test_persistent_truncated_json_gives_a_clear_error():
    clock = FakeClock()
    with LoopbackServer(scripted(Reply(200, b'{"items": [{"title": "cut sho'))) as server:
        with pytest.raises(RetriesExhaustedError, match="cut short") as raised:
            fetch(server, clock, retry=RetryPolicy(max_attempts=3, jitter=0.0))
    assert len(server.requests) == 3
    assert "/items?page=1" in str(raised.value)


def test_go_15_non_json_body_fails_at_once():
    clock = FakeClock()
    with LoopbackServer(scripted(Reply(200, "<html>maintenance</html>"))) as server:
        with pytest.raises(InvalidResponseError, match="not valid JSON") as raised:
            fetch(server, clock)
    assert len(server.requests) == 1 and clock.sleeps == []
    assert f"GET {server.url('/items?page=1')}" in str(raised.value)


def test_empty_204_gives_none():
    with LoopbackServer(scripted(Reply(204))) as server:
        response = fetch(server, FakeClock())
    assert (response.status, response.data, response.size_bytes) == (204, None, 0)


def test_connection_refused_exhausts_retries():
    with LoopbackServer(scripted(ok([]))) as server:
        url = server.url("/gone")
    clock = FakeClock()  # server closed: nothing listens on the port any more
    client = HttpClient(allow_private=True, clock=clock, retry=RetryPolicy(max_attempts=2, jitter=0.0))
    with pytest.raises(RetriesExhaustedError, match="connection error"):
        client.send(RequestSpec("GET", url))
    assert clock.sleeps == [0.5]


def test_secrets_never_appear_in_error_text():
    auth = build_auth("api_key_query", {"param_name": "key"}, {"api_key": "sk_live_query_secret"})
    echo = Reply(401, "bad key sk_live_query_secret and header sk_header_secret")
    with LoopbackServer(scripted(echo)) as server:
        client = HttpClient(allow_private=True, auth=auth, headers={"X-Extra": "sk_header_secret"},
                            secrets=["sk_header_secret", "sk_url_secret"], clock=FakeClock())
        spec = RequestSpec("GET", server.url("/items?api_key=sk_url_secret&tok=sk_header_secret"))
        with pytest.raises(AuthError) as raised:
            client.send(spec)
    assert server.requests[0].path.count("sk_live_query_secret") == 1  # the key was sent...
    text = str(raised.value) + str(raised.value.request)
    for secret in ("sk_live_query_secret", "sk_header_secret", "sk_url_secret"):
        assert secret not in text  # ...but never shown
    assert "***" in text and "GET http://127.0.0.1" in text


def test_all_errors_are_source_errors():
    with LoopbackServer(scripted(Reply(418))) as server:
        with pytest.raises(SourceError):
            fetch(server, FakeClock())
