"""An offset/limit API that serves at most 50 items whatever `limit` asks and reports no total:
only an empty page says the listing is over. RAGFlow stops after its first short page here."""

from __future__ import annotations

from .base import ApiServer, RecordedRequest, Reply, json_error
from .dataset import sample_items
from .paging import BadRequest, int_param

RECORDS_PATH = "/api/records"
SERVER_CAP = 50


class CappedPageServer(ApiServer):
    def __init__(self, count: int = 20_000):
        super().__init__()
        # Pre-rendered records keep a 400-page walk fast.
        self.records = [
            {"id": item.number, "title": item.title, "body": item.body, "author": item.author,
             "modified": item.rfc2822}
            for item in sample_items(count)
        ]

    def handle(self, request: RecordedRequest) -> Reply:
        try:
            offset = int_param(request, "offset", 0, 0)
            limit = min(int_param(request, "limit", 20, 1), SERVER_CAP)
        except BadRequest as exc:
            return json_error(400, {"error": str(exc)})
        return Reply(json={"records": self.records[offset : offset + limit]})
