"""A `page` / `offset` total that under-counts: a full page where the total says the data ends is
followed up (`probing`), and `undercount` records the claim the pages disproved.

A mixin of `NumericPaginator` (`numeric.py`), which owns the state it reads; it sits before
`Paginator` so that `_claimed_end` can fall back on the base's item-count rule.
"""

from __future__ import annotations


class UndercountRule:
    """Whether the walk is at the API's claimed end, and whether the pages prove the claim low."""

    probing: bool
    _total: int | None
    _total_pages: int | None
    _items_seen: int
    _size_value: int | None
    _first_page_size: int | None
    _last_page_full: bool
    # (the API's total, "items" or "pages") once a full page at its claimed end proved it too low
    undercount: tuple[int, str] | None

    def _is_full(self, items: list, first: bool) -> bool:
        if self._size_value is not None and len(items) >= self._size_value:
            return True
        # Servers cap sizes; the first page shows the size they really serve, if more pages follow.
        return not first and bool(self._first_page_size) and len(items) >= self._first_page_size

    def _total_reached(self) -> bool:
        if not self._claimed_end():
            return False
        if self._last_page_full or (self._total is not None and self._items_seen > self._total):
            # The API's own count says this is the end, its pages say otherwise: look further.
            if self._total_pages is not None:
                self.undercount = (self._total_pages, "pages")
            else:
                self.undercount = (self._total or 0, "items")
            self.probing = True
            return False
        return True

    def _claimed_end(self) -> bool:
        """The API's claim (its totals) says the data ends here; styles refine it."""
        return super()._total_reached()  # type: ignore[misc]  # Paginator's rule, next in the MRO
