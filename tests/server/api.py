"""A help-centre API for the server tests: API-key auth in a header, page pagination with totals,
an `updated_since` window, and a gate that holds one page until the test releases it."""

from __future__ import annotations

import threading
from typing import Any

from servers.base import ApiServer, RecordedRequest, Reply, json_error

API_KEY = "hk_live_5f3a9c2e7b1d4e8f"
CATEGORIES = ("Billing", "Security", "Accounts")


def article(number: int) -> dict[str, Any]:
    return {
        "id": number,
        "title": f"Article {number}: {'refund policy' if number % 3 == 0 else 'two-factor login'}",
        "body": f"<p>Body of article {number}. It explains the {CATEGORIES[number % 3].lower()} steps.</p>",
        "category": CATEGORIES[number % 3],
        "updated_at": f"2025-01-{1 + number % 28:02d}T10:00:00Z",
        "url": f"https://help.example.com/a/{number}",
    }


class HelpApi(ApiServer):
    def __init__(self, count: int = 60, api_key: str = API_KEY):
        super().__init__()
        self.articles = [article(number) for number in range(1, count + 1)]
        self.api_key = api_key
        self.hold_page: int | None = None  # this page waits for `release` before answering
        self.release = threading.Event()
        self.held = threading.Event()  # set when the held page has been asked for

    def handle(self, request: RecordedRequest) -> Reply:
        if request.path != "/api/articles":
            return json_error(404, {"error": "no route"})
        if request.headers.get("x-api-key") != self.api_key:
            return json_error(401, {"error": "invalid api key"})
        page = int(request.param("page", "1") or 1)
        per_page = int(request.param("per_page", "10") or 10)
        since = request.param("updated_since")
        items = [a for a in self.articles if not since or a["updated_at"] >= since]
        if self.hold_page is not None and page == self.hold_page:
            self.held.set()
            self.release.wait(timeout=30)
        pages = max(1, -(-len(items) // per_page))
        window = items[(page - 1) * per_page: page * per_page]
        return Reply(json={"data": window, "meta": {"page": page, "total_pages": pages, "total": len(items)}})


def ragflow_config(base_url: str, api_key: str = API_KEY) -> dict[str, Any]:
    """A config as RAGFlow's REST API connector form stores it: text boxes for headers and query
    parameters, the key under auth_config.api_key_value, comma-separated field lists."""
    return {
        "url": f"{base_url}/api/articles",
        "method": "GET",
        "headers": '{"Accept": "application/json"}',
        "query_params": "updated_since={poll_start}",
        "auth_type": "api_key_header",
        "auth_config": {"header_name": "X-API-Key", "api_key_value": api_key},
        "items_path": "$.data",
        "id_field": "id",
        "content_fields": "title,body",
        "metadata_fields": "category",
        "poll_timestamp_field": "updated_at",
        "pagination_type": "page",
        "pagination_config": {"page_param": "page", "page_size_param": "per_page", "page_size": 10,
                              "start_page": 1},
        "batch_size": 5,
        "max_pages": 100,
    }
