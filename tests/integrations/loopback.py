"""A paginated loopback API with an updated-since window, and its restsync config."""

from __future__ import annotations

from typing import Any

from servers import UpdatedSinceServer

ITEMS = 120


def changes_config(server: UpdatedSinceServer) -> dict[str, Any]:
    """Page-numbered (25 a page, `total` in the body); the window goes to the API."""
    return {
        "url": server.url("/api/changes"),
        "query_params": {"updated_since": "{poll_start}", "updated_until": "{poll_end}"},
        "items_path": "$.items",
        "id_field": "id",
        "title_field": "title",
        "content_fields": ["title", "body"],
        "metadata_fields": ["author"],
        "poll_timestamp_field": "updated_at",
        "pagination_type": "page",
        "pagination_config": {"page_param": "page", "page_size_param": "per_page", "page_size": 25,
                              "total_path": "$.total"},
    }
