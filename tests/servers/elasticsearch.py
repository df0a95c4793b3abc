"""Elasticsearch `_search` with `search_after`: POST, `size`, a `sort`, and `search_after` = the
`sort` array of the previous page's last hit. The walk ends on an empty `hits.hits`."""

from __future__ import annotations

from .base import ApiServer, RecordedRequest, Reply, json_error
from .dataset import SampleItem, sample_items

SEARCH_PATH = "/articles/_search"
MAX_RESULT_WINDOW = 10_000


class ElasticsearchServer(ApiServer):
    def __init__(self, count: int = 237):
        super().__init__()
        self.items = sample_items(count)  # already sorted by (updated_at, id)

    def handle(self, request: RecordedRequest) -> Reply:
        if request.method != "POST" or request.path != SEARCH_PATH:
            return self._error(405, "illegal_argument_exception", "use POST /articles/_search")
        body = request.json if isinstance(request.json, dict) else {}
        size = body.get("size", 10)
        if not isinstance(size, int) or not 0 <= size <= MAX_RESULT_WINDOW:
            return self._error(400, "illegal_argument_exception", "Result window is too large")
        if not body.get("sort"):
            return self._error(400, "parsing_exception", "search_after needs a sort")
        start = 0
        after = body.get("search_after")
        if after is not None:
            if not isinstance(after, list) or len(after) != 2:
                return self._error(400, "parsing_exception",
                                   f"search_after has {len(after) if isinstance(after, list) else 'no'} values but sort has 2")
            start = sum(1 for item in self.items if [item.epoch_ms, item.number] <= after)
        chunk = self.items[start : start + size]
        return Reply(json={
            "took": 3,
            "timed_out": False,
            "hits": {
                "total": {"value": len(self.items), "relation": "eq"},
                "max_score": None,
                "hits": [self._hit(item) for item in chunk],
            },
        })

    def _error(self, status: int, kind: str, reason: str) -> Reply:
        return json_error(status, {"error": {"root_cause": [{"type": kind, "reason": reason}], "type": kind,
                                             "reason": reason}, "status": status})

    def _hit(self, item: SampleItem) -> dict:
        return {
            "_index": "articles",
            "_id": f"art-{item.number}",
            "_score": None,
            "_source": {"title": item.title, "body": item.body, "author": item.author, "updated_at": item.epoch_ms},
            "sort": [item.epoch_ms, item.number],
        }
