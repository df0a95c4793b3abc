"""One deadline per request: connect, headers and body together, however slowly a server drips.

httpx's timeouts apply to each socket operation, so a server that sends one byte every few
seconds never trips them. The client sets a deadline for the current thread (`deadline_after`)
and the network backend below gives every connect, read and write only the time that is left.
httpx's sync client does its I/O in the calling thread, which is why a thread-local suffices.
"""

from __future__ import annotations

import threading
import time
import typing
from contextlib import contextmanager
from typing import Iterator

import httpcore

_current = threading.local()


@contextmanager
def deadline_after(seconds: float) -> Iterator[None]:
    """Every network operation of this thread inside the block must end `seconds` from now."""
    previous = getattr(_current, "at", None)
    _current.at = time.monotonic() + seconds
    try:
        yield
    finally:
        _current.at = previous


def remaining() -> float | None:
    """Seconds left before this thread's deadline (may be <= 0); None when no deadline is set."""
    at = getattr(_current, "at", None)
    return None if at is None else at - time.monotonic()


def deadline_passed() -> bool:
    left = remaining()
    return left is not None and left <= 0


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    left = remaining()
    if left is None:
        return timeout
    if left <= 0:
        raise error("the request's deadline passed")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every operation ends by the thread's deadline."""

    def __init__(self, inner: httpcore.NetworkStream):
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: typing.Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, _bounded(timeout, httpcore.ConnectTimeout))
        return DeadlineStream(inner)

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """Wraps httpcore's network backend so connections honour the thread's deadline."""

    def __init__(self, inner: httpcore.NetworkBackend):
        self._inner = inner

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: typing.Iterable[typing.Any] | None = None) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(host, port, _bounded(timeout, httpcore.ConnectTimeout),
                                         local_address=local_address, socket_options=socket_options)
        return DeadlineStream(stream)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: typing.Iterable[typing.Any] | None = None) -> httpcore.NetworkStream:
        stream = self._inner.connect_unix_socket(path, _bounded(timeout, httpcore.ConnectTimeout),
                                                 socket_options=socket_options)
        return DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def install(transport: object) -> bool:
    """Put the deadline backend under an `httpx.HTTPTransport`'s connection pool.

    The pool's backend is not public API; if a future httpx moves it, requests are still bounded
    by the per-chunk deadline checks of the body reader, only less tightly. Returns whether it
    was installed (a test asserts it is, so an upgrade that breaks this is noticed).
    """
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if backend is None or isinstance(backend, DeadlineBackend):
        return isinstance(backend, DeadlineBackend)
    pool._network_backend = DeadlineBackend(backend)  # type: ignore[union-attr]
    return True
