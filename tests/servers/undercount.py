"""A page- or offset-numbered API whose `total` is wrong: it claims `claimed` items while holding `count`.

An under-count (`total: 50` with 95 items) must not end a walk while pages are still full; an
over-count (`total: 10000` with 95) ends at the first empty page. Pages past the end can be held
back until `release` is set (or `hold_s` passes), so a burst that stops early has requests in flight.
"""

from __future__ import annotations

import threading

from .base import ApiServer, RecordedRequest, Reply, json_error
from .paging import BadRequest, int_param

ITEMS_PATH = "/api/items"


class MiscountingServer(ApiServer):
    def __init__(self, count: int = 95, *, claimed: int = 50, per_page: int = 10, hold_s: float = 0.0):
        super().__init__()
        self.items = [{"id": n, "title": f"Item {n}", "body": f"Body of item {n}."} for n in range(1, count + 1)]
        self.claimed = claimed
        self.per_page = per_page
        self.hold_s = hold_s  # how long a page past the end waits for `release` before answering
        self.release = threading.Event()
        self.answered_past_end = 0

    def handle(self, request: RecordedRequest) -> Reply:
        try:
            size = min(int_param(request, "per_page", int_param(request, "limit", self.per_page, 1), 1), 100)
            if request.param("offset") is not None:
                start = int_param(request, "offset", 0, 0)
            else:
                start = (int_param(request, "page", 1, 1) - 1) * size
        except BadRequest as exc:
            return json_error(400, {"error": str(exc)})
        chunk = self.items[start : start + size]
        past_end = start - size >= len(self.items)  # the first empty page answers at once
        if past_end and self.hold_s:
            self.release.wait(self.hold_s)
        if past_end:
            self.answered_past_end += 1
        return Reply(json={"items": chunk, "total": self.claimed})
