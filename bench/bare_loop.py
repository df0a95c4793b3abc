"""The floor any client of bench/apiserver.py pays: an HTTP client, the fastest JSON parser
installed, and each item's id written to a file; nothing mapped. Run as its own process, like
`restsync fetch`.

    python bench/bare_loop.py URL STYLE OUT [CLIENT]   # STYLE: page, offset or cursor (100 items a request)

CLIENT is the HTTP layer, lightest last:
  httpx   (default) the library restsync's requests go through;
  stdlib  `http.client`: one keep-alive connection, no pool, no models;
  socket  HTTP/1.1 written and read by hand on one socket (Content-Length bodies only): what a
          walk would cost with no HTTP library at all, the floor of sequential (cursor) walks.
"""

from __future__ import annotations

import sys
from typing import Callable
from urllib.parse import urlsplit

try:  # the fastest parser available; the floor is only meaningful with it
    from msgspec.json import decode as loads
except ImportError:  # pragma: no cover - without the fast extra
    from json import loads


def httpx_getter(base: str) -> Callable[[str], bytes]:
    import httpx

    client = httpx.Client()
    return lambda path: client.get(base + path).content


def stdlib_getter(base: str) -> Callable[[str], bytes]:
    import http.client

    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port)

    def get(path: str) -> bytes:
        connection.request("GET", path)
        return connection.getresponse().read()

    return get


def socket_getter(base: str) -> Callable[[str], bytes]:
    import socket

    parts = urlsplit(base)
    sock = socket.create_connection((parts.hostname, parts.port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    reader = sock.makefile("rb")
    host = parts.netloc

    def get(path: str) -> bytes:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        length = 0
        while (line := reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        return reader.read(length)

    return get


CLIENTS = {"httpx": httpx_getter, "stdlib": stdlib_getter, "socket": socket_getter}


def walk(base: str, style: str, out, client: str = "httpx") -> int:
    get = CLIENTS[client](base)
    count = 0
    position: int | str | None = 1 if style == "page" else 0
    while position is not None:
        if style == "page":
            path = f"/page?per_page=100&page={position}"
        elif style == "offset":
            path = f"/offset?limit=100&offset={position}"
        else:
            path = f"/cursor?limit=100&cursor={position}"
        body = loads(get(path))
        items = body["items"]
        out.write("".join(f"{item['id']}\n" for item in items))
        count += len(items)
        if style == "cursor":
            position = body.get("next_cursor")
        elif not items:
            position = None
        else:
            position = position + 1 if style == "page" else position + len(items)
    return count


if __name__ == "__main__":
    url, style, path = sys.argv[1:4]
    with open(path, "w") as handle:
        print(walk(url, style, handle, sys.argv[4] if len(sys.argv) > 4 else "httpx"))
