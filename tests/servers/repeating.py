"""A page-numbered API that answers any page past the end with its last page again, as some
real APIs do; a walk that trusts only "empty page = end" would loop here until max_pages."""

from __future__ import annotations

from .base import ApiServer, RecordedRequest, Reply, json_error
from .dataset import sample_items
from .paging import BadRequest, int_param

ARTICLES_PATH = "/api/v1/articles"


class RepeatingLastPageServer(ApiServer):
    def __init__(self, count: int = 95):
        super().__init__()
        self.items = sample_items(count)

    def handle(self, request: RecordedRequest) -> Reply:
        try:
            per_page = min(int_param(request, "per_page", 20, 1), 100)
            page = int_param(request, "page", 1, 1)
        except BadRequest as exc:
            return json_error(400, {"error": str(exc)})
        last = max(1, -(-len(self.items) // per_page))
        page = min(page, last)
        chunk = self.items[(page - 1) * per_page : page * per_page]
        return Reply(json={"articles": [
            {"id": item.number, "title": item.title, "body": item.body, "author": item.author,
             "updated_at": str(item.epoch)}
            for item in chunk
        ]})
