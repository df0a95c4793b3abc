"""Servers on a loopback port, in a background thread: the demo API, and the fake APIs and
ASGI apps that the tests and the benchmarks run against.

What they all need lives here once: a port the kernel picks, HTTP/1.1 keep-alive (as real APIs
speak, so the client's connection reuse is exercised), Nagle's algorithm off, quiet logs, and a
stop that returns at once. The standard library serves plain handlers (`LoopbackServer`);
uvicorn serves ASGI apps (`serve_asgi`, the `server` extra).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LOOPBACK = "127.0.0.1"
_STOP_WAIT_S = 30  # bounds a stop that hangs; a healthy one returns at once


class LoopbackHandler(BaseHTTPRequestHandler):
    """Base of the request handlers: keep-alive, no Nagle delay, logs only when asked."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle's algorithm on, each keep-alive
    # response would wait out the client's delayed ACK (~40 ms).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)

    def send_body(self, status: int, payload: bytes, content_type: str | None = "application/json",
                  headers: Mapping[str, str] | None = None) -> None:
        """One whole response: status, Content-Type (None: none), Content-Length, `headers`, body."""
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


class _ThreadingServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stopping does not wait for clients that keep their connection open
    verbose = False
    quiet_errors = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not self.quiet_errors:
            super().handle_error(request, client_address)


class LoopbackServer:
    """`handler` served on `host:port` (port 0: any free one) from a background thread;
    `with LoopbackServer(Handler) as server: server.url`. `quiet_errors` silences clients that
    hang up mid-response (fault scenarios expect them); `verbose` logs every request."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], host: str = LOOPBACK, port: int = 0, *,
                 verbose: bool = False, quiet_errors: bool = False, poll_interval: float = 0.5,
                 name: str = "loopback-http"):
        self._httpd = _ThreadingServer((host, port), handler)
        self._httpd.verbose = verbose
        self._httpd.quiet_errors = quiet_errors
        self._poll_interval = poll_interval  # how soon `stop` is noticed
        self._name = name
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def start(self) -> "LoopbackServer":
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": self._poll_interval},
                                        name=self._name, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve on the calling thread until interrupted (a command in the foreground)."""
        self._httpd.serve_forever(poll_interval=self._poll_interval)

    def stop(self) -> None:
        if self._thread is not None:  # shutdown() would wait forever on a loop that never ran
            self._httpd.shutdown()
            self._thread.join(timeout=_STOP_WAIT_S)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> "LoopbackServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@contextlib.contextmanager
def serve_asgi(app_for_port: Callable[[int], Any], host: str = LOOPBACK) -> Iterator[str]:
    """Serve an ASGI app with uvicorn for the length of a `with`; yields its base URL.

    `app_for_port(port)` builds the app once the port is known (apps that check the Host header
    need it; others ignore it). The socket listens before uvicorn starts, so clients can connect
    at once: the kernel queues them until uvicorn accepts, and nobody waits for a start-up."""
    import uvicorn  # the server extra

    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say TCP, and without it
    # every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    config = uvicorn.Config(app_for_port(port), log_level="warning", lifespan="on", timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="loopback-asgi", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=_STOP_WAIT_S)
        sock.close()
