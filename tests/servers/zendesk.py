"""Zendesk cursor pagination: `page[size]` (max 100), `links.next` (a full URL carrying
`page[after]`), `meta.has_more` / `meta.after_cursor`."""

from __future__ import annotations

from urllib.parse import urlencode

from .base import ApiServer, RecordedRequest, Reply, json_error
from .dataset import SampleItem, sample_items
from .paging import BadRequest, decode_cursor, encode_cursor, int_param

TICKETS_PATH = "/api/v2/tickets.json"


class ZendeskServer(ApiServer):
    def __init__(self, count: int = 237):
        super().__init__()
        self.items = sample_items(count)

    def handle(self, request: RecordedRequest) -> Reply:
        try:
            size = int_param(request, "page[size]", 100, 1)
            after = request.param("page[after]")
            start = decode_cursor("zd", after) if after else 0
        except BadRequest as exc:
            return json_error(400, {"error": "InvalidPaginationParameter", "description": str(exc)})
        if size > 100:
            return json_error(400, {"error": "InvalidPaginationParameter", "description": "page[size] must be <= 100"})
        chunk = self.items[start : start + size]
        more = start + size < len(self.items)
        after_cursor = encode_cursor("zd", start + size) if more else None
        next_url = None
        if more:
            next_url = f"{self.base_url}{TICKETS_PATH}?{urlencode({'page[after]': after_cursor, 'page[size]': size})}"
        return Reply(json={
            "tickets": [self._ticket(item) for item in chunk],
            "meta": {"has_more": more, "after_cursor": after_cursor, "before_cursor": encode_cursor("zd", start)},
            "links": {"next": next_url, "prev": None},
        })

    def _ticket(self, item: SampleItem) -> dict:
        return {
            "id": 40_000 + item.number,
            "url": f"{self.base_url}/api/v2/tickets/{40_000 + item.number}.json",
            "subject": item.title,
            "description": item.body,
            "requester": {"name": item.author},
            "status": "open",
            "updated_at": item.iso_z,
        }
