"""A page- or offset-numbered API that states no total anywhere, as the APIs behind most RAGFlow
configs: only an empty page says the data ended (or, with `past_end="error"`, a 400, as WordPress
answers past its last page). It serves at most `cap` items whatever a request asks, and counts the
requests it answered past the end. `total_key` names a top-level body key holding the true count,
for APIs that offer one unasked."""

from __future__ import annotations

import threading

from .base import ApiServer, RecordedRequest, Reply, json_error
from .paging import BadRequest, int_param

ITEMS_PATH = "/api/entries"


class UntotalledServer(ApiServer):
    def __init__(self, count: int, *, cap: int = 100, past_end: str = "empty", total_key: str | None = None):
        super().__init__()
        self.items = [{"id": n, "title": f"Entry {n}", "body": f"<p>Text of entry {n}.</p>"}
                      for n in range(1, count + 1)]
        self.cap = cap
        self.past_end = past_end
        self.total_key = total_key
        self.answered_past_end = 0
        self._count = threading.Lock()

    def handle(self, request: RecordedRequest) -> Reply:
        try:
            size = min(int_param(request, "per_page", int_param(request, "limit", 10, 1), 1), self.cap)
            if request.param("offset") is not None:
                start = int_param(request, "offset", 0, 0)
            else:
                start = (int_param(request, "page", 1, 1) - 1) * size
        except BadRequest as exc:
            return json_error(400, {"error": str(exc)})
        if start >= len(self.items) and start > 0:
            with self._count:
                self.answered_past_end += 1
            if self.past_end == "error":
                return json_error(400, {"code": "rest_post_invalid_page_number",
                                        "message": "The page number requested is larger than the number of pages."})
        body: dict = {"items": self.items[start : start + size]}
        if self.total_key:
            body[self.total_key] = len(self.items)
        return Reply(json=body)
