"""Notion database query: POST with `page_size` (max 100) and `start_cursor` in the JSON body;
`{object: list, results, next_cursor, has_more}`. A `start_cursor` that is not a string is rejected."""

from __future__ import annotations

import uuid

from .base import ApiServer, RecordedRequest, Reply, json_error
from .dataset import SampleItem, sample_items
from .paging import BadRequest, decode_cursor, encode_cursor

DATABASE_ID = "8e2c2b7692ad4e45b2f2b4c5f9a0a1d2"
QUERY_PATH = f"/v1/databases/{DATABASE_ID}/query"


def page_id(item: SampleItem) -> str:
    return str(uuid.UUID(int=item.number))


class NotionServer(ApiServer):
    def __init__(self, count: int = 237, *, token: str = "secret_notion"):
        super().__init__()
        self.items = sample_items(count)
        self.token = token

    def handle(self, request: RecordedRequest) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return self._error(401, "unauthorized", "API token is invalid.")
        if request.method != "POST" or request.path != QUERY_PATH:
            return self._error(400, "invalid_request_url", "Invalid request URL.")
        if "notion-version" not in request.headers:
            return self._error(400, "missing_version", "Notion-Version header failed validation.")
        body = request.json if isinstance(request.json, dict) else {}
        size = body.get("page_size", 100)
        if not isinstance(size, int) or not 1 <= size <= 100:
            return self._error(400, "validation_error", "body.page_size should be a number between 1 and 100.")
        start = 0
        if "start_cursor" in body:
            cursor = body["start_cursor"]
            if not isinstance(cursor, str):
                return self._error(400, "validation_error",
                                   f"body failed validation: body.start_cursor should be a string or `undefined`, instead was `{cursor!r}`.")
            try:
                start = decode_cursor("notion", cursor)
            except BadRequest as exc:
                return self._error(400, "validation_error", str(exc))
        chunk = self.items[start : start + size]
        more = start + size < len(self.items)
        return Reply(json={
            "object": "list",
            "results": [self._page(item) for item in chunk],
            "next_cursor": encode_cursor("notion", start + size) if more else None,
            "has_more": more,
            "type": "page_or_database",
        })

    def _error(self, status: int, code: str, message: str) -> Reply:
        return json_error(status, {"object": "error", "status": status, "code": code, "message": message})

    def _page(self, item: SampleItem) -> dict:
        return {
            "object": "page",
            "id": page_id(item),
            "last_edited_time": item.iso_millis_z,
            "url": f"https://www.notion.so/{page_id(item).replace('-', '')}",
            "properties": {
                "Name": {"id": "title", "type": "title", "title": [{"type": "text", "plain_text": item.title}]},
                "Body": {"id": "b0dy", "type": "rich_text", "rich_text": [{"type": "text", "plain_text": item.body}]},
                "Owner": {"id": "own3", "type": "select", "select": {"name": item.author}},
            },
        }
