"""`on_wait`: every retry backoff and rate-limit wait is announced before the client sleeps."""

from __future__ import annotations

import pytest

from restsync.clock import FakeClock
from restsync.errors import RetriesExhaustedError
from restsync.http import HttpClient, RequestSpec, RetryPolicy
from servers.loopback import LoopbackServer, Reply, ok

NO_JITTER = RetryPolicy(max_attempts=5, backoff_base=1.2, jitter=0.0, retry_after_cap=300.0)


class WaitRecorder:
    """Records each announced wait with the sleeps already done, to prove it comes before the sleep."""

    def __init__(self, clock: FakeClock):
        self.clock = clock
        self.calls: list[tuple[float, str, int]] = []

    def __call__(self, seconds: float, reason: str) -> None:
        self.calls.append((seconds, reason, len(self.clock.sleeps)))


def run(*replies: Reply, retry: RetryPolicy = NO_JITTER) -> tuple[WaitRecorder, FakeClock]:
    clock = FakeClock()
    recorder = WaitRecorder(clock)
    with LoopbackServer(lambda seen, index: replies[min(index, len(replies) - 1)]) as server:
        client = HttpClient(allow_private=True, clock=clock, retry=retry, on_wait=recorder)
        try:
            client.send(RequestSpec("GET", server.url("/items")))
        finally:
            client.close()
    return recorder, clock


def test_retry_after_wait_is_announced_before_sleeping():
    recorder, clock = run(Reply(429, headers={"Retry-After": "30"}), ok([]))
    assert recorder.calls == [(30.0, "rate limited (HTTP 429, Retry-After), waiting 30 s", 0)]
    assert clock.sleeps == [30.0]


def test_server_errors_announce_retry_number_and_delay():
    recorder, clock = run(Reply(503), Reply(503), ok([]))
    assert [(s, r) for s, r, _ in recorder.calls] == [
        (1.2, "HTTP 503, retry 1 of 4 in 1.2 s"),
        (2.4, "HTTP 503, retry 2 of 4 in 2.4 s"),
    ]
    assert [done for _, _, done in recorder.calls] == [0, 1]  # each announced before its sleep
    assert clock.sleeps == [1.2, 2.4]


def test_a_capped_wait_says_so_and_long_waits_read_in_minutes():
    recorder, clock = run(Reply(503, headers={"Retry-After": "86400"}), ok([]))
    seconds, reason, _ = recorder.calls[0]
    assert seconds == 300.0 and clock.sleeps == [300.0]
    assert reason == "HTTP 503, Retry-After capped by retry_after_cap, retry 1 of 4 in 300 s (5.0 min)"


def test_rate_limit_reset_and_backoff_waits_name_their_source():
    reset = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(1_700_000_000 + 45)}
    recorder, _ = run(Reply(403, headers=reset), Reply(429), ok([]))
    assert [r for _, r, _ in recorder.calls] == [
        "rate limited (HTTP 403, X-RateLimit-Reset), waiting 45 s",
        "rate limited (HTTP 429), waiting 2.4 s",  # no hint: backoff, second wait
    ]


def test_connection_faults_are_announced():
    body = {"items": list(range(100))}
    recorder, _ = run(Reply(200, body, send_only=10, reset=True), ok(body))
    assert len(recorder.calls) == 1
    seconds, reason, _ = recorder.calls[0]
    assert seconds == 1.2 and reason.endswith("retry 1 of 4 in 1.2 s")
    assert reason.startswith(("connection error", "response body was cut short"))


def test_no_wait_no_call_and_the_last_failure_is_not_announced():
    recorder, _ = run(ok([]))
    assert recorder.calls == []
    clock = FakeClock()
    calls: list[float] = []
    with LoopbackServer(lambda seen, index: Reply(500)) as server:
        client = HttpClient(allow_private=True, clock=clock, on_wait=lambda s, r: calls.append(s),
                            retry=RetryPolicy(max_attempts=3, backoff_base=1.0, jitter=0.0))
        with pytest.raises(RetriesExhaustedError):
            client.send(RequestSpec("GET", server.url("/items")))
        client.close()
    assert calls == clock.sleeps == [1.0, 2.0]  # one announcement per sleep, none after giving up
