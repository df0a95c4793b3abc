"""Airtable list records: `pageSize` (max 100) and an `offset` token in the body, sent back as the
`offset` query param; no `offset` on the last page. A stale token is a 422."""

from __future__ import annotations

from .base import ApiServer, RecordedRequest, Reply, json_error
from .dataset import SampleItem, sample_items
from .paging import BadRequest, decode_cursor, encode_cursor, int_param

TABLE_PATH = "/v0/appA1b2C3d4E5f6G7/Tasks"


def record_id(item: SampleItem) -> str:
    return f"rec{item.number:014d}"


class AirtableServer(ApiServer):
    def __init__(self, count: int = 237, *, token: str = "patAirtable.secret"):
        super().__init__()
        self.items = sample_items(count)
        self.token = token

    def handle(self, request: RecordedRequest) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return json_error(401, {"error": {"type": "AUTHENTICATION_REQUIRED", "message": "Authentication required"}})
        try:
            size = int_param(request, "pageSize", 100, 1)
            offset = request.param("offset")
            start = decode_cursor("itr", offset.split("/")[0]) if offset else 0
        except BadRequest:
            return json_error(422, {"error": {"type": "LIST_RECORDS_ITERATOR_NOT_AVAILABLE"}})
        if size > 100:
            return json_error(422, {"error": {"type": "INVALID_REQUEST_UNKNOWN", "message": "pageSize must be <= 100"}})
        chunk = self.items[start : start + size]
        body: dict = {"records": [self._record(item) for item in chunk]}
        if start + size < len(self.items):
            body["offset"] = f"{encode_cursor('itr', start + size)}/{record_id(self.items[start + size])}"
        return Reply(json=body)

    def _record(self, item: SampleItem) -> dict:
        return {
            "id": record_id(item),
            "createdTime": item.iso_millis_z,
            "fields": {"Name": item.title, "Notes": item.body, "Assignee": item.author, "Updated": item.iso_millis_z},
        }
