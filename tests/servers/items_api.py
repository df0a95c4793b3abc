"""Shared pieces of the sync tests (no tests here): a loopback API with a mutable dataset, and configs.

The API lists items by id, `per_page` at a time, with `meta.total_pages`; it honours
`updated_since` (the config sends `{poll_start}` there), can fail chosen pages (500 by default), and can
stall before serving a page until released (to kill a sync mid-walk).
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

BASE_TIME = datetime(2025, 1, 1, tzinfo=timezone.utc)


def stamp(day: int) -> str:
    return (BASE_TIME + timedelta(days=day)).isoformat().replace("+00:00", "Z")


def make_item(number: int, *, day: int | None = None, body: str | None = None) -> dict[str, Any]:
    return {
        "id": number,
        "title": f"Article {number}",
        "body": body or f"Article {number} explains topic {number} in plain words.",
        "author": "Jane" if number % 2 else "Omar",
        "updated_at": stamp(number if day is None else day),
    }


class ItemsApi:
    """A threaded HTTP server on 127.0.0.1; mutate `items` between syncs."""

    def __init__(self, count: int = 0):
        self.items: dict[int, dict[str, Any]] = {n: make_item(n) for n in range(1, count + 1)}
        self.lock = threading.Lock()
        self.requests: list[dict[str, str]] = []
        self.fail_pages: set[int] = set()
        self.fail_status = 500
        self.stall_from_page: int | None = None
        self.release = threading.Event()
        self.stalled = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/items"

    def __enter__(self) -> "ItemsApi":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def pages_requested(self) -> list[int]:
        return [int(r.get("page", "1")) for r in self.requests]

    def respond(self, query: dict[str, str]) -> tuple[int, Any]:
        with self.lock:
            self.requests.append(query)
            page, per_page = int(query.get("page", "1")), int(query.get("per_page", "10"))
            since = query.get("updated_since") or ""
            listed = [self.items[n] for n in sorted(self.items)
                      if not since or _instant(self.items[n]["updated_at"]) >= _instant(since)]
        if page in self.fail_pages:
            return self.fail_status, {"error": "failed on purpose"}
        if self.stall_from_page is not None and page >= self.stall_from_page:
            self.stalled.set()
            self.release.wait(30)
        total_pages = max(1, -(-len(listed) // per_page))
        chunk = listed[(page - 1) * per_page: page * per_page]
        return 200, {"items": chunk, "meta": {"total_pages": total_pages}}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                query = {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query, keep_blank_values=True).items()}
                status, payload = api.respond(query)
                body = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client went away (a killed sync)
                    pass

        return Handler


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def source_config(url: str, *, per_page: int = 5, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "url": url,
        "query_params": {"updated_since": "{poll_start}"},
        "items_path": "$.items",
        "id_field": "id",
        "title_field": "title",
        "content_fields": ["title", "body"],
        "metadata_fields": ["author"],
        "poll_timestamp_field": "updated_at",
        "pagination_type": "page",
        "pagination_config": {"page_param": "page", "page_size_param": "per_page", "start_page": 1,
                              "page_size": per_page, "total_pages_path": "$.meta.total_pages"},
        "batch_size": 2,
        "request_delay": 0,
        "concurrency": 1,
    }
    config.update(overrides)
    return config
