"""A local API for benchmarks: N items of ~1 KB, five pagination styles, configurable latency.

Run alone:  python bench/apiserver.py --items 20000 --latency-ms 20 --port 8900
Endpoints (all JSON):
  /page?page=&per_page=          {"items": [...], "total": N}   + X-Total-Count
  /offset?offset=&limit=         {"items": [...], "total": N}
  /cursor?cursor=&limit=         {"items": [...], "next_cursor": "..."}
  /next?after=&limit=            {"items": [...], "links": {"next": "/next?after=..."}}
  /link?page=&per_page=          [...]                           + Link: <...>; rel="next"
Items are generated on the fly (the server holds no dataset), so 200k items cost it no memory.
With --no-totals no response states a total (no X-Total-Count, no "total"): what RAGFlow-style
configs meet, where the end of the data shows only as an empty page.
"""

from __future__ import annotations

import argparse
import json
import time
from urllib.parse import parse_qs, urlparse

from restsync.demo.loopback import LoopbackHandler, LoopbackServer

PAGE_CAP = 100
_FILLER = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor. " * 12)[:820]


def make_item(i: int) -> dict:
    return {
        "id": i,
        "title": f"Article {i}",
        "body": f"<p>{_FILLER}</p><p>Item {i}.</p>",
        "author": {"name": f"Author {i % 37}"},
        "tags": [{"name": f"tag{i % 7}"}, {"name": f"tag{i % 11}"}],
        "updated_at": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T10:{i % 60:02d}:00Z",
        "url": f"https://example.com/articles/{i}",
    }


def item_json(i: int) -> str:
    """make_item(i) as JSON text, built by formatting: the server must not be what a benchmark measures."""
    return (
        '{"id": %d, "title": "Article %d", "body": "<p>%s</p><p>Item %d.</p>", "author": {"name": "Author %d"}, '
        '"tags": [{"name": "tag%d"}, {"name": "tag%d"}], "updated_at": "2025-%02d-%02dT10:%02d:00Z", '
        '"url": "https://example.com/articles/%d"}'
        % (i, i, _FILLER, i, i % 37, i % 7, i % 11, 1 + i % 12, 1 + i % 28, i % 60, i)
    )


class Raw(str):
    """A JSON fragment already serialised."""


def encode(body: object) -> bytes:
    if isinstance(body, dict):
        return ("{" + ", ".join(f"{json.dumps(k)}: {v if isinstance(v, Raw) else json.dumps(v)}" for k, v in body.items()) + "}").encode()
    return str(body).encode() if isinstance(body, Raw) else json.dumps(body).encode()


def items_json(start: int, end: int) -> Raw:
    return Raw("[" + ", ".join(item_json(i) for i in range(start, end)) + "]")


def make_handler(total: int, latency_s: float, totals: bool = True):
    class Handler(LoopbackHandler):
        def do_GET(self) -> None:
            # The page is built inside the latency budget: a 20 ms server answers 20 ms after the
            # request, however long its own work took.
            deadline = time.perf_counter() + latency_s
            url = urlparse(self.path)
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            size = min(int(q.get("per_page") or q.get("limit") or PAGE_CAP), PAGE_CAP)
            headers: dict[str, str] = {"X-Total-Count": str(total)} if totals else {}
            if url.path == "/page" or url.path == "/link":
                page = int(q.get("page", 1))
                start = (page - 1) * size
                items = items_json(start, min(start + size, total))
                if url.path == "/link":
                    body: object = items
                    if start + size < total:
                        headers["Link"] = f'<http://{self.headers["Host"]}/link?page={page + 1}&per_page={size}>; rel="next"'
                else:
                    body = {"items": items, "total": total} if totals else {"items": items}
            elif url.path == "/offset":
                start = int(q.get("offset", 0))
                body = {"items": items_json(start, min(start + size, total))}
                if totals:
                    body["total"] = total
            elif url.path in ("/cursor", "/next"):
                start = int(q.get("cursor") or q.get("after") or 0)
                end = min(start + size, total)
                items = items_json(start, end)
                more = end < total
                if url.path == "/cursor":
                    body = {"items": items, "next_cursor": str(end) if more else None}
                else:
                    body = {"items": items, "links": {"next": f"/next?after={end}&limit={size}" if more else None}}
            else:
                self.send_error(404)
                return
            payload = encode(body)
            remaining = deadline - time.perf_counter()
            if remaining > 0:
                time.sleep(remaining)
            self.send_body(200, payload, "application/json", headers)

    return Handler


def serve(total: int, latency_ms: float, port: int = 0, totals: bool = True) -> LoopbackServer:
    """The API, started on a background thread: `.url`, `.stop()`."""
    return LoopbackServer(make_handler(total, latency_ms / 1000, totals), port=port, name="bench-api").start()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--no-totals", action="store_true", help="state no total anywhere")
    args = parser.parse_args()
    srv = LoopbackServer(make_handler(args.items, args.latency_ms / 1000, not args.no_totals), port=args.port)
    print(srv.url, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        srv.stop()
