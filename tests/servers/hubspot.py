"""HubSpot CRM v3 objects: `limit` (max 100) and `after`; the next token is `paging.next.after`
(with `paging.next.link`); the last page has no `paging`."""

from __future__ import annotations

from urllib.parse import urlencode

from .base import ApiServer, RecordedRequest, Reply, json_error
from .dataset import SampleItem, sample_items
from .paging import BadRequest, int_param

TICKETS_PATH = "/crm/v3/objects/tickets"


class HubSpotServer(ApiServer):
    def __init__(self, count: int = 237, *, token: str = "pat-na1-test"):
        super().__init__()
        self.items = sample_items(count)
        self.token = token

    def handle(self, request: RecordedRequest) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return json_error(401, {"status": "error", "category": "INVALID_AUTHENTICATION",
                                    "message": "Authentication credentials not found."})
        try:
            limit = min(int_param(request, "limit", 10, 1), 100)
            start = int_param(request, "after", 0, 0)  # HubSpot's `after` is a numeric-looking string
        except BadRequest as exc:
            return json_error(400, {"status": "error", "category": "VALIDATION_ERROR", "message": str(exc)})
        chunk = self.items[start : start + limit]
        body: dict = {"results": [self._ticket(item) for item in chunk]}
        if start + limit < len(self.items):
            after = str(start + limit)
            query = {**request.query, "after": after}
            body["paging"] = {"next": {"after": after, "link": f"{self.base_url}{TICKETS_PATH}?{urlencode(query)}"}}
        headers = {"X-HubSpot-RateLimit-Secondly": "10", "X-HubSpot-RateLimit-Secondly-Remaining": "9"}
        return Reply(json=body, headers=headers)

    def _ticket(self, item: SampleItem) -> dict:
        return {
            "id": str(5_000 + item.number),
            "properties": {
                "subject": item.title,
                "content": item.body,
                "hs_lastmodifieddate": item.iso_millis_z,
                "hubspot_owner_name": item.author,
            },
            "createdAt": item.iso_millis_z,
            "updatedAt": item.iso_millis_z,
            "archived": False,
        }
