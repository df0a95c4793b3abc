"""Pages fetched ahead, for `page` and `offset`: every later page at once when a total says where
the data ends (`remaining_requests`), or the next few while pages come full and no total is known
(`speculative_requests`). The positions handed out wait in `_pending`, in order, until their
responses are fed back.

A mixin of `NumericPaginator` (`numeric.py`), which owns the state it reads and places positions.
"""

from __future__ import annotations

from collections import deque

from restsync.http.request import RequestSpec


class BurstPlanning:
    """Hands out requests for pages ahead of the one just read."""

    has_next: bool
    probing: bool
    _total: int | None
    _total_pages: int | None
    _pending: deque[int]  # positions handed out and not yet fed back, in order
    _position: int
    _repeated: tuple[int, int, list] | None
    _first_page_size: int | None
    _last_page_full: bool
    _just_started: bool

    def remaining_requests(self, req: RequestSpec) -> list[RequestSpec] | None:
        if not self.has_next or self._pending:
            return None
        positions = self._addressable_positions()
        if not positions:
            return None
        self._pending = deque(positions)
        return self._requests_at(req, positions)

    def speculative_requests(self, req: RequestSpec, count: int) -> list[RequestSpec]:
        if count <= 0 or not self._may_speculate():
            return []
        step = self._speculative_step()
        start = self._pending[-1] + step if self._pending else self._position
        positions = [start + step * n for n in range(count)]
        self._pending.extend(positions)
        return self._requests_at(req, positions)

    def _requests_at(self, req: RequestSpec, positions: list[int]) -> list[RequestSpec]:
        requests = []
        for position in positions:
            request = req.copy()
            self._place(request, position)
            requests.append(request)
        return requests

    def _may_speculate(self) -> bool:
        """No total to plan by, and every page so far was full (page one, whose size proves nothing
        without a configured size, counts as full when it held items)."""
        if not self.has_next or self.probing or self._total is not None or self._total_pages is not None:
            return False
        if self._repeated is not None or self._first_page_size is None:
            return False
        return self._last_page_full or (self._just_started and self._first_page_size > 0)

    def _speculative_step(self) -> int:
        """How far apart speculative positions lie (`offset` steps by the size served)."""
        return 1

    # The paginator provides `_addressable_positions()` (every later position, when a total makes
    # them known) and `_place(req, position)`.
