"""Serve an ASGI app with uvicorn on a loopback port, in a thread, for the length of a `with`.

The listening socket is bound before uvicorn starts, so clients can connect at once: the kernel
queues them until uvicorn accepts (no waiting for start-up in the tests)."""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any, Callable, Iterator

import uvicorn


@contextlib.contextmanager
def serve_asgi(app_for_port: Callable[[int], Any], host: str = "127.0.0.1") -> Iterator[str]:
    """`app_for_port(port)` builds the app once the port is known (Host checks need it)."""
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say TCP, and without it
    # every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app_for_port(port), log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
