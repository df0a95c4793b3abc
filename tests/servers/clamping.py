"""Page or offset APIs that repeat pages instead of ending, with no total to say where the end is.

- `clamp`: a request past the end gets the last page again (json-server 1.x, "clamping" CMSs);
- `ignore`: the page/offset parameter is not read at all, every request gets the first page;
- `repeat_middle`: page `repeat_at` answers with the page before it, later pages are normal
  (the items of page `repeat_at` are never served).
No total unless `claimed_total` is given.
"""

from __future__ import annotations

from .base import ApiServer, RecordedRequest, Reply, json_error
from .paging import BadRequest, int_param

ITEMS_PATH = "/api/entries"
MODES = ("clamp", "ignore", "repeat_middle")


class ClampingServer(ApiServer):
    def __init__(self, count: int = 100, *, mode: str = "clamp", per_page: int = 20, repeat_at: int = 3,
                 claimed_total: int | None = None):
        super().__init__()
        assert mode in MODES, mode
        self.items = [{"id": n, "title": f"Entry {n}", "body": f"Entry {n} text."} for n in range(1, count + 1)]
        self.mode = mode
        self.per_page = per_page
        self.repeat_at = repeat_at
        self.claimed_total = claimed_total  # a `total` in every body (an under-count, to get past it)

    def handle(self, request: RecordedRequest) -> Reply:
        try:
            size = min(int_param(request, "per_page", int_param(request, "limit", self.per_page, 1), 1), 100)
            if request.param("offset") is not None:
                index = int_param(request, "offset", 0, 0) // size
            else:
                index = int_param(request, "page", 1, 1) - 1
        except BadRequest as exc:
            return json_error(400, {"error": str(exc)})
        last = max(0, -(-len(self.items) // size) - 1)
        if self.mode == "ignore":
            index = 0
        elif self.mode == "clamp":
            index = min(index, last)
        elif index == self.repeat_at - 1:
            index -= 1
        body: dict = {"entries": self.items[index * size : (index + 1) * size]}
        if self.claimed_total is not None:
            body["total"] = self.claimed_total
        return Reply(json=body)
