"""Shared pieces of the sync tests (no tests here): a loopback API with a mutable dataset, and configs.

The API lists items by id, `per_page` at a time, with `meta.total_pages`; it honours
`updated_since` (the config sends `{poll_start}` there), can fail chosen pages (500 by default), and can
stall before serving a page until released (to kill a sync mid-walk).
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Any

from .base import ApiServer, RecordedRequest, Reply

ITEMS_PATH = "/api/items"
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
    """The dataset on a loopback `ApiServer`; mutate `items` between syncs. `requests` holds the
    query of every request, in order."""

    def __init__(self, count: int = 0):
        self.items: dict[int, dict[str, Any]] = {n: make_item(n) for n in range(1, count + 1)}
        self.lock = threading.Lock()
        self.requests: list[dict[str, str]] = []
        self.fail_pages: set[int] = set()
        self.fail_status = 500
        self.stall_from_page: int | None = None
        self.release = threading.Event()
        self.stalled = threading.Event()
        self._server = _ItemsServer(self)

    @property
    def url(self) -> str:
        return self._server.url(ITEMS_PATH)

    def __enter__(self) -> "ItemsApi":
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._server.stop()

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


class _ItemsServer(ApiServer):
    def __init__(self, api: ItemsApi):
        super().__init__()
        self._api = api

    def handle(self, request: RecordedRequest) -> Reply:
        status, payload = self._api.respond(dict(request.query))
        return Reply(status, payload)


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
