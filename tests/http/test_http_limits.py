"""Requests are bounded in time (one deadline for connect + headers + body) and in size (raw
and decompressed), against loopback servers that drip bytes or send bombs."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from restsync.clock import FakeClock
from restsync.connector import RestApiConnector
from restsync.errors import InvalidResponseError, RetriesExhaustedError
from restsync.http import HttpClient, RequestSpec, RetryPolicy
from restsync.http.limits import MB
from servers.hostile import (
    HostileServer,
    compressed_body,
    drip_body,
    drip_headers,
    gzip_bomb,
    sized_body,
)

NO_JITTER = RetryPolicy(jitter=0.0)


def client(**options) -> HttpClient:
    return HttpClient(allow_private=True, clock=options.pop("clock", FakeClock()), retry=NO_JITTER, **options)


def timed_send(http: HttpClient, url: str) -> tuple[object, float]:
    started = time.monotonic()
    try:
        result: object = http.send(RequestSpec("GET", url))
    except Exception as exc:  # noqa: BLE001 - returned for the assertions
        result = exc
    return result, time.monotonic() - started


@pytest.mark.parametrize("respond", [drip_body(interval=0.05), drip_headers(interval=0.05)],
                         ids=["body", "headers"])
def test_a_dripping_server_fails_after_the_timeout_then_the_retry(respond):
    # A byte every 50 ms never trips a 0.3 s per-read timeout: only a deadline ends the request.
    with HostileServer(respond) as server:
        clock = FakeClock()
        error, elapsed = timed_send(client(timeout=0.3, clock=clock), server.url)
    assert isinstance(error, RetriesExhaustedError), error
    assert "gave up after 2 timeouts" in str(error)
    assert "no complete response within 0.3 s" in str(error)
    assert f"GET {server.url}" in str(error)
    assert server.connections == 2  # retried once, as configured
    assert clock.sleeps == [0.5]  # the backoff went through the clock
    assert elapsed < 1.5  # two 0.3 s attempts, not the 10 s the drip would take


def test_timeouts_are_capped_apart_from_other_transient_faults():
    policy = RetryPolicy()
    assert policy.max_timeouts == 2 < policy.max_attempts


def test_the_default_transport_carries_the_deadline():
    from restsync.http.deadline import DeadlineBackend, install

    transport = httpx.HTTPTransport()
    assert install(transport)
    assert isinstance(transport._pool._network_backend, DeadlineBackend)
    transport.close()


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "chunked"])
def test_a_body_over_the_cap_is_refused_naming_the_request(declare_length):
    with HostileServer(sized_body(MB + 1024, declare_length=declare_length)) as server:
        error, _ = timed_send(client(max_response_bytes=MB), server.url)
    assert isinstance(error, InvalidResponseError), error
    assert str(error) == f"response over 1 MB (max_response_mb) [GET {server.url}]"
    assert server.connections == 1  # the same answer again would not help: no retry


def test_a_body_under_the_cap_is_read():
    with HostileServer(sized_body(MB - 1024, declare_length=False)) as server:
        response = client(max_response_bytes=MB).send(RequestSpec("GET", server.url))
    assert response.data["items"] == [] and len(response.data["pad"]) > MB - 2048


def test_gzip_and_deflate_bodies_are_still_decoded():
    import zlib

    payload = json.dumps({"items": [{"id": 1}]}).encode()
    for encoding, body in (("gzip", gzip_compress(payload)), ("deflate", zlib.compress(payload)),
                           ("deflate", raw_deflate(payload))):
        with HostileServer(compressed_body(body, encoding)) as server:
            assert client().send(RequestSpec("GET", server.url)).data == {"items": [{"id": 1}]}


def test_a_gzip_bomb_is_refused_by_its_inflated_size():
    bomb = gzip_bomb(64)  # ~64 KB on the wire, 64 MB inflated
    assert len(bomb) < MB
    with HostileServer(compressed_body(bomb)) as server:
        error, _ = timed_send(client(max_response_bytes=MB), server.url)
    assert isinstance(error, InvalidResponseError), error
    assert "response over 1 MB" in str(error)


def test_an_encoding_restsync_did_not_ask_for_is_named():
    with HostileServer(compressed_body(b"\x00\x01", "br")) as server:
        error, _ = timed_send(client(), server.url)
    assert isinstance(error, InvalidResponseError)
    assert "Content-Encoding br" in str(error)


# VmHWM, the peak RSS of this process image: ru_maxrss would also count the pytest process the
# child was forked from (Linux carries it across exec).
RSS_PROBE = textwrap.dedent("""
    import sys
    from restsync.http import HttpClient, RequestSpec
    client = HttpClient(allow_private=True, max_response_bytes=int(sys.argv[2]))
    try:
        client.send(RequestSpec("GET", sys.argv[1]))
        print("read")
    except Exception as exc:
        print(type(exc).__name__)
    status = open("/proc/self/status").read()
    print(int(status.split("VmHWM:")[1].split()[0]) // 1024)
""")


def test_memory_stays_flat_whatever_the_bomb_inflates_to():
    bomb = gzip_bomb(256)
    with HostileServer(compressed_body(bomb)) as server:
        result = subprocess.run([sys.executable, "-c", RSS_PROBE, server.url, str(4 * MB)],
                                capture_output=True, text=True, timeout=60)
    outcome, peak_mb = result.stdout.split()
    assert outcome == "InvalidResponseError", result.stderr
    assert int(peak_mb) < 120  # an interpreter with httpx is ~40 MB; the bomb would add 256+


def test_max_response_mb_is_a_config_key(tmp_path: Path):
    with HostileServer(sized_body(MB + 1024, declare_length=True)) as server:
        config = {"url": server.url, "content_fields": ["title"], "max_response_mb": 1}
        connector = RestApiConnector(config, allow_private=True, clock=FakeClock())
        with pytest.raises(InvalidResponseError, match=r"response over 1 MB"):
            list(connector.iter_documents())


def gzip_compress(data: bytes) -> bytes:
    import gzip

    return gzip.compress(data)


def raw_deflate(data: bytes) -> bytes:
    import zlib

    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def test_a_walk_over_a_dripping_source_fails_clearly_and_soon():
    with HostileServer(drip_body(interval=0.05)) as server:
        clock = FakeClock()
        connector = RestApiConnector({"url": server.url, "content_fields": ["title"], "timeout": 0.3},
                                     allow_private=True, clock=clock)
        started = time.monotonic()
        with pytest.raises(RetriesExhaustedError, match="no complete response within 0.3 s"):
            list(connector.iter_documents())
    assert time.monotonic() - started < 1.5
