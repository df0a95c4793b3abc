"""Faults a server can be wrapped in, chosen by request arrival number (1-based)."""

from __future__ import annotations

from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Callable

from .base import RecordedRequest, Reply

Selector = Callable[[int], bool]


def every(k: int) -> Selector:
    return lambda number: number % k == 0


def only(*numbers: int) -> Selector:
    chosen = set(numbers)
    return lambda number: number in chosen


def always() -> Selector:
    return lambda number: True


@dataclass
class _Fault:
    which: Selector
    hits: list[int] = field(default_factory=list)  # arrival numbers this fault fired on

    def before(self, number: int, request: RecordedRequest) -> Reply | None:
        return None

    def after(self, number: int, request: RecordedRequest, reply: Reply) -> Reply:
        return reply


@dataclass
class ServerError(_Fault):
    """Answer a 5xx instead of the API."""

    status: int = 500

    def before(self, number: int, request: RecordedRequest) -> Reply | None:
        if not self.which(number):
            return None
        self.hits.append(number)
        return Reply(self.status, json={"error": "internal error", "request": number})


@dataclass
class TooManyRequests(_Fault):
    """429 whose Retry-After is an HTTP date `wait_s` after `now()` (the test's clock)."""

    now: Callable[[], float] = lambda: 0.0
    wait_s: int = 30

    def before(self, number: int, request: RecordedRequest) -> Reply | None:
        if not self.which(number):
            return None
        self.hits.append(number)
        retry_at = formatdate(self.now() + self.wait_s, usegmt=True)
        return Reply(429, json={"error": "rate_limited"}, headers={"Retry-After": retry_at})


@dataclass
class ResetMidBody(_Fault):
    """The API's reply starts normally, then the connection is reset halfway through the body."""

    def after(self, number: int, request: RecordedRequest, reply: Reply) -> Reply:
        if not self.which(number):
            return reply
        self.hits.append(number)
        return Reply(reply.status, body=reply.encoded(), headers=dict(reply.headers),
                     reset_after_bytes=len(reply.encoded()) // 2)


@dataclass
class TruncatedJson(_Fault):
    """A complete HTTP response whose JSON body is cut short (Content-Length matches the cut)."""

    def after(self, number: int, request: RecordedRequest, reply: Reply) -> Reply:
        if not self.which(number):
            return reply
        self.hits.append(number)
        payload = reply.encoded()
        return Reply(reply.status, body=payload[: max(1, len(payload) // 2)], headers=dict(reply.headers))
