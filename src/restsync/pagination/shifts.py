"""A `page` / `offset` collection that changes while it is walked: the total moved between pages.

Pages planned on the old total may no longer line up, so the rest is walked one page at a time.
A shrink steps back to fetch again what moved over a page's edge; growth skips nothing.

A mixin of `NumericPaginator` (`numeric.py`), which owns the state it reads.
"""

from __future__ import annotations

from collections import deque

from restsync.pagination.placement import Placement


class ShiftRule:
    """Reacts to a total that changed since the previous page."""

    total_change: tuple[int, int] | None
    shift_notes: list[str]
    burst_broken: bool
    discard_page: bool
    _placement: Placement
    _pending: deque[int]
    _position: int
    _items_seen: int
    _refetch: bool  # this page was dropped after a shrink: its position is fetched again

    def _shifted(self, fed: int, items: list, planned: bool) -> bool:
        """The total changed since the previous page. Pages planned on the old total may no longer
        line up, so the rest is walked one page at a time. Items gone at a lower position pulled later
        ones back over the edge of the previous page: step back by as many and fetch again (the
        walker drops what it already yielded). Items added push later ones on: nothing is skipped,
        and what the previous page held again is dropped by the walker. True when this page is
        to be fetched again."""
        old, new = self.total_change
        self.shift_notes.append(f"total changed from {old} to {new} at {self._placement.name}={fed}")
        if planned or self._pending:
            self._pending.clear()
            self.burst_broken = True
        if new >= old:
            return False
        self.discard_page = self._refetch = True
        self._items_seen -= len(items)
        self._position = self._back_up(fed, old - new)
        return True

    # The paginator provides `_back_up(fed, items)`: the position to fetch again (per style).
