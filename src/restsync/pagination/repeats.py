"""A `page` / `offset` page that repeats the one before it.

Exactly the same after a normal advance: the API answers past its end with its last page, and
the data ended once the next page repeats too (or is empty). Only partly the same: a loop (items
may be missing). Page two repeating a full page one: the API ignores the parameter, a config
mistake.

A mixin of `NumericPaginator` (`numeric.py`), which owns the state it reads.
"""

from __future__ import annotations

from restsync.errors import ConfigError
from restsync.pagination.placement import Placement


class RepeatRule:
    """Tells an API's end, a loop and an ignored parameter apart when a page repeats."""

    discard_page: bool
    end_reason: str | None
    shift_notes: list[str]
    _placement: Placement
    _param_key: str
    _start: int
    _position: int
    _size_value: int | None
    _first_page_size: int | None
    _previous: tuple[int, list, str | None] | None  # (position, items, fingerprint)
    _repeated: tuple[int, int, list] | None  # (position, repeating position, items)

    def _repeat(self, fed: int, items: list) -> bool:
        """The same items as the page before. Exactly the same after a normal advance: the API
        repeats its last page past the end (confirmed by one more page). On the first advance
        after a full page: the API ignores the parameter. Only partly the same: a loop."""
        previous_fed, previous_items, _ = self._previous
        name = self._placement.name
        if items != previous_items:
            self._flag_loop(f"{name}={fed} returned the same items as {name}={previous_fed} in part "
                            "(items may be missing)", page_repeats=True)
            return False
        if previous_fed == self._start:
            if self._first_page_full() and not self.shift_notes:
                raise ConfigError(
                    f"{name}={fed} returned exactly the items of {name}={previous_fed}: the API seems to "
                    f"ignore {self._placement.describe()}; set it to the parameter this API reads for "
                    "the next page (or pagination_type: none if it has one page)",
                    self._param_key,
                )
            self.discard_page = True
            self.end_reason = f"{name}={fed} repeated {name}={previous_fed} (a short page): the end of the data"
            return False
        # A repeat may also be a glitch in the middle: the page after it says which.
        self.discard_page = True
        self._repeated = (previous_fed, fed, items)
        self._position = self._next_position(fed, items)
        return True

    def _confirm_end(self, fed: int, items: list) -> bool:
        """The page after a repeat: empty or the same again ends the data; anything else was a loop."""
        previous_fed, repeat_fed, repeated_items = self._repeated
        self._repeated = None
        name = self._placement.name
        if not items or items == repeated_items:
            self.discard_page = True
            again = f" and {name}={fed}" if items else f", {name}={fed} was empty"
            self.end_reason = f"{name}={repeat_fed}{again} repeated {name}={previous_fed}: the end of the data"
            return False
        self._flag_loop(f"{name}={repeat_fed} repeated {name}={previous_fed} but {name}={fed} had other items: "
                        f"the items of {name}={repeat_fed} may be missing")
        return False

    def _first_page_full(self) -> bool:
        """Page one was full, or its size says nothing (no page size configured)."""
        return self._size_value is None or (self._first_page_size or 0) >= self._size_value

    # The paginator provides `_next_position(fed, items)` (per style) and `_flag_loop` (the base's).
