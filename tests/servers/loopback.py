"""A scripted loopback HTTP server for the HTTP-layer tests (used by the tests in tests/http/).

Each test passes a `respond(seen, index) -> Reply` function; the server records every request.
Replies can also misbehave on purpose: cut the body short or reset the connection mid-body.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from . import base
from .base import ApiServer, RecordedRequest


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Reply:
    status: int = 200
    body: Any = b""  # bytes/str sent as is; anything else as JSON
    headers: dict[str, str] = field(default_factory=dict)
    send_only: int | None = None  # announce the full length but send this many body bytes...
    reset: bool = False  # ...then reset the connection (RST) instead of closing it

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


def ok(body: Any) -> Reply:
    return Reply(200, body)


class LoopbackServer:
    """An `ApiServer` on 127.0.0.1 answering with a scripted function; `requests` holds what it saw."""

    def __init__(self, respond: Callable[[Seen, int], Reply]):
        self.respond = respond
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        self._server = _Scripted(self._answer).start()
        self._base_url = self._server.base_url  # still known after the server stopped (messages name it)
        self.port = int(self._base_url.rsplit(":", 1)[1])

    def url(self, path: str = "/") -> str:
        return self._base_url + path

    def __enter__(self) -> "LoopbackServer":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.stop()

    def _answer(self, request: RecordedRequest) -> base.Reply:
        seen = Seen(request.method, request.target, request.headers, request.raw_body)
        with self._lock:
            self.requests.append(seen)
            index = len(self.requests) - 1
        reply = self.respond(seen, index)
        cut = reply.send_only
        return base.Reply(reply.status, body=reply.payload(), headers=dict(reply.headers), content_type=None,
                          reset_after_bytes=cut if reply.reset else None,
                          cut_after_bytes=None if reply.reset else cut)


class _Scripted(ApiServer):
    def __init__(self, answer: Callable[[RecordedRequest], base.Reply]):
        super().__init__()
        self._answer = answer

    def handle(self, request: RecordedRequest) -> base.Reply:
        return self._answer(request)
