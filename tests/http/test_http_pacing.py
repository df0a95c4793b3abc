"""requests_per_second pacing: evenly spaced slots shared by all threads of one client (FakeClock)."""

from __future__ import annotations

import threading

import pytest

from restsync.clock import FakeClock
from restsync.errors import ConfigError
from restsync.http import HttpClient, RatePacer, RequestSpec
from servers.loopback import LoopbackServer, Reply, ok


def test_pacer_spaces_sequential_calls():
    clock = FakeClock()
    pacer = RatePacer(4.0, clock)
    waits = [pacer.acquire() for _ in range(5)]
    assert waits == [0.0, 0.25, 0.25, 0.25, 0.25]
    assert clock.sleeps == [0.25] * 4


def test_pacer_does_not_wait_when_caller_is_slower_than_the_ceiling():
    clock = FakeClock()
    pacer = RatePacer(2.0, clock)
    for _ in range(3):
        assert pacer.acquire() == 0.0
        clock.advance(1.0)
    assert clock.sleeps == []


class FrozenClock(FakeClock):
    """Time stands still while threads sleep, so every wait shows the slot it was given."""

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)


def test_pacer_shared_by_threads_hands_out_distinct_slots():
    clock = FrozenClock()
    pacer = RatePacer(10.0, clock)
    waits: list[float] = []
    lock = threading.Lock()

    def take() -> None:
        waited = pacer.acquire()
        with lock:
            waits.append(waited)

    threads = [threading.Thread(target=take) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(waits) == pytest.approx([i * 0.1 for i in range(20)])


@pytest.mark.parametrize("rate", [0, -1.0])
def test_pacer_rejects_non_positive_rates(rate):
    with pytest.raises(ConfigError, match="requests_per_second"):
        RatePacer(rate, FakeClock())


def test_client_paces_requests_including_redirect_hops():
    clock = FakeClock()

    def respond(seen, index):
        return Reply(302, headers={"Location": "/b"}) if seen.path == "/a" else ok({})

    with LoopbackServer(respond) as server:
        client = HttpClient(allow_private=True, clock=clock, requests_per_second=5.0)
        client.send(RequestSpec("GET", server.url("/a")))
        client.send(RequestSpec("GET", server.url("/b")))
    assert len(server.requests) == 3
    assert clock.sleeps == [pytest.approx(0.2), pytest.approx(0.2)]


def test_client_without_ceiling_never_sleeps():
    clock = FakeClock()
    with LoopbackServer(lambda seen, i: ok({})) as server:
        client = HttpClient(allow_private=True, clock=clock)
        for _ in range(5):
            client.send(RequestSpec("GET", server.url("/")))
    assert clock.sleeps == []
