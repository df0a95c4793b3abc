"""Confluence Cloud v2 pages: `limit` (max 250) and `cursor`; the next page is a relative URL in
`_links.next`, absent on the last page."""

from __future__ import annotations

from urllib.parse import urlencode

from .base import ApiServer, RecordedRequest, Reply, json_error
from .dataset import SampleItem, sample_items
from .paging import BadRequest, decode_cursor, encode_cursor, int_param

PAGES_PATH = "/wiki/api/v2/pages"


class ConfluenceServer(ApiServer):
    def __init__(self, count: int = 237):
        super().__init__()
        self.items = sample_items(count)

    def handle(self, request: RecordedRequest) -> Reply:
        try:
            limit = min(int_param(request, "limit", 25, 1), 250)
            cursor = request.param("cursor")
            start = decode_cursor("cf", cursor) if cursor else 0
        except BadRequest as exc:
            return json_error(400, {"errors": [{"status": 400, "code": "INVALID_REQUEST_PARAMETER", "title": str(exc)}]})
        chunk = self.items[start : start + limit]
        links: dict = {"base": "https://acme.atlassian.net/wiki"}
        if start + limit < len(self.items):
            query = {**request.query, "cursor": encode_cursor("cf", start + limit)}
            links["next"] = f"{PAGES_PATH}?{urlencode(query)}"
        return Reply(json={"results": [self._page(item) for item in chunk], "_links": links})

    def _page(self, item: SampleItem) -> dict:
        return {
            "id": str(98_000 + item.number),
            "status": "current",
            "title": item.title,
            "spaceId": "65537",
            "version": {"number": 1 + item.number % 4, "createdAt": item.iso_millis_z, "authorId": item.author},
            "body": {"storage": {"representation": "storage", "value": item.body}},
            "_links": {"webui": f"/spaces/ENG/pages/{98_000 + item.number}"},
        }
