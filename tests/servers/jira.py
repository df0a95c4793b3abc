"""Jira (classic search): `startAt` / `maxResults` with `total`; the server caps pages at 50
whatever is asked, and says so in its `maxResults`."""

from __future__ import annotations

from .base import ApiServer, RecordedRequest, Reply, json_error
from .dataset import SampleItem, sample_items
from .paging import BadRequest, int_param

SEARCH_PATH = "/rest/api/2/search"
SERVER_CAP = 50


class JiraServer(ApiServer):
    def __init__(self, count: int = 237):
        super().__init__()
        self.items = sample_items(count)

    def handle(self, request: RecordedRequest) -> Reply:
        if request.path != SEARCH_PATH:
            return json_error(404, {"errorMessages": ["Not found"], "errors": {}})
        try:
            start = int_param(request, "startAt", 0, 0)
            asked = int_param(request, "maxResults", 50, 0)
        except BadRequest as exc:
            return json_error(400, {"errorMessages": [str(exc)], "errors": {}})
        size = min(asked, SERVER_CAP)
        chunk = self.items[start : start + size]
        return Reply(json={
            "expand": "schema,names",
            "startAt": start,
            "maxResults": size,
            "total": len(self.items),
            "issues": [self._issue(item) for item in chunk],
        })

    def _issue(self, item: SampleItem) -> dict:
        return {
            "id": str(10_000 + item.number),
            "key": f"PROJ-{item.number}",
            "self": f"{self.base_url}/rest/api/2/issue/{10_000 + item.number}",
            "fields": {
                "summary": item.title,
                "description": item.body,
                "reporter": {"displayName": item.author.title()},
                "status": {"name": "Done" if item.number % 2 else "In Progress"},
                "updated": item.jira_time,
            },
        }
