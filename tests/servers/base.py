"""A small threaded loopback HTTP server for tests: one handler method per API, every request recorded.

Servers bind 127.0.0.1 on port 0 and speak HTTP/1.1 with keep-alive (restsync's own loopback
server, which the demo API and the benchmarks run on too), and can be wrapped in faults (see
`faults.py`) that fail chosen requests before or after the API answers.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol
from urllib.parse import parse_qs, urlsplit

from restsync.demo.loopback import LoopbackHandler, LoopbackServer


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]  # last value of each parameter
    query_lists: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    json: Any  # parsed JSON body, or None
    raw_body: bytes = b""
    target: str = ""  # the request line's target as sent (`/path?query`), byte for byte

    def param(self, name: str, default: str | None = None) -> str | None:
        return self.query.get(name, default)


@dataclass
class Reply:
    status: int = 200
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None  # raw body; overrides `json`
    # Fault behaviour: send the headers (announcing the full length) and only this many body
    # bytes, then reset the connection; or, with `cut_after_bytes`, close it cleanly.
    reset_after_bytes: int | None = None
    cut_after_bytes: int | None = None
    content_type: str | None = "application/json; charset=utf-8"  # None: no Content-Type at all

    def encoded(self) -> bytes:
        if self.body is not None:
            return self.body
        if self.json is None:
            return b""
        return json.dumps(self.json, separators=(",", ":")).encode("utf-8")


def json_error(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status=status, json=payload, headers=dict(headers or {}))


class Fault(Protocol):
    """Intercepts requests by their 1-based arrival number: answer instead of the API, or alter its reply."""

    def before(self, number: int, request: RecordedRequest) -> Reply | None: ...
    def after(self, number: int, request: RecordedRequest, reply: Reply) -> Reply: ...


class ApiServer:
    """Base of every fake API. Subclasses implement `handle`; tests read `requests`."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.faults: list[Fault] = []
        self._lock = threading.Lock()
        self._loopback: LoopbackServer | None = None

    # -- to override ---------------------------------------------------------------------------

    def handle(self, request: RecordedRequest) -> Reply:
        raise NotImplementedError

    # -- lifecycle -------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        assert self._loopback is not None, "server not started"
        return self._loopback.url

    def url(self, path: str = "") -> str:
        return self.base_url + path

    def start(self) -> "ApiServer":
        # Quiet errors: a client that hangs up mid-response is part of the scenarios, not noise.
        self._loopback = LoopbackServer(_make_handler(self._dispatch), quiet_errors=True, poll_interval=0.05,
                                        name=type(self).__name__).start()
        return self

    def stop(self) -> None:
        if self._loopback is not None:
            self._loopback.stop()
            self._loopback = None

    def __enter__(self) -> "ApiServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def with_fault(self, fault: Fault) -> "ApiServer":
        self.faults.append(fault)
        return self

    # -- assertions helpers ----------------------------------------------------------------------

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path]

    # -- internals -------------------------------------------------------------------------------

    def _dispatch(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            number = len(self.requests)
        for fault in self.faults:
            early = fault.before(number, request)
            if early is not None:
                return early
        reply = self.handle(request)
        for fault in self.faults:
            reply = fault.after(number, request, reply)
        return reply


def _make_handler(dispatch: Callable[[RecordedRequest], Reply]) -> type[LoopbackHandler]:
    class Handler(LoopbackHandler):
        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        do_PUT = do_DELETE = do_POST

        def _serve(self) -> None:
            split = urlsplit(self.path)
            lists = parse_qs(split.query, keep_blank_values=True)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            recorded = RecordedRequest(
                method=self.command,
                path=split.path,
                query={k: v[-1] for k, v in lists.items()},
                query_lists=lists,
                headers={k.lower(): v for k, v in self.headers.items()},
                json=body,
                raw_body=raw,
                target=self.path,
            )
            self._send(dispatch(recorded))

        def _send(self, reply: Reply) -> None:
            payload = reply.encoded()
            self.send_response(reply.status)
            headers = {"Content-Type": reply.content_type} if reply.content_type else {}
            headers.update(reply.headers)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            cut = reply.reset_after_bytes if reply.reset_after_bytes is not None else reply.cut_after_bytes
            if cut is None:
                self.wfile.write(payload)
                return
            self.wfile.write(payload[:cut])
            self.wfile.flush()
            if reply.reset_after_bytes is not None:
                # SO_LINGER 0 makes close() send RST: the client sees a reset, not a clean end.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()

        def finish(self) -> None:
            try:
                super().finish()
            except OSError:
                pass

    return Handler
