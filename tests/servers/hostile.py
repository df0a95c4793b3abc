"""A loopback server that misbehaves at the byte level: drips responses, sends huge or
compressed bodies. Each connection reads one request head and runs a scripted `respond`.

The ordinary `ApiServer` answers whole replies; these faults need control over when each byte
leaves, so this one speaks HTTP/1.1 on a raw socket (one response per connection).
"""

from __future__ import annotations

import socket
import threading
import time
import zlib
from typing import Callable, Iterator

Responder = Callable[[socket.socket], None]


class HostileServer:
    def __init__(self, respond: Responder):
        self.respond = respond
        self.connections = 0
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self.url = ""


    def start(self) -> "HostileServer":
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/items"
        threading.Thread(target=self._accept_loop, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._sock is not None:
            self._sock.close()

    def __enter__(self) -> "HostileServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()  # type: ignore[union-attr]
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            head = b""
            conn.settimeout(5)
            try:
                while b"\r\n\r\n" not in head:
                    data = conn.recv(4096)
                    if not data:
                        return
                    head += data
                self.respond(conn)
            except OSError:
                pass  # the client gave up: exactly what these scenarios provoke


def head(status: str = "200 OK", **headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status}", "Content-Type: application/json", "Connection: close"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def drip_body(interval: float = 0.05, size: int = 200) -> Responder:
    """Headers at once, then the body one byte every `interval` seconds (never a long silence)."""
    body = b'{"items": [' + b" " * (size - 14) + b"]}\n"

    def respond(conn: socket.socket) -> None:
        conn.sendall(head(Content_Length=str(len(body))))
        for byte in body:
            time.sleep(interval)
            conn.sendall(bytes([byte]))

    return respond


def drip_headers(interval: float = 0.05) -> Responder:
    """The status line and headers one byte at a time."""

    def respond(conn: socket.socket) -> None:
        for byte in head(Content_Length="2") + b"{}":
            time.sleep(interval)
            conn.sendall(bytes([byte]))

    return respond


def sized_body(size: int, *, declare_length: bool) -> Responder:
    """A JSON body of exactly `size` bytes; with or without Content-Length (then chunked)."""
    def pieces() -> Iterator[bytes]:
        yield b'{"items": [], "pad": "'
        left = size - len(b'{"items": [], "pad": "') - 2
        while left > 0:
            step = min(left, 64 * 1024)
            yield b"x" * step
            left -= step
        yield b'"}'

    def respond(conn: socket.socket) -> None:
        if declare_length:
            conn.sendall(head(Content_Length=str(size)))
            for piece in pieces():
                conn.sendall(piece)
            return
        conn.sendall(head(Transfer_Encoding="chunked"))
        for piece in pieces():
            conn.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
        conn.sendall(b"0\r\n\r\n")

    return respond


def gzip_bomb(inflated_mb: int) -> bytes:
    """A gzip body that inflates to `inflated_mb` MB of a JSON string (about 1/1000 the size)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    out = [compressor.compress(b'{"items": [], "pad": "')]
    block = b"0" * (1024 * 1024)
    for _ in range(inflated_mb):
        out.append(compressor.compress(block))
    out.append(compressor.compress(b'"}'))
    out.append(compressor.flush())
    return b"".join(out)


def compressed_body(payload: bytes, encoding: str = "gzip") -> Responder:
    def respond(conn: socket.socket) -> None:
        conn.sendall(head(Content_Length=str(len(payload)), Content_Encoding=encoding))
        conn.sendall(payload)

    return respond
