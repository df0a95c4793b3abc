"""A newest-first API whose collection changes while it is walked, as a busy API's does.

Items are listed newest first (`offset`/`limit` or `page`/`per_page`) with a `total`. Before
answering every request but the first, the server adds up to `max_inserts` new items at the head
and removes up to `max_deletes` existing ones, drawn from a seeded generator: each insert pushes
every later item one position down (a walk sees the tail of the previous page again), each delete
pulls them one up (a walk skips an item). With concurrent requests answered out of order, inserts
alone make a walk that trusts its first total skip items.
"""

from __future__ import annotations

import random
import threading

from .base import ApiServer, RecordedRequest, Reply, json_error
from .paging import BadRequest, int_param

ITEMS_PATH = "/api/feed"


def feed_item(number: int) -> dict:
    return {"id": number, "title": f"Post {number}", "body": f"Text of post {number}.",
            "updated_at": 1_700_000_000 + number * 60}


class ShiftingFeedServer(ApiServer):
    def __init__(self, count: int = 100, *, seed: int = 0, max_inserts: int = 3, max_deletes: int = 0,
                 changes: int | None = None, per_page: int = 10, totals: bool = True):
        super().__init__()
        self.items = [feed_item(n) for n in range(count, 0, -1)]  # newest first
        self.original = {item["id"] for item in self.items}
        self.inserted: set[int] = set()
        self.deleted: set[int] = set()
        self.totals: list[int] = []  # the total each answer stated, in answer order
        self._rng = random.Random(seed)
        self._max_inserts = max_inserts
        self._max_deletes = max_deletes
        self._changes_left = changes  # None: change before every answer
        self._per_page = per_page
        self._totals = totals  # False: no total in any answer (only an empty page ends a walk)
        self._next = count + 1
        self._answers = 0
        self._state = threading.Lock()
        self.changing = True  # False: a quiet collection (until set again)

    @property
    def survivors(self) -> set[int]:
        """Ids present from the first request to the last: what a complete listing must contain."""
        return self.original - self.deleted

    def handle(self, request: RecordedRequest) -> Reply:
        try:
            limit = min(int_param(request, "limit", int_param(request, "per_page", self._per_page, 1), 1), 100)
            if request.param("page") is not None:
                offset = (int_param(request, "page", 1, 1) - 1) * limit
            else:
                offset = int_param(request, "offset", 0, 0)
        except BadRequest as exc:
            return json_error(400, {"error": str(exc)})
        with self._state:
            if self._answers and self.changing and self._changes_left != 0:
                self._change()
            self._answers += 1
            chunk = [dict(item) for item in self.items[offset : offset + limit]]
            total = len(self.items)
            self.totals.append(total)
        return Reply(json={"items": chunk, "total": total} if self._totals else {"items": chunk})

    def remove(self, number: int) -> None:
        """Delete one item for good (while the collection is otherwise quiet)."""
        with self._state:
            self.items = [item for item in self.items if item["id"] != number]
            self.deleted.add(number)

    def _change(self) -> None:
        if self._changes_left is not None:
            self._changes_left -= 1
        for _ in range(self._rng.randint(0, self._max_inserts)):
            self.items.insert(0, feed_item(self._next))
            self.inserted.add(self._next)
            self._next += 1
        for _ in range(self._rng.randint(0, self._max_deletes)):
            if len(self.items) > 1:
                gone = self.items.pop(self._rng.randrange(len(self.items)))
                self.deleted.add(gone["id"])
